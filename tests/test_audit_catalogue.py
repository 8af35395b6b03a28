"""Every audit action has a catalogue entry: each name the code can append (found by reading it) and each stored one."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from helpers import csrf_token, login
from judging.audit.catalogue import ACTION_NAME, ACTIONS, LEGACY_ALIASES, RETIRED_ACTIONS, SYSTEM_ACTORS, entry_for
from judging.audit.models import AuditEvent
from judging.demo import DEMO_PASSWORDS
from judging.i18n import translations
from scoring.sheets_helpers import open_items, page_token, post_sheet

JUDGING = Path(__file__).resolve().parent.parent / "judging"


# ------------------------------------------------------------------------------ reading the code

@dataclass
class Found:
    """What the scan of the code found: (action, object type or None, where) and what it could not read."""

    actions: list[tuple[str, str | None, str]] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)


def _is_append(call: ast.Call) -> bool:
    name = call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", None)
    return name == "append" and any(k.arg == "action" for k in call.keywords)


def _module_dicts(tree: ast.Module) -> dict[str, ast.Dict]:
    return {target.id: node.value for node in tree.body if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Dict) for target in node.targets if isinstance(target, ast.Name)}


def _literals(node: ast.expr, dicts: dict[str, ast.Dict]) -> list[str] | None:
    """The action names an expression can take, or None when they are not spelt out in the code."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.IfExp):
        body, orelse = _literals(node.body, dicts), _literals(node.orelse, dicts)
        return None if body is None or orelse is None else body + orelse
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name) and node.value.id in dicts:
        values = [_literals(v, dicts) for v in dicts[node.value.id].values]
        return None if any(v is None for v in values) else [name for v in values for name in v]
    return None


def _enclosing_functions(tree: ast.Module) -> dict[ast.Call, ast.FunctionDef]:
    owner = {}
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.Call):
                    owner[node] = function
    return owner


def scan_source(source: str, where: str, found: Found, callers: list[tuple[ast.Module, str]] | None = None) -> None:
    """Collect the action names of every audit append in ``source``.

    An action is a literal, a conditional between literals, a lookup in a module-level dict of literals, or
    a parameter of a helper that forwards it to ``append`` (then every call of the helper, in ``callers``
    (module trees and their names; by default ``source`` alone), passes one of those). Anything else, such
    as an f-string, is reported as unreadable: the names must be spelt out so that this check sees them.
    """
    tree = ast.parse(source)
    callers = callers if callers is not None else [(tree, where)]
    dicts, owner = _module_dicts(tree), _enclosing_functions(tree)
    for call in [n for n in ast.walk(tree) if isinstance(n, ast.Call) and _is_append(n)]:
        keywords = {k.arg: k.value for k in call.keywords}
        object_type = keywords.get("object_type")
        object_type = object_type.value if isinstance(object_type, ast.Constant) else None
        action = keywords["action"]
        function = owner.get(call)
        params = [a.arg for a in function.args.args + function.args.kwonlyargs] if function else []
        if isinstance(action, ast.Name) and action.id in params:
            _scan_forwarder(callers, function, params.index(action.id), action.id, object_type, where, found)
            continue
        names = _literals(action, dicts)
        if names is None:
            found.unreadable.append(f"{where}:{call.lineno}: {ast.unparse(action)}")
        else:
            found.actions.extend((name, object_type, f"{where}:{call.lineno}") for name in names)


def _calls_of(tree: ast.Module, name: str) -> list[ast.Call]:
    """Calls of ``name`` as a plain name or as a module's attribute (``rules.audit_meeting(...)``)."""
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and (
        (isinstance(n.func, ast.Name) and n.func.id == name)
        or (isinstance(n.func, ast.Attribute) and n.func.attr == name))]


def _scan_forwarder(callers, function, position, keyword, object_type, where, found) -> None:
    seen = False
    for tree, caller in callers:
        dicts = _module_dicts(tree)
        for call in _calls_of(tree, function.name):
            seen = True
            given = {k.arg: k.value for k in call.keywords}.get(keyword)
            if given is None and position < len(call.args):
                given = call.args[position]
            names = _literals(given, dicts) if given is not None else None
            if names is None:
                found.unreadable.append(f"{caller}:{call.lineno}: {ast.unparse(call)}")
            else:
                found.actions.extend((name, object_type, f"{caller}:{call.lineno}") for name in names)
    if not seen:
        found.unreadable.append(f"{where}:{function.lineno}: {function.name} forwards an action but is never called")


def scan_code() -> Found:
    found = Found()
    # the audit package defines append; it appends nothing itself
    sources = {str(path.relative_to(JUDGING.parent)): path.read_text(encoding="utf-8")
               for path in sorted(JUDGING.rglob("*.py")) if path.parent.name != "audit"}
    callers = [(ast.parse(source), where) for where, source in sources.items()]
    for where, source in sources.items():
        scan_source(source, where, found, callers)
    return found


# ------------------------------------------------------------------------------ static checks

def test_every_action_the_code_appends_has_a_catalogue_entry_and_names_its_object_type():
    found = scan_code()
    assert found.unreadable == []
    missing = sorted({f"{where}: {action}" for action, _type, where in found.actions if action not in ACTIONS})
    assert missing == []
    # noun.verb_past, and the noun is the object type the event is stored with
    wrong = sorted(f"{where}: {action} on {object_type}" for action, object_type, where in found.actions
                   if not ACTION_NAME.match(action) or action.split(".")[0] != object_type)
    assert wrong == []


def test_every_catalogue_entry_is_an_action_the_code_appends():
    from judging.audit.sealer import GAP_ACTION

    appended = {action for action, _type, _where in scan_code().actions}
    # The sealer writes the one event that no transaction appends: a rolled-back number, sealed as a gap.
    assert sorted(set(ACTIONS) - appended - {GAP_ACTION}) == []


def test_an_action_built_at_run_time_is_reported_not_skipped():
    source = '''
from judging import audit
KINDS = {1: "nomination.formal_review_passed", 2: f"nomination.{2}"}
def decide(session, by, outcome, kind):
    audit.append(session, actor=by, action=f"nomination.{outcome}", object_type="nomination", object_id=1)
    audit.append(session, actor=by, action=KINDS[kind], object_type="nomination", object_id=1)
    audit.append(session, actor=by, action="nomination." + outcome, object_type="nomination", object_id=1)
def _audit(session, by, action):
    audit.append(session, actor=by, action=action, object_type="meeting", object_id=1)
def cancel(session, by, why):
    _audit(session, by, "meeting.cancelled")
    _audit(session, by, why)
'''
    found = Found()
    scan_source(source, "example.py", found)
    assert [line.split(":")[1] for line in found.unreadable] == ["5", "6", "7", "12"]
    assert [(action, object_type) for action, object_type, _ in found.actions] == [("meeting.cancelled", "meeting")]


def test_legacy_names_point_to_current_or_retired_entries():
    known = set(ACTIONS) | set(RETIRED_ACTIONS)
    assert sorted(a for a, target in LEGACY_ALIASES.items() if target not in known) == []
    assert sorted(set(LEGACY_ALIASES) & known) == []


def test_a_retired_action_keeps_its_own_meaning_and_no_code_writes_it():
    assert set(RETIRED_ACTIONS).isdisjoint(ACTIONS)
    assert set(RETIRED_ACTIONS).isdisjoint(action for action, _type, _where in scan_code().actions)
    assert entry_for("meeting.paper_discarded") is RETIRED_ACTIONS["meeting.paper_ballot_discarded"]
    assert entry_for("auth.login") is ACTIONS["user.logged_in"]
    assert entry_for("formal_review.returned") is ACTIONS["nomination.formal_review_returned"]
    assert entry_for("no.such_action") is None


def test_every_label_and_description_reads_in_chinese_and_english():
    chinese, english = translations("zh_CN"), translations("en")
    entries = [*ACTIONS.values(), *RETIRED_ACTIONS.values()]
    texts = [t for e in entries for t in (e.label, e.description)] + list(SYSTEM_ACTORS.values())
    assert sorted(t for t in texts if not re.search(r"[\u4e00-\u9fff]", chinese.gettext(t))) == []
    assert all(english.gettext(t) == t for t in texts)
    labels = [chinese.gettext(e.label) for e in ACTIONS.values()]
    assert sorted({label for label in labels if labels.count(label) > 1}) == []  # an auditor tells them apart


def test_system_actors_are_the_declared_ones():
    """Actor.system(...) is called with a declared name (or none: "system") everywhere in the code."""
    names = set()
    for path in JUDGING.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "system" \
                    and ast.unparse(node.func.value).endswith("Actor"):
                names.add(node.args[0].value if node.args and isinstance(node.args[0], ast.Constant)
                          else ast.unparse(node.args[0]) if node.args else "system")
    assert names and sorted(names - set(SYSTEM_ACTORS)) == []


# ------------------------------------------------------------------------------ stored events

def test_every_stored_action_has_an_entry_after_the_demo_and_some_use(client, demo, session_factory):
    token = csrf_token(client)
    client.post("/login", data={"username": "organizer", "password": "wrong-password", "_csrf_token": token})
    item = open_items(session_factory, "judge01")[0]
    login(client, "judge01", DEMO_PASSWORDS["judge"])
    assert post_sheet(client, item, values=item.values(5)).status_code == 200
    token, _ = page_token(client, "/judge")
    client.post("/logout", data={"_csrf_token": token})
    login(client, "auditor", DEMO_PASSWORDS["auditor"])
    with session_factory() as session:
        stored = set(session.scalars(select(AuditEvent.action).distinct()))
    assert {"user.login_failed", "user.logged_in", "user.logged_out", "score_sheet.draft_saved"} <= stored
    assert sorted(stored - set(ACTIONS)) == []  # new events use current names, each with its entry

    page = client.get("/auditor").text
    assert '(score_sheet.draft_saved)">保存评分草稿</span>' in page  # the label, its code in the tooltip
    assert "<code>" not in page  # no event is shown by its raw code


def test_a_user_becomes_an_actor_in_one_place():
    """Actor(id, label) is built by accounts.actor_of (and by the job runner, from what start_job recorded)."""
    built = set()
    for path in JUDGING.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for function in [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]:
            for node in ast.walk(function):
                if isinstance(node, ast.Call) and ast.unparse(node.func) in ("Actor", "audit.Actor"):
                    built.add(f"{path.relative_to(JUDGING.parent)}:{function.name}")
    assert sorted(built) == ["judging/accounts/service.py:actor_of", "judging/jobs/service.py:run_job"]


def test_every_detail_an_event_records_is_labelled_in_words():
    """The keys of every ``data={...}`` the code writes have a label on the auditor's log (else the raw key,
    ``approved_on``, is what a Chinese reader sees) and that label has a Chinese translation."""
    from judging.results.naming import OPTION_NAMES
    from judging.web.audit_view import FIELDS

    keys: dict[str, str] = {}
    for path in sorted(JUDGING.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if keyword.arg == "data" and isinstance(keyword.value, ast.Dict):
                        keys.update({k.value: path.name for k in keyword.value.keys
                                     if isinstance(k, ast.Constant) and isinstance(k.value, str)})
    assert len(keys) > 50, "the scan must find the events' details"
    unlabelled = sorted(f"{key} ({where})" for key, where in keys.items() if key not in FIELDS and key not in OPTION_NAMES)
    assert unlabelled == []
    zh = translations("zh_CN")
    assert [label for label in FIELDS.values() if zh.gettext(label) == label] == []

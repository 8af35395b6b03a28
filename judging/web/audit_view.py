"""An audit event as an auditor reads it: action and object in words, the details as labelled values (a change
as before → after), the time in the competition's zone, and where the object can be looked at."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from judging.audit.catalogue import SYSTEM_ACTORS, entry_for
from judging.audit.models import AuditEvent
from judging.errors import N_
from judging.i18n import known_message
from judging.results.naming import OPTION_NAMES, rule_words, tie_rule_words
from judging.scoring.rules import FAMILIARITY_LABELS
from judging.stages.models import STAGE_LABELS, StageKind

Gettext = Callable[[str], str]

OBJECT_TYPES = {
    "user": N_("Account"), "job": N_("Background job"), "edition": N_("Edition"), "category": N_("Category"),
    "nomination": N_("Nomination"), "nomination_import": N_("Nomination import"), "round": N_("Round"),
    "score_sheet": N_("Score sheet"), "assignment": N_("Assignment"), "assignment_plan": N_("Assignment plan"),
    "conflict": N_("Conflict of interest"), "employer_group": N_("Employer group"), "expert": N_("Expert"),
    "expert_pool": N_("Expert pool"), "result_run": N_("Result run"), "document": N_("Document"),
    "meeting": N_("Panel meeting"), "notice": N_("Public notice"), "objection": N_("Objection"),
    "stage": N_("Stage"),
}

FIELDS = {
    "archive": N_("Attachment archive"), "assignment_id": N_("Assignment"), "attachment_flags": N_("Attachment flags"),
    "automatic_recusals": N_("Automatic recusals"), "ballots": N_("Ballots"), "categories": N_("Categories"),
    "category": N_("Category"), "category_id": N_("Category"), "chain_head_printed": N_("Chain head printed"),
    "chain_length_printed": N_("Chain length printed"), "chair": N_("Chair"), "checks": N_("Checks"),
    "client": N_("Client address"), "closes_at": N_("Closes"), "comment": N_("Comment"), "conflicts_avoided":
    N_("Conflicts avoided"), "count": N_("Count"), "created": N_("Created"), "deadline": N_("Deadline"),
    "decision_id": N_("Decision"), "digest": N_("Digest"), "display_name": N_("Name"),
    "duplicate_flags": N_("Duplicate flags"), "edition_status": N_("Edition status"), "employer": N_("Employer"),
    "end": N_("End"), "ends_on": N_("Ends on"), "engine_version": N_("Engine version"), "errors": N_("Errors"),
    "expert": N_("Expert"), "expert_ids": N_("Experts"), "familiarity": N_("Familiarity"), "file": N_("File"),
    "filename": N_("File"), "from": N_("From"), "grades": N_("Grades"), "grounds_sha256": N_("Digest of the grounds"),
    "input_digest": N_("Input digest"), "items": N_("Items"), "k": N_("Judges per nomination"),
    "keep_valid": N_("Keep the valid rows"), "kind": N_("Kind"), "members": N_("Members"), "member": N_("Member"),
    "method": N_("Method"), "mode": N_("Mode"), "name": N_("Name"), "nomination": N_("Nomination"),
    "nominations": N_("Nominations"), "notice": N_("Public notice"), "objection": N_("Objection"),
    "opens_at": N_("Opens"), "options": N_("Options"), "output_digest": N_("Output digest"),
    "override_reason": N_("Reason for overriding"), "pages": N_("Pages"), "pairs": N_("Pairs"),
    "plan_id": N_("Plan"), "present": N_("Present"), "previous_user_id": N_("Previous account"),
    "quorum": N_("Quorum"), "reason": N_("Reason"), "reasons": N_("Reasons"), "rejected_rows": N_("Rejected rows"),
    "replaces": N_("Replaces"), "results": N_("Results"), "role": N_("Role"), "round": N_("Round"),
    "round_id": N_("Round"), "rounds": N_("Rounds"), "run_id": N_("Result run"), "seats": N_("Seats"),
    "seed": N_("Seed"), "settings": N_("Settings"), "sha256": N_("SHA-256"), "shortlist": N_("Shortlist"),
    "source": N_("Source"), "start": N_("Start"), "starts_on": N_("Starts on"), "status": N_("Status"),
    "subject_id": N_("Subject"), "subject_type": N_("Subject kind"), "text": N_("Text"),
    "text_sha256": N_("Digest of the text"), "threshold": N_("Pass threshold"), "top_m": N_("Shortlisted"),
    "total": N_("Total"), "unchanged": N_("Unchanged"), "units": N_("Units"), "unsubmitted": N_("Unsubmitted"),
    "updated": N_("Updated"), "user_id": N_("Account"), "username": N_("Username"), "values": N_("Scores"),
    "version": N_("Version"), "year": N_("Year"), "before": N_("Before"), "after": N_("After"),
    "tie_rule": N_("Tie rule"), "conflict_same_city": N_("Same city is a conflict"), "by": N_("By"),
    # nested: a run's options, an assignment's settings and the conflicts it avoided
    "confidence": N_("Familiarity weights"), "method_options": N_("Method options"),
    "requested": N_("Options asked for"), "reps": N_("Bootstrap replicates"), "score": N_("Score"),
    "top_n": N_("Places"), "within_components": N_("Compute each component separately"),
    "fairness": N_("Fairness"), "max_load": N_("Most items per judge"), "min_load": N_("Fewest items per judge"),
    "max_probability": N_("Highest probability of a pair"), "n_panels": N_("Panels"), "overlap": N_("Overlap"),
    "panel_size": N_("Panel size"), "same_city": N_("Same city"), "same_employer": N_("Same employer"),
    "same_group": N_("Same employer group"), "declared": N_("Declared by the judge"), "organizer": N_("Organizer"),
    # the later parts' events (intake review, people, draws, rules, notifications)
    "acknowledged_detected": N_("Detector findings acknowledged"),
    "acknowledged_flags": N_("Flags acknowledged"),
    "acknowledged_leftovers": N_("Leftovers acknowledged"),
    "added": N_("Added"),
    "approved_on": N_("Approved on"),
    "assignments": N_("Assignments"),
    "candidates": N_("Eligible experts"),
    "changed_scores": N_("Changed scores"),
    "changes": N_("Changes"),
    "channel": N_("Channel"),
    "check": N_("Check"),
    "city": N_("City"),
    "detail": N_("Detail"),
    "drawn": N_("Drawn"),
    "edition": N_("Edition"),
    "editions": N_("Editions"),
    "email": N_("E-mail"),
    "employers": N_("Employers"),
    "event": N_("Event"),
    "excluded": N_("Excluded"),
    "expert_id": N_("Expert"),
    "experts": N_("Experts"),
    "expires_at": N_("Expires"),
    "final_round": N_("Final round"),
    "finding": N_("Finding"),
    "flag": N_("Flag"),
    "flags": N_("Flags"),
    "from_expert": N_("From expert"),
    "id": N_("Identifier"),
    "inputs_match": N_("Inputs match"),
    "invited": N_("Invited"),
    "message_id": N_("Message ID"),
    "new_draw": N_("New draw"),
    "nomination_id": N_("Nomination"),
    "notice_version": N_("Notice version"),
    "on": N_("On"),
    "other_sessions_ended": N_("Other sessions ended"),
    "outputs_match": N_("Outputs match"),
    "params": N_("Parameters"),
    "place": N_("Place name"),
    "previous": N_("Previous value"),
    "purpose": N_("Purpose"),
    "reference": N_("Document number"),
    "rubric": N_("Rubric"),
    "sessions_ended": N_("Sessions ended"),
    "short_name": N_("Short name"),
    "spec": N_("Specialties wanted"),
    "through": N_("Through"),
    "to_expert": N_("To expert"),
    "token_id": N_("One-time link"),
    "until": N_("Until"),
    "withdrawn": N_("Withdrawn"),
    "withdrawn_assignment": N_("Withdrawn assignment"),
    "withdrawn_assignments": N_("Withdrawn assignments"),
    # the cities' online nominations and their quotas per category
    "fields_changed": N_("Fields changed"), "files_added": N_("Files added"), "files_removed": N_("Files removed"),
    "quota": N_("Quota"), "submitted": N_("Submitted"), "import_id": N_("Intake report"),
    "correction": N_("Correction after a return"), "category_totals": N_("Total per category"),
}
CODES = {
    "mode": {"k": N_("k judges per nomination"), "blocks": N_("Panels"), "panels": N_("Panels")},
    "kind": {"notice": N_("Public notice"), "ranking": N_("Ranking"), "nomination": N_("Nomination"),
             "judge": N_("Judge"), "audit": N_("Audit"), "tally_sheet": N_("Tally sheet"),
             "manual": N_("Manual"), "attachments": N_("Attachments")},
    "method": {"online": N_("Online"), "paper": N_("Paper")},
    "source": {"demo": N_("Demo set-up")},
}
# Reasons the system itself writes (stored in English, in the chain for good), read in the reader's language.
SYSTEM_REASONS = [(re.compile(r"result run (\d+) approved"), N_("Result run #{0} approved"))]
HEX_DIGEST = re.compile(r"[0-9a-f]{40,64}")
ISO_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
LIST_SHOWN = 12
TEXT_SHOWN = 160


@dataclass(frozen=True)
class Detail:
    label: str
    value: str
    before: str | None = None  # a change: before → after (value holds after)


@dataclass(frozen=True)
class EventView:
    seq: int
    when: str
    actor: str
    action: str
    description: str
    code: str
    object_label: str
    object_link: str | None
    object_filter: str
    details: list[Detail]
    hash: str | None  # None until the sealer has chained the event


def object_link(object_type: str, object_id: str) -> str | None:
    """The page an auditor reads the object on, where there is one."""
    if not object_id.isdigit():
        return None
    return {"nomination": f"/auditor/nominations/{object_id}", "result_run": f"/results/runs/{object_id}",
            "meeting": f"/meetings/{object_id}", "notice": f"/public/notices/{object_id}",
            "category": f"/organizer/formal-review/categories/{object_id}",
            "edition": f"/organizer/editions/{object_id}/stages", "job": f"/jobs/{object_id}"}.get(object_type)


def _scalar(key: str, value: Any, gettext: Gettext, zone: ZoneInfo) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return gettext(N_("yes") if value else N_("no"))
    if not isinstance(value, str):
        return str(value)
    if key == "method" and value not in CODES["method"]:
        return rule_words(value, None, gettext)
    if key == "tie_rule":
        return tie_rule_words(value, gettext)
    if key == "familiarity" and value in FAMILIARITY_LABELS:
        return gettext(FAMILIARITY_LABELS[value])
    if key == "kind" and value in StageKind.__members__.values():
        return gettext(STAGE_LABELS[StageKind(value)])
    if key in ("subject_type", "object_type") and value in OBJECT_TYPES:
        return gettext(OBJECT_TYPES[value])
    for pattern, message in SYSTEM_REASONS if key == "reason" else ():
        if match := pattern.fullmatch(value):
            return gettext(message).format(*match.groups())
    if value in CODES.get(key, {}):
        return gettext(CODES[key][value])
    if HEX_DIGEST.fullmatch(value):
        return value[:12] + "…"
    if ISO_INSTANT.match(value):
        try:
            return dt.datetime.fromisoformat(value).astimezone(zone).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            return value
    if known_message(value):
        return gettext(value)
    return value if len(value) <= TEXT_SHOWN else value[:TEXT_SHOWN] + "…"


def _value(key: str, value: Any, gettext: Gettext, zone: ZoneInfo, depth: int = 0) -> str:
    if isinstance(value, list):
        if any(isinstance(v, (dict, list)) for v in value) or depth > 0 and len(value) > LIST_SHOWN:
            return gettext(N_("{count} entries")).format(count=len(value))
        shown = "、".join(_scalar(key, v, gettext, zone) for v in value[:LIST_SHOWN])
        return shown + ("…" + gettext(N_("{count} entries")).format(count=len(value)) if len(value) > LIST_SHOWN
                        else "") if value else "—"
    if isinstance(value, dict):
        if depth > 0:
            return gettext(N_("{count} entries")).format(count=len(value))
        return "；".join(f"{_label(k, gettext)}：{_value(k if not k.isdigit() else key, v, gettext, zone, 1)}"
                        for k, v in value.items()) or "—"
    return _scalar(key, value, gettext, zone)


def _label(key: str, gettext: Gettext) -> str:
    if key.isdigit():
        return "#" + key  # a criterion or an id, as the payload keys them
    if key in FIELDS:
        return gettext(FIELDS[key])
    return gettext(OPTION_NAMES[key]) if key in OPTION_NAMES else key


def details(data: dict[str, Any], gettext: Gettext, zone: ZoneInfo) -> list[Detail]:
    """The payload as labelled values; a ``before``/``after`` pair (or ``x`` beside ``before_x``) as a change."""
    rows: list[Detail] = []
    before, after = data.get("before"), data.get("after")
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            old, new = before.get(key), after.get(key)
            if old != new:
                rows.append(Detail(_label(key, gettext), _value(key, new, gettext, zone),
                                   _value(key, old, gettext, zone)))
    elif "before" in data and "after" in data:
        rows.append(Detail(gettext(N_("Change")), _value("", after, gettext, zone), _value("", before, gettext, zone)))
    for key, value in data.items():
        if key in ("before", "after") or key.startswith("before_"):
            continue
        if f"before_{key}" in data:
            rows.append(Detail(_label(key, gettext), _value(key, value, gettext, zone),
                               _value(key, data[f"before_{key}"], gettext, zone)))
        else:
            rows.append(Detail(_label(key, gettext), _value(key, value, gettext, zone)))
    return rows


def view(event: AuditEvent, gettext: Gettext, zone: ZoneInfo, *,
         linkable: set[tuple[str, str]] | None = None) -> EventView:
    """``linkable``: the (type, id) whose page exists for the reader (None: every object with a page)."""
    entry = entry_for(event.action)
    system_actor = SYSTEM_ACTORS.get(event.actor) if event.actor_id is None else None
    data = json.loads(event.body).get("data") or {}
    kind = gettext(OBJECT_TYPES[event.object_type]) if event.object_type in OBJECT_TYPES else event.object_type
    return EventView(
        seq=event.seq, when=event.at.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"),
        actor=gettext(system_actor) if system_actor else event.actor,
        action=gettext(entry.label) if entry else event.action,
        description=gettext(entry.description) if entry else "", code=event.action,
        object_label=f"{kind} #{event.object_id}" if event.object_id else kind,
        object_link=object_link(event.object_type, event.object_id)
        if linkable is None or (event.object_type, event.object_id) in linkable else None,
        object_filter="?" + urlencode({"object_type": event.object_type, "object_id": event.object_id}),
        details=details(data if isinstance(data, dict) else {"data": data}, gettext, zone), hash=event.hash)

"""Who may do what: small predicates combined with ``&``, ``|``, ``~`` into named permissions (pretalx's rules).

A predicate answers for one user and one object. When it fails it says why: a translatable reason, and
whether the user may not even know the object is there (``hidden``: answered 404, as for an unknown id)
or may see it but not do this now (answered 403 with the reason, e.g. the stage it needs).

Each part declares its permissions next to the domain they guard (``judging/<part>/permissions.py``);
``judging.parts`` lists them, so the whole set can be enumerated (the access matrix in docs/access.md is
built from it), and installs them here so a guard, a template or a service may name one by its name.
``can(user, permission, obj)`` is the one question all of them ask.

Besides answering for a real object, every predicate answers for a *situation* (a role and the stage a
category is in) with True, False or None ("it depends on the object"): that is how the access matrix is
generated from the declarations without a database.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session, object_session

from judging.accounts.models import Role, User
from judging.errors import JudgingError, N_, NotFound


class MessageId(str):
    """A reason's parameter that is itself a message id (a stage's name): translated when the reason is shown."""


class MessageIds(tuple):
    """A reason's parameter made of several message ids (the stages that allow a piece of work), shown joined."""


def _shown(value: Any, gettext: Callable[[str], str]) -> Any:
    if isinstance(value, MessageIds):
        return " / ".join(gettext(v) for v in value)
    return gettext(value) if isinstance(value, MessageId) else value


@dataclass(frozen=True)
class Reason:
    """Why a predicate failed: an English message id and its named parameters."""

    message: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def render(self, gettext: Callable[[str], str]) -> str:
        return gettext(self.message).format(**{name: _shown(value, gettext) for name, value in self.params.items()})


class Refused(JudgingError):
    """A permission refused: nothing was changed; the reason names the stage or approval it needs (HTTP 403)."""

    def __init__(self, permission: str, reason: Reason) -> None:
        super().__init__(reason.message, **reason.params)
        self.permission, self.reason = permission, reason
        self.args = (reason.render(lambda message: message),)  # str(): the English text, stage names joined

    def __str__(self) -> str:
        return self.args[0]

    def render(self, gettext: Callable[[str], str]) -> str:
        return self.reason.render(gettext)


@dataclass(frozen=True)
class Situation:
    """A role and the stage a category is in (its kind's value; every earlier stage closed, every later one
    pending), for which a predicate answers without an object: True, False, or None when it depends on it."""

    role: Role | None
    stage: str | None = None


@dataclass
class Ask:
    """One question: who asks, about what, with which database session (the object's own by default)."""

    user: User | None
    obj: Any = None
    _session: Session | None = None
    cache: dict[Any, Any] = field(default_factory=dict)

    @property
    def session(self) -> Session:
        session = self._session or (object_session(self.obj) if self.obj is not None else None)
        if session is None:
            raise RuntimeError("this permission reads stored state: pass session= or an object attached to one")
        return session


@dataclass(frozen=True)
class Decision:
    allowed: bool
    hidden: bool = False
    reason: Reason | None = None

    def __bool__(self) -> bool:
        return self.allowed


ALLOWED = Decision(True)


class Predicate:
    """A named test of (user, object); ``hidden`` failures answer 404, the others 403 with ``reason``."""

    def __init__(self, name: str, test: Callable[[Ask], bool], *, reason: str = N_("You may not do this."),
                 params: Callable[[Ask], Mapping[str, Any]] | None = None, hidden: bool = False,
                 negation: str | None = None, situation: Callable[[Situation], bool | None] | None = None) -> None:
        self.name, self.test, self.reason, self.params = name, test, reason, params
        self.hidden, self.negation, self.situation = hidden, negation, situation

    def __repr__(self) -> str:
        return self.name

    def decide(self, ask: Ask) -> Decision:
        if self.test(ask):
            return ALLOWED
        return Decision(False, self.hidden, Reason(self.reason, dict(self.params(ask)) if self.params else {}))

    def answer(self, situation: Situation) -> bool | None:
        return self.situation(situation) if self.situation else None

    def __and__(self, other: Predicate) -> Predicate:
        return _All((self, other))

    def __or__(self, other: Predicate) -> Predicate:
        return _Any((self, other))

    def __invert__(self) -> Predicate:
        return _Not(self)


class _All(Predicate):
    def __init__(self, parts: Iterable[Predicate]) -> None:
        self.parts = tuple(p for part in parts for p in (part.parts if isinstance(part, _All) else (part,)))
        super().__init__(" & ".join(_wrap(p) for p in self.parts), lambda ask: all(p.decide(ask) for p in self.parts))

    def decide(self, ask: Ask) -> Decision:
        for part in self.parts:  # the first failure speaks: who before when, as declared
            decision = part.decide(ask)
            if not decision:
                return decision
        return ALLOWED

    def answer(self, situation: Situation) -> bool | None:
        answers = [p.answer(situation) for p in self.parts]
        return False if False in answers else (None if None in answers else True)


class _Any(Predicate):
    def __init__(self, parts: Iterable[Predicate]) -> None:
        self.parts = tuple(p for part in parts for p in (part.parts if isinstance(part, _Any) else (part,)))
        super().__init__(" | ".join(_wrap(p) for p in self.parts), lambda ask: any(p.decide(ask) for p in self.parts))

    def decide(self, ask: Ask) -> Decision:
        refusals = []
        for part in self.parts:
            decision = part.decide(ask)
            if decision:
                return decision
            refusals.append(decision)
        # Hidden only if every alternative hides; otherwise the first that the user could satisfy explains.
        visible = [d for d in refusals if not d.hidden]
        return visible[0] if visible else refusals[0]

    def answer(self, situation: Situation) -> bool | None:
        answers = [p.answer(situation) for p in self.parts]
        return True if True in answers else (None if None in answers else False)


class _Not(Predicate):
    def __init__(self, inner: Predicate) -> None:
        self.inner = inner
        super().__init__("~" + _wrap(inner), lambda ask: not inner.decide(ask),
                         reason=inner.negation or N_("You may not do this."), params=inner.params, hidden=inner.hidden)

    def answer(self, situation: Situation) -> bool | None:
        answer = self.inner.answer(situation)
        return None if answer is None else not answer


def _wrap(p: Predicate) -> str:
    return f"({p.name})" if isinstance(p, (_All, _Any)) else p.name


def predicate(name: str | None = None, **options: Any) -> Callable[[Callable[[Ask], bool]], Predicate]:
    """Declare a predicate from a function of :class:`Ask` (``reason``, ``hidden``, ``situation``...)."""

    def make(test: Callable[[Ask], bool]) -> Predicate:
        return Predicate(name or test.__name__, test, **options)
    return make


# ---- who: failing these hides the object (404), as if nothing were there -------------------------------

def has_role(*roles: Role) -> Predicate:
    return Predicate("is_" + "_or_".join(r.value for r in roles),
                     lambda ask: ask.user is not None and ask.user.role in roles,
                     hidden=True, situation=lambda s: s.role in roles)


is_organizer = has_role(Role.ORGANIZER)
is_auditor = has_role(Role.AUDITOR)
is_admin = has_role(Role.ADMIN)
is_judge = has_role(Role.JUDGE)
is_nominator = has_role(Role.NOMINATOR)
is_logged_in = Predicate("is_logged_in", lambda ask: ask.user is not None, hidden=True,
                         situation=lambda s: s.role is not None)
anyone = Predicate("anyone", lambda ask: True, situation=lambda s: True)


@dataclass(frozen=True)
class Permission:
    """A named action on a kind of object, and the rule that allows it.

    ``label`` is a message id for the access matrix; ``irreversible`` marks the actions that go through a
    confirmation step (and whose buttons show the reason when refused); ``audit_refusals`` marks those that
    touch an integrity rule (publication, unblinding, ballots), whose refusals the guard records."""

    name: str
    rule: Predicate
    label: str = ""
    irreversible: bool = False
    audit_refusals: bool = False

    def __repr__(self) -> str:
        return f"<Permission {self.name}: {self.rule.name}>"


def permission(name: str, rule: Predicate, label: str = "", *, irreversible: bool = False,
               audit_refusals: bool = False) -> Permission:
    return Permission(name, rule, label, irreversible, audit_refusals)


_REGISTRY: dict[str, Permission] = {}


def install_permissions(permissions: Iterable[Permission]) -> None:
    """Every part's permissions, by name (``judging.parts`` assembles them); a name used twice is a mistake."""
    found: dict[str, Permission] = {}
    for p in permissions:
        if p.name in found and found[p.name] is not p:
            raise ValueError(f"permission {p.name!r} is declared twice")
        found[p.name] = p
    _REGISTRY.clear()
    _REGISTRY.update(found)


def registered() -> dict[str, Permission]:
    return dict(_REGISTRY)


def get(name: str | Permission) -> Permission:
    if isinstance(name, Permission):
        return name
    try:
        return _REGISTRY[name]
    except KeyError:
        raise LookupError(f"no permission named {name!r} is installed (judging.parts lists them)") from None


def decide(user: User | None, perm: str | Permission, obj: Any = None, *, session: Session | None = None) -> Decision:
    return get(perm).rule.decide(Ask(user, obj, session))


def can(user: User | None, perm: str | Permission, obj: Any = None, *, session: Session | None = None) -> bool:
    """The one question: may ``user`` do ``perm`` on ``obj`` now?"""
    return decide(user, perm, obj, session=session).allowed


def require(user: User | None, perm: str | Permission, obj: Any = None, *, session: Session | None = None) -> None:
    """Refuse unless allowed: :class:`NotFound` where the user may not see ``obj``, else :class:`Refused`."""
    decision = decide(user, perm, obj, session=session)
    if decision.allowed:
        return
    if decision.hidden:
        raise NotFound(get(perm).name)
    raise Refused(get(perm).name, decision.reason or Reason(N_("You may not do this.")))


# ---- the pages of no single part ----------------------------------------------------------------------

PUBLIC = permission("public", anyone, N_("Read public pages, log in and out"))
LOGGED_IN = permission("jobs.view", is_logged_in, N_("Follow one's own background job"))
ADMIN = permission("accounts.admin", is_admin, N_("Manage accounts"))
ORGANIZER_HOME = permission("organizer.home", is_organizer, N_("The organizer's overview"))
AUDITOR_HOME = permission("auditor.home", is_auditor, N_("The audit log and its verification"))

PERMISSIONS = (PUBLIC, LOGGED_IN, ADMIN, ORGANIZER_HOME, AUDITOR_HOME)

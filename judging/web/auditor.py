"""The auditor's home: the audit log (in words, filtered, paged by sequence), its XLSX export, and verification
of the hash chain.

A page of the web layer: the audit log is below every part, but reading it names actors (accounts) and links
to the pages of the parts.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy import select

from judging.audit.catalogue import SYSTEM_ACTORS, entry_for
from judging.audit import chain_head, verify
from judging.accounts.permissions import AUDITOR_HOME
from judging.web.guards import requires
from judging.web.rendering import DbSession, render
from judging.accounts.models import User
from judging.audit import log
from judging.editions.service import current_edition_or_none
from judging.errors import N_
from judging.nominations.models import Nomination
from judging.tabular import XLSX_TYPE, xlsx_bytes
from judging.web.audit_view import OBJECT_TYPES, view
from judging.web.rendering import gettext_for

FILTER_FIELDS = ("actor", "action", "object_type", "object_id", "since", "until", "q")


def _zone(request: Request) -> ZoneInfo:
    return ZoneInfo(request.app.state.settings.timezone)


def _day(text: str | None, zone: ZoneInfo, *, end: bool = False) -> dt.datetime | None:
    """A local calendar day (YYYY-MM-DD) as the UTC instant it starts (or, for ``end``, the next day starts)."""
    try:
        day = dt.date.fromisoformat((text or "").strip())
    except ValueError:
        return None
    start = dt.datetime.combine(day + dt.timedelta(days=1 if end else 0), dt.time(), tzinfo=zone)
    return start.astimezone(dt.timezone.utc)


def _filters(request: Request) -> tuple[log.LogFilter, dict[str, str]]:
    """The filter asked for in the query, and the query values as given (for the form and the paging links)."""
    given = {name: (request.query_params.get(name) or "").strip()[:200] for name in FILTER_FIELDS}
    zone = _zone(request)
    action = given["action"] if given["action"] in log.known_actions() else None
    where = log.LogFilter(actor=given["actor"] or None, action=action,
                          object_type=given["object_type"] or None, object_id=given["object_id"] or None,
                          since=_day(given["since"], zone), until=_day(given["until"], zone, end=True),
                          text=given["q"] or None)
    return where, {k: v for k, v in given.items() if v}


def _linkable(db, events) -> set[tuple[str, str]]:
    """The objects whose page an auditor can open: the nomination pages show the current edition's only."""
    ids = {int(e.object_id) for e in events if e.object_type == "nomination" and e.object_id.isdigit()}
    edition = current_edition_or_none(db)
    current = set(db.scalars(select(Nomination.id).where(Nomination.id.in_(ids),
                                                          Nomination.edition_id == edition.id))) \
        if ids and edition else set()
    return {(e.object_type, e.object_id) for e in events
            if e.object_type != "nomination" or e.object_id.isdigit() and int(e.object_id) in current}


class AuditorController(Controller):
    path = "/auditor"
    guards = [requires(AUDITOR_HOME)]

    @get("/", sync_to_thread=True)
    def home(self, request: Request, db: DbSession, older: FromQuery[int | None] = None,
             newer: FromQuery[int | None] = None) -> Template:
        where, given = _filters(request)
        found = log.page(db, where=where, older_than=older, newer_than=None if older is not None else newer)
        gettext, zone = gettext_for(request), _zone(request)
        query = urlencode(given)
        actions = sorted(((name, gettext(entry_for(name).label)) for name in log.known_actions()),
                         key=lambda pair: pair[1])
        actors = [(name, gettext(label)) for name, label in SYSTEM_ACTORS.items()] + \
            [(name, name) for name in db.scalars(select(User.username).order_by(User.username))]
        rows = [view(e, gettext, zone, linkable=_linkable(db, found.events)) for e in found.events]
        return render(request, "pages/auditor_home.html", rows=rows,
                      newer=found.newer, older=found.older, query=query, given=given, actions=actions,
                      actors=actors, object_types=sorted(((t, gettext(label)) for t, label in OBJECT_TYPES.items()),
                                                         key=lambda pair: pair[1]),
                      filtered=not where.is_empty())

    @get("/log.xlsx", sync_to_thread=True)
    def export(self, request: Request, db: DbSession) -> Response:
        """The filtered log as a workbook (at most ``log.EXPORT_LIMIT`` events, newest first)."""
        where, given = _filters(request)
        gettext, zone = gettext_for(request), _zone(request)
        header = [gettext(h) for h in (N_("Sequence"), N_("Time"), N_("Actor"), N_("Action"), N_("Action code"),
                                       N_("Object"), N_("Details"), N_("Hash"))]
        rows = [header]
        for event in log.iter_matching(db, where=where):
            shown = view(event, gettext, zone)
            rows.append([shown.seq, shown.when, shown.actor, shown.action, shown.code, shown.object_label,
                         "\n".join(f"{d.label}：{d.before} → {d.value}" if d.before is not None
                                   else f"{d.label}：{d.value}" for d in shown.details), event.hash])
        # What the rows are: when they were taken, under which filter, and the chain head they end at.
        head = chain_head(db)
        about = [[gettext(N_("Made at")), dt.datetime.now(zone).strftime("%Y-%m-%d %H:%M:%S %z")],
                 [gettext(N_("Filter")), urlencode(given)], [gettext(N_("Events")), len(rows) - 1],
                 [gettext(N_("Chain length")), head.length], [gettext(N_("Chain head")), head.hash]]
        body = xlsx_bytes([(gettext(N_("Audit log")), rows), (gettext(N_("About this export")), about)])
        return Response(content=body, media_type=XLSX_TYPE,
                        headers={"content-disposition": 'attachment; filename="audit-log.xlsx"'})

    @get("/verify", sync_to_thread=True)
    def verify_chain(self, request: Request, db: DbSession) -> Template:
        result = verify(db)
        template = "fragments/verification.html" if request.headers.get("hx-request") == "true" \
            else "pages/verification.html"
        return render(request, template, result=result)

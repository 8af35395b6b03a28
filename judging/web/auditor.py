"""The auditor's home: the audit log (with the catalogue's labels), paged, and verification of the hash chain.

A page of the web layer: the audit log is below every part, but reading it names actors (accounts).
"""

from __future__ import annotations

import json

from litestar import Controller, Request, get
from litestar.params import FromQuery
from litestar.response import Template
from sqlalchemy import func, select

from judging.accounts.models import Role
from judging.audit.catalogue import SYSTEM_ACTORS, entry_for
from judging.audit.chain import verify
from judging.audit.models import AuditEvent
from judging.web.auth import requires_role
from judging.web.rendering import DbSession, render

PAGE_SIZE = 50


class AuditorController(Controller):
    path = "/auditor"
    guards = [requires_role(Role.AUDITOR)]

    @get("/", sync_to_thread=True)
    def home(self, request: Request, db: DbSession, page: FromQuery[int] = 1) -> Template:
        total = db.scalar(select(func.count()).select_from(AuditEvent))
        pages = max(1, -(-total // PAGE_SIZE))
        page = min(max(1, page), pages)
        events = db.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())
                            .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
        # Each row: the event, its payload, its catalogue entry (None for a name the catalogue lacks)
        # and the message id naming a system actor (None for a user, shown by username).
        rows = [(event, json.loads(event.body).get("data", {}), entry_for(event.action),
                 SYSTEM_ACTORS.get(event.actor) if event.actor_id is None else None) for event in events]
        return render(request, "pages/auditor_home.html", rows=rows, page=page, pages=pages, total=total)

    @get("/verify", sync_to_thread=True)
    def verify_chain(self, request: Request, db: DbSession) -> Template:
        result = verify(db)
        template = "fragments/verification.html" if request.headers.get("hx-request") == "true" \
            else "pages/verification.html"
        return render(request, template, result=result)

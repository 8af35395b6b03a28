"""A small edition walked through the stages up to an open public notice (公示) stage."""

from __future__ import annotations

import datetime as dt

from judging.results import service as results
from judging.stages.models import StageKind
from judging.stages.service import close_stage, open_stage, skip_stage
from tests.results.factories import ORGANIZER, make_small_edition

# Six nominations, three judges each; nomination n scores 9 - n (so the top 3 are nominations 0, 1, 2).
DESIGN = [(n, j, 9 - n) for n in range(6) for j in range(3)]
UTC = dt.timezone.utc


def at_notice_stage(session, *, top_n: int = 3, year: int = 2030) -> dict:
    """Recommendation closed, formal review and panel meeting skipped, the online run approved and
    unblinded, and the PUBLIC_NOTICE stage open."""
    world = make_small_edition(session, DESIGN, top_n=top_n, year=year)
    category = world["category"]
    open_stage(session, category_id=category.id, kind=StageKind.NOMINATION, by=ORGANIZER)
    close_stage(session, category_id=category.id, kind=StageKind.NOMINATION, by=ORGANIZER)
    skip_stage(session, category_id=category.id, kind=StageKind.FORMAL_REVIEW, reason="各市已审核", by=ORGANIZER)
    open_stage(session, category_id=category.id, kind=StageKind.ONLINE_REVIEW, by=ORGANIZER)
    run = results.create_run(session, round_id=world["round"].id, category_id=category.id, method="mean",
                             reps=20, by=ORGANIZER)
    results.approve_run(session, run=run, by=ORGANIZER)
    results.unblind(session, run=run, reason="公示前揭盲", by=ORGANIZER)
    close_stage(session, category_id=category.id, kind=StageKind.ONLINE_REVIEW, by=ORGANIZER)
    skip_stage(session, category_id=category.id, kind=StageKind.PANEL_MEETING, reason="本类别不设会议评审",
               by=ORGANIZER)
    open_stage(session, category_id=category.id, kind=StageKind.PUBLIC_NOTICE, by=ORGANIZER)
    session.flush()
    world["run"] = run
    return world

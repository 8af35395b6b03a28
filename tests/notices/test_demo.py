"""The demo holds, beside the current 2026 edition, a 2025 edition at the public notice stage with one
objection received and not yet handled."""

from __future__ import annotations

from sqlalchemy import select

from judging.audit.chain import verify
from judging.editions.models import CategoryKey, Edition
from judging.editions.service import current_edition
from judging.notices import service
from judging.notices.models import Objection, ObjectionStatus
from judging.stages.models import StageKind, StageStatus
from judging.stages.service import pipeline


def test_the_demo_has_a_2025_edition_at_the_notice_stage_with_one_objection_pending(session_factory, demo):
    with session_factory() as session:
        assert current_edition(session).year == 2026
        edition = session.scalars(select(Edition).where(Edition.year == 2025)).one()
        views = {view.category.key: view for view in pipeline(session, edition=edition)}
        assert all(view.current is StageKind.PUBLIC_NOTICE for view in views.values())
        assert all(dict((s.kind, s.status) for s in view.stages)[StageKind.PUBLIC_NOTICE] is StageStatus.OPEN
                   for view in views.values())
        achievement = views[CategoryKey.ACHIEVEMENT].category
        notice = service.current_notice(session, category_id=achievement.id)
        assert notice is not None and len(notice.entries) == 3 and not service.period_over(notice)
        (objection,) = session.scalars(select(Objection)).all()
        assert objection.status is ObjectionStatus.RECEIVED and objection.notice_id == notice.id
        assert [b.message for b in views[CategoryKey.ACHIEVEMENT].blockers] == [
            "the notice period runs until {date}", "{count} objections are open"]
        method = views[CategoryKey.OPERATING_METHOD].category
        assert service.current_notice(session, category_id=method.id).entries[0].named_as.endswith(
            ("操作法", "作业法", "工作法", "检修法"))
        assert service.current_notice(session, category_id=views[CategoryKey.SUGGESTION].category.id) is None
        assert verify(session).valid

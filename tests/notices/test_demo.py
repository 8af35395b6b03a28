"""The demo holds, beside the current 2026 edition (in online review), a 2025 edition walked through every
stage in order, with its dates in 2025, to the committee's approval and the publication; and its judges
accepted the undertaking before any of their sheets, with opinions of their own per item."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select

from judging import audit
from judging.audit import verify
from judging.awards import service as awards
from judging.awards.models import Publication
from judging.editions.models import CategoryKey, Edition
from judging.editions.service import current_edition
from judging.meetings.models import Meeting
from judging.nominations.models import Attachment, Nomination
from judging.notices import service
from judging.notices.models import Objection, ObjectionStatus
from judging.scoring.models import ScoreSheet, UndertakingAcceptance
from judging.panels.models import Assignment, Expert
from judging.stages.models import Stage, StageKind, StageStatus
from judging.stages.service import pipeline


def test_the_demo_walks_its_2025_edition_through_approval_and_publication_with_dates_in_2025(session_factory, demo):
    with session_factory() as session:
        assert current_edition(session).year == 2026
        edition = session.scalars(select(Edition).where(Edition.year == 2025)).one()
        views = {view.category.key: view for view in pipeline(session, edition=edition)}
        assert all(view.finished for view in views.values())
        stages = session.scalars(select(Stage).where(Stage.edition_id == edition.id)).all()
        moments = [m for s in stages for m in (s.opened_at, s.closed_at) if m is not None]
        assert moments and {m.astimezone(dt.timezone(dt.timedelta(hours=8))).year for m in moments} == {2025}

        achievement = views[CategoryKey.ACHIEVEMENT].category
        meeting = session.scalar(select(Meeting).where(Meeting.category_id == achievement.id))
        assert meeting.opens_at.year == 2025
        notice = service.current_notice(session, category_id=achievement.id)
        assert notice.version == 2 and notice.starts_on.year == notice.ends_on.year == 2025
        (objection,) = session.scalars(select(Objection)).all()
        assert objection.status is ObjectionStatus.UPHELD and objection.new_notice_id == notice.id
        assert "孙立华" in notice.entries[1].completers  # the correction the objection asked for
        corrected = session.scalars(select(audit.AuditEvent).where(
            audit.AuditEvent.action == "nomination.corrected")).one()
        assert "孙立华" not in json.loads(corrected.body)["data"]["before"]["completers"]

        for view in views.values():
            approval = service.approval_of(session, category_id=view.category.id)
            assert approval is not None and approval.approved_on.year == 2025
            published = session.scalars(select(Publication).where(
                Publication.year == 2025, Publication.category_key == view.category.key.value)
                .order_by(Publication.place)).all()
            assert [p.nomination_id for p in published] == [
                w.nomination_id for w in awards.approved_list(session, category_id=view.category.id)]
            assert published and all(p.published_at.year == 2025 and p.year == 2025 for p in published)
        medals = awards.may_day_list(session, edition=edition)
        assert {m.category.key for m in medals} == {CategoryKey.ACHIEVEMENT, CategoryKey.OPERATING_METHOD}
        method = views[CategoryKey.OPERATING_METHOD].category
        assert service.current_notice(session, category_id=method.id).entries[0].named_as.endswith(
            ("操作法", "作业法", "工作法", "检修法"))

        # Some nominations came with attachments, through the importer.
        with_files = session.scalar(select(func.count(func.distinct(Attachment.nomination_id))).join(
            Nomination, Nomination.id == Attachment.nomination_id).where(Nomination.edition_id == edition.id))
        assert 0 < with_files < session.scalar(select(func.count()).select_from(Nomination)
                                               .where(Nomination.edition_id == edition.id))
        assert verify(session).valid


def test_every_demo_judge_accepted_the_undertaking_before_any_sheet_and_wrote_their_own_opinions(session_factory,
                                                                                                  demo):
    with session_factory() as session:
        accepted = {(a.edition_id, a.user_id): a.accepted_at for a in session.scalars(select(UndertakingAcceptance))}
        rows = session.execute(
            select(ScoreSheet, Expert.user_id, Nomination.edition_id)
            .join(Assignment, Assignment.id == ScoreSheet.assignment_id)
            .join(Expert, Expert.id == Assignment.expert_id)
            .join(Nomination, Nomination.id == Assignment.nomination_id)).all()
        assert rows
        for sheet, user_id, edition_id in rows:
            moment = sheet.submitted_at or sheet.updated_at
            assert (edition_id, user_id) in accepted and accepted[(edition_id, user_id)] < moment
        opinions = [sheet.comment for sheet, _user, _edition in rows if sheet.comment]
        assert len(set(opinions)) > len(opinions) / 2  # not one text pasted on every sheet

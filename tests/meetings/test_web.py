"""The meeting pages: the organizer sets up and tallies, a member votes on their own device, the tally
sheet is a Chinese PDF with its fonts embedded; outsiders get 404."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import shutil
import subprocess
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from helpers import login
from judging import documents
from judging.audit.models import AuditEvent
from judging.accounts.models import User
from judging.demo import DEMO_PASSWORDS
from judging.meetings import service
from judging.meetings.models import Meeting, MeetingMember, MeetingStatus
from judging.panels.models import Expert
from tests.meetings.factories import demo_meeting, make_shares, roll_call
from tests.results.factories import ORGANIZER

ZONE = ZoneInfo("Asia/Shanghai")


def _csrf(client) -> str:
    if "csrftoken" not in client.cookies:
        client.get("/healthz")
    return client.cookies["csrftoken"]


def _post(client, url: str, data: dict | None = None, **kwargs):
    # Irreversible actions ask for confirmation first (tests/test_confirmations.py); these tests confirm at once.
    return client.post(url, data={"_csrf_token": _csrf(client), "confirmed": "1", **(data or {})},
                       follow_redirects=False, **kwargs)


def _ready(session_factory, *, present: int = 9) -> dict:
    with session_factory() as db:
        made = demo_meeting(db)
        roll_call(db, made["meeting"], present)
        codes = make_shares(db, made["meeting"])
        service.open_voting(db, meeting=made["meeting"], by=ORGANIZER)
        db.commit()
        rows = service.slot_rows(made["meeting"])
        return {"meeting_id": made["meeting"].id, "nominations": [r.nomination_id for r in rows],
                "handles": [r.handle for r in rows], "category_id": made["category_id"], "run_id": made["run"].id,
                "codes": codes}


def test_the_organizer_sets_up_a_meeting_from_the_form(client, demo, session_factory):
    with session_factory() as db:
        made = demo_meeting(db)
        category_id, run_id = made["category_id"], made["run"].id
        members = [e.id for e in made["experts"]]
        service.cancel_meeting(db, meeting=made["meeting"], reason="重新安排", by=ORGANIZER)
        db.commit()
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    page = client.get("/meetings")
    assert page.status_code == 200 and "会议评审" in page.text
    form = {"category_id": category_id, "run_id": run_id, "top_m": "4", "chair": str(members[0]),
            "opens_at": "2031-01-10T09:00", "closes_at": "2031-01-10T12:00", "quorum": "2/3", "threshold": "3/4",
            "member": [str(m) for m in members[:7]]}
    refused = _post(client, "/meetings", {**form, "threshold": "5/4"})
    assert refused.status_code == 400 and "通过比例" in refused.text
    created = _post(client, "/meetings", form)
    assert created.status_code in (302, 303)
    meeting_id = int(created.headers["location"].rsplit("/", 1)[1])
    with session_factory() as db:
        meeting = db.get(Meeting, meeting_id)
        assert (len(meeting.shortlist), len(meeting.members), meeting.threshold_num, meeting.threshold_den) == (
            4, 7, 3, 4)
        assert meeting.opens_at == dt.datetime(2031, 1, 10, 9, 0, tzinfo=ZONE)
        first = meeting.members[0].id
    assert _post(client, f"/meetings/{meeting_id}/attendance", {"member_id": first, "present": "1"}).status_code == 302
    page = client.get(f"/meetings/{meeting_id}")
    assert "7 名委员中 1 名到会" in page.text
    refused = _post(client, f"/meetings/{meeting_id}/open")
    assert refused.status_code == 400 and "请先登记全部委员的出席情况" in refused.text
    assert _post(client, "/meetings/999999/open").status_code == 404


def test_a_member_reviews_then_casts_a_ballot_once_and_outsiders_get_404(client, demo, session_factory):
    ready = _ready(session_factory)
    url = f"/judge/meetings/{ready['meeting_id']}"
    choices = {f"c_{handle}": "agree" for handle in ready["handles"]}
    login(client, "judge20", DEMO_PASSWORDS["judge"])
    assert client.get(url).status_code == 404
    assert _post(client, url + "/ballot", choices).status_code == 404
    client.cookies.clear()
    login(client, "judge02", DEMO_PASSWORDS["judge"])
    assert "/judge/meetings" in client.get("/judge/meetings").text
    page = client.get(url)
    assert page.status_code == 200 and 'type="radio"' in page.text
    assert all(f'name="c_{h}"' in page.text for h in ready["handles"])
    assert not any(f"{nid}" in re.findall(r'name="([^"]+)"', page.text) for nid in ready["nominations"])
    incomplete = _post(client, url + "/ballot", {f"c_{ready['handles'][0]}": "agree"})
    assert incomplete.status_code == 400 and "每个" in incomplete.text
    review = _post(client, url + "/ballot", choices)
    assert review.status_code == 200 and 'name="confirm"' in review.text
    with session_factory() as db:
        assert not db.scalar(select(MeetingMember.ballot_cast).join(Expert, Expert.id == MeetingMember.expert_id)
                             .where(Expert.email == "judge02@example.cn"))
    cast = _post(client, url + "/ballot", {**choices, "confirm": "1"})
    assert cast.status_code == 200 and "您的回执" in cast.text
    receipt = re.search(r'class="hash receipt-code">([0-9a-f]{64})<', cast.text).group(1)
    page = client.get(url)
    assert "您的表决票已投出" in page.text and 'type="radio"' not in page.text and receipt not in page.text
    again = _post(client, url + "/ballot", {**choices, "confirm": "1"})
    assert again.status_code == 409
    with session_factory() as db:
        meeting = db.get(Meeting, ready["meeting_id"])
        assert [b.receipt for b in service.stored_ballots(db, meeting)] == [receipt]
        assert [r.agree for r in meeting.shortlist] == [0] * len(meeting.shortlist)  # nothing counted in the clear


def test_auditors_read_the_meeting_but_cannot_change_it(client, demo, session_factory):
    ready = _ready(session_factory)
    login(client, "auditor", DEMO_PASSWORDS["auditor"])
    page = client.get(f"/meetings/{ready['meeting_id']}")
    assert page.status_code == 200 and "/close" not in page.text
    assert _post(client, f"/meetings/{ready['meeting_id']}/close").status_code == 404
    with session_factory() as db:
        assert db.get(Meeting, ready["meeting_id"]).status is MeetingStatus.VOTING


@pytest.mark.skipif(shutil.which("pdffonts") is None, reason="poppler-utils not installed")
def test_the_tally_sheet_is_a_chinese_pdf_with_counts_quorum_members_and_signatures(client, demo, session_factory,
                                                                                   tmp_path):
    ready = _ready(session_factory, present=8)
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    assert client.get(f"/meetings/{ready['meeting_id']}/tally.pdf").status_code == 404  # not tallied yet
    with session_factory() as db:
        meeting = db.get(Meeting, ready["meeting_id"])
        for index, expert in enumerate(db.scalars(select(Expert).where(Expert.email.in_(
                [f"judge{i:02d}@example.cn" for i in range(1, 9)])).order_by(Expert.email))):
            service.cast_ballot(db, meeting=meeting, user=db.get(User, expert.user_id),
                                choices={h: "agree" if index < 6 else "disagree" for h in ready["handles"]})
        db.commit()
    assert _post(client, f"/meetings/{ready['meeting_id']}/close").status_code == 302
    wrong = _post(client, f"/meetings/{ready['meeting_id']}/tally", {"chair_share": ready["codes"]["auditor_share"],
                                                                    "auditor_share": ready["codes"]["auditor_share"]})
    assert wrong.status_code == 400 and "主持人的份额不正确" in wrong.text
    assert _post(client, f"/meetings/{ready['meeting_id']}/tally", ready["codes"]).headers["location"] == \
        f"/meetings/{ready['meeting_id']}"
    with session_factory() as db:  # made once, at the tally, and audited
        (sheet,) = documents.documents_of(db, "meeting", ready["meeting_id"])
        stored = db.scalars(select(AuditEvent).where(AuditEvent.action == "document.stored",
                                                     AuditEvent.object_id == str(sheet.id))).one()
        assert (sheet.kind, json.loads(stored.body)["data"]["sha256"]) == ("tally_sheet", sheet.sha256)
    page = client.get(f"/meetings/{ready['meeting_id']}")
    assert page.text.count("通过</span>") >= 1 and "tally.pdf" in page.text and sheet.sha256 in page.text
    assert "已验证" in page.text and page.text.count("<li>") >= 8
    response = client.get(f"/meetings/{ready['meeting_id']}/tally.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(response.content).hexdigest() == response.headers["x-content-sha256"] == sheet.sha256
    assert client.get(f"/meetings/{ready['meeting_id']}/tally.pdf").content == response.content  # from storage
    with session_factory() as db:
        assert len(documents.documents_of(db, "meeting", ready["meeting_id"])) == 1
        assert db.scalar(select(func.count()).select_from(AuditEvent)
                         .where(AuditEvent.action == "document.stored", AuditEvent.object_id == str(sheet.id))) == 1
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "会议评审计票结果表" in text and "9 名委员中 8 名到会" in text and "达到法定人数" in text
    assert "主持人" in text and "监票人" in text and "计票人" in text
    assert re.search(r"\b6\s+2\s+0\s+0\b", text)  # agree, disagree, abstain, not voted
    path = tmp_path / "tally.pdf"
    path.write_bytes(response.content)
    fonts = [line.split() for line in subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                                                     check=True).stdout.splitlines()[2:]]
    assert any("CJK" in row[0] for row in fonts) and all(row[-5] == "yes" for row in fonts)


def test_a_paper_ballot_through_the_page_needs_the_members_password_and_shows_its_receipt(client, demo,
                                                                                         session_factory):
    ready = _ready(session_factory)
    meeting_id = ready["meeting_id"]
    with session_factory() as db:
        paper_member = db.get(Meeting, meeting_id).members[2].id
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    form = {"member_id": paper_member, "confirmed_by": "member", **{f"c_{h}": "agree" for h in ready["handles"]}}
    refused = _post(client, f"/meetings/{meeting_id}/paper", {**form, "password": "wrong-password-123"})
    assert refused.status_code == 400 and 'role="alert"' in refused.text
    cast = _post(client, f"/meetings/{meeting_id}/paper", {**form, "password": DEMO_PASSWORDS["judge"]})
    assert cast.status_code == 200 and 'id="paper-receipt"' in cast.text
    receipt = re.search(r'class="hash receipt-code">([0-9a-f]{64})<', cast.text).group(1)
    with session_factory() as db:
        meeting = db.get(Meeting, meeting_id)
        assert [b.receipt for b in service.stored_ballots(db, meeting)] == [receipt]
        assert (meeting.members[2].ballot_cast, meeting.members[2].ballot_method) == (True, "paper")
    assert _post(client, f"/meetings/{meeting_id}/paper", {**form, "password": DEMO_PASSWORDS["judge"]}
                 ).status_code == 409
    assert _post(client, "/meetings/999999/paper", form).status_code == 404


def test_the_chair_and_an_auditor_each_see_their_share_once(client, demo, session_factory):
    with session_factory() as db:
        made = demo_meeting(db)
        roll_call(db, made["meeting"], 9)
        db.commit()
        meeting_id = made["meeting"].id
    login(client, "judge01", DEMO_PASSWORDS["judge"])  # judge01 chairs
    page = client.get(f"/judge/meetings/{meeting_id}")
    assert 'action="/judge/meetings/%d/share"' % meeting_id in page.text
    made_share = _post(client, f"/judge/meetings/{meeting_id}/share")
    code = re.search(r'id="share-code">([A-Z2-7-]{29})<', made_share.text).group(1)
    assert made_share.headers["cache-control"] == "no-store" and code not in client.get(f"/judge/meetings/{meeting_id}").text
    client.cookies.clear()
    login(client, "judge02", DEMO_PASSWORDS["judge"])
    assert _post(client, f"/judge/meetings/{meeting_id}/share").status_code == 400
    client.cookies.clear()
    login(client, "auditor", DEMO_PASSWORDS["auditor"])
    assert re.search(r'id="share-code">[A-Z2-7-]{29}<', _post(client, f"/meetings/{meeting_id}/share").text)
    client.cookies.clear()
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    assert _post(client, f"/meetings/{meeting_id}/share").status_code == 404  # auditors only
    assert _post(client, f"/meetings/{meeting_id}/open").status_code == 302
    with session_factory() as db:
        shares = service.shares_of(db, db.get(Meeting, meeting_id))
        assert set(shares) == {"chair", "auditor"} and all(s.wrapped for s in shares.values())


def test_the_2025_demo_meeting_is_listed_under_its_year_and_passed_the_notices_candidates(client, demo,
                                                                                         session_factory):
    from judging.editions.models import Category, CategoryKey, Edition
    from judging.awards.service import candidate_ids

    login(client, "auditor", DEMO_PASSWORDS["auditor"])
    current = client.get("/meetings")
    assert "/meetings?year=2025" in current.text and "2026年度" in current.text
    page = client.get("/meetings?year=2025")
    assert page.status_code == 200 and "2025年度" in page.text
    with session_factory() as db:
        category = db.scalar(select(Category).join(Edition).where(Edition.year == 2025,
                                                                 Category.key == CategoryKey.ACHIEVEMENT))
        meeting = db.scalar(select(Meeting).where(Meeting.category_id == category.id))
        assert meeting.status is MeetingStatus.TALLIED and f"/meetings/{meeting.id}" in page.text
        passed = service.passed_nominations(db, category.id)
        assert len(passed) == 3 and candidate_ids(db, category) == passed


def test_a_tallied_meeting_without_a_stored_sheet_gets_it_on_its_first_download(client, demo, session_factory):
    """Meetings tallied before sheets were stored (or whose sheet failed after the tally) are mended once."""
    from sqlalchemy import delete

    with session_factory() as db:
        meeting_id = db.scalar(select(Meeting.id).where(Meeting.status == MeetingStatus.TALLIED))
        assert len(documents.documents_of(db, "meeting", meeting_id)) == 1  # the demo's, made at its tally
        db.execute(delete(documents.Document).where(documents.Document.subject_id == meeting_id,
                                                    documents.Document.subject_type == "meeting"))
        db.commit()
    login(client, "auditor", DEMO_PASSWORDS["auditor"])
    first, second = (client.get(f"/meetings/{meeting_id}/tally.pdf") for _ in range(2))
    assert first.status_code == 200 and first.content == second.content
    with session_factory() as db:
        (sheet,) = documents.documents_of(db, "meeting", meeting_id)
        assert sheet.sha256 == first.headers["x-content-sha256"] == hashlib.sha256(first.content).hexdigest()

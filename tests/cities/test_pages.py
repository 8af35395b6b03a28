"""The city pages through the app: a city account drafts, submits within its quota and is refused beyond it
(with the figures, nothing stored), withdraws, sees a return and resubmits; it never reaches another city's
nomination, scores, judges or assignments; other roles never reach the city pages. The office's fulfilment and
assessment pages, the assessment read back as PDF and XLSX."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import func, select

from helpers import csrf_token, login
from judging.accounts.models import User
from judging.cities.models import CityEntry, EntryStatus
from judging.editions.models import Edition
from judging.demo import DEMO_PASSWORDS
from judging.formal_review import service as formal_review
from judging.formal_review.models import Outcome
from judging.nominations import service as intake
from judging.nominations.models import Nomination
from judging.stages.models import StageKind
from judging.stages.service import close_stage, open_stage
from tests.cities.factories import PASSWORD, make_world, pdf_bytes, steel_form
from tests.nominations.test_import_service import ORGANIZER


@pytest.fixture
def world(demo, session_factory) -> dict:
    """A newer edition than the demo's (so it is the current one), 成果 in 推荐, 南京 and 苏州 accounts."""
    with session_factory() as session:
        made = make_world(session)
        session.commit()
        return {"edition_id": made["edition"].id, "category_id": made["category"].id}


def _post(client, path: str, data: dict, files=None, page: str = "/city/"):
    return client.post(path, data={**data, "_csrf_token": csrf_token(client, page)}, files=files,
                       follow_redirects=False)


def _create(client, world, n: int = 0) -> int:
    response = _post(client, "/city/entries", {**steel_form(n), "category": str(world["category_id"])},
                     files=[("files", ("申报书.pdf", pdf_bytes(), "application/pdf"))])
    assert response.status_code in (302, 303), response.text[:2000]
    return int(re.search(r"/city/entries/(\d+)", response.headers["location"]).group(1))


def _nominations(session_factory, world) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(Nomination)
                              .where(Nomination.edition_id == world["edition_id"]))


def test_a_city_drafts_submits_within_its_quota_and_is_refused_beyond_it(client, world, session_factory):
    login(client, "city_0", PASSWORD)
    home = client.get("/city/")
    assert home.status_code == 200 and "南京" in home.text and 'id="city-quota"' in home.text
    form = client.get(f"/city/new?category={world['category_id']}")
    assert form.status_code == 200 and "第一完成人是一线职工" in form.text and "专利号" in form.text
    ids = [_create(client, world, n) for n in range(4)]
    page = client.get(f"/city/entries/{ids[0]}")
    assert page.status_code == 200 and "申报书.pdf" in page.text
    for entry_id in ids[:3]:
        response = _post(client, f"/city/entries/{entry_id}/submit", {}, page=f"/city/entries/{entry_id}")
        assert response.status_code in (302, 303), response.text[:3000]
    before = _nominations(session_factory, world)
    refused = _post(client, f"/city/entries/{ids[3]}/submit", {}, page=f"/city/entries/{ids[3]}")
    assert refused.status_code == 409
    assert "名额3项，已报送3项" in refused.text
    assert _nominations(session_factory, world) == before == 3
    with session_factory() as session:
        assert session.get(CityEntry, ids[3]).status is EntryStatus.DRAFT


def test_a_missing_field_is_named_on_the_form_and_nothing_is_submitted(client, world, session_factory):
    login(client, "city_0", PASSWORD)
    entry_id = _create(client, world)
    response = _post(client, f"/city/entries/{entry_id}", {**steel_form(), "inventors": "", "patents": "12345"},
                     page=f"/city/entries/{entry_id}")
    assert response.status_code in (302, 303)
    refused = _post(client, f"/city/entries/{entry_id}/submit", {}, page=f"/city/entries/{entry_id}")
    assert refused.status_code == 400
    assert 'data-for="inventors"' in refused.text and 'data-for="patents"' in refused.text
    assert _nominations(session_factory, world) == 0
    wrong = _post(client, f"/city/entries/{entry_id}", steel_form(), files=[("files", ("a.exe", b"MZ\x90", "x"))],
                  page=f"/city/entries/{entry_id}")
    assert wrong.status_code == 400 and 'data-for="attachments"' in wrong.text and "a.exe" in wrong.text


def test_a_city_withdraws_and_corrects_a_return(client, world, session_factory):
    login(client, "city_0", PASSWORD)
    first, second = _create(client, world, 0), _create(client, world, 1)
    for entry_id in (first, second):
        _post(client, f"/city/entries/{entry_id}/submit", {}, page=f"/city/entries/{entry_id}")
    asked = _post(client, f"/city/entries/{second}/withdraw", {"reason": "重复申报"}, page=f"/city/entries/{second}")
    assert asked.status_code == 200 and 'name="confirmed"' in asked.text
    done = _post(client, f"/city/entries/{second}/withdraw", {"reason": "重复申报", "confirmed": "1"},
                 page=f"/city/entries/{second}")
    assert done.status_code in (302, 303)
    with session_factory() as session:
        entry = session.get(CityEntry, first)
        assert session.get(CityEntry, second).status is EntryStatus.WITHDRAWN
        intake.confirm(session, edition=session.get(Edition, entry.edition_id), nomination_id=entry.nomination_id,
                       by=ORGANIZER, acknowledge=True)
        close_stage(session, category_id=world["category_id"], kind=StageKind.NOMINATION, by=ORGANIZER)
        open_stage(session, category_id=world["category_id"], kind=StageKind.FORMAL_REVIEW, by=ORGANIZER)
        formal_review.decide(session, edition=session.get(Edition, entry.edition_id), nomination_id=entry.nomination_id,
                             outcome=Outcome.RETURNED, by=ORGANIZER, reasons="请补充岗位证明",
                             deadline=formal_review.local_today() + dt.timedelta(days=3))
        session.commit()
    home = client.get("/city/")
    assert 'id="city-returns"' in home.text and "请补充岗位证明" in home.text
    assert _post(client, f"/city/entries/{first}", {**steel_form(), "summary": "补正后的简介"},
                 page=f"/city/entries/{first}").status_code in (302, 303)
    assert _post(client, f"/city/entries/{first}/resubmit", {}, page=f"/city/entries/{first}").status_code in (302, 303)
    client.get("/logout")
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    office = client.get(f"/organizer/cities/entries/{first}")
    assert office.status_code == 200 and 'id="version-2"' in office.text and "补正后的简介" in office.text


def test_a_city_never_reaches_another_citys_nomination_nor_scores_judges_or_assignments(client, world):
    login(client, "city_0", PASSWORD)
    theirs = _create(client, world)
    client.cookies.clear()
    login(client, "city_1", PASSWORD)
    for method, path in [("GET", f"/city/entries/{theirs}"), ("POST", f"/city/entries/{theirs}"),
                         ("POST", f"/city/entries/{theirs}/submit"), ("POST", f"/city/entries/{theirs}/withdraw"),
                         ("POST", f"/city/entries/{theirs}/resubmit")]:
        response = client.get(path) if method == "GET" else _post(client, path, steel_form())
        assert response.status_code == 404, (method, path, response.status_code)
    for path in ["/judge", "/organizer/rounds", "/results", "/organizer/panels/", "/organizer/nominations/",
                 "/organizer/formal-review/", "/organizer/cities/", "/auditor", "/meetings"]:
        assert client.get(path, follow_redirects=False).status_code == 404, path


def test_other_roles_never_reach_the_city_pages(client, world):
    for username, password in [("judge01", DEMO_PASSWORDS["judge"]), ("organizer", DEMO_PASSWORDS["organizer"]),
                               ("auditor", DEMO_PASSWORDS["auditor"])]:
        client.cookies.clear()
        login(client, username, password)
        assert client.get("/city/", follow_redirects=False).status_code == 404, username
        assert client.get(f"/city/new?category={world['category_id']}").status_code == 404, username


def test_the_office_follows_fulfilment_and_reads_the_assessment_as_pdf_and_xlsx(client, world):
    login(client, "city_0", PASSWORD)
    entry_id = _create(client, world)
    _post(client, f"/city/entries/{entry_id}/submit", {}, page=f"/city/entries/{entry_id}")
    client.cookies.clear()
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    live = client.get("/organizer/cities/")
    assert live.status_code == 200 and re.search(r'data-city="南京".*?1 / 3', live.text, re.S)
    page = client.get("/organizer/cities/assessment")
    assert page.status_code == 200 and "2031" in page.text and "五一劳动奖章" in page.text
    pdf = client.get("/organizer/cities/assessment.pdf")
    assert pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "各市考核" in text and "南京" in text and "2031" in text
    workbook = load_workbook(io.BytesIO(client.get("/organizer/cities/assessment.xlsx").content))
    sheet = workbook["2031"]
    rows = {r[0]: r for r in sheet.iter_rows(values_only=True)}
    assert rows["南京"][1:3] == (12, 1)  # target: 3 in 成果 and 3 of each other category's 5, submitted
    assert "2026" in workbook.sheetnames


def test_the_office_creates_a_city_account_with_its_city_and_not_without(client, world, session_factory):
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    page = client.get("/accounts/")
    assert 'value="nominator"' in page.text
    refused = _post(client, "/accounts/", {"username": "wuxi_city", "role": "nominator", "city": ""}, page="/accounts/")
    assert refused.status_code == 400 and "推荐单位账户须填写所代表的城市" in refused.text
    created = _post(client, "/accounts/", {"username": "wuxi_city", "role": "nominator", "city": "无锡",
                                           "display_name": "无锡市总工会"}, page="/accounts/")
    assert created.status_code == 200
    with session_factory() as session:
        user = session.scalar(select(User).where(User.username == "wuxi_city"))
        assert (user.role.value, user.city) == ("nominator", "无锡")

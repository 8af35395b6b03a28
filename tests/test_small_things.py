"""The small things that cost trust (issue 20): the judge's progress, a submitted sheet's grade and total, deep
links through the undertaking, the favicon, the public notice's header and receipts, one default edition, the
assignment form's modes, integer scores."""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path

from helpers import csrf_token, login
from notices.factories import at_notice_stage
from results.factories import ORGANIZER

from judging.demo import DEMO_PASSWORDS
from judging.notices import service as notices

sys.path.insert(0, str(Path(__file__).resolve().parent / "scoring"))
from sheets_helpers import new_judge, page_token, post_sheet  # noqa: E402


class _Inputs(HTMLParser):
    """Every <input>'s attributes as the browser reads them."""

    def __init__(self) -> None:
        super().__init__()
        self.inputs: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "input":
            self.inputs.append(dict(attrs))


def test_the_judge_list_counts_what_is_submitted(client, demo, session_factory):
    login(client, "judge01", DEMO_PASSWORDS["judge"])
    page = client.get("/judge").text
    statuses = re.findall(r'<span class="badge (not_started|draft|submitted)">', page)
    assert f"已提交 {statuses.count('submitted')}/{len(statuses)}" in page
    assert 0 < statuses.count("submitted") < len(statuses)


def test_a_submitted_sheet_shows_its_grade_checked_and_every_field_disabled(client, demo, session_factory):
    login(client, "judge01", DEMO_PASSWORDS["judge"])
    home = client.get("/judge").text
    link = re.search(r'<a href="(/judge/sheets/[^"]+)">[^<]*</a></td>\s*<td class="hide-narrow">[^<]*</td>\s*'
                     r'<td><span class="badge submitted">', home)
    assert link, "judge01 has a submitted sheet in the demo"
    page = client.get(link.group(1)).text
    assert "checkeddisabled" not in page and '"disabled' not in page
    parser = _Inputs()
    parser.feed(page)
    radios = [i for i in parser.inputs if i.get("type") == "radio"]
    assert radios and any("checked" in i and "disabled" in i for i in radios)
    assert all("disabled" in i for i in parser.inputs if i.get("type") in ("radio", "number"))


def test_a_deep_link_survives_the_undertaking(client, demo, session_factory):
    (item,) = new_judge(session_factory, "judge61", DEMO_PASSWORDS["judge"])
    login(client, "judge61", DEMO_PASSWORDS["judge"])
    sheet = f"/judge/sheets/{item.handle}"
    first = client.get(sheet, follow_redirects=False)
    assert first.status_code in (302, 303) and "next=" in first.headers["location"]
    page = client.get(first.headers["location"]).text
    assert f'name="next" value="{sheet}"' in page
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page).group(1)
    accepted = client.post("/judge/undertaking", data={"_csrf_token": token, "accept": "yes", "next": sheet},
                           follow_redirects=False)
    assert accepted.headers["location"] == sheet
    evil = client.post("/judge/undertaking", data={"_csrf_token": token, "accept": "yes",
                                                   "next": "//evil.example/"}, follow_redirects=False)
    assert evil.headers["location"] == "/judge"


def test_the_favicon_is_served(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200 and response.headers["content-type"].startswith("image/svg")


def test_the_public_notice_names_its_issuer_and_the_supervision_phone_and_no_hash(client, demo):
    listing = client.get("/public/notices/").text
    notice = re.search(r'href="/public/notices/(\d+)"', listing).group(1)
    page = client.get(f"/public/notices/{notice}").text
    assert "发布单位" in page and "监督电话" in page and "12351" in page
    assert "SHA-256" not in page and not re.search(r"\b[0-9a-f]{64}\b", page)


def test_an_objection_needs_real_grounds_and_gets_a_receipt_number(client, demo, session_factory):
    with session_factory() as session:  # a list on notice now (the demo's 2025 notices are over)
        notice = notices.publish_notice(session, category=at_notice_stage(session, year=2030)["category"],
                                        by=ORGANIZER).id
        session.commit()
    page = client.get(f"/public/notices/{notice}").text
    assert 'name="grounds"' in page
    candidate = re.search(r'<option value="(\d+)"', page.split('name="nomination_id"')[1]).group(1)
    form = {"nomination_id": candidate, "name": "欧阳修远", "employer": "南京某机械厂", "phone": "13812345678",
            "_csrf_token": csrf_token(client, f"/public/notices/{notice}")}
    short = client.post(f"/public/notices/{notice}/objections", data={**form, "grounds": "不同意"})
    assert short.status_code == 400 and "至少写 15 个字" in short.text
    filed = client.post(f"/public/notices/{notice}/objections", follow_redirects=False, data={
        **form, "grounds": "该项目的第一完成人并非一线职工，推荐材料中的职务与实际不符，请核查。"})
    assert filed.status_code in (302, 303)
    receipt = client.get(filed.headers["location"]).text
    assert re.search(r"受理编号：YY\d{4}-\d{5}", receipt)
    forged = client.get(f"/public/notices/{notice}", params={"received": "99999"}).text
    assert "受理编号" not in forged


def test_the_organizers_notices_page_opens_on_the_current_edition(client, demo, session_factory):
    from judging.editions.service import current_edition

    with session_factory() as session:
        current = current_edition(session).name
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    assert current in client.get("/organizer").text  # the home page's edition ...
    assert current in re.search(r"<h1>.*?</h1>", client.get("/organizer/notices/").text, re.S).group(0)  # ... here


def test_the_assignment_form_marks_each_modes_fields():
    # The CSS shows one mode's fieldset (the select's state decides): each fieldset must carry its mode.
    template = (Path(__file__).resolve().parent.parent / "templates/pages/panels_assign.html").read_text()
    css = (Path(__file__).resolve().parent.parent / "judging/web/static/app.css").read_text()
    assert 'class="mode-k"' in template and 'class="mode-blocks"' in template
    assert 'option[value="k"]:checked) .mode-blocks' in css and 'option[value="blocks"]:checked) .mode-k' in css


def test_a_score_off_an_integer_scale_asks_for_a_whole_number(client, demo, session_factory):
    (item,) = new_judge(session_factory, "judge62", DEMO_PASSWORDS["judge"])
    login(client, "judge62", DEMO_PASSWORDS["judge"])
    token, _ = page_token(client, "/judge")
    client.post("/judge/undertaking", data={"_csrf_token": token, "accept": "yes"})
    token, version = page_token(client, f"/judge/sheets/{item.handle}")
    values = item.values(*([5] * len(item.criterion_ids)))
    steps = re.findall(r'name="(score-\d+)"[^>]*step="1"', client.get(f"/judge/sheets/{item.handle}").text)
    assert steps, "the demo's rubric has a criterion scored in steps of 1"
    answer = post_sheet(client, item, values={**values, steps[0]: "5.5"}, version=version, token=token)
    assert answer.status_code in (400, 422) and "请输入整数" in answer.text


def test_rasch_is_offered_only_for_a_rubric_it_fits_and_a_failed_run_is_listed(client, demo, session_factory):
    from judging.editions.service import current_edition
    from judging.jobs.models import Job, JobStatus
    from judging.results.naming import method_fits

    with session_factory() as session:
        edition = current_edition(session)
        fits = [method_fits("rasch", c.rubric.criteria) for c in edition.categories if c.rubric]
        category, round_ = edition.categories[0], edition.rounds[0]
        session.add(Job(kind="results.compute", status=JobStatus.FAILED, params={"method": "rasch",
                                                                                 "category_id": category.id},
                        result={"refusal": {"message": "The method cannot be applied to these scores. Choose "
                                                       "another method.", "params": {}}}, error="x"))
        session.commit()
        category_id, round_id = category.id, round_.id
    assert fits and not any(fits)  # the demo's rubrics add several criteria into totals on 0–100
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    page = client.get("/results").text
    assert 'value="rasch"' not in page and 'value="additive"' in page
    assert 'id="failed-runs"' in page and "此方法不适用于这些评分" in page
    refused = client.post("/results/runs", data={"_csrf_token": csrf_token(client, "/results"), "method": "rasch",
                                                  "round_id": round_id, "category_id": category_id})
    assert refused.status_code == 400 and "Rasch 模型只适用于" in refused.text


def test_a_single_criterion_rubric_of_few_levels_fits_rasch():
    from decimal import Decimal
    from types import SimpleNamespace

    from judging.results.naming import method_fits

    five = SimpleNamespace(grades=[], scale_min=Decimal(1), scale_max=Decimal(5), scale_step=Decimal(1))
    continuous = SimpleNamespace(grades=[], scale_min=Decimal(0), scale_max=Decimal(10), scale_step=Decimal(0))
    assert method_fits("rasch", [five]) and method_fits("rasch", [five, five])
    assert not method_fits("rasch", [five, five, five]) and not method_fits("rasch", [continuous])
    assert method_fits("additive", [continuous])


def test_a_conflict_is_entered_by_name_not_by_raw_ids(client, demo, session_factory):
    from judging.panels.models import Conflict

    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    page = client.get("/organizer/panels/conflicts").text
    expert = re.search(r'<datalist id="expert-names"><option value="([^"]+#(\d+))">', page)
    title = re.search(r'<datalist id="nomination-titles"><option value="([^"]+) #(\d+)">', page)
    assert expert and title and 'name="expert_id"' not in page
    token = csrf_token(client, "/organizer/panels/conflicts")
    unknown = client.post("/organizer/panels/conflicts", data={"_csrf_token": token, "expert": "查无此人",
                                                               "nomination": title.group(1), "reason": "亲属关系"})
    assert unknown.status_code == 400 and "没有名为“查无此人”的专家" in unknown.text
    added = client.post("/organizer/panels/conflicts", follow_redirects=False, data={
        "_csrf_token": token, "expert": expert.group(1), "nomination": title.group(1), "reason": "亲属关系"})
    assert added.status_code in (302, 303)
    with session_factory() as session:
        stored = session.query(Conflict).filter_by(expert_id=int(expert.group(2)),
                                                   nomination_id=int(title.group(2))).one()
        assert stored.reason == "亲属关系"

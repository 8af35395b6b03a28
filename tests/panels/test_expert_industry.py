"""An expert's industry (compared with nominations' in the integrity report): read by the importer from
its own column, edited on the expert's page and audited, a value too long refused with its field named."""

from __future__ import annotations

import json

from helpers import csrf_token
from integrity.factories import as_user, make_site, read
from sqlalchemy import select

from judging import audit
from judging.audit.models import AuditEvent
from judging.panels.importer import import_experts
from judging.panels.models import Expert

BY = audit.Actor(None, "organizer")


def test_the_importer_reads_the_industry_column(db):
    table = ("姓名,工作单位,城市,电话,专业领域,所属行业\n"
             "周海涛,徐州工程机械集团有限公司,徐州,13951234567,机械工程,装备制造\n"
             "吴婷,江苏省电力有限公司,南京,13851234567,电气工程,\n")
    report = import_experts(db, data=table.encode("gbk"), filename="专家.csv", by=BY)
    assert report.problems == [] and report.created == 2
    assert db.execute(select(Expert.name, Expert.industry).order_by(Expert.id)).all() == [
        ("周海涛", "装备制造"), ("吴婷", "")]  # optional: an empty cell is no industry
    too_long = "姓名,工作单位,城市,电话,专业领域,行业\n陈刚,苏州大学,苏州,13761234567,材料科学," + "冶" * 101 + "\n"
    report = import_experts(db, data=too_long.encode("utf-8"), filename="专家.csv", by=BY)
    assert [(p.row, p.column) for p in report.problems] == [(2, "行业")] and not report.stored


def test_the_organizer_sets_the_industry_on_the_experts_page(client, db):
    site = make_site(db)
    expert_id = site["pool"][2]
    page = f"/organizer/panels/experts/{expert_id}"
    as_user(client, "organizer")
    assert 'name="industry"' in client.get(page).text
    form = {"name": "机械专家2", "employer": "机械单位2", "city": "无锡", "phone": "13912345678", "email": "",
            "fields": "机械", "max_load": "30"}
    response = client.post(page, data={**form, "industry": " 装备制造 ", "_csrf_token": csrf_token(client, page)},
                           follow_redirects=False)
    assert response.status_code in (302, 303)
    assert read(db, lambda s: s.get(Expert, expert_id).industry) == "装备制造"
    assert 'name="industry" value="装备制造"' in client.get(page).text
    event = read(db, lambda s: s.scalars(select(AuditEvent.body).where(AuditEvent.action == "expert.updated")).one())
    data = json.loads(event)["data"]
    assert (data["before"]["industry"], data["after"]["industry"]) == ("", "装备制造")
    # too long: refused, the field named in words, nothing changed
    response = client.post(page, data={**form, "industry": "冶" * 101, "_csrf_token": csrf_token(client, page)})
    assert response.status_code == 400 and "所属行业：" in response.text
    assert read(db, lambda s: s.get(Expert, expert_id).industry) == "装备制造"

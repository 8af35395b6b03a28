"""Importing experts from CSV (UTF-8, GBK) and XLSX: row-level errors, all or nothing, duplicates."""

from __future__ import annotations

import io

import pytest

from sqlalchemy import func, select

from helpers import csrf_token, login
from judging import audit
from judging.audit.models import AuditEvent
from judging.panels.controllers import MAX_EXPERT_UPLOAD
from judging.panels.importer import import_experts
from judging.panels.models import Expert

BY = audit.Actor(None, "organizer")
HEADER = "姓名,工作单位,城市,电话,邮箱,专业领域,最大评审量\n"
GOOD = ("王建国,南京钢铁股份有限公司,南京,13912345678,wang@example.cn,冶金工程、安全工程,20\n"
        "李芳,东南大学,南京,,li@example.cn,电气工程;电子信息,\n")


def _count(s):
    return s.scalar(select(func.count()).select_from(Expert))


def test_valid_csv_is_stored_and_audited(db):
    report = import_experts(db, data=(HEADER + GOOD).encode("utf-8"), filename="专家.csv", by=BY)
    assert report.problems == [] and report.created == 2
    experts = db.scalars(select(Expert).order_by(Expert.id)).all()
    assert experts[0].fields == ["冶金工程", "安全工程"] and experts[0].max_load == 20
    assert experts[1].max_load == 30 and experts[1].fields == ["电气工程", "电子信息"]
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "expert_pool.imported")) is not None


def test_gbk_csv_is_read(db):
    report = import_experts(db, data=(HEADER + GOOD).encode("gbk"), filename="专家.csv", by=BY)
    assert report.created == 2


def test_bad_rows_are_reported_by_row_and_column_and_nothing_is_stored(db):
    bad = (HEADER + GOOD
           + ",无锡供电公司,无锡,13800000000,,电气工程,\n"          # row 4: no name
           + "赵磊,常州大学,常州,abc,zhao@,机械工程,many\n"          # row 5: phone, email, load
           + "王建国,南京钢铁有限公司,南京,13912345679,,冶金工程,\n")  # row 6: duplicate of row 2
    report = import_experts(db, data=bad.encode("utf-8"), by=BY)
    assert report.created == 0 and not report.stored
    where = {(p.row, p.column) for p in report.problems}
    assert (4, "姓名") in where
    assert {(5, "电话"), (5, "邮箱"), (5, "最大评审量")} <= where
    dup = next(p for p in report.problems if p.row == 6)
    assert dup.column == "姓名" and dup.params == {"row": 2}
    assert _count(db) == 0


def test_keep_valid_rows_on_request(db):
    bad = HEADER + GOOD + ",无锡供电公司,无锡,13800000000,,电气工程,\n"
    report = import_experts(db, data=bad.encode("utf-8"), keep_valid=True, by=BY)
    assert report.created == 2 and report.bad_rows == 1
    assert _count(db) == 2


def test_duplicates_of_the_pool_are_flagged(db):
    db.add(Expert(name="王建国", employer="南京钢铁有限公司", city="南京", fields=["冶金工程"]))
    db.flush()
    report = import_experts(db, data=(HEADER + GOOD).encode("utf-8"), by=BY)
    assert [(p.row, p.message) for p in report.problems] == [(2, "{name} of {employer} is already in the pool.")]


def test_xlsx_and_a_missing_column(db):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["姓名", "工作单位", "城市", "手机", "专业领域"])
    ws.append(["周杰", "徐工集团", "徐州", 13512345678, "机械工程"])
    buf = io.BytesIO()
    wb.save(buf)
    report = import_experts(db, data=buf.getvalue(), filename="experts.xlsx", by=BY)
    assert report.created == 1
    assert db.scalar(select(Expert.phone)) == "13512345678"
    missing = import_experts(db, data="姓名,城市\n张三,南京\n".encode(), by=BY)
    assert missing.created == 0 and missing.problems[0].row == 0


def test_import_page_shows_row_errors(client, demo, session_factory):
    login(client, "organizer", "demo-Office-2026")
    token = csrf_token(client, "/organizer/panels/experts")
    with session_factory() as s:
        before = _count(s)
    bad = HEADER + ",无锡供电公司,无锡,13800000000,,电气工程,\n"
    page = client.post("/organizer/panels/experts/import", data={"_csrf_token": token},
                       files={"file": ("专家.csv", bad.encode("utf-8"), "text/csv")})
    assert page.status_code == 400
    assert 'id="import-report"' in page.text and "此项必填" in page.text
    with session_factory() as s:
        assert _count(s) == before
    ok = client.post("/organizer/panels/experts/import", data={"_csrf_token": token},
                     files={"file": ("专家.csv", (HEADER + GOOD).encode("gbk"), "text/csv")})
    assert ok.status_code == 200 and "已导入 2 位专家" in ok.text
    with session_factory() as s:
        assert _count(s) == before + 2


def test_an_oversized_expert_table_gets_413_and_changes_nothing(client, demo, session_factory):
    login(client, "organizer", "demo-Office-2026")
    token = csrf_token(client, "/organizer/panels/experts")
    with session_factory() as s:
        before = _count(s), s.scalar(select(func.count()).select_from(AuditEvent))
    rows = GOOD.replace("王建国", "赵建国").replace("李芳", "钱芳").encode("utf-8")
    table = HEADER.encode("utf-8") + rows * (MAX_EXPERT_UPLOAD // len(rows) + 1)
    response = client.post("/organizer/panels/experts/import", data={"_csrf_token": token},
                           files={"file": ("专家.csv", table, "text/csv")})
    assert response.status_code == 413
    # the route's own limit, not the 2 MiB every form gets: a 3 MiB table is read (and refused: too many rows)
    table = table[:3 * 1024 * 1024]
    response = client.post("/organizer/panels/experts/import", data={"_csrf_token": token},
                           files={"file": ("专家.csv", table, "text/csv")})
    assert response.status_code == 400 and 'id="import-report"' in response.text
    with session_factory() as s:
        assert (_count(s), s.scalar(select(func.count()).select_from(AuditEvent))) == before


def test_edit_and_deactivate_an_expert(client, demo, session_factory):
    login(client, "organizer", "demo-Office-2026")
    with session_factory() as s:
        expert = s.scalar(select(Expert).order_by(Expert.id).limit(1))
        eid = expert.id
    path = f"/organizer/panels/experts/{eid}"
    token = csrf_token(client, path)
    form = {"_csrf_token": token, "name": "王建国", "employer": "南京钢铁有限公司", "city": "南京",
            "phone": "13900000000", "email": "w@example.cn", "fields": "冶金工程、安全工程", "max_load": "12"}
    assert client.post(path, data=form, follow_redirects=False).status_code in (302, 303)
    bad = client.post(path, data={**form, "max_load": "0"})
    assert bad.status_code == 400
    client.post(path + "/active", data={"_csrf_token": token, "active": "0"})
    with session_factory() as s:
        expert = s.get(Expert, eid)
        assert expert.max_load == 12 and expert.fields == ["冶金工程", "安全工程"] and not expert.active
        actions = set(s.scalars(select(AuditEvent.action).where(AuditEvent.object_id == str(eid))))
        assert {"expert.updated", "expert.deactivated"} <= actions


def test_an_expert_is_linked_to_one_account_and_an_account_to_one_expert(db):
    from judging.accounts import add_user
    from judging.errors import JudgingError
    from judging.panels.importer import link_account

    import_experts(db, data=(HEADER + GOOD).encode("utf-8"), filename="专家.csv", by=BY,
                   make_logins=False)  # linked by hand here (the import's own logins: tests/test_people.py)
    first, second = db.scalars(select(Expert).order_by(Expert.id).limit(2))
    user = add_user(db, username="expert-login", password="Plenty-of-Entropy-2026", role="judge", by=BY)
    link_account(db, expert=first, user_id=user.id, by=BY)
    assert first.user_id == user.id
    assert db.scalar(select(AuditEvent.object_id).where(AuditEvent.action == "expert.account_linked")) == str(first.id)
    with pytest.raises(JudgingError, match="already belongs to another expert"):
        link_account(db, expert=second, user_id=user.id, by=BY)
    assert second.user_id is None

"""The organizer's running of a round, the undertaking and declared conflicts, over HTTP on both databases."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re

from sqlalchemy import func, select, update

from helpers import login
from judging.accounts.models import User
from judging.audit.models import AuditEvent
from judging.demo import DEMO_PASSWORDS
from judging.editions.models import Round, RoundKind
from judging.panels.models import Assignment, Conflict, ConflictSource, Expert
from judging.scoring.models import DeadlineExtension, ScoreSheet
from scoring.sheets_helpers import new_judge, open_items, page_token, post_sheet, stored


def _actions(session_factory) -> list[str]:
    with session_factory() as session:
        return session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()


def _last_event(session_factory, action: str) -> dict:
    with session_factory() as session:
        body = session.scalar(select(AuditEvent.body).where(AuditEvent.action == action)
                              .order_by(AuditEvent.seq.desc()).limit(1))
    return json.loads(body)


def _switch_to(client, username: str, password: str) -> None:
    token, _ = page_token(client, "/")
    client.post("/logout", data={"_csrf_token": token})
    login(client, username, password)


def _preliminary(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(Round.id).where(Round.kind == RoundKind.PRELIMINARY))


def _expert_id(session_factory, username: str) -> int:
    with session_factory() as session:
        return session.scalar(select(Expert.id).join(User, User.id == Expert.user_id)
                              .where(User.username == username))


def _submit(client, item) -> None:
    review = post_sheet(client, item, "submit", values=item.values(24, 26, 16, 13),
                        comment="创新点突出，经济效益数据完整，具备推广价值，同意推荐。", as_json=False)
    assert review.status_code == 200, review.text[:500]
    token, version = page_token(client, f"/judge/sheets/{item.handle}")
    done = client.post(f"/judge/sheets/{item.handle}/confirm", data={"_csrf_token": token,
                                                                             "version": str(version)})
    assert done.status_code == 200


# ------------------------------------------------------------------------------------ undertaking

def test_no_item_is_shown_before_the_undertaking_is_accepted(client, demo, session_factory):
    (item,) = new_judge(session_factory, "judge61", DEMO_PASSWORDS["judge"])
    login(client, "judge61", DEMO_PASSWORDS["judge"])
    page = client.get("/judge").text
    assert "保密与回避承诺书" in page and "郑重承诺" in page  # the organizer's text from the demo
    assert 'id="queue"' not in page and not re.search(r'<td class="code">', page)
    assert client.get(f"/judge/sheets/{item.handle}", follow_redirects=False).status_code in (302, 303)
    token, _ = page_token(client, "/judge")
    refused = post_sheet(client, item, values=item.values(5), version=0, token=token)
    assert refused.status_code == 400 and "保密承诺" in refused.json()["error"]
    assert stored(session_factory, item.assignment_id) is None

    client.post("/judge/undertaking", data={"_csrf_token": token, "accept": "yes"})
    assert 'id="queue"' in client.get("/judge").text
    event = _last_event(session_factory, "edition.undertaking_accepted")
    assert event["actor"] == "judge61" and len(event["data"]["text_sha256"]) == 64
    client.post("/judge/undertaking", data={"_csrf_token": token, "accept": "yes"})  # once per edition
    # the demo's 60 judges of 2026 and 8 of 2025 (each before scoring), and judge61
    assert _actions(session_factory).count("edition.undertaking_accepted") == 60 + 8 + 1


def test_the_organizer_sets_the_statement_judges_accept(client, demo, session_factory):
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    token, _ = page_token(client, "/organizer/rounds")
    client.post("/organizer/undertaking", data={"_csrf_token": token, "text": "本人承诺严格保密。"})
    assert _last_event(session_factory, "edition.undertaking_set")["data"]["text"] == "本人承诺严格保密。"
    new_judge(session_factory, "judge61", DEMO_PASSWORDS["judge"])
    _switch_to(client, "judge61", DEMO_PASSWORDS["judge"])
    assert "本人承诺严格保密。" in client.get("/judge").text


# -------------------------------------------------------------------------------------- conflicts

def test_declaring_a_conflict_removes_the_item_and_records_it(client, judge, session_factory):
    token, _ = page_token(client, f"/judge/sheets/{judge.handle}")
    empty = client.post(f"/judge/sheets/{judge.handle}/conflict", data={"_csrf_token": token, "reason": " ", "confirmed": "1"})
    assert empty.status_code == 400 and "请简要说明需要回避的原因" in empty.text
    response = client.post(f"/judge/sheets/{judge.handle}/conflict",
                           data={"_csrf_token": token, "reason": "该项目来自我曾任职的单位", "confirmed": "1"},
                           follow_redirects=False)
    assert response.status_code in (302, 303) and "notice=conflict" in response.headers["location"]
    assert f"/judge/sheets/{judge.handle}\"" not in client.get("/judge").text
    assert client.get(f"/judge/sheets/{judge.handle}").status_code == 404
    with session_factory() as session:
        assignment = session.get(Assignment, judge.assignment_id)
        assert assignment.withdrawn_at is not None and assignment.withdrawn_reason == "该项目来自我曾任职的单位"
        conflict = session.scalar(select(Conflict).where(Conflict.expert_id == assignment.expert_id,
                                                         Conflict.nomination_id == assignment.nomination_id))
        assert conflict.source is ConflictSource.DECLARED
    assert _last_event(session_factory, "assignment.conflict_declared")["data"]["reason"] == "该项目来自我曾任职的单位"
    with session_factory() as session:  # the panels part's refill gave the item to another expert
        judges = session.scalars(select(Assignment.expert_id).where(
            Assignment.nomination_id == assignment.nomination_id, Assignment.round_id == assignment.round_id,
            Assignment.withdrawn_at.is_(None))).all()
    assert len(judges) == 5 and assignment.expert_id not in judges
    assert _last_event(session_factory, "round.assignments_refilled")["actor"] == "system"


# -------------------------------------------------------------------------------- organizer round

def test_organizer_reopens_a_submitted_sheet_with_a_reason_the_judge_reads(client, judge, session_factory):
    _submit(client, judge)
    with session_factory() as session:
        sheet_id = session.scalar(select(ScoreSheet.id).where(ScoreSheet.assignment_id == judge.assignment_id))
    _switch_to(client, "organizer", DEMO_PASSWORDS["organizer"])
    round_id, expert_id = _preliminary(session_factory), _expert_id(session_factory, "judge01")
    token, _ = page_token(client, f"/organizer/rounds/{round_id}/judges/{expert_id}")
    missing = client.post(f"/organizer/sheets/{sheet_id}/reopen", data={"_csrf_token": token, "reason": ""})
    assert missing.status_code == 400 and "请填写退回原因" in missing.text
    assert stored(session_factory, judge.assignment_id)[1] == "submitted"
    done = client.post(f"/organizer/sheets/{sheet_id}/reopen",
                       data={"_csrf_token": token, "reason": "第三项评分与评语不一致，请核实"}, follow_redirects=False)
    assert done.status_code in (302, 303)
    version, status, values = stored(session_factory, judge.assignment_id)
    assert status == "draft" and values[judge.criterion_ids[0]] == 24  # the scores stay as the judge gave them
    event = _last_event(session_factory, "score_sheet.reopened")
    assert event["actor"] == "organizer" and event["data"]["reason"] == "第三项评分与评语不一致，请核实"
    again = client.post(f"/organizer/sheets/{sheet_id}/reopen", data={"_csrf_token": token, "reason": "再次"})
    assert again.status_code == 409

    _switch_to(client, "judge01", DEMO_PASSWORDS["judge"])
    page = client.get(f"/judge/sheets/{judge.handle}").text
    assert 'id="reopen-notice"' in page and "第三项评分与评语不一致，请核实" in page
    assert "已退回" in client.get("/judge").text
    resaved = post_sheet(client, judge, values=judge.values(24, 26, 15, 13))
    assert resaved.status_code == 200 and resaved.json()["version"] == version + 1


def test_organizer_extends_a_judges_deadline_past_the_rounds(client, judge, session_factory):
    round_id, expert_id = _preliminary(session_factory), _expert_id(session_factory, "judge01")
    with session_factory() as session:
        session.execute(update(Round).where(Round.id == round_id)
                        .values(deadline_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)))
        session.commit()
    assert post_sheet(client, judge, values=judge.values(5)).status_code == 409

    _switch_to(client, "organizer", DEMO_PASSWORDS["organizer"])
    path = f"/organizer/rounds/{round_id}/judges/{expert_id}"
    token, _ = page_token(client, path)
    past = client.post(path + "/extension", data={"_csrf_token": token, "until": "2020-01-01T10:00", "reason": "病假"})
    assert past.status_code == 400 and "新的截止时间须晚于" in past.text
    no_reason = client.post(path + "/extension", data={"_csrf_token": token, "until": "2099-01-01T10:00"})
    assert no_reason.status_code == 400
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).astimezone(dt.timezone(dt.timedelta(hours=8)))
    ok = client.post(path + "/extension", data={"_csrf_token": token, "until": until.strftime("%Y-%m-%dT%H:%M"),
                                                "reason": "出差，申请延期三天"}, follow_redirects=False)
    assert ok.status_code in (302, 303)
    assert until.strftime("%Y-%m-%d %H:%M") in client.get(path).text
    with session_factory() as session:
        extension = session.scalar(select(DeadlineExtension))
        assert extension.expert_id == expert_id and extension.reason == "出差，申请延期三天"
    assert _last_event(session_factory, "round.deadline_extended")["data"]["reason"] == "出差，申请延期三天"
    assert client.post(f"/organizer/rounds/{round_id}/judges/999999/extension",
                       data={"_csrf_token": token, "until": "2099-01-01T10:00", "reason": "x"}).status_code == 404

    _switch_to(client, "judge01", DEMO_PASSWORDS["judge"])
    assert post_sheet(client, judge, values=judge.values(5)).status_code == 200
    other = open_items(session_factory, "judge07")[0]  # judge07 has no extension: still refused
    _switch_to(client, "judge07", DEMO_PASSWORDS["judge"])
    token, _ = page_token(client, "/judge")
    client.post("/judge/undertaking", data={"_csrf_token": token, "accept": "yes"})
    assert post_sheet(client, other, values=other.values(5)).status_code == 409


def test_closing_the_round_stops_saving_and_opening_it_again_resumes(client, judge, session_factory):
    demo_events = len(_actions(session_factory))  # the demo opened and closed rounds of its own
    post_sheet(client, judge, values=judge.values(5))
    _switch_to(client, "organizer", DEMO_PASSWORDS["organizer"])
    round_id = _preliminary(session_factory)
    token, _ = page_token(client, f"/organizer/rounds/{round_id}")
    assert client.post(f"/organizer/rounds/{round_id}/status", data={"_csrf_token": token, "action": "close",
                                                                      "confirmed": "1"},
                       follow_redirects=False).status_code in (302, 303)
    assert client.post(f"/organizer/rounds/{round_id}/status",
                       data={"_csrf_token": token, "action": "close", "confirmed": "1"}).status_code == 409

    _switch_to(client, "judge01", DEMO_PASSWORDS["judge"])
    home = client.get("/judge").text
    assert "当前开放的评审轮次中没有分配给您的项目。" in home and 'id="queue"' not in home
    page = client.get(f"/judge/sheets/{judge.handle}").text  # readable, read-only, draft kept
    assert 'id="locked-notice"' in page and "本轮评审已结束" in page
    token, version = page_token(client, f"/judge/sheets/{judge.handle}")
    refused = post_sheet(client, judge, values=judge.values(6), version=version, token=token)
    assert refused.status_code == 409 and "草稿予以保留" in refused.json()["error"]

    _switch_to(client, "organizer", DEMO_PASSWORDS["organizer"])
    token, _ = page_token(client, f"/organizer/rounds/{round_id}")
    client.post(f"/organizer/rounds/{round_id}/status", data={"_csrf_token": token, "action": "open"})
    assert [a for a in _actions(session_factory)[demo_events:] if a.startswith("round.")] == [
        "round.closed", "round.opened"]


def test_progress_dashboard_counts_per_category_and_judge(client, judge, session_factory):
    post_sheet(client, judge, values=judge.values(5))
    _switch_to(client, "organizer", DEMO_PASSWORDS["organizer"])
    round_id = _preliminary(session_factory)
    page = client.get(f"/organizer/rounds/{round_id}").text
    assert "十大科技成果" in page and 'hx-trigger="every 20s"' in page
    with session_factory() as session:
        assigned = session.scalar(select(func.count()).select_from(Assignment)
                                  .where(Assignment.round_id == round_id, Assignment.withdrawn_at.is_(None)))
        sheets = session.execute(select(ScoreSheet.status).join(Assignment, Assignment.id == ScoreSheet.assignment_id)
                                 .where(Assignment.round_id == round_id)).scalars().all()
    figures = re.search(r'class="round-figures">.*?</div>\s*</div>', page, re.S).group(0)
    numbers = [int(n) for n in re.findall(r"<b>(\d+)</b>", figures)]
    assert numbers[0] == assigned
    assert numbers[2] == sum(1 for s in sheets if s.value == "draft")
    assert numbers[3] == sum(1 for s in sheets if s.value == "submitted")
    row = re.search(r'<tr class="[^"]*" data-username="judge01">.*?</tr>', page, re.S).group(0)
    assert "judge01" in row
    fragment = client.get(f"/organizer/rounds/{round_id}", headers={"hx-request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and 'id="round-progress"' in fragment.text


def test_judges_behind_schedule_export_for_reminders(client, demo, session_factory):
    login(client, "organizer", DEMO_PASSWORDS["organizer"])
    round_id = _preliminary(session_factory)
    with session_factory() as session:  # two thirds of the round's time have gone
        round_ = session.get(Round, round_id)
        now = dt.datetime.now(dt.UTC)
        round_.opens_at, round_.deadline_at = now - dt.timedelta(days=20), now + dt.timedelta(days=10)
        session.commit()
    response = client.get(f"/organizer/rounds/{round_id}/behind.csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["用户名", "姓名", "电子邮箱", "电话"]
    usernames = {row[0] for row in rows[1:]}
    assert "judge05" in usernames and "judge04" not in usernames  # nothing submitted / everything submitted
    assert all(row[2].endswith("@example.cn") for row in rows[1:])


def test_other_roles_cannot_reach_the_round_pages(client, demo, session_factory):
    round_id = _preliminary(session_factory)
    login(client, "judge01", DEMO_PASSWORDS["judge"])
    for path in ["/organizer/rounds", f"/organizer/rounds/{round_id}", f"/organizer/rounds/{round_id}/behind.csv"]:
        assert client.get(path).status_code == 404
    token, _ = page_token(client, "/judge")
    assert client.post(f"/organizer/rounds/{round_id}/status",
                       data={"_csrf_token": token, "action": "close"}).status_code == 404
    with session_factory() as session:
        assert session.get(Round, round_id).status.value == "open"
    _switch_to(client, "auditor", DEMO_PASSWORDS["auditor"])
    # The auditor reads the round's progress (issue 14) but changes nothing.
    assert client.get(f"/organizer/rounds/{round_id}").status_code == 200
    token, _ = page_token(client, f"/organizer/rounds/{round_id}")
    assert client.post(f"/organizer/rounds/{round_id}/status",
                       data={"_csrf_token": token, "action": "close", "confirmed": "1"}).status_code == 404
    assert client.get("/judge").status_code == 404

"""An expert's first visit in headless Chromium: the mailed link → own password → undertaking → score sheet."""

from __future__ import annotations

import email
import email.policy
import re

from sqlalchemy import select

from browser import screenshot
from judging.demo import DEMO_PASSWORDS

LINK = re.compile(r"https?://[^/\s]+(/invitation/[A-Za-z0-9_\-]+)")
PASSWORD = "梅花山-评审专家-2026"


def _window(chromium, *, phone: bool = False):
    options = ({"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
               if phone else {"viewport": {"width": 1280, "height": 900}})
    return chromium.new_context(locale="zh-CN", **options)


def _log_in(page, base: str, username: str, password: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")


def _new_expert_with_an_item(db) -> None:
    """An expert imported today (a login and an invitation by mail) who takes over one unscored item."""
    from judging import audit
    from judging.panels.importer import import_experts
    from judging.panels.models import Assignment, Expert
    from judging.scoring.models import ScoreSheet
    from judging.scoring.roster import swap_expert

    actor = audit.Actor.system("demo")
    table = "姓名,工作单位,城市,专业领域,邮箱\n欧阳明远,省外研究院,外省,机械、冶金,ouyang.mingyuan@example.org\n"
    report = import_experts(db, data=table.encode("utf-8"), filename="新专家.csv", by=actor)
    assert report.logins.invited == [("欧阳明远", "ouyang.mingyuan")]
    expert = db.scalar(select(Expert).where(Expert.name == "欧阳明远"))
    free = db.scalars(select(Assignment.id).outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
                      .where(ScoreSheet.id.is_(None), Assignment.withdrawn_at.is_(None)).order_by(Assignment.id))
    swap_expert(db, assignment_id=next(iter(free)), expert_id=expert.id, reason="专家调整", by=actor)
    db.commit()


def test_an_invited_expert_sets_a_password_accepts_the_undertaking_and_opens_a_sheet(
        served, browser, demo, db_url, db, tmp_path, cli):
    from judging.settings import Settings, install

    # The links are made with the instance's secret key (var/secret.key): share the served app's folder.
    install(Settings(database_url=db_url, var_dir=tmp_path, jobs_backend="immediate"))
    _new_expert_with_an_item(db)
    with served(db_url, tmp_path) as base, browser.launched() as chromium:
        # The relay writes the mails to var/outbox/ (no mail server in the embedded set-up).
        sent = cli("notify", "deliver", url=db_url, env={"JUDGING_VAR_DIR": str(tmp_path), "JUDGING_BASE_URL": base})
        assert sent.returncode == 0 and "failed 0" in sent.stdout, sent.stdout + sent.stderr
        mails = [email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                 for p in (tmp_path / "outbox").glob("*.eml")]
        mine = [m for m in mails if m["To"] == "ouyang.mingyuan@example.org"]
        assert len(mine) == 2  # the invitation, and the item assigned
        (invitation,) = [m for m in mine if LINK.search(m.get_content())]
        path = LINK.search(invitation.get_content()).group(1)

        expert = _window(chromium).new_page()
        expert.goto(base + path)
        assert expert.locator("#invited-username").inner_text() == "ouyang.mingyuan"
        screenshot(expert, "people-invitation-zh-1280")
        expert.fill("input[name=password]", "password1234")
        expert.fill("input[name=password2]", "password1234")
        expert.click("button[type=submit]")
        assert expert.locator("#password-error").is_visible()  # the existing password rules, link not spent
        expert.fill("input[name=password]", PASSWORD)
        expert.fill("input[name=password2]", PASSWORD)
        expert.click("button[type=submit]")
        expert.wait_for_url(f"{base}/judge")
        screenshot(expert, "people-undertaking-zh-1280")
        expert.click("#accept-undertaking")  # a new expert accepts the confidentiality undertaking first
        expert.locator("a[href^='/judge/sheets/']").first.click()
        expert.wait_for_url(re.compile(r".*/judge/sheets/[\w-]+$"))
        assert expert.locator("input.score, select").count() > 0
        screenshot(expert, "people-sheet-zh-1280")
        expert.goto(base + "/judge")
        expert.wait_for_selector("#my-notifications")  # the home page lists the expert's own messages
        assert "新的评审项目" in expert.locator("#my-notifications").inner_text()

        # The same link a second time: one clear page, and the password stays the one just set.
        again = _window(chromium).new_page()
        again.goto(base + path)
        assert again.locator("#link-invalid").is_visible()
        phone = _window(chromium, phone=True).new_page()
        phone.goto(base + path)
        screenshot(phone, "people-link-invalid-zh-390")
        _log_in(again, base, "ouyang.mingyuan", PASSWORD)
        again.wait_for_url(f"{base}/judge")

        office = _window(chromium).new_page()
        _log_in(office, base, "organizer", DEMO_PASSWORDS["organizer"])
        office.goto(base + "/organizer/outbox/")
        assert "ouyang.mingyuan@example.org" in office.locator("#outbox").inner_text()
        screenshot(office, "people-outbox-zh-1280")
        office.goto(base + "/accounts/")
        screenshot(office, "people-accounts-zh-1280")
        phone_office = _window(chromium, phone=True).new_page()
        _log_in(phone_office, base, "organizer", DEMO_PASSWORDS["organizer"])
        phone_office.goto(base + "/organizer/outbox/")
        screenshot(phone_office, "people-outbox-zh-390")

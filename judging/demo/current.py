"""The 2026 edition up to the judges at work: nominations, experts, blind codes, stages, assignments,
and the intake still under way (quotas, a small import to review)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import random

from sqlalchemy import select
from sqlalchemy.orm import Session

from judging import audit
from judging.accounts import Role, add_user
from judging.accounts.passwords import hash_password
from judging.demo.content import (
    CATEGORIES, CITIES, DEMO_PASSWORDS, EXPERT_FIELDS, INDUSTRIES, JUDGES_PER_NOMINATION, N_EXPERTS, SHANGHAI,
    DemoAccount, body, demo_codes, employer, person, title,
)
from judging.editions.models import Category, CategoryKey, Edition, Round, RoundKind
from judging.formal_review.models import Outcome
from judging.formal_review.service import decide, set_checklist
from judging.nominations import dictionary as short_names, importer
from judging.nominations.codes import ensure_blind_codes
from judging.nominations.models import Nomination, NominationIdentity, NominationStatus
from judging.nominations.service import confirm, set_quotas
from judging.nominations.storage import AttachmentStore
from judging.panels.importer import import_experts, link_account
from judging.panels.models import Expert
from judging.panels.service import PlanSettings, commit_plan, preview_plan
from judging import settings
from judging.stages.models import StageKind
from judging.stages.service import close_stage, open_stage, schedule_stage


def add_nominations(session: Session, rng: random.Random, *, edition: Edition, actor: audit.Actor,
                    ) -> list[Nomination]:
    """The confirmed nominations of every category, as a finished intake would leave them."""
    categories = {category.key: category for category in edition.categories}
    nominations: list[Nomination] = []
    for key, _name, _top_n, count, _criteria in CATEGORIES:
        for _ in range(count):
            city = rng.choice(CITIES)
            industry = rng.choice(INDUSTRIES)
            employer_name = employer(rng, city, industry)
            inventors = [person(rng) for _ in range(1 if key is CategoryKey.CHIEF_EMPLOYEE else rng.randint(1, 5))]
            name = title(rng, key, inventors[0])
            summary, text = body(rng, name, industry)
            patents = [f"ZL{rng.randint(2018, 2025)}{rng.randint(1, 2)}{rng.randint(10**7, 10**8 - 1)}."
                       f"{rng.randint(0, 9)}" for _ in range(rng.randint(0, 2))]
            nomination = Nomination(edition_id=edition.id, category_id=categories[key].id, title=name,
                                    summary=summary, body=text, status=NominationStatus.CONFIRMED)
            nomination.identity = NominationIdentity(
                inventors=inventors, employer=employer_name, city=city, industry=industry, patents=patents,
                contact_phone=f"1{rng.choice('3578')}{rng.randint(10**8, 10**9 - 1)}",
                contact_email=f"contact{len(nominations) + 1:03d}@example.cn")
            session.add(nomination)
            nominations.append(nomination)
    session.flush()
    audit.append(session, actor=actor, action="edition.demo_nominations_loaded", object_type="edition",
                 object_id=edition.id, data={"count": len(nominations), "source": "demo"})
    return nominations


def add_experts(session: Session, rng: random.Random, *, actor: audit.Actor) -> list[Expert]:
    """judge01 … judge60: an account each (through the accounts service), the pool imported from a table
    as the office imports one, and each expert linked to the account it signs in with."""
    judge_hash = hash_password(DEMO_PASSWORDS["judge"])  # one published password: hash it once
    users, rows = [], []
    for index in range(1, N_EXPERTS + 1):
        city = rng.choice(CITIES)
        industry = rng.choice(INDUSTRIES)
        name = person(rng)
        users.append(add_user(session, username=f"judge{index:02d}", password=DEMO_PASSWORDS["judge"],
                              role=Role.JUDGE, display_name=name, by=actor, password_hash=judge_hash))
        rows.append([name, employer(rng, city, industry), city, f"139{rng.randint(10**7, 10**8 - 1)}",
                     f"judge{index:02d}@example.cn", "、".join(rng.sample(EXPERT_FIELDS, 2)), "30"])
    out = io.StringIO()
    csv.writer(out).writerows([["姓名", "工作单位", "城市", "手机", "邮箱", "专业领域", "最大评审量"], *rows])
    report = import_experts(session, data=out.getvalue().encode("utf-8"), filename="评审专家库.csv", by=actor,
                            make_logins=False)  # the demo's judges have their published logins (linked below)
    if not report.stored or report.problems:
        raise RuntimeError(f"the demo's expert pool did not import: {report.problems[:3]}")
    experts = list(session.scalars(select(Expert).order_by(Expert.id.desc()).limit(N_EXPERTS)))[::-1]
    for expert, user in zip(experts, users, strict=True):
        link_account(session, expert=expert, user_id=user.id, by=actor)
    return experts


JUDGE_ACCOUNTS = DemoAccount("judge01 … judge60", DEMO_PASSWORDS["judge"], Role.JUDGE, "60位评审专家")


def add_blind_codes(session: Session, rng: random.Random, *, round_: Round, nominations: list[Nomination],
                    by: audit.Actor):
    """The preliminary round's codes, through the one issuer with the demo's seeded drawer (returned, so the
    nominations that pass formal review later get theirs from the same stream)."""
    draw = demo_codes(rng)
    ensure_blind_codes(session, round_id=round_.id, nomination_ids=[n.id for n in nominations], by=by, draw=draw)
    return draw


def assign(session: Session, *, edition: Edition, round_: Round, seed: int, actor: audit.Actor) -> None:
    """The organizer's flow, per category: preview with the solver (deterministic), then commit.
    Load caps spread each category evenly over the 60 experts, as a real office would."""
    categories = {category.key: category for category in edition.categories}
    for key, _name, _top_n, count, _criteria in CATEGORIES:
        share = count * JUDGES_PER_NOMINATION / N_EXPERTS
        plan = preview_plan(session, round_id=round_.id, category_id=categories[key].id, by=actor,
                            settings=PlanSettings(k=JUDGES_PER_NOMINATION, max_load=math.ceil(share),
                                                  min_load=math.floor(share), seed=seed))
        commit_plan(session, plan_id=plan.id, by=actor)


# The stages of every demo category: (planned start, planned end, opened, closed) in local time.
DEMO_STAGE_DATES = {
    StageKind.NOMINATION: (dt.date(2026, 9, 1), dt.date(2026, 10, 31),
                           dt.datetime(2026, 9, 1, 9, 0, tzinfo=SHANGHAI), dt.datetime(2026, 10, 31, 17, 0, tzinfo=SHANGHAI)),
    StageKind.FORMAL_REVIEW: (dt.date(2026, 11, 2), dt.date(2026, 11, 13),
                              dt.datetime(2026, 11, 2, 9, 0, tzinfo=SHANGHAI),
                              dt.datetime(2026, 11, 13, 17, 0, tzinfo=SHANGHAI)),
    StageKind.ONLINE_REVIEW: (dt.date(2026, 11, 20), dt.date(2026, 12, 20),
                              dt.datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI), None),
    StageKind.PANEL_MEETING: (dt.date(2027, 1, 10), dt.date(2027, 1, 12), None, None),
    StageKind.PUBLIC_NOTICE: (dt.date(2027, 1, 15), dt.date(2027, 1, 21), None, None),
    StageKind.APPROVAL: (dt.date(2027, 1, 25), dt.date(2027, 1, 29), None, None),
}
DEMO_CHECKLIST = [{"kind": "manual", "label": "推荐表加盖推荐单位（市总工会）公章"},
                  {"kind": "manual", "label": "申报材料真实完整，不含涉密内容"}]


def walk_stages(session: Session, *, edition: Edition, actor: audit.Actor, draw) -> None:
    """Every category of the current demo edition, in the order the stages allow: recommendation (where the
    late table of three suggestions is imported and confirmed), formal review (every nomination decided: the
    late near-duplicate is not accepted), online review open, the later stages scheduled.
    Through the same services as the organizer's pages."""
    for category in edition.categories:
        for kind, (start, end, _opened, _closed) in DEMO_STAGE_DATES.items():
            schedule_stage(session, category_id=category.id, kind=kind, start=start, end=end, by=actor)
        set_checklist(session, edition=edition, category_id=category.id, items=DEMO_CHECKLIST, by=actor)
        open_stage(session, category_id=category.id, kind=StageKind.NOMINATION, by=actor,
                   now=DEMO_STAGE_DATES[StageKind.NOMINATION][2])
    imported = intake(session, edition=edition, actor=actor)
    # The organizer checks the late table's flags and confirms its rows before recommendation closes (their
    # codes come from the demo's seeded drawer, as the others').
    for nomination_id in imported.values():
        ensure_blind_codes(session, round_id=_preliminary_of(edition).id, nomination_ids=[nomination_id], by=actor,
                           draw=draw)
        confirm(session, edition=edition, nomination_id=nomination_id, by=actor, acknowledge=True)
    for category in edition.categories:
        for kind, (_start, _end, opened, closed) in DEMO_STAGE_DATES.items():
            if kind is not StageKind.NOMINATION and opened is not None:
                open_stage(session, category_id=category.id, kind=kind, by=actor, now=opened)
            if kind is StageKind.FORMAL_REVIEW:
                _review_all(session, edition=edition, category=category, imported=imported, actor=actor)
            if closed is not None:
                close_stage(session, category_id=category.id, kind=kind, by=actor, now=closed)


def _review_all(session: Session, *, edition: Edition, category: Category, imported: dict[str, int],
                actor: audit.Actor) -> None:
    """Formal review of the category: both manual checks ticked for every nomination; the late table's
    near-copy of another city's suggestion is not accepted."""
    duplicate = imported.get(DEMO_DUPLICATE_TITLE)
    for nomination_id in session.scalars(select(Nomination.id).where(
            Nomination.category_id == category.id).order_by(Nomination.id)):
        if nomination_id == duplicate:
            decide(session, edition=edition, nomination_id=nomination_id, outcome=Outcome.REJECTED, by=actor,
                   reasons="与苏州市推荐的《空压机余热回收利用建议》内容重复，不予受理。")
        else:
            decide(session, edition=edition, nomination_id=nomination_id, outcome=Outcome.PASSED, by=actor,
                   ticked=range(len(DEMO_CHECKLIST)))


def _preliminary_of(edition: Edition) -> Round:
    return next(r for r in edition.rounds if r.kind is RoundKind.PRELIMINARY)


# Employees per nominating unit (thousands of trade-union members, rounded), for the quotas page.
DEMO_EMPLOYEES = {"南京": 412, "无锡": 335, "徐州": 248, "常州": 221, "苏州": 693, "南通": 289, "连云港": 115,
                  "淮安": 126, "盐城": 171, "扬州": 142, "镇江": 108, "泰州": 140, "宿迁": 112}
DEMO_TARGET = 240
# A late table of three suggestions, imported during recommendation: one re-submits another's suggestion
# (flagged as a near-duplicate, not accepted in formal review), one names its employer's abbreviation in
# the text (a leftover the organizer checks), one is clean.
DEMO_REVIEW_ROWS = [
    ["十佳合理化建议", "苏州", "空压机余热回收利用建议",
     "利用空压机余热加热生活用水，年节电120万千瓦时，节约费用96万元，建议在全公司推广应用。", "",
     "陈静", "苏州热工研究院有限公司", "电力", "", "13812345678", "chenjing@example.cn"],
    ["十佳合理化建议", "无锡", "空压机余热回收再利用的建议",
     "利用空压机余热加热生活用水，年节电125万千瓦时，节约费用98万元，建议在全公司推广应用。", "",
     "周杰", "无锡一棉纺织集团有限公司", "纺织", "", "0510-82712345", "zhoujie@example.cn"],
    ["十佳合理化建议", "南京", "关于高炉煤气余压发电透平叶片在线清洗的建议",
     "王建国同志提出在南钢推广透平叶片在线清洗，年创效780万元。", "",
     "王建国", "南京钢铁股份有限公司", "钢铁冶金", "ZL201910123456.7", "13912345678", "wangjianguo@example.cn"],
]
DEMO_DUPLICATE_TITLE = "空压机余热回收再利用的建议"


def intake(session: Session, *, edition: Edition, actor: audit.Actor) -> dict[str, int]:
    """City quotas (employees and the edition's total target) and the late table of three suggestions,
    imported during recommendation through the same services the organizer's pages use; returns the ids
    of what it imported by title."""
    set_quotas(session, edition=edition, total=DEMO_TARGET, by=actor,
               units=[(city, "city", DEMO_EMPLOYEES[city]) for city in CITIES])
    short_names.seed(session, edition_id=edition.id, by=actor)  # the office's dictionary: 南钢, 徐工 …
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["类别", "城市", "项目名称", "简介", "正文", "完成人", "工作单位", "所属行业", "专利号", "联系电话",
                     "电子邮箱"])
    writer.writerows(DEMO_REVIEW_ROWS)
    record = importer.import_nominations(session, edition=edition, table_data=out.getvalue().encode("gb18030"),
                                         filename="苏锡宁推荐汇总表.csv", by=actor,
                                         store=AttachmentStore(settings.current().var_dir))
    if record.status != "imported":
        raise RuntimeError(f"the demo's late table did not import: {record.errors[:3]}")
    titles = [row[2] for row in DEMO_REVIEW_ROWS]
    return dict(session.execute(select(Nomination.title, Nomination.id).where(
        Nomination.edition_id == edition.id, Nomination.title.in_(titles))).all())

"""A realistic, deterministic demo edition (2026, Jiangsu) that every part of the product extends."""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from judging import audit
from judging.accounts import Role, add_user
from judging.accounts.passwords import hash_password
from judging.editions.service import has_edition
from judging.editions.models import (
    Category, CategoryKey, Criterion, CriterionGrade, CriterionLevel, Edition, EditionStatus, Round, RoundKind,
    RoundStatus, Rubric, ScaleKind,
)
from judging.nominations.blinding import ALPHABET, PAYLOAD_LENGTH, check_character
from judging.nominations.models import BlindCode, Nomination, NominationIdentity, NominationStatus
from judging.panels.models import Assignment, Expert
from judging.stages.models import StageKind

SHANGHAI = dt.timezone(dt.timedelta(hours=8))
CITIES = ["南京", "无锡", "徐州", "常州", "苏州", "南通", "连云港", "淮安", "盐城", "扬州", "镇江", "泰州", "宿迁"]

CATEGORIES = [
    (CategoryKey.ACHIEVEMENT, "十大科技成果", 10, 80,
     [("创新性", 30, "技术原理、结构或工艺的新颖程度"), ("技术水平", 30, "与国内外同类技术相比所处的水平"),
      ("经济效益", 20, "近两年新增产值、节约成本等可核实的效益"), ("推广价值", 20, "在行业内推广应用的前景")]),
    (CategoryKey.OPERATING_METHOD, "十大先进操作法", 10, 50,
     [("先进性", 30, "与原有操作方法相比的进步"), ("实用性", 25, "在岗位上的可操作性与稳定性"),
      ("效益", 25, "提高效率、质量、安全的实际效果"), ("可推广性", 20, "可复制、可传授的程度")]),
    (CategoryKey.SUGGESTION, "十佳合理化建议", 10, 50,
     [("创新性", 25, "建议的新意"), ("可行性", 25, "实施条件与成本"),
      ("经济效益", 30, "节约或增效的金额"), ("实施效果", 20, "采纳后的实际成效")]),
    (CategoryKey.CHIEF_EMPLOYEE, "首席员工", 20, 20,
     [("技能水平", 30, "职业资格与技能竞赛成绩"), ("创新成果", 30, "技术革新、发明创造与专利"),
      ("传帮带作用", 20, "带徒传技、创新工作室建设"), ("职业道德", 20, "敬业与团队表现")]),
]
# 十大科技成果 is scored in points, as Chinese expert review forms do: each criterion's range is its
# share of 100 (weight = points), 技术水平 on the grades of a technology evaluation, the others on numbers
# with band descriptors. The other categories score every criterion from 0 to 10 in steps of 0.5.
POINT_CATEGORIES = (CategoryKey.ACHIEVEMENT,)
GRADES = {"技术水平": [("国际领先", 30), ("国际先进", 26), ("国内领先", 22), ("国内先进", 18), ("国内一般", 12)]}
POINT_BANDS = {
    30: [(0, 9, "较差", "无明显创新或效益"), (10, 20, "一般", "有一定创新，效果尚需验证"),
         (21, 25, "良好", "创新明显，效果已得到验证"), (26, 30, "优秀", "省内领先，效果显著且可推广")],
    20: [(0, 6, "较差", "效益或前景不明显"), (7, 12, "一般", "有一定效益，推广范围有限"),
         (13, 16, "良好", "效益明显，可在本行业推广"), (17, 20, "优秀", "效益显著，可跨行业推广")],
}
# The review opinion's minimum length (characters) per category; 0: optional.
OPINION_MIN_LENGTH = {CategoryKey.ACHIEVEMENT: 20, CategoryKey.SUGGESTION: 10}
LEVELS = [(Decimal("0"), Decimal("3.5"), "一般", "与同类成果相比无明显优势"),
          (Decimal("4"), Decimal("5.5"), "较好", "有一定特色，效果尚需验证"),
          (Decimal("6"), Decimal("7.5"), "良好", "特色明显，效果已得到验证"),
          (Decimal("8"), Decimal("10"), "优秀", "省内领先，效果显著且可推广")]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = ["建国", "志强", "海峰", "晓东", "立新", "明", "伟", "芳", "静", "磊", "军", "洋", "勇", "艳", "杰", "娟",
         "涛", "超", "秀英", "桂兰", "国平", "红梅", "卫东", "小龙", "雪", "鹏飞", "文斌", "建华", "玉兰", "春生"]
INDUSTRIES = ["钢铁冶金", "电力", "石油化工", "装备制造", "纺织", "轨道交通", "建筑施工", "汽车制造", "电子信息",
              "港口物流", "医药", "食品加工"]
EMPLOYER_STEMS = {"钢铁冶金": ["钢铁", "特钢", "冶金"], "电力": ["供电", "电力", "热电"],
                  "石油化工": ["石化", "化工", "炼化"], "装备制造": ["重工", "机械", "工程机械"],
                  "纺织": ["纺织", "化纤", "印染"], "轨道交通": ["地铁", "轨道交通", "机车车辆"],
                  "建筑施工": ["建工", "路桥", "安装工程"], "汽车制造": ["汽车", "汽车零部件", "客车"],
                  "电子信息": ["微电子", "通信", "智能科技"], "港口物流": ["港务", "物流", "航运"],
                  "医药": ["制药", "生物医药", "医疗器械"], "食品加工": ["食品", "乳业", "粮油"]}
SUFFIXES = ["有限公司", "股份有限公司", "集团有限公司", "有限责任公司"]
TECH_OBJECTS = ["高炉炉顶布料", "变电站巡检", "催化裂化装置", "大型起重机臂架", "纺纱断头", "地铁车辆转向架",
                "盾构隧道管片", "汽车焊装线", "晶圆清洗", "集装箱岸桥", "注射剂灌装", "乳品杀菌", "输电线路覆冰",
                "轧机辊缝", "锅炉燃烧", "数控机床主轴", "焊缝缺陷", "配电网故障", "储罐防腐", "电梯曳引"]
TECH_METHODS = ["智能监测", "快速定位", "在线诊断", "自适应控制", "节能优化", "无损检测", "精准调控",
                "模块化改造", "机器视觉识别", "数字孪生"]
TECH_FORMS = ["技术", "系统的研制", "装置的研发与应用", "方法及其应用", "关键技术研究"]
OPERATING_FORMS = ["操作法", "作业法", "工作法", "检修法"]
SUGGESTION_FORMS = ["关于优化{obj}流程的建议", "关于降低{obj}能耗的建议", "关于改进{obj}备件管理的建议",
                    "关于{obj}班组交接标准化的建议"]
EXPERT_FIELDS = ["冶金工程", "电气工程", "化学工程", "机械工程", "纺织工程", "交通运输", "土木工程", "车辆工程",
                 "电子信息", "物流管理", "药学", "食品科学", "安全工程", "技术经济", "人力资源"]

DEMO_PASSWORDS = {"organizer": "demo-Office-2026", "auditor": "demo-Audit-2026",
                  "admin": "demo-Sysop-2026", "judge": "demo-Expert-2026"}
N_EXPERTS = 60
JUDGES_PER_NOMINATION = 5


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: Role
    note: str = ""


def _demo_criterion(position: int, name: str, weight: int, description: str, *, points: bool) -> Criterion:
    criterion = Criterion(position=position, name=name, description=description, weight=Decimal(weight) / 100,
                          scale_min=Decimal(0), scale_max=Decimal(weight if points else 10),
                          scale_step=Decimal(1 if points else "0.5"))
    if name in GRADES and points:
        criterion.scale_kind, criterion.scale_step = ScaleKind.GRADE, Decimal(0)
        criterion.grades = [CriterionGrade(position=k, label=label, value=Decimal(value))
                            for k, (label, value) in enumerate(GRADES[name])]
    else:
        bands = [(Decimal(low), Decimal(high), label, desc) for low, high, label, desc in POINT_BANDS[weight]] \
            if points else LEVELS
        criterion.levels = [CriterionLevel(low=low, high=high, label=label, description=desc)
                            for low, high, label, desc in bands]
    return criterion


def on_scale(criterion: Criterion, share: Decimal) -> tuple[Decimal, str | None]:
    """The score ``share`` (0–1) of the way up the criterion's scale, on its steps; on a grade scale
    the grade nearest to it. Returns (value, grade)."""
    target = criterion.scale_min + share * (criterion.scale_max - criterion.scale_min)
    if criterion.scale_kind is ScaleKind.GRADE:
        grade = min(criterion.grades, key=lambda g: (abs(g.value - target), -g.value))
        return grade.value, grade.label
    steps = ((target - criterion.scale_min) / criterion.scale_step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return criterion.scale_min + steps * criterion.scale_step, None


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _employer(rng: random.Random, city: str, industry: str) -> str:
    return city + rng.choice(["", "市"]) + rng.choice(EMPLOYER_STEMS[industry]) + rng.choice(SUFFIXES)


def _title(rng: random.Random, key: CategoryKey, first_inventor: str) -> str:
    obj = rng.choice(TECH_OBJECTS)
    if key is CategoryKey.ACHIEVEMENT:
        return f"{obj}{rng.choice(TECH_METHODS)}{rng.choice(TECH_FORMS)}"
    if key is CategoryKey.OPERATING_METHOD:
        return f"{obj}{rng.choice(['快速', '精准', '安全', '高效'])}{rng.choice(OPERATING_FORMS)}"
    if key is CategoryKey.SUGGESTION:
        return rng.choice(SUGGESTION_FORMS).format(obj=obj)
    return f"{obj}岗位首席员工推荐"


def _body(rng: random.Random, title: str, industry: str) -> tuple[str, str]:
    saving = rng.randint(20, 900) * 10
    years = rng.randint(1, 5)
    summary = (f"针对{industry}生产中存在的效率低、故障多等问题，本项目提出{title}，"
               f"经{years}年应用，年节约成本约{saving}万元。")
    body = (f"一、项目背景：{industry}现场长期依赖人工经验，存在质量波动与安全隐患。\n"
            f"二、主要内容：{title}，通过结构改进与参数优化，实现关键工序的稳定控制。\n"
            f"三、创新点：提出新的检测与控制思路，形成可复制的作业标准。\n"
            f"四、应用效果：累计应用{rng.randint(3, 60)}台（套），故障率下降{rng.randint(10, 60)}%，"
            f"年创效益约{saving}万元。\n五、推广前景：可在省内同行业推广。")
    return summary, body


def _demo_code(rng: random.Random, used: set[str]) -> str:
    # Real rounds draw codes from `secrets` (judging.nominations.blinding.new_code); the demo draws
    # them from its seed so that it stays reproducible.
    while True:
        payload = "".join(rng.choice(ALPHABET) for _ in range(PAYLOAD_LENGTH))
        code = payload + check_character(payload)
        if code not in used:
            return code


def load_demo(session: Session, *, seed: int = 2026, progress: Callable[[int, int, str], None] | None = None,
              ) -> list[DemoAccount]:
    """Create the demo edition in the caller's transaction; refuse if any edition exists.

    Every random choice comes from one ``random.Random(seed)``, so the same seed gives the same
    editions, nominations, experts, assignments and codes. Password hashes (salted) and audit
    timestamps naturally differ between two loads.
    """
    if has_edition(session):
        raise RuntimeError("the database already holds an edition; the demo loads only into an empty one")
    rng = random.Random(seed)
    report = progress or (lambda done, total, what: None)
    system = audit.Actor.system("demo")
    steps = 6
    report(0, steps, "accounts")

    accounts = [DemoAccount("organizer", DEMO_PASSWORDS["organizer"], Role.ORGANIZER, "协调办公室"),
                DemoAccount("auditor", DEMO_PASSWORDS["auditor"], Role.AUDITOR, "纪检监督"),
                DemoAccount("admin", DEMO_PASSWORDS["admin"], Role.ADMIN, "系统管理员")]
    display = {"organizer": "省总工会协调办公室", "auditor": "纪检监督员", "admin": "系统管理员"}
    for account in accounts:
        add_user(session, username=account.username, password=account.password, role=account.role,
                 display_name=display[account.username], by=system)

    report(1, steps, "edition")
    edition = Edition(year=2026, name="2026年度江苏省职工科技创新成果评选", status=EditionStatus.RUNNING,
                      settings={"tie_rule": "item_se", "conflict_same_city": False})
    session.add(edition)
    session.flush()
    audit.append(session, actor=system, action="edition.created", object_type="edition", object_id=edition.id,
                 data={"year": edition.year, "name": edition.name})
    categories: dict[CategoryKey, Category] = {}
    for position, (key, name, top_n, _count, criteria) in enumerate(CATEGORIES):
        category = Category(edition=edition, key=key, name=name, top_n=top_n, position=position)
        rubric = Rubric(category=category, name=f"{name}评分标准", opinion_min_length=OPINION_MIN_LENGTH.get(key, 0))
        for index, (cname, weight, description) in enumerate(criteria):
            rubric.criteria.append(_demo_criterion(index, cname, weight, description, points=key in POINT_CATEGORIES))
        session.add_all([category, rubric])
        categories[key] = category
    preliminary = Round(edition=edition, kind=RoundKind.PRELIMINARY, name="网络评审（初评）", status=RoundStatus.OPEN,
                        opens_at=dt.datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI),
                        deadline_at=dt.datetime(2026, 12, 20, 18, 0, tzinfo=SHANGHAI))
    final = Round(edition=edition, kind=RoundKind.FINAL, name="会议评审（终评）", status=RoundStatus.DRAFT,
                  opens_at=dt.datetime(2027, 1, 10, 9, 0, tzinfo=SHANGHAI),
                  deadline_at=dt.datetime(2027, 1, 12, 18, 0, tzinfo=SHANGHAI))
    session.add_all([preliminary, final])
    session.flush()

    report(2, steps, "nominations")
    nominations: list[tuple[Nomination, str]] = []
    for key, _name, _top_n, count, _criteria in CATEGORIES:
        for _ in range(count):
            city = rng.choice(CITIES)
            industry = rng.choice(INDUSTRIES)
            employer = _employer(rng, city, industry)
            inventors = [_person(rng) for _ in range(1 if key is CategoryKey.CHIEF_EMPLOYEE else rng.randint(1, 5))]
            title = _title(rng, key, inventors[0])
            summary, body = _body(rng, title, industry)
            patents = [f"ZL{rng.randint(2018, 2025)}{rng.randint(1, 2)}{rng.randint(10**7, 10**8 - 1)}."
                       f"{rng.randint(0, 9)}" for _ in range(rng.randint(0, 2))]
            nomination = Nomination(edition_id=edition.id, category_id=categories[key].id, title=title,
                                    summary=summary, body=body, status=NominationStatus.CONFIRMED)
            nomination.identity = NominationIdentity(
                inventors=inventors, employer=employer, city=city, industry=industry, patents=patents,
                contact_phone=f"1{rng.choice('3578')}{rng.randint(10**8, 10**9 - 1)}",
                contact_email=f"contact{len(nominations) + 1:03d}@example.cn")
            session.add(nomination)
            nominations.append((nomination, employer))
    session.flush()
    audit.append(session, actor=system, action="edition.demo_nominations_loaded", object_type="edition",
                 object_id=edition.id, data={"count": len(nominations), "source": "demo"})

    report(3, steps, "experts")
    experts: list[Expert] = []
    judge_hash = hash_password(DEMO_PASSWORDS["judge"])  # one published password: hash it once
    for index in range(1, N_EXPERTS + 1):
        city = rng.choice(CITIES)
        industry = rng.choice(INDUSTRIES)
        name = _person(rng)
        user = add_user(session, username=f"judge{index:02d}", password=DEMO_PASSWORDS["judge"], role=Role.JUDGE,
                        display_name=name, by=system, password_hash=judge_hash)
        expert = Expert(user_id=user.id, name=name, employer=_employer(rng, city, industry), city=city,
                        phone=f"139{rng.randint(10**7, 10**8 - 1)}", email=f"judge{index:02d}@example.cn",
                        fields=rng.sample(EXPERT_FIELDS, 2), max_load=30)
        session.add(expert)
        experts.append(expert)
    session.flush()
    accounts.append(DemoAccount("judge01 … judge60", DEMO_PASSWORDS["judge"], Role.JUDGE, "60位评审专家"))

    report(4, steps, "blind codes")
    used: set[str] = set()
    for nomination, _employer_name in nominations:
        code = _demo_code(rng, used)
        used.add(code)
        session.add(BlindCode(round_id=preliminary.id, nomination_id=nomination.id, code=code))

    _demo_stages(session, edition=edition, actor=system)

    report(5, steps, "assignments")
    # The organizer's flow, per category: preview with the solver (deterministic), then commit.
    # Load caps spread each category evenly over the 60 experts, as a real office would.
    from judging.panels.service import PlanSettings, commit_plan, preview_plan

    for key, _name, _top_n, count, _criteria in CATEGORIES:
        share = count * JUDGES_PER_NOMINATION / N_EXPERTS
        plan = preview_plan(session, round_id=preliminary.id, category_id=categories[key].id, by=system,
                            settings=PlanSettings(k=JUDGES_PER_NOMINATION, max_load=math.ceil(share),
                                                  min_load=math.floor(share), seed=seed))
        commit_plan(session, plan_id=plan.id, by=system)
    _demo_submitted_scores(session, seed=seed)
    _demo_scoring(session, edition=edition, round_=preliminary, experts=experts, seed=seed, actor=system)
    _demo_intake(session, edition=edition, actor=system)
    _demo_notice_edition(session, seed=seed, experts=experts, actor=system)
    report(steps, steps, "done")
    return accounts


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


def make_demo_documents(session_factory: sessionmaker[Session]) -> int:
    """After the demo has committed: the PDFs its notices and tallied meeting would have had made by then
    (the same producers the notice job and the tally use, each rendering outside any transaction)."""
    from judging.meetings.models import Meeting, MeetingStatus
    from judging.meetings.sheet import make_sheet
    from judging.notices.jobs import make_notice_pdf
    from judging.notices.models import Notice

    with session_factory() as session:
        notice_ids = list(session.scalars(select(Notice.id).order_by(Notice.id)))
        meeting_ids = list(session.scalars(select(Meeting.id).where(Meeting.status == MeetingStatus.TALLIED)
                                           .order_by(Meeting.id)))
    by = audit.Actor.system("demo")
    for notice_id in notice_ids:
        make_notice_pdf(session_factory, notice_id=notice_id, by=by)
    for meeting_id in meeting_ids:
        make_sheet(session_factory, meeting_id=meeting_id, by=by)
    return len(notice_ids) + len(meeting_ids)


def _demo_stages(session: Session, *, edition: Edition, actor: audit.Actor) -> None:
    """Every category of the current demo edition is in online review: recommendation closed, formal
    review closed with every nomination passed (both manual checks ticked), online review open, the
    later stages scheduled. Through the same services as the organizer's pages."""
    from judging.formal_review.models import Outcome
    from judging.formal_review.service import decide, set_checklist
    from judging.stages.service import close_stage, open_stage, schedule_stage

    for category in edition.categories:
        for kind, (start, end, _opened, _closed) in DEMO_STAGE_DATES.items():
            schedule_stage(session, category_id=category.id, kind=kind, start=start, end=end, by=actor)
        set_checklist(session, edition=edition, category_id=category.id, items=DEMO_CHECKLIST, by=actor)
        for kind, (_start, _end, opened, closed) in DEMO_STAGE_DATES.items():
            if opened is None:
                continue
            open_stage(session, category_id=category.id, kind=kind, by=actor, now=opened)
            if kind is StageKind.FORMAL_REVIEW:
                for nomination_id in session.scalars(select(Nomination.id).where(
                        Nomination.category_id == category.id).order_by(Nomination.id)):
                    decide(session, edition=edition, nomination_id=nomination_id, outcome=Outcome.PASSED, by=actor,
                           ticked=range(len(DEMO_CHECKLIST)))
            if closed is not None:
                close_stage(session, category_id=category.id, kind=kind, by=actor, now=closed)


DEMO_UNDERTAKING = (
    "本人作为2026年度江苏省职工科技创新成果评选的评审专家，郑重承诺：\n"
    "一、对评审中接触的全部申报材料、附件及评审意见、评分结果严格保密，不复制、不留存、不向任何单位和个人泄露；\n"
    "二、不打探、不猜测申报人身份，不与申报人或其单位私下接触；\n"
    "三、与申报项目存在利害关系（本单位或关联单位申报、近亲属或密切合作者参与、本人曾提供咨询等）时，"
    "立即主动声明回避，不参与该项目评分；\n"
    "四、独立、客观、公正地评分，按时提交评审意见。\n"
    "如有违反，自愿接受取消评审专家资格等处理。")


def _demo_scoring(session: Session, *, edition: Edition, round_: Round, experts: list[Expert], seed: int,
                  actor: audit.Actor) -> None:
    """The organizer's undertaking text, and scoring under way: judges 01–05 have accepted it;
    judge01 has a draft and a submitted sheet, judge02 has submitted most of its items, judge03 has
    drafts only, judge04 has submitted everything, judge05 has not started. A separate random
    stream (seed + 1) keeps the rest of the demo exactly as before."""
    from sqlalchemy import select

    from judging.accounts.models import User
    from judging.scoring.models import CriterionScore, ScoreSheet, SheetStatus
    from judging.scoring.rules import weighted_total
    from judging.scoring.service import accept_undertaking

    rng = random.Random(seed + 1)
    edition.settings = {**edition.settings, "undertaking": DEMO_UNDERTAKING}
    session.flush()
    audit.append(session, actor=actor, action="edition.undertaking_set", object_type="edition", object_id=edition.id,
                 data={"text": DEMO_UNDERTAKING})
    users = {user.username: user for user in session.scalars(select(User).where(User.role == Role.JUDGE))}
    by_user = {expert.user_id: expert for expert in experts}
    plan = {"judge01": (1, 1), "judge02": (None, 2), "judge03": (0, 3), "judge04": (None, 0), "judge05": (0, 0)}
    rubrics = {category.id: category.rubric for category in edition.categories}
    now = round_.opens_at + dt.timedelta(days=2)
    for username, (n_submitted, n_drafts) in plan.items():
        user = users[username]
        accept_undertaking(session, judge=user, edition=edition)
        expert = by_user[user.id]
        assignments = session.scalars(  # items other parts of the demo have not scored already
            select(Assignment).outerjoin(ScoreSheet, ScoreSheet.assignment_id == Assignment.id)
            .where(Assignment.expert_id == expert.id, Assignment.round_id == round_.id, ScoreSheet.id.is_(None))
            .order_by(Assignment.id)).all()
        if n_submitted is None:  # all but n_drafts
            n_submitted = len(assignments) - n_drafts
        for index, assignment in enumerate(assignments[:n_submitted + n_drafts]):
            status = SheetStatus.SUBMITTED if index < n_submitted else SheetStatus.DRAFT
            nomination = session.get(Nomination, assignment.nomination_id)
            criteria = rubrics[nomination.category_id].criteria
            filled = criteria if status is SheetStatus.SUBMITTED else criteria[:rng.randint(1, len(criteria))]
            scored = {c.id: on_scale(c, Decimal(rng.randint(8, 20)) / 20) for c in filled}
            values = {cid: value for cid, (value, _grade) in scored.items()}
            sheet = ScoreSheet(assignment_id=assignment.id, status=status, version=1, updated_at=now,
                               familiarity=rng.choice(["very_familiar", "familiar", "familiar", "somewhat"]),
                               comment="创新点明确，应用效果有数据支撑，建议补充推广应用情况。"
                               if status is SheetStatus.SUBMITTED else "",
                               submitted_at=now if status is SheetStatus.SUBMITTED else None)
            sheet.scores = [CriterionScore(criterion_id=cid, value=value, grade=grade)
                            for cid, (value, grade) in scored.items()]
            session.add(sheet)
            session.flush()
            data = {"assignment_id": assignment.id, "version": 1, "status": status.value,
                    "values": {str(k): str(v) for k, v in sorted(values.items())},
                    "comment": sheet.comment, "familiarity": sheet.familiarity,
                    "total": str(weighted_total(criteria, values)), "source": "demo"}
            grades = {str(cid): grade for cid, (_value, grade) in sorted(scored.items()) if grade}
            if grades:
                data["grades"] = grades
            audit.append(session, actor=actor,
                         action="score_sheet.submitted" if index < n_submitted else "score_sheet.draft_saved",
                         object_type="score_sheet", object_id=sheet.id, data=data)


# Categories whose preliminary sheets the demo fills in and submits, so that a result run can be
# computed right after `make run` (the other categories stay open for judges to try scoring).
DEMO_SCORED_CATEGORIES = (CategoryKey.OPERATING_METHOD, CategoryKey.SUGGESTION)
# Their review opinion (at least the 10 characters the suggestions' rubric asks for).
DEMO_OPINION = "建议具体可行，测算依据充分，同意推荐。"


def _demo_submitted_scores(session: Session, *, seed: int) -> None:
    """Submitted preliminary sheets for DEMO_SCORED_CATEGORIES: quality + judge severity + noise.

    Deterministic (its own ``random.Random``); values are on the criteria's 0.5 steps.
    """
    from sqlalchemy import insert, select

    from judging.scoring.models import CriterionScore, ScoreSheet, SheetStatus

    rng = random.Random(seed * 31 + 7)
    edition = session.scalar(select(Edition).order_by(Edition.year.desc()).limit(1))
    preliminary = next(r for r in edition.rounds if r.kind is RoundKind.PRELIMINARY)
    severity = {expert_id: rng.gauss(0, 0.8) for expert_id in session.scalars(select(Expert.id).order_by(Expert.id))}
    submitted_at = dt.datetime(2026, 11, 25, 16, 0, tzinfo=SHANGHAI)
    sheets: list[dict] = []
    values: dict[int, list[tuple[int, Decimal]]] = {}
    for category in edition.categories:
        if category.key not in DEMO_SCORED_CATEGORIES:
            continue
        criteria = list(category.rubric.criteria)
        rows = session.execute(
            select(Assignment.id, Assignment.nomination_id, Assignment.expert_id)
            .join(Nomination, Nomination.id == Assignment.nomination_id)
            .where(Assignment.round_id == preliminary.id, Nomination.category_id == category.id)
            .order_by(Assignment.nomination_id, Assignment.expert_id)).all()
        quality: dict[int, float] = {}
        for assignment_id, nomination_id, expert_id in rows:
            level = quality.setdefault(nomination_id, rng.uniform(4.0, 8.5))
            sheets.append({"assignment_id": assignment_id, "status": SheetStatus.SUBMITTED, "comment": DEMO_OPINION,
                           "familiarity": rng.choice(["very_familiar", "familiar", "familiar", "somewhat"]),
                           "version": 1, "submitted_at": submitted_at, "updated_at": submitted_at})
            values[assignment_id] = []
            for criterion in criteria:
                raw = level - severity[expert_id] + rng.gauss(0, 0.7)
                values[assignment_id].append((criterion.id, Decimal(str(min(10.0, max(0.0, round(raw * 2) / 2))))))
    count = len(sheets)
    if sheets:  # bulk inserts: the demo loads in every test that uses it
        ids = dict(session.execute(insert(ScoreSheet).returning(ScoreSheet.assignment_id, ScoreSheet.id), sheets)
                   .all())
        session.execute(insert(CriterionScore), [
            {"sheet_id": ids[assignment_id], "criterion_id": criterion_id, "value": value}
            for assignment_id, pairs in values.items() for criterion_id, value in pairs])
    audit.append(session, actor=audit.Actor.system("demo"), action="round.demo_scores_loaded", object_type="round",
                 object_id=preliminary.id, data={"sheets": count,
                                                 "categories": [key.value for key in DEMO_SCORED_CATEGORIES]})


# Employees per nominating unit (thousands of trade-union members, rounded), for the quotas page.
DEMO_EMPLOYEES = {"南京": 412, "无锡": 335, "徐州": 248, "常州": 221, "苏州": 693, "南通": 289, "连云港": 115,
                  "淮安": 126, "盐城": 171, "扬州": 142, "镇江": 108, "泰州": 140, "宿迁": 112}
DEMO_TARGET = 240
# Three nominations still under review (unconfirmed, so never assigned): one re-submits another's
# suggestion, one names its employer's abbreviation in the text, one is clean.
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


def _demo_intake(session: Session, *, edition: Edition, actor: audit.Actor) -> None:
    """City quotas (employees and the edition's total target) and a small import to review, through
    the same services the organizer's pages use."""
    import csv
    import io

    from judging.nominations import importer
    from judging.nominations.service import set_quotas
    from judging.nominations.storage import AttachmentStore
    from judging.settings import get_settings

    set_quotas(session, edition=edition, total=DEMO_TARGET, by=actor,
               units=[(city, "city", DEMO_EMPLOYEES[city]) for city in CITIES])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["类别", "城市", "项目名称", "简介", "正文", "完成人", "工作单位", "所属行业", "专利号", "联系电话",
                     "电子邮箱"])
    writer.writerows(DEMO_REVIEW_ROWS)
    importer.import_nominations(session, edition=edition, table_data=out.getvalue().encode("gb18030"),
                                filename="苏锡宁推荐汇总表.csv", store=AttachmentStore(get_settings().var_dir),
                                by=actor)


# The previous edition (2025), small, walked through the stages through the services and now at the
# public notice (公示): two categories have their list on notice (one objection received and not yet
# handled), two have the stage open with nothing published yet. Its year is below the main edition's,
# so `current_edition()` stays the 2026 one.
NOTICE_YEAR = 2025
NOTICE_NOMINATIONS = 6    # per category
NOTICE_TOP_N = 3
NOTICE_JUDGES = 8         # judge51 … judge58 of the pool also judged 2025
NOTICE_JUDGES_EACH = 5
NOTICE_MEETING_MEMBERS = 9  # judge41 … judge49 sat on the 2025 panel meeting of 十大科技成果
# Agree votes of the eight members present, shortlist in online rank order: the first three pass 2/3.
NOTICE_MEETING_AGREE = (8, 7, 6, 5, 2)
NOTICE_PUBLISHED = (CategoryKey.ACHIEVEMENT, CategoryKey.OPERATING_METHOD)
DEMO_OBJECTION = {"name": "孙立华", "employer": "常州市轨道交通机车车辆有限公司", "phone": "13705198876",
                  "grounds": "公示的第2名项目中，关键技术由我单位与申报单位合作完成，"
                             "申报材料未列我单位人员为完成人，请予以核查。"}


def _demo_notice_edition(session: Session, *, seed: int, experts: list[Expert], actor: audit.Actor) -> Edition:
    """The 2025 edition at the public notice stage (its own random stream: the 2026 demo is unchanged)."""
    from sqlalchemy import insert

    from judging.awards import service as awards
    from judging.notices import service as notices
    from judging.results import service as results
    from judging.scoring.models import CriterionScore, ScoreSheet, SheetStatus
    from judging.stages.models import StageKind
    from judging.stages.service import close_stage, open_stage, skip_stage

    rng = random.Random(seed * 7 + NOTICE_YEAR)
    edition = Edition(year=NOTICE_YEAR, name=f"{NOTICE_YEAR}年度江苏省职工科技创新成果评选",
                      status=EditionStatus.RUNNING, settings={"tie_rule": "item_se", "conflict_same_city": False})
    session.add(edition)
    session.flush()
    audit.append(session, actor=actor, action="edition.created", object_type="edition", object_id=edition.id,
                 data={"year": edition.year, "name": edition.name})
    round_ = Round(edition=edition, kind=RoundKind.PRELIMINARY, name="网络评审（初评）", status=RoundStatus.CLOSED,
                   opens_at=dt.datetime(NOTICE_YEAR, 10, 20, 9, 0, tzinfo=SHANGHAI),
                   deadline_at=dt.datetime(NOTICE_YEAR, 11, 20, 18, 0, tzinfo=SHANGHAI))
    session.add(round_)
    judges = experts[50:50 + NOTICE_JUDGES]
    submitted_at = dt.datetime(NOTICE_YEAR, 11, 18, 16, 0, tzinfo=SHANGHAI)
    used: set[str] = set()
    categories = []
    for position, (key, name, _top_n, _count, criteria) in enumerate(CATEGORIES):
        category = Category(edition=edition, key=key, name=name, top_n=NOTICE_TOP_N, position=position)
        rubric = Rubric(category=category, name=f"{name}评分标准")
        rubric.criteria = [Criterion(position=index, name=cname, description=description,
                                     weight=Decimal(weight) / 100, scale_min=Decimal(0), scale_max=Decimal(10),
                                     scale_step=Decimal("0.5"))
                           for index, (cname, weight, description) in enumerate(criteria)]
        session.add_all([category, rubric])
        session.flush()
        for index in range(NOTICE_NOMINATIONS):
            city, industry = rng.choice(CITIES), rng.choice(INDUSTRIES)
            employer = _employer(rng, city, industry)
            inventors = [_person(rng) for _ in range(1 if key is CategoryKey.CHIEF_EMPLOYEE else rng.randint(2, 4))]
            title = _title(rng, key, inventors[0])
            summary, body = _body(rng, title, industry)
            nomination = Nomination(edition_id=edition.id, category_id=category.id, title=title, summary=summary,
                                    body=body, status=NominationStatus.CONFIRMED)
            nomination.identity = NominationIdentity(
                inventors=inventors, employer=employer, city=city, industry=industry, patents=[],
                contact_phone=f"1{rng.choice('3578')}{rng.randint(10**8, 10**9 - 1)}",
                contact_email=f"contact{NOTICE_YEAR}{position}{index:02d}@example.cn")
            session.add(nomination)
            session.flush()
            code = _demo_code(rng, used)
            used.add(code)
            session.add(BlindCode(round_id=round_.id, nomination_id=nomination.id, code=code))
            level = rng.uniform(4.5, 8.5)
            # A rotating window of the judges: every pair of nominations shares judges (a connected design).
            for offset in range(NOTICE_JUDGES_EACH):
                judge = judges[(index + offset) % NOTICE_JUDGES]
                assignment = Assignment(round_id=round_.id, nomination_id=nomination.id, expert_id=judge.id)
                session.add(assignment)
                session.flush()
                sheet_id = session.execute(insert(ScoreSheet).returning(ScoreSheet.id), [{
                    "assignment_id": assignment.id, "status": SheetStatus.SUBMITTED, "comment": "",
                    "familiarity": "familiar", "version": 1, "submitted_at": submitted_at,
                    "updated_at": submitted_at}]).scalar_one()
                session.execute(insert(CriterionScore), [
                    {"sheet_id": sheet_id, "criterion_id": criterion.id,
                     "value": Decimal(str(min(10.0, max(0.0, round((level + rng.gauss(0, 0.6)) * 2) / 2))))}
                    for criterion in rubric.criteria])
        categories.append(category)
    audit.append(session, actor=actor, action="round.demo_scores_loaded", object_type="round", object_id=round_.id,
                 data={"sheets": NOTICE_NOMINATIONS * NOTICE_JUDGES_EACH * len(categories), "year": NOTICE_YEAR})

    for category in categories:
        open_stage(session, category_id=category.id, kind=StageKind.NOMINATION, by=actor)
        close_stage(session, category_id=category.id, kind=StageKind.NOMINATION, by=actor)
        skip_stage(session, category_id=category.id, kind=StageKind.FORMAL_REVIEW,
                   reason="2025年度形式审查由各市总工会线下完成", by=actor)
        open_stage(session, category_id=category.id, kind=StageKind.ONLINE_REVIEW, by=actor)
        run = results.create_run(session, round_id=round_.id, category_id=category.id, method="additive",
                                 reps=100, seed=seed, by=actor)
        results.approve_run(session, run=run, by=actor)
        results.unblind(session, run=run, reason="网络评审结果已批准，进入公示程序", by=actor)
        close_stage(session, category_id=category.id, kind=StageKind.ONLINE_REVIEW, by=actor)
        if category.key is CategoryKey.ACHIEVEMENT:
            open_stage(session, category_id=category.id, kind=StageKind.PANEL_MEETING, by=actor)
            _demo_meeting(session, category=category, run=run, members=experts[40:40 + NOTICE_MEETING_MEMBERS],
                          actor=actor)
            close_stage(session, category_id=category.id, kind=StageKind.PANEL_MEETING, by=actor)
        else:
            skip_stage(session, category_id=category.id, kind=StageKind.PANEL_MEETING,
                       reason="2025年度以网络评审结果直接公示", by=actor)
        open_stage(session, category_id=category.id, kind=StageKind.PUBLIC_NOTICE, by=actor)
        if category.key is CategoryKey.OPERATING_METHOD:
            first = awards.candidate_ids(session, category)[0]
            awards.name_method(session, nomination_id=first, by=actor)
        if category.key in NOTICE_PUBLISHED:
            notice = notices.publish_notice(session, category=category, by=actor)
            if category.key is CategoryKey.ACHIEVEMENT:
                notices.file_objection(session, notice_id=notice.id, nomination_id=notice.entries[1].nomination_id,
                                       **DEMO_OBJECTION)
    return edition


def _demo_meeting(session: Session, *, category: Category, run, members: list[Expert], actor: audit.Actor) -> None:
    """The panel meeting two days before the notice: eight of nine members present, ballots cast on
    their devices, tallied. Goes through the meetings service, so the ballots stay secret as in use."""
    from judging.accounts.models import User
    from judging.meetings import service as meetings

    opens = (dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).replace(hour=1, minute=0, second=0, microsecond=0)
    meeting = meetings.create_meeting(
        session, category_id=category.id, run_id=run.id, top_m=len(NOTICE_MEETING_AGREE),
        member_expert_ids=[e.id for e in members], chair_expert_id=members[0].id, opens_at=opens,
        closes_at=opens + dt.timedelta(hours=3), by=actor)
    seats = list(meeting.members)
    for index, seat in enumerate(seats):
        meetings.record_attendance(session, meeting=meeting, member_id=seat.id, present=index < len(seats) - 1,
                                   by=actor)
    meetings.open_voting(session, meeting=meeting, by=actor, now=opens)
    shortlist = sorted(meeting.shortlist, key=lambda row: row.rank)
    recused = meetings.recusals(session, meeting)
    users = {e.id: e.user_id for e in members}
    for index, seat in enumerate(seats[:-1]):
        choices = {row.nomination_id: "agree" if index < agree else "disagree"
                   for row, agree in zip(shortlist, NOTICE_MEETING_AGREE) if (seat.id, row.nomination_id) not in recused}
        meetings.cast_ballot(session, meeting=meeting, user=session.get(User, users[seat.expert_id]), choices=choices,
                             now=opens + dt.timedelta(minutes=30 + index))
    meetings.close_voting(session, meeting=meeting, by=actor, now=opens + dt.timedelta(hours=1))
    meetings.tally(session, meeting=meeting, by=actor, now=opens + dt.timedelta(hours=1, minutes=5))

"""The demo's vocabulary and content: categories and their rubrics, names, titles, texts, codes, all
drawn from the seed's random stream so that the same seed gives the same demo."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from judging.accounts import Role
from judging.editions.models import CategoryKey, Criterion, RoundKind, ScaleKind
from judging.editions.rubrics import BandSpec, CriterionSpec, GradeSpec, RubricSpec
from judging.editions.specs import CategorySpec, EditionSpec, RoundSpec
from judging.nominations.blinding import ALPHABET, PAYLOAD_LENGTH, check_character

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
                  "admin": "demo-Sysop-2026", "judge": "demo-Expert-2026", "nominator": "demo-City-2026"}
N_EXPERTS = 60
EDITION_SETTINGS = {"tie_rule": "item_se", "conflict_same_city": False}
JUDGES_PER_NOMINATION = 5


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: Role
    note: str = ""


def _band_text(description: str, general: str) -> str:
    """A band descriptor of the criterion's own: what its aspect looks like at that level."""
    return f"{description}：{general}"


def review_opinion(criteria, values, title: str) -> str:
    """A review opinion of its own per item and sheet: the criteria the judge rated highest and lowest (by
    share of their scale), with what the judge would want to see more of."""
    def share(criterion) -> Decimal:
        return (values[criterion.id] - criterion.scale_min) / (criterion.scale_max - criterion.scale_min)
    ranked = sorted(criteria, key=lambda c: (share(c), c.position))
    weakest, strongest = ranked[0], ranked[-1]
    return (f"《{title[:18]}》{strongest.name}较为突出（{strongest.description}），"
            f"{weakest.name}相对不足，建议补充{weakest.description}方面的材料。")


def _criterion_spec(name: str, weight: int, description: str, *, points: bool) -> CriterionSpec:
    if name in GRADES and points:
        return CriterionSpec(name, Decimal(weight) / 100, Decimal(0), Decimal(weight), Decimal(0), ScaleKind.GRADE,
                             description, grades=tuple(GradeSpec(label, Decimal(value))
                                                       for label, value in GRADES[name]))
    bands = [(Decimal(low), Decimal(high), label, _band_text(description, desc))
             for low, high, label, desc in POINT_BANDS[weight]] if points else \
        [(low, high, label, _band_text(description, desc)) for low, high, label, desc in LEVELS]
    return CriterionSpec(name, Decimal(weight) / 100, Decimal(0), Decimal(weight if points else 10),
                         Decimal(1 if points else "0.5"), ScaleKind.NUMERIC, description,
                         bands=tuple(BandSpec(low, high, label, desc) for low, high, label, desc in bands))


def current_edition_spec() -> EditionSpec:
    """The 2026 edition: the four categories with their rubrics, the preliminary and the final round."""
    categories = tuple(
        CategorySpec(key, name, top_n, RubricSpec(f"{name}评分标准", OPINION_MIN_LENGTH.get(key, 0), tuple(
            _criterion_spec(cname, weight, description, points=key in POINT_CATEGORIES)
            for cname, weight, description in criteria)))
        for key, name, top_n, _count, criteria in CATEGORIES)
    rounds = (RoundSpec(RoundKind.PRELIMINARY, "网络评审（初评）", dt.datetime(2026, 11, 20, 9, 0, tzinfo=SHANGHAI),
                        dt.datetime(2026, 12, 20, 18, 0, tzinfo=SHANGHAI)),
              RoundSpec(RoundKind.FINAL, "会议评审（终评）", dt.datetime(2027, 1, 10, 9, 0, tzinfo=SHANGHAI),
                        dt.datetime(2027, 1, 12, 18, 0, tzinfo=SHANGHAI)))
    return EditionSpec(2026, "2026年度江苏省职工科技创新成果评选", categories, rounds, dict(EDITION_SETTINGS))


def notice_edition_spec(year: int, top_n: int) -> EditionSpec:
    """The previous edition: every criterion from 0 to 10 in steps of 0.5, one preliminary round."""
    categories = tuple(
        CategorySpec(key, name, top_n, RubricSpec(f"{name}评分标准", 0, tuple(
            CriterionSpec(cname, Decimal(weight) / 100, Decimal(0), Decimal(10), Decimal("0.5"), description=description)
            for cname, weight, description in criteria)))
        for key, name, _top_n, _count, criteria in CATEGORIES)
    rounds = (RoundSpec(RoundKind.PRELIMINARY, "网络评审（初评）", dt.datetime(year, 10, 20, 9, 0, tzinfo=SHANGHAI),
                        dt.datetime(year, 11, 20, 18, 0, tzinfo=SHANGHAI)),)
    return EditionSpec(year, f"{year}年度江苏省职工科技创新成果评选", categories, rounds, dict(EDITION_SETTINGS))


def on_scale(criterion: Criterion, share: Decimal) -> tuple[Decimal, str | None]:
    """The score ``share`` (0–1) of the way up the criterion's scale, on its steps; on a grade scale
    the grade nearest to it. Returns (value, grade)."""
    target = criterion.scale_min + share * (criterion.scale_max - criterion.scale_min)
    if criterion.scale_kind is ScaleKind.GRADE:
        grade = min(criterion.grades, key=lambda g: (abs(g.value - target), -g.value))
        return grade.value, grade.label
    steps = ((target - criterion.scale_min) / criterion.scale_step).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return criterion.scale_min + steps * criterion.scale_step, None


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def employer(rng: random.Random, city: str, industry: str) -> str:
    return city + rng.choice(["", "市"]) + rng.choice(EMPLOYER_STEMS[industry]) + rng.choice(SUFFIXES)


def title(rng: random.Random, key: CategoryKey, first_inventor: str) -> str:
    obj = rng.choice(TECH_OBJECTS)
    if key is CategoryKey.ACHIEVEMENT:
        return f"{obj}{rng.choice(TECH_METHODS)}{rng.choice(TECH_FORMS)}"
    if key is CategoryKey.OPERATING_METHOD:
        return f"{obj}{rng.choice(['快速', '精准', '安全', '高效'])}{rng.choice(OPERATING_FORMS)}"
    if key is CategoryKey.SUGGESTION:
        return rng.choice(SUGGESTION_FORMS).format(obj=obj)
    return f"{obj}岗位首席员工推荐"


def body(rng: random.Random, title: str, industry: str) -> tuple[str, str]:
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


def demo_codes(rng: random.Random):
    """The demo's code drawer for the one issuer (``ensure_blind_codes(draw=...)``): real rounds draw codes
    from `secrets`; the demo draws them from its seed so that it stays reproducible."""

    def draw(n: int, taken: set[str]) -> list[str]:
        codes: list[str] = []
        while len(codes) < n:
            payload = "".join(rng.choice(ALPHABET) for _ in range(PAYLOAD_LENGTH))
            code = payload + check_character(payload)
            if code not in taken and code not in codes:
                codes.append(code)
        return codes

    return draw

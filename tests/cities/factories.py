"""An edition whose 成果 category is in 推荐 with quotas set, city accounts of 南京 and 苏州, and forms to fill."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from judging.accounts import add_user
from judging.accounts.models import Role
from judging.editions.models import Category, CategoryKey, Edition
from judging.nominations import service as intake
from judging.stages.models import StageKind
from judging.stages.service import open_stage, schedule_stage
from tests.nominations.test_import_service import ORGANIZER, make_edition, pdf_bytes

PASSWORD = "city-Pass-2026"
UNITS = {"南京": 60, "苏州": 40}


def steel_form(n: int = 0) -> dict[str, str]:
    """The 推荐表 of a 成果, as a city fills it in (names, employer and phone that redaction must mask)."""
    return {"title": f"高炉煤气余压发电效率提升技术{n:02d}",
            "summary": "王建国团队在南京钢铁股份有限公司研发透平叶片在线清洗装置，年创效780万元。",
            "body": "一、背景：南钢高炉煤气余压发电效率偏低。二、内容：王建国提出在线清洗方法。联系电话13912345678。",
            "inventors": "王建国、李秀英", "team": "张伟（工艺设计）", "employer": f"南京钢铁股份有限公司第{n + 1}炼铁厂",
            "short_names": "南钢", "industry": "钢铁冶金", "patents": "ZL201910123456.7", "completed_on": "2025-06-30",
            "frontline": "是", "phone": "13912345678", "email": "wjg@njsteel.com.cn"}


def make_world(session, *, year: int = 2031, quota_total: int = 5, deadline: dt.date | None = None) -> dict:
    """南京's quota in 成果 is 3 of ``quota_total`` 5 (60:40 employees); 推荐 is open for 成果 until ``deadline``."""
    edition: Edition = make_edition(session, year=year, units=UNITS, total=20)
    achievement = session.scalar(select(Category).where(Category.edition_id == edition.id,
                                                        Category.key == CategoryKey.ACHIEVEMENT))
    intake.set_quotas(session, edition=edition, units=[(n, "city", c) for n, c in UNITS.items()], total=20,
                      category_totals={achievement.id: quota_total}, by=ORGANIZER)
    today = dt.date.today()
    schedule_stage(session, category_id=achievement.id, kind=StageKind.NOMINATION, start=today - dt.timedelta(days=3),
                   end=deadline or today + dt.timedelta(days=30), by=ORGANIZER)
    open_stage(session, category_id=achievement.id, kind=StageKind.NOMINATION, by=ORGANIZER)
    users = {city: add_user(session, username=f"city_{n}", password=PASSWORD, role=Role.NOMINATOR,
                            display_name=f"{city}市总工会", city=city, by=ORGANIZER)
             for n, city in enumerate(UNITS)}
    session.flush()
    return {"edition": edition, "category": achievement, "nanjing": users["南京"], "suzhou": users["苏州"]}


__all__ = ["PASSWORD", "make_world", "pdf_bytes", "steel_form"]

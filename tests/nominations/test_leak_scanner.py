"""The anonymity invariant, checked the way an attacker would: log in as a judge, crawl everything
reachable, and look for any identity of any nomination or any other judge's name.

For several judges of the demo edition (with attachments whose names and metadata carry names and
employers), the scanner follows every link, htmx ``hx-get`` and GET form from the judge's home,
saves a draft and opens the submit review of each sheet (JSON and HTML answers), downloads every
attachment, and opens the 404 pages. Every body (decoded PDF text and metadata, every part of a
DOCX, image metadata, JSON re-serialized) and every header is searched for: inventors, employers and
their short forms, cities, patent numbers, phones, e-mails and attachment file names of every
nomination, and the names, e-mails and accounts of every other judge. Then it probes ids: another
judge's assignment, attachment, job, and the organizer's and auditor's objects all answer 404.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import docx
import pytest
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from helpers import login
from judging.accounts.models import User
from judging.demo import DEMO_PASSWORDS
from judging.jobs.models import Job, JobStatus
from judging.nominations.models import Attachment, Nomination, NominationIdentity, NominationOriginal
from judging.panels.models import Assignment, Expert
from judging.textsim import short_forms
from nominations.test_app_intake import attach
from nominations.test_import_service import docx_bytes, jpeg_bytes, pdf_bytes

JUDGES = ("judge01", "judge02", "judge03")
ENCODINGS = ("utf-8", "utf-16-be", "utf-16-le", "gb18030")
SKIP = re.compile(r"^/(static/|logout|lang/)")


class Links(HTMLParser):
    """hrefs, hx-get targets, GET forms and POST forms of one page."""

    def __init__(self) -> None:
        super().__init__()
        self.gets: list[str] = []
        self.posts: list[tuple[str, dict[str, str]]] = []
        self._form: tuple[str, dict[str, str]] | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("href", "hx-get", "src"):
            if a.get(key):
                self.gets.append(a[key])
        if tag == "form":
            method = (a.get("method") or "get").lower()
            if method == "get":
                self.gets.append(a.get("action") or "")
            else:
                self._form = (a.get("action") or "", {})
                self.posts.append(self._form)
        if tag in ("input", "button") and self._form is not None and a.get("formaction"):
            self.posts.append((a["formaction"], self._form[1]))
        if tag in ("input", "textarea", "select", "button") and self._form is not None and a.get("name"):
            if a.get("type") not in ("submit",) and (a.get("type") != "radio" or "checked" in a):
                self._form[1][a["name"]] = a.get("value") or ""

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def _texts_of(response) -> list[str]:
    """Everything a judge could read out of one answer: the body decoded every way, plus the
    contents of the files (PDF text and metadata, DOCX parts, image metadata)."""
    body = response.content
    out = [" ".join(f"{k}: {v}" for k, v in response.headers.items())]
    for encoding in ENCODINGS:
        out.append(body.decode(encoding, errors="ignore"))
    kind = response.headers.get("content-type", "")
    if "json" in kind:
        out.append(json.dumps(response.json(), ensure_ascii=False))
    if body.startswith(b"%PDF"):
        reader = PdfReader(io.BytesIO(body))
        out.append(str(reader.metadata or ""))
        out.append(str(reader.xmp_metadata.rdf_root.toxml() if reader.xmp_metadata else ""))
        out.extend(page.extract_text() or "" for page in reader.pages)
        assert not reader.metadata and reader.xmp_metadata is None and not reader.attachments
    if body.startswith(b"PK"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            for name in archive.namelist():
                out.append(name + archive.read(name).decode("utf-8", errors="ignore"))
        props = docx.Document(io.BytesIO(body)).core_properties
        assert not (props.author or props.last_modified_by or props.title)
    if body[:3] == b"\xff\xd8\xff" or body.startswith(b"\x89PNG"):
        image = Image.open(io.BytesIO(body))
        out.append(repr(dict(image.getexif())) + repr(image.info))
        assert not image.getexif()
    return out


@pytest.fixture
def edition(demo, session_factory, settings):
    """The demo with attachments on items judges 01–03 score (names and metadata carry identities),
    and a job the organizer started."""
    planned: list[tuple[int, dict[str, bytes]]] = []
    with session_factory() as s:
        for username in JUDGES:
            expert = s.scalar(select(Expert).join(User, User.id == Expert.user_id).where(User.username == username))
            for assignment in s.scalars(select(Assignment).where(Assignment.expert_id == expert.id)
                                        .order_by(Assignment.id).limit(2)):
                identity = s.get(NominationIdentity, assignment.nomination_id)
                person, employer = identity.inventors[0], identity.employer
                # Names and metadata carry identities; the content does not (content that does is
                # flagged for the organizer's review before confirmation, see test_import_service).
                planned.append((assignment.nomination_id, {
                    f"{person}-{employer}申报书.pdf": pdf_bytes(b"Test report of the cleaning device"),
                    f"{person}现场照片.jpg": jpeg_bytes(), f"{employer}说明.docx": docx_bytes()}))
    for nomination_id, files in planned:
        attach(session_factory, settings.var_dir, nomination_id, files)
    with session_factory() as s:
        organizer = s.scalar(select(User).where(User.username == "organizer"))
        job = Job(kind="nominations.import", params={"filename": "南京钢铁.csv"}, status=JobStatus.SUCCEEDED,
                  created_by_id=organizer.id, message="", result={"next_url": "/organizer/nominations/imports/1"})
        s.add(job)
        s.commit()
        return {"job_id": job.id}


def _secrets(session_factory, me: str) -> set[str]:
    secrets: set[str] = set()
    with session_factory() as s:
        for identity in s.scalars(select(NominationIdentity)):
            secrets.update(identity.inventors)
            secrets.update(f for f in short_forms(identity.employer) if len(f) >= 4)
            secrets.update([identity.employer, identity.city, identity.contact_phone, identity.contact_email,
                            *identity.patents])
            # Not industry: the demo's texts name the field of the work ("针对钢铁冶金生产…"), as real ones do.
        for original in s.scalars(select(NominationOriginal)):
            secrets.update(original.employer_forms)
        for attachment in s.scalars(select(Attachment)):
            secrets.add(attachment.original_name)
            secrets.add(attachment.original_name.rsplit(".", 1)[0])
            secrets.add(attachment.stored_name)
        for expert, user in s.execute(select(Expert, User).join(User, User.id == Expert.user_id)):
            if user.username != me:
                secrets.update([expert.name, expert.email, expert.phone, user.username, user.display_name])
    return {x for x in secrets if x and len(x) >= 2}


def _pattern(url: str) -> str:
    path = re.sub(r"^/judge/(sheets|attachments)/[\w-]{16}", r"/judge/\1/HANDLE", urlsplit(url).path)
    return re.sub(r"/[0-9A-Z]{9}-\d+\.", "/CODE-N.", re.sub(r"/\d+", "/ID", path))


def _crawl(client, judge: str) -> dict[str, object]:
    """Every URL is fetched; the htmx and JSON variants and the form posts once per kind of URL."""
    seen: dict[str, object] = {}
    queue = ["/", "/judge", "/judge/sheets/999999", "/nonexistent"]
    variants: set[str] = set()
    posted: set[str] = set()
    while queue:
        url = queue.pop()
        path = urlsplit(url).path
        if url in seen or SKIP.match(path) or not path.startswith("/"):
            continue
        response = seen[url] = client.get(url, follow_redirects=False)
        if _pattern(url) not in variants:
            variants.add(_pattern(url))
            for headers in ({"hx-request": "true"}, {"accept": "application/json"}):
                seen[f"{url} {headers}"] = client.get(url, headers=headers, follow_redirects=False)
        if "location" in response.headers:
            queue.append(urljoin(url, response.headers["location"]))
        if "html" not in response.headers.get("content-type", ""):
            continue
        parser = Links()
        parser.feed(response.text)
        queue.extend(urljoin(url, link) for link in parser.gets if not link.startswith(("http", "mailto", "#")))
        for action, fields in parser.posts:
            target = urljoin(url, action)
            if _pattern(target) in posted or target.endswith(("/submit", "/conflict", "/logout", "/undertaking")):
                continue  # never end the judge's work; everything else is posted, as HTML and JSON
            posted.add(_pattern(target))
            for headers in ({}, {"accept": "application/json"}, {"hx-request": "true"}):
                seen[f"POST {target} {headers}"] = client.post(target, data=fields, headers=headers,
                                                               follow_redirects=False)
    return seen


@pytest.mark.slow  # crawls every page a judge can reach, with its variants (5–15 s per judge)
@pytest.mark.parametrize("judge", JUDGES)
def test_nothing_a_judge_can_reach_names_anyone(client, edition, session_factory, judge):
    secrets = _secrets(session_factory, judge)
    assert len(secrets) > 500
    assert login(client, judge, DEMO_PASSWORDS["judge"]).status_code in (302, 303)
    seen = _crawl(client, judge)
    downloads = [k for k in seen if k.startswith("/judge/attachments/")]
    assert len(downloads) >= 6 and any(k.endswith(".docx") for k in downloads)
    assert any(k.startswith("/judge/sheets/") for k in seen)
    assert any(k.startswith("POST ") and "application/json" in k for k in seen)
    leaks = []
    for where, response in seen.items():
        for text in _texts_of(response):
            leaks.extend((where, secret) for secret in secrets if secret in text)
    assert sorted(set(leaks)) == []


def test_a_judge_probing_ids_gets_404(client, edition, session_factory):
    with session_factory() as s:
        me = s.scalar(select(Expert).join(User, User.id == Expert.user_id).where(User.username == "judge01"))
        mine = set(s.scalars(select(Assignment.nomination_id).where(Assignment.expert_id == me.id)))
        others = s.scalars(select(Assignment).where(Assignment.expert_id != me.id).order_by(Assignment.id)).all()
        nomination_ids = s.scalars(select(Nomination.id).order_by(Nomination.id)).all()
        expert_ids = s.scalars(select(Expert.id).where(Expert.id != me.id)).all()
    login(client, "judge01", DEMO_PASSWORDS["judge"])
    probes = [f"/jobs/{edition['job_id']}", "/organizer/quotas/", "/organizer/quotas/export.csv",
              "/organizer/nominations/", "/auditor/nominations/", "/organizer/nominations/imports/1"]
    for assignment in others[::7]:
        # Another judge's handle, and the internal id (which is never a handle).
        probes += [f"/judge/sheets/{assignment.handle}", f"/judge/attachments/{assignment.handle}/x-01.pdf",
                   f"/judge/sheets/{assignment.id}", f"/judge/attachments/{assignment.id}/x-01.pdf"]
        if assignment.nomination_id not in mine:
            probes.append(f"/judge/attachments/{assignment.handle}/{assignment.nomination_id}-01.pdf")
    for nomination_id in nomination_ids[::10]:
        probes += [f"/organizer/nominations/{nomination_id}", f"/auditor/nominations/{nomination_id}"]
    for expert_id in expert_ids[::10]:
        probes.append(f"/organizer/panels/experts/{expert_id}")
    answers = {url: client.get(url, follow_redirects=False).status_code for url in probes}
    assert {url: code for url, code in answers.items() if code != 404} == {}


def test_queue_order_is_private_to_the_judge(client, edition, session_factory):
    orders = {}
    with session_factory() as s:
        ids = dict(s.execute(select(Assignment.handle, Assignment.id)).all())
    for judge in ("judge01", "judge02"):
        login(client, judge, DEMO_PASSWORDS["judge"])
        page = client.get("/judge").text
        handles = re.findall(r'href="/judge/sheets/([\w-]+)"', page)
        assert handles and not any(h.isdigit() for h in handles)  # random handles, never ids
        orders[judge] = [ids[h] for h in handles]
        client.cookies.clear()
    for ids in orders.values():
        assert len(ids) > 5 and ids != sorted(ids) and ids != sorted(ids, reverse=True)

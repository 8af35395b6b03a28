"""Every page each role can reach, opened in headless Chromium on a 390 px phone in Chinese: no English word
outside an explicit allow-list, and no page wider than the screen.

One crawl per role follows the links of the pages themselves (GET only; downloads, logout and the language
switch left out), so a page nobody links to is not checked, and a new page is checked without a list here.
"""

from __future__ import annotations

import json
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from browser import ARTIFACTS, screenshot

from judging.demo import DEMO_PASSWORDS

PHONE = 390
ROLES = {"public": None, "organizer": DEMO_PASSWORDS["organizer"], "auditor": DEMO_PASSWORDS["auditor"],
         "admin": DEMO_PASSWORDS["admin"], "judge01": DEMO_PASSWORDS["judge"], "nanjing": DEMO_PASSWORDS["nominator"]}
START = {"public": ["/login", "/public/notices/", "/public/winners"],
         "organizer": ["/organizer", "/meetings?year=2025", "/organizer/notices/"],
         "auditor": ["/auditor"], "admin": ["/admin"], "judge01": ["/judge", "/judge/meetings"], "nanjing": ["/city/"]}
# Pages a crawl leaves alone: files, the switch to English, the API and its map, log-out.
SKIP = re.compile(r"\.(pdf|csv|xlsx|zip|json)(\?|$)|/lang/|/api/|/schema|/logout|/static/|/download|/export")
# At most this many pages of one shape (ids replaced by {id}): the 200th nomination reads like the 2nd.
PER_SHAPE = 2
MAX_PAGES = 160

# Latin words a Chinese page may show: file types and units, the names of algorithms and statistics the
# profession writes in Latin letters, and identifiers (usernames, codes) matched by IDENTIFIER below.
FILE_TYPES = {"PDF", "CSV", "XLSX", "XLS", "ZIP", "DOCX", "DOC", "JPG", "JPEG", "PNG", "JSON", "GBK", "UTF"}
ALLOWED = {
    "SHA", "MB", "KB", "Rasch", "Krippendorff", "Krippendorff's", "alpha", "bootstrap", "P", "ID", "No", "HTTPS", "URL",
    "English", "judging", "judgestats", "UTC",
    "A", "B", "C", "D", "E",  # grade letters
    "Benjamini", "Hochberg", "p",  # the multiple-testing correction and its p-values
}
# Identifiers: usernames (judge01), codes with digits or dashes (ACH-2026-001), blind codes (nine capitals, which
# may hold no digit), hashes, e-mail addresses.
IDENTIFIER = re.compile(r"[\w.+-]+@[\w.-]+|\b(?=[\w-]*\d)[\w-]+\b|\b[A-Z]{2,}(?:-[A-Z0-9]+)+\b|\b[0-9A-Z]{9}\b")
WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")


def _shape(path: str) -> str:
    return re.sub(r"\d+", "{id}", path)


def _log_in(page, base: str, username: str) -> None:
    page.goto(base + "/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", ROLES[username])
    page.click("button[type=submit]")
    page.wait_for_load_state("load")


def _english_words(text: str, usernames: set[str]) -> list[str]:
    """Each Latin word outside the allow-list, with a few characters around it (for the reader of a failure)."""
    text = IDENTIFIER.sub(" ", text)
    found = {}
    for match in WORD.finditer(text):
        word = match.group()
        if word not in ALLOWED and word.upper() not in FILE_TYPES and word not in usernames and word not in found:
            found[word] = text[max(0, match.start() - 12):match.end() + 12].replace("\n", " ")
    return [f"{word} «{context}»" for word, context in sorted(found.items())]


def _crawl(served, browser, db_url, tmp_path, role: str) -> dict[str, dict]:
    """{path: {"english": [...], "width": px}} for every page the role reaches."""
    found: dict[str, dict] = {}
    usernames = {"organizer", "auditor", "admin", "nanjing"} | {f"judge{n:02d}" for n in range(1, 61)}
    with served(db_url, tmp_path) as base, browser.page(width=PHONE, height=800) as page:
        if ROLES[role]:
            _log_in(page, base, role)
        queue, seen, shapes = deque(START[role]), set(START[role]), {}
        while queue and len(found) < MAX_PAGES:
            path = queue.popleft()
            response = page.goto(base + path, wait_until="load")
            if response is None or response.status >= 400 or urlsplit(page.url).path == "/login" and path != "/login":
                continue
            page.wait_for_timeout(150)  # htmx fragments loaded on page load
            # Data the page shows as entered (marked translate="no": a dictionary's Latin short names) is not
            # the page's own words: measured for width, left out of the language check.
            figures = page.evaluate("""() => {
                const width = Math.max(document.documentElement.scrollWidth, document.body.scrollWidth);
                const data = [...document.querySelectorAll('[translate="no"]')];
                data.forEach(e => e.style.visibility = 'hidden');
                const text = document.body.innerText;
                data.forEach(e => e.style.visibility = '');
                return {text, width};
            }""")
            found[path] = {"english": _english_words(figures["text"], usernames), "width": figures["width"]}
            if figures["width"] > PHONE:
                screenshot(page, f"too-wide-{role}-{_shape(path).strip('/').replace('/', '-') or 'root'}")
            for href in page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))"):
                target = urlsplit(urljoin(base + path, href))
                if target.netloc != urlsplit(base).netloc:
                    continue
                link = target.path + (f"?{target.query}" if target.query else "")
                if link in seen or SKIP.search(link):
                    continue
                shape = _shape(target.path)
                if shapes.get(shape, 0) >= PER_SHAPE:
                    continue
                shapes[shape] = shapes.get(shape, 0) + 1
                seen.add(link)
                queue.append(link)
    ARTIFACTS.mkdir(exist_ok=True)  # what was crawled, for a reader of a failure
    (ARTIFACTS / f"crawl-{role}.json").write_text(json.dumps(found, ensure_ascii=False, indent=1), encoding="utf-8")
    return found


# What a page says and how wide it is do not depend on the database under it (every route is driven on both
# backends by tests/test_authorization.py): one crawl per role, on SQLite, read for both checks at once.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("role", list(ROLES))
def test_every_page_reads_in_chinese_and_fits_a_phone(served, browser, db_url, demo, tmp_path, role):
    pages = _crawl(served, browser, db_url, tmp_path, role)
    assert len(pages) >= 2, f"the crawl as {role} found almost nothing: {list(pages)}"
    english = {path: found["english"] for path, found in pages.items() if found["english"]}
    too_wide = {path: found["width"] for path, found in pages.items() if found["width"] > PHONE}
    assert (english, too_wide) == ({}, {}), "English words on a Chinese page, or pages wider than a phone"

"""What an attacker tries first: redirects off the site, formulas in exports, text planted in banners through
the URL, missing headers on error answers, readable files, a loose CSRF exclusion, the API map, broken uploads."""

from __future__ import annotations

import csv
import io
import re
import stat
import zipfile
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from helpers import csrf_token, login
from judging.demo import DEMO_PASSWORDS


def _organizer(client):
    login(client, "organizer", DEMO_PASSWORDS["organizer"])


# ------------------------------------------------------------------------------------------ redirects

@pytest.mark.parametrize("referer", [
    "http://testserver.local//evil.example/phish",
    "http://testserver.local/\\evil.example/phish",
    "http://testserver.local/%2F%2Fevil.example",
    "//evil.example/phish",
    "https://evil.example/",
])
def test_language_switch_never_leaves_the_site(client, referer):
    response = client.get("/lang/en", headers={"referer": referer}, follow_redirects=False)
    location = response.headers["location"]
    parts = urlsplit(location)
    assert response.status_code in (302, 303) and not parts.netloc and not parts.scheme
    assert location.startswith("/") and not location.startswith(("//", "/\\"))


def test_language_switch_returns_to_the_page_it_was_made_on(client):
    response = client.get("/lang/en", headers={"referer": "http://testserver.local/public/notices/?year=2025"},
                          follow_redirects=False)
    assert response.headers["location"] == "/public/notices/?year=2025"


@pytest.mark.parametrize("target, expected", [
    ("/organizer", "/organizer"), ("/judge/sheets/3?x=1", "/judge/sheets/3?x=1"),
    ("//evil.example/", None), ("/\\evil.example", None), ("https://evil.example/", None),
    ("javascript:alert(1)", None), ("/ok\r\nSet-Cookie: x=1", None), ("", None), (None, None),
    ("/%2F%2Fevil.example", "/%2F%2Fevil.example"),
])
def test_one_rule_decides_which_redirect_targets_are_ours(target, expected):
    from judging.web.safety import safe_target

    assert safe_target(target) == expected


# ------------------------------------------------------------------------------------------ exports

def test_quota_export_neutralizes_formulas(client, demo):
    _organizer(client)
    token = csrf_token(client, "/organizer/quotas/")
    response = client.post("/organizer/quotas/", data={
        "units": "=HYPERLINK(\"http://evil.example\"),1000\n@SUM(A1),2000\n南京市,3000", "total": "10",
        "_csrf_token": token}, follow_redirects=False)
    assert response.status_code in (302, 303), response.text
    rows = list(csv.reader(io.StringIO(client.get("/organizer/quotas/export.csv").content.decode("utf-8-sig"))))
    names = [row[0] for row in rows[1:]]
    assert "'=HYPERLINK(\"http://evil.example\")" in names and "'@SUM(A1)" in names and "南京市" in names
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r")) for row in rows for cell in row)


@pytest.mark.parametrize("value, safe", [
    ("=1+1", "'=1+1"), ("+1", "+1"), ("-3.5", "-3.5"), ("-x", "'-x"), ("@A1", "'@A1"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("南京", "南京"), (7, 7), (None, None),
])
def test_one_function_neutralizes_cells(value, safe):
    from judging.tabular import formula_safe

    assert formula_safe(value) == safe


def test_every_export_writes_through_the_one_neutralizing_function():
    # A csv.writer or an openpyxl sheet outside judging/tabular.py would bypass formula_safe.
    root = Path(__file__).resolve().parent.parent / "judging"
    offenders = [str(path.relative_to(root)) for path in root.rglob("*.py")
                 if path.name != "tabular.py" and "demo" not in path.parts
                 and re.search(r"csv\.writer\(|\.append\(\[|Workbook\(", path.read_text(encoding="utf-8"))
                 and re.search(r"csv\.writer\(|Workbook\(", path.read_text(encoding="utf-8"))]
    assert offenders == []


# ------------------------------------------------------------------------------------------ banners

PLANTED = "Call 0000-HELPDESK to keep your account"


@pytest.mark.parametrize("path", [
    "/organizer/panels/", "/organizer/panels/conflicts", "/organizer/nominations/", "/organizer/nominations/import",
    "/results/awards", "/organizer/rounds",
])
def test_error_text_in_the_url_is_never_shown(client, demo, path):
    _organizer(client)
    page = client.get(path, params={"error": PLANTED, "notice": PLANTED})
    assert page.status_code == 200 and PLANTED not in page.text


def test_an_error_key_in_the_url_shows_its_translated_message(client, demo):
    _organizer(client)
    page = client.get("/organizer/nominations/import", params={"error": "Choose a CSV or XLSX file to import."})
    assert '<p class="notice error">请选择要导入的 CSV 或 XLSX 文件。</p>' in page.text


def test_a_refused_action_redirects_with_a_key_not_a_sentence(client, demo):
    _organizer(client)
    token = csrf_token(client, "/organizer/nominations/import")
    response = client.post("/organizer/nominations/import", data={"_csrf_token": token},
                           files={"table": ("", b"", "application/octet-stream")}, follow_redirects=False)
    from urllib.parse import parse_qs

    query = parse_qs(urlsplit(response.headers["location"]).query)
    assert query["error"] == ["Choose a CSV or XLSX file to import."]  # the message id, not its Chinese text


# ------------------------------------------------------------------------------------------ headers

@pytest.mark.parametrize("method, path", [("GET", "/no/such/page"), ("GET", "/static/missing.css"),
                                          ("DELETE", "/login"), ("PUT", "/organizer"), ("GET", "/healthz")])
def test_error_answers_carry_the_security_headers(client, method, path):
    response = client.request(method, path, headers={"accept": "text/html"}, follow_redirects=False)
    assert "frame-ancestors 'none'" in response.headers.get("content-security-policy", "")
    assert response.headers.get("x-frame-options") == "DENY"
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert response.headers.get("referrer-policy") == "same-origin"


# ------------------------------------------------------------------------------------------ CSRF, API map

def test_the_csrf_exclusion_is_the_health_check_alone(client):
    from litestar.middleware._utils import build_exclude_path_pattern

    pattern = build_exclude_path_pattern(exclude=client.app.csrf_config.exclude)
    assert pattern.findall("/healthz")
    for path in ("/organizer/healthz", "/healthz/x", "/x/healthzz", "/healthz2"):
        assert not pattern.findall(path), path


@pytest.mark.parametrize("path", ["/schema", "/schema/openapi.json", "/schema/swagger"])
def test_the_api_map_is_for_logged_in_admins_only(client, demo, path):
    assert client.get(path, follow_redirects=False).status_code in (302, 401, 404)
    _organizer(client)
    assert client.get(path, follow_redirects=False).status_code == 404
    client.post("/logout", data={"_csrf_token": csrf_token(client, "/organizer")})
    login(client, "admin", DEMO_PASSWORDS["admin"])
    assert client.get("/schema/openapi.json").status_code == 200


# ------------------------------------------------------------------------------------------ uploads

def _broken_xlsx(part: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["标题", "类别"])
    book.active.append(["一种新工艺", "十大科技成果"])
    source = io.BytesIO()
    book.save(source)
    original = zipfile.ZipFile(io.BytesIO(source.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as broken:
        for info in original.infolist():
            data = original.read(info.filename)
            broken.writestr(info, data[: len(data) // 2] if info.filename == part else data)
    return out.getvalue()


@pytest.mark.parametrize("part", ["xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/styles.xml"])
def test_a_workbook_with_broken_xml_is_a_file_error(part):
    from judging.tabular import TableError, read_table

    with pytest.raises(TableError):
        read_table(_broken_xlsx(part), "nominations.xlsx")


def test_uploading_a_workbook_with_broken_xml_is_answered_not_a_500(client, demo):
    _organizer(client)
    token = csrf_token(client, "/organizer/nominations/import")
    response = client.post("/organizer/nominations/import", data={"_csrf_token": token},
                           files={"table": ("nominations.xlsx", _broken_xlsx("xl/worksheets/sheet1.xml"),
                                            "application/octet-stream")})
    assert response.status_code < 500


# ------------------------------------------------------------------------------------------ files

def _private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_the_command_creates_private_files_and_folders(cli, tmp_path):
    var = tmp_path / "var"
    url = f"sqlite:///{var / 'data' / 'judging.sqlite3'}"
    env = {"JUDGING_VAR_DIR": str(var), "JUDGING_SECRET_KEY": ""}
    assert cli("init", url=url, env=env).returncode == 0
    assert cli("backup", "--output", str(var / "backups"), url=url, env=env).returncode == 0
    made = [var, *var.rglob("*")]
    assert any(p.name == "judging.sqlite3" for p in made) and any(p.parent.name == "backups" for p in made)
    assert [str(p) for p in made if not _private(p)] == []

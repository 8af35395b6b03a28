"""The `judging` command, run as a subprocess the way an operator runs it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest



@pytest.mark.parametrize("command", [[], ["init"], ["demo"], ["serve"], ["users", "add"], ["audit", "verify"],
                                     ["backup"], ["restore"], ["worker"]])
def test_every_command_has_help(cli, command):
    result = cli(*command, "--help")
    assert result.returncode == 0 and "usage: judging" in result.stdout


def test_users_add_reads_the_password_from_stdin_and_refuses_duplicates(cli, db_url):
    created = cli("users", "add", "--role", "judge", "--username", "zhou.jie", url=db_url, stdin="a-long-password-1\n")
    assert created.returncode == 0, created.stderr
    again = cli("users", "add", "--role", "judge", "--username", "zhou.jie", url=db_url, stdin="a-long-password-2\n")
    assert again.returncode == 2
    assert again.stderr.strip() == "judging: error: The username 'zhou.jie' is already taken."


def test_users_add_refuses_a_common_password_and_creates_nothing(cli, db_url):
    refused = cli("users", "add", "--role", "judge", "--username", "zhou.jie", url=db_url, stdin="Password2026!\n")
    assert refused.returncode == 2
    assert refused.stderr.strip() == ("judging: error: This password is on a list of common or leaked passwords: "
                                      "choose another.")
    assert cli("users", "add", "--role", "judge", "--username", "zhou.jie", url=db_url,
               stdin="a-long-password-1\n").returncode == 0


def test_users_add_can_generate_a_password(cli, db_url):
    result = cli("users", "add", "--role", "auditor", "--username", "sun.li", "--generate-password", url=db_url)
    assert result.returncode == 0
    assert "with password: " in result.stdout


def test_a_nominator_account_needs_its_city(cli, db_url):
    refused = cli("users", "add", "--role", "nominator", "--username", "nj.city", "--generate-password", url=db_url)
    assert refused.returncode == 2 and "city" in refused.stderr.lower()
    created = cli("users", "add", "--role", "nominator", "--username", "nj.city", "--city", "南京",
                  "--generate-password", url=db_url)
    assert created.returncode == 0, created.stderr
    from sqlalchemy import create_engine, text
    with create_engine(db_url).connect() as connection:
        assert connection.execute(text("SELECT role, city FROM users WHERE username = 'nj.city'")).one() == (
            "nominator", "南京")


def test_unknown_role_exits_2_with_one_line(cli, db_url):
    result = cli("users", "add", "--role", "boss", "--username", "x.y", url=db_url, stdin="a-long-password-1\n")
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and "Unknown role 'boss'" in result.stderr


@pytest.mark.parametrize("url, message", [
    ("not a url", "malformed database URL"),
    ("mysql://localhost/x", "unsupported database 'mysql'"),
    ("sqlite:////proc/forbidden/judging.sqlite3", "cannot create the database folder"),
])
def test_bad_database_urls_exit_2_naming_the_problem(cli, url, message):
    result = cli("init", url=url)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_file_that_is_not_a_database_is_refused_and_left_alone(cli, tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("my notes")
    result = cli("init", url=f"sqlite:///{path}")
    assert result.returncode == 2 and "is not an SQLite database" in result.stderr
    assert path.read_text() == "my notes"


def test_a_folder_in_place_of_the_database_file_is_refused(cli, tmp_path):
    (tmp_path / "judging.sqlite3").mkdir()
    result = cli("init", url=f"sqlite:///{tmp_path / 'judging.sqlite3'}")
    assert result.returncode == 2 and "is a folder" in result.stderr


def test_demo_loads_once_and_audit_verify_reports_the_head(cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.sqlite3'}"
    demo = cli("demo", url=url)
    assert demo.returncode == 0, demo.stderr
    assert "demo-Expert-2026" in demo.stdout and "organizer" in demo.stdout
    assert cli("demo", url=url).returncode == 2
    assert cli("demo", "--if-empty", url=url).returncode == 0
    verified = cli("audit", "verify", url=url)
    assert verified.returncode == 0
    assert verified.stdout.startswith("audit chain valid: ") and "head " in verified.stdout
    connection = sqlite3.connect(tmp_path / "demo.sqlite3")
    connection.execute("UPDATE audit_events SET actor = 'mallory' WHERE seq = 3")
    connection.commit()
    connection.close()
    broken = cli("audit", "verify", url=url)
    assert broken.returncode == 1 and "BROKEN at event 3" in broken.stderr


def test_edition_create_reads_a_setup_file_and_names_what_is_wrong(cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'judging.sqlite3'}"
    example = Path(__file__).resolve().parents[1] / "docs" / "edition-example.json"
    created = cli("edition", "create", str(example), url=url)
    assert created.returncode == 0, created.stderr
    assert "Created the 2027 edition (4 categories, 2 rounds)" in created.stdout
    assert cli("edition", "create", str(example), url=url).returncode == 2  # the year exists already
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({**json.loads(example.read_text()), "year": 2028, "categories": []}))
    refused = cli("edition", "create", str(wrong), url=url)
    assert refused.returncode == 2 and "categories: An edition needs at least one category." in refused.stderr
    connection = sqlite3.connect(tmp_path / "judging.sqlite3")
    assert connection.execute("SELECT year, status FROM editions").fetchall() == [(2027, "setup")]
    assert connection.execute("SELECT count(*) FROM audit_events WHERE action = 'edition.created'").fetchone() == (1,)
    connection.close()

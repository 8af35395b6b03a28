"""Hostile input: schemathesis against the app's OpenAPI schema, hypothesis on imports and score forms.

No request may cause a server error; the read-only JSON API must answer what its schema says.
The schema-driven run uses one SQLite demo database for the module (a fresh one per operation
would multiply its cost by ~100); everything it sends is refused or read, so runs do not interfere.
"""

from __future__ import annotations

import shutil

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from judging.accounts.service import authenticate
from judging.db import create_db_engine, make_session_factory
from judging.demo import DEMO_PASSWORDS
from judging.settings import Settings
from judging.web.app import create_app
from judging.web.auth import SESSION_COOKIE

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory, sqlite_demo_template):
    folder = tmp_path_factory.mktemp("hostile")
    path = folder / "judging.sqlite3"
    shutil.copy(sqlite_demo_template[0], path)
    url = f"sqlite:///{path}"
    engine = create_db_engine(url)
    with make_session_factory(engine)() as session:
        login = authenticate(session, username="organizer", password=DEMO_PASSWORDS["organizer"])
        admin = authenticate(session, username="admin", password=DEMO_PASSWORDS["admin"])
        session.commit()
    app = create_app(Settings(database_url=url, secret_key="hostile", var_dir=folder, jobs_backend="immediate"),
                     engine)
    app.state.organizer_cookie = f"{SESSION_COOKIE}={login.token}"
    app.state.admin_cookie = f"{SESSION_COOKIE}={admin.token}"  # the API's map is the admin's
    yield app
    engine.dispose()


@pytest.fixture(scope="module")
def operations(hostile_app):
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", hostile_app,
                                            headers={"cookie": hostile_app.state.admin_cookie})
    found = [result.ok() for result in schema.get_all_operations()]
    assert len(found) > 50
    return found


@given(data=st.data())
@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck),
          phases=[Phase.explicit, Phase.generate])  # shrinking ~100 draws costs minutes; the message names the URL
def test_no_request_makes_a_server_error(hostile_app, operations, data):
    # schemathesis's pytest plugin does not load under pytest 9 yet: draw its cases with hypothesis.
    for operation in operations:
        case = data.draw(operation.as_strategy(), label=f"{operation.method} {operation.path}")
        response = case.call(headers={"cookie": hostile_app.state.organizer_cookie})
        assert response.status_code < 500, f"{case.method} {case.formatted_path} -> {response.status_code}"
        if case.path.startswith("/api/") and response.status_code == 200:
            case.validate_response(response)


SCORE_TEXT = st.one_of(st.text(max_size=12), st.sampled_from(["", "NaN", "inf", "-1", "10.25", "1e309", "５", "7.5"]))


@given(values=st.lists(SCORE_TEXT, min_size=4, max_size=4), comment=st.text(max_size=300),
       familiarity=st.one_of(st.text(max_size=20), st.sampled_from(["familiar", "very_familiar"])),
       version=st.one_of(st.integers(-5, 10**12).map(str), st.text(max_size=8)))
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_score_form_gets_an_answer_not_a_crash(hostile_app, values, comment, familiarity, version):
    from sqlalchemy import select

    from judging.accounts.models import User
    from judging.panels.models import Assignment, Expert

    with make_session_factory(hostile_app.state.engine)() as session:
        judge = session.scalar(select(User).where(User.username == "judge03"))
        handle = session.scalar(select(Assignment.handle).join(Expert, Expert.id == Assignment.expert_id)
                                .where(Expert.user_id == judge.id).limit(1))
        login = authenticate(session, username="judge03", password=DEMO_PASSWORDS["judge"])
        session.commit()
    with TestClient(app=hostile_app, base_url="http://testserver.local") as client:
        client.cookies.set(SESSION_COOKIE, login.token)
        client.get("/healthz")
        page = client.get(f"/judge/sheets/{handle}")
        fields = sorted(set(__import__("re").findall(r'name="(score-\d+)"', page.text)))
        assert fields, "the judge's own sheet shows its score fields"
        form = {"_csrf_token": client.cookies["csrftoken"], "version": version, "comment": comment,
                "familiarity": familiarity, **dict(zip(fields, values))}
        for route in ("draft", "submit"):
            response = client.post(f"/judge/sheets/{handle}/{route}", data=form,
                                   headers={"accept": "application/json"})
            assert response.status_code < 500, response.text


@given(rows=st.lists(st.lists(st.text(max_size=30), min_size=0, max_size=14), max_size=6),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
def test_any_nomination_table_gives_rows_or_errors_never_a_crash(rows, encoding):
    import csv
    import io

    from judging.nominations.rows import parse_nomination_rows
    from judging.tabular import TableError, read_table

    buffer = io.StringIO()
    csv.writer(buffer).writerows([["类别", "城市", "项目名称", "完成人", "单位"], *rows])
    try:
        data = buffer.getvalue().encode(encoding)
    except UnicodeEncodeError:
        return
    try:
        table = read_table(data, "upload.csv")
    except TableError:
        return  # refused with a message naming the problem
    parsed, errors = parse_nomination_rows(table, known_cities=["南京", "苏州"])
    # Every data row is accounted for once: either parsed, or refused with a message naming its row.
    parsed_rows, refused_rows = {row.row for row in parsed}, {error.row for error in errors}
    assert not parsed_rows & refused_rows
    assert parsed_rows | refused_rows == {row.number for row in table.rows}
    assert all(error.problem for error in errors)

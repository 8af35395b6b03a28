"""Models and Alembic migrations describe the same schema, on every backend."""

import pytest

from judging.db import check_schema

pytestmark = pytest.mark.backend_sensitive  # migrations


def test_migrations_match_models(engine):
    assert check_schema(engine) is None


def test_upgrade_is_idempotent(engine):
    from judging.db import upgrade

    upgrade(engine)
    assert check_schema(engine) is None


def test_migrations_form_one_line_of_history():
    from alembic.script import ScriptDirectory

    from judging.db.migrate import alembic_config

    heads = ScriptDirectory.from_config(alembic_config(None)).get_heads()
    assert len(heads) == 1, f"several migration heads {heads}: set down_revision to the newest revision"

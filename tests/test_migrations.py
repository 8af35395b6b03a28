"""Models and Alembic migrations describe the same schema, on every backend."""

from judging.db import check_schema


def test_migrations_match_models(engine):
    assert check_schema(engine) is None


def test_upgrade_is_idempotent(engine):
    from judging.db import upgrade

    upgrade(engine)
    assert check_schema(engine) is None

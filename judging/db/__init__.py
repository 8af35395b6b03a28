"""Database engines, sessions and migrations for SQLite (embedded) and PostgreSQL."""

from judging.db.base import Base, utcnow
from judging.db.engine import DatabaseError, create_db_engine, make_session_factory, pool_capacity, session_scope
from judging.db.migrate import check_schema, upgrade

__all__ = [
    "Base",
    "DatabaseError",
    "check_schema",
    "create_db_engine",
    "make_session_factory",
    "pool_capacity",
    "session_scope",
    "upgrade",
    "utcnow",
]

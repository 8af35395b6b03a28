"""Alembic environment: the engine comes from the caller (judging.db.migrate), never from a file."""

from alembic import context

import judging.models  # noqa: F401  (registers every table on Base.metadata)
from judging.db.base import Base

config = context.config
engine = config.attributes.get("engine")
if engine is None:
    from judging.db.engine import create_db_engine
    from judging.settings import get_settings

    engine = create_db_engine(get_settings().database_url)

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()

"""Alembic's environment for the hub: the connection comes from the caller (contactpoint.hub.db.upgrade), or from
the URL in the configuration; the target is the hub's metadata (so autogenerate can compare)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context
from contactpoint.hub.db import engine_for, metadata

config = context.config


def _run(connection: sa.engine.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters a table by copying it
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    engine = engine_for(config.get_main_option("sqlalchemy.url") or "")
    with engine.begin() as conn:
        _run(conn)
    engine.dispose()

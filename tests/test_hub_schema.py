"""The hub's schema: Alembic's migrations build exactly the metadata, on SQLite and on PostgreSQL; the hub is its
own app and never imports a device folder."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from contactpoint.hub.db import engine_for, metadata, upgrade

from tests.pg_server import db_url, pg_server  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parent.parent


def test_the_migrations_equal_the_metadata(db_url: str) -> None:  # noqa: F811
    engine = engine_for(db_url)
    upgrade(engine)
    upgrade(engine)  # a second run is a no-op
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, metadata) == []
        assert set(sa.inspect(conn).get_table_names()) == {t.name for t in metadata.sorted_tables} | {
            "alembic_version"
        }
    engine.dispose()


def test_a_postgres_url_means_psycopg_3() -> None:
    from contactpoint.hub.db import normalise_url

    assert normalise_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert normalise_url("sqlite:///x") == "sqlite:///x"


def test_the_hub_never_imports_a_device_folder() -> None:
    for path in (ROOT / "hub").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for device in ("kiosk", "display", "counter", "phone", "manage", "hardware", "provisioning"):
            assert f"contactpoint.{device}" not in text, f"{path.relative_to(ROOT)} imports {device}"


def test_the_rollups_migration_builds_them_from_the_windows_already_stored(db_url: str) -> None:  # noqa: F811
    from alembic import command
    from contactpoint.hub.db import alembic_config, daily, hourly, sites, windows
    from contactpoint.hub.ingest import window_row

    from contactpoint import report_format as rf
    from tests.hub_support import body, window

    engine = engine_for(db_url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0001")
        conn.execute(sites.insert().values(id="anderlecht", name="Anderlecht", created_at=0))
        report = rf.validate(body(windows=[window("2026-12-07T10:00"), window("2026-12-07T11:15")]))
        conn.execute(windows.insert(), [window_row(report, w, 0) for w in report.windows])
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.select(daily.c.code, daily.c.issued)).all() == [("address_change", 6)]
        assert sorted(conn.execute(sa.select(hourly.c.hour, hourly.c.issued)).all()) == [(10, 3), (11, 3)]
    engine.dispose()

"""The hub's database: one schema (SQLAlchemy Core 2) on SQLite or PostgreSQL, migrated by Alembic.

A SQLite file by default (nothing to install); PostgreSQL for the region (`--db postgresql://…`). Both engines run
the same code: the only difference is which dialect's `INSERT … ON CONFLICT` builds the upsert, and both have it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

metadata = sa.MetaData()

sites = sa.Table(
    "sites",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)

# a site's signing keys: the secret itself (HMAC needs it; readable by the hub only), and when it was retired.
# During a rotation two keys are live: the old one until `hub site retire-key`.
site_keys = sa.Table(
    "site_keys",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("site_id", sa.String(40), sa.ForeignKey("sites.id", ondelete="CASCADE"), nullable=False, index=True),
    sa.Column("secret", sa.String(100), nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("retired_at", sa.BigInteger, nullable=True),
)

# the webhook ids already accepted, kept at least the timestamp tolerance (then purged): a replay is refused
seen_messages = sa.Table(
    "seen_messages",
    metadata,
    sa.Column("site_id", sa.String(40), primary_key=True),
    sa.Column("msg_id", sa.String(100), primary_key=True),
    sa.Column("seen_at", sa.BigInteger, nullable=False, index=True),
)

# one row per (site, 15-minute window in the site's local time, site's need): the highest revision received
windows = sa.Table(
    "windows",
    metadata,
    sa.Column("site_id", sa.String(40), sa.ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("start", sa.String(16), primary_key=True),
    sa.Column("need", sa.String(40), primary_key=True),
    sa.Column("day", sa.Date, nullable=False),
    sa.Column("hour", sa.SmallInteger, nullable=False),
    sa.Column("code", sa.String(40), nullable=False),
    sa.Column("revision", sa.Integer, nullable=False),
    sa.Column("tz", sa.String(64), nullable=False),
    sa.Column("names", sa.JSON, nullable=False),
    sa.Column("issued", sa.Integer, nullable=False),
    sa.Column("called", sa.Integer, nullable=False),
    sa.Column("served", sa.Integer, nullable=False),
    sa.Column("no_show", sa.Integer, nullable=False),
    sa.Column("abandoned", sa.Integer, nullable=False),
    sa.Column("transferred", sa.Integer, nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("appointments", sa.Integer, nullable=False),
    sa.Column("contacts", sa.Integer, nullable=False),
    sa.Column("help_alerts", sa.Integer, nullable=False),
    sa.Column("sl_threshold_s", sa.Integer, nullable=False),
    sa.Column("sl_within", sa.Integer, nullable=False),
    sa.Column("sl_of", sa.Integer, nullable=False),
    sa.Column("bucket_edges_s", sa.JSON, nullable=False),
    sa.Column("wait_hist", sa.JSON, nullable=False),
    sa.Column("service_hist", sa.JSON, nullable=False),
    sa.Column("outcomes", sa.JSON, nullable=False),
    sa.Column("referrals", sa.JSON, nullable=False),
    sa.Column("channels", sa.JSON, nullable=False),
    sa.Column("taps", sa.JSON, nullable=False),
    sa.Column("received_at", sa.BigInteger, nullable=False),
    sa.Index("ix_windows_code_day", "code", "day"),
    sa.Index("ix_windows_day", "day"),
)

# the dashboard's users: analysts read, admins also manage the sites
users = sa.Table(
    "users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(60), nullable=False, unique=True),
    sa.Column("role", sa.String(20), nullable=False),
    sa.Column("password_hash", sa.String(300), nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
)

# the hub's own settings: the session-signing key of the dashboard, made on first start
hub_settings = sa.Table(
    "hub_settings",
    metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)

# rollups of the windows per (site, code, day[, hour]), rebuilt at ingest in the same transaction from that day's
# windows (hub/rollup.py): the dashboard sums them in SQL (histogram buckets as integer columns), so a year of 50
# sites reads 50 x 365 x codes rows, not every window
EDGES_CHARS = 800  # MAX_EDGES edges of at most MAX_EDGE_S: "1,2,…,86400" (migration 0005: it was 400)
BUCKETS = 129  # contactpoint.report_format.MAX_EDGES + 1 (migration 0004: it was 65, the box sends 81)
HIST_COLUMNS = tuple(f"w{i}" for i in range(BUCKETS)) + tuple(f"s{i}" for i in range(BUCKETS))
SUM_COLUMNS = ("issued", "called", "served", "no_show", "abandoned", "transferred", "priority", "appointments",
               "contacts", "help_alerts", "sl_within", "sl_of", *HIST_COLUMNS)  # fmt: skip


def _sums() -> list[sa.Column[Any]]:
    return [sa.Column(c, sa.Integer, nullable=False) for c in SUM_COLUMNS]


def _site_fk() -> sa.Column[Any]:
    return sa.Column("site_id", sa.String(40), sa.ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True)


hourly = sa.Table(
    "hourly", metadata, _site_fk(),
    sa.Column("code", sa.String(40), primary_key=True), sa.Column("day", sa.Date, primary_key=True),
    sa.Column("hour", sa.SmallInteger, primary_key=True),
    sa.Column("edges", sa.String(EDGES_CHARS), nullable=False),  # "30,60,…", or "mixed": histograms not mergeable
    *_sums(), sa.Index("ix_hourly_day_code", "day", "code"),
)  # fmt: skip
daily = sa.Table(
    "daily", metadata, _site_fk(),
    sa.Column("code", sa.String(40), primary_key=True), sa.Column("day", sa.Date, primary_key=True),
    sa.Column("week", sa.String(8), nullable=False), sa.Column("month", sa.String(7), nullable=False),
    sa.Column("edges", sa.String(EDGES_CHARS), nullable=False), *_sums(),
    sa.Index("ix_daily_day_code", "day", "code"),
)  # fmt: skip
# the count objects of the rollups, one row per key: "o:<outcome>", "r:<organisation kind>", "t:<score 1-4>"
hourly_values = sa.Table(
    "hourly_values", metadata, _site_fk(),
    sa.Column("code", sa.String(40), primary_key=True), sa.Column("day", sa.Date, primary_key=True),
    sa.Column("hour", sa.SmallInteger, primary_key=True), sa.Column("key", sa.String(60), primary_key=True),
    sa.Column("n", sa.Integer, nullable=False), sa.Index("ix_hourly_values_day_code", "day", "code"),
)  # fmt: skip
daily_values = sa.Table(
    "daily_values", metadata, _site_fk(),
    sa.Column("code", sa.String(40), primary_key=True), sa.Column("day", sa.Date, primary_key=True),
    sa.Column("week", sa.String(8), nullable=False), sa.Column("month", sa.String(7), nullable=False),
    sa.Column("key", sa.String(60), primary_key=True), sa.Column("n", sa.Integer, nullable=False),
    sa.Index("ix_daily_values_day_code", "day", "code"),
)  # fmt: skip

# per (site, code, month): the daily rollups summed in SQL, for the months a period covers whole
monthly = sa.Table(
    "monthly", metadata, _site_fk(),
    sa.Column("code", sa.String(40), primary_key=True), sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("edges", sa.String(EDGES_CHARS), primary_key=True), *_sums(),
    sa.Index("ix_monthly_month_code", "month", "code"),
)  # fmt: skip
monthly_values = sa.Table(
    "monthly_values", metadata, _site_fk(),
    sa.Column("code", sa.String(40), primary_key=True), sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("key", sa.String(60), primary_key=True), sa.Column("n", sa.Integer, nullable=False),
    sa.Index("ix_monthly_values_month_code", "month", "code"),
)  # fmt: skip

COUNT_COLUMNS = ("issued", "called", "served", "no_show", "abandoned", "transferred", "priority", "appointments",
                 "contacts", "help_alerts")


def normalise_url(url: str) -> str:
    """`postgresql://…` means psycopg 3 (SQLAlchemy's own default for it is psycopg2, which the hub does not use)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def default_url(data: str | Path) -> str:
    folder = Path(data)
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder.resolve() / 'hub.sqlite'}"


def engine_for(url: str) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 15})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(dbapi: Any, _record: Any) -> None:
            cur = dbapi.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.close()

        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Any:
    """Alembic's configuration built in code: no alembic.ini at run time."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest migration (creates it on first use)."""
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")
        # a migration that adds a rollup leaves it empty: rebuild them all from the windows (not inside the
        # migration, whose code would then have to stay as it was when the migration was written)
        if conn.execute(sa.select(windows.c.site_id).limit(1)).first() is not None and any(
            conn.execute(sa.select(t.c.site_id).limit(1)).first() is None for t in (hourly, daily, monthly)
        ):
            from contactpoint.hub.rollup import rebuild_all

            rebuild_all(conn)

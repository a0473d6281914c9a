"""The site registry and its signing keys.

A key is a Standard Webhooks secret, `whsec_` and 32 random bytes in base64. The hub stores the secret itself, not a
hash: checking an HMAC needs it. The database is the hub's only (its file or its PostgreSQL role is readable by the
hub's account alone: docs/hub.md). A rotation adds a second key; both verify until `retire-key` ends the old one."""

from __future__ import annotations

import base64
import re
import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from contactpoint.hub.db import site_keys, sites, windows
from sqlalchemy.engine import Connection, Engine

from contactpoint.report_format import ID_RE


class RegistryError(ValueError):
    pass


@dataclass(frozen=True)
class SiteRow:
    id: str
    name: str
    live_keys: int
    windows: int
    last_received_at: int | None


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def slug(name: str) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-")
    return s or "site"


def add_site(engine: Engine, name: str, now: int, site_id: str | None = None) -> tuple[str, str]:
    """Register a site; returns its id and its first key (shown once)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise RegistryError("the name must be 1 to 200 characters")
    sid = site_id or slug(name)
    if not ID_RE.match(sid):
        raise RegistryError(f"the id must be lowercase letters, digits, - and _ (at most 40), got {sid!r}")
    secret = new_secret()
    with engine.begin() as conn:
        if conn.execute(sa.select(sites.c.id).where(sites.c.id == sid)).first():
            raise RegistryError(f"a site {sid!r} already exists (choose another with --id)")
        conn.execute(sites.insert().values(id=sid, name=name, created_at=now))
        conn.execute(site_keys.insert().values(site_id=sid, secret=secret, created_at=now))
    return sid, secret


def _require(conn: Connection, site_id: str) -> None:
    if not conn.execute(sa.select(sites.c.id).where(sites.c.id == site_id)).first():
        raise RegistryError(f"no site {site_id!r} (hub site list)")


def rotate(engine: Engine, site_id: str, now: int) -> str:
    """A new key beside the live one(s): give it to the box, then retire the old one."""
    secret = new_secret()
    with engine.begin() as conn:
        _require(conn, site_id)
        conn.execute(site_keys.insert().values(site_id=site_id, secret=secret, created_at=now))
    return secret


def retire_old_keys(engine: Engine, site_id: str, now: int) -> int:
    """End every live key but the newest; returns how many ended."""
    with engine.begin() as conn:
        _require(conn, site_id)
        live = (
            conn.execute(
                sa.select(site_keys.c.id)
                .where(site_keys.c.site_id == site_id, site_keys.c.retired_at.is_(None))
                .order_by(site_keys.c.id.desc())
            )
            .scalars()
            .all()
        )
        if len(live) < 2:
            raise RegistryError(f"{site_id!r} has one key: rotate first (hub site rotate {site_id})")
        conn.execute(site_keys.update().where(site_keys.c.id.in_(live[1:])).values(retired_at=now))
    return len(live) - 1


def live_secrets(conn: Connection, site_id: str) -> list[str]:
    return list(
        conn.execute(
            sa.select(site_keys.c.secret).where(site_keys.c.site_id == site_id, site_keys.c.retired_at.is_(None))
        ).scalars()
    )


def list_sites(engine: Engine) -> list[SiteRow]:
    live = (
        sa.select(sa.func.count())
        .where(site_keys.c.site_id == sites.c.id, site_keys.c.retired_at.is_(None))
        .scalar_subquery()
    )
    count = sa.select(sa.func.count()).where(windows.c.site_id == sites.c.id).scalar_subquery()
    last = sa.select(sa.func.max(windows.c.received_at)).where(windows.c.site_id == sites.c.id).scalar_subquery()
    with engine.connect() as conn:
        rows = conn.execute(sa.select(sites.c.id, sites.c.name, live, count, last).order_by(sites.c.id)).all()
    return [SiteRow(r[0], r[1], int(r[2]), int(r[3]), r[4]) for r in rows]

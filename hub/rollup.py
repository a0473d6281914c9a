"""The rollups the dashboard reads: per (site, code, day, hour) and per (site, code, day), sums of the windows'
counts and histogram buckets as integer columns, and their count objects one row per key. A projection of the
windows table: refreshed in the ingest's transaction for every (site, code, day) a report changed, rebuilt from
scratch by `rebuild_all` (the migration that added them does), so it never drifts from the windows."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import sqlalchemy as sa
from contactpoint.hub.db import (
    BUCKETS,
    COUNT_COLUMNS,
    SUM_COLUMNS,
    daily,
    daily_values,
    hourly,
    hourly_values,
    monthly,
    monthly_values,
    windows,
)
from contactpoint.hub.figures import Merged, slot_of
from sqlalchemy.engine import Connection


def values_of(m: Merged) -> dict[str, int]:
    out = {f"o:{k}": n for k, n in m.outcomes.items() if n}
    out |= {f"r:{k}": n for k, n in m.referrals.items() if n}
    out |= {f"t:{k}": n for k, n in m.taps.items() if n}
    return out


def sums_of(m: Merged) -> dict[str, Any]:
    row: dict[str, Any] = {k: m.counts[k] for k in COUNT_COLUMNS}
    row |= {"sl_within": m.sl_within, "sl_of": m.sl_of}
    mergeable = m.edges is not None and not m.mixed_edges
    row["edges"] = ",".join(map(str, m.edges or ())) if mergeable else "mixed"
    wait = m.wait if mergeable else []
    service = m.service if mergeable else []
    row |= {f"w{i}": wait[i] if i < len(wait) else 0 for i in range(BUCKETS)}
    row |= {f"s{i}": service[i] if i < len(service) else 0 for i in range(BUCKETS)}
    return row


def refresh(conn: Connection, site_id: str, days: Iterable[tuple[str, date]]) -> None:
    """Rebuild the rollups of each (code, day) of a site from its windows, then those days' months."""
    days = sorted(set(days))
    _refresh_days(conn, site_id, days)
    for code, month in sorted({(code, str(slot_of({"day": day}, "month"))) for code, day in days}):
        _refresh_month(conn, site_id, code, month)


def _refresh_month(conn: Connection, site_id: str, code: str, month: str) -> None:
    """A month's rollup: its daily rollups summed in SQL (INSERT … SELECT … GROUP BY, on both engines)."""
    for table in (monthly, monthly_values):
        conn.execute(table.delete().where(table.c.site_id == site_id, table.c.code == code, table.c.month == month))
    mine = (daily.c.site_id == site_id, daily.c.code == code, daily.c.month == month)
    keys = [daily.c.site_id, daily.c.code, daily.c.month, daily.c.edges]
    sums = sa.select(*keys, *[sa.func.sum(daily.c[c]) for c in SUM_COLUMNS]).where(*mine).group_by(*keys)
    conn.execute(monthly.insert().from_select(["site_id", "code", "month", "edges", *SUM_COLUMNS], sums))
    v = daily_values
    vkeys = [v.c.site_id, v.c.code, v.c.month, v.c.key]
    vals = sa.select(*vkeys, sa.func.sum(v.c.n)).where(v.c.site_id == site_id, v.c.code == code, v.c.month == month)
    conn.execute(monthly_values.insert().from_select(["site_id", "code", "month", "key", "n"], vals.group_by(*vkeys)))


def _refresh_days(conn: Connection, site_id: str, days: list[tuple[str, date]]) -> None:
    for code, day in days:
        for table in (hourly, daily, hourly_values, daily_values):
            conn.execute(table.delete().where(table.c.site_id == site_id, table.c.code == code, table.c.day == day))
        rows = conn.execute(
            sa.select(windows).where(windows.c.site_id == site_id, windows.c.code == code, windows.c.day == day)
        ).all()
        if not rows:
            continue
        whole, hours = Merged(), {}
        for r in rows:
            whole.add(r._mapping)
            hours.setdefault(r._mapping["hour"], Merged()).add(r._mapping)
        key = {"site_id": site_id, "code": code, "day": day}
        week, month = slot_of({"day": day}, "week"), slot_of({"day": day}, "month")
        conn.execute(daily.insert().values(**key, week=week, month=month, **sums_of(whole)))
        vals = [{**key, "week": week, "month": month, "key": k, "n": n} for k, n in values_of(whole).items()]
        if vals:
            conn.execute(daily_values.insert(), vals)
        conn.execute(hourly.insert(), [{**key, "hour": h, **sums_of(m)} for h, m in hours.items()])
        hvals = [{**key, "hour": h, "key": k, "n": n} for h, m in hours.items() for k, n in values_of(m).items()]
        if hvals:
            conn.execute(hourly_values.insert(), hvals)


def rebuild_all(conn: Connection) -> None:
    for table in (hourly, daily, monthly, hourly_values, daily_values, monthly_values):
        conn.execute(table.delete())
    by_site: dict[str, set[tuple[str, date]]] = {}
    for site_id, code, day in conn.execute(sa.select(windows.c.site_id, windows.c.code, windows.c.day).distinct()):
        by_site.setdefault(site_id, set()).add((code, day))
    for site_id, days in by_site.items():
        refresh(conn, site_id, days)


def rebuild_months(conn: Connection) -> None:
    """Every month's rollup again from the daily ones."""
    pairs = conn.execute(sa.select(daily.c.site_id, daily.c.code, daily.c.month).distinct()).all()
    for site_id, code, month in pairs:
        _refresh_month(conn, site_id, code, month)

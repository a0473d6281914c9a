"""Helpers for the hub's tests: valid reports, signed as a box signs them, and the state of the hub's tables."""

from __future__ import annotations

import copy
from typing import Any

import sqlalchemy as sa

from contactpoint import report_format as rf

EDGES = [30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600]


def window(start: str = "2026-12-07T10:15", need: str = "moving", revision: int = 1, **over: Any) -> dict[str, Any]:
    n = len(EDGES) + 1
    w: dict[str, Any] = {
        "start": start,
        "need": need,
        "code": {"moving": "address_change", "money": "income_support"}.get(need, "orientation"),
        "names": {"fr": "Je déménage", "en": "I'm moving"} if need == "moving" else {"fr": need},
        "revision": revision,
        "counts": dict.fromkeys(rf.COUNT_KEYS, 0) | {"issued": 3, "called": 3, "served": 2, "no_show": 1},
        "wait_hist": [0, 1, 1, 1] + [0] * (n - 4),
        "service_hist": [0, 0, 1, 1] + [0] * (n - 4),
        "service_level": {"threshold_s": 900, "within": 3, "of": 3},
        "outcomes": {"resolved": 1, "referred": 1},
        "referrals": {"social_welfare": 1},
        "channels": {"kiosk": 3},
        "taps": {"tablet": {"1": 0, "2": 0, "3": 1, "4": 1}},
    }
    for key, value in over.items():
        w[key] = value
    return w


def body(site: str = "anderlecht", windows: list[dict[str, Any]] | None = None, sent_at: int = 0) -> dict[str, Any]:
    return {
        "format": rf.FORMAT,
        "site": site,
        "tz": "Europe/Brussels",
        "sent_at": sent_at,
        "bucket_edges_s": list(EDGES),
        "windows": copy.deepcopy(windows if windows is not None else [window()]),
    }


def signed(secret: str, payload: bytes, ts: int, msg_id: str | None = None) -> dict[str, str]:
    return rf.signed_headers(secret, payload, ts, msg_id)  # as a box signs


def post(client: Any, site: str, secret: str, report: dict[str, Any], ts: int, msg_id: str | None = None) -> Any:
    payload = rf.encode(report)
    return client.post(f"/ingest/v1/{site}", data=payload, headers=signed(secret, payload, ts, msg_id))


def tables(engine: sa.engine.Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, sorted: what "nothing stored" compares."""
    from contactpoint.hub.db import metadata

    with engine.connect() as conn:
        return {
            t.name: sorted(tuple(map(repr, r)) for r in conn.execute(sa.select(t)).all())
            for t in metadata.sorted_tables
        }


def stored_windows(engine: sa.engine.Engine) -> list[tuple[Any, ...]]:
    """The windows' content, without when they arrived."""
    from contactpoint.hub.db import windows

    cols = [c for c in windows.columns if c.name != "received_at"]
    with engine.connect() as conn:
        return sorted(tuple(map(repr, r)) for r in conn.execute(sa.select(*cols)).all())

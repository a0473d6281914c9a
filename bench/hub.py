"""The hub's dashboard queries at scale, on a real PostgreSQL (Debian's binaries, a temporary server).

python -m bench.hub [--sites 50] [--days 14] [--needs 10] [--rollup-days 365]      (make bench-hub)

Fills the windows table as SITES sites reporting DAYS days of 40 windows (10 hours) for NEEDS needs would, rebuilds
the rollups from them, adds the daily rollups the rest of ROLLUP_DAYS (default a year) would give, then times the
dashboard's main queries through the app. Prints one line per query and, as the last line, one JSON object. The
dashboard reads only the rollups, so a year of them is what a year of windows (about 7 million) costs it."""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import date, timedelta
from typing import Any

from contactpoint import regional_needs
from contactpoint import report_format as rf

EDGES = [30, 60, 120, 300, 600, 900, 1200, 1800, 2700, 3600]


def rows(site: str, day: date, codes: list[str], rnd: random.Random) -> list[dict[str, Any]]:
    out = []
    for q in range(40):
        hour, minute = 8 + q // 4, 15 * (q % 4)
        for i, code in enumerate(codes):
            issued = rnd.randint(0, 6)
            hist = [0] * (len(EDGES) + 1)
            for _ in range(issued):
                hist[min(len(hist) - 1, int(rnd.expovariate(0.4)))] += 1
            counts = dict.fromkeys(rf.COUNT_KEYS, 0) | {"issued": issued, "called": issued, "served": issued}
            out.append({
                "site_id": site, "start": f"{day}T{hour:02d}:{minute:02d}", "need": f"n{i}", "day": day,
                "hour": hour, "code": code, "revision": 1, "tz": "Europe/Brussels", "names": {"fr": code},
                **counts, "sl_threshold_s": 900, "sl_within": issued, "sl_of": issued, "bucket_edges_s": EDGES,
                "wait_hist": hist, "service_hist": hist, "outcomes": {"resolved": issued}, "referrals": {},
                "channels": {"kiosk": issued}, "taps": {"tablet": {"1": 0, "2": 0, "3": 0, "4": issued}},
                "received_at": 0,
            })  # fmt: skip
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sites", type=int, default=50)
    ap.add_argument("--days", type=int, default=14)
    ap.add_argument("--needs", type=int, default=10)
    ap.add_argument("--rollup-days", type=int, default=365, help="days of daily rollups (beyond --days: made directly)")
    args = ap.parse_args()

    from tests.pg_server import PgServer, _binaries

    bindir = _binaries()
    if bindir is None:
        raise SystemExit("the hub's benchmark needs PostgreSQL: apt-get install postgresql")
    server = PgServer(bindir)
    server.start()
    try:
        result = run(server.new_database(), args.sites, args.days, args.needs, args.rollup_days)
    finally:
        server.stop()
    print(json.dumps(result))


def daily_only(engine: Any, n_sites: int, first: int, last_day: int, codes: list[str], last: date) -> int:
    """The daily rollups (and their count objects) that days first..last_day of windows would give, made with the
    ingest's own code (hub/rollup.py) without storing the windows: a year's dashboard queries read only these."""
    from contactpoint.hub.db import daily, daily_values
    from contactpoint.hub.figures import Merged, slot_of
    from contactpoint.hub.rollup import sums_of, values_of

    rnd, n = random.Random(7), 0
    for d in range(first, last_day):
        day = last - timedelta(days=d)
        week, month = slot_of({"day": day}, "week"), slot_of({"day": day}, "month")
        batch, vals = [], []
        for s in range(n_sites):
            per_code: dict[str, Merged] = {}
            for r in rows(f"site{s}", day, codes, rnd):
                per_code.setdefault(r["code"], Merged()).add(r)
            for code, m in per_code.items():
                key = {"site_id": f"site{s}", "code": code, "day": day}
                batch.append({**key, "week": week, "month": month, **sums_of(m)})
                vals += [{**key, "week": week, "month": month, "key": k, "n": v} for k, v in values_of(m).items()]
        with engine.begin() as conn:
            conn.execute(daily.insert(), batch)
            conn.execute(daily_values.insert(), vals)
        n += len(batch)
    return n


def run(url: str, n_sites: int, days: int, n_needs: int, rollup_days: int = 0) -> dict[str, Any]:
    from contactpoint.hub.app import create_hub
    from contactpoint.hub.db import sites, windows
    from contactpoint.hub.users import set_user

    app = create_hub(url, config={"TESTING": True})
    engine = app.extensions["hub"].engine
    codes = list(regional_needs.load().codes())[:n_needs]
    rnd = random.Random(12)
    last = date(2026, 12, 6)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(sites.insert(), [{"id": f"site{s}", "name": f"Site {s}", "created_at": 0} for s in range(n_sites)])
    n = 0
    for d in range(days):
        day = last - timedelta(days=d)
        batch = [r for s in range(n_sites) for r in rows(f"site{s}", day, codes, rnd)]
        with engine.begin() as conn:
            conn.execute(windows.insert(), batch)
        n += len(batch)
    load_s = time.perf_counter() - t0
    print(f"loaded {n} windows ({n_sites} sites x {days} days x 40 windows x {len(codes)} needs) in {load_s:.1f} s")
    from contactpoint.hub.rollup import rebuild_all

    t0 = time.perf_counter()
    with engine.begin() as conn:
        rebuild_all(conn)
    rebuild_s = time.perf_counter() - t0
    print(f"rollups rebuilt from the windows in {rebuild_s:.1f} s")
    extra = daily_only(engine, n_sites, days, rollup_days, codes, last) if rollup_days > days else 0
    span = max(days, rollup_days)
    if extra:
        from contactpoint.hub.rollup import rebuild_months

        with engine.begin() as conn:
            rebuild_months(conn)
        print(f"{extra} more daily rollup rows, and the months: {span} days of {n_sites} sites in all")

    password = set_user(engine, "bench", "analyst", 0)
    client = app.test_client()
    import re

    token = re.search(r'value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    client.post("/login", data={"name": "bench", "password": password, "csrf_token": token})
    week = f"from={last - timedelta(days=6)}&to={last}"
    queries = {
        "week_by_need": f"/api/v1/figures?{week}&by=need",
        "week_by_hour": f"/api/v1/figures?{week}&by=hour",
        "week_one_code_by_day": f"/api/v1/figures?{week}&by=day&code={codes[0]}",
        f"{days}_days_by_hour": f"/api/v1/figures?from={last - timedelta(days=days - 1)}&to={last}&by=hour",
        f"{span}_days_by_need": f"/api/v1/figures?from={last - timedelta(days=span - 1)}&to={last}&by=need",
        f"{span}_days_by_month": f"/api/v1/figures?from={last - timedelta(days=span - 1)}&to={last}&by=month",
        "whole_months_by_month": f"/api/v1/figures?from={(last - timedelta(days=span - 40)).replace(day=1)}"
        f"&to={last.replace(day=1) - timedelta(days=1)}&by=month",
    }
    timings: dict[str, float] = {}
    for name, path in queries.items():
        best = float("inf")
        for _ in range(3):
            t = time.perf_counter()
            r = client.get(path)
            best = min(best, time.perf_counter() - t)
            assert r.status_code == 200, r.get_data(as_text=True)[:300]
        timings[name] = round(best, 3)
        print(f"{name:24} {best * 1000:8.0f} ms  ({len(r.get_json()['rows'])} rows)")
    engine.dispose()
    return {"windows": n, "sites": n_sites, "days": days, "needs": len(codes), "load_s": round(load_s, 1),
            "rebuild_s": round(rebuild_s, 1), "rollup_days": span, "query_s": timings}  # fmt: skip


if __name__ == "__main__":
    main()

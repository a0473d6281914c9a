"""Each page's snapshot on a day of many tickets: bytes and time of every state URL a page resyncs from.

python -m bench.snapshots --tickets 16000     (run.py runs it under the server's interpreter)

The day is filled in the box's own process (the engine, batches of ticket_issued events in one transaction
each), with a few hundred visits called and finished so the last calls and the service times are real; then each
URL is asked for through Flask's test client (no network: the figure is the box's own cost). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

URLS = {  # page -> the URL it resyncs from
    "public": "/api/state",
    "display": "/display/state",
    "kiosk": "/kiosk/state",
    "console": "/counter/api/state",
}


def _fill(engine: Any, tickets: int, served: int) -> None:
    from contactpoint.domain import commands
    from contactpoint.domain.events import Event

    needs = [n for n in engine.site.needs]

    def batch(state: Any, site: Any, now: float, *, start: int, count: int) -> list[Event]:
        day = site.day_of(now)
        serials = {n.id: state.numbering.get((day, n.id), 0) for n in needs}
        events = commands.day_change(state, site, now)
        for i in range(start, start + count):
            n = needs[i % len(needs)]
            serials[n.id] += 1
            data = {"id": f"b{i:06d}", "token": f"bench-token-{i:010d}", "day": day, "need": n.id,
                    "number": commands.format_number(n.prefix, serials[n.id]), "serial": serials[n.id], "lang": "fr",
                    "priority": i % 17 == 0, "slot_at": None, "appointment_id": None}
            events.append(Event("ticket_issued", now, data))
        return events

    engine.run(commands.open_counter, counter="1", agent="bench", needs=[n.id for n in needs])
    step = 500
    for start in range(0, tickets, step):
        engine.run(batch, start=start, count=min(step, tickets - start))
    for _ in range(served):
        engine.run(commands.call_next, counter="1")
        engine.run(commands.finish, counter="1", outcome="resolved")
    engine.run(commands.call_next, counter="1")


def _app() -> Any:
    from contactpoint.hardware.audio import FakeAnnouncer
    from contactpoint.hardware.printer import FakePrinter

    from contactpoint import create_app
    from contactpoint.box import box_of

    tmp = Path(tempfile.mkdtemp(prefix="contactpoint-snap-"))
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp), "SECRET_KEY": "bench", "RATELIMIT_ENABLED": False},
                     printer=FakePrinter(), announcer=FakeAnnouncer(tmp / "audio"))
    box_of(app).start()  # its services run, as on a box: the broadcaster drains what each commit hands it
    return app


def _stop(app: Any) -> None:
    from contactpoint.box import box_of

    box_of(app).close()


def ticket_path(big: Any, empty: Any, rounds: int = 6, per_round: int = 200) -> dict[str, float]:
    """Median ms to issue a ticket and read its place and estimate, in the engine of a box (its listeners
    included), on an empty day and on `big`'s day, in alternate rounds so that both see the same machine."""
    times: dict[str, list[float]] = {"empty": [], "day": []}
    for _ in range(rounds):
        for key, engine in (("empty", empty), ("day", big)):
            t0 = time.perf_counter()
            for _ in range(per_round):
                engine.ticket_view(engine.issue(need="moving", lang="fr"))
            times[key].append((time.perf_counter() - t0) * 1000 / per_round)
    return {f"issue_{k}_ms": round(statistics.median(v), 3) for k, v in times.items()}


def measure(tickets: int, served: int, runs: int) -> dict[str, Any]:
    from contactpoint.auth import hash_password

    app = _app()
    cp = app.extensions["contactpoint"]
    _fill(cp.engine, tickets, served)
    client = app.test_client()
    cp.store.add_agent("bench", hash_password("bench bench bench"), "agent", 0.0)
    form = client.get("/counter/login").get_data(as_text=True)  # the login form's CSRF token
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert token is not None, "the login form carries no token"
    client.post("/counter/login", data={"name": "bench", "password": "bench bench bench", "csrf_token": token[1]})
    out: dict[str, Any] = {"tickets": len(cp.engine.tickets())}
    for page, url in URLS.items():
        times, size, status = [], 0, 0
        for _ in range(runs):
            t0 = time.perf_counter()
            r = client.get(url)
            times.append(time.perf_counter() - t0)
            size, status = len(r.get_data()), r.status_code
        if status != 200:
            out[page] = None  # this URL does not exist in this version
            continue
        out[page] = {"url": url, "bytes": size, "ms": round(statistics.median(times) * 1000, 2)}
    empty = _app()
    out["ticket_path"] = ticket_path(cp.engine, empty.extensions["contactpoint"].engine)
    _stop(empty)
    _stop(app)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.snapshots", description=__doc__)
    ap.add_argument("--tickets", type=int, default=16000)
    ap.add_argument("--served", type=int, default=200)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args(argv)
    print(json.dumps(measure(a.tickets, a.served, a.runs)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What the live figures cost the ticket path, measured in the box's own process.

python -m bench.figures [--rounds 8] [--per-round 300]

Two boxes side by side, the same in everything but one: in the second, the figures' bus subscriber is taken off.
In alternate rounds (so both see the same machine), each issues tickets and has them called and finished; the
figure is the median time per visit (issue + call + finish: three commits) in each, and their ratio. Then the
figures' own cost: microseconds per event folded into a DayTally (the subscriber's work), and the time to fold a
closed day of visits back from the log (what freezing it costs, off the engine's lock). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from typing import Any

from bench.snapshots import _app, _stop


def _visit(engine: Any) -> None:
    from contactpoint.domain import commands

    engine.issue(need="moving", lang="fr")
    engine.run(commands.call_next, counter="1")
    engine.run(commands.finish, counter="1", outcome="resolved")


def ticket_path(rounds: int, per_round: int) -> dict[str, Any]:
    from contactpoint.domain import commands

    with_figures, without = _app(), _app()
    boxes = {"with": with_figures.extensions["contactpoint"], "without": without.extensions["contactpoint"]}
    subs = boxes["without"].bus._subscribers["committed"]
    subs.remove(boxes["without"].figures.committed)  # the only difference between the two boxes
    for box in boxes.values():
        box.store.add_agent("bench", "-", "agent", 0.0)  # an account: the counter sweep closes others' counters
        box.engine.run(commands.open_counter, counter="1", agent="bench", needs=["moving"])
        for _ in range(50):  # warm up
            _visit(box.engine)
    times: dict[str, list[float]] = {"with": [], "without": []}
    for _ in range(rounds):
        for key, box in boxes.items():
            t0 = time.perf_counter()
            for _ in range(per_round):
                _visit(box.engine)
            times[key].append((time.perf_counter() - t0) * 1000 / per_round)
    out = {f"visit_{k}_figures_ms": round(statistics.median(v), 3) for k, v in times.items()}
    out["ratio"] = round(out["visit_with_figures_ms"] / out["visit_without_figures_ms"], 3)
    out["spread_without_ms"] = [round(min(times["without"]), 3), round(max(times["without"]), 3)]
    out["spread_with_ms"] = [round(min(times["with"]), 3), round(max(times["with"]), 3)]
    out.update(subscriber_share(boxes["with"], per_round))
    _stop(with_figures)
    _stop(without)
    return out


def subscriber_share(box: Any, visits: int) -> dict[str, Any]:
    """The figures' subscriber timed inside the engine itself, over `visits` visits: its share of the ticket
    path, a figure the machine's noise does not drown (the A/B medians above move by more than it)."""
    subs = box.bus._subscribers["committed"]
    inner = box.figures.committed
    spent = [0.0, 0]

    def timed(batch: Any) -> None:
        t0 = time.perf_counter()
        inner(batch)
        spent[0] += time.perf_counter() - t0
        spent[1] += len(batch)

    subs[subs.index(inner)] = timed
    t0 = time.perf_counter()
    for _ in range(visits):
        _visit(box.engine)
    total = time.perf_counter() - t0
    subs[subs.index(timed)] = inner
    return {"subscriber_us_per_event": round(spent[0] * 1e6 / max(1, spent[1]), 2),
            "subscriber_share_of_ticket_path": round(spent[0] / total, 5)}


def fold_cost(visits: int) -> dict[str, Any]:
    from contactpoint import tally_store
    from contactpoint.domain.tally import DayTally

    app = _app()
    box = app.extensions["contactpoint"]
    from contactpoint.domain import commands

    box.store.add_agent("bench", "-", "agent", 0.0)
    box.engine.run(commands.open_counter, counter="1", agent="bench", needs=[n.id for n in box.site.needs])
    for _ in range(visits):
        _visit(box.engine)
    events = list(box.store.events())
    tally = DayTally(box.figures.settings)
    t0 = time.perf_counter()
    for ev in events:
        tally.add(ev)
    per_event_us = (time.perf_counter() - t0) * 1e6 / len(events)
    day = box.site.day_of(box.engine.now())
    t0 = time.perf_counter()
    tally_store.build(box.figures._reader, box.figures.settings, day, day)
    build_ms = (time.perf_counter() - t0) * 1000
    _stop(app)
    return {"events": len(events), "fold_us_per_event": round(per_event_us, 2), "rebuild_day_ms": round(build_ms, 1)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.figures", description=__doc__)
    ap.add_argument("--rounds", type=int, default=8)
    ap.add_argument("--per-round", type=int, default=300)
    ap.add_argument("--visits", type=int, default=2000)
    a = ap.parse_args(argv)
    print(json.dumps({"ticket_path": ticket_path(a.rounds, a.per_round), "figures": fold_cost(a.visits)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

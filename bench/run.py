"""The benchmark: our figures beside their raw floors, measured in one run on this machine.

python -m bench.run --quick        (make bench; under 3 minutes on 2 cores)
python -m bench.run --full         (longer phases, 500 calls, and a 200-display probe)

Readable lines, then as the LAST line one JSON object (also written to bench/results/latest.json).
Budgets (DESIGN.md "Performance budgets") are printed PASS/FAIL and never asserted: the exit code is 0 whenever
every measurement could be made, non-zero (with the reason) when one could not.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench import display, floors
from bench.ours import Ours, cold_start
from bench.proc import REPO, BenchError, server_python, stop_all
from bench.stats import ms, ratio

RATE = 285.0  # paced requests/s, as the floor was measured
SNAPSHOT_TICKETS = 16000  # the day on which each page's snapshot is measured
#: the day on which memory is judged: the same for every run (the load phases issue as many tickets as the server's
#: speed allows, 4,800-5,800, so their RSS moved with the speed, not the code); four times the busiest real day
FIXED_DAY_TICKETS = 2000
BUDGETS = {  # key: (limit, "max" | "min", text)
    "issue_p99_ms": (20.0, "max", "issue p99 ≤ 20 ms"),
    "tickets_per_s": (300.0, "min", "≥ 300 tickets/s"),
    "duplicates": (0, "max", "0 duplicate numbers"),
    "fanout_p99_ms": (50.0, "max", "fan-out p99 ≤ 50 ms"),
    "rss_fixed_day_mb": (80.0, "max", "RSS ≤ 80 MB"),
    "cold_start_s": (2.0, "max", "cold start ≤ 2 s"),
}


def say(text: str = "") -> None:
    print(text, flush=True)


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def watchdog(seconds: float) -> None:
    def fire() -> None:
        print(f"bench: FAILED: still running after {seconds:.0f} s (a phase hung); servers stopped", file=sys.stderr,
              flush=True)
        stop_all()
        os._exit(3)

    t = threading.Timer(seconds, fire)
    t.daemon = True
    t.start()


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_const", dest="mode", const="quick", help="the default")
    mode.add_argument("--full", action="store_const", dest="mode", const="full")
    ap.add_argument("--server-python", default=None,
                    help="interpreter for every server (default: .venv/bin/python when it exists, else this one)")
    ap.add_argument("--client", choices=["raw", "socketio"], default="raw",
                    help="Socket.IO client in the bench (raw: minimal, least overhead; socketio: python-socketio)")
    ap.add_argument("--app", choices=["site", "demo"], default="site",
                    help="server under load: site = `contactpoint serve` of the sample site with the kiosk rate limit "
                         "raised (default); demo = `contactpoint demo` with CONTACTPOINT_RATELIMIT=0")
    ap.add_argument("--announce", action="store_true",
                    help="keep the site's spoken announcements on (espeak-ng renders every call; the bench calls "
                         "15 times a second, a real site a few times a minute) - off by default with --app site")
    ap.add_argument("--seconds", type=float, default=None, help="length of each load phase")
    ap.add_argument("--threads", type=int, default=8, help="client threads for the sustained rate")
    ap.add_argument("--calls", type=int, default=None, help="call-next round trips for the fan-out")
    ap.add_argument("--many", type=int, default=None, help="also measure the fan-out with this many displays (0: no)")
    ap.add_argument("--display-minutes", type=float, default=None,
                    help="minutes of the busy hour replayed on a display page in Chromium (0: skip the phase)")
    ap.add_argument("--display-scale", type=float, default=4.0,
                    help="how many times faster than real time the busy hour is replayed (sounds too)")
    ap.add_argument("--out", default=str(REPO / "bench" / "results" / "latest.json"))
    ap.add_argument("--timeout", type=float, default=None, help="hard limit for the whole run, seconds")
    a = ap.parse_args(argv)
    a.mode = a.mode or "quick"
    full = a.mode == "full"
    a.seconds = a.seconds or (15.0 if full else 5.0)
    a.calls = a.calls or (500 if full else 200)
    a.many = (200 if full else 0) if a.many is None else a.many
    a.display_minutes = (20.0 if full else 3.0) if a.display_minutes is None else a.display_minutes
    a.timeout = a.timeout or (1300.0 if full else 240.0)
    return a


def page_snapshots(python: str, tickets: int) -> dict[str, Any]:
    """Bytes and time of each page's state URL on a day of `tickets` tickets (bench/snapshots.py)."""
    try:
        out = subprocess.run([python, "-m", "bench.snapshots", "--tickets", str(tickets)], cwd=REPO,
                             capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired as e:
        raise BenchError("the snapshot measurement did not finish") from e
    if out.returncode != 0:
        raise BenchError(f"the snapshot measurement failed: {out.stderr[-800:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def verdict(key: str, value: Any) -> str:
    limit, kind, _ = BUDGETS[key]
    if value is None:
        return "FAIL"
    return "PASS" if (value <= limit if kind == "max" else value >= limit) else "FAIL"


def run(a: argparse.Namespace) -> dict[str, Any]:
    py = server_python(a.server_python)
    work = Path(tempfile.mkdtemp(prefix="contactpoint-bench-"))
    started = time.perf_counter()
    res: dict[str, Any] = {"mode": a.mode, "date": time.strftime("%Y-%m-%d %H:%M:%S %z"), "server_python": py,
                           "client": a.client, "app": a.app,
                           "announce": a.announce or a.app == "demo", "nproc": os.cpu_count(), "cpu": cpu_model(),
                           "python": platform.python_version()}
    res["loadavg_start"] = os.getloadavg()[0]
    ver = subprocess.run([py, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True, text=True,
                         timeout=30)
    say(f"contactpoint bench ({a.mode}) {res['date']} | {res['nproc']} cores, {res['cpu']}")
    if res["loadavg_start"] > 1.0:
        say(f"WARNING: load average {res['loadavg_start']:.1f} at start: other work shares these cores, "
            "figures (ours and floors) will be noisy")
    say(f"server interpreter: {py} (Python {ver.stdout.strip()}) | Socket.IO clients: {a.client} | "
        f"phases {a.seconds:g} s, {a.threads} threads, {a.calls} calls")
    try:
        # -- floors ------------------------------------------------------------------------------------------
        say("\n[floors]")
        sq = floors.sqlite_floor(py, work, min(a.seconds, 3.0))
        say(f"  (a) SQLite ticket transaction, 1 thread: {sq['per_s']:.0f}/s, p50 {sq['p50_ms']} ms, "
            f"p99 {sq['p99_ms']} ms")
        fl = floors.flask_floor(py, work, seconds=a.seconds, rate=RATE, threads=a.threads)
        say(f"  (b) bare Flask + transaction: paced {RATE:.0f}/s p50 {fl['p50_ms']} ms p99 {fl['p99_ms']} ms; "
            f"{a.threads} threads {fl['per_s']:.0f} req/s (p99 {fl['burst_p99_ms']} ms); RSS {fl['rss_mb']} MB")
        so = floors.socketio_floor(py, work, calls=a.calls, displays=20, consoles=20, client=a.client)
        say(f"  (c) bare Flask-SocketIO, POST → 40 clients: p50 {so['p50_ms']} ms p99 {so['p99_ms']} ms "
            f"(each client p99 {so['each_p99_ms']} ms); RSS {so['rss_idle_mb']} → {so['rss_mb']} MB, "
            f"{so['threads']} threads")

        # -- ours --------------------------------------------------------------------------------------------
        what = "contactpoint demo" if a.app == "demo" else "contactpoint serve, sample site, kiosk limit raised"
        spoken = "on" if a.announce or a.app == "demo" else "off"
        say(f"\n[ours: {what}, announcements {spoken}, 20 /display + 20 /counter clients]")
        ours = Ours(py, work, a.client, app=a.app, announce=a.announce)
        try:
            idle = ours.srv.status()
            say(f"  connected 40 clients; RSS idle {idle['VmRSS'] / 1024:.1f} MB, {idle['Threads']} threads")
            ours.preload(a.calls + 30)
            fo = ours.fanout(a.calls)
            say(f"  fan-out call-next → all 40: p50 {fo['p50_ms']} ms p99 {fo['p99_ms']} ms max {fo['max_ms']} ms "
                f"(each client p99 {fo['each_p99_ms']} ms; the POST alone p50 {fo['post_p50_ms']} ms)")
            paced = ours.issue(seconds=a.seconds, threads=4, rate=RATE)
            say(f"  issue paced {RATE:.0f}/s: n {len(paced.latencies)} p50 {ms(paced.latencies, 50)} ms "
                f"p99 {ms(paced.latencies, 99)} ms max {ms(paced.latencies, 100)} ms (late sends {paced.late})")
            half = len(paced.latencies) // 2
            early, late = ms(paced.latencies[:half], 50), ms(paced.latencies[half:], 50)
            cpu0, own0 = ours.srv.cpu_s(), sum(os.times()[:2])
            burst = ours.issue(seconds=a.seconds, threads=a.threads)
            n = max(1, len(burst.latencies))
            cpu_t = round((ours.srv.cpu_s() - cpu0) * 1000 / n, 2)
            own_t = round((sum(os.times()[:2]) - own0) * 1000 / n, 2)
            say(f"  issue sustained, {a.threads} threads: {burst.per_s:.0f} tickets/s "
                f"(p50 {ms(burst.latencies, 50)} ms p99 {ms(burst.latencies, 99)} ms); CPU per ticket: server "
                f"{cpu_t} ms (bare Flask {fl['cpu_ms_per_req']} ms), bench process {own_t} ms "
                f"(bare Flask run {fl['bench_cpu_ms_per_req']} ms)")
            ours.settle()
            after = ours.issue(seconds=a.seconds, threads=4, rate=RATE)  # as long as the first: p99 on as many
            say(f"  issue paced again with {len(ours.bodies)} tickets of the day: p50 {ms(after.latencies, 50)} ms "
                f"p99 {ms(after.latencies, 99)} ms (first half of the first paced phase p50 {early} ms, "
                f"second half {late} ms)")
            dups, dup_tokens = ours.duplicates()
            up = ours.updates()
            say(f"  {len(ours.bodies)} tickets, duplicate numbers {dups}, duplicate tokens {dup_tokens}; "
                f"clients at last seq {up['last_seq']}: {up['received_ratio']:.0%} ({up['connected']} connected, "
                f"{up['gaps']} gaps, {up['batches_per_client']} batches each, {up['bytes_per_batch']} bytes per batch)")
            st = ours.srv.status()
            say(f"  server RSS after the load, 40 clients connected: {st['VmRSS'] / 1024:.1f} MB "
                f"(peak {st['VmHWM'] / 1024:.1f} MB), {st['Threads']} threads")
            many: dict[str, Any] = {}
            if a.many > 20:
                extra = ours.pool.add(ours.port, "/display", a.many - 20, alive=ours.srv.check)
                displays = [c for c in ours.pool.clients if c.ns == "/display"]
                time.sleep(0.5)
                mf = ours.fanout(max(50, a.calls // 4), clients=ours.pool.clients)
                mst = ours.srv.status()
                many = {"displays": len(displays), "clients": len(ours.pool.clients), "p50_ms": mf["p50_ms"],
                        "p99_ms": mf["p99_ms"], "each_p99_ms": mf["each_p99_ms"],
                        "rss_mb": round(mst["VmRSS"] / 1024, 1), "threads": mst["Threads"]}
                say(f"  {len(displays)} displays + 20 consoles: fan-out p50 {mf['p50_ms']} ms p99 {mf['p99_ms']} ms "
                    f"(each client p99 {mf['each_p99_ms']} ms); RSS {many['rss_mb']} MB, {mst['Threads']} threads")
                del extra
        finally:
            ours.close()

        # -- memory on a day of a fixed size -----------------------------------------------------------------
        say(f"\n[memory: a fresh server, 40 clients, a day of {FIXED_DAY_TICKETS} tickets issued one after another]")
        fixed = Ours(py, work, a.client, app=a.app, announce=a.announce)
        try:
            fidle = fixed.srv.status()
            fixed.preload(FIXED_DAY_TICKETS)
            fixed.settle()
            time.sleep(1.0)  # the printer's queue drains; the broadcasts reached every client
            fst = fixed.srv.status()
        finally:
            fixed.close()
        per_ticket = (fst["VmRSS"] - fidle["VmRSS"]) * 1024 / FIXED_DAY_TICKETS
        say(f"  RSS idle {fidle['VmRSS'] / 1024:.1f} MB → {fst['VmRSS'] / 1024:.1f} MB after the day "
            f"(peak {fst['VmHWM'] / 1024:.1f} MB): {per_ticket:.0f} bytes a ticket")

        # -- each page's snapshot on a large day ----------------------------------------------------------
        snaps = page_snapshots(py, SNAPSHOT_TICKETS)
        say(f"\n[snapshots at {snaps['tickets']} tickets of the day, in-process]")
        for page, fig in snaps.items():
            if isinstance(fig, dict) and "url" in fig:
                say(f"  {page:8} {fig['url']:20} {fig['bytes'] / 1024:9.1f} KB {fig['ms']:8.2f} ms")
        tp = snaps["ticket_path"]
        say(f"  the engine issuing and placing a ticket: {tp['issue_empty_ms']} ms on an empty day, "
            f"{tp['issue_day_ms']} ms on this one")

        # -- cold start --------------------------------------------------------------------------------------
        cs = cold_start(py, work, 3)
        say(f"\n[cold start] spawn → first 200 on /api/state: {', '.join(f'{x:.2f}' for x in cs)} s "
            f"(median {statistics.median(cs):.2f} s)")

        # -- the waiting-room display under a busy hour ------------------------------------------------------
        dsp: dict[str, Any] = {}
        if a.display_minutes > 0:
            say(f"\n[display: {a.display_minutes:g} min of a busy hour (10 counters), replayed x{a.display_scale:g} "
                "on a display page in Chromium, announcements on]")
            dsp = display.run(py, work, a.display_minutes, a.display_scale)
            say(f"  {dsp['calls']} calls and recalls ({dsp['per_minute']}/min): click → number on screen p50 "
                f"{dsp['screen_p50_ms']} ms p99 {dsp['screen_p99_ms']} ms (x{ratio(dsp['screen_p50_ms'], so['p50_ms'])}"
                f" the bare Flask-SocketIO fan-out p50); click → announcement start p50 {dsp['announce_p50_s']} s "
                f"p99 {dsp['announce_p99_s']} s max {dsp['announce_max_s']} s (aim ≤ 10 s); {dsp['dropped']} "
                f"dropped before they played (no longer called), {dsp['overlaps']} overlapping sounds")
    finally:
        stop_all()
        shutil.rmtree(work, ignore_errors=True)

    res.update({
        "issue_p50_ms": ms(paced.latencies, 50),
        "issue_p99_ms": ms(paced.latencies, 99),
        "issue_floor_p99_ms": fl["p99_ms"],
        "issue_p99_ratio": ratio(ms(paced.latencies, 99), fl["p99_ms"]),
        "issue_p50_full_day_ms": ms(after.latencies, 50),
        "issue_p99_full_day_ms": ms(after.latencies, 99),
        "tickets_per_s": round(burst.per_s, 1),
        "http_floor_per_s": fl["per_s"],
        "tickets_per_s_ratio": ratio(burst.per_s, fl["per_s"]),
        "tickets_issued": len(ours.bodies),
        "server_cpu_ms_per_ticket": cpu_t,
        "http_floor_cpu_ms_per_req": fl["cpu_ms_per_req"],
        "bench_cpu_ms_per_ticket": own_t,
        "duplicates": dups,
        "duplicate_tokens": dup_tokens,
        "fanout_p50_ms": fo["p50_ms"],
        "fanout_p99_ms": fo["p99_ms"],
        "fanout_each_p99_ms": fo["each_p99_ms"],
        "fanout_floor_p50_ms": so["p50_ms"],
        "fanout_floor_p99_ms": so["p99_ms"],
        "fanout_p99_ratio": ratio(fo["p99_ms"], so["p99_ms"]),
        "fanout_calls": fo["calls"],
        "updates_received_ratio": up["received_ratio"],
        "update_gaps": up["gaps"],
        "batches_per_client": up["batches_per_client"],
        "bytes_per_batch": up["bytes_per_batch"],
        "rss_mb": round(st["VmRSS"] / 1024, 1),
        "rss_peak_mb": round(st["VmHWM"] / 1024, 1),
        "rss_idle_mb": round(idle["VmRSS"] / 1024, 1),
        "rss_floor_mb": so["rss_mb"],
        "rss_ratio": ratio(st["VmRSS"] / 1024, so["rss_mb"]),
        "server_threads": st["Threads"],
        "fixed_day_tickets": FIXED_DAY_TICKETS,
        "rss_fixed_day_mb": round(fst["VmRSS"] / 1024, 1),
        "rss_fixed_day_peak_mb": round(fst["VmHWM"] / 1024, 1),
        "rss_fixed_day_idle_mb": round(fidle["VmRSS"] / 1024, 1),
        "rss_fixed_day_ratio": ratio(fst["VmRSS"] / 1024, so["rss_mb"]),
        "rss_bytes_per_ticket": round(per_ticket),
        "cold_start_s": round(statistics.median(cs), 3),
        "cold_starts_s": [round(x, 3) for x in cs],
        "sqlite_floor_per_s": sq["per_s"],
        "sqlite_floor_p99_ms": sq["p99_ms"],
        "flask_floor_p50_ms": fl["p50_ms"],
        "flask_floor_rss_mb": fl["rss_mb"],
        "many_displays": many or None,
        "snapshots": snaps,
        "display_busy_hour": dsp or None,
        "display_screen_p50_ms": dsp.get("screen_p50_ms"),
        "display_screen_p99_ms": dsp.get("screen_p99_ms"),
        "display_screen_p50_ratio": ratio(dsp.get("screen_p50_ms"), so["p50_ms"]),
        "display_announce_p50_s": dsp.get("announce_p50_s"),
        "display_announce_p99_s": dsp.get("announce_p99_s"),
        "elapsed_s": round(time.perf_counter() - started, 1),
        "loadavg_end": os.getloadavg()[0],
    })
    return res


def report(res: dict[str, Any]) -> None:
    say("\n[summary: ours | floor | ratio | budget]")
    rows = [
        ("issue p99 (paced 285/s)", "issue_p99_ms", "ms", res["issue_floor_p99_ms"], res["issue_p99_ratio"]),
        ("tickets/s (sustained)", "tickets_per_s", "/s", res["http_floor_per_s"], res["tickets_per_s_ratio"]),
        ("duplicate numbers", "duplicates", "", None, None),
        ("fan-out p99 (40 clients)", "fanout_p99_ms", "ms", res["fanout_floor_p99_ms"], res["fanout_p99_ratio"]),
        (f"RSS, {res['fixed_day_tickets']}-ticket day", "rss_fixed_day_mb", "MB", res["rss_floor_mb"],
         res["rss_fixed_day_ratio"]),
        ("cold start (median of 3)", "cold_start_s", "s", None, None),
    ]
    for label, key, unit, floor, r in rows:
        limit, _, text = BUDGETS[key]
        fl = "-" if floor is None else f"{floor} {unit}".strip()
        rr = "-" if r is None else f"x{r}"
        say(f"  {label:26} {str(res[key]) + ' ' + unit:>12} | floor {fl:>12} | {rr:>7} | "
            f"{verdict(key, res[key])} ({text})")
    say(f"  RSS after the load phases ({res['tickets_issued']} tickets, 40 clients): {res['rss_mb']} MB "
        f"(peak {res['rss_peak_mb']} MB; x{res['rss_ratio']} the floor)")
    say(f"  issue p50 / p99 paced, the day's {res['tickets_issued']} tickets vs the empty day: "
        f"{res['issue_p50_full_day_ms']} / {res['issue_p99_full_day_ms']} ms vs {res['issue_p50_ms']} / "
        f"{res['issue_p99_ms']} ms (x{ratio(res['issue_p50_full_day_ms'], res['issue_p50_ms'])} / "
        f"x{ratio(res['issue_p99_full_day_ms'], res['issue_p99_ms'])})")
    say(f"  updates received up to the last seq: {res['updates_received_ratio']:.0%} of clients "
        f"({res['update_gaps']} gaps)")
    if res.get("display_busy_hour"):
        d = res["display_busy_hour"]
        say(f"  display, busy hour: click → screen p50 {d['screen_p50_ms']} ms p99 {d['screen_p99_ms']} ms "
            f"(x{res['display_screen_p50_ratio']} the fan-out floor p50); click → announcement p50 "
            f"{d['announce_p50_s']} s p99 {d['announce_p99_s']} s "
            f"({'PASS' if d['announce_p99_s'] is not None and d['announce_p99_s'] <= 10 else 'FAIL'} (aim ≤ 10 s))")
    say(f"  run took {res['elapsed_s']} s")


def main(argv: list[str] | None = None) -> int:
    a = parse(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    watchdog(a.timeout)
    try:
        res = run(a)
    except BenchError as e:
        print(f"bench: FAILED: {e}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted", file=sys.stderr)
        return 130
    finally:
        stop_all()
    report(res)
    out = Path(a.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(res, ensure_ascii=False)
    out.write_text(line + "\n")
    print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The raw floors, measured in the same run with the same interpreter and the same client shapes as ours."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.load import Conn, drive_apart
from bench.proc import REPO, BenchError, Server, fresh_dir
from bench.sio import Pool
from bench.stats import ms


def sqlite_floor(python: str, work: Path, seconds: float) -> dict[str, Any]:
    """(a) the ticket transaction in a loop from one thread."""
    d = fresh_dir(work, "floor-sqlite-")
    try:
        out = subprocess.run(
            [python, "-m", "bench.floor_app", "sqlite", "--data", str(d), "--seconds", str(seconds)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=seconds + 60,
        )
    except subprocess.TimeoutExpired as e:
        raise BenchError("SQLite floor did not finish") from e
    if out.returncode != 0:
        raise BenchError(f"SQLite floor failed: {out.stderr[-800:]}")
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def flask_floor(python: str, work: Path, *, seconds: float, rate: float, threads: int) -> dict[str, Any]:
    """(b) bare Flask + the same transaction: p99 paced at `rate`, then requests/s from `threads` threads."""
    d = fresh_dir(work, "floor-flask-")
    with Server(
        "floor-flask", [python, "-m", "bench.floor_app", "flask", "--data", str(d), "--port", "{port}"], work
    ).start() as srv:
        srv.wait_ready("/ping")
        drive_apart(srv.port, "/tickets", "issue", seconds=0.5, threads=threads, alive=srv.check)  # warm-up
        paced = drive_apart(srv.port, "/tickets", "issue", seconds=seconds, threads=4, rate=rate, alive=srv.check)
        cpu0, own0 = srv.cpu_s(), sum(os.times()[:2])
        burst = drive_apart(srv.port, "/tickets", "issue", seconds=seconds, threads=threads, alive=srv.check)
        cpu, own = srv.cpu_s() - cpu0, sum(os.times()[:2]) - own0
        rss = srv.status()
    return {
        "p50_ms": ms(paced.latencies, 50),
        "p99_ms": ms(paced.latencies, 99),
        "paced_n": len(paced.latencies),
        "paced_late": paced.late,
        "per_s": round(burst.per_s, 1),
        "burst_p99_ms": ms(burst.latencies, 99),
        "cpu_ms_per_req": round(cpu * 1000 / max(1, len(burst.latencies)), 2),
        "bench_cpu_ms_per_req": round(own * 1000 / max(1, len(burst.latencies)), 2),
        "rss_mb": round(rss["VmRSS"] / 1024, 1),
    }


def socketio_floor(python: str, work: Path, *, calls: int, displays: int, consoles: int, client: str = "raw"
                   ) -> dict[str, Any]:
    """(c) bare Flask-SocketIO (threading): an HTTP POST emits one message to every connected client."""
    with Server(
        "floor-socketio", [python, "-m", "bench.floor_app", "socketio", "--port", "{port}"], work
    ).start() as srv:
        srv.wait_ready("/ping")
        pool = Pool(client)
        try:
            pool.add(srv.port, "/display", displays, event="m", alive=srv.check)
            pool.add(srv.port, "/counter", consoles, event="m", alive=srv.check)
            idle = srv.status()
            lat_all: list[float] = []
            lat_each: list[float] = []
            conn = Conn(srv.port)
            for i in range(calls + 10):
                t0 = time.perf_counter()
                status, _ = conn.post("/emit", {"id": i})
                if status != 204:
                    srv.check()
                    raise BenchError(f"floor /emit answered {status}")
                got = pool.wait_all(i, 5.0)
                if got is None:
                    srv.check()
                    raise BenchError(f"floor fan-out: message {i} not received by every client within 5 s")
                if i >= 10:  # the first ones warm up
                    lat_all.append(max(got) - t0)
                    lat_each.extend(g - t0 for g in got)
                time.sleep(0.025)
            conn.close()
            loaded = srv.status()
        finally:
            pool.close()
    return {
        "p50_ms": ms(lat_all, 50),
        "p99_ms": ms(lat_all, 99),
        "each_p99_ms": ms(lat_each, 99),
        "clients": displays + consoles,
        "rss_idle_mb": round(idle["VmRSS"] / 1024, 1),
        "rss_mb": round(loaded["VmRSS"] / 1024, 1),
        "threads": loaded["Threads"],
    }


if __name__ == "__main__":  # a quick look at the floors alone
    from bench.proc import server_python

    py = server_python()
    w = fresh_dir(Path("/tmp"), "bench-floors-")
    print(sqlite_floor(py, w, 2))
    print(flask_floor(py, w, seconds=3, rate=285, threads=8))
    print(socketio_floor(py, w, calls=100, displays=20, consoles=20))
    sys.exit(0)

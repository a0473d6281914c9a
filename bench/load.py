"""HTTP load from client threads, each on its own keep-alive connection (http.client: the least client overhead)."""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.proc import HOST, BenchError

NEEDS = ("moving", "documents", "money", "housing", "online", "dont_know")


class Conn:
    """A keep-alive JSON client; reconnects once if the server closed the connection."""

    def __init__(self, port: int, headers: dict[str, str] | None = None, timeout: float = 10.0) -> None:
        self.port = port
        self.timeout = timeout
        self.headers = {"Content-Type": "application/json", "Connection": "keep-alive", **(headers or {})}
        self.c = http.client.HTTPConnection(HOST, port, timeout=timeout)

    def post(self, path: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        data = json.dumps(body).encode()
        for attempt in (1, 2):
            try:
                self.c.request("POST", path, body=data, headers=self.headers)
                r = self.c.getresponse()
                raw = r.read()
                if r.getheader("Connection", "").lower() == "close":
                    self.c.close()
                return r.status, (json.loads(raw) if raw else {})
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.c.close()
                self.c = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def close(self) -> None:
        self.c.close()


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)  # seconds
    sent_at: list[float] = field(default_factory=list)  # perf_counter at send, same order as latencies
    bodies: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    late: int = 0  # paced sends that left more than one interval behind schedule

    @property
    def per_s(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0


def _run_threads(n: int, target: Callable[[int], None], join_timeout: float) -> None:
    threads = [threading.Thread(target=target, args=(i,), daemon=True, name=f"load-{i}") for i in range(n)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + join_timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    if any(t.is_alive() for t in threads):
        raise BenchError(f"load threads still running {join_timeout:.0f} s after the phase should have ended")


def drive(
    port: int,
    path: str,
    make_body: Callable[[int], dict[str, Any]],
    *,
    seconds: float,
    threads: int,
    rate: float | None = None,
    expect: int = 201,
    alive: Callable[[], None] = lambda: None,
    max_errors: int = 20,
) -> LoadResult:
    """Paced (rate per second over all threads) or as fast as the threads go (rate None), for `seconds`."""
    res = LoadResult()
    lock = threading.Lock()
    state = {"next": 0, "stop": False}
    start = time.perf_counter() + 0.05
    end = start + seconds
    interval = 1.0 / rate if rate else 0.0

    def worker(_: int) -> None:
        conn = Conn(port)
        try:
            while True:
                with lock:
                    if state["stop"]:
                        return
                    i = state["next"]
                    state["next"] += 1
                due = start + i * interval
                if due >= end:
                    return
                now = time.perf_counter()
                if due > now:
                    time.sleep(due - now)
                elif rate and now - due > interval:
                    with lock:
                        res.late += 1
                t0 = time.perf_counter()
                if t0 >= end:
                    return
                try:
                    status, body = conn.post(path, make_body(i))
                except (OSError, http.client.HTTPException, ValueError) as e:
                    status, body = -1, {"error": repr(e)}
                dt = time.perf_counter() - t0
                with lock:
                    if status == expect:
                        res.latencies.append(dt)
                        res.sent_at.append(t0)
                        res.bodies.append(body)
                    else:
                        res.errors.append(f"{status} {str(body)[:120]}")
                        if len(res.errors) >= max_errors:
                            state["stop"] = True
        finally:
            conn.close()

    _run_threads(threads, worker, seconds + 15)
    res.elapsed = min(time.perf_counter(), end) - start
    if res.errors:
        alive()  # a dead server explains itself first
        if len(res.errors) >= max_errors:
            hint = ""
            if res.errors[0].startswith("429"):
                hint = (" (the kiosk's rate limit is on: the server must honour CONTACTPOINT_RATELIMIT=0,"
                        " which the bench sets, i.e. RATELIMIT_ENABLED=False)")
            raise BenchError(f"{path}: {len(res.errors)} failed requests, e.g. {res.errors[0]}{hint}")
    return res


def issue_body(i: int) -> dict[str, Any]:
    return {"need": NEEDS[i % len(NEEDS)], "lang": "fr"}


BODIES = {"issue": issue_body}


def drive_apart(
    port: int,
    path: str,
    body: str,
    *,
    seconds: float,
    threads: int,
    rate: float | None = None,
    expect: int = 201,
    alive: Callable[[], None] = lambda: None,
) -> LoadResult:
    """`drive` in a process of its own. The 40 Socket.IO listeners live in the bench's process, as 40 devices
    would live on 40 machines: the HTTP clients must not queue behind their threads for this process's GIL,
    or the latency measured would be the bench's, not the server's. Same clock (perf_counter is system-wide)."""
    import subprocess
    import sys

    argv = [sys.executable, "-m", "bench.load", str(port), path, body, str(seconds), str(threads), str(rate or 0),
            str(expect)]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60)
    if done.returncode != 0:
        alive()
        raise BenchError(f"load process failed: {done.stderr.strip()[-500:]}")
    d = json.loads(done.stdout)
    res = LoadResult(d["latencies"], d["sent_at"], d["bodies"], d["errors"], d["elapsed"], d["late"])
    return res


def _main(argv: list[str]) -> None:
    port, path, body, seconds, threads, rate, expect = argv
    try:
        res = drive(int(port), path, BODIES[body], seconds=float(seconds), threads=int(threads),
                    rate=float(rate) or None, expect=int(expect))
    except BenchError as e:
        raise SystemExit(str(e)) from None
    print(json.dumps({"latencies": res.latencies, "sent_at": res.sent_at, "bodies": res.bodies,
                      "errors": res.errors, "elapsed": res.elapsed, "late": res.late}))


if __name__ == "__main__":
    import sys

    _main(sys.argv[1:])

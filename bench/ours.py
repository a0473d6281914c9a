"""Our app under the same shapes as the floors: the demo server, 20 displays + 20 consoles connected."""

from __future__ import annotations

import http.client
import re
import secrets
import subprocess
import time
import urllib.parse
from collections import Counter
from pathlib import Path
from typing import Any

from bench.load import NEEDS, Conn, LoadResult, drive_apart, issue_body
from bench.proc import HOST, REPO, BenchError, Server, fresh_dir
from bench.sio import Listener, Pool
from bench.stats import ms

ISSUE = "/kiosk/api/tickets"

CLI = "contactpoint.provisioning.cli"  # the box's command line, as `python -m`


def demo_server(python: str, work: Path, name: str = "contactpoint") -> Server:
    data = fresh_dir(work, f"{name}-data-")
    return Server(name, [python, "-m", CLI, "demo", "--port", "{port}", "--data", str(data)], work)


SAMPLE_SITE = REPO / "contactpoint" / "sample_site.toml"


def site_server(python: str, work: Path, name: str = "contactpoint", announce: bool = False) -> tuple[Server, str]:
    """The sample site served by `contactpoint serve` on 127.0.0.1, with the kiosk's per-address rate limit raised
    so that one load generator is not refused (the limiter still runs on every request, as on the box), and a
    `demo` agent created by `contactpoint agent add`. Returns the server (not started) and the agent's password."""
    data = fresh_dir(work, f"{name}-data-")
    text = SAMPLE_SITE.read_text()
    text, n = re.subn(r'(?m)^rate_limit\s*=.*$', 'rate_limit = "1000000 per second"', text)
    if n == 0:
        text = text.replace("[kiosk]\n", '[kiosk]\nrate_limit = "1000000 per second"\n', 1)
    if not announce:  # espeak-ng renders every call: at the bench's 15 calls/s it backlogs and eats the CPU
        text = re.sub(r'(?m)^announce\s*=.*$', "announce = false", text)
    config = data / "site.toml"
    config.write_text(text)
    password = secrets.token_urlsafe(12)
    try:
        out = subprocess.run([python, "-m", CLI, "agent", "add", "demo", "--role", "manager",
                              "--data", str(data), "--password", password], cwd=REPO, capture_output=True, text=True,
                             timeout=60, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as e:
        raise BenchError("`contactpoint agent add` did not finish") from e
    if out.returncode != 0:
        raise BenchError(f"`contactpoint agent add` failed: {(out.stderr or out.stdout)[-600:]}")
    srv = Server(name, [python, "-m", CLI, "serve", "--config", str(config), "--host", HOST,
                        "--port", "{port}", "--data", str(data)], work)
    return srv, password


def agent_password(srv: Server, timeout: float = 10.0) -> str:
    """The one-time password the demo prints (read from its log, never printed by the bench)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        srv.check()
        m = re.search(r"name 'demo', password '([^']+)'", srv.log_path.read_text(errors="replace"))
        if m:
            return m.group(1)
        time.sleep(0.05)
    raise BenchError("the demo did not print its agent login line")


def login(port: int, password: str, name: str = "demo") -> tuple[str, str]:
    """Log an agent in (the demo's by default) as a browser does: (Cookie header, CSRF token)."""
    c = http.client.HTTPConnection(HOST, port, timeout=10)
    c.request("GET", "/counter/login")  # the form's token, tied to this pre-login session (login CSRF)
    r = c.getresponse()
    form = r.read().decode()
    pre = (r.getheader("Set-Cookie") or "").split(";")[0]
    m = re.search(r'name="csrf_token" value="([^"]+)"', form)
    if not m or not pre:
        raise BenchError(f"login form without a CSRF token ({r.status})")
    body = urllib.parse.urlencode({"name": name, "password": password, "csrf_token": m.group(1)})
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": pre}
    c.request("POST", "/counter/login", body=body, headers=headers)
    r = c.getresponse()
    r.read()
    cookie = (r.getheader("Set-Cookie") or "").split(";")[0]
    if r.status != 303 or not cookie:
        raise BenchError(f"agent login failed: {r.status}")
    c.request("GET", "/counter/", headers={"Cookie": cookie})
    r = c.getresponse()
    page = r.read().decode()
    c.close()
    m = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    if r.status != 200 or not m:
        raise BenchError(f"console page without a CSRF token ({r.status})")
    return cookie, m.group(1)


def state_seq(port: int) -> int:
    c = http.client.HTTPConnection(HOST, port, timeout=10)
    c.request("GET", "/api/state")
    r = c.getresponse()
    import json

    seq = int(json.loads(r.read())["seq"])
    c.close()
    return seq


class Ours:
    """One demo server with an agent at counter 1 (every need) and 20 displays + 20 consoles listening."""

    def __init__(self, python: str, work: Path, client: str, displays: int = 20, consoles: int = 20,
                 app: str = "site", announce: bool = False) -> None:
        if app == "demo":  # `contactpoint demo`: needs the server to honour CONTACTPOINT_RATELIMIT=0
            self.srv = demo_server(python, work).start()
            self.srv.wait_ready("/api/state")
            password = agent_password(self.srv)
        else:
            self.srv, password = site_server(python, work, announce=announce)
            self.srv.start()
            self.srv.wait_ready("/api/state")
        self.port = self.srv.port
        cookie, csrf = login(self.port, password)
        self.cookie = cookie
        self.agent = Conn(self.port, headers={"Cookie": cookie, "X-CSRF-Token": csrf})
        self.post("/counter/api/open", {"counter": "1", "needs": list(NEEDS)})
        self.pool = Pool(client)
        self.pool.add(self.port, "/display", displays, alive=self.srv.check)
        self.pool.add(self.port, "/counter", consoles, cookie=cookie, alive=self.srv.check)
        self.bodies: list[dict[str, Any]] = []

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            status, out = self.agent.post(path, body)
        except OSError as e:
            self.srv.check()
            raise BenchError(f"{path}: {e!r}") from e
        if status != 200:
            self.srv.check()
            raise BenchError(f"{path} answered {status}: {out}")
        return out

    def preload(self, n: int) -> None:
        conn = Conn(self.port)
        for i in range(n):
            status, body = conn.post(ISSUE, issue_body(i))
            if status != 201:
                self.srv.check()
                hint = " (kiosk rate limit on: CONTACTPOINT_RATELIMIT=0 not honoured)" if status == 429 else ""
                raise BenchError(f"issuing answered {status}: {str(body)[:200]}{hint}")
            self.bodies.append(body)
        conn.close()

    def fanout(self, calls: int, warm: int = 5, quiet: float = 0.03,
               clients: list[Listener] | None = None) -> dict[str, Any]:
        """call-next → receipt of its ticket_called by every client; then finish; a quiet spell between calls."""
        group = clients if clients is not None else self.pool.clients
        all_lat: list[float] = []
        each: list[float] = []
        post_lat: list[float] = []
        for i in range(warm + calls):
            t0 = time.perf_counter()
            out = self.post("/counter/api/call-next", {})
            post_lat.append(time.perf_counter() - t0)
            seq = int(out["seq"])
            got = self.pool.wait_all(seq, 10.0, group)
            if got is None:
                self.srv.check()
                missing = sum(1 for c in group if seq not in c.seen)
                raise BenchError(f"ticket_called seq {seq}: {missing} of {len(group)} clients did not get it in 10 s")
            if i >= warm:
                all_lat.append(max(got) - t0)
                each.extend(g - t0 for g in got)
            fin = self.post("/counter/api/finish", {"outcome": "resolved"})
            self.pool.wait_seq(int(fin["seq"]), 5.0)
            time.sleep(quiet)  # an agent does not call again within the coalescing window
        return {"p50_ms": ms(all_lat, 50), "p99_ms": ms(all_lat, 99), "max_ms": ms(all_lat, 100),
                "each_p50_ms": ms(each, 50), "each_p99_ms": ms(each, 99), "post_p50_ms": ms(post_lat, 50),
                "calls": len(all_lat), "clients": len(group)}

    def issue(self, *, seconds: float, threads: int, rate: float | None = None) -> LoadResult:
        res = drive_apart(self.port, ISSUE, "issue", seconds=seconds, threads=threads, rate=rate, alive=self.srv.check)
        self.bodies.extend(res.bodies)
        return res

    def settle(self, timeout: float = 10.0) -> None:
        """Let the last burst's broadcasts reach every client before the next phase: the next phase is then measured
        in the conditions of the first paced one (no backlog of another phase's messages on the same cores)."""
        self.pool.wait_seq(state_seq(self.port), timeout)

    def duplicates(self) -> tuple[int, int]:
        """(duplicate numbers of the same day, duplicate tokens) across every ticket issued in this run."""
        nums = Counter((b["ticket"]["day"], b["number"]) for b in self.bodies)
        toks = Counter(b["token"] for b in self.bodies)
        return sum(n - 1 for n in nums.values() if n > 1), sum(n - 1 for n in toks.values() if n > 1)

    def updates(self, timeout: float = 10.0) -> dict[str, Any]:
        last = state_seq(self.port)
        share = self.pool.wait_seq(last, timeout)
        return {"last_seq": last, "received_ratio": round(share, 3),
                "gaps": sum(c.gaps for c in self.pool.clients),
                "batches_per_client": round(sum(c.batches for c in self.pool.clients) / len(self.pool.clients), 1),
                "connected": self.pool.connected(),
                "bytes_per_batch": round(sum(c.bytes for c in self.pool.clients)
                                         / max(1, sum(c.batches for c in self.pool.clients)))}

    def close(self) -> None:
        try:
            self.agent.close()
            self.pool.close()
        finally:
            self.srv.stop()


def cold_start(python: str, work: Path, runs: int = 3) -> list[float]:
    """Spawn → first 200 on GET /api/state, fresh data dir each time."""
    out = []
    for i in range(runs):
        with demo_server(python, work, f"cold{i}").start() as srv:
            out.append(srv.wait_ready("/api/state", timeout=30))
    return out

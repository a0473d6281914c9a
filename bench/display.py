"""A busy hour's calls replayed on a real display page in Chromium against a real server (docs/performance.md).

10 counters, each calling about once a minute (~10 calls a minute in all): the visitor comes (the agent presses
"start") 8-25 s after the call, or is recalled after 25 s and then comes, or is recalled and marked absent 20 s
later; a visit lasts 25-55 s. The schedule is drawn from a fixed seed. It is replayed compressed `scale` times in
time (quick: 4 minutes of the hour, x4 -> 60 s): every agent's click comes `scale` times sooner, and the page plays
its sounds `scale` times faster (an init script multiplies every playbackRate the page sets; the page's own
rule is untouched), so the queue of announcements sees the same load as in real time. Click -> number on screen
is a latency and is reported as measured; click -> announcement start is multiplied back by `scale` (which also
multiplies the fixed part, the request and the fetch of the playlist: the figure errs long).
"""

from __future__ import annotations

import http.client
import json
import random
import re
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from bench.ours import login
from bench.proc import HOST, REPO, BenchError, Server, fresh_dir
from bench.stats import ms

COUNTERS = [str(i) for i in range(1, 11)]
LANG_MIX = [("fr", 40), ("nl", 20), ("en", 10), ("ar", 10), ("tr", 5), ("es", 5), ("ro", 4), ("pl", 3), ("pt", 3)]
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run", "--disable-quic", "--autoplay-policy=no-user-gesture-required"]
FAST_AUDIO = """(() => { const K = %s;
  for (const name of ["playbackRate", "defaultPlaybackRate"]) {
    const d = Object.getOwnPropertyDescriptor(HTMLMediaElement.prototype, name);
    Object.defineProperty(HTMLMediaElement.prototype, name, { configurable: true,
      get() { return d.get.call(this) / K; }, set(v) { d.set.call(this, v * K); } });
  } })();"""


def schedule(minutes: float, seed: int = 9) -> list[tuple[float, str, str]]:
    """(second of the hour, counter, command) for every agent action, in time order."""
    rnd = random.Random(seed)
    out: list[tuple[float, str, str]] = []
    end = minutes * 60
    for counter in COUNTERS:
        t = rnd.uniform(0, 60)
        while t < end:
            out.append((t, counter, "call-next"))
            r = rnd.random()
            if r < 0.80:
                t += rnd.uniform(8, 25)
            else:
                out.append((t + 25, counter, "recall"))
                if r < 0.92:
                    t += 25 + rnd.uniform(5, 15)
                else:
                    out.append((t + 45, counter, "no-show"))
                    t += 46
                    continue
            out.append((t, counter, "start"))
            t += rnd.uniform(25, 55)
            out.append((t, counter, "finish"))
            t += 0.5
    return sorted((x for x in out if x[0] < end), key=lambda x: x[0])


def site_text() -> str:
    text = (REPO / "contactpoint" / "sample_site.toml").read_text()
    text = re.sub(r'(?m)^rate_limit\s*=.*$', 'rate_limit = "1000000 per second"', text)
    extra = "".join(f'\n[[counters]]\nid = "{c}"\nlabel = "{c}"\n' for c in COUNTERS[3:])
    return text.replace("\n[kiosk]\n", extra + "\n[kiosk]\n", 1)


class Agent:
    def __init__(self, port: int, name: str, password: str) -> None:
        self.c = http.client.HTTPConnection(HOST, port, timeout=10)
        self.cookie, self.csrf = login(port, password, name)  # the login form's token first (login CSRF)

    def cmd(self, command: str, **body: Any) -> tuple[int, dict[str, Any]]:
        self.c.request("POST", f"/counter/api/{command}", body=json.dumps(body),
                       headers={"Content-Type": "application/json", "Cookie": self.cookie, "X-CSRF-Token": self.csrf})
        r = self.c.getresponse()
        out = json.loads(r.read() or b"{}")
        return r.status, out


def run(python: str, work: Path, minutes: float, scale: float) -> dict[str, Any]:
    from contactpoint.auth import hash_password
    from contactpoint.store import EventStore

    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        raise BenchError("the display phase needs Debian's chromium (apt-get install chromium)")
    data = fresh_dir(work, "display-data-")
    (data / "site.toml").write_text(site_text())
    store = EventStore(data / "contactpoint.sqlite3")
    password = "bench-display-password"
    for c in COUNTERS:
        store.add_agent(f"agent{c}", hash_password(password), "agent", time.time())
    store.close()
    cli = "contactpoint.provisioning.cli"
    srv = Server("display", [python, "-m", cli, "serve", "--config", str(data / "site.toml"),
                             "--host", HOST, "--port", "{port}", "--data", str(data)], work).start()
    try:
        srv.wait_ready("/api/state")
        return _replay(srv, chromium, password, minutes, scale)
    finally:
        srv.stop()


def _replay(srv: Server, chromium: str, password: str, minutes: float, scale: float) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    plan = schedule(minutes)
    calls = sum(1 for x in plan if x[2] == "call-next")
    rnd = random.Random(3)
    langs = [lang for lang, w in LANG_MIX for _ in range(w)]
    kiosk = http.client.HTTPConnection(HOST, srv.port, timeout=10)
    agents = {c: Agent(srv.port, f"agent{c}", password) for c in COUNTERS}
    for c, agent in agents.items():
        agent.cmd("open", counter=c, needs=["moving", "documents", "money", "housing", "online", "dont_know"])
    for _ in range(calls + 10):
        kiosk.request("POST", "/kiosk/api/tickets", body=json.dumps({"need": "moving", "lang": rnd.choice(langs)}),
                      headers={"Content-Type": "application/json"})
        r = kiosk.getresponse()
        r.read()
        if r.status != 201:
            raise BenchError(f"issuing answered {r.status}")
    clicks: list[dict[str, Any]] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1920, "height": 1080})
        page.add_init_script(FAST_AUDIO % scale)
        page.goto(f"http://{HOST}:{srv.port}/display/?lang=fr")
        page.wait_for_function("() => document.getElementById('display').dataset.state === 'online'")
        errors: list[str] = []

        def drive() -> None:
            t0 = time.time()
            for at, counter, command in plan:
                delay = t0 + at / scale - time.time()
                if delay > 0:
                    time.sleep(delay)
                body = {"outcome": "resolved"} if command == "finish" else {}
                click = time.time() * 1000
                status, out = agents[counter].cmd(command, **body)
                if status != 200:
                    errors.append(f"{command} at {counter}: {status} {out}")
                    continue
                if command in ("call-next", "recall"):
                    clicks.append({"counter": counter, "recall": command == "recall", "click": click})

        driver = threading.Thread(target=drive, daemon=True)
        driver.start()
        while driver.is_alive():
            page.wait_for_timeout(500)  # the page runs; Playwright's events are pumped
        page.wait_for_timeout(int(20_000 / scale))  # the last announcements end
        call_log = page.evaluate("window.contactpointCallLog")
        audio_log = page.evaluate("window.contactpointAudioLog")
        browser.close()
    if errors:
        raise BenchError("display replay: " + "; ".join(errors[:3]))
    return figures(clicks, call_log, audio_log, scale, minutes)


def seconds(values: list[float], p: float) -> float | None:
    v = ms(values, p)
    return None if v is None else round(v / 1000, 2)


def figures(clicks: list[dict[str, Any]], call_log: list[dict[str, Any]], audio_log: list[dict[str, Any]],
            scale: float, minutes: float) -> dict[str, Any]:
    screen, start, missing = [], [], 0
    dropped = 0
    used: set[int] = set()
    for c in clicks:  # each click's call: the first not yet matched at that counter shown after it
        i, log = next(((i, e) for i, e in enumerate(call_log) if i not in used and e["counter"] == c["counter"]
                       and e["recall"] == c["recall"] and e["shown"] >= c["click"] - 5), (-1, None))
        used.add(i)
        if log is None:
            missing += 1
            continue
        screen.append((log["shown"] - c["click"]) / 1000)
        if log.get("dropped"):
            dropped += 1
            continue
        sound = next((a for a in audio_log if a["number"] == log["number"] and a["recall"] == c["recall"]
                      and a["start"] >= log["shown"] and a.get("playing")), None)
        if sound is not None:
            start.append((sound["playing"] - c["click"]) / 1000 * scale)
    overlaps = sum(1 for a, b in zip(audio_log, audio_log[1:], strict=False) if a["end"] and b["start"] < a["end"])
    if missing:
        raise BenchError(f"display replay: {missing} of {len(clicks)} calls never reached the screen")
    return {"calls": len(clicks), "minutes": minutes, "scale": scale, "per_minute": round(len(clicks) / minutes, 1),
            "screen_p50_ms": ms(screen, 50), "screen_p99_ms": ms(screen, 99), "screen_max_ms": ms(screen, 100),
            "announce_p50_s": seconds(start, 50), "announce_p99_s": seconds(start, 99),
            "announce_max_s": seconds(start, 100), "announced": len(start), "dropped": dropped,
            "overlaps": overlaps}

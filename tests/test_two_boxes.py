"""Issue 12 end to end, with real processes only: a hub (`contactpoint hub serve`) on PostgreSQL, two boxes
(`contactpoint serve` of two site files) that report to it; visits on both; the analyst sees both sites and their
merged figures in Chromium. Then the hub goes down while one box keeps serving, comes back on the same port and
database, and ends up with every window of that box exactly once, at its latest revision."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from contactpoint.provisioning.cli import main

from tests.a11y_support import take_ticket
from tests.conftest import shot
from tests.feedback_support import LiveAgent
from tests.kiosk_support import site_text
from tests.live_server import ROOT, LiveServer, free_port
from tests.pg_server import PgServer, pg_server  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SITES = {"anderlecht": "Anderlecht Centre", "gilles": "Saint-Gilles"}
AGENT_PASSWORD = "counter-pass-2026"


def cli(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def wait_for(what: str, check: Callable[[], Any], timeout: float) -> Any:
    """Poll `check` until it returns something true; fail saying `what` and the last value after `timeout`."""
    end = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < end:
        last = check()
        if last:
            return last
        time.sleep(0.25)
    raise AssertionError(f"{what}: not after {timeout:.0f} s (last seen: {last!r})")


class HubProcess:
    def __init__(self, db: str, log: Path) -> None:
        self.db, self.log, self.port = db, log, free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with open(self.log, "a") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "contactpoint.provisioning.cli", "hub", "serve", "--db", self.db,
                 "--port", str(self.port)], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

        def up() -> bool:
            assert self.proc is not None and self.proc.poll() is None, self.log.read_text()[-2000:]
            try:
                urllib.request.urlopen(self.url + "/health", timeout=1).close()
                return True
            except OSError:
                return False

        wait_for("the hub answers /health", up, 20)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None


def box_site(folder: Path, site_id: str, name: str, hub_url: str, key: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.key").write_text(key + "\n")
    text = site_text().replace('id = "demo-saint-gilles"', f'id = "{site_id}"', 1)
    text = text.replace('name = "Point de contact Saint-Gilles"', f'name = "{name}"', 1)
    text += f'\n[report]\nhub_url = "{hub_url}"\nkey_file = "report.key"\nevery_seconds = 5\n'
    path = folder / "site.toml"
    path.write_text(text)
    return path


def status(box: LiveServer) -> dict[str, Any]:
    return dict(json.loads(cli("report", "status", "--data", str(box.data_dir), "--json")))


def outbox(box: LiveServer) -> dict[tuple[str, str], int]:
    """The box's own outbox, read-only: each window's latest revision (need "" = the site's own window)."""
    db = sqlite3.connect(f"file:{box.data_dir / 'contactpoint.sqlite3'}?mode=ro", uri=True)
    try:
        return {(s, n): r for s, n, r in db.execute("SELECT start, need, revision FROM report_windows")}
    finally:
        db.close()


def stored(engine: sa.engine.Engine, site_id: str) -> list[tuple[str, str, int]]:
    """Every window the hub holds for a site (a list: a window stored twice would show twice)."""
    from contactpoint.hub.db import windows

    w = windows.c
    with engine.connect() as conn:
        rows = conn.execute(sa.select(w.start, w.need, w.revision).where(w.site_id == site_id)).all()
    return sorted((s, n or "", r) for s, n, r in rows)


def issued_at(engine: sa.engine.Engine, site_id: str) -> int:
    from contactpoint.hub.db import windows

    with engine.connect() as conn:
        q = sa.select(sa.func.coalesce(sa.func.sum(windows.c.issued), 0)).where(windows.c.site_id == site_id)
        return int(conn.execute(q).scalar_one())


@pytest.fixture
def world(pg_server: PgServer, tmp_path: Path) -> Iterator[dict[str, Any]]:  # noqa: F811
    from contactpoint.hub.db import engine_for

    db = pg_server.new_database()
    keys = {sid: re.findall(r"^whsec_\S+$", cli("hub", "site", "add", name, "--id", sid, "--db", db), re.M)[0]
            for sid, name in SITES.items()}  # fmt: skip
    password = cli("hub", "user", "add", "ana", "--role", "analyst", "--db", db).rsplit(": ", 1)[1].strip()
    hub = HubProcess(db, tmp_path / "hub.log")
    boxes: dict[str, LiveServer] = {}
    engine = engine_for(db)
    try:
        hub.start()
        for sid, name in SITES.items():
            config = box_site(tmp_path / sid / "etc", sid, name, hub.url, keys[sid])
            data = tmp_path / sid / "data"
            data.mkdir(parents=True)
            cli("agent", "add", "agent", "--password", AGENT_PASSWORD, "--data", str(data))
            boxes[sid] = LiveServer(data, config=str(config))
            boxes[sid].start()
        yield {"hub": hub, "boxes": boxes, "engine": engine, "password": password}
    finally:
        for b in boxes.values():
            b.stop()
        hub.stop()
        engine.dispose()


def visits(box: LiveServer, needs: list[str], served: int, no_shows: int) -> int:
    """Tickets taken at the kiosk, `served` of them served and resolved, `no_shows` called in vain; the count."""
    for need in needs:
        take_ticket(box.url, need)
    agent = LiveAgent(box.url, "agent", AGENT_PASSWORD)
    agent.cmd("open", counter="1", needs=sorted(set(needs)))
    for _ in range(served):
        agent.cmd("call-next")
        agent.cmd("finish", outcome="resolved")
    for _ in range(no_shows):
        agent.cmd("call-next")
        agent.cmd("no-show")
    return len(needs)


def test_two_boxes_report_to_one_hub_and_lose_nothing_while_it_is_down(browser: Any, world: dict[str, Any]) -> None:
    hub, boxes, engine = world["hub"], world["boxes"], world["engine"]
    issued = {
        "anderlecht": visits(boxes["anderlecht"], ["moving"] * 4 + ["money"] * 2, served=5, no_shows=1),
        "gilles": visits(boxes["gilles"], ["moving"] * 3 + ["documents"] * 2, served=3, no_shows=0),
    }
    for sid, n in issued.items():
        wait_for(f"the hub holds {sid}'s {n} tickets", lambda sid=sid, n=n: issued_at(engine, sid) == n, 30)  # type: ignore[misc]

    page = browser.new_page(locale="fr-BE", viewport={"width": 1400, "height": 900})
    page.goto(hub.url + "/")
    page.get_by_label("Nom").fill("ana")
    page.get_by_label("Mot de passe").fill(world["password"])
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/(\?.*)?$"))
    shot(page, "two-boxes-dashboard")
    table = page.get_by_role("table")
    for text in (*SITES.values(), "Tous les sites", "Changement d'adresse, déménagement"):
        assert table.get_by_text(text).first.is_visible(), text
    # each site's own "I'm moving" row is under 5 visits ("< 5"); the merged row of both sites shows their 7 tickets
    merged = page.get_by_role("row").filter(has_text="Tous les sites").filter(has_text="Changement d'adresse")
    assert "7" in merged.inner_text().split("\t"), merged.inner_text()

    # the hub goes down; the Anderlecht box serves every visitor meanwhile and keeps its windows
    hub.stop()
    box = boxes["anderlecht"]
    for need in ("moving", "money", "moving"):
        assert take_ticket(box.url, need)["number"]
    agent = LiveAgent(box.url, "agent", AGENT_PASSWORD)  # still at counter 1, where the first half left them
    agent.cmd("call-next")
    agent.cmd("finish", outcome="resolved")  # a later event of a window the hub already has: a new revision
    down = wait_for("the box's outbox holds what the hub could not take",
                    lambda: (st := status(box))["pending"] > 0 and st["failing_since"] is not None and st, 20)
    assert down["last_error"], down
    assert down["dropped"] == 0, down  # within its bound: nothing purged before the hub had it

    hub.start()  # on the same port and database
    wait_for("the box's outbox empties once the hub is back", lambda: status(box)["pending"] == 0, 60)
    mine = outbox(box)
    held = stored(engine, "anderlecht")
    assert len(held) == len({(s, n) for s, n, _ in held}), held  # every window once
    assert {(s, n): r for s, n, r in held} == mine, (held, mine)  # and at the box's latest revision
    assert any(r > 1 for r in mine.values()), mine  # the late finish did send a window again
    assert issued_at(engine, "anderlecht") == issued["anderlecht"] + 3

    page.reload()
    assert "9" in merged.inner_text().split("\t"), merged.inner_text()
    shot(page, "two-boxes-dashboard-after-outage")
    page.close()

"""The box's reporter against the real regional hub (hub/), on SQLite and on a real PostgreSQL: what the box
counted is what the hub stores; a hub down for hours loses nothing; a late event replaces its window's revision;
a retry the hub already has is not stored twice."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from contactpoint.domain import commands as c
from contactpoint.report import outbox
from tests.conftest import Clock
from tests.pg_server import db_url, pg_server  # noqa: F401 - fixtures
from tests.test_report import SITE_ID, a_morning, report_site


class Hub:
    """`contactpoint hub`'s app served for real on loopback (stopped and started again like a server)."""

    def __init__(self, url: str) -> None:
        from contactpoint.hub.app import create_hub
        from contactpoint.hub.registry import add_site

        self.app = create_hub(url, config={"TESTING": True})
        self.engine = self.app.extensions["hub"].engine
        _, self.key = add_site(self.engine, "Saint-Gilles", 0, SITE_ID)
        self.port = 0
        self.start()

    def start(self) -> None:
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = self.server.server_port
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def windows(self) -> dict[tuple[str, str], Any]:
        from contactpoint.hub.db import windows

        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(windows).where(windows.c.site_id == SITE_ID)).mappings().all()
        return {(r["start"], r["need"]): r for r in rows}


@pytest.fixture
def hub(db_url: str) -> Iterator[Hub]:  # noqa: F811
    h = Hub(db_url)
    yield h
    h.stop()
    h.engine.dispose()


@pytest.fixture
def box(tmp_path: Path, clock: Clock, hub: Hub) -> Iterator[Any]:
    from contactpoint.hardware.audio import FakeAnnouncer
    from contactpoint.hardware.printer import FakePrinter

    from contactpoint import create_app

    path = report_site(tmp_path / "etc", f"http://127.0.0.1:{hub.port}", key=hub.key)
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "t", "SITE_CONFIG": str(path)},
                     printer=FakePrinter(), clock=clock, announcer=FakeAnnouncer(tmp_path / "audio"))
    b = app.extensions["contactpoint"]
    yield b
    b.close()


def _col(row: Any, name: str) -> Any:
    return row[name] if name in row else row["data"][name]


def test_what_the_box_counted_is_what_the_hub_stores(box: Any, clock: Clock, hub: Hub) -> None:
    tickets = a_morning(box.engine, clock)
    box.engine.give_feedback(score=1, channel="tablet", device="door")  # a tap naming no need: the site's window
    box.reporter.tick()
    assert outbox.status(box.store.db).pending == 0, outbox.status(box.store.db)
    stored = hub.windows()
    assert set(stored) == {("2026-11-25T10:00", "moving"), ("2026-11-25T10:00", "documents"),
                           ("2026-11-25T10:00", "*")}
    moving = stored[("2026-11-25T10:00", "moving")]
    assert moving["code"] == "address_change" and moving["revision"] == 1
    # the box's own figures of the morning (the manager's page) and the hub's window agree
    (row,) = [r for r in box.figures.today() if r.need == "moving"]
    assert (row.issued, row.served, row.no_shows) == (2, 1, 1)
    text = repr(stored)
    for t in tickets:
        assert t.token not in text and t.number not in text


def test_a_hub_down_for_hours_loses_nothing_and_a_late_event_wins(box: Any, clock: Clock, hub: Hub) -> None:
    tickets = a_morning(box.engine, clock)
    box.reporter.tick()
    hub.stop()
    clock.advance(3 * 3600)  # the documents visitor is served three hours later, the hub still down
    box.engine.run(c.call_ticket, counter="1", ticket=tickets[2].id, reason="in turn")
    box.engine.run(c.finish, counter="1", outcome="resolved")
    box.reporter.tick()
    st = outbox.status(box.store.db)
    assert st.pending == 1 and st.failing_since is not None
    hub.start()  # back, on the same port
    clock.advance(24 * 3600)  # past any backoff
    box.reporter.tick()
    assert outbox.status(box.store.db).pending == 0
    late = hub.windows()[("2026-11-25T10:00", "documents")]
    assert late["revision"] == 2


def test_a_retry_the_hub_already_has_is_delivered_not_stored_twice(box: Any, clock: Clock, hub: Hub) -> None:
    a_morning(box.engine, clock)
    box.reporter.tick()
    before = hub.windows()
    with box.store.transaction() as db:  # the hub stored the batch, but the box never heard so
        db.execute("UPDATE report_windows SET sent_revision = 0")
    box.reporter.tick()  # sent again under the same id: 409, which counts as delivered
    assert outbox.status(box.store.db).pending == 0
    assert hub.windows().keys() == before.keys()
    assert all(hub.windows()[k]["revision"] == before[k]["revision"] for k in before)


def test_a_hub_down_for_a_day_gets_every_window_once_at_its_latest_revision(box: Any, clock: Clock,
                                                                             hub: Hub) -> None:
    box.engine.run(c.open_counter, counter="1", agent="alice", needs=["moving", "documents", "money"])
    box.reporter.tick()
    hub.stop()
    served = 0
    for _hour in range(8):  # a working day with the hub down: a visit every 20 minutes, rounds every 10
        for _ in range(3):
            t = box.engine.issue(need=("moving", "documents", "money")[served % 3], lang="fr")
            assert box.engine.ticket(t.id) is not None  # every visitor served their ticket meanwhile
            clock.advance(300)
            box.engine.run(c.call_next, counter="1")
            clock.advance(300)
            box.engine.run(c.finish, counter="1", outcome="resolved")
            served += 1
            box.reporter.tick()
            clock.advance(600)
    st = outbox.status(box.store.db)
    assert st.pending == st.windows and 0 < st.pending <= 8 * 4 * 3 and st.dropped == 0  # all kept, bounded
    hub.start()
    clock.advance(24 * 3600 - 8 * 3600)  # the next morning: past any backoff
    box.reporter.tick()
    assert outbox.status(box.store.db).pending == 0
    with box.store.write_lock:
        kept = {(s, n or "*"): r for s, n, r in box.store.db.execute(
            "SELECT start, need, revision FROM report_windows")}
    stored = hub.windows()
    assert {k: v["revision"] for k, v in stored.items()} == kept
    assert sum(v["served"] for v in stored.values()) == served == 24  # exactly once: nothing lost, nothing twice


def test_a_long_wait_reaches_the_hubs_rollups_in_its_own_bucket(box: Any, clock: Clock, hub: Hub) -> None:
    """The box's histograms have 81 buckets (80 edges): a wait of 100 minutes is bucket 67. The dashboard sums
    the hub's rollups, so every bucket must reach them, not only the first ones."""
    from contactpoint.hub.db import HIST_COLUMNS, hourly

    from contactpoint.domain.histogram import bucket_of

    box.engine.run(c.open_counter, counter="1", agent="alice", needs=["moving"])
    box.engine.issue(need="moving", lang="fr")
    box.engine.issue(need="moving", lang="fr")
    clock.advance(100 * 60)
    box.engine.run(c.call_next, counter="1")
    box.engine.run(c.finish, counter="1", outcome="resolved")
    box.engine.run(c.call_next, counter="1")
    box.reporter.tick()
    assert outbox.status(box.store.db).pending == 0
    with hub.engine.connect() as conn:
        (row,) = conn.execute(sa.select(hourly).where(hourly.c.site_id == SITE_ID)).mappings().all()
    waits = {c: row[c] for c in HIST_COLUMNS if c.startswith("w") and row[c]}
    assert waits == {f"w{bucket_of(6000)}": 2} and bucket_of(6000) == 67  # (95, 100] minutes
    from contactpoint.hub.users import set_user

    from tests.conftest import post_login

    client = hub.app.test_client()
    password = set_user(hub.engine, "ana", "analyst", 0)
    assert post_login(client, "/login", {"name": "ana", "password": password}).status_code == 302
    page = client.get("/?by=hour&from=2026-11-25&to=2026-11-25")  # the dashboard reads every bucket back
    assert page.status_code == 200, page.get_data(as_text=True)[:300]

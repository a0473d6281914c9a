"""The event store on a real SQLite file: WAL, migrations, one writer, a projection the log rebuilds."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

from contactpoint.domain import commands as c
from contactpoint.engine import Engine
from contactpoint.store import MIGRATIONS, EventStore
from tests.conftest import Clock


def test_database_is_wal_full_sync_and_migrated(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "cp.sqlite3")
    assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    versions = [r[0] for r in store.db.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == list(range(1, len(MIGRATIONS) + 1))
    store.close()
    EventStore(tmp_path / "cp.sqlite3").close()  # migrating again is a no-op


def _busy_day(engine: Engine, clock: Clock) -> None:
    engine.run(c.open_counter, counter="1", agent="alice", needs=["moving", "documents"])
    engine.run(c.open_counter, counter="2", agent="bob", needs=["documents"])
    for i in range(12):
        engine.issue(need="moving" if i % 3 else "documents", lang="fr", priority=i == 5)
        clock.advance(40)
    for outcome in ("resolved", "referred", "online_help"):
        engine.run(c.call_next, counter="1")
        clock.advance(300)
        engine.run(c.finish, counter="1", outcome=outcome)
    engine.run(c.call_next, counter="2")
    engine.run(c.transfer, counter="2", need="moving", note="ask for the lease")
    engine.run(c.call_next, counter="1")
    engine.run(c.no_show, counter="1")


def test_rebuilding_the_projection_from_the_log_gives_the_same_tables(tmp_path: Path, site: Any) -> None:
    clock = Clock()
    store = EventStore(tmp_path / "cp.sqlite3")
    engine = Engine(site, store, clock)
    _busy_day(engine, clock)
    clock.advance(86400)  # a day close, then a new day
    engine.issue(need="moving", lang="nl")
    before = store.dump_projection()
    store.rebuild_projection()
    assert store.dump_projection() == before
    assert len(before["tickets"]) == 13


def test_a_restart_resumes_numbering_and_state(tmp_path: Path, site: Any) -> None:
    clock = Clock()
    store = EventStore(tmp_path / "cp.sqlite3")
    engine = Engine(site, store, clock)
    _busy_day(engine, clock)
    tickets, counters, seq = engine.tickets(), engine.counters(), engine.seq()
    store.close()
    store2 = EventStore(tmp_path / "cp.sqlite3")
    engine2 = Engine(site, store2, clock)
    assert {t.id: t for t in engine2.tickets()} == {t.id: t for t in tickets}
    assert {c.id: c for c in engine2.counters()} == {c.id: c for c in counters}
    assert engine2.seq() == seq
    t = engine2.issue(need="moving", lang="fr")
    assert t.number == "A009"  # 8 moving tickets before the restart


def test_the_last_calls_survive_a_restart_even_when_made_at_the_same_instant(tmp_path: Path, site: Any) -> None:
    """More calls than the display keeps, all with one timestamp (a stopped clock): the stored row still follows."""
    from contactpoint.domain.events import MAX_CALLS

    clock = Clock()
    store = EventStore(tmp_path / "cp.sqlite3")
    engine = Engine(site, store, clock)
    engine.run(c.open_counter, counter="1", agent="alice", needs=["moving"])
    for _ in range(MAX_CALLS + 3):
        engine.issue(need="moving", lang="fr")
    for _ in range(MAX_CALLS + 3):
        engine.run(c.call_next, counter="1")
        engine.run(c.finish, counter="1", outcome="resolved")
    calls = list(engine.calls())
    assert len(calls) == MAX_CALLS and len({call.at for call in calls}) == 1
    store.close()
    assert EventStore(tmp_path / "cp.sqlite3").load_state().calls == calls


def test_a_failed_commit_changes_nothing(tmp_path: Path, site: Any) -> None:
    clock = Clock()
    store = EventStore(tmp_path / "cp.sqlite3")
    engine = Engine(site, store, clock)
    engine.issue(need="moving", lang="fr")
    before = ({t.id: t for t in engine.tickets()}, store.dump_projection())
    store.db.execute("CREATE TRIGGER boom BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    try:
        engine.issue(need="moving", lang="fr")
    except sqlite3.DatabaseError:
        pass
    else:
        raise AssertionError("the commit should have failed")
    assert ({t.id: t for t in engine.tickets()}, store.dump_projection()) == before


def test_concurrent_issuers_never_share_a_number(tmp_path: Path, site: Any) -> None:
    store = EventStore(tmp_path / "cp.sqlite3")
    engine = Engine(site, store, Clock())
    numbers: list[str] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            t = engine.issue(need="housing", lang="fr")
            with lock:
                numbers.append(t.number)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(numbers) == 400 and len(set(numbers)) == 400
    # and another connection reading the file sees them all (readers have their own connections)
    other = sqlite3.connect(tmp_path / "cp.sqlite3")
    assert other.execute("SELECT count(*) FROM tickets").fetchone()[0] == 400
    other.close()


def test_racing_call_next_calls_every_ticket_exactly_once(tmp_path: Path, site: Any) -> None:
    store = EventStore(tmp_path / "cp.sqlite3")
    engine = Engine(site, store, Clock())
    for i, cid in enumerate(("1", "2", "3")):
        engine.run(c.open_counter, counter=cid, agent=f"agent{i}", needs=[n.id for n in site.needs])
    for _ in range(90):
        engine.issue(need="money", lang="fr")
    called: list[str] = []
    lock = threading.Lock()

    def agent(counter: str) -> None:
        from contactpoint.domain.errors import CommandError

        while True:
            try:
                ev = engine.run(c.call_next, counter=counter)
            except CommandError as e:
                assert e.key == "queue_empty"
                return
            with lock:
                called.append(ev[0].data["ticket"])
            engine.run(c.finish, counter=counter, outcome="resolved")

    threads = [threading.Thread(target=agent, args=(cid,)) for cid in ("1", "2", "3")]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(called) == 90 and len(set(called)) == 90


def test_the_engines_indexes_agree_with_the_projection(tmp_path: Path, site: Any) -> None:
    """Places and summaries come from per-need indexes kept in step with commits: same answers as a full scan."""
    from contactpoint.domain.figures import recent_service_times
    from contactpoint.domain.model import WAITING
    from contactpoint.domain.ordering import position

    clock = Clock()
    engine = Engine(site, EventStore(tmp_path / "cp.sqlite3"), clock)
    _busy_day(engine, clock)
    for reloaded in (False, True):
        if reloaded:
            engine = Engine(site, EventStore(tmp_path / "cp.sqlite3"), clock)
        tickets = list(engine.tickets())
        for t in tickets:
            if t.state in WAITING:
                assert engine.ticket_view(t).ahead == position(t, tickets, site.policy)
        summary = engine.summary()["needs"]
        for need in site.needs:
            assert summary[need.id]["waiting"] == sum(1 for t in tickets if t.need == need.id and t.state in WAITING)
            assert engine._state.index.recent(need.id) == recent_service_times(tickets, need.id)


class _AnotherProcessFirst:
    """A connection proxy: just before this connection's first write transaction, another one (a CLI command
    started at the same moment as the service) migrates the same file completely."""

    def __init__(self, db: sqlite3.Connection, other: sqlite3.Connection) -> None:
        self.db, self.other, self.done = db, other, False

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "BEGIN IMMEDIATE" and not self.done:
            self.done = True
            from contactpoint.store import migrate

            migrate(self.other)
        return self.db.execute(sql, *args)


def test_two_processes_migrating_a_new_database_at_once_both_succeed(tmp_path: Path) -> None:
    from contactpoint.store import connect, migrate

    path = tmp_path / "cp.sqlite3"
    mine, theirs = connect(path), connect(path)
    assert migrate(_AnotherProcessFirst(mine, theirs)) == len(MIGRATIONS)  # type: ignore[arg-type]
    versions = [r[0] for r in mine.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == list(range(1, len(MIGRATIONS) + 1))


def test_a_database_from_a_later_release_is_refused_untouched(tmp_path: Path) -> None:
    import pytest

    from contactpoint.store import SchemaError

    path = tmp_path / "cp.sqlite3"
    EventStore(path).close()
    raw = sqlite3.connect(path)
    raw.execute("INSERT INTO schema_migrations VALUES (?, datetime('now'))", (len(MIGRATIONS) + 1,))
    raw.commit()
    raw.close()
    with pytest.raises(SchemaError, match="newer than this contactpoint knows"):
        EventStore(path)


def test_only_one_server_holds_a_database_and_a_dead_one_lets_go(tmp_path: Path) -> None:
    import subprocess
    import sys

    import pytest

    from contactpoint.store import StoreBusy

    path = tmp_path / "cp.sqlite3"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from contactpoint.store import EventStore; s = EventStore({str(path)!r}, "
            "exclusive=True); print('held', flush=True); import time; time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(StoreBusy, match=f"pid {holder.pid}"):
            EventStore(path, exclusive=True)
        EventStore(path).close()  # the agents' tools still open it (they never write the log)
    finally:
        holder.kill()  # as a power cut would: the kernel drops the lock with the process
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    EventStore(path, exclusive=True).close()


def test_the_log_refuses_deletes_and_rewrites_but_the_name_purge(tmp_path: Path, site: Any) -> None:
    import pytest

    store = EventStore(tmp_path / "cp.sqlite3")
    engine = Engine(site, store, Clock())
    engine.issue(need="moving", lang="fr")
    for sql in ("DELETE FROM events", "UPDATE events SET type = 'ticket_called'", "UPDATE events SET at = 0"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.db.execute(sql)
    assert store.db.execute("SELECT count(*) FROM events").fetchone()[0] == 1

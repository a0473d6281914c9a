"""The day's personal data are erased when it closes: not in the log, not in the projection, not in the database
file's free pages, not in the WAL. Without `secure_delete`, or without the erasure, the same grep finds them."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path

import pytest

from contactpoint import dayclose, erasure
from contactpoint.domain import commands as c
from contactpoint.domain.site import Site
from contactpoint.engine import Engine
from contactpoint.store import EventStore
from tests.conftest import BRUSSELS, Clock

NAME = "Zoubida Vandermeulen"
NOTE = "lives at Rue Haute 117, son Yassine"
REASON = "Madame Kowalczyk is in a wheelchair"
PAUSE = "calling Dr Ferreira back"


def _day(tmp_path: Path, site: Site) -> tuple[EventStore, Engine, str]:
    """A day with every kind of personal text: an appointment's name, a transfer note, typed reasons, a token."""
    clock = Clock(datetime(2026, 11, 25, 10, 0, tzinfo=BRUSSELS))
    store = EventStore(tmp_path / "contactpoint.sqlite3")
    engine = Engine(site, store, clock)
    slot = datetime(2026, 11, 25, 10, 30, tzinfo=BRUSSELS).timestamp()
    engine.run(c.book_appointment, appointment_id="a1", code="ZZZZ", slot_at=slot, need="documents", name=NAME)
    engine.run(c.check_in, appointment="a1", lang="fr", ticket_id="t1", token="tokenAppointment123456")
    engine.run(c.open_counter, counter="1", agent="ana", needs=["documents", "moving"])
    engine.run(c.open_counter, counter="2", agent="bob", needs=["moving"])
    engine.run(c.call_next, counter="1", agent="ana")
    engine.run(c.transfer, counter="1", need="moving", note=NOTE, agent="ana")
    walk_in = engine.issue(need="moving", lang="nl")
    clock.advance(60)
    engine.run(c.cancel, ticket=walk_in.id, reason=REASON, agent="ana")
    engine.run(c.pause, counter="2", reason=PAUSE, agent="bob")
    return store, engine, walk_in.token


def _found(path: Path, secrets: list[str]) -> list[str]:
    """Which secrets are in the database file or its WAL, byte for byte (UTF-8 and JSON's escapes alike)."""
    blobs = b"".join(p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists())
    return [s for s in secrets if s.encode() in blobs or json.dumps(s).encode() in blobs]


def _close_and_checkpoint(store: EventStore, engine: Engine) -> None:
    dayclose.close_now(engine, "manager", "mia")
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()


def test_a_closed_days_name_note_reasons_and_token_leave_no_trace(tmp_path: Path, site: Site) -> None:
    store, engine, token = _day(tmp_path, site)
    secrets = [NAME, NOTE, REASON, PAUSE, token, "tokenAppointment123456"]
    path = Path(store.path)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert _found(path, secrets) == secrets  # they are there before the close
    _close_and_checkpoint(store, engine)
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    assert _found(path, secrets) == []
    db = sqlite3.connect(path)
    tokens = [t for (t,) in db.execute("SELECT token FROM tickets")]
    assert len(tokens) == 2 and all(t.startswith("erased:") for t in tokens)
    ((day, events, tickets),) = db.execute("SELECT day, events, tickets FROM erasures").fetchall()
    assert (day, events, tickets) == ("2026-11-25", 6, 2)  # name, 2 tokens, note, cancel and pause reasons
    db.close()


def test_the_close_itself_truncates_the_wal(tmp_path: Path, site: Site) -> None:
    store, engine, _ = _day(tmp_path, site)
    wal = Path(f"{store.path}-wal")
    assert wal.stat().st_size > 0
    dayclose.close_now(engine, "manager", "mia")
    assert wal.stat().st_size == 0 and not store.checkpoint_due
    store.close()


def test_a_held_up_truncation_is_tried_again_by_the_timer(tmp_path: Path, site: Site) -> None:
    store, engine, _ = _day(tmp_path, site)
    reader = sqlite3.connect(store.path)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM events").fetchone()  # a reader holds the WAL's last frames
    dayclose.close_now(engine, "manager", "mia")
    assert store.checkpoint_due
    reader.rollback()
    reader.close()
    dayclose.tick(engine)  # the day-close timer's next look
    assert not store.checkpoint_due and Path(f"{store.path}-wal").stat().st_size == 0
    store.close()


def test_the_erased_log_rebuilds_the_same_projection(tmp_path: Path, site: Site) -> None:
    store, engine, _ = _day(tmp_path, site)
    dayclose.close_now(engine, "manager", "mia")
    before = store.dump_projection()
    store.rebuild_projection()
    assert store.dump_projection() == before
    store.close()


@pytest.mark.parametrize("skipped", ["secure_delete", "erasure"])
def test_the_grep_finds_the_text_when_a_part_of_the_erasure_is_skipped(
    tmp_path: Path, site: Site, skipped: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, engine, token = _day(tmp_path, site)
    if skipped == "secure_delete":
        store.db.execute("PRAGMA secure_delete=OFF")  # the fields are blanked, but their old bytes stay in free space
    else:
        monkeypatch.setattr(erasure, "erase_day", lambda *a: (0, 0))
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # as SQLite does by itself every 1000 pages
    _close_and_checkpoint(store, engine)
    found = _found(Path(store.path), [NAME, NOTE, REASON, PAUSE, token])
    assert found, "the erased text left no trace even so: this test would prove nothing"
    if skipped == "erasure":
        assert found == [NAME, NOTE, REASON, PAUSE, token]


def test_the_log_lets_exactly_the_personal_fields_be_blanked(tmp_path: Path, site: Site) -> None:
    store, _engine, _ = _day(tmp_path, site)
    db = store.db

    def event(typ: str) -> tuple[int, dict[str, object]]:
        seq, data = db.execute("SELECT seq, data FROM events WHERE type = ? LIMIT 1", (typ,)).fetchone()
        return seq, json.loads(data)

    def update(seq: int, d: dict[str, object]) -> None:
        data = json.dumps(d, separators=(",", ":"), sort_keys=True)
        db.execute("UPDATE events SET data = ? WHERE seq = ?", (data, seq))

    seq, d = event("ticket_transferred")
    for bad in ({"note": "something else"}, {"need": "money", "note": None}):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            update(seq, {**d, **bad})
    update(seq, {**d, "note": None})  # blanking the note is allowed
    seq, d = event("ticket_issued")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        update(seq, {**d, "token": "anotherRealLookingToken1"})
    update(seq, {**d, "token": "erased:" + str(d["id"])})
    seq, d = event("counter_opened")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        update(seq, {**d, "agent": None})  # not a personal field of a visitor: never rewritten
    store.close()

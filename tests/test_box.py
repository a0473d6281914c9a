"""The box's lifecycle and its event bus: create_app starts nothing, start/close own every thread."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from contactpoint.box import box_of
from contactpoint.bus import Published
from contactpoint.domain import commands as c
from tests.conftest import Clock

BACKGROUND = {"broadcaster", "printer", "day-close timer", "counter sweep"}


def _ours() -> set[str]:
    return {t.name for t in threading.enumerate() if t.name in BACKGROUND}


def _app(tmp_path: Path, clock: Clock) -> Any:
    from contactpoint.hardware.audio import FakeAnnouncer
    from contactpoint.hardware.printer import FakePrinter

    from contactpoint import create_app

    config = {"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "t"}
    return create_app(config, printer=FakePrinter(), clock=clock, announcer=FakeAnnouncer(tmp_path / "audio"))


def test_create_app_starts_nothing_and_close_stops_every_service(tmp_path: Path, clock: Clock) -> None:
    before = _ours()
    app = _app(tmp_path, clock)
    box = box_of(app)
    assert _ours() == before  # building the app starts no thread
    box.start()
    assert _ours() - before == BACKGROUND  # every background part is one of the box's services
    box.close()
    assert _ours() == before  # and every one of them is stopped and joined
    box.close()  # twice is harmless


def test_subscribers_receive_each_commit_in_seq_order_and_one_failing_does_not_undo_it(
    tmp_path: Path, clock: Clock
) -> None:
    app = _app(tmp_path, clock)
    box = box_of(app)
    got: list[tuple[int, str]] = []

    def broken(batch: list[Published]) -> None:
        raise RuntimeError("a subscriber's bug")

    box.bus.subscribe(broken)
    box.bus.subscribe(lambda batch: got.extend((p.seq, p.type) for p in batch))
    try:
        box.engine.run(c.open_counter, counter="1", agent="alice", needs=["moving"])
        t = box.engine.issue(need="moving", lang="fr")
    finally:
        box.close()
    assert [typ for _, typ in got] == ["counter_opened", "ticket_issued"]
    assert [seq for seq, _ in got] == sorted(seq for seq, _ in got)
    assert box.engine.ticket(t.id) is not None  # committed all the same


def test_the_architecture_names_every_service_of_the_box(tmp_path: Path, clock: Clock) -> None:
    from contactpoint.box import Periodic

    text = (Path(__file__).resolve().parent.parent / "docs" / "architecture.md").read_text()
    named = {"Broadcaster": "broadcaster", "PrinterService": "printer worker", "AnnouncementService": "announcements",
             "Figures": "figures", "TodayPusher": "manager's today pusher", "Reporter": "upstream reporter"}
    box = box_of(_app(tmp_path, clock))
    try:
        for service in box.services:  # a service nobody documented is one nobody knows to stop
            name = service.name if isinstance(service, Periodic) else named[type(service).__name__]
            assert name in text, name
    finally:
        box.close()

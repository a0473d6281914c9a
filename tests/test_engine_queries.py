"""The engine's read side: pages read through queries that take the lock, never through its state."""

from __future__ import annotations

import sys
import threading
from pathlib import Path
from typing import Any

from contactpoint.domain import commands as c
from tests.conftest import Clock
from tests.kiosk_support import close_app, make_app

MANY = 400  # counters, each opened for the first time while the counter page's lookups run


def _many_counters(text: str) -> str:
    extra = "".join(f'\n[[counters]]\nid = "x{i}"\nlabel = "x{i}"\n' for i in range(MANY))
    return text.replace("[kiosk]\n", extra + "\n[kiosk]\n", 1)


def test_a_counter_opening_never_breaks_a_lookup_of_the_counters(
    tmp_path: Path, clock: Clock, monkeypatch: Any
) -> None:
    """The counter page asks "which counter is mine?" on every request while other agents open counters: a lookup that
    iterated the engine's counters without its lock raised "dictionary changed size during iteration"."""
    from contactpoint import counter
    from tests import kiosk_support

    real = kiosk_support.site_text
    monkeypatch.setattr(kiosk_support, "site_text", lambda **kw: _many_counters(real(**kw)))
    app = make_app(tmp_path, clock)
    engine = app.extensions["contactpoint"].engine
    errors: list[BaseException] = []
    opened = threading.Event()

    def open_all() -> None:
        try:
            for i in range(MANY):
                engine.run(c.open_counter, counter=f"x{i}", agent=f"agent{i}", needs=["moving"])
        finally:
            opened.set()

    def look_up() -> None:
        with app.test_request_context("/counter/"):
            while not opened.is_set():
                try:
                    counter.my_counter()
                except RuntimeError as e:  # dictionary changed size during iteration
                    errors.append(e)
                    return

    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can: the race shows at once
    try:
        threads = [threading.Thread(target=open_all), *(threading.Thread(target=look_up) for _ in range(3))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(old)
        close_app(app)
    assert errors == []
    assert len([x for x in engine.counters() if x.open]) == MANY

"""Blocking work under gevent: run it in the hub's thread pool so the event loop keeps serving.

`contactpoint serve` and `demo` run under gevent (docs/performance.md); tests and tools run plain threads.
An fsync on a Pi's SD card or a USB transfer to a printer can take tens of milliseconds: under gevent that
would stall every request and broadcast unless it leaves the loop's thread.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def gevent_active() -> bool:
    monkey = sys.modules.get("gevent.monkey")
    return bool(monkey is not None and monkey.is_module_patched("threading"))


def _outcome(fn: Callable[..., T], args: tuple[Any, ...]) -> tuple[bool, Any]:
    try:
        return True, fn(*args)
    except Exception as e:  # handed to the caller as it is, traceback and cause included
        return False, e


def blocking(fn: Callable[..., T], *args: Any) -> T:
    """Call `fn(*args)`; under gevent, in the thread pool (the calling greenlet waits, the others run).

    An exception reaches the caller as if `fn` had run in place, and only the caller: gevent's pool would also print
    its whole traceback on stderr (about 30 lines for each ticket a failing printer did not print, besides the one
    line the driver logs), so it is caught in the pool's thread and raised again here."""
    if gevent_active():
        from gevent import get_hub

        ok, result = get_hub().threadpool.apply(_outcome, (fn, args))
        if not ok:
            raise result
        value: T = result
        return value
    return fn(*args)

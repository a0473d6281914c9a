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


def blocking(fn: Callable[..., T], *args: Any) -> T:
    """Call `fn(*args)`; under gevent, in the thread pool (the calling greenlet waits, the others run)."""
    if gevent_active():
        from gevent import get_hub

        result: T = get_hub().threadpool.apply(fn, args)
        return result
    return fn(*args)

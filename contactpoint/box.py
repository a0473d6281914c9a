"""The box: everything a request needs, as typed fields, and the one lifecycle of its background parts.

`create_app` builds a Box and starts nothing; `Box.start()` starts every background service in the order they
were registered (`Box.add_service`), `Box.close()` stops them in reverse order, joins their threads and closes
the store. Pages reach the box of the current app with `current_box()`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from flask import Flask, current_app

from contactpoint.bus import EventBus
from contactpoint.engine import Engine

if TYPE_CHECKING:
    from flask_limiter import Limiter
    from flask_socketio import SocketIO

    from contactpoint.announce import AnnouncementService
    from contactpoint.broadcast import Broadcaster
    from contactpoint.config import SiteConfig
    from contactpoint.counter import CounterNamespace
    from contactpoint.domain.site import Site
    from contactpoint.figures_service import Figures
    from contactpoint.hardware.audio import Announcer
    from contactpoint.hardware.printer.model import TicketPrinter
    from contactpoint.phone import Followers
    from contactpoint.printing import PrinterService
    from contactpoint.report.service import Reporter
    from contactpoint.site_settings import SiteSettings
    from contactpoint.store import EventStore

log = logging.getLogger(__name__)
EXTENSION = "contactpoint"  # the key of the box in app.extensions


class Service(Protocol):
    """A background part of the box (a thread, a greenlet, a pool): started once, stopped once."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


class Worker:
    """A service that is one thread (a greenlet under gevent's patching) running `_run`: `stop()` wakes it with
    `_wake()` (each worker knows how it is told to end) and waits for it."""

    name = "worker"

    def __init__(self) -> None:
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name=self.name, daemon=True)
            self.thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        thread, self.thread = self.thread, None
        if thread is not None and thread.is_alive():
            self._wake()
            if thread is not threading.current_thread():
                thread.join(timeout)

    def _run(self) -> None:
        raise NotImplementedError

    def _wake(self) -> None:
        raise NotImplementedError


class Periodic(Worker):
    """A service that calls `fn` every `every` seconds in its own thread, the first call after one period; an
    exception is logged and the next period comes all the same."""

    def __init__(self, name: str, every: float, fn: Callable[[], None]) -> None:
        super().__init__()
        self.name = name
        self.every = every
        self.fn = fn
        self._stop = threading.Event()

    def start(self) -> None:
        self._stop.clear()
        super().start()

    def _wake(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.fn()
            except Exception:  # the loop must never die
                log.exception("%s failed", self.name)

    def __repr__(self) -> str:
        return f"Periodic({self.name!r}, every={self.every})"


@dataclass(eq=False)
class Box:
    site: Site
    site_config: SiteConfig
    store: EventStore
    engine: Engine
    socketio: SocketIO
    broadcaster: Broadcaster
    printer: TicketPrinter
    # set while the app is built (contactpoint/app.py and the devices' init_app)
    printing: PrinterService = field(init=False)
    announcer: Announcer = field(init=False)  # the display's voices
    announcements: AnnouncementService = field(init=False)
    figures: Figures = field(init=False)  # the site's figures, live and frozen (contactpoint/figures_service.py)
    reporter: Reporter | None = None  # the upstream reporter, when the site has a [report] section
    kiosk_announcer: Announcer | None = None  # the kiosk's voices, with their own cache (kiosk/)
    limiter: Limiter | None = None  # the kiosk's rate limits (kiosk/)
    phones: Followers | None = None  # the tickets phones follow (phone/)
    counters_ns: CounterNamespace | None = None  # the agents' sockets, the /counter namespace (counter/)
    settings: SiteSettings | None = None  # the site file and the browser's changes over it (site_settings.py)
    services: list[Service] = field(default_factory=list)
    started: bool = False

    @property
    def bus(self) -> EventBus:
        """Where the committed events go: subscribe here (contactpoint/bus.py)."""
        return self.engine.bus

    def add_service(self, service: Service) -> None:
        """Register a background part: it starts with the box and stops when the box closes."""
        self.services.append(service)
        if self.started:
            service.start()

    def start(self) -> Box:
        if not self.started:
            self.started = True
            for service in self.services:
                service.start()
        return self

    def close(self) -> None:
        """Stop every service (the last started first), then close the store. Safe to call twice."""
        for service in reversed(self.services):
            try:
                service.stop()
            except Exception:  # one part failing to stop must not keep the others running
                log.exception("stopping %r failed", service)
        self.started = False
        self.store.close()


def box_of(app: Flask) -> Box:
    box = app.extensions[EXTENSION]
    if not isinstance(box, Box):
        raise TypeError(f"app.extensions[{EXTENSION!r}] is not a Box")
    return box


def current_box() -> Box:
    """The box of the app handling the current request (or app context)."""
    return box_of(current_app)

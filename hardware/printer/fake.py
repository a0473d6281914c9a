"""A printer for tests and demos: it keeps the exact ESC/POS bytes python-escpos produced."""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from .model import STATUS_KEYS, PrinterError, PrinterStatus, SlipContent, TicketContent, TicketPrinter
from .options import RenderOptions, options_of
from .render import slip_escpos_bytes, slip_needs_raster, ticket_escpos_bytes, ticket_needs_raster


class FakePrinter(TicketPrinter):
    """Renders like a real printer and keeps the bytes (no IO; image tickets render through ``offload``).

    Set ``fail_with`` to an error key to simulate a fault. It keeps the last ``keep`` jobs only (a demo box
    runs for days: every ticket kept would grow memory by 14 KB, 40 KB for a ticket drawn as an image; 200 kept
    held 3–8 MB of a served box's memory, the largest single item on the benchmark's day)."""

    blocking_io = False

    def __init__(
        self,
        *,
        options: RenderOptions | None = None,
        fail_with: str | None = None,
        keep: int = 16,
        **render: Any,  # RenderOptions fields, one by one (qr="native")
    ) -> None:
        self.options = options_of(options, render)  # as EscposDriver: the same renderer, the same settings
        if fail_with is not None and fail_with not in STATUS_KEYS:
            raise ValueError(f"fail_with must be one of {STATUS_KEYS}, not {fail_with!r}")
        self.fail_with = fail_with
        self.keep = keep
        self.jobs: list[bytes] = []  # the most recent jobs, oldest first
        self.printed = 0  # every job ever printed, kept or not
        self._lock = threading.Lock()

    @property
    def output(self) -> bytes:
        """The bytes of the kept jobs, as the printer received them."""
        with self._lock:
            return b"".join(self.jobs)

    def _check(self) -> None:
        if self.fail_with not in (None, "printer_ok", "printer_paper_low"):  # low paper still prints
            raise PrinterError(str(self.fail_with), "simulated by FakePrinter.fail_with")

    def _keep(self, job: bytes) -> None:
        with self._lock:
            self.jobs.append(job)
            self.printed += 1
            del self.jobs[: -self.keep]

    def _render(self, render: Callable[..., bytes], needs_raster: Callable[..., bool], item: Any) -> bytes:
        if needs_raster(item, self.options):  # as EscposDriver: Pillow drawing off the event loop
            return self.offload(functools.partial(render, item, self.options))
        return render(item, self.options)

    def print_ticket(self, ticket: TicketContent) -> None:
        self._check()
        self._keep(self._render(ticket_escpos_bytes, ticket_needs_raster, ticket))

    def print_slip(self, slip: SlipContent) -> None:
        self._check()
        self._keep(self._render(slip_escpos_bytes, slip_needs_raster, slip))

    def status(self) -> PrinterStatus:
        if self.fail_with and self.fail_with != "printer_ok":
            return PrinterStatus(ok=self.fail_with == "printer_paper_low", key=self.fail_with)
        return PrinterStatus(ok=True, key="printer_ok")

    def close(self) -> None:
        pass

    def clear(self) -> None:
        with self._lock:
            self.jobs.clear()

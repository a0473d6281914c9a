"""Value types and the abstract ticket printer (shape borrowed from python-escpos)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


def in_place(fn: Callable[..., T], *args: Any) -> T:
    return fn(*args)


#: every status / error key a printer can report (the app translates them; see locales)
STATUS_KEYS: tuple[str, ...] = (
    "printer_ok",
    "printer_paper_out",
    "printer_paper_low",
    "printer_cover_open",
    "printer_offline",
    "printer_error",
)


@dataclass(frozen=True)
class TicketContent:
    """A queue ticket; every string is already translated by the caller."""

    lang: str
    rtl: bool
    site_name: str
    need_label: str
    number: str
    issued_label: str
    position_label: str
    estimate_label: str
    expect_line: str
    qr_url: str
    qr_caption: str = ""
    priority_label: str = ""  # e.g. "Priority ticket" when the visitor asked for it: printed under the number
    letters_line: str = ""  # the printer's test ticket only: the language's letters beyond ASCII, under the number


@dataclass(frozen=True)
class SlipContent:
    """A referral slip: where to go next."""

    lang: str
    rtl: bool
    title: str
    org_name: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class PrinterStatus:
    ok: bool
    key: str

    def __post_init__(self) -> None:
        if self.key not in STATUS_KEYS:
            raise ValueError(f"unknown printer status key {self.key!r}")


class PrinterError(Exception):
    """A printing failure. ``key`` is a message key; ``str()`` is for logs only, never for visitors."""

    def __init__(self, key: str, detail: str = "") -> None:
        if key not in STATUS_KEYS or key == "printer_ok":
            raise ValueError(f"not an error key: {key!r}")
        super().__init__(f"{key}: {detail}" if detail else key)
        self.key = key
        self.detail = detail


class TicketPrinter(ABC):
    """One ticket printer, whatever the transport."""

    #: whether printing waits on IO that does not yield to an event loop (USB, serial, a device file): the
    #: app then runs it in gevent's thread pool. A socket (network printer) or no IO at all (the fake) does not.
    blocking_io: bool = True

    #: how CPU-heavy rendering runs (Pillow drawing an image ticket, a QR code raster, their ESC/POS encoding:
    #: 6–35 ms a ticket): ``offload(fn, *args)``. In place by default; the app points it at gevent's thread pool
    #: for printers that print on the event loop (``blocking_io = False``), so drawing never stalls the loop.
    offload: Callable[..., Any] = staticmethod(in_place)

    @abstractmethod
    def print_ticket(self, ticket: TicketContent) -> None:
        """Print a ticket; raises :class:`PrinterError`."""

    @abstractmethod
    def print_slip(self, slip: SlipContent) -> None:
        """Print a referral slip; raises :class:`PrinterError`."""

    @abstractmethod
    def status(self) -> PrinterStatus:
        """Current status; never raises."""

    @abstractmethod
    def close(self) -> None:
        """Release the device; the printer reconnects on next use."""

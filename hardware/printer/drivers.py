"""Real printers: one driver per python-escpos transport, opened lazily, reopened after any error.

Every exception from python-escpos, the OS, pyusb, pyserial or sockets becomes a :class:`PrinterError`
with a message key; the detail goes to the log, never to a visitor.
"""

from __future__ import annotations

import errno
import logging
import os
import socket
import threading
from abc import abstractmethod
from collections.abc import Callable
from typing import Any

from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.exceptions import Error as EscposError
from escpos.printer import File, Network, Serial, Usb

from .model import PrinterError, PrinterStatus, SlipContent, TicketContent, TicketPrinter
from .render import slip_escpos_bytes, ticket_escpos_bytes

log = logging.getLogger("contactpoint.printer")

RT_STATUS_OFFLINE_CAUSE = b"\x10\x04\x02"  # DLE EOT 2 (python-escpos has no constant for it)
_OFFLINE_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EPIPE,
    errno.ETIMEDOUT,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.EHOSTDOWN,
    errno.ENETDOWN,
    errno.ENODEV,
    errno.ENOENT,
    errno.ENXIO,
    errno.EIO,
    errno.EBUSY,
}


def error_key(exc: BaseException) -> str:
    """The message key for any exception raised while talking to a printer."""
    if isinstance(exc, PrinterError):
        return exc.key
    if isinstance(exc, DeviceNotFoundError | TimeoutError | ConnectionError | FileNotFoundError | socket.gaierror):
        return "printer_offline"
    name = type(exc).__name__  # pyusb / pyserial are optional: match without importing them
    if name in ("USBTimeoutError", "SerialTimeoutException", "NoBackendError"):
        return "printer_offline"
    if name in ("USBError", "SerialException"):
        code = getattr(exc, "errno", None) or getattr(exc, "backend_error_code", None)
        return "printer_offline" if code in _OFFLINE_ERRNOS or code is None or code in (-4, -7) else "printer_error"
    if isinstance(exc, PermissionError):
        return "printer_error"  # needs the udev rule / lp group: see docs/printers.md
    if isinstance(exc, OSError):
        return "printer_offline" if exc.errno in _OFFLINE_ERRNOS else "printer_error"
    if isinstance(exc, EscposError):
        return "printer_error"
    return "printer_error"


class EscposDriver(TicketPrinter):
    """Common logic: render to bytes once, then push them through a python-escpos device."""

    #: whether the transport can read DLE EOT answers back
    can_read_status = True

    def __init__(
        self,
        *,
        paper_width_mm: int = 80,
        profile: str = "default",
        qr: str = "image",
        text_mode: str = "auto",
        status_query: bool = True,
        status_timeout: float = 1.0,
    ) -> None:
        self.render_args: dict[str, Any] = {
            "paper_width_mm": paper_width_mm,
            "profile": profile,
            "qr": qr,
            "text_mode": text_mode,
        }
        self.profile = profile
        self.status_query = status_query and self.can_read_status
        self.status_timeout = status_timeout
        self._dev: Escpos | None = None
        self._lock = threading.RLock()

    # -- transport specific
    @abstractmethod
    def _create(self) -> Escpos:
        """A new, not yet opened python-escpos printer."""

    def _open(self, dev: Escpos) -> None:
        dev.open()

    def _before_status(self, dev: Escpos) -> Callable[[], None]:
        """Prepare the device for a bounded status read; return a function restoring it."""
        return lambda: None

    # -- common
    def _device(self) -> Escpos:
        if self._dev is None:
            dev = self._create()
            try:
                self._open(dev)
            except BaseException:
                self._drop(dev)
                raise
            self._dev = dev
        return self._dev

    @staticmethod
    def _drop(dev: Escpos) -> None:
        try:
            dev.close()
        except Exception:  # closing a broken device must never raise
            pass

    def _reset(self) -> None:
        dev, self._dev = self._dev, None
        if dev is not None:
            self._drop(dev)

    def _query_status(self, dev: Escpos) -> PrinterStatus:
        restore = self._before_status(dev)
        try:
            if not dev.is_online():  # DLE EOT 1; an empty answer counts as offline
                cause = dev.query_status(RT_STATUS_OFFLINE_CAUSE)
                if cause and cause[0] & 0x04:
                    return PrinterStatus(False, "printer_cover_open")
                if cause and cause[0] & 0x20:
                    return PrinterStatus(False, "printer_paper_out")
                if cause and cause[0] & 0x40:
                    return PrinterStatus(False, "printer_error")
                return PrinterStatus(False, "printer_offline")
            paper = dev.paper_status()  # DLE EOT 4: 2 plenty, 1 near end, 0 none
            if paper == 0:
                return PrinterStatus(False, "printer_paper_out")
            if paper == 1:
                return PrinterStatus(True, "printer_paper_low")
            return PrinterStatus(True, "printer_ok")
        finally:
            restore()

    def _fail(self, exc: BaseException, doing: str) -> PrinterError:
        key = error_key(exc)
        log.warning("printer %s failed (%s): %s: %s", doing, key, type(exc).__name__, exc)
        self._reset()
        return PrinterError(key, f"{type(exc).__name__}: {exc}")

    def _send(self, job: bytes) -> None:
        with self._lock:
            try:
                dev = self._device()
                if self.status_query:
                    st = self._query_status(dev)
                    if not st.ok:
                        raise PrinterError(st.key, "printer reported it cannot print")
                dev._raw(job)
                flush = getattr(dev, "flush", None)
                if callable(flush):
                    flush()
            except PrinterError as e:
                log.warning("printer not ready: %s", e.key)
                raise
            except Exception as e:
                raise self._fail(e, "print") from e

    def print_ticket(self, ticket: TicketContent) -> None:
        try:
            job = ticket_escpos_bytes(ticket, **self.render_args)
        except Exception as e:  # fonts missing, image too wide for the profile...
            log.error("cannot render ticket: %s: %s", type(e).__name__, e)
            raise PrinterError("printer_error", f"render: {e}") from e
        self._send(job)

    def print_slip(self, slip: SlipContent) -> None:
        try:
            job = slip_escpos_bytes(slip, **self.render_args)
        except Exception as e:
            log.error("cannot render slip: %s: %s", type(e).__name__, e)
            raise PrinterError("printer_error", f"render: {e}") from e
        self._send(job)

    def status(self) -> PrinterStatus:
        with self._lock:
            try:
                dev = self._device()
                if not self.status_query:
                    return PrinterStatus(True, "printer_ok")
                return self._query_status(dev)
            except Exception as e:
                return PrinterStatus(False, self._fail(e, "status").key)

    def close(self) -> None:
        with self._lock:
            self._reset()


class _Network(Network):  # type: ignore[misc]  # python-escpos is untyped
    """python-escpos 3.1's Network.open() leaks the socket when connect() fails (a ResourceWarning);
    this closes it. Everything else is python-escpos's."""

    def open(self, raise_not_found: bool = True) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect((self.host, self.port))
        except OSError as e:
            sock.close()
            self._device = False
            raise DeviceNotFoundError(f"Could not open socket for {self.host}:{self.port}: {e}") from e
        self.device = sock


class NetworkPrinter(EscposDriver):
    blocking_io = False  # sockets: cooperative under gevent

    def __init__(self, host: str, port: int = 9100, timeout: float = 2.0, **kw: Any) -> None:
        kw.setdefault("status_timeout", min(1.0, timeout))
        super().__init__(**kw)
        self.host, self.port, self.timeout = host, port, timeout

    def _create(self) -> Escpos:
        return _Network(host=self.host, port=self.port, timeout=self.timeout, profile=self.profile)

    def _before_status(self, dev: Escpos) -> Callable[[], None]:
        sock: socket.socket = dev.device
        sock.settimeout(0)  # drop stale bytes (a late answer to an earlier query)
        try:
            while sock.recv(64):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        sock.settimeout(self.status_timeout)
        return lambda: sock.settimeout(self.timeout)


class UsbPrinter(EscposDriver):
    def __init__(
        self,
        vendor_id: int,
        product_id: int,
        in_ep: int | None = None,
        out_ep: int | None = None,
        timeout: int = 0,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.vendor_id, self.product_id, self.in_ep, self.out_ep, self.timeout = (
            vendor_id,
            product_id,
            in_ep,
            out_ep,
            timeout,
        )

    def _create(self) -> Escpos:
        if not Usb.is_usable():
            raise PrinterError("printer_error", "pyusb is not installed: pip install 'python-escpos[usb]'")
        eps = {k: v for k, v in (("in_ep", self.in_ep), ("out_ep", self.out_ep)) if v is not None}
        return Usb(
            idVendor=self.vendor_id,
            idProduct=self.product_id,
            timeout=self.timeout,
            profile=self.profile,
            **eps,
        )


class SerialPrinter(EscposDriver):
    def __init__(self, device: str, baudrate: int = 9600, timeout: float = 1.0, **kw: Any) -> None:
        kw.setdefault("status_timeout", timeout)
        super().__init__(**kw)
        self.device, self.baudrate, self.timeout = device, baudrate, timeout

    def _create(self) -> Escpos:
        if not Serial.is_usable():
            raise PrinterError("printer_error", "pyserial is not installed: pip install 'python-escpos[serial]'")
        return Serial(devfile=self.device, baudrate=self.baudrate, timeout=self.timeout, profile=self.profile)


class FilePrinter(EscposDriver):
    """A character device such as ``/dev/usb/lp0`` (the kernel's usblp driver): write-only."""

    can_read_status = False

    def __init__(self, device: str = "/dev/usb/lp0", **kw: Any) -> None:
        super().__init__(**kw)
        self.device = device

    def _create(self) -> Escpos:
        return File(devfile=self.device, profile=self.profile)

    def status(self) -> PrinterStatus:
        if not os.path.exists(self.device):
            return PrinterStatus(False, "printer_offline")
        if not os.access(self.device, os.W_OK):
            return PrinterStatus(False, "printer_error")
        return PrinterStatus(True, "printer_ok")

"""What every real printer shares: a python-escpos device opened lazily, reopened after any error, status read
with DLE EOT. Each transport (``transports/usb.py``, ``network.py``, ``serial.py``, ``file.py``) adds its device.

Every exception from python-escpos, the OS, pyusb, pyserial or sockets becomes a :class:`PrinterError`
with a message key; the detail goes to the log, never to a visitor.
"""

from __future__ import annotations

import errno
import functools
import logging
import socket
import threading
from abc import abstractmethod
from collections.abc import Callable
from typing import Any

from escpos.constants import RT_MASK_ONLINE, RT_STATUS_ONLINE
from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.exceptions import Error as EscposError

from .model import PrinterError, PrinterStatus, SlipContent, TicketContent, TicketPrinter
from .options import RenderOptions, options_of
from .render import slip_escpos_bytes, slip_needs_raster, ticket_escpos_bytes, ticket_needs_raster
from .settings import Setting

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


#: bytes per write on USB and device files: each write gets the whole timeout, so a long job (a 60 KB image
#: ticket printing for seconds) never times out while the printer takes data, and one that stops taking any does
CHUNK = 4096


def permission_denied(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) is the OS refusing access to the device: udev rule or group missing."""
    while exc is not None:
        if isinstance(exc, PermissionError) or getattr(exc, "errno", None) in (errno.EACCES, errno.EPERM):
            return True
        if getattr(exc, "backend_error_code", None) == -3:  # LIBUSB_ERROR_ACCESS
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def error_key(exc: BaseException) -> str:
    """The message key for any exception raised while talking to a printer."""
    if isinstance(exc, PrinterError):
        return exc.key
    if permission_denied(exc):
        return "printer_error"  # needs the udev rule / lp or dialout group: see docs/printers.md
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
        options: RenderOptions | None = None,
        status_query: bool = True,
        status_timeout: float = 1.0,
        **render: Any,  # RenderOptions fields, one by one (paper_width_mm=58)
    ) -> None:
        self.options = options_of(options, render)
        self.profile = self.options.profile
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
            online = dev.query_status(RT_STATUS_ONLINE)  # DLE EOT 1
            if not online:  # no answer within status_timeout: don't wait as long again for the cause
                return PrinterStatus(False, "printer_offline")
            if online[0] & RT_MASK_ONLINE:  # python-escpos's is_online(), without asking twice
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

    def _render(self, what: str, render: Callable[..., bytes], needs_raster: Callable[..., bool], item: Any) -> bytes:
        try:
            if needs_raster(item, self.options):  # Pillow drawing: off the event loop when there is one
                return self.offload(functools.partial(render, item, self.options))
            return render(item, self.options)
        except Exception as e:  # fonts missing, image too wide for the profile...
            log.error("cannot render %s: %s: %s", what, type(e).__name__, e)
            raise PrinterError("printer_error", f"render: {e}") from e

    def print_ticket(self, ticket: TicketContent) -> None:
        self._send(self._render("ticket", ticket_escpos_bytes, ticket_needs_raster, ticket))

    def print_slip(self, slip: SlipContent) -> None:
        self._send(self._render("slip", slip_escpos_bytes, slip_needs_raster, slip))

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


#: the status settings of every transport that reads DLE EOT answers (declared first: read before the others)
STATUS_QUERY = Setting.one_of("status_query", True, (True, False))


def status_timeout(default: float = 1.0) -> Setting:
    """``status_timeout``: seconds to wait for each status answer."""
    return Setting.seconds("status_timeout", default)

"""Real printers: one driver per python-escpos transport, opened lazily, reopened after any error.

Every exception from python-escpos, the OS, pyusb, pyserial or sockets becomes a :class:`PrinterError`
with a message key; the detail goes to the log, never to a visitor.
"""

from __future__ import annotations

import errno
import functools
import logging
import os
import select
import socket
import sys
import threading
import time
from abc import abstractmethod
from collections.abc import Callable, Mapping
from typing import Any

from escpos.constants import RT_MASK_ONLINE, RT_STATUS_ONLINE
from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.exceptions import Error as EscposError
from escpos.printer import File, Network, Serial, Usb

from .model import PrinterError, PrinterStatus, SlipContent, TicketContent, TicketPrinter
from .render import slip_escpos_bytes, slip_needs_raster, ticket_escpos_bytes, ticket_needs_raster

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


def _permission_denied(exc: BaseException | None) -> bool:
    """Whether ``exc`` (or what caused it) is the OS refusing access to the device: udev rule or group missing."""
    while exc is not None:
        if isinstance(exc, PermissionError) or getattr(exc, "errno", None) in (errno.EACCES, errno.EPERM):
            return True
        if getattr(exc, "backend_error_code", None) == -3:  # LIBUSB_ERROR_ACCESS
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _unpatched_select() -> Any:
    """select.select as the OS gives it: the file printer writes from a pool thread, not from a greenlet."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None and monkey.is_module_patched("select"):
        return monkey.get_original("select", "select")
    return select.select


def error_key(exc: BaseException) -> str:
    """The message key for any exception raised while talking to a printer."""
    if isinstance(exc, PrinterError):
        return exc.key
    if _permission_denied(exc):
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
        paper_width_mm: int = 80,
        profile: str = "default",
        qr: str = "image",
        text_mode: str | Mapping[str, str] = "auto",  # one for every language, or per language
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
            if needs_raster(item, **self.render_args):  # Pillow drawing: off the event loop when there is one
                return self.offload(functools.partial(render, item, **self.render_args))
            return render(item, **self.render_args)
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
    blocking_io = False  # sockets: cooperative under gevent (image rendering goes through `offload`)

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


class _Usb(Usb):  # type: ignore[misc]
    """python-escpos's Usb with bounded IO. It passes ``timeout`` to pyusb, which only replaces ``None`` by its
    default: 0 reaches libusb as "wait forever", and a printer out of paper mid-job would hang the printer's
    worker for good. Here every write of ``CHUNK`` bytes gets ``timeout`` ms and a status read
    ``read_timeout`` ms (python-escpos reads with pyusb's default, 1 s, whatever was configured)."""

    read_timeout = 1000

    def _raw(self, msg: bytes) -> None:
        assert self.device
        for i in range(0, len(msg), CHUNK):
            self.device.write(self.out_ep, msg[i : i + CHUNK], self.timeout)

    def _read(self) -> bytes:
        assert self.device
        return bytes(self.device.read(self.in_ep, 16, self.read_timeout))


class UsbPrinter(EscposDriver):
    def __init__(
        self,
        vendor_id: int,
        product_id: int,
        in_ep: int | None = None,
        out_ep: int | None = None,
        timeout: int = 5000,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        if timeout <= 0:
            raise ValueError("timeout must be > 0 ms (0 would let a stalled printer block forever)")
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
        dev = _Usb(
            idVendor=self.vendor_id,
            idProduct=self.product_id,
            timeout=self.timeout,
            profile=self.profile,
            **eps,
        )
        dev.read_timeout = max(1, round(self.status_timeout * 1000))
        return dev

    def _open(self, dev: Escpos) -> None:
        try:
            dev.open()
        except DeviceNotFoundError as e:  # python-escpos turns every USBError at open into "not found"
            if _permission_denied(e):
                raise PrinterError(
                    "printer_error",
                    f"USB {self.vendor_id:04x}:{self.product_id:04x}: access denied: install the udev rule "
                    "and add the service user to group lp (docs/printers.md, Raspberry Pi setup)",
                ) from e
            raise


class _Serial(Serial):  # type: ignore[misc]
    """python-escpos's Serial with bounded IO: pyserial's write has no timeout by default, so a printer holding
    the flow control (paper out, cover open) would block the worker forever, and closing the port waits for the
    kernel to drain it. Here each write of a small chunk gets ``write_timeout`` seconds, a status read returns
    as soon as the one-byte answer is there, and closing a stalled port discards what it still holds."""

    write_timeout = 5.0

    def open(self, raise_not_found: bool = True) -> None:
        super().open(raise_not_found)
        if self.device:
            self.device.write_timeout = self.write_timeout

    def _raw(self, msg: bytes) -> None:
        assert self.device
        chunk = max(64, self.baudrate // 10 // 2)  # about half a second of line time
        for i in range(0, len(msg), chunk):
            self.device.write(msg[i : i + chunk])

    def _read(self) -> bytes:
        assert self.device
        first = self.device.read(1)  # DLE EOT answers one byte: don't wait the whole timeout for 16
        return bytes(first + (self.device.read(self.device.in_waiting) if first and self.device.in_waiting else b""))

    def close(self) -> None:
        dev, self._device = self._device, False
        if dev and dev.is_open:
            try:
                dev.reset_output_buffer()  # a stalled printer: don't wait 30 s for the kernel to drain
            finally:
                dev.close()


class SerialPrinter(EscposDriver):
    def __init__(self, device: str, baudrate: int = 9600, timeout: float = 5.0, **kw: Any) -> None:
        kw.setdefault("status_timeout", 1.0)
        super().__init__(**kw)
        self.device, self.baudrate, self.timeout = device, baudrate, timeout

    def _create(self) -> Escpos:
        if not Serial.is_usable():
            raise PrinterError("printer_error", "pyserial is not installed: pip install 'python-escpos[serial]'")
        dev = _Serial(devfile=self.device, baudrate=self.baudrate, timeout=self.status_timeout, profile=self.profile)
        dev.write_timeout = self.timeout
        return dev

    def _before_status(self, dev: Escpos) -> Callable[[], None]:
        dev.device.reset_input_buffer()  # drop stale bytes (a late answer to an earlier query)
        return lambda: None


class _File(File):  # type: ignore[misc]
    """python-escpos's File, written without blocking: the kernel's usblp driver blocks a write for as long as
    the printer is out of paper. Here the device is opened ``O_NONBLOCK`` and a job fails with a
    :class:`TimeoutError` when the device takes no byte for ``timeout`` seconds."""

    timeout = 5.0

    def open(self, raise_not_found: bool = True) -> None:
        if self._device:
            self.close()
        # OSError as it is (ENOENT, ENXIO: offline; EACCES: printer_error), not python-escpos's "not found"
        self.device = os.open(self.devfile, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)

    def _raw(self, msg: bytes) -> None:
        fd: int = self.device
        view = memoryview(msg)
        wait = _unpatched_select()
        deadline = time.monotonic() + self.timeout
        while view:
            try:
                view = view[os.write(fd, view[:CHUNK]) :]
                deadline = time.monotonic() + self.timeout  # it took data: the printer is alive
                continue
            except BlockingIOError:
                pass
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"{self.devfile} took no data for {self.timeout:g} s (paper out? cover open?)")
            wait([], [fd], [], min(left, 0.5))

    def flush(self) -> None:
        pass  # os.write does not buffer

    def close(self) -> None:
        fd, self._device = self._device, False
        if fd is not False and fd is not None:
            os.close(fd)


class FilePrinter(EscposDriver):
    """A character device such as ``/dev/usb/lp0`` (the kernel's usblp driver): write-only."""

    can_read_status = False

    def __init__(self, device: str = "/dev/usb/lp0", timeout: float = 5.0, **kw: Any) -> None:
        super().__init__(**kw)
        self.device, self.timeout = device, timeout

    def _create(self) -> Escpos:
        dev = _File(devfile=self.device, profile=self.profile)
        dev.timeout = self.timeout
        return dev

    def status(self) -> PrinterStatus:
        if not os.path.exists(self.device):
            return PrinterStatus(False, "printer_offline")
        if not os.access(self.device, os.W_OK):
            return PrinterStatus(False, "printer_error")
        return PrinterStatus(True, "printer_ok")

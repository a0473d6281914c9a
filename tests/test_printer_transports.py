"""The blocking transports (USB, serial, device file): no write or status read can block the printer's worker for
good, and a permission problem is told apart from an unplugged printer.

USB runs python-escpos's real ``Usb`` class over a fake pyusb device (no printer here); serial runs pyserial on a
pseudo-terminal whose other end never reads (a printer holding the flow control); the device file is a FIFO
whose reader never reads (the kernel's usblp blocks a write the same way when the paper runs out).
"""

from __future__ import annotations

import errno
import fcntl
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from contactpoint.hardware.printer import PrinterError, TicketContent, make_printer, ticket_escpos_bytes

from tests.test_printer import TICKETS

usb_core = pytest.importorskip("usb.core")
serial = pytest.importorskip("serial")

AR: TicketContent = TICKETS["ar"]  # an image ticket: ~37 KB, more than a pty (or the 4 KB FIFO below) takes at once


def finishes(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in a thread; fail (instead of hanging the test run) if it never returns. Not a speed check:
    the limit is ten times what the slowest transport timeout configured below allows."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:  # re-raised in the test's thread
            box["error"] = e

    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(60)
    assert not t.is_alive(), "the printer call never returned: a blocking write with no timeout"
    if "error" in box:
        raise box["error"]
    return box.get("value")


# --------------------------------------------------------------------------- USB (python-escpos Usb, fake pyusb)


class _Libusb1Backend:
    __module__ = "usb.backend.libusb1"  # python-escpos checks the kernel driver on this backend only


class _Context:
    def dispose(self, device: object) -> None:  # usb.util.dispose_resources, when python-escpos closes
        pass


class FakeUsbDevice:
    """What pyusb's usb.core.find returns, for one printer; ``write`` may raise what libusb would."""

    def __init__(self, *, open_error: Exception | None = None, write_error: Exception | None = None) -> None:
        self.backend = _Libusb1Backend()
        self._ctx = _Context()
        self.open_error, self.write_error = open_error, write_error
        self.writes: list[tuple[int, int, Any]] = []  # (endpoint, bytes, timeout)
        self.reads: list[Any] = []  # timeouts
        self.answers = [b"\x12", b"\x12"]  # DLE EOT 1: online; DLE EOT 4: paper adequate

    def is_kernel_driver_active(self, interface: int) -> bool:
        if self.open_error:
            raise self.open_error
        return False

    def set_configuration(self) -> None:
        pass

    def reset(self) -> None:
        pass

    def write(self, ep: int, data: bytes, timeout: Any = None) -> int:
        self.writes.append((ep, len(data), timeout))
        if self.write_error and len(self.writes) > 1:
            raise self.write_error  # the printer stops taking data mid-job
        return len(data)

    def read(self, ep: int, size: int, timeout: Any = None) -> bytes:
        self.reads.append(timeout)
        return self.answers.pop(0) if self.answers else b""


@pytest.fixture
def usb_device(monkeypatch: pytest.MonkeyPatch) -> Callable[..., FakeUsbDevice]:
    def plug(**kw: Any) -> FakeUsbDevice:
        dev = FakeUsbDevice(**kw)
        monkeypatch.setattr(usb_core, "find", lambda **_: dev)
        return dev

    return plug


USB = {"type": "usb", "vendor_id": "0x04b8", "product_id": "0x0e15"}


def test_usb_writes_have_a_timeout_by_default(usb_device: Callable[..., FakeUsbDevice]) -> None:
    dev = usb_device()
    printer = make_printer(USB)
    printer.print_ticket(AR)
    data = [w for w in dev.writes if w[1] > 3]  # the job, not the status queries
    assert sum(n for _, n, _ in data) == len(ticket_escpos_bytes(AR))
    assert {t for _, _, t in dev.writes} == {5000}  # 0 (python-escpos's default) is "forever" in libusb
    assert max(n for _, n, _ in data) <= 4096  # each chunk gets the whole timeout: a long job never times out
    assert dev.reads == [1000, 1000]  # status reads wait status_timeout, not pyusb's default


def test_usb_timeout_zero_is_refused() -> None:
    with pytest.raises(ValueError, match=r"printer\.timeout"):
        make_printer({**USB, "timeout": 0})


def test_usb_status_timeout_is_honoured(usb_device: Callable[..., FakeUsbDevice]) -> None:
    dev = usb_device()
    assert make_printer({**USB, "status_timeout": 0.25}).status().key == "printer_ok"
    assert dev.reads == [250, 250]


def test_usb_printer_that_stops_taking_data_is_offline(usb_device: Callable[..., FakeUsbDevice]) -> None:
    usb_device(write_error=usb_core.USBTimeoutError("Operation timed out", -7, errno.ETIMEDOUT))
    printer = make_printer({**USB, "status_query": False})
    with pytest.raises(PrinterError) as err:
        finishes(lambda: printer.print_ticket(AR))
    assert err.value.key == "printer_offline"


def test_usb_access_denied_is_an_error_not_offline(usb_device: Callable[..., FakeUsbDevice]) -> None:
    usb_device(open_error=usb_core.USBError("Access denied (insufficient permissions)", -3, errno.EACCES))
    printer = make_printer(USB)
    status = printer.status()
    assert status.key == "printer_error"  # python-escpos calls it DeviceNotFoundError: the docs promise an error
    with pytest.raises(PrinterError) as err:
        printer.print_ticket(AR)
    assert err.value.key == "printer_error" and "udev" in err.value.detail


def test_usb_printer_not_plugged_is_offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(usb_core, "find", lambda **_: None)
    assert make_printer(USB).status().key == "printer_offline"


# --------------------------------------------------------------------------- serial (pyserial on a pty)


@pytest.fixture
def pty() -> Iterator[tuple[int, str]]:
    master, slave = os.openpty()
    try:
        yield master, os.ttyname(slave)
    finally:
        os.close(master)
        os.close(slave)


def test_serial_printer_holding_the_line_is_offline(pty: tuple[int, str]) -> None:
    _, name = pty  # nothing ever reads the other end: the kernel buffer fills, then every write waits
    printer = make_printer({"type": "serial", "device": name, "status_query": False, "timeout": 0.3})
    with pytest.raises(PrinterError) as err:
        finishes(lambda: printer.print_ticket(AR))
    assert err.value.key == "printer_offline"
    finishes(printer.close)  # and closing the stalled port does not wait for the kernel to drain it


def test_serial_printer_that_takes_data_prints_everything(pty: tuple[int, str]) -> None:
    master, name = pty
    got = bytearray()
    job = ticket_escpos_bytes(TICKETS["fr"])

    def drain() -> None:
        while len(got) < len(job):
            got.extend(os.read(master, 65536))

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    printer = make_printer({"type": "serial", "device": name, "status_query": False, "baudrate": 115200})
    finishes(lambda: printer.print_ticket(TICKETS["fr"]))
    reader.join(30)
    printer.close()
    assert bytes(got) == job


def test_serial_status_timeout_is_honoured(pty: tuple[int, str], monkeypatch: pytest.MonkeyPatch) -> None:
    _, name = pty  # a printer that never answers DLE EOT
    waited: list[float] = []
    read = serial.Serial.read

    def spy(self: Any, size: int = 1) -> bytes:
        waited.append(self.timeout)
        return read(self, size)

    monkeypatch.setattr(serial.Serial, "read", spy)
    printer = make_printer({"type": "serial", "device": name, "timeout": 9.0, "status_timeout": 0.2})
    assert finishes(printer.status).key == "printer_offline"
    assert waited == [0.2]  # one wait of status_timeout, not timeout, and no second query once it is silent
    printer.close()


# --------------------------------------------------------------------------- device file (a FIFO)


@pytest.fixture
def fifo(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "lp0"
    os.mkfifo(path)
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # opened, never read: writes block when it is full
    fcntl.fcntl(reader, getattr(fcntl, "F_SETPIPE_SZ", 1031), 4096)  # full after 4 KB, whatever the job's size
    try:
        yield path
    finally:
        os.close(reader)


def test_file_device_that_stops_taking_data_is_offline(fifo: Path) -> None:
    printer = make_printer({"type": "file", "device": str(fifo), "timeout": 0.3})
    with pytest.raises(PrinterError) as err:
        finishes(lambda: printer.print_ticket(AR))
    assert err.value.key == "printer_offline"
    printer.close()


def test_file_device_without_permission_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dev = tmp_path / "lp0"
    dev.touch()
    real_open = os.open

    def refuse(path: Any, flags: int, *a: Any) -> int:
        if str(path) == str(dev):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))  # not in group lp (root here)
        return real_open(path, flags, *a)

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(PrinterError) as err:
        make_printer({"type": "file", "device": str(dev)}).print_ticket(TICKETS["fr"])
    assert err.value.key == "printer_error"

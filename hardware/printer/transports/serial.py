"""``type = "serial"``: a serial printer, through python-escpos's ``Serial`` (pyserial)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from contactpoint.hardware.printer.driver import STATUS_QUERY, EscposDriver, status_timeout
from contactpoint.hardware.printer.model import PrinterError
from contactpoint.hardware.printer.registry import Transport
from contactpoint.hardware.printer.settings import Setting
from escpos.escpos import Escpos
from escpos.printer import Serial


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


TRANSPORT = Transport(
    "serial",
    SerialPrinter,
    (
        STATUS_QUERY,
        Setting.text("device"),
        Setting.integer("baudrate", 9600, lo=300, hi=921600),
        Setting.seconds("timeout", 5.0),
        status_timeout(),
    ),
    rank=3,
)

"""``type = "file"``: a write-only character device such as ``/dev/usb/lp0``, through python-escpos's ``File``."""

from __future__ import annotations

import os
import select
import sys
import time
from typing import Any

from contactpoint.hardware.printer.driver import CHUNK, EscposDriver
from contactpoint.hardware.printer.model import PrinterStatus
from contactpoint.hardware.printer.registry import Transport
from contactpoint.hardware.printer.settings import Setting
from escpos.escpos import Escpos
from escpos.printer import File


def unpatched_select() -> Any:
    """select.select as the OS gives it: the file printer writes from a pool thread, not from a greenlet."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None and monkey.is_module_patched("select"):
        return monkey.get_original("select", "select")
    return select.select


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
        wait = unpatched_select()
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


TRANSPORT = Transport(
    "file",
    FilePrinter,
    (Setting.text("device", "/dev/usb/lp0"), Setting.seconds("timeout", 5.0)),
    rank=4,
)

"""``type = "usb"``: a USB printer, through python-escpos's ``Usb`` (pyusb, libusb)."""

from __future__ import annotations

from typing import Any

from contactpoint.hardware.printer.driver import CHUNK, STATUS_QUERY, EscposDriver, permission_denied, status_timeout
from contactpoint.hardware.printer.model import PrinterError
from contactpoint.hardware.printer.registry import Transport
from contactpoint.hardware.printer.settings import Setting
from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Usb


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
            if permission_denied(e):
                raise PrinterError(
                    "printer_error",
                    f"USB {self.vendor_id:04x}:{self.product_id:04x}: access denied: install the udev rule "
                    "and add the service user to group lp (docs/printers.md, Raspberry Pi setup)",
                ) from e
            raise


TRANSPORT = Transport(
    "usb",
    UsbPrinter,
    (
        STATUS_QUERY,
        Setting.integer("in_ep", lo=1, hi=0xFF, optional=True),  # python-escpos's 0x82 and 0x01 when absent
        Setting.integer("out_ep", lo=1, hi=0xFF, optional=True),
        Setting.integer("vendor_id"),
        Setting.integer("product_id"),
        Setting.integer("timeout", 5000, lo=1, hi=60000),  # ms; 0 would be "forever" in libusb
        status_timeout(),
    ),
    rank=1,
)

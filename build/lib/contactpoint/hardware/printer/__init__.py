"""Ticket printers: one small interface, a module per transport, a fake that keeps the real ESC/POS bytes.

printer = make_printer(site_config["printer"])
printer.print_ticket(TicketContent(...))   # raises PrinterError(key)
printer.status()                           # PrinterStatus(ok, key)

The transports are the modules of ``transports/`` (each declares its own settings); ``registered_transports()``
lists them. How tickets render is one :class:`RenderOptions`.
"""

from __future__ import annotations

import contactpoint.hardware._escpos  # noqa: F401 - first, before anything imports python-escpos: see there why

# isort: split
from .codepages import LETTERS, TEXT_MODES, language_codepage
from .decode import DecodedTicket, decode_escpos
from .driver import error_key
from .fake import FakePrinter
from .model import STATUS_KEYS, PrinterError, PrinterStatus, SlipContent, TicketContent, TicketPrinter
from .options import RenderOptions
from .paper import paper_image, render_ticket_png
from .registry import Transport, make_printer, registered_transports, render_options, transport_names
from .render import (
    FontMissingError,
    effective_qr,
    render_slip_image,
    render_ticket_image,
    slip_escpos_bytes,
    ticket_escpos_bytes,
    ticket_mode,
    ticket_print_mode,
)
from .transports.file import FilePrinter
from .transports.network import NetworkPrinter
from .transports.serial import SerialPrinter
from .transports.usb import UsbPrinter

__all__ = [
    "LETTERS",
    "STATUS_KEYS",
    "TEXT_MODES",
    "DecodedTicket",
    "FakePrinter",
    "FilePrinter",
    "FontMissingError",
    "NetworkPrinter",
    "PrinterError",
    "PrinterStatus",
    "RenderOptions",
    "SerialPrinter",
    "SlipContent",
    "TicketContent",
    "TicketPrinter",
    "Transport",
    "UsbPrinter",
    "decode_escpos",
    "effective_qr",
    "error_key",
    "language_codepage",
    "make_printer",
    "paper_image",
    "render_options",
    "render_slip_image",
    "render_ticket_image",
    "render_ticket_png",
    "slip_escpos_bytes",
    "ticket_escpos_bytes",
    "ticket_mode",
    "ticket_print_mode",
    "registered_transports",
    "transport_names",
]

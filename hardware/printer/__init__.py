"""Ticket printers: one small interface, a driver per transport, a fake that keeps the real ESC/POS bytes.

printer = make_printer(site_config["printer"])
printer.print_ticket(TicketContent(...))   # raises PrinterError(key)
printer.status()                           # PrinterStatus(ok, key)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import hardware._escpos  # noqa: F401 - first, before anything imports python-escpos: see there why

# isort: split
from escpos.capabilities import get_profile

from .codepages import LETTERS, TEXT_MODES, language_codepage
from .decode import DecodedTicket, decode_escpos
from .drivers import FilePrinter, NetworkPrinter, SerialPrinter, UsbPrinter, error_key
from .fake import FakePrinter
from .model import STATUS_KEYS, PrinterError, PrinterStatus, SlipContent, TicketContent, TicketPrinter
from .paper import paper_image, render_ticket_png
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
    "SerialPrinter",
    "SlipContent",
    "TicketContent",
    "TicketPrinter",
    "UsbPrinter",
    "decode_escpos",
    "effective_qr",
    "error_key",
    "language_codepage",
    "make_printer",
    "paper_image",
    "render_settings",
    "render_slip_image",
    "render_ticket_image",
    "render_ticket_png",
    "slip_escpos_bytes",
    "ticket_escpos_bytes",
    "ticket_mode",
    "ticket_print_mode",
]

_COMMON = {"type", "paper_width_mm", "profile", "qr", "text_mode"}
_ALLOWED: dict[str, set[str]] = {
    "fake": _COMMON | {"fail_with"},
    "usb": _COMMON | {"vendor_id", "product_id", "in_ep", "out_ep", "timeout", "status_query", "status_timeout"},
    "network": _COMMON | {"host", "port", "timeout", "status_query", "status_timeout"},
    "serial": _COMMON | {"device", "baudrate", "timeout", "status_query", "status_timeout"},
    "file": _COMMON | {"device", "timeout"},
}


def _int(settings: Mapping[str, Any], key: str, default: int | None = None, *, lo: int = 0, hi: int = 0xFFFF) -> int:
    value = settings.get(key, default)
    if value is None:
        raise ValueError(f"printer.{key}: missing (required for type = {settings.get('type')!r})")
    if isinstance(value, str):
        try:
            value = int(value, 0)  # "0x04b8", "1208"
        except ValueError:
            raise ValueError(f"printer.{key}: {value!r} is not a number (write 0x04b8 or 1208)") from None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"printer.{key}: expected an integer, got {type(value).__name__}")
    if not lo <= value <= hi:
        raise ValueError(f"printer.{key}: {value} is out of range {lo}..{hi}")
    return value


def _float(settings: Mapping[str, Any], key: str, default: float) -> float:
    value = settings.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 60:
        raise ValueError(f"printer.{key}: expected a number of seconds between 0 and 60, got {value!r}")
    return float(value)


def _str(settings: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = settings.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"printer.{key}: missing or empty (required for type = {settings.get('type')!r})")
    return value


def _choice(settings: Mapping[str, Any], key: str, default: Any, choices: tuple[Any, ...]) -> Any:
    value = settings.get(key, default)
    if value not in choices or isinstance(value, bool) != isinstance(choices[0], bool):
        raise ValueError(f"printer.{key}: {value!r} is not one of {', '.join(map(repr, choices))}")
    return value


def _text_mode(settings: Mapping[str, Any]) -> str | dict[str, str]:
    """``text_mode``: one of TEXT_MODES for every language, or a table of languages to one of them."""
    value = settings.get("text_mode", "auto")
    modes = ", ".join(map(repr, TEXT_MODES))
    if isinstance(value, Mapping):
        for lang, mode in value.items():
            if lang not in LETTERS:
                raise ValueError(f"printer.text_mode.{lang}: not a kiosk language (one of {', '.join(LETTERS)})")
            if mode not in TEXT_MODES:
                raise ValueError(f"printer.text_mode.{lang}: {mode!r} is not one of {modes}")
        return dict(value)
    if value not in TEXT_MODES:
        raise ValueError(
            f'printer.text_mode: {value!r} is not one of {modes}, nor a table of languages such as {{ tr = "image" }}'
        )
    return str(value)


def render_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """How the ``[printer]`` table wants tickets rendered (paper, profile, QR, text mode), checked, with defaults."""
    profile = _str(settings, "profile", "default")
    try:
        get_profile(profile)
    except KeyError:
        raise ValueError(f"printer.profile: {profile!r} is not a python-escpos profile name") from None
    return {
        "paper_width_mm": _choice(settings, "paper_width_mm", 80, (80, 58)),
        "profile": profile,
        "qr": _choice(settings, "qr", "image", ("image", "native")),
        "text_mode": _text_mode(settings),
    }


def make_printer(settings: Mapping[str, Any]) -> TicketPrinter:
    """Build the printer described by the site TOML ``[printer]`` table; ValueError names the bad key."""
    kind = settings.get("type")
    if kind not in _ALLOWED:
        raise ValueError(f"printer.type: {kind!r} is not one of {', '.join(map(repr, _ALLOWED))}")
    unknown = sorted(set(settings) - _ALLOWED[kind])
    if unknown:
        raise ValueError(
            f"printer.{unknown[0]}: unknown setting for type = {kind!r} (allowed: {', '.join(sorted(_ALLOWED[kind]))})"
        )
    common = render_settings(settings)
    if kind == "fake":
        fail = settings.get("fail_with")
        if fail is not None:
            _choice(settings, "fail_with", None, STATUS_KEYS)
        return FakePrinter(fail_with=fail, **common)
    if kind == "file":
        return FilePrinter(
            device=_str(settings, "device", "/dev/usb/lp0"), timeout=_float(settings, "timeout", 5.0), **common
        )
    common["status_query"] = _choice(settings, "status_query", True, (True, False))
    if kind == "network":
        timeout = _float(settings, "timeout", 2.0)
        return NetworkPrinter(
            host=_str(settings, "host"),
            port=_int(settings, "port", 9100, lo=1),
            timeout=timeout,
            status_timeout=_float(settings, "status_timeout", min(1.0, timeout)),
            **common,
        )
    if kind == "serial":
        return SerialPrinter(
            device=_str(settings, "device"),
            baudrate=_int(settings, "baudrate", 9600, lo=300, hi=921600),
            timeout=_float(settings, "timeout", 5.0),
            status_timeout=_float(settings, "status_timeout", 1.0),
            **common,
        )
    eps = {k: _int(settings, k, lo=1, hi=0xFF) for k in ("in_ep", "out_ep") if k in settings}
    return UsbPrinter(
        vendor_id=_int(settings, "vendor_id"),
        product_id=_int(settings, "product_id"),
        timeout=_int(settings, "timeout", 5000, lo=1, hi=60000),  # ms; 0 would be "forever" in libusb
        status_timeout=_float(settings, "status_timeout", 1.0),
        **eps,
        **common,
    )

"""The printer transports are one registry: each module of hardware/printer/transports/ declares its type and
settings, and make_printer, the site file's check and the docs' test read nothing else."""

from __future__ import annotations

import copy
import pkgutil
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import contactpoint.hardware.printer.transports as package
import pytest
from contactpoint.hardware.printer import (
    FakePrinter,
    RenderOptions,
    make_printer,
    registered_transports,
    render_options,
    ticket_escpos_bytes,
    transport_names,
)

from contactpoint.config import SAMPLE_SITE, ConfigError, parse_site
from tests.test_printer import TICKETS

ECHO = '''
from contactpoint.hardware.printer.fake import FakePrinter
from contactpoint.hardware.printer.registry import Transport
from contactpoint.hardware.printer.settings import Setting


class EchoPrinter(FakePrinter):
    def __init__(self, *, host: str, copies: int = 1, **kw):
        super().__init__(**kw)
        self.host, self.copies = host, copies


TRANSPORT = Transport("echo", EchoPrinter, (Setting.text("host"), Setting.integer("copies", 1, lo=1, hi=5)))
'''


@pytest.fixture
def echo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A new transport: one file, ``echo.py``, put where the registry looks (nothing else is changed)."""
    (tmp_path / "echo.py").write_text(ECHO, encoding="utf-8")
    monkeypatch.setattr(package, "__path__", [*package.__path__, str(tmp_path)])
    registered_transports.cache_clear()
    yield
    sys.modules.pop(f"{package.__name__}.echo", None)
    registered_transports.cache_clear()


def _site(printer: dict[str, Any]) -> dict[str, Any]:
    data = copy.deepcopy(tomllib.loads(SAMPLE_SITE.read_text()))
    data["printer"] = printer
    return data


def test_the_registry_is_the_modules_of_the_transports_folder() -> None:
    modules = {m.name for m in pkgutil.iter_modules(package.__path__)}
    assert set(transport_names()) == modules  # every module declares a transport, every transport is a module
    assert transport_names() == ("fake", "usb", "network", "serial", "file")  # the order errors list them in
    with pytest.raises(ValueError, match="printer.type: 'laser' is not one of 'fake', 'usb', 'network'"):
        make_printer({"type": "laser"})


def test_a_new_transport_is_one_file(echo: None) -> None:
    assert "echo" in transport_names()
    printer: Any = make_printer({"type": "echo", "host": "10.0.0.7", "copies": 2, "qr": "native"})
    assert (printer.host, printer.copies, printer.options.qr) == ("10.0.0.7", 2, "native")
    assert make_printer({"type": "echo", "host": "h"}).copies == 1  # type: ignore[attr-defined]
    for settings, key in (
        ({"type": "echo"}, "printer.host"),
        ({"type": "echo", "host": "h", "copies": 9}, "printer.copies"),
        ({"type": "echo", "host": "h", "baudrate": 9600}, "printer.baudrate"),
        ({"type": "echo", "host": "h", "qr": "barcode"}, "printer.qr"),
    ):
        with pytest.raises(ValueError, match=key):
            make_printer(settings)


def test_the_site_file_check_reads_the_same_registry(echo: None) -> None:
    parse_site(_site({"type": "echo", "host": "10.0.0.7"}))  # accepted: no other list of types to edit
    with pytest.raises(ConfigError) as refused:
        parse_site(_site({"type": "echo", "host": "10.0.0.7", "copies": 0}))
    assert refused.value.key == "printer.copies" and "out of range 1..5" in refused.value.problem
    with pytest.raises(ConfigError) as unknown:
        parse_site(_site({"type": "laser"}))
    assert unknown.value.key == "printer.type" and "echo" in unknown.value.problem


def test_the_rendering_options_are_one_value() -> None:
    table = {"type": "network", "host": "h", "paper_width_mm": 58, "qr": "native", "text_mode": {"tr": "image"}}
    options = render_options(table)
    assert options == RenderOptions(paper_width_mm=58, qr="native", text_mode={"tr": "image"})
    assert make_printer(table).options == options  # type: ignore[attr-defined]
    assert FakePrinter(qr="native").options == RenderOptions(qr="native")
    for lang in ("fr", "tr", "ar"):
        assert ticket_escpos_bytes(TICKETS[lang], options) == ticket_escpos_bytes(
            TICKETS[lang], paper_width_mm=58, qr="native", text_mode={"tr": "image"}
        )
    assert render_options({"type": "fake"}) == RenderOptions()

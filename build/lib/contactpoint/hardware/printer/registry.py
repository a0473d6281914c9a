"""The printer transports the box knows: every module of ``hardware/printer/transports/`` that declares a
``TRANSPORT``. ``make_printer``, the site file's check (``contactpoint check-config``) and the docs' test read
this one registry, so a new transport is one file there (plus its test and its line in docs/printers.md)."""

from __future__ import annotations

import functools
import importlib
import pkgutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .model import TicketPrinter
from .options import RENDER_KEYS, RenderOptions
from .settings import ABSENT, Setting


@dataclass(frozen=True)
class Transport:
    """One ``[printer] type``: its driver and the settings it takes beyond the rendering ones.

    ``driver`` is called as ``driver(options=RenderOptions(...), **settings)``, with each declared setting
    that has a value; ``rank`` orders the types where they are listed (errors, docs)."""

    name: str
    driver: Callable[..., TicketPrinter]
    settings: tuple[Setting, ...] = ()
    rank: int = 100

    @property
    def keys(self) -> tuple[str, ...]:
        """Every key a ``[printer]`` table of this type may hold."""
        return ("type", *RENDER_KEYS, *(s.name for s in self.settings))

    def read(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """This transport's own settings, checked, in the order declared (a later default may use an earlier)."""
        values: dict[str, Any] = {}
        for setting in self.settings:
            value = setting.value(settings, values)
            if value is not ABSENT:
                values[setting.name] = value
        return values

    def build(self, settings: Mapping[str, Any]) -> TicketPrinter:
        """The driver for ``settings`` (not opened yet); ValueError names the bad key."""
        unknown = sorted(set(settings) - set(self.keys))
        if unknown:
            allowed = ", ".join(sorted(self.keys))
            raise ValueError(f"printer.{unknown[0]}: unknown setting for type = {self.name!r} (allowed: {allowed})")
        options = RenderOptions.from_settings(settings)
        return self.driver(options=options, **self.read(settings))


@functools.cache
def registered_transports() -> dict[str, Transport]:
    """Every transport of ``hardware/printer/transports/``, by ``type`` name, in rank order."""
    package = importlib.import_module(f"{__package__}.transports")
    found: list[Transport] = []
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        transport = getattr(module, "TRANSPORT", None)
        if isinstance(transport, Transport):
            found.append(transport)
    found.sort(key=lambda t: (t.rank, t.name))
    return {t.name: t for t in found}


def transport_names() -> tuple[str, ...]:
    return tuple(registered_transports())


def make_printer(settings: Mapping[str, Any]) -> TicketPrinter:
    """Build the printer described by the site TOML ``[printer]`` table; ValueError names the bad key."""
    kind = settings.get("type")
    known = registered_transports()
    if not isinstance(kind, str) or kind not in known:
        raise ValueError(f"printer.type: {kind!r} is not one of {', '.join(map(repr, known))}")
    return known[kind].build(settings)


def render_options(settings: Mapping[str, Any]) -> RenderOptions:
    """How the ``[printer]`` table wants tickets rendered (paper, profile, QR, text mode), checked, with defaults."""
    return RenderOptions.from_settings(settings)

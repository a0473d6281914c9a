"""The keys of a ``[printer]`` table, declared: each transport lists its own :class:`Setting` values (name, type,
range or choices, default), and the registry reads them. Every error is ``ValueError("printer.<key>: …")``."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

#: ``Setting.value`` of an optional setting the table does not hold: nothing is passed to the driver
ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "ABSENT"})()

Reader = Callable[[Mapping[str, Any], str, Any], Any]  # (the table, the key, the default) -> the checked value


def integer(settings: Mapping[str, Any], key: str, default: int | None = None, *, lo: int = 0, hi: int = 0xFFFF) -> int:
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


def seconds(settings: Mapping[str, Any], key: str, default: float) -> float:
    value = settings.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= 60:
        raise ValueError(f"printer.{key}: expected a number of seconds between 0 and 60, got {value!r}")
    return float(value)


def text(settings: Mapping[str, Any], key: str, default: str | None = None) -> str:
    value = settings.get(key, default)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"printer.{key}: missing or empty (required for type = {settings.get('type')!r})")
    return value


def choice(settings: Mapping[str, Any], key: str, default: Any, choices: tuple[Any, ...]) -> Any:
    value = settings.get(key, default)
    if value not in choices or isinstance(value, bool) != isinstance(choices[0], bool):
        raise ValueError(f"printer.{key}: {value!r} is not one of {', '.join(map(repr, choices))}")
    return value


@dataclass(frozen=True)
class Setting:
    """One key a transport takes: how it is read and checked, and its default.

    ``default_from`` works the default out of the values read before it (a network printer's ``status_timeout``
    is ``min(1.0, timeout)``); an ``optional`` setting the table does not hold is not passed to the driver
    (the driver's, or python-escpos's, own default applies)."""

    name: str
    read: Reader
    default: Any = None
    default_from: Callable[[Mapping[str, Any]], Any] | None = None
    optional: bool = False

    def value(self, settings: Mapping[str, Any], before: Mapping[str, Any]) -> Any:
        """This key's checked value in ``settings``, given the values of the keys declared before it."""
        if self.optional and settings.get(self.name) is None:
            return ABSENT
        default = self.default_from(before) if self.default_from else self.default
        return self.read(settings, self.name, default)

    @classmethod
    def integer(
        cls, name: str, default: int | None = None, *, lo: int = 0, hi: int = 0xFFFF, optional: bool = False
    ) -> Setting:
        """An integer, or a string such as ``"0x04b8"``, from ``lo`` to ``hi``; required without a default."""
        return cls(name, functools.partial(integer, lo=lo, hi=hi), default, optional=optional)

    @classmethod
    def seconds(
        cls, name: str, default: float, default_from: Callable[[Mapping[str, Any]], Any] | None = None
    ) -> Setting:
        """A number of seconds, more than 0 and at most 60."""
        return cls(name, seconds, default, default_from)

    @classmethod
    def text(cls, name: str, default: str | None = None) -> Setting:
        """A non-empty string; required without a default."""
        return cls(name, text, default)

    @classmethod
    def one_of(cls, name: str, default: Any, choices: tuple[Any, ...], *, optional: bool = False) -> Setting:
        """One of ``choices`` (``true``/``false`` for a flag)."""
        return cls(name, functools.partial(_one_of, choices=choices), default, optional=optional)


def _one_of(settings: Mapping[str, Any], key: str, default: Any, *, choices: tuple[Any, ...]) -> Any:
    return choice(settings, key, default, choices)

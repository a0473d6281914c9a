"""How tickets are rendered: the four ``[printer]`` settings every transport shares, as one value."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from escpos.capabilities import get_profile

from .codepages import LETTERS, TEXT_MODES
from .settings import choice, text

TextMode = str | Mapping[str, str]  # one ``text_mode`` for every language, or one per language ("auto" if absent)

#: the rendering settings, read before a transport's own: every ``[printer]`` table may hold them
RENDER_KEYS: tuple[str, ...] = ("paper_width_mm", "profile", "qr", "text_mode")


@dataclass(frozen=True)
class RenderOptions:
    """Paper width, python-escpos profile, QR mode and text mode: what the renderer needs to know of a printer.

    Rendering checks the values (a bad one is a ``ValueError`` the driver reports as ``printer_error``);
    :meth:`from_settings` checks a ``[printer]`` table's with the key named (``printer.qr: …``)."""

    paper_width_mm: int = 80
    profile: str = "default"
    qr: str = "image"
    text_mode: TextMode = "auto"

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> RenderOptions:
        """The options a ``[printer]`` table asks for, checked, with defaults; ValueError names the bad key."""
        profile = text(settings, "profile", "default")
        try:
            get_profile(profile)
        except KeyError:
            raise ValueError(f"printer.profile: {profile!r} is not a python-escpos profile name") from None
        return cls(
            paper_width_mm=choice(settings, "paper_width_mm", 80, (80, 58)),
            profile=profile,
            qr=choice(settings, "qr", "image", ("image", "native")),
            text_mode=_text_mode(settings),
        )

    def replace(self, **changes: Any) -> RenderOptions:
        """These options with some fields changed (``qr="native"``)."""
        return dataclasses.replace(self, **changes) if changes else self

    def as_dict(self) -> dict[str, Any]:
        return {
            "paper_width_mm": self.paper_width_mm,
            "profile": self.profile,
            "qr": self.qr,
            "text_mode": self.text_mode,
        }


DEFAULT_OPTIONS = RenderOptions()


def options_of(options: RenderOptions | None, changes: Mapping[str, Any]) -> RenderOptions:
    """``options`` (the defaults when None) with the keyword arguments a caller gave field by field."""
    return (options or DEFAULT_OPTIONS).replace(**changes)


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

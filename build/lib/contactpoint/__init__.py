"""contactpoint: the software of one neighbourhood contact point.

`create_app` is imported lazily so that the pure domain core (`contactpoint.domain`) loads without Flask.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from flask import Flask


def create_app(
    config: dict[str, Any] | None = None, *, printer: Any = None, clock: Any = None, announcer: Any = None
) -> Flask:
    from contactpoint.app import create_app as _create_app

    return _create_app(config, printer=printer, clock=clock, announcer=announcer)

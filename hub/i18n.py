"""The hub's languages (fr, nl, en): its own Flask-Babel domain `hub`, catalogues in hub/locales/, compiled to a
temporary folder when the app starts (a few milliseconds; nothing to build at install)."""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, request, session
from flask_babel import Babel, get_locale

LANGS = ("fr", "nl", "en")
SOURCE = Path(__file__).resolve().parent / "locales"
babel = Babel()


@functools.cache
def compile_catalogues() -> str:
    out = Path(tempfile.mkdtemp(prefix="contactpoint-hub-locales-"))
    for lang in LANGS:
        po = SOURCE / lang / "LC_MESSAGES" / "hub.po"
        if po.is_file():
            target = out / lang / "LC_MESSAGES"
            target.mkdir(parents=True)
            with po.open("rb") as f:
                catalog = read_po(f, locale=lang)
            with (target / "hub.mo").open("wb") as f:
                write_mo(f, catalog)
    return str(out)


def locale() -> str:
    chosen = session.get("lang")
    if chosen in LANGS:
        return str(chosen)
    return request.accept_languages.best_match(LANGS) or "en"


def init(app: Flask) -> None:
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = compile_catalogues()
    app.config["BABEL_DOMAIN"] = "hub"
    babel.init_app(app, locale_selector=locale)
    app.jinja_env.globals["get_locale"] = lambda: str(get_locale() or "en")

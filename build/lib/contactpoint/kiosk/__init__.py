"""The visitor's kiosk: choose a language, a need, take a ticket; or check in for an appointment.

Nothing to type on the common path. Every refusal (closed, full, no counter, too early…) is a friendly screen in
the visitor's language saying when to come back, never an error code, and never a ticket that cannot be served
today. The ticket-issuing endpoints are rate limited per kiosk address (Flask-Limiter, `[kiosk] rate_limit`).
"""

from __future__ import annotations

from typing import Any

from contactpoint.kiosk import speech
from contactpoint.kiosk.namespace import KioskNamespace
from contactpoint.kiosk.views import (  # noqa: F401 - the kiosk's names, as other modules and tests know them
    KEYPAD,
    LIMITED,
    SPEECH_CACHE,
    SPEECH_CACHE_BYTES,
    SPEECH_LIMIT,
    bp,
    error_page,
    issue,
    qr_svg,
)
from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_socketio import SocketIO

from contactpoint.box import box_of, current_box
from contactpoint.i18n import RTL


def _limit_value() -> str:
    return str(current_box().site.kiosk.rate_limit)


def init_app(app: Flask, socketio: SocketIO) -> None:
    app.register_blueprint(bp)
    socketio.on_namespace(KioskNamespace("/kiosk"))
    # one limiter per app (tests make many apps in one process); memory storage: one box, one process.
    # RATELIMIT_ENABLED=False (env CONTACTPOINT_RATELIMIT=0) turns it off, e.g. for the benchmark
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    app.config.setdefault("RATELIMIT_HEADERS_ENABLED", True)
    limiter = Limiter(get_remote_address, app=app)
    shared = limiter.shared_limit(_limit_value, scope="kiosk-tickets")
    for endpoint in LIMITED:
        app.view_functions[endpoint] = shared(app.view_functions[endpoint])
    app.view_functions["kiosk.speech"] = limiter.limit(SPEECH_LIMIT, scope="kiosk-speech")(
        app.view_functions["kiosk.speech"]
    )
    box_of(app).limiter = limiter
    speech.own_speech_cache(app)
    app.extensions.setdefault("error_pages", {})["/kiosk/"] = error_page

    @app.context_processor
    def kiosk_helpers() -> dict[str, Any]:
        return {"rtl_langs": RTL}


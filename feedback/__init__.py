"""The satisfaction taps' devices: the exit tablet's page (`/feedback/`) and the GPIO push-buttons.

Both turn a visitor's one tap into the engine's `give_feedback` (one `feedback_given` event; domain/feedback.py),
the tablet with channel `tablet` and its own device id, the buttons with `buttons`. The buttons are a service of
the box, started with it when the site file has a `[buttons]` table; their state is in `/api/health`.
"""

from __future__ import annotations

from typing import Any

from contactpoint.feedback.views import SPEECH_LIMIT, TAP_LIMIT, bp
from flask import Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_socketio import SocketIO

from contactpoint.box import Box, box_of
from contactpoint.domain.errors import CommandError


def buttons_service(box: Box, pin_factory: Any = None) -> Any:
    """The push-buttons of the site file's `[buttons]`, each press a tap of channel `buttons` (None: no table)."""
    settings = box.site_config.buttons
    if settings is None:
        return None
    from contactpoint.hardware.buttons import ButtonPanel

    def press(score: int) -> bool:
        try:
            return box.engine.give_feedback(score=score, channel="buttons", device=settings.device) is not None
        except CommandError:  # cannot happen for a score of 1-4; never kills gpiozero's thread
            return False

    return ButtonPanel(settings, press, pin_factory=pin_factory, dispatch=_on_loop(box))


def _on_loop(box: Box) -> Any:
    """Under gevent a press arrives on gpiozero's own OS thread: its work is handed to the server's loop, where
    a greenlet takes the engine's lock; under threading it runs where it arrives (None)."""
    if box.socketio.async_mode != "gevent":
        return None
    import gevent

    hub = gevent.get_hub()  # the server's (init_app runs in its main thread)

    def dispatch(fn: Any) -> None:
        hub.loop.run_callback_threadsafe(gevent.spawn, fn)

    return dispatch


def init_app(app: Flask, socketio: SocketIO) -> None:
    app.register_blueprint(bp)
    box = box_of(app)
    limiter = box.limiter
    if limiter is None:  # the kiosk made one (contactpoint.app.DEVICES order); a box without a kiosk makes its own
        app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
        limiter = Limiter(get_remote_address, app=app)
    app.view_functions["feedback.tap"] = limiter.limit(TAP_LIMIT, scope="feedback-taps")(
        app.view_functions["feedback.tap"]
    )
    app.view_functions["feedback.speech"] = limiter.limit(SPEECH_LIMIT, scope="feedback-speech")(
        app.view_functions["feedback.speech"]
    )
    panel = buttons_service(box, app.config.get("BUTTONS_PIN_FACTORY"))
    if panel is not None:
        box.add_service(panel)
    health = app.extensions.setdefault("health", {})
    health["buttons"] = lambda: panel.status if panel is not None else "none"

"""The kiosk's "read aloud": the current screen's translated text as a WAV (espeak-ng, cached, its own cache)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contactpoint.kiosk import screens
from contactpoint.kiosk.views import SPEECH_CACHE, SPEECH_CACHE_BYTES, _at_arg, _lang, _now, bp, checkin_time
from flask import Flask, abort, jsonify, request, send_file

from contactpoint.box import box_of, current_box
from contactpoint.domain.model import PRINTER_PRINTS
from contactpoint.messages import MESSAGES


# -- read aloud --------------------------------------------------------------------------------------------
def _speech_text(lang: str) -> str:
    cp = current_box()
    text_id = request.args.get("text_id", "")
    now = _now()
    if text_id == "languages":
        return screens.languages_screen().spoken
    if text_id == "language":  # one part of the first screen's playlist: this language's name, in its voice
        return screens.language_spoken(lang, cp.engine.printer_key())
    if text_id == "needs":
        return screens.needs_screen(cp.site, lang, cp.engine.printer_key()).spoken
    if text_id == "appointment":
        return screens.appointment_screen().spoken
    if text_id == "idle":
        return screens.idle_screen().spoken
    if text_id == "slots":
        return screens.slots_screen(cp.site, cp.engine.open_appointments(cp.site.day_of(now)), lang).spoken
    if text_id == "ticket":
        t = cp.engine.ticket_by_token(request.args.get("token", ""))
        if t is None:
            abort(404)
        view = cp.engine.ticket_view(t)
        down = cp.engine.printer_key() not in PRINTER_PRINTS
        return screens.ticket_screen(
            cp.site, view, screens.need_name(cp.site, t.need, lang), lang, printer_down=down
        ).spoken
    if text_id == "notice":
        kind = request.args.get("kind", "")
        need = request.args.get("need")
        if kind not in screens.NOTICE_KINDS or (need is not None and cp.site.need(need) is None):
            abort(404)
        raw_at = _at_arg()  # checked whatever the kind: a crafted time is a 400 here too
        at = checkin_time(raw_at) if kind == "appointment_too_early" else None
        return screens.notice_screen(cp.site, now, lang, kind, need, at).spoken
    if text_id == "error":
        key = request.args.get("kind", "")
        if key not in MESSAGES:  # only the box's own translated messages
            abort(404)
        return screens.error_screen(key).spoken
    abort(404)


def _announcer() -> Any:
    """The kiosk's offline voice: the display's voices (contactpoint.announce.init_app), with a cache of its own
    capped at SPEECH_CACHE_BYTES, so spoken screens never push the display's announcements out of theirs."""
    box = current_box()
    return box.kiosk_announcer or box.announcer


@bp.get("/<lang>/speech")
def speech(lang: str) -> Any:
    """The current screen's translated text as a WAV (espeak-ng, cached); the page falls back to the browser."""
    _lang(lang)
    text = _speech_text(lang)
    from contactpoint.hardware.audio import AudioError

    try:
        path = _announcer().render(text, lang)
    except AudioError:
        return jsonify(error="speech_unavailable", text=text), 503
    # a ticket's place and the printer change while its screen is shown; the other screens' texts do not
    live = request.args.get("text_id") in ("ticket", "slots", "notice", "error")
    resp = send_file(path, mimetype="audio/wav", max_age=3600)
    if live:
        resp.headers["Cache-Control"] = "no-store"
    return resp



def own_speech_cache(app: Flask) -> None:
    from contactpoint.hardware.audio import EspeakAnnouncer

    box = box_of(app)
    shared = box.announcer
    if isinstance(shared, EspeakAnnouncer):  # a fake (tests) is used as it is
        box.kiosk_announcer = EspeakAnnouncer(
            Path(shared.cache_dir).parent / SPEECH_CACHE,
            speed=shared.speed,
            voices=shared.voices,
            max_bytes=SPEECH_CACHE_BYTES,
        )


"""The exit tablet's page, its JSON tap endpoint and its read-aloud.

`GET /feedback/` opens the question in the site's default language, `GET /feedback/<lang>/` in another.
`POST /feedback/api/taps` takes `{"score": 1-4, "lang": "fr", "device": "<the tablet's id>"}` as JSON only (a
cross-site form cannot send it, and a browser's cross-origin fetch of it needs a preflight the box never
grants; a request whose Origin is another site's is refused besides), rate limited per address. It answers
201 `{"counted": true}`, or 200 `{"counted": false}` when the rate rule dropped it (the same tablet within
`[feedback] tap_window_seconds`: its first tap counts), or a 4xx with the message in the visitor's language.
The page thanks the visitor only once the box answered 2xx: a tap the visitor was thanked for is never lost.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, g, jsonify, redirect, render_template, request, url_for

from contactpoint import satisfaction
from contactpoint.box import current_box
from contactpoint.domain.feedback import DEVICE_RE

bp = Blueprint("feedback", __name__, url_prefix="/feedback", template_folder="templates", static_folder="static")
TAP_LIMIT = "120 per minute"  # per address: far above any door's traffic; the rate rule does the real work
SPEECH_LIMIT = "60 per minute"
RETURN_S = 4  # the thank-you screen returns to the question by itself after this long


def _lang(lang: str) -> str:
    if lang not in current_box().site.languages:
        abort(404)
    g.lang = lang
    return lang


@bp.get("/")
def start() -> Any:
    return redirect(url_for("feedback.question", lang=current_box().site.default_language))


@bp.get("/<lang>/")
def question(lang: str) -> Any:
    _lang(lang)
    site = current_box().site
    config = {
        "lang": lang,
        "home": url_for("feedback.question", lang=site.default_language),
        "tapUrl": url_for("feedback.tap"),
        "stateUrl": url_for("feedback.state"),
        "returnMs": RETURN_S * 1000,
    }
    return render_template(
        "feedback/question.html",
        site=site,
        faces=satisfaction.FACES,
        question=satisfaction.QUESTION,
        thanks=satisfaction.THANKS,
        config=config,
    )


def _same_origin() -> bool:
    origin = request.headers.get("Origin")
    if origin is None:  # not a browser's cross-origin request (curl, a test client, an old browser)
        return True
    return urlsplit(origin).netloc == request.host


@bp.post("/api/taps")
def tap() -> Any:
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        abort(400)
    lang = body.get("lang")
    if isinstance(lang, str) and lang in current_box().site.languages:
        g.lang = lang  # the errors below speak the visitor's language
    if not _same_origin():
        abort(403)
    device = body.get("device")
    if not isinstance(device, str) or not DEVICE_RE.fullmatch(device):
        abort(400)
    ev = current_box().engine.give_feedback(score=body.get("score"), channel="tablet", device=device)
    return jsonify(counted=ev is not None), 201 if ev is not None else 200


@bp.get("/state")
def state() -> Any:
    """What the tablet checks when a tap failed, until the box answers again (the page never needs a reload)."""
    resp = jsonify(ok=True, seq=current_box().engine.seq())
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/<lang>/speech")
def speech(lang: str) -> Any:
    """The question (or the thanks) as a WAV in the visitor's language; the page falls back to the browser."""
    from contactpoint.hardware.audio import AudioError
    from flask import send_file

    _lang(lang)
    text_id = request.args.get("text_id", "")
    if text_id not in ("question", "thanks"):
        abort(404)
    text = satisfaction.spoken(thanks=text_id == "thanks")
    box = current_box()
    try:
        path = (box.kiosk_announcer or box.announcer).render(text, lang)  # the kiosk's voices and capped cache
    except AudioError:
        return jsonify(error="speech_unavailable", text=text), 503
    return send_file(path, mimetype="audio/wav", max_age=3600)

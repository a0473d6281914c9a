"""The phone's satisfaction question: once the visit ended, `/t/<token>` asks "How was your visit today?" once.

Two ways in, the same rule (domain/feedback.py, channel `phone`: the answer takes the visit's need and outcome;
a second answer for the same visit is refused with `feedback_already_given`, 409):

- `POST /t/<token>/feedback`, a form (the page works without JavaScript): 303 back to the page, which then says
  thanks; a refusal renders the page with the message in the visitor's language and its 4xx status.
- `POST /t/<token>/api/feedback`, JSON `{"score": 1-4}` (phone.js): 201 `{"counted": true}`, or a 4xx JSON error
  with the message in the visitor's language.

The token is the secret (only that visitor's phone has it); a request from another site's page (its Origin) is
refused besides.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from contactpoint.phone import NAMESPACE, _gone, bp, phone_view, question_context, ticket_for
from flask import abort, current_app, g, jsonify, redirect, render_template, request

from contactpoint.box import current_box
from contactpoint.domain.errors import CommandError
from contactpoint.messages import message


def _ticket_lang(token: str) -> Any:
    cp = current_box()
    t = ticket_for(cp, token)
    if t is not None:
        g.lang = t.lang if t.lang in cp.site.languages else cp.site.default_language
    origin = request.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != request.host:
        abort(403)
    return t


def _score(raw: Any) -> Any:
    if isinstance(raw, str) and raw.isdigit():
        return int(raw)
    return raw


@bp.post("/<token>/api/feedback")
def api_feedback(token: str) -> Any:
    t = _ticket_lang(token)
    if t is None:
        abort(404)
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        abort(400)
    current_box().engine.give_feedback(score=body.get("score"), channel="phone", ticket=t.id)
    return jsonify(counted=True), 201


@bp.post("/<token>/feedback")
def form_feedback(token: str) -> Any:
    t = _ticket_lang(token)
    if t is None:
        return _gone()
    try:
        current_box().engine.give_feedback(score=_score(request.form.get("score")), channel="phone", ticket=t.id)
    except CommandError as e:
        view = phone_view(current_app._get_current_object(), t.id)  # type: ignore[attr-defined]
        if view is None:
            return _gone()
        page = render_template(
            "phone/ticket.html",
            site=current_box().site,
            view=view,
            config={"token": token, "stateUrl": f"{bp.url_prefix}/{token}/state", "namespace": NAMESPACE,
                    "feedbackUrl": f"{bp.url_prefix}/{token}/api/feedback"},
            **question_context(token, message(e.key)),
        )
        return page, e.status
    return redirect(f"{bp.url_prefix}/{token}", code=303)

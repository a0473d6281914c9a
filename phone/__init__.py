"""The visitor's phone: `/t/<token>` follows one ticket live (the QR code on the ticket leads here).

The page is tiny and readable on a cheap phone, in the ticket's language (right to left for Arabic). It
shows the number, the position, an honest estimate, and the call the moment it happens. It keeps itself
in sync over the Socket.IO namespace `/t`: a phone joins the room of its own ticket only, by presenting the
ticket's token when it connects; each change of that ticket's public view is pushed to that room as one
whole view with the `seq` it is current to, and on every connect or reconnect the page takes the view again
from `/t/<token>/state`. Nothing of another ticket ever reaches a room.

The token (``secrets.token_urlsafe``) is unguessable and is not the ticket number; it is looked up with
constant-time comparisons, and it stops working at day close, when the ticket leaves the live state.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Blueprint, Flask, abort, current_app, g, jsonify, render_template, request
from flask_babel import force_locale, gettext
from flask_socketio import ConnectionRefusedError, Namespace, SocketIO, join_room

from contactpoint.box import Box, box_of, current_box
from contactpoint.bus import Published
from contactpoint.domain.model import WAITING, Ticket, TicketState
from contactpoint.guard import json_view
from contactpoint.i18n import place_phrases
from contactpoint.satisfaction import FACES, QUESTION, THANKS

bp = Blueprint(
    "phone", __name__, url_prefix="/t", template_folder="templates", static_folder="static", static_url_path="/static"
)
NAMESPACE = "/t"



def ticket_for(cp: Box, token: Any) -> Ticket | None:
    """The live ticket with this token, or None (malformed, unknown, or its day closed)."""
    t: Ticket | None = cp.engine.ticket_by_token(token)  # the token's shape checked, then constant-time comparisons
    return t


def room(ticket_id: str) -> str:
    return f"t:{ticket_id}"


def phone_view(app: Flask, ticket_id: str) -> dict[str, Any] | None:
    """What the phone shows, labels already in the visitor's language; None when the ticket is gone."""
    cp = box_of(app)
    followed = cp.engine.follow(ticket_id)  # the view and the seq it is current to, read together
    if followed is None:
        return None
    seq, t, view = followed.seq, followed.ticket, followed.view
    site = cp.site
    need = site.need(t.need)
    counter = site.counter(t.counter) if t.counter else None
    counter_label = counter.label if counter else (t.counter or "")
    ahead, est = view.ahead, view.estimate_s
    waiting = t.state in WAITING
    with app.app_context(), force_locale(t.lang):
        if t.state == TicketState.CALLED:
            status = gettext("It's your turn: counter %(counter)s", counter=counter_label)
        elif t.state == TicketState.SERVING:
            status = gettext("You are being served at counter %(counter)s", counter=counter_label)
        elif t.state == TicketState.DONE:
            status = gettext("Your visit is finished. Thank you!")
        elif t.state == TicketState.NO_SHOW:
            status = gettext("You were called but did not come. Please ask at the reception.")
        elif t.state == TicketState.CANCELLED:
            status = gettext("This ticket was cancelled.")
        else:
            status = gettext("Please wait: your number will be called.")
        position = ""
        estimate = ""
        if waiting:
            position, estimate = place_phrases(ahead, est)
    return {
        "seq": seq,
        "number": t.number,
        "need": need.name(t.lang) if need else t.need,
        "lang": t.lang,
        "state": str(t.state),
        "counter": counter_label if t.state in (TicketState.CALLED, TicketState.SERVING) else None,
        "calls": t.calls,
        "ahead": ahead if waiting else None,
        "estimate_s": est if waiting else None,
        "labels": {"status": status, "position": position, "estimate": estimate},
        # the satisfaction question, asked once the visit ended, until it is answered (phone/feedback.py)
        "question": t.state == TicketState.DONE and not cp.engine.answered(t.id),
        "answered": cp.engine.answered(t.id),
    }


def question_context(token: str, error: str | None = None) -> dict[str, Any]:
    """What the ticket page needs to ask the satisfaction question (the form works without JavaScript)."""
    return {"faces": FACES, "question": QUESTION, "thanks": THANKS, "feedback_error": error,
            "feedback_action": f"{bp.url_prefix}/{token}/feedback"}


def _gone() -> Any:
    """The clear 404 page in the site's default language: the ticket is unknown or its day is over."""
    g.lang = current_box().site.default_language
    resp = current_app.make_response((render_template("phone/gone.html", site=current_box().site), 404))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/<token>")
def ticket(token: str) -> Any:
    cp = current_box()
    t = ticket_for(cp, token)
    if t is None:
        return _gone()
    view = phone_view(current_app._get_current_object(), t.id)  # type: ignore[attr-defined]
    if view is None:
        return _gone()
    g.lang = t.lang if t.lang in cp.site.languages else cp.site.default_language
    resp = current_app.make_response(
        render_template(
            "phone/ticket.html",
            site=cp.site,
            view=view,
            config={"token": token, "stateUrl": request.path + "/state", "namespace": NAMESPACE,
                    "feedbackUrl": request.path + "/api/feedback"},
            **question_context(token),
        )
    )
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/<token>/state")
@json_view
def state(token: str) -> Any:
    cp = current_box()
    t = ticket_for(cp, token)
    view = phone_view(current_app._get_current_object(), t.id) if t else None  # type: ignore[attr-defined]
    if view is None:
        abort(404)
    resp = jsonify(view)
    resp.headers["Cache-Control"] = "no-store"
    return resp


class Followers:
    """Which connected phone follows which ticket, and the last view pushed to each ticket's room."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_sid: dict[str, str] = {}
        self.last: dict[str, dict[str, Any]] = {}

    def add(self, sid: str, ticket_id: str) -> None:
        with self.lock:
            self.by_sid[sid] = ticket_id

    def remove(self, sid: str) -> None:
        with self.lock:
            tid = self.by_sid.pop(sid, None)
            if tid is not None and tid not in self.by_sid.values():
                self.last.pop(tid, None)

    def tickets(self) -> set[str]:
        with self.lock:
            return set(self.by_sid.values())


class PhoneNamespace(Namespace):
    def __init__(self, namespace: str, app: Flask, followers: Followers) -> None:
        super().__init__(namespace)
        self.app = app
        self.followers = followers

    def on_connect(self, auth: Any = None) -> None:
        token = auth.get("token") if isinstance(auth, dict) else None
        t = ticket_for(box_of(self.app), token)
        if t is None:
            raise ConnectionRefusedError("ticket_not_valid")
        join_room(room(t.id))
        self.followers.add(request.sid, t.id)  # type: ignore[attr-defined]

    def on_disconnect(self, reason: Any = None) -> None:
        self.followers.remove(request.sid)  # type: ignore[attr-defined]


def make_hook(app: Flask, socketio: SocketIO, followers: Followers) -> Any:
    def push(batch: list[Published]) -> None:
        """After each broadcast batch: push each followed ticket's view to its room, if it changed."""
        for tid in followers.tickets():
            view = phone_view(app, tid)
            if view is None:
                socketio.emit("gone", {}, to=room(tid), namespace=NAMESPACE)
                with followers.lock:
                    followers.last.pop(tid, None)
                continue
            same = {k: v for k, v in view.items() if k not in ("seq", "estimate_s")}  # the label says it in minutes
            with followers.lock:
                if followers.last.get(tid) == same:
                    continue
                followers.last[tid] = same
            socketio.emit("ticket", view, to=room(tid), namespace=NAMESPACE)

    return push


def init_app(app: Flask, socketio: SocketIO) -> None:
    from contactpoint.phone import feedback  # noqa: F401 - the question's routes, on this blueprint

    app.register_blueprint(bp)
    followers = Followers()
    box_of(app).phones = followers
    socketio.on_namespace(PhoneNamespace(NAMESPACE, app, followers))
    box_of(app).engine.bus.subscribe(make_hook(app, socketio, followers), when="broadcast")

"""The counter console: agents log in, open a counter, call, serve, transfer and close visits."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_socketio import ConnectionRefusedError, Namespace, SocketIO

from contactpoint import auth
from contactpoint.domain import commands
from contactpoint.domain.model import Outcome
from contactpoint.messages import MESSAGES, message

bp = Blueprint("counter", __name__, url_prefix="/counter", template_folder="templates", static_folder="static")


def _cp() -> Any:
    return current_app.extensions["contactpoint"]


def my_counter() -> str | None:
    agent = auth.current_agent()
    for c in _cp().engine.state.counters.values():
        if c.open and c.agent == agent:
            return str(c.id)
    return None


@bp.get("/login")
def login_form() -> Any:
    return render_template("counter/login.html", site=_cp().site, error=None)


@bp.post("/login")
def login() -> Any:
    name = request.form.get("name", "").strip()
    password = request.form.get("password", "")
    role = auth.check_login(name, password) if name and password else None
    if role is None:
        return render_template("counter/login.html", site=_cp().site, error=message("login_failed"), name=name), 401
    auth.log_in(name, role)
    return redirect(url_for("counter.console"), code=303)


@bp.post("/logout")
def logout() -> Any:
    if auth.current_agent() and not auth.check_csrf():
        abort(403)
    session.clear()
    return redirect(url_for("counter.login_form"), code=303)


@bp.get("/")
def console() -> Any:
    if auth.current_agent() is None:
        return redirect(url_for("counter.login_form"))
    cp = _cp()
    site = cp.site
    return render_template(
        "counter/console.html",
        site=site,
        agent=auth.current_agent(),
        csrf=auth.csrf_token(),
        outcomes=[o.value for o in Outcome],
        config={
            "agent": auth.current_agent(),
            "needs": [
                {"id": n.id, "prefix": n.prefix, "name": n.name(str(g.get("lang") or site.default_language))}
                for n in site.needs
            ],
            "counters": [{"id": c.id, "label": c.label} for c in site.counters],
            "messages": {k: str(v) for k, v in MESSAGES.items()},
        },
    )


@bp.get("/api/state")
@auth.agent_required
def state() -> Any:
    from contactpoint.api import full_state

    resp = jsonify(full_state())
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if body is None and not request.data:
        return {}
    if not isinstance(body, dict):
        abort(400)
    return body


def _str(body: dict[str, Any], name: str, required: bool = False) -> str | None:
    v = body.get(name)
    if v is None or v == "":
        if required:
            abort(400)
        return None
    if not isinstance(v, str):
        abort(400)
    return v


def _need_counter() -> str:
    c = my_counter()
    if c is None:
        from contactpoint.domain.errors import CommandError

        raise CommandError("counter_not_open")
    return c


def _done(events: list[Any]) -> Any:
    cp = _cp()
    return jsonify(ok=True, seq=cp.engine.state.seq, events=[e.type for e in events])


@bp.post("/api/<command>")
@auth.agent_required
def api(command: str) -> Any:
    cp = _cp()
    run = cp.engine.run
    body = _body()
    agent = auth.current_agent()
    if command == "open":
        needs = body.get("needs")
        if not isinstance(needs, list) or not all(isinstance(n, str) for n in needs):
            abort(400)
        return _done(run(commands.open_counter, counter=_str(body, "counter", True), agent=agent, needs=needs))
    if command == "rejoin":
        return _done(run(commands.rejoin, ticket=_str(body, "ticket", True)))
    if command == "cancel":
        return _done(run(commands.cancel, ticket=_str(body, "ticket", True), reason=_str(body, "reason")))
    counter = _need_counter()
    simple = {
        "close": commands.close_counter,
        "call-next": commands.call_next,
        "recall": commands.recall,
        "start": commands.start_service,
        "no-show": commands.no_show,
        "resume": commands.resume,
        "help": commands.request_help,
        "help-clear": commands.clear_help,
    }
    if command in simple:
        return _done(run(simple[command], counter=counter))
    if command == "call":
        return _done(
            run(
                commands.call_ticket,
                counter=counter,
                ticket=_str(body, "ticket", True),
                reason=_str(body, "reason") or "",
            )
        )
    if command == "finish":
        return _done(
            run(commands.finish, counter=counter, outcome=_str(body, "outcome", True), referral=_str(body, "referral"))
        )
    if command == "pause":
        return _done(run(commands.pause, counter=counter, reason=_str(body, "reason")))
    if command == "transfer":
        return _done(
            run(
                commands.transfer,
                counter=counter,
                need=_str(body, "need"),
                to_counter=_str(body, "to_counter"),
                to_agent=_str(body, "to_agent"),
                note=_str(body, "note"),
            )
        )
    abort(404)


class CounterNamespace(Namespace):
    def on_connect(self, auth_data: Any = None) -> None:
        if auth.current_agent() is None:  # the Flask session of the page's cookie
            raise ConnectionRefusedError("login_required")


def init_app(app: Flask, socketio: SocketIO) -> None:
    app.register_blueprint(bp)
    socketio.on_namespace(CounterNamespace("/counter"))

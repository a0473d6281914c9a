"""The counter console: agents log in, open a counter, call, serve, transfer and close visits.

The manager's page of agent accounts is `/manage/agents` (manage/agents.py). Every action is a POST to
`/counter/api/<command>` with the session's CSRF token; the console keeps in sync over the `/counter` namespace.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_socketio import ConnectionRefusedError, Namespace, SocketIO

from contactpoint import auth
from contactpoint.domain import commands
from contactpoint.domain.errors import CommandError
from contactpoint.domain.model import Outcome, TicketState
from contactpoint.domain.ordering import ordered
from contactpoint.messages import MESSAGES, message

bp = Blueprint("counter", __name__, url_prefix="/counter", template_folder="templates", static_folder="static")

# names the agent reads: never a raw state or outcome key on screen
STATE_NAMES = {
    TicketState.ISSUED: _l("waiting"),
    TicketState.CALLED: _l("called"),
    TicketState.SERVING: _l("being served"),
    TicketState.DONE: _l("finished"),
    TicketState.NO_SHOW: _l("absent"),
    TicketState.CANCELLED: _l("cancelled"),
    TicketState.TRANSFERRED: _l("transferred, waiting"),
}
OUTCOME_NAMES = {
    Outcome.RESOLVED: _l("Resolved here"),
    Outcome.REFERRED: _l("Referred elsewhere"),
    Outcome.APPOINTMENT: _l("Appointment made"),
    Outcome.ONLINE_HELP: _l("Helped online"),
    Outcome.ESCALATED: _l("Escalated to second line"),
}
PAUSE_REASONS = (_l("Break"), _l("Lunch"), _l("Back-office work"), _l("Phone call"), _l("Meeting"))
CANCEL_REASONS = (_l("Left before being called"), _l("Ticket taken by mistake"), _l("Duplicate ticket"))
CLOSE_REASONS = (_l("The agent has left"), _l("Their console does not answer"))
ORG_KINDS = {
    "social_welfare": _l("Social welfare (CPAS/OCMW)"),
    "housing": _l("Housing"),
    "employment": _l("Employment"),
    "tax": _l("Taxes"),
    "health": _l("Health"),
    "legal": _l("Legal aid"),
    "civil_status": _l("Civil status"),
    "other": _l("Other"),
}


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
    if auth.current_agent() is not None:
        return redirect(url_for("counter.console"))
    return render_template("counter/login.html", site=_cp().site, error=None)


@bp.post("/login")
def login() -> Any:
    name = auth.form_name(request.form.get("name", ""))
    refused = auth.login_form_refused("counter/login.html", site=_cp().site, name=name)
    if refused is not None:
        return refused
    role, wait = auth.attempt_login(name, request.form.get("password", ""))
    if wait > 0:
        return auth.throttled_login_page("counter/login.html", wait, site=_cp().site, name=name)
    if role is None:
        return render_template("counter/login.html", site=_cp().site, error=message("login_failed"), name=name), 401
    auth.log_in(name, role)
    return redirect(url_for("counter.console"), code=303)


def release_counters_of(name: str, cause: str, by: str | None = None) -> None:
    """Close the counter an agent works at, if any (logout, account disabled): a visitor at it goes back to
    their need's queue at their place."""
    cp = _cp()
    for c in list(cp.engine.state.counters.values()):
        if c.open and c.agent == name:
            try:  # the command checks again, under the engine's lock, that it is still this agent's counter
                cp.engine.run(commands.release_counter, counter=c.id, cause=cause, agent=name, by=by)
            except CommandError:
                pass  # closed or taken over meanwhile: nothing left to close


@bp.post("/logout")
def logout() -> Any:
    name = auth.current_agent()
    if name and not auth.check_csrf():
        abort(403)
    if name:
        release_counters_of(name, "logout", by=name)  # logging out is leaving the counter
        key = auth.session_info()
        ns = current_app.extensions.get("counter_namespace")
        if ns is not None and key is not None:
            ns.drop_session(key.key)  # the session's other tabs stop receiving at once
    auth.log_out()
    return redirect(url_for("counter.login_form"), code=303)


def console_config() -> dict[str, Any]:
    site = _cp().site
    lang = str(get_locale() or site.default_language)
    p = site.policy
    return {
        "agent": auth.current_agent(),
        "role": auth.current_role(),
        "needs": [{"id": n.id, "prefix": n.prefix, "name": n.name(lang)} for n in site.needs],
        "counters": [{"id": c.id, "label": c.label} for c in site.counters],
        "organisations": [
            {"id": o.id, "kind": o.kind, "kind_name": str(ORG_KINDS.get(o.kind, o.kind)), "name": o.name}
            for o in site.organisations
        ],
        # the core's ordering (contactpoint/domain/ordering.py sort_key) needs only these numbers
        "policy": {
            "priority_advance_s": p.priority_advance_s,
            "appointment_advance_s": p.appointment_advance_s,
            "no_show_grace_s": p.no_show_grace_s,
        },
        "states": {k.value: str(v) for k, v in STATE_NAMES.items()},
        "outcomes": {k.value: str(v) for k, v in OUTCOME_NAMES.items()},
        "messages": {k: str(v) for k, v in MESSAGES.items()},
        "urls": {
            "api": url_for("counter.api", command="X")[:-1],
            "state": url_for("counter.state"),
            "login": url_for("counter.login_form"),
            "slip": "/api/print/slip",
            "reprint": "/api/print/reprint",
        },
    }


@bp.get("/")
def console() -> Any:
    if auth.current_agent() is None:
        return redirect(url_for("counter.login_form"))
    return render_template(
        "counter/console.html",
        site=_cp().site,
        agent=auth.current_agent(),
        role=auth.current_role(),
        csrf=auth.csrf_token(),
        outcomes=list(OUTCOME_NAMES.items()),
        pause_reasons=[str(r) for r in PAUSE_REASONS],
        cancel_reasons=[str(r) for r in CANCEL_REASONS],
        close_reasons=[str(r) for r in CLOSE_REASONS],
        config=console_config(),
    )


@bp.get("/api/state")
@auth.agent_required
def state() -> Any:
    from contactpoint.api import full_state

    cp = _cp()
    snap = full_state()
    with cp.engine.lock:  # the calling order, as the core computes it (the console's own sort is checked against it)
        snap["order"] = [t.id for t in ordered(cp.engine.state.tickets.values(), cp.site.policy)]
        # the names today's appointments keep (only needs with appointment_name): the agent greets the visitor
        snap["names"] = {
            a.id: a.name for a in cp.engine.state.appointments.values() if a.name and a.day == snap["day"]
        }
    resp = jsonify(snap)
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
        reason = _str(body, "reason")
        if not reason or not reason.strip():
            raise CommandError("reason_required", 400)
        return _done(run(commands.cancel, ticket=_str(body, "ticket", True), reason=reason, agent=agent))
    if command == "close-other":  # a colleague's counter (their console died, they left): reason required, logged
        return _done(
            run(
                commands.release_counter,
                counter=_str(body, "counter", True),
                agent=_str(body, "agent", True),
                cause="colleague",
                by=agent,
                reason=_str(body, "reason") or "",
            )
        )
    # the counter this agent works at; every command below checks again, inside the engine's lock, that the
    # counter is still theirs (a colleague may have closed it and another agent opened it meanwhile)
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
        return _done(run(simple[command], counter=counter, agent=agent))
    if command == "call":
        return _done(
            run(
                commands.call_ticket,
                counter=counter,
                ticket=_str(body, "ticket", True),
                reason=_str(body, "reason") or "",
                agent=agent,
            )
        )
    if command == "finish":
        outcome = _str(body, "outcome", True)
        referral = _str(body, "referral")
        if outcome == Outcome.REFERRED:
            if referral is None:
                raise CommandError("referral_required", 400)
            if cp.site.organisations and cp.site.organisation(referral) is None:
                raise CommandError("unknown_organisation", 400)
        return _done(run(commands.finish, counter=counter, outcome=outcome, referral=referral, agent=agent))
    if command == "pause":
        return _done(run(commands.pause, counter=counter, reason=_str(body, "reason"), agent=agent))
    if command == "transfer":
        return _done(
            run(
                commands.transfer,
                counter=counter,
                need=_str(body, "need"),
                to_counter=_str(body, "to_counter"),
                to_agent=_str(body, "to_agent"),
                note=_str(body, "note"),
                agent=agent,
            )
        )
    abort(404)


@bp.get("/agents")
def agents() -> Any:
    """The agents' accounts moved to the manager's pages; an old bookmark still arrives there."""
    return redirect(url_for("manage.agents"), code=301)


CONSOLE_SWEEP_S = 30.0


class CounterNamespace(Namespace):
    """Agents only. A socket whose session ends is closed: at once when its account is disabled from the
    manager's page or the session logs out, else at the next sweep (every `CONSOLE_SWEEP_S` seconds: 10 h after
    login, idle too long, password changed, account disabled from the command line)."""

    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self.sids: dict[str, auth.SessionInfo] = {}

    def on_connect(self, auth_data: Any = None) -> None:
        name = auth.current_agent()  # the Flask session of the page's cookie
        info = auth.session_info()
        if name is None or info is None:
            raise ConnectionRefusedError("login_required")
        self.sids[request.sid] = info  # type: ignore[attr-defined]

    def on_disconnect(self, reason: Any = None) -> None:
        self.sids.pop(request.sid, None)  # type: ignore[attr-defined]

    def _drop(self, sids: list[str]) -> None:
        for sid in sids:
            self.sids.pop(sid, None)
            self.socketio.server.disconnect(sid, namespace=self.namespace)

    def drop_agent(self, name: str) -> None:
        self._drop([sid for sid, info in list(self.sids.items()) if info.agent == name])

    def drop_session(self, key: str) -> None:
        self._drop([sid for sid, info in list(self.sids.items()) if info.key == key])

    def sweep(self, app: Flask) -> list[str]:
        """Close the sockets of sessions that have ended, and the counters of accounts that were disabled or
        deleted (the command line writes the accounts from another process). Returns the sids closed."""
        with app.app_context():
            cp = app.extensions["contactpoint"]
            now = cp.engine.clock()
            ended = [sid for sid, info in list(self.sids.items()) if auth.session_ended(info, now)]
            self._drop(ended)
            for c in list(cp.engine.state.counters.values()):
                if c.open and c.agent:
                    row = cp.store.agent(c.agent)
                    if row is None or not row[2]:
                        release_counters_of(c.agent, "disabled")
        return ended


def init_app(app: Flask, socketio: SocketIO) -> None:
    app.register_blueprint(bp)
    ns = CounterNamespace("/counter")
    app.extensions["counter_namespace"] = ns
    socketio.on_namespace(ns)

    def sweeper() -> None:
        import logging
        import time

        every = float(app.config.get("CONSOLE_SWEEP_S", CONSOLE_SWEEP_S))
        while True:
            time.sleep(every)
            try:
                ns.sweep(app)
            except Exception:  # the sweep must never die
                logging.getLogger(__name__).exception("console sweep failed")

    # started by the server (contactpoint/server.py), not by tests' apps
    app.extensions.setdefault("background_tasks", []).append(lambda: socketio.start_background_task(sweeper))

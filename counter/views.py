"""The counter's pages: agents log in, open a counter, call, serve, transfer and close visits.

Every action is a POST to `/counter/api/<command>` with the session's CSRF token; the counter page keeps in sync over
the `/counter` namespace (counter/namespace.py). The manager's agent accounts are in manage/agents.py.
"""

from __future__ import annotations

from typing import Any

from contactpoint.counter.screens import (
    CANCEL_REASONS,
    CHANNEL_NAMES,
    CLOSE_REASONS,
    ORG_KINDS,
    OUTCOME_NAMES,
    PAUSE_REASONS,
    STATE_NAMES,
)
from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale

from contactpoint import auth
from contactpoint.box import current_box
from contactpoint.domain import commands
from contactpoint.domain.errors import CommandError
from contactpoint.domain.model import Outcome
from contactpoint.messages import MESSAGES, message

bp = Blueprint("counter", __name__, url_prefix="/counter", template_folder="templates", static_folder="static")

def my_counter() -> str | None:
    c = current_box().engine.counter_of(auth.current_agent())
    return None if c is None else str(c.id)


@bp.get("/login")
def login_form() -> Any:
    if auth.current_agent() is not None:
        return redirect(url_for("counter.page"))
    return render_template("counter/login.html", site=current_box().site, error=None)


@bp.post("/login")
def login() -> Any:
    name = auth.form_name(request.form.get("name", ""))
    refused = auth.login_form_refused("counter/login.html", site=current_box().site, name=name)
    if refused is not None:
        return refused
    role, wait = auth.attempt_login(name, request.form.get("password", ""))
    if wait > 0:
        return auth.throttled_login_page("counter/login.html", wait, site=current_box().site, name=name)
    if role is None:
        page = render_template("counter/login.html", site=current_box().site, error=message("login_failed"), name=name)
        return page, 401
    auth.log_in(name, role)
    return redirect(url_for("counter.page"), code=303)


@bp.post("/logout")
def logout() -> Any:
    name = auth.current_agent()
    if name and not auth.check_csrf():
        abort(403)
    if name:
        current_box().engine.release_counters_of(name, "logout", by=name)  # logging out is leaving the counter
        key = auth.session_info()
        ns = current_box().counters_ns
        if ns is not None and key is not None:
            ns.drop_session(key.key)  # the session's other tabs stop receiving at once
    auth.log_out()
    return redirect(url_for("counter.login_form"), code=303)


def counter_config() -> dict[str, Any]:
    site = current_box().site
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
def page() -> Any:
    if auth.current_agent() is None:
        return redirect(url_for("counter.login_form"))
    return render_template(
        "counter/counter.html",
        site=current_box().site,
        agent=auth.current_agent(),
        role=auth.current_role(),
        csrf=auth.csrf_token(),
        outcomes=list(OUTCOME_NAMES.items()),
        pause_reasons=[str(r) for r in PAUSE_REASONS],
        cancel_reasons=[str(r) for r in CANCEL_REASONS],
        close_reasons=[str(r) for r in CLOSE_REASONS],
        channels=[(k, str(v)) for k, v in CHANNEL_NAMES.items()],
        config=counter_config(),
    )


@bp.get("/api/state")
@auth.agent_required
def state() -> Any:
    from contactpoint.api import full_state

    cp = current_box()
    snap = full_state()
    # the calling order, as the core computes it (the counter page's own sort is checked against it)
    snap["order"] = list(cp.engine.calling_order())
    # the names today's appointments keep (only needs with appointment_name): the agent greets the visitor
    snap["names"] = cp.engine.appointment_names(snap["day"])
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
    cp = current_box()
    return jsonify(ok=True, seq=cp.engine.seq(), events=[e.type for e in events])


@bp.post("/api/<command>")
@auth.agent_required
def api(command: str) -> Any:
    cp = current_box()
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
    if command == "close-other":  # a colleague's counter (their counter page died, they left): reason required, logged
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
    if command == "contact":  # a contact by phone, email or at the desk, without a ticket (domain/contacts.py)
        return _done(
            cp.engine.log_contact(
                counter=counter,
                channel=_str(body, "channel", True),
                need=_str(body, "need", True),
                outcome=_str(body, "outcome", True),
                referral=_str(body, "referral"),
                agent=agent,
            )
        )
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

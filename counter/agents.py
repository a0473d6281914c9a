"""The manager's page of agent accounts (`/counter/agents`): create an account (its password shown once),
disable or enable one (a disabled agent's counter is closed and their sockets dropped at once)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import abort, redirect, render_template, request, url_for

from contactpoint import auth
from contactpoint.box import current_box
from contactpoint.messages import message
from counter.views import bp, release_counters_of


def _agents_page(status: int = 200, **extra: Any) -> Any:
    cp = current_box()
    working = {c.agent: c.id for c in cp.engine.counters() if c.open and c.agent}
    return (
        render_template(
            "counter/agents.html",
            site=cp.site,
            agent=auth.current_agent(),
            csrf=auth.csrf_token(),
            agents=cp.store.agents(),
            roles=auth.ROLES,
            working=working,
            **extra,
        ),
        status,
    )


# passwords just created, shown once: the redirect after the POST carries a random key, the first GET pops it
# (so a reload shows nothing and never creates a second password; the password never sits in a cookie)
_ONE_TIME: dict[str, dict[str, str]] = {}


@bp.get("/agents")
@auth.role_required("manager")
def agents() -> Any:
    created = _ONE_TIME.pop(request.args.get("created", ""), None)
    if created is not None and created.pop("by") != auth.current_agent():
        created = None
    resp = _agents_page(created=created)
    return resp[0], resp[1], {"Cache-Control": "no-store"}


@bp.post("/agents")
@auth.role_required("manager")
def agents_create() -> Any:
    name = auth.form_name(request.form.get("name", ""))
    role = request.form.get("role", "agent")
    if not auth.valid_name(name):
        return _agents_page(400, error=message("bad_agent_name"), name=name)
    if role not in auth.ROLES:
        abort(400)
    password = auth.new_password()
    cp = current_box()
    cp.store.add_agent(name, auth.hash_password(password), role, cp.engine.clock())
    if len(_ONE_TIME) > 100:
        _ONE_TIME.clear()
    key = secrets.token_urlsafe(16)
    _ONE_TIME[key] = {"name": name, "role": role, "password": password, "by": auth.current_agent() or ""}
    return redirect(url_for("counter.agents", created=key), code=303)


@bp.post("/agents/<name>/<action>")
@auth.role_required("manager")
def agents_set_active(name: str, action: str) -> Any:
    if action not in ("disable", "enable"):
        abort(404)
    if action == "disable" and name == auth.current_agent():
        return _agents_page(400, error=message("cannot_disable_self"))
    if not current_box().store.set_agent_active(name, action == "enable"):
        abort(404)
    if action == "disable":
        release_counters_of(name, "disabled", by=auth.current_agent())  # nobody else could ever close it
        ns = current_box().console
        if ns is not None:
            ns.drop_agent(name)
    return redirect(url_for("counter.agents"), code=303)

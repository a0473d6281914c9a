"""The manager's page of agent accounts (`/manage/agents`): create one (or a new password), disable, enable, and
unlock an account the login throttle holds. Managers only; every form carries the session's CSRF token.
"""

from __future__ import annotations

import math
import secrets
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from contactpoint import auth
from contactpoint.box import current_box
from contactpoint.domain.settings import agent_changed
from contactpoint.messages import message

from . import bp, manager_required

ROLE_LABELS = {"agent": _l("agent"), "manager": _l("manager"), "technician": _l("technician")}


def _audit(name: str, change: str, role: str | None) -> None:
    """The account lives in the agents table; the log keeps who changed it, when (`agent_changed`)."""
    current_box().engine.run(agent_changed, agent=name, change=change, role=role, by=auth.current_agent() or "")


def _show_once(name: str, role: str, password: str) -> Any:
    if len(_ONE_TIME) > 100:
        _ONE_TIME.clear()
    key = secrets.token_urlsafe(16)
    _ONE_TIME[key] = {"name": name, "role": role, "password": password, "by": auth.current_agent() or ""}
    return redirect(url_for("manage.agents", created=key), code=303)


# passwords just created, shown once: the redirect after the POST carries a random key, the first GET pops it
# (so a reload shows nothing and never creates a second password; the password never sits in a cookie)
_ONE_TIME: dict[str, dict[str, str]] = {}


def _page(status: int = 200, **extra: Any) -> Any:
    cp = current_box()
    now = cp.engine.clock()
    working = {c.agent: c.id for c in cp.engine.counters() if c.open and c.agent}
    waits: dict[str, float] = {}  # the throttle's names are case-folded: its longest wait per account
    for held in auth.login_throttle().locked(now):
        waits.setdefault(held.name, held.wait)
    accounts = cp.store.agents()
    locked = {n: math.ceil(waits[n.casefold()] / 60) for n, _role, _active in accounts if n.casefold() in waits}
    html = render_template(
        "manage/agents.html",
        site=cp.site,
        agent=auth.current_agent(),
        csrf=auth.csrf_token(),
        agents=accounts,
        roles=auth.ROLES,
        working=working,
        locked=locked,
        **extra,
    )
    return html, status, {"Cache-Control": "no-store"}


@bp.get("/agents")
@manager_required
def agents() -> Any:
    created = _ONE_TIME.pop(request.args.get("created", ""), None)
    if created is not None and created.pop("by") != auth.current_agent():
        created = None
    return _page(created=created)


@bp.post("/agents")
@manager_required
def agents_create() -> Any:
    name = auth.form_name(request.form.get("name", ""))
    role = request.form.get("role", "agent")
    if not auth.valid_name(name):
        return _page(400, error=message("bad_agent_name"), name=name)
    if role not in auth.ROLES:
        abort(400)
    password = auth.new_password()
    cp = current_box()
    existed = cp.store.agent(name) is not None
    cp.store.add_agent(name, auth.hash_password(password), role, cp.engine.clock())
    _audit(name, "password_reset" if existed else "added", role)
    return _show_once(name, role, password)


@bp.post("/agents/<name>/<action>")
@manager_required
def agents_action(name: str, action: str) -> Any:
    if action == "unlock":
        if current_box().store.agent(name) is None:
            abort(404)
        auth.unlock(name, by=auth.current_agent() or "")
        flash(_("%(name)s can log in again at once, from every address.", name=name), "ok")
        return redirect(url_for("manage.agents"), code=303)
    if action in ("reset", "role"):
        return _reset_or_role(name, action)
    if action not in ("disable", "enable"):
        abort(404)
    if action == "disable" and name == auth.current_agent():
        return _page(400, error=message("cannot_disable_self"))
    if not current_box().store.set_agent_active(name, action == "enable"):
        abort(404)
    _audit(name, "disabled" if action == "disable" else "enabled", None)
    if action == "disable":
        # nobody else could ever close it
        current_box().engine.release_counters_of(name, "disabled", by=auth.current_agent())
        ns = current_box().counters_ns
        if ns is not None:
            ns.drop_agent(name)
    return redirect(url_for("manage.agents"), code=303)


def _reset_or_role(name: str, action: str) -> Any:
    """A new password (shown once), or another role; an account's own manager keeps their role."""
    cp = current_box()
    account = cp.store.agent(name)
    if account is None:
        abort(404)
    _hash, role, _active = account
    if name == auth.current_agent():  # a new password would end this very session before it is shown
        return _page(400, error=message("cannot_change_own_role" if action == "role" else "forbidden"))
    if action == "reset":
        password = auth.new_password()
        auth.set_password(cp.store, name, password)
        _audit(name, "password_reset", role)
        return _show_once(name, role, password)
    new_role = request.form.get("role", "")
    if new_role not in auth.ROLES:
        return _page(400, error=message("unknown_role"))
    if new_role != role:
        auth.set_role(cp.store, name, new_role)
        _audit(name, "role_changed", new_role)
        flash(_("%(name)s is now %(role)s.", name=name, role=ROLE_LABELS[new_role]), "ok")
    return redirect(url_for("manage.agents"), code=303)

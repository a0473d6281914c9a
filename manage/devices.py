"""The devices page (`/manage/devices`, technicians and managers): the pairing codes waiting for approval
(approve with a role and a name, or refuse), and the paired devices with their last contact, page, version and
whether they are connected now (their live Socket.IO connections); revoke one. See docs/devices.md.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _

from contactpoint import auth
from contactpoint.box import current_box
from contactpoint.domain import devices as dv
from contactpoint.domain.errors import CommandError
from contactpoint.messages import message
from contactpoint.pairing import ROLE_LABELS, devices_of, mode
from contactpoint.pairing_sockets import connected_of, drop, log_changes

from . import bp

F = TypeVar("F", bound=Callable[..., Any])
BROWSER = re.compile(r"(Firefox|Edg|OPR|Chromium|Chrome|Safari)/(\d+)")


def devices_role_required(view: F) -> F:
    """Technicians and managers (role read from the account, CSRF); a stranger gets the login page."""
    guarded = auth.role_required("technician", "manager")(view)

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if auth.current_agent() is None:
            return redirect(url_for("manage.login", next=request.path))
        return guarded(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def browser_of(user_agent: str | None) -> str:
    """"Chrome 120" from a User-Agent (the full string is in the cell's title)."""
    if not user_agent:
        return "—"
    found = dict(BROWSER.findall(user_agent))
    for name in ("Firefox", "Edg", "OPR", "Chromium", "Chrome", "Safari"):
        if name in found:
            return f"{ {'Edg': 'Edge', 'OPR': 'Opera'}.get(name, name)} {found[name]}"
    return user_agent[:40]


def _page(status: int = 200, error: str | None = None, **form: Any) -> Any:
    cp = current_box()
    now = cp.engine.clock()
    ds = devices_of(current_app)
    live = connected_of(current_app).devices()

    def when(at: float | None) -> str:
        return cp.site.local(at).strftime("%Y-%m-%d %H:%M") if at else "—"

    html = render_template(
        "manage/devices.html",
        site=cp.site,
        agent=auth.current_agent(),
        role=auth.current_role(),
        csrf=auth.csrf_token(),
        here="devices",
        pending=ds.pending(now),
        devices=ds.devices(),
        live=live,
        roles=dv.ROLES,
        role_labels={k: str(v) for k, v in ROLE_LABELS.items()},
        when=when,
        browser_of=browser_of,
        first_sight=mode(current_app) == dv.FIRST_SIGHT,
        error=error,
        form=form,
    )
    return html, status, {"Cache-Control": "no-store"}


@bp.get("/devices")
@devices_role_required
def devices() -> Any:
    return _page()


@bp.get("/devices/live.json")
@devices_role_required
def devices_live() -> Any:
    """What the open devices page refreshes every few seconds: which devices are connected now, their last
    contact, and the pending codes (a new one reloads the page when nobody is typing in it)."""
    cp = current_box()
    ds = devices_of(current_app)
    live = connected_of(current_app).devices()
    last = {str(d.id): cp.site.local(d.last_contact).strftime("%Y-%m-%d %H:%M") if d.last_contact else "—"
            for d in ds.devices() if d.active}  # fmt: skip
    body = {"connected": sorted(int(i) for i in live), "last_contact": last,
            "pending": sorted(p.code for p in ds.pending(cp.engine.clock()))}  # fmt: skip
    return jsonify(body), 200, {"Cache-Control": "no-store"}


@bp.post("/devices/approve")
@devices_role_required
def devices_approve() -> Any:
    code = dv.normalise_code(request.form.get("code", ""))
    raw_name = request.form.get("name", "")
    role = request.form.get("role", "")
    form = {"code": code, "name": raw_name[:60], "role": role}
    try:
        if not dv.valid_code(code):
            raise CommandError("unknown_pairing_code", 404)
        dv.check_role(role)
        name = dv.clean_name(raw_name)
        now = current_box().engine.clock()
        device = devices_of(current_app).approve(code, role, name, auth.current_agent() or "", now)
    except CommandError as e:
        return _page(e.status, error=message(e.key), **form)
    log_changes(current_app)  # device_approved, now
    flash(_("%(name)s is paired (%(role)s): its page opens by itself.", name=device.name,
            role=ROLE_LABELS[device.role]), "ok")
    return redirect(url_for("manage.devices"), code=303)


@bp.post("/devices/refuse")
@devices_role_required
def devices_refuse() -> Any:
    code = dv.normalise_code(request.form.get("code", ""))
    if not dv.valid_code(code) or not devices_of(current_app).refuse(code):
        return _page(404, error=message("unknown_pairing_code"))
    flash(_("Code %(code)s refused.", code=code), "ok")
    return redirect(url_for("manage.devices"), code=303)


@bp.post("/devices/<int:device_id>/revoke")
@devices_role_required
def devices_revoke(device_id: int) -> Any:
    ds = devices_of(current_app)
    device = ds.find(str(device_id))
    if device is None or not ds.revoke(device_id, auth.current_agent() or "", current_box().engine.clock()):
        return _page(404, error=message("unknown_device"))
    log_changes(current_app)  # device_revoked, now
    drop(current_app, device_id)  # its live pages reload and show a new pairing code
    flash(_("%(name)s is revoked: it must be paired again.", name=device.name), "ok")
    return redirect(url_for("manage.devices"), code=303)

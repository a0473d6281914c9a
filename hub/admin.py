"""The admins' page of the hub: the site registry and its keys, as `contactpoint hub site …` does it on the
command line (hub/registry.py). Analysts read figures; only an admin sees or changes a site's keys. A new key is
shown once, on the page that made it, and never again (the hub keeps it to verify signatures, but no page shows
a stored key)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from contactpoint.hub import registry
from contactpoint.hub.dashboard import _csrf_ok, csrf_token, login_required
from flask import Blueprint, current_app, render_template, request, session
from flask_babel import gettext as _

from contactpoint.report_format import ID_RE

bp = Blueprint("admin", __name__, template_folder="templates")


@bp.app_template_filter("hub_utc")
def hub_utc(ts: int) -> str:
    """A stored Unix time as UTC, to the minute (the hub serves many time zones; its times are UTC)."""
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%d %H:%M UTC")


def _page(status: int = 200, *, error: str | None = None, key: dict[str, str] | None = None,
          done: str | None = None) -> Any:  # fmt: skip
    hub = current_app.extensions["hub"]
    sites = registry.list_sites(hub.engine)
    return render_template("hub/admin_sites.html", sites=sites, error=error, key=key, done=done,
                           csrf=csrf_token(), form=request.form), status  # fmt: skip


def _admin_only() -> Any | None:
    if session.get("hub_role") != "admin":
        message = _("Only an admin can see and change the sites and their keys.")
        return render_template("hub/error.html", csrf=csrf_token(), message=message), 403
    return None


@bp.get("/admin/sites")
@login_required
def sites() -> Any:
    return _admin_only() or _page()


@bp.post("/admin/sites")
@login_required
def add() -> Any:
    if (refused := _admin_only()) is not None:
        return refused
    if not _csrf_ok():
        return _page(403, error=_("The form expired: try again."))
    name = " ".join(request.form.get("name", "").split())
    site_id = request.form.get("id", "").strip() or registry.slug(name)
    hub = current_app.extensions["hub"]
    if not name or len(name) > 200:
        return _page(400, error=_("The site's name must be 1 to 200 characters."))
    if not ID_RE.match(site_id):
        return _page(400, error=_("The site's id must be lowercase letters, digits, - and _ (at most 40)."))
    if any(s.id == site_id for s in registry.list_sites(hub.engine)):
        return _page(409, error=_("A site with the id %(id)s already exists: choose another id.", id=site_id))
    sid, secret = registry.add_site(hub.engine, name, int(hub.clock()), site_id)
    return _page(201, key={"site": sid, "secret": secret, "why": "new"})


def _site_or_404(site_id: str) -> Any | None:
    hub = current_app.extensions["hub"]
    if not any(s.id == site_id for s in registry.list_sites(hub.engine)):
        return _page(404, error=_("There is no site %(id)s.", id=site_id))
    return None


@bp.post("/admin/sites/<site_id>/rotate")
@login_required
def rotate(site_id: str) -> Any:
    if (refused := _admin_only() or _site_or_404(site_id)) is not None:
        return refused
    if not _csrf_ok():
        return _page(403, error=_("The form expired: try again."))
    hub = current_app.extensions["hub"]
    secret = registry.rotate(hub.engine, site_id, int(hub.clock()))
    return _page(201, key={"site": site_id, "secret": secret, "why": "rotated"})


@bp.post("/admin/sites/<site_id>/retire")
@login_required
def retire(site_id: str) -> Any:
    if (refused := _admin_only() or _site_or_404(site_id)) is not None:
        return refused
    if not _csrf_ok():
        return _page(403, error=_("The form expired: try again."))
    hub = current_app.extensions["hub"]
    try:
        n = registry.retire_old_keys(hub.engine, site_id, int(hub.clock()))
    except registry.RegistryError:
        return _page(409, error=_("%(id)s has one key only: make a new key first, then retire the old one.",
                                  id=site_id))  # fmt: skip
    return _page(done=_("%(id)s: %(n)d old key(s) retired; only the newest is accepted now.", id=site_id, n=n))

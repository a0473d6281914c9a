"""The site's settings from the browser (`/manage/settings/`): needs, counters, opening hours and closed days,
the display's and the kiosk's message, the organisations of the referral slips. Managers only, CSRF on every form.

Each saved form becomes `settings_changed` events, one per key that changed (contactpoint/site_settings.py:
checked by the site file's own validator, logged, then in force at once on every page). docs/settings.md.
"""

from __future__ import annotations

import re
from typing import Any

from babel.dates import get_day_names
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from contactpoint import auth
from contactpoint.box import current_box
from contactpoint.config import ConfigError
from contactpoint.config_reader import ID_RE
from contactpoint.domain.errors import CommandError
from contactpoint.domain.settings import Change
from contactpoint.domain.site import WEEKDAYS
from contactpoint.messages import message
from contactpoint.site_settings import SiteSettings

from . import bp, manager_required
from .settings_forms import Form, pictograms

COUNTER_ID = re.compile(r"[A-Za-z0-9_-]{1,12}")
NEED_NUMBERS = ("service_level_minutes", "max_wait_minutes", "max_service_minutes", "capacity")


def _settings() -> SiteSettings:
    s = current_box().settings
    if s is None:
        abort(404)
    return s


def _entry(section: str, entry_id: str) -> dict[str, Any] | None:
    for e in _settings().current_data().get(section, []):
        if isinstance(e, dict) and str(e.get("id")) == entry_id:
            return e
    return None


def _render(template: str, status: int = 200, **extra: Any) -> Any:
    cp = current_box()
    html = render_template(
        template,
        site=cp.site,
        agent=auth.current_agent(),
        csrf=auth.csrf_token(),
        ui_lang=str(get_locale() or cp.site.default_language),
        weekdays=WEEKDAYS,
        day_names=dict(zip(WEEKDAYS, (get_day_names("wide", locale=str(get_locale() or "en"))[i] for i in range(7)),
                           strict=True)),
        pictograms=pictograms(),
        skipped=_settings().skipped,
        **extra,
    )
    return html, status, {"Cache-Control": "no-store"}


def _save(changes: list[Change], form: Form, field_of: dict[str, str], back: str, page: Any) -> Any:
    """Log and apply the changes, or show the form again with the errors next to their fields (400/409)."""
    if form.errors:
        return page(400)
    if not changes:
        flash(_("Nothing changed."), "ok")
        return redirect(back, code=303)
    try:
        _settings().change(changes, auth.current_agent() or "")
    except ConfigError as e:  # the site file's validator: its key names the field (else: above the form)
        form.fail(_field(e.key, form, field_of), _("The site file refuses this: %(problem)s", problem=e.problem))
        return page(400)
    except CommandError as e:
        form.fail("", message(e.key))
        return page(e.status)
    flash(_("Saved: it is in force now on every page."), "ok")
    return redirect(back, code=303)


def _field(key: str, form: Form, field_of: dict[str, str]) -> str:
    """The form field a validator's key names: `needs[2].names.fr` → `names.fr`, `site.name` → `name`."""
    tail = key.split("].", 1)[1] if "]." in key else (key.partition(".")[2] or key)
    tail = re.sub(r"\[\d+\]$", "", tail)
    return tail if tail in form.form else field_of.get(tail, "")


@bp.get("/settings/")
@manager_required
def settings() -> Any:
    return _render("manage/settings.html", hours=_hours_text(), form=None, errors={}, posted="")


def _hours_text() -> dict[str, str]:
    """The opening hours as the form shows them: "09:00-12:30, 13:30-16:30" a weekday, the closed days."""
    data = _settings().current_data()
    h = data.get("hours", {})
    out = {d: ", ".join(h.get(d, [])) for d in WEEKDAYS}
    out["closed"] = " ".join(sorted(str(d) for d in h.get("closed", [])))
    out["always_open"] = "1" if data.get("site", {}).get("always_open") else ""
    return out


# -- needs -----------------------------------------------------------------------------------------------
@bp.route("/settings/needs/<need_id>", methods=["GET", "POST"])
@manager_required
def need(need_id: str) -> Any:
    site = current_box().site
    new = need_id == "new"
    current = None if new else site.need(need_id)
    if not new and current is None:
        abort(404)
    form = Form(request.form)

    def page(status: int = 200) -> Any:
        return _render("manage/settings_need.html", status, need=current, new=new, form=form, errors=form.errors)

    if request.method == "GET":
        return page()
    others = {n.prefix: n.name(str(get_locale())) for n in site.needs if n is not current}
    nid = form.entry_id("id", {n.id for n in site.needs}) if new else need_id
    fields: dict[str, Any] = {
        "names": form.translated("names", site.languages, required=True),
        "pictogram": form.pictogram("pictogram"),
        "prefix": form.prefix("prefix", others),
        "service_level_minutes": form.minutes("service_level_minutes", optional=False),
        "max_wait_minutes": form.minutes("max_wait_minutes", optional=True),
        "max_service_minutes": form.minutes("max_service_minutes", optional=True),
        "capacity": form.minutes("capacity", optional=True, hi=9999),
        "appointment_name": request.form.get("appointment_name") == "1",
    }
    if current is not None:  # names in languages the site no longer offers stay as they were
        fields["names"] = {**current.names, **fields["names"]}
    changes: list[Change]
    if new:
        changes = [("needs", nid, {k: v for k, v in fields.items() if v is not None and v is not False})]
    else:
        assert current is not None
        changes = [("needs", f"{nid}.{k}", v) for k, v in fields.items() if getattr(current, k) != v]
    return _save(changes, form, {}, url_for("manage.settings") + "#needs", page)


@bp.post("/settings/needs/<need_id>/remove")
@manager_required
def need_remove(need_id: str) -> Any:
    return _remove("needs", need_id, current_box().site.need(need_id) is not None)


def _remove(section: str, entry_id: str, exists: bool) -> Any:
    if not exists:
        abort(404)
    try:
        _settings().change([(section, entry_id, None)], auth.current_agent() or "")
    except ConfigError as e:
        flash(_("The site file refuses this: %(problem)s", problem=e.problem), "error")
    except CommandError as e:
        flash(message(e.key), "error")
    else:
        flash(_("Removed."), "ok")
    return redirect(url_for("manage.settings") + f"#{section}", code=303)


# -- counters --------------------------------------------------------------------------------------------
@bp.post("/settings/counters")
@manager_required
def counters() -> Any:
    site = current_box().site
    form = Form(request.form)
    cid = form.raw("id")
    current = site.counter(cid)
    if current is None and not COUNTER_ID.fullmatch(cid):
        form.fail("id", _("1 to 12 letters, digits, - or _."))
    label = form.text("label", required=True, limit=40)

    def page(status: int = 200) -> Any:
        return _render("manage/settings.html", status, hours=_hours_text(), form=form, errors=form.errors,
                       posted="counter")

    changes: list[Change] = []
    if current is None:
        changes = [("counters", cid, {"label": label})]
    elif current.label != label:
        changes = [("counters", f"{cid}.label", label)]
    return _save(changes, form, {}, url_for("manage.settings") + "#counters", page)


@bp.post("/settings/counters/<counter_id>/remove")
@manager_required
def counter_remove(counter_id: str) -> Any:
    return _remove("counters", counter_id, current_box().site.counter(counter_id) is not None)


# -- hours, closed days, messages --------------------------------------------------------------------------
@bp.post("/settings/hours")
@manager_required
def hours() -> Any:
    data = _settings().current_data()
    now_hours, now_site = data.get("hours", {}), data.get("site", {})
    form = Form(request.form)
    changes: list[Change] = []
    for day in WEEKDAYS:
        spans = form.spans(day)
        if spans != list(now_hours.get(day, [])):
            changes.append(("hours", day, spans or None))
    closed = form.days("closed")
    if closed != sorted(str(d) for d in now_hours.get("closed", [])):
        changes.append(("hours", "closed", closed or None))
    always = request.form.get("always_open") == "1"
    if always != bool(now_site.get("always_open", False)):
        changes.append(("site", "always_open", always))

    def page(status: int = 200) -> Any:
        shown = {k: form.raw(k) for k in (*WEEKDAYS, "closed", "always_open")}
        return _render("manage/settings.html", status, hours=shown, form=form, errors=form.errors, posted="hours")

    return _save(changes, form, {"hours": "mon"}, url_for("manage.settings") + "#hours", page)


@bp.post("/settings/message")
@manager_required
def site_message() -> Any:
    site = current_box().site
    form = Form(request.form)
    name = form.text("name", required=True, limit=120)
    texts = form.translated("message", site.languages, required=False)
    kept = {k: v for k, v in site.message.items() if k not in site.languages}
    changes: list[Change] = [] if {**kept, **texts} == site.message else [("site", "message", {**kept, **texts})]
    if name and name != site.name:
        changes.append(("site", "name", name))

    def page(status: int = 200) -> Any:
        return _render("manage/settings.html", status, hours=_hours_text(), form=form, errors=form.errors,
                       posted="message")

    return _save(changes, form, {}, url_for("manage.settings") + "#message", page)


# -- organisations ---------------------------------------------------------------------------------------
ORG_TEXTS = ("kind", "name", "address", "phone", "website", "hours")


@bp.route("/settings/organisations/<org_id>", methods=["GET", "POST"])
@manager_required
def organisation(org_id: str) -> Any:
    site = current_box().site
    new = org_id == "new"
    current = None if new else _entry("organisations", org_id)
    if not new and current is None:
        abort(404)
    form = Form(request.form)

    def page(status: int = 200) -> Any:
        return _render("manage/settings_org.html", status, org=current, org_id=org_id, new=new, form=form,
                       errors=form.errors, shown=_shown)

    if request.method == "GET":
        return page()
    oid = form.entry_id("id", {o.id for o in site.organisations}) if new else org_id
    fields: dict[str, Any] = {k: form.text(k, required=k in ("kind", "name"), limit=200) for k in ORG_TEXTS}
    described = form.translated("description", site.languages, required=False)
    changes: list[Change] = []
    if new:
        changes = [("organisations", oid, {k: v for k, v in {**fields, "description": described}.items() if v})]
    else:
        assert current is not None
        for k, v in fields.items():
            if v != _shown(current.get(k, "")):
                changes.append(("organisations", f"{oid}.{k}", v or None))
        before = current.get("description", {})
        before = {"*": before} if isinstance(before, str) else dict(before)
        after = {k: x for k, x in before.items() if k not in site.languages} | described
        if after != before:
            changes.append(("organisations", f"{oid}.description", after or None))
    return _save(changes, form, {}, url_for("manage.settings") + "#organisations", page)


def _shown(v: Any) -> str:
    """A text of the site file as one form field shows it (a translated table: its first text)."""
    if isinstance(v, dict):
        return str(next(iter(v.values()), ""))
    return str(v)


@bp.post("/settings/organisations/<org_id>/remove")
@manager_required
def organisation_remove(org_id: str) -> Any:
    if not ID_RE.fullmatch(org_id):
        abort(404)
    return _remove("organisations", org_id, current_box().site.organisation(org_id) is not None)

"""The site manager's pages: today's appointments, add one, import a CSV or iCalendar file, cancel; and the
agents' accounts (manage/agents.py).

Managers only (an account with the role "manager", `contactpoint agent add NAME --role manager`); every form
carries the session's CSRF token.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Flask,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_socketio import SocketIO

from contactpoint import appointments_import as imp
from contactpoint.auth import (
    attempt_login,
    check_csrf,
    csrf_token,
    current_agent,
    form_name,
    log_in,
    log_out,
    login_form_refused,
    role_required,
    throttled_login_page,
)
from contactpoint.box import current_box
from contactpoint.domain import commands
from contactpoint.domain.appointments import normalise_code
from contactpoint.domain.errors import CommandError
from contactpoint.messages import message

bp = Blueprint("manage", __name__, url_prefix="/manage", template_folder="templates", static_folder="static")
F = TypeVar("F", bound=Callable[..., Any])
# where a login may lead back to: one of these pages' own paths, never a long or odd value in a Location header
NEXT_PATH = re.compile(r"/manage/[A-Za-z0-9/_-]{0,200}")



def manager_required(view: F) -> F:
    """auth.role_required("manager") (role read from the account, CSRF), but a stranger gets the login page."""
    guarded = role_required("manager")(view)

    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_agent() is None:
            return redirect(url_for("manage.login", next=request.path))
        return guarded(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    error = None
    name = ""
    if request.method == "POST":
        name = form_name(request.form.get("name", ""))
        refused = login_form_refused("manage/login.html", site=current_box().site, name=name)
        if refused is not None:
            return refused
        role, wait = attempt_login(name, request.form.get("password", ""))  # the counter page's rules and throttle
        if wait > 0:
            return throttled_login_page("manage/login.html", wait, site=current_box().site, name=name)
        if role == "manager":
            log_in(name, role)
            nxt = request.args.get("next", "")
            return redirect(nxt if NEXT_PATH.fullmatch(nxt) else url_for("manage.today"), code=303)
        if role == "technician":  # the devices page only (manage/devices.py)
            log_in(name, role)
            return redirect(url_for("manage.devices"), code=303)
        error = message("login_failed") if role is None else message("forbidden")
    page = render_template("manage/login.html", site=current_box().site, error=error, name=name)
    return page, (401 if error else 200)


@bp.post("/logout")
def logout() -> Any:
    if current_agent() is None:
        return redirect(url_for("manage.login"))
    if not check_csrf():  # a manager's or a technician's session (the devices page) alike
        abort(403)
    log_out()
    return redirect(url_for("manage.login"), code=303)


@bp.get("/")
def index() -> Any:
    return redirect(url_for("manage.today"))


def iso_day(raw: str | None) -> str | None:
    """A day as YYYY-MM-DD, or None: no other form or query value is copied into an address (a Location header)."""
    if not raw or len(raw) > 10:
        return None
    try:
        return date.fromisoformat(raw).isoformat()
    except ValueError:
        return None


def _day_arg() -> str:
    cp = current_box()
    return iso_day(request.args.get("day")) or cp.site.day_of(cp.engine.clock())


@bp.get("/appointments")
@manager_required
def appointments() -> Any:
    cp = current_box()
    day = _day_arg()
    items = cp.store.appointments_of_day(day)
    return render_template(
        "manage/appointments.html",
        site=cp.site,
        day=day,
        items=items,
        csrf=csrf_token(),
        clock=lambda at: cp.site.local(at).strftime("%H:%M"),
        need_name=lambda n: cp.site.need(n).name(str(_locale())) if cp.site.need(n) else n,
        today=cp.site.day_of(cp.engine.clock()),
    )


def _locale() -> Any:
    from flask_babel import get_locale

    return get_locale() or "en"


@bp.post("/appointments")
@manager_required
def add() -> Any:
    cp = current_box()
    f = request.form
    try:
        d = date.fromisoformat(f.get("date", ""))
        hh, mm = (int(x) for x in f.get("time", "").split(":")[:2])
        slot = datetime.combine(d, time(hh, mm), tzinfo=cp.site.tz)
        duration = int(f.get("duration") or 0)
    except ValueError:
        flash(_("Give a date and a time."), "error")
        return redirect(url_for("manage.appointments", day=iso_day(f.get("date"))), code=303)
    need = f.get("need", "")
    name = (f.get("name") or "").strip() or None
    kept = name if imp.keeps_name(cp.site, need) else None
    try:
        imp.book(
            cp.engine,
            slot_at=slot.timestamp(),
            need=need,
            code=normalise_code(f.get("code", "")),
            name=kept,
            duration_s=duration * 60,
        )
    except CommandError as e:
        flash(message(e.key), "error")
    else:
        flash(_("Appointment booked."), "ok")
        if name and kept is None:
            flash(_("The name was not kept: appointments for this service do not need it."), "ok")
    return redirect(url_for("manage.appointments", day=d.isoformat()), code=303)


@bp.post("/appointments/import")
@manager_required
def import_file() -> Any:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Choose a file."), "error")
        return redirect(url_for("manage.appointments"), code=303)
    report = imp.import_file(current_box().engine, upload.filename, upload.read(imp.MAX_FILE + 1))
    flash(
        _(
            "Imported: %(booked)d booked, %(skipped)d already there, %(errors)d with errors.",
            booked=report.booked,
            skipped=report.skipped,
            errors=len(report.errors),
        ),
        "ok" if not report.errors else "error",
    )
    if report.names_dropped:
        flash(
            _(
                "%(n)d name(s) not kept: appointments for those services do not need a name.",
                n=report.names_dropped,
            ),
            "ok",
        )
    for line, text in report.errors[:50]:
        flash(_("Line %(line)d: %(text)s", line=line, text=text), "error")
    return redirect(url_for("manage.appointments"), code=303)


@bp.post("/appointments/<appointment_id>/cancel")
@manager_required
def cancel(appointment_id: str) -> Any:
    cp = current_box()
    try:
        cp.engine.run(commands.cancel_appointment, appointment=appointment_id[:64])
    except CommandError as e:
        flash(message(e.key), "error")
    else:
        flash(_("Appointment cancelled."), "ok")
    return redirect(url_for("manage.appointments", day=iso_day(request.form.get("day"))), code=303)


from . import agents as _agents  # noqa: E402, F401 - the agents' pages, on this blueprint
from . import dayclose as _dayclose  # noqa: E402, F401 - the day close, on this blueprint
from . import devices as _devices  # noqa: E402, F401 - the paired devices, technicians and managers
from . import history as _history  # noqa: E402, F401 - the History page and its CSV export
from . import settings as _settings  # noqa: E402, F401 - the site's settings, on this blueprint
from . import today as _today  # noqa: E402, F401 - the Today page, live


def init_app(app: Flask, socketio: SocketIO) -> None:
    app.register_blueprint(bp)
    from contactpoint.box import box_of

    from .namespace import ManageNamespace, TodayPusher

    ns = ManageNamespace()
    socketio.on_namespace(ns)
    pusher = TodayPusher(app, ns)
    ns.pusher = pusher
    app.extensions["manage.today"] = pusher
    box = box_of(app)
    box.bus.subscribe(pusher.changed, when="broadcast")
    box.add_service(pusher)

"""The manager's day close (`/manage/day/close`): a page that says what closing does, and a confirmed POST that
closes today now (contactpoint/dayclose.py): visitors still waiting are counted as abandoned, the day's personal
data are erased, and no more ticket is issued today. Managers only; the form carries the session's CSRF token.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from contactpoint import auth, dayclose
from contactpoint.box import current_box
from contactpoint.domain.closing import closing_time

from . import bp, manager_required


def _page(status: int = 200, error: str | None = None) -> Any:
    cp = current_box()
    now = cp.engine.now()
    today = cp.site.day_of(now)
    closed = cp.engine.day_closed() and cp.engine.day() == today
    waiting = sum(n["waiting"] for n in cp.engine.summary()["needs"].values()) if not closed else 0
    at_counter = sum(1 for c in cp.engine.counters() if c.ticket is not None) if not closed else 0
    end = closing_time(cp.site, today)
    html = render_template(
        "manage/day_close.html",
        site=cp.site,
        agent=auth.current_agent(),
        csrf=auth.csrf_token(),
        day=today,
        closed=closed,
        waiting=waiting,
        at_counter=at_counter,
        closing=None if end is None else cp.site.local(end).strftime("%H:%M"),
        error=error,
    )
    return html, status, {"Cache-Control": "no-store"}


@bp.route("/day/close", methods=["GET", "POST"])
@manager_required
def day_close() -> Any:
    if request.method == "GET":
        return _page()
    if request.form.get("confirm") != "yes":
        return _page(400, error=_("Tick the box to confirm that the day closes now."))
    done = dayclose.close_now(current_box().engine, "manager", auth.current_agent())
    if done.day is None:
        flash(_("The day was already closed: nothing changed."), "ok")
    else:
        flash(
            _(
                "The day %(day)s is closed: %(n)d visitor(s) still waiting counted as abandoned, personal data erased.",
                day=done.day,
                n=done.abandoned,
            ),
            "ok",
        )
    return redirect(url_for("manage.day_close"), code=303)

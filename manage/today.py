"""The manager's Today page (`/manage/today`): the day's figures and alerts, live over the `/manage` Socket.IO
namespace (manage/namespace.py), and the same view as JSON (`/manage/api/today`) for a page that resyncs."""

from __future__ import annotations

from typing import Any

from flask import current_app, jsonify, render_template
from flask_babel import get_locale

from contactpoint import auth
from contactpoint.box import current_box

from . import bp, manager_required
from .live import alert_texts, today_view
from .namespace import TodayPusher


def _pusher() -> TodayPusher:
    pusher = current_app.extensions["manage.today"]
    assert isinstance(pusher, TodayPusher)
    return pusher


def current_view() -> dict[str, Any]:
    lang = str(get_locale() or "en")
    view = today_view(current_box(), _pusher().cache)
    return view | {"alerts": alert_texts(view, current_box(), lang)}


@bp.get("/today")
@manager_required
def today() -> Any:
    cp = current_box()
    lang = str(get_locale() or "en")
    html = render_template(
        "manage/today.html",
        site=cp.site,
        agent=auth.current_agent(),
        csrf=auth.csrf_token(),
        view=current_view(),
        need_names={n.id: n.name(lang) for n in cp.site.needs},
    )
    return html, 200, {"Cache-Control": "no-store"}


@bp.get("/api/today")
@manager_required
def today_json() -> Any:
    return jsonify(current_view()), 200, {"Cache-Control": "no-store"}

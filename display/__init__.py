"""The waiting-room display: calls (number → counter), the last calls, waits per need."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, current_app, render_template
from flask_socketio import Namespace, SocketIO

bp = Blueprint("display", __name__, url_prefix="/display", template_folder="templates", static_folder="static")


@bp.get("/")
def page() -> Any:
    cp = current_app.extensions["contactpoint"]
    return render_template("display/display.html", site=cp.site)


class DisplayNamespace(Namespace):
    def on_connect(self, auth: Any = None) -> None:
        pass


def init_app(app: Flask, socketio: SocketIO) -> None:
    app.register_blueprint(bp)
    socketio.on_namespace(DisplayNamespace("/display"))

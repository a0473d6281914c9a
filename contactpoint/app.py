"""The app factory: the one place where the site, the store, real drivers or fakes are plugged in."""

from __future__ import annotations

import importlib
import logging
import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, current_app, jsonify, render_template, request
from flask_socketio import SocketIO
from werkzeug.exceptions import HTTPException

from contactpoint.box import EXTENSION, Box
from contactpoint.broadcast import Broadcaster
from contactpoint.config import ConfigError, load_site
from contactpoint.domain.errors import CommandError
from contactpoint.engine import Clock, Engine
from contactpoint.guard import SafeJSON, SafePacket, is_json_route
from contactpoint.i18n import init_i18n
from contactpoint.messages import message
from contactpoint.store import EventStore, StoreFull

log = logging.getLogger(__name__)

# the device pages, each a folder with its views, its Socket.IO namespace and `init_app(app, socketio)`:
# the kiosk, the waiting-room display, the agents' counter page, the visitor's phone, the manager's pages
DEVICES = ("kiosk", "display", "counter", "phone", "manage")
DEVICES += ("feedback",)  # the exit tablet and the satisfaction buttons (after the kiosk: its rate limiter)

HTTP_KEYS = {
    400: "bad_request",
    500: "server_error",
    401: "login_required",
    403: "forbidden",
    404: "not_found",
    405: "bad_request",
    413: "bad_request",
    429: "rate_limited",
}

# every response's Content-Security-Policy: no inline script or style anywhere, nothing from another origin.
# `connect-src 'self'` also covers the Socket.IO websocket to this origin (CSP3: 'self' matches ws: and wss:
# on the same host and port; the browser tests run under it). Media: the display's chime and speech files,
# served by the box. A page that breaks it fails its browser test (tests/conftest.py watches
# `securitypolicyviolation`).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "media-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; "
    "object-src 'none'"
)


def _secret_key(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def wants_json() -> bool:
    return (
        "/api/" in request.path
        or is_json_route()
        or request.is_json
        or request.accept_mimetypes.best == "application/json"
    )


def error_response(key: str, status: int) -> Any:
    if wants_json():
        return jsonify(error=key, message=message(key)), status
    # a device's own error page for its paths (the kiosk's: its layout, idle reset and Back to the visitor's
    # screens, never this generic page whose Back leads to the device index)
    for prefix, page in current_app.extensions.get("error_pages", {}).items():
        if request.path.startswith(prefix):
            return page(key, status)
    return render_template("error.html", key=key, text=message(key), status=status), status


def create_app(
    config: dict[str, Any] | None = None, *, printer: Any = None, clock: Clock | None = None, announcer: Any = None
) -> Flask:
    app = Flask(__name__)
    app.config.from_mapping(
        DATA_DIR=os.environ.get("CONTACTPOINT_DATA", "data"),
        SITE_CONFIG=os.environ.get("CONTACTPOINT_CONFIG") or None,
        DATABASE=None,
        DEMO=False,
        # "threading" (Werkzeug + simple-websocket) or "gevent" (only in a process that monkey-patched at start:
        # `contactpoint serve|demo` do when CONTACTPOINT_ASYNC=gevent); docs/performance.md says which and why
        ASYNC_MODE=os.environ.get("CONTACTPOINT_ASYNC", "threading"),
        # the box's address as visitors' phones reach it, for the QR codes (else the address the kiosk used)
        PUBLIC_URL=os.environ.get("CONTACTPOINT_PUBLIC_URL") or None,
        BROADCAST_WINDOW=0.05,
        # how device pages are paired, over the site file's [devices] pairing: "first-sight" for the demo and
        # the tests (CONTACTPOINT_PAIRING); None keeps the site file's (docs/devices.md)
        DEVICE_PAIRING=os.environ.get("CONTACTPOINT_PAIRING") or None,
        # the kiosk's ticket endpoints are rate limited (Flask-Limiter); CONTACTPOINT_RATELIMIT=0 turns it off
        RATELIMIT_ENABLED=os.environ.get("CONTACTPOINT_RATELIMIT", "1").strip().lower()
        not in ("0", "false", "no", "off"),
        # a page notices a box that vanished (power, network) within interval + timeout seconds; the waiting-room
        # display checks faster on its own (live.js heartbeat: within 4.5 s), which costs less than pinging all
        # 40 pages every 2 s would (idle CPU ×2, docs/display.md)
        SOCKETIO_PING_INTERVAL=5,
        SOCKETIO_PING_TIMEOUT=5,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=10),
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        MAX_CONTENT_LENGTH=256 * 1024,
        SEND_FILE_MAX_AGE_DEFAULT=3600,
    )
    if config:
        app.config.update(config)
    data_dir = Path(app.config["DATA_DIR"]).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _secret_key(data_dir)

    site_config = load_site(app.config["SITE_CONFIG"])
    store = EventStore(app.config["DATABASE"] or data_dir / "contactpoint.sqlite3", exclusive=True)
    engine = Engine(site_config.site, store, clock)
    socketio = SocketIO(
        app,
        async_mode=app.config["ASYNC_MODE"],
        logger=False,
        engineio_logger=False,
        ping_interval=app.config["SOCKETIO_PING_INTERVAL"],
        ping_timeout=app.config["SOCKETIO_PING_TIMEOUT"],
        json=SafeJSON,  # a packet nested too deep is dropped before it is parsed (contactpoint/guard.py)
        serializer=SafePacket,
        max_http_buffer_size=app.config["MAX_CONTENT_LENGTH"],
    )
    broadcaster = Broadcaster(socketio, engine.summary, window=float(app.config["BROADCAST_WINDOW"]), bus=engine.bus)

    if printer is None:
        from contactpoint.hardware.printer import make_printer

        try:
            printer = make_printer(site_config.printer)
        except ValueError as e:  # "printer.<key>: problem" → the same error as any other wrong key
            key, _, problem = str(e).partition(": ")
            raise ConfigError(site_config.path, key, problem) from None
    cp = Box(site_config.site, site_config, store, engine, socketio, broadcaster, printer)
    cp.add_service(broadcaster)
    from contactpoint import figures_service

    cp.figures = figures_service.init_box(cp)  # after the broadcaster: its batches freeze closed days' figures
    if site_config.report is not None:  # the site reports upstream (contactpoint/report/, docs/reporting.md)
        from contactpoint.report.service import Reporter

        cp.reporter = Reporter(site_config.site, store, site_config.report, engine.now)
        cp.reporter.subscribe(cp.bus)
        cp.add_service(cp.reporter)
    app.extensions[EXTENSION] = cp
    from contactpoint.site_settings import init_settings

    init_settings(cp, app.config["SITE_CONFIG"])  # the browser's changes from the log, over the site file
    init_i18n(app)
    from contactpoint.auth import csrf_token

    app.jinja_env.globals["csrf_token"] = csrf_token  # the login forms' token, made with the pre-login session

    from contactpoint import api, guard, printing

    guard.init_app(app)  # first: before the rate limiter or any view reads a body

    app.register_blueprint(api.bp)
    printing.init_app(app, cp)
    from contactpoint import selftest_api

    selftest_api.init_app(app)  # POST /api/selftest, the server's side of `contactpoint selftest`

    from contactpoint import announce

    announce.init_app(app, cp, announcer)  # cp.announcer, cp.announcements

    from contactpoint.server import add_day_close_timer

    add_day_close_timer(cp)
    for name in DEVICES:
        importlib.import_module(f"contactpoint.{name}").init_app(app, socketio)
    from contactpoint import pairing

    pairing.init_app(app, socketio)  # after the devices: their pages and namespaces want a paired browser

    @app.errorhandler(CommandError)
    def command_error(e: CommandError) -> Any:
        return error_response(e.key, e.status)

    @app.errorhandler(StoreFull)
    def store_full(e: StoreFull) -> Any:
        # logged once by the store, not per request; a visitor is told to ask at the desk, staff what is wrong
        return error_response("disk_full_visitor" if request.path.startswith("/kiosk/") else "disk_full", 503)

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException) -> Any:
        code = e.code or 500
        return error_response(HTTP_KEYS.get(code, "bad_request"), code)

    app.extensions["csp"] = CONTENT_SECURITY_POLICY  # what security_headers sends (health reports it)

    @app.after_request
    def security_headers(resp: Any) -> Any:
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "no-referrer")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Content-Security-Policy", app.extensions["csp"])
        return resp

    @app.route("/")
    def index() -> Any:
        return render_template("index.html", site=cp.site)

    return app

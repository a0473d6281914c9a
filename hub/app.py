"""The hub's Flask app: ingest, dashboard, JSON API. `create_hub(db_url)` migrates the database to the newest
schema first (Alembic), so a new or old database just works."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from contactpoint.hub.db import engine_for, hub_settings, upgrade
from flask import Flask, jsonify
from sqlalchemy.engine import Engine
from werkzeug.exceptions import HTTPException

from contactpoint import report_format as rf
from contactpoint.throttle import LoginThrottle


@dataclass
class Hub:
    engine: Engine
    clock: Callable[[], float]
    throttle: LoginThrottle = field(default_factory=LoginThrottle)  # the box's: per (name, address), in memory


def _secret_key(engine: Engine) -> str:
    with engine.begin() as conn:
        found = conn.execute(sa.select(hub_settings.c.value).where(hub_settings.c.key == "secret_key")).scalar()
        if found:
            return str(found)
        key = secrets.token_urlsafe(32)
        conn.execute(hub_settings.insert().values(key="secret_key", value=key))
        return key


def create_hub(db_url: str, clock: Callable[[], float] = time.time, config: dict[str, Any] | None = None) -> Flask:
    engine = engine_for(db_url)
    upgrade(engine)
    app = Flask("contactpoint.hub")
    app.config.update(SECRET_KEY=_secret_key(engine), MAX_CONTENT_LENGTH=rf.MAX_BODY_BYTES + 1)
    app.config.update(config or {})
    app.extensions["hub"] = Hub(engine, clock)

    from contactpoint.hub import i18n
    from contactpoint.hub.admin import bp as admin
    from contactpoint.hub.dashboard import bp as dashboard
    from contactpoint.hub.ingest import bp as ingest

    i18n.init(app)
    app.register_blueprint(ingest)
    app.register_blueprint(dashboard)
    app.register_blueprint(admin)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax")

    @app.after_request
    def _headers(resp: Any) -> Any:
        resp.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'",
        )
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        return resp

    @app.errorhandler(HTTPException)
    def _http_error(e: HTTPException) -> Any:
        code = e.code or 500
        return jsonify({"error": (e.name or "error").lower().replace(" ", "_"), "message": e.description}), code

    @app.get("/health")
    def health() -> Any:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return jsonify({"ok": True})

    return app

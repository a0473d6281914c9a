"""Agent accounts, sessions and CSRF protection. Passwords are hashed with Werkzeug's scrypt."""

from __future__ import annotations

import functools
import secrets
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import abort, current_app, request, session
from werkzeug.security import check_password_hash, generate_password_hash

ROLES = ("agent", "manager", "technician")
F = TypeVar("F", bound=Callable[..., Any])
# a dummy hash so a login for an unknown name costs as much as one for a known name
_DUMMY_HASH = generate_password_hash("not a password")


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def check_login(name: str, password: str) -> str | None:
    """The agent's role when name and password match an active account, else None."""
    store = current_app.extensions["contactpoint"].store
    row = store.agent(name)
    if row is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    pw_hash, role, active = row
    if not active or not check_password_hash(pw_hash, password):
        return None
    return role


def log_in(name: str, role: str) -> None:
    session.clear()
    session.permanent = True  # PERMANENT_SESSION_LIFETIME bounds it
    session["agent"] = name
    session["role"] = role
    session["csrf"] = secrets.token_urlsafe(24)
    session["login_at"] = time.time()


def current_agent() -> str | None:
    name = session.get("agent")
    return str(name) if name else None


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return str(session["csrf"])


def check_csrf() -> bool:
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    expected = session.get("csrf")
    return bool(expected) and secrets.compare_digest(str(sent), str(expected))


def agent_required(view: F) -> F:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_agent() is None:
            abort(401)
        if request.method == "POST" and not check_csrf():
            abort(403)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]

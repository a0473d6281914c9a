"""Agent accounts, sessions and CSRF protection. Passwords are hashed with Werkzeug's scrypt.

Sessions are signed cookies (Flask). A session ends:
- after `PERMANENT_SESSION_LIFETIME` (10 h, a working day) from login, whatever happens (checked against the
  login time kept in the session: the cookie's own expiry moves on at every request);
- after `AGENT_IDLE_TIMEOUT` seconds (default 2 h) without any request from the agent (an action, a resync);
- at the next request once the account is disabled (or deleted), its role changed or its password reset: every
  request reads the account again, so a manager's "disable" or a new password takes effect at once;
- at logout.
A counter page's live socket is checked against the same rules by a sweep (`session_ended`, counter/).

Failed logins slow down the (account, address) pair that made them, with a delay that doubles, and a looser
ceiling per address against password spraying (`contactpoint/throttle.py`); a manager can unlock an account.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, current_app, g, request, session
from werkzeug.security import check_password_hash, generate_password_hash

from contactpoint.box import EXTENSION, Box, current_box
from contactpoint.throttle import LoginThrottle

ROLES = ("agent", "manager", "technician")
MIN_PASSWORD = 10
MAX_NAME = 60
DEFAULT_IDLE_TIMEOUT_S = 2 * 3600
F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)


@functools.cache
def _dummy_hash() -> str:
    """A hash to check when the name is unknown, so that costs as much as a known name (made at first use:
    scrypt takes ~0.1 s and 32 MB, which the server's start-up should not pay)."""
    return generate_password_hash("not a password")


def _password_mark(pw_hash: str) -> str:
    """What a session remembers of the password it was opened with: a new password ends old sessions."""
    return hashlib.sha256(pw_hash.encode()).hexdigest()[:16]


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def new_password() -> str:
    """A one-time password a manager hands over (about 72 bits, no look-alike characters)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    words = ["".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(3)]
    return "-".join(words)


def valid_name(name: str) -> bool:
    return 0 < len(name) <= MAX_NAME and name == " ".join(name.split()) and name.isprintable()


def form_name(raw: str) -> str:
    """An account name as typed in any form (login, new agent): spaces collapsed, the same rule everywhere."""
    return " ".join(raw[: MAX_NAME * 4].split())


def _now() -> float:
    cp = current_app.extensions.get(EXTENSION)
    return float(cp.engine.clock()) if isinstance(cp, Box) else time.time()


def check_login(name: str, password: str) -> str | None:
    """The agent's role when name and password match an active account, else None."""
    store = current_box().store
    row = store.agent(name)
    if row is None:
        check_password_hash(_dummy_hash(), password)
        return None
    pw_hash, role, active = row
    if not check_password_hash(pw_hash, password) or not active:
        return None
    return role


def log_in(name: str, role: str) -> None:
    lang = session.get("lang")
    session.clear()  # a fresh session: no fixation
    session.permanent = True  # PERMANENT_SESSION_LIFETIME bounds it
    session["agent"] = name
    session["role"] = role
    session["csrf"] = secrets.token_urlsafe(24)
    session["login_at"] = _now()
    session["seen_at"] = _now()
    row = current_box().store.agent(name)
    if row is not None:
        session["pw"] = _password_mark(row[0])
    if lang:
        session["lang"] = lang


def log_out() -> None:
    key = session.get("csrf")
    if key and session.get("agent"):
        _activity()[str(key)] = None  # its live sockets are closed by the counter page's sweep (or at once by logout)
    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def _idle_timeout() -> float:
    return float(current_app.config.get("AGENT_IDLE_TIMEOUT", DEFAULT_IDLE_TIMEOUT_S))


def _lifetime() -> float:
    return float(current_app.permanent_session_lifetime.total_seconds())


def _activity() -> dict[str, float | None]:
    """Per session (its CSRF token, a secret only it holds): the last request it made, None once logged out.

    A counter page's live socket makes no request, so the sweep that ends sockets of ended sessions reads here when
    the session last spoke over HTTP (an action, a resync). In memory: a restart forgets, and sockets then
    reconnect through `current_agent()` anyway."""
    ext = current_app.extensions
    if "agent_activity" not in ext:
        ext["agent_activity"] = {}
    activity: dict[str, float | None] = ext["agent_activity"]
    return activity


@dataclass(frozen=True, slots=True)
class SessionInfo:
    """What a live socket remembers of the session it was opened with, to check it again later."""

    agent: str
    key: str
    login_at: float
    seen_at: float
    pw: str | None


def session_info() -> SessionInfo | None:
    """The current request's agent session (call after `current_agent()` said yes)."""
    name = session.get("agent")
    if not name:
        return None
    login_at = float(session.get("login_at") or 0)
    return SessionInfo(
        str(name),
        str(session.get("csrf") or ""),
        login_at,
        float(session.get("seen_at") or login_at),
        session.get("pw"),
    )


def session_ended(info: SessionInfo, now: float) -> bool:
    """True once the session is over: 10 h after login, idle too long, logged out, account disabled or its
    password changed. The same rules as `current_agent()`, for a socket that makes no request of its own."""
    activity = _activity()
    if info.key in activity and activity[info.key] is None:
        return True  # logged out
    seen = max(info.seen_at, activity.get(info.key) or 0.0)
    if now - info.login_at > _lifetime() or now - seen > _idle_timeout():
        return True
    row = current_box().store.agent(info.agent)
    return row is None or not row[2] or info.pw != _password_mark(row[0])


def current_agent() -> str | None:
    """The logged-in agent's name, or None (no session, over 10 h old, idle too long, account disabled)."""
    if "agent_checked" in g:
        return g.agent_checked  # type: ignore[no-any-return]
    g.agent_checked = None
    name = session.get("agent")
    if not name:
        return None
    now = _now()
    login_at = float(session.get("login_at") or 0)
    seen = float(session.get("seen_at") or login_at)
    # the cookie is re-signed at each request, so its own expiry moves on: the limit from login is kept here
    if now - login_at > _lifetime() or now - seen > _idle_timeout():
        log_out()
        return None
    row = current_box().store.agent(str(name))
    if row is None or not row[2] or session.get("pw") != _password_mark(row[0]):
        log_out()  # disabled, deleted or its password reset: this session stops here
        return None
    g.agent_role = row[1]
    if now - seen > 60:  # refresh the idle clock, not on every request (each refresh rewrites the cookie)
        session["seen_at"] = now
        key = session.get("csrf")
        if key:
            activity = _activity()
            if len(activity) > 10_000:  # bounded: forget sessions idle past the timeout
                for k, v in list(activity.items()):
                    if v is None or now - v > _idle_timeout():
                        del activity[k]
            activity[str(key)] = now
    g.agent_checked = str(name)
    return str(name)


def current_role() -> str | None:
    return g.get("agent_role") if current_agent() else None


def csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(24)
    return str(session["csrf"])


def check_csrf() -> bool:
    sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf_token") or ""
    expected = session.get("csrf")
    # as bytes: compare_digest refuses str with non-ASCII characters (a crafted header would be a 500)
    return bool(expected) and secrets.compare_digest(str(sent).encode(), str(expected).encode())


def agent_required(view: F) -> F:
    @functools.wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_agent() is None:
            abort(401)
        if request.method == "POST" and not check_csrf():
            abort(403)
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def role_required(*roles: str) -> Callable[[F], F]:
    """Like agent_required, and the account's current role must be one of `roles` (else 403)."""

    def deco(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_agent() is None:
                abort(401)
            if current_role() not in roles:
                abort(403)
            if request.method == "POST" and not check_csrf():
                abort(403)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return deco


def login_throttle() -> LoginThrottle:
    """The box's one throttle of failed logins, shared by every login page (counter page, manager's pages)."""
    ext = current_app.extensions
    if "login_throttle" not in ext:
        cfg = current_app.config
        ext["login_throttle"] = LoginThrottle(
            free=int(cfg.get("LOGIN_FREE_FAILURES", 5)),
            base_delay=float(cfg.get("LOGIN_DELAY_BASE", 15)),
            max_delay=float(cfg.get("LOGIN_DELAY_MAX", 900)),
            per_address=int(cfg.get("LOGIN_FAILURES_PER_ADDRESS", 30)),
            window=float(cfg.get("LOGIN_FAILURE_WINDOW", 600)),
        )
    throttle: LoginThrottle = ext["login_throttle"]
    return throttle


def throttled_login_page(template: str, wait: float, **context: Any) -> tuple[str, int, dict[str, str]]:
    """The login page again, saying how many minutes to wait: a 429 with Retry-After (counter and manager alike)."""
    from flask import render_template

    from contactpoint.messages import message

    text = message("login_throttled").format(minutes=max(1, math.ceil(wait / 60)))
    return render_template(template, error=text, **context), 429, {"Retry-After": str(math.ceil(wait))}


def login_form_refused(template: str, **context: Any) -> tuple[str, int] | None:
    """None when a login form's POST carries the token of the session that got the form; else the login page
    again (with a fresh token) saying the form expired, 403, and nobody is logged in or counted by the throttle.

    Login CSRF: without it another site could post its own account's name and password from a visitor's browser
    and have the kiosk or a colleague's tablet work under the attacker's account. The token lives in the
    pre-login session (`csrf_token()`, a cookie sent only to this site: SameSite=Lax)."""
    if check_csrf():
        return None
    from flask import render_template

    from contactpoint.messages import message

    return render_template(template, error=message("csrf_failed"), **context), 403


def attempt_login(name: str, password: str) -> tuple[str | None, float]:
    """Check a login through the throttle: (role or None, seconds to wait; > 0 means refused unchecked)."""
    name = form_name(name)  # "alice " and "alice" are one account and one throttle count, on every login page
    throttle = login_throttle()
    address = request.remote_addr or "?"
    now = _now()
    store = current_box().store
    unlocked_at = store.agent_unlocked_at(name) if name else 0.0  # a manager's unlock, maybe from the CLI
    wait = throttle.retry_after(address, name, now, unlocked_at)
    if wait > 0:
        return None, wait
    role = check_login(name, password) if name and password else None
    if role is None:
        delay = throttle.failed(address, name, now, unlocked_at)
        if delay > 0:
            log.warning("login: failures in a row for %r from %s, next attempt in %d s", name[:60], address, delay)
    else:
        throttle.succeeded(address, name, now)
    return role, 0.0


def unlock(name: str, by: str) -> int:
    """A manager's unlock of an account held by the throttle (logged). Returns how many (account, address)
    pairs were waiting. Stamped in the accounts' table too, so `contactpoint agent unlock` (another process)
    has the same effect."""
    store = current_box().store
    store.unlock_agent(name, _now())
    held = login_throttle().unlock(name)
    log.warning("login: %r unlocked by %r (%d address(es) were waiting)", name, by, held)
    return held


def set_role(store: Any, name: str, role: str) -> bool:
    """Give an account another role (the manager's agents page; audited there with `agent_changed`)."""
    with store.transaction() as db:
        return bool(db.execute("UPDATE agents SET role = ? WHERE name = ?", (role, name)).rowcount > 0)


def set_password(store: Any, name: str, password: str) -> bool:
    """Give an account a new password, hashed; its sessions end at their next request."""
    with store.transaction() as db:
        sql = "UPDATE agents SET password_hash = ? WHERE name = ?"
        return bool(db.execute(sql, (hash_password(password), name)).rowcount > 0)

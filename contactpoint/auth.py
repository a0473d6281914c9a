"""Agent accounts, sessions and CSRF protection. Passwords are hashed with Werkzeug's scrypt.

Sessions are signed cookies (Flask). A session ends:
- after `PERMANENT_SESSION_LIFETIME` (10 h, a working day) from login, whatever happens (checked against the
  login time kept in the session: the cookie's own expiry moves on at every request);
- after `AGENT_IDLE_TIMEOUT` seconds (default 2 h) without any request from the agent (an action, a resync);
- at the next request once the account is disabled (or deleted), its role changed or its password reset: every
  request reads the account again, so a manager's "disable" or a new password takes effect at once;
- at logout.
A console's live socket is checked against the same rules by a sweep (`session_ended`, counter/).

Failed logins are throttled per address and per account name (`LoginThrottle`), in memory.
"""

from __future__ import annotations

import functools
import hashlib
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import abort, current_app, g, request, session
from werkzeug.security import check_password_hash, generate_password_hash

ROLES = ("agent", "manager", "technician")
MIN_PASSWORD = 10
MAX_NAME = 60
DEFAULT_IDLE_TIMEOUT_S = 2 * 3600
F = TypeVar("F", bound=Callable[..., Any])


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
    cp = current_app.extensions.get("contactpoint")
    return float(cp.engine.clock()) if cp is not None else time.time()


def check_login(name: str, password: str) -> str | None:
    """The agent's role when name and password match an active account, else None."""
    store = current_app.extensions["contactpoint"].store
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
    row = current_app.extensions["contactpoint"].store.agent(name)
    if row is not None:
        session["pw"] = _password_mark(row[0])
    if lang:
        session["lang"] = lang


def log_out() -> None:
    key = session.get("csrf")
    if key and session.get("agent"):
        _activity()[str(key)] = None  # its live sockets are closed by the console's sweep (or at once by logout)
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

    A console's live socket makes no request, so the sweep that ends sockets of ended sessions reads here when
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
    row = current_app.extensions["contactpoint"].store.agent(info.agent)
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
    row = current_app.extensions["contactpoint"].store.agent(str(name))
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


class LoginThrottle:
    """Failed logins per address and per account name in a sliding window; in memory.

    Only failures count, so many agents logging in behind one address are never locked out by their own
    successful logins, and a wrong guess costs the guesser, not the agent: at most `per_address` failures
    per address and `per_name` per account name within `window` seconds, then 429 until the oldest failure
    leaves the window. One box runs one process, so memory is the right place; a restart forgets (and costs
    an attacker far more than the throttle saves). Bounded: at most `max_keys` keys are tracked.
    """

    def __init__(self, per_address: int = 10, per_name: int = 20, window: float = 600.0, max_keys: int = 10_000):
        self.per_address = per_address
        self.per_name = per_name
        self.window = window
        self.max_keys = max_keys
        self._fails: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._fails.get(key)
        if q is None:
            return deque()
        while q and now - q[0] > self.window:
            q.popleft()
        if not q:
            del self._fails[key]
        return q

    def retry_after(self, address: str, name: str, now: float) -> float:
        """Seconds to wait before another attempt is allowed (0: allowed now)."""
        with self._lock:
            wait = 0.0
            for key, limit in (("a:" + address, self.per_address), ("n:" + name.casefold(), self.per_name)):
                q = self._recent(key, now)
                if len(q) >= limit:
                    wait = max(wait, self.window - (now - q[-limit]))
            return wait

    def failed(self, address: str, name: str, now: float) -> None:
        with self._lock:
            if len(self._fails) >= self.max_keys:
                for key in list(self._fails):
                    self._recent(key, now)
                if len(self._fails) >= self.max_keys:
                    self._fails.clear()  # under a flood from countless addresses: forget rather than grow
            for key in ("a:" + address, "n:" + name.casefold()):
                self._fails.setdefault(key, deque()).append(now)


def login_throttle() -> LoginThrottle:
    """The box's one throttle of failed logins, shared by every login page (console, manager's pages)."""
    ext = current_app.extensions
    if "login_throttle" not in ext:
        cfg = current_app.config
        ext["login_throttle"] = LoginThrottle(
            per_address=int(cfg.get("LOGIN_FAILURES_PER_ADDRESS", 10)),
            per_name=int(cfg.get("LOGIN_FAILURES_PER_NAME", 20)),
            window=float(cfg.get("LOGIN_FAILURE_WINDOW", 600)),
        )
    throttle: LoginThrottle = ext["login_throttle"]
    return throttle


def throttled_login_page(template: str, wait: float, **context: Any) -> tuple[str, int, dict[str, str]]:
    """The login page again, saying how many minutes to wait: a 429 with Retry-After (console and manager alike)."""
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
    wait = throttle.retry_after(address, name, now)
    if wait > 0:
        return None, wait
    role = check_login(name, password) if name and password else None
    if role is None:
        throttle.failed(address, name, now)
    return role, 0.0

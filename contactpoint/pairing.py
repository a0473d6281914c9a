"""Device pairing: every request to a device page (`/kiosk/`, `/display/`, `/counter/`, `/feedback/`) and every
Socket.IO connection to its namespace must come from a browser paired for that role (docs/devices.md).

An unpaired browser gets a 403 page with a short pairing code and the role its page asked for; the technician
approves the code on `/manage/devices` or with `contactpoint device approve CODE --role ROLE --name NAME`, and the
page goes on by itself (it polls `/pairing/status`). The credential is the cookie the browser got with its code:
HttpOnly, SameSite=Strict, 400 days; the box stores its hash only (contactpoint/device_store.py). Every request
reads the devices table (a primary-key lookup), so an approval or a revocation from the command line counts at
the next request. `[devices] pairing = "first-sight"` (the demo) pairs a browser never seen at its first page.
The namespaces' side, the live sockets and the sweep are in contactpoint/pairing_sockets.py.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Flask, after_this_request, current_app, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l

from contactpoint import __version__
from contactpoint.box import box_of, current_box
from contactpoint.device_store import Device, DeviceStore, new_secret
from contactpoint.domain.devices import FIRST_SIGHT, MODES, role_of_path
from contactpoint.messages import message

log = logging.getLogger(__name__)
COOKIE = "contactpoint_device"
COOKIE_MAX_AGE = 400 * 24 * 3600  # Chrome's cap on a cookie's lifetime
TOUCH_EVERY_S = 60.0  # a device's last contact is written at most this often (each write is an fsync)
ROLE_LABELS = {
    "kiosk": _l("kiosk"),
    "display": _l("waiting-room display"),
    "counter": _l("counter"),
    "feedback": _l("feedback tablet"),
}

bp = Blueprint("pairing", __name__, url_prefix="/pairing")


def devices_of(app: Flask) -> DeviceStore:
    ds = app.extensions.get("devices")
    if not isinstance(ds, DeviceStore):
        raise TypeError("the devices store is not set up")
    return ds


def mode(app: Flask) -> str:
    """"required" or "first-sight": the app's DEVICE_PAIRING (the demo, CONTACTPOINT_PAIRING), else the site
    file's `[devices] pairing`."""
    return str(app.config.get("DEVICE_PAIRING") or box_of(app).site_config.pairing)


def _now() -> float:
    return float(current_box().engine.clock())


def _user_agent() -> str:
    return (request.headers.get("User-Agent") or "")[:300]


def _is_page_load() -> bool:
    """A page itself (what the last page and the version are about), not its JSON, audio or socket requests."""
    from contactpoint.app import wants_json

    return request.method == "GET" and not wants_json() and not request.path.endswith((".wav", "/speech"))


def _page_name() -> str:
    """The page as its route names it ("/kiosk/fr/ticket/<token>"): never a visitor's token; a display's zone."""
    rule = request.url_rule.rule if request.url_rule is not None else request.path
    lang = (request.view_args or {}).get("lang")
    if lang:
        rule = rule.replace("<lang>", str(lang)[:5])
    zone = request.args.get("zone")
    return (rule + (f"?zone={zone[:40]}" if zone else ""))[:200]


class Touches:
    """What was last written of each device (when, which page), so a busy kiosk costs a write when its page
    changes or once a minute, not one a request."""

    def __init__(self) -> None:
        self.written: dict[int, float] = {}
        self.pages: dict[int, str] = {}

    def due(self, device_id: int, now: float) -> bool:
        return now - self.written.get(device_id, float("-inf")) >= TOUCH_EVERY_S

    def record(self, ds: DeviceStore, device: Device, now: float, page_load: bool) -> None:
        page = _page_name() if page_load else None
        if not self.due(device.id, now) and (page is None or page == self.pages.get(device.id)):
            return
        self.written[device.id] = now
        if page is not None:
            self.pages[device.id] = page
        ds.touch(device.id, now, page, _user_agent() if page else None, __version__ if page else None)


def credential() -> tuple[str, Device | None]:
    """The request's cookie secret ("" if none) and the device it belongs to (revoked too), or None."""
    secret = request.cookies.get(COOKIE, "")
    if not secret or len(secret) > 100:
        return "", None
    return secret, devices_of(current_app).by_secret(secret)


def allowed(role: str) -> tuple[bool, Device | None]:
    """Whether the current request (an HTTP request or a socket's handshake) may reach `role`'s page, and the
    active device it comes from (None: no device, which only first-sight mode lets through)."""
    secret, device = credential()
    if device is not None and device.active:
        return device.role == role or mode(current_app) == FIRST_SIGHT, device
    if mode(current_app) == FIRST_SIGHT and device is None:
        return not (secret and devices_of(current_app).pending_of(secret)), None
    return False, None


def _set_cookie(resp: Any, secret: str) -> Any:
    resp.set_cookie(COOKIE, secret, max_age=COOKIE_MAX_AGE, httponly=True, samesite="Strict", path="/")
    return resp


def refusal(role: str) -> Any:
    """The 403 an unpaired browser gets: a page with its pairing code (made now if it has none), or JSON."""
    from contactpoint.app import wants_json

    ds = devices_of(current_app)
    secret, device = credential()
    pending = None
    if device is not None and device.active:  # paired, for another page
        key = "device_wrong_role"
    else:
        if not secret or device is not None:  # no cookie, or a revoked one: a new secret and a new code
            secret = new_secret()
        pending = ds.pending_of(secret) if device is None else None
        if pending is None or pending.role != role or _now() - pending.seen_at >= TOUCH_EVERY_S:
            pending = ds.ask(secret, role, _now(), _user_agent(), request.remote_addr or "")  # a write: not each time
        key = "device_not_paired"
    if wants_json():
        body = {"error": key, "message": message(key), "role": role, "code": pending.code if pending else None}
        resp = jsonify(body)
    else:
        resp = current_app.make_response(render_template(
            "pairing.html", site=current_box().site, key=key, text=message(key), role=role,
            role_label=str(ROLE_LABELS[role]), code=pending.code if pending else None, device=device,
            paired_label=str(ROLE_LABELS.get(device.role, device.role)) if device else None,
        ))
    resp.status_code = 403
    resp.headers["Cache-Control"] = "no-store"
    return _set_cookie(resp, secret) if pending else resp  # again: its 400 days start anew


def guard() -> Any:
    """before_request: a device page's request passes only from a browser paired for its role."""
    role = role_of_path(request.path)
    if role is None or (request.endpoint or "").endswith(".static"):
        return None
    ok, device = allowed(role)
    if not ok:
        return refusal(role)
    ds = devices_of(current_app)
    touches: Touches = current_app.extensions["devices.touches"]
    if device is not None:
        g.device = device
        touches.record(ds, device, _now(), _is_page_load())
    elif _is_page_load():  # first sight: pair this browser now, as the role of its first page
        secret = new_secret()
        device = ds.pair_on_first_sight(secret, role, _now(), _user_agent())
        log.info("devices: %s paired on first sight as %r (device %d)", request.remote_addr, device.name, device.id)
        touches.record(ds, device, _now(), True)
        after_this_request(lambda resp: _set_cookie(resp, secret))
    return None


@bp.get("/status")
def status() -> Any:
    """What the pairing page polls: {"paired": true} once an approval made its cookie a credential."""
    secret, device = credential()
    body: dict[str, Any] = {"paired": bool(device and device.active)}
    if device and device.active:
        body["role"] = device.role
    elif secret:
        pending = devices_of(current_app).pending_of(secret)
        if pending is not None:
            body["code"] = pending.code
            if _now() - pending.seen_at >= TOUCH_EVERY_S:
                devices_of(current_app).seen(secret, _now())
    resp = jsonify(body)
    resp.headers["Cache-Control"] = "no-store"
    return resp


def init_app(app: Flask, socketio: Any) -> None:
    """After every device's init_app: the guard before each request, the namespaces' checks, the sweep."""
    from contactpoint import pairing_sockets

    box = box_of(app)
    if app.config.get("DEVICE_PAIRING") not in (None, *MODES):
        wrong = app.config["DEVICE_PAIRING"]
        raise ValueError(f"CONTACTPOINT_PAIRING must be one of {', '.join(MODES)}, got {wrong!r}")
    app.extensions["devices"] = DeviceStore(box.store)
    app.extensions["devices.touches"] = Touches()
    app.register_blueprint(bp)
    app.before_request(guard)
    pairing_sockets.init_app(app, socketio)
    if mode(app) == FIRST_SIGHT:
        log.warning("devices: pairing on first sight: every browser that opens a device page is paired (the demo;"
                    " a site sets [devices] pairing = \"required\")")

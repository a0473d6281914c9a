"""The device namespaces' side of pairing (contactpoint/pairing.py): a connection to `/kiosk`, `/display`,
`/counter` or `/feedback` from a browser not paired for that role is refused (`ConnectionRefusedError
("device_not_paired")`: live.js then reloads its page, which shows the pairing code), the paired ones are
remembered while they are connected (the manager's devices page, `/api/health`), and a sweep every few seconds
logs the approvals and revocations the command line made, closes the sockets of revoked devices and writes the
connected devices' last contact.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from flask import Flask, request
from flask_socketio import ConnectionRefusedError

from contactpoint.box import Periodic, box_of
from contactpoint.device_store import Device, DeviceStore
from contactpoint.domain.devices import ROLES, device_approved, device_revoked

log = logging.getLogger(__name__)
SWEEP_S = 5.0


class Connected:
    """The live sockets of paired devices: sid → (device id, namespace)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sockets: dict[str, tuple[int, str]] = {}

    def add(self, sid: str, device_id: int, namespace: str) -> None:
        with self._lock:
            self.sockets[sid] = (device_id, namespace)

    def remove(self, sid: str) -> None:
        with self._lock:
            self.sockets.pop(sid, None)

    def devices(self) -> set[int]:
        with self._lock:
            return {d for d, _ns in self.sockets.values()}

    def of(self, device_id: int) -> list[tuple[str, str]]:
        with self._lock:
            return [(sid, ns) for sid, (d, ns) in self.sockets.items() if d == device_id]


def connected_of(app: Flask) -> Connected:
    found = app.extensions["devices.connected"]
    assert isinstance(found, Connected)
    return found


def _guarded_connect(role: str, original: Callable[..., Any] | None, connected: Connected) -> Callable[..., Any]:
    def on_connect(auth: Any = None) -> Any:
        from contactpoint.pairing import allowed

        ok, device = allowed(role)
        if not ok:
            raise ConnectionRefusedError("device_not_paired")
        result = None
        if original is not None:
            try:
                result = original(auth)
            except TypeError:
                result = original()
        if result is not False and device is not None:
            connected.add(request.sid, device.id, request.namespace)  # type: ignore[attr-defined]
        return result

    return on_connect


def _guarded_disconnect(original: Callable[..., Any] | None, connected: Connected) -> Callable[..., Any]:
    def on_disconnect(*args: Any) -> Any:
        connected.remove(request.sid)  # type: ignore[attr-defined]
        return original(*args) if original is not None else None

    return on_disconnect


def guard_namespaces(socketio: Any, connected: Connected) -> list[str]:
    """Put the pairing check in front of each device namespace's connect handler; returns the namespaces."""
    from flask_socketio import Namespace

    guarded = []
    for role in ROLES:
        name = f"/{role}"
        handlers = socketio.server.namespace_handlers
        ns = handlers.get(name)
        if ns is None:  # a device page without a namespace of its own (the feedback tablet): refuse it all the same
            ns = Namespace(name)
            socketio.on_namespace(ns)
        ns.on_connect = _guarded_connect(role, getattr(ns, "on_connect", None), connected)
        ns.on_disconnect = _guarded_disconnect(getattr(ns, "on_disconnect", None), connected)
        guarded.append(name)
    return guarded


def drop(app: Flask, device_id: int) -> int:
    """Close the live sockets of a device (just revoked); returns how many."""
    socketio = box_of(app).socketio
    sockets = connected_of(app).of(device_id)
    for sid, namespace in sockets:
        connected_of(app).remove(sid)
        try:
            socketio.server.disconnect(sid, namespace=namespace)
        except Exception:  # already gone
            log.debug("socket %s of device %d already closed", sid, device_id)
    return len(sockets)


def log_changes(app: Flask) -> int:
    """Append the audit events of the approvals and revocations not logged yet (the command line's, or a change
    the server made just now); returns how many."""
    ds: DeviceStore = app.extensions["devices"]
    engine = box_of(app).engine
    n = 0
    for change, d in ds.unlogged():
        by = (d.approved_by if change == "approved" else d.revoked_by) or ""
        command = device_approved if change == "approved" else device_revoked
        engine.run(command, device=d.id, role=d.role, name=d.name, by=by)
        ds.mark_logged(d.id, 1 if change == "approved" else 2)
        n += 1
    return n


def sweep(app: Flask) -> None:
    """Every SWEEP_S: the command line's changes logged, revoked devices' sockets closed, last contacts written."""
    with app.app_context():
        log_changes(app)
        ds: DeviceStore = app.extensions["devices"]
        live = connected_of(app).devices()
        if not live:
            return
        now = float(box_of(app).engine.clock())
        touches = app.extensions["devices.touches"]
        by_id: dict[int, Device] = {d.id: d for d in ds.devices()}
        for device_id in live:
            d = by_id.get(device_id)
            if d is None or not d.active:
                log.warning("devices: device %d was revoked: its sockets are closed", device_id)
                drop(app, device_id)
            elif touches.due(device_id, now):
                touches.written[device_id] = now
                ds.touch(device_id, now, None, None, None)


def health(app: Flask) -> dict[str, Any]:
    from contactpoint.pairing import mode

    ds: DeviceStore = app.extensions["devices"]
    devices = [d for d in ds.devices() if d.active]
    now = float(box_of(app).engine.clock())
    return {"pairing": mode(app), "paired": len(devices), "connected": len(connected_of(app).devices()),
            "pending": len(ds.pending(now))}


def init_app(app: Flask, socketio: Any) -> None:
    connected = Connected()
    app.extensions["devices.connected"] = connected
    guard_namespaces(socketio, connected)
    box = box_of(app)
    with app.app_context():
        log_changes(app)  # what the command line did while the server was stopped
    box.add_service(Periodic("devices sweep", float(app.config.get("DEVICES_SWEEP_S", SWEEP_S)),
                             lambda: sweep(app)))
    app.extensions.setdefault("health", {})["devices"] = lambda: health(app)

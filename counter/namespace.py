"""The counter page's Socket.IO namespace: agents' sockets only, closed when their session ends."""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask_socketio import ConnectionRefusedError, Namespace

from contactpoint import auth
from contactpoint.box import box_of

COUNTER_SWEEP_S = 30.0


class CounterNamespace(Namespace):
    """Agents only. A socket whose session ends is closed: at once when its account is disabled from the
    manager's page or the session logs out, else at the next sweep (every `COUNTER_SWEEP_S` seconds: 10 h after
    login, idle too long, password changed, account disabled from the command line)."""

    def __init__(self, namespace: str) -> None:
        super().__init__(namespace)
        self.sids: dict[str, auth.SessionInfo] = {}

    def on_connect(self, auth_data: Any = None) -> None:
        name = auth.current_agent()  # the Flask session of the page's cookie
        info = auth.session_info()
        if name is None or info is None:
            raise ConnectionRefusedError("login_required")
        self.sids[request.sid] = info  # type: ignore[attr-defined]

    def on_disconnect(self, reason: Any = None) -> None:
        self.sids.pop(request.sid, None)  # type: ignore[attr-defined]

    def _drop(self, sids: list[str]) -> None:
        for sid in sids:
            self.sids.pop(sid, None)
            self.socketio.server.disconnect(sid, namespace=self.namespace)

    def drop_agent(self, name: str) -> None:
        self._drop([sid for sid, info in list(self.sids.items()) if info.agent == name])

    def drop_session(self, key: str) -> None:
        self._drop([sid for sid, info in list(self.sids.items()) if info.key == key])

    def sweep(self, app: Flask) -> list[str]:
        """Close the sockets of sessions that have ended, and the counters of accounts that were disabled or
        deleted (the command line writes the accounts from another process). Returns the sids closed."""
        with app.app_context():
            cp = box_of(app)
            now = cp.engine.clock()
            ended = [sid for sid, info in list(self.sids.items()) if auth.session_ended(info, now)]
            self._drop(ended)
            for c in cp.engine.counters():
                if c.open and c.agent:
                    row = cp.store.agent(c.agent)
                    if row is None or not row[2]:
                        cp.engine.release_counters_of(c.agent, "disabled")
        return ended

"""The kiosk's Socket.IO namespace: printer status and counters opening or closing (the needs screen)."""

from __future__ import annotations

from typing import Any

from flask_socketio import Namespace


class KioskNamespace(Namespace):
    def on_connect(self, auth: Any = None) -> None:
        pass


"""The Today page's Socket.IO namespace, `/manage`: managers' sockets only, each in its language's room; the
pusher sends every room the page's fresh view after each batch of committed events, and every `EVERY_S`
seconds without any (a visitor who waits past a need's standard raises its alert even when nothing happens).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask, request
from flask_babel import force_locale, get_locale
from flask_socketio import ConnectionRefusedError, Namespace, emit, join_room

from contactpoint import auth
from contactpoint.box import Worker, box_of
from contactpoint.bus import Published

from .live import WeekCache, alert_texts, today_view

log = logging.getLogger(__name__)
NAMESPACE = "/manage"
EVERY_S = 5.0  # the longest a time-driven alert (a wait passing its standard) takes to appear
SPACING_S = 0.2  # a burst of events costs at most five views a second


class ManageNamespace(Namespace):
    """Managers only: the session of the page's cookie must be a manager's, checked at connect (the account's
    role as stored now) and again at each push every `EVERY_S` s (a socket whose session ended is closed)."""

    def __init__(self, namespace: str = NAMESPACE) -> None:
        super().__init__(namespace)
        self.sids: dict[str, tuple[auth.SessionInfo, str]] = {}
        self.pusher: TodayPusher | None = None

    def on_connect(self, auth_data: Any = None) -> None:
        name = auth.current_agent()
        info = auth.session_info()
        if name is None or info is None:
            raise ConnectionRefusedError("login_required")
        if auth.current_role() != "manager":
            raise ConnectionRefusedError("forbidden")
        lang = str(get_locale() or "en")
        sid = request.sid  # type: ignore[attr-defined]
        self.sids[sid] = (info, lang)
        join_room(f"lang:{lang}")
        if self.pusher is not None:
            emit("today", self.pusher.view_for(lang, self.pusher.view()))

    def on_disconnect(self, reason: Any = None) -> None:
        self.sids.pop(request.sid, None)  # type: ignore[attr-defined]

    def langs(self) -> set[str]:
        return {lang for _, lang in list(self.sids.values())}

    def sweep(self, app: Flask) -> None:
        """Close the sockets of sessions that ended or accounts that are no longer a manager's."""
        with app.app_context():
            now = box_of(app).engine.clock()
            store = box_of(app).store
            for sid, (info, _lang) in list(self.sids.items()):
                row = store.agent(info.agent)
                if auth.session_ended(info, now) or row is None or row[1] != "manager":
                    self.sids.pop(sid, None)
                    self.socketio.server.disconnect(sid, namespace=self.namespace)


class TodayPusher(Worker):
    """Sends the Today view to the managers' rooms: soon after events (at most every `SPACING_S` s), else
    every `EVERY_S` s while a manager is connected. Nothing is computed while nobody watches."""

    name = "manager's today pusher"

    def __init__(self, app: Flask, ns: ManageNamespace, every: float = EVERY_S) -> None:
        super().__init__()
        self.app = app
        self.ns = ns
        self.every = every
        self.cache = WeekCache()
        self._cv = threading.Condition()
        self._dirty = False
        self._stopped = False
        self.pushes = 0

    def start(self) -> None:
        self._stopped = False
        super().start()

    def changed(self, batch: list[Published]) -> None:
        """A bus subscriber (after the pages were sent a batch): a fresh view is due."""
        if self.ns.sids:
            with self._cv:
                self._dirty = True
                self._cv.notify()

    def _wake(self) -> None:
        with self._cv:
            self._stopped = True
            self._cv.notify()

    def view(self) -> dict[str, Any]:
        return today_view(box_of(self.app), self.cache)

    def view_for(self, lang: str, view: dict[str, Any]) -> dict[str, Any]:
        with force_locale(lang):
            return view | {"alerts": alert_texts(view, box_of(self.app), lang)}

    def push(self) -> None:
        with self.app.app_context():
            self.ns.sweep(self.app)
            langs = self.ns.langs()
            if not langs:
                return
            view = self.view()
            for lang in sorted(langs):
                self.ns.socketio.emit("today", self.view_for(lang, view), namespace=NAMESPACE, to=f"lang:{lang}")
            self.pushes += 1

    def _run(self) -> None:
        while True:
            with self._cv:
                if not self._dirty and not self._stopped:
                    self._cv.wait(self.every)
                if self._stopped:
                    return
                self._dirty = False
            try:
                if self.ns.sids:
                    self.push()
            except Exception:  # the page must keep getting its figures whatever one push did
                log.exception("the manager's today push failed")
            time.sleep(SPACING_S)

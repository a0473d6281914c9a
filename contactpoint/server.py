"""Serving the app: gevent's WSGI server (the default of `contactpoint serve|demo`) or Werkzeug's threaded one
(`CONTACTPOINT_ASYNC=threading`), websockets through simple-websocket either way, and the day-close ticker."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from flask import Flask

from contactpoint.store import StoreFull

log = logging.getLogger(__name__)


def start_ticker(app: Flask, every: float = 15.0) -> threading.Thread:
    """Close the day when the site's local date turns, even when nobody takes a ticket."""
    cp = app.extensions["contactpoint"]

    def loop() -> None:
        while True:
            time.sleep(every)
            try:
                cp.engine.tick()
            except StoreFull:  # logged once by the store; the day closes at the first tick with space again
                pass
            except Exception:
                log.exception("day-close tick failed")

    t = threading.Thread(target=loop, name="ticker", daemon=True)
    t.start()
    return t


def _serve_gevent(app: Flask, host: str, port: int) -> None:
    """gevent's WSGI server on a listener with TCP_NODELAY (else a keep-alive client waits ~40 ms per request
    for Nagle and delayed ACKs); websockets through simple-websocket, as in threading mode."""
    import socket

    from gevent import pywsgi

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.bind((host, port))
    listener.listen(256)
    pywsgi.WSGIServer(listener, app, log=None, error_log=None).serve_forever()


def serve(app: Flask, host: str, port: int, **kwargs: Any) -> None:
    cp = app.extensions["contactpoint"]
    start_ticker(app)
    for task in app.extensions.get("background_tasks", []):  # e.g. the console's session sweep (counter/)
        task()
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if cp.socketio.async_mode == "gevent":
        _serve_gevent(app, host, port)
        return
    cp.socketio.run(
        app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False, log_output=False, **kwargs
    )

"""Serving the app: gevent's WSGI server (the default of `contactpoint serve|demo`) or Werkzeug's threaded one
(`CONTACTPOINT_ASYNC=threading`), websockets through simple-websocket either way, and the day-close ticker."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from flask import Flask

from contactpoint import dayclose, sd_notify
from contactpoint.box import Box, Periodic, box_of
from contactpoint.store import StoreFull

log = logging.getLogger(__name__)
TICK_S = 15.0  # how often the day-close timer looks at the date


def add_day_close_timer(box: Box, every: float = TICK_S) -> Periodic:
    """Close the day when the site's local date turns or its closing time comes, even when nobody takes a ticket,
    and answer `contactpoint day close` (a Box service; contactpoint/dayclose.py)."""

    def tick() -> None:
        try:
            dayclose.tick(box.engine)  # the date turned, the closing time came, `contactpoint day close` asked
        except StoreFull:  # logged once by the store; the day closes at the first tick with space again
            pass

    timer = Periodic("day-close timer", every, tick)
    box.add_service(timer)
    return timer


def _serve_gevent(app: Flask, host: str, port: int) -> None:
    """gevent's WSGI server on a listener with TCP_NODELAY (else a keep-alive client waits ~40 ms per request
    for Nagle and delayed ACKs); websockets through simple-websocket, as in threading mode."""
    import socket

    import gevent
    from gevent import pywsgi

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.bind((host, port))
    listener.listen(256)
    server = pywsgi.WSGIServer(listener, app, log=None, error_log=None)
    gevent.signal_handler(signal.SIGTERM, _stopping, server)  # systemctl stop: close the box, then exit 0
    sd_notify.notify("READY=1")  # it listens: connections queue from here on
    server.serve_forever()


def _watchdog_ping() -> None:
    sd_notify.notify("WATCHDOG=1")


def _stopping(server: Any) -> None:
    sd_notify.notify("STOPPING=1")
    import gevent

    gevent.spawn(server.stop, 0.25)  # not in the signal's callback; open requests get a quarter second to end


def serve(app: Flask, host: str, port: int, **kwargs: Any) -> None:
    """Start the box (every background service) and serve until the process ends; then close the box."""
    cp = box_of(app)
    period = sd_notify.watchdog_period()
    if period is not None:  # contactpoint.service's WatchdogSec: pings from the server's own loop
        cp.add_service(Periodic("systemd watchdog", period, _watchdog_ping))
    cp.start()
    try:
        _run(app, cp, host, port, **kwargs)
    finally:
        cp.close()


def _run(app: Flask, cp: Box, host: str, port: int, **kwargs: Any) -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if cp.socketio.async_mode == "gevent":
        _serve_gevent(app, host, port)
        return
    if threading.current_thread() is threading.main_thread():  # Werkzeug's server ends on KeyboardInterrupt
        signal.signal(signal.SIGTERM, _interrupt)
    sd_notify.notify("READY=1")  # Werkzeug listens a moment later; gevent's server (the default) says it exactly
    cp.socketio.run(
        app, host=host, port=port, allow_unsafe_werkzeug=True, use_reloader=False, log_output=False, **kwargs
    )


def _interrupt(signum: int, frame: Any) -> None:
    sd_notify.notify("STOPPING=1")
    raise KeyboardInterrupt

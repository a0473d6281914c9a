"""The counter page: agents log in, open a counter, call, serve, transfer and close visits.

The manager's page of agent accounts is `/manage/agents` (manage/agents.py). Every action is a POST to
`/counter/api/<command>` with the session's CSRF token; the counter page keeps in sync over the `/counter` namespace.
"""

from __future__ import annotations

from contactpoint.counter.namespace import COUNTER_SWEEP_S, CounterNamespace
from contactpoint.counter.views import bp, my_counter
from flask import Flask
from flask_socketio import SocketIO

from contactpoint.box import Periodic, box_of

__all__ = ["COUNTER_SWEEP_S", "CounterNamespace", "bp", "init_app", "my_counter"]


def init_app(app: Flask, socketio: SocketIO) -> None:
    app.register_blueprint(bp)
    ns = CounterNamespace("/counter")
    box_of(app).counters_ns = ns
    socketio.on_namespace(ns)

    every = float(app.config.get("COUNTER_SWEEP_S", COUNTER_SWEEP_S))
    box_of(app).add_service(Periodic("counter sweep", every, lambda: ns.sweep(app) and None))

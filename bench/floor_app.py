"""The raw floors, each run as its own process by the server's interpreter (runtime dependencies only).

python -m bench.floor_app sqlite   --data DIR --seconds S   one thread, the ticket transaction in a loop; prints JSON
python -m bench.floor_app flask    --data DIR --port P      bare Flask, Werkzeug threaded server like ours:
                                                            POST /tickets does the ticket transaction
python -m bench.floor_app socketio --port P                 bare Flask-SocketIO, threading mode like ours:
                                                            POST /emit sends one message to /display and /counter
Both servers answer GET /ping when ready and listen on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from typing import Any

from bench.shapes import TicketWriter

# about the size of one of our "events" messages (a call with its ticket, its counter and the summary)
PAD = "x" * 900


def sqlite_floor(data: str, seconds: float) -> dict[str, Any]:
    w = TicketWriter(os.path.join(data, "floor.sqlite3"))
    for _ in range(50):  # warm-up
        w.issue()
    lat: list[float] = []
    end = time.perf_counter() + seconds
    while True:
        t0 = time.perf_counter()
        if t0 >= end or len(lat) >= 1_000_000:
            break
        w.issue()
        lat.append(time.perf_counter() - t0)
    lat.sort()
    p99 = lat[max(0, int(len(lat) * 0.99 + 0.999999) - 1)]
    return {
        "n": len(lat),
        "per_s": round(len(lat) / sum(lat), 1),
        "p50_ms": round(lat[len(lat) // 2] * 1000, 3),
        "p99_ms": round(p99 * 1000, 3),
    }


def flask_app(data: str) -> Any:
    from flask import Flask, jsonify, request

    app = Flask(__name__)
    w = TicketWriter(os.path.join(data, "floor.sqlite3"))

    @app.get("/ping")
    def ping() -> Any:
        return "ok"

    @app.post("/tickets")
    def tickets() -> Any:
        body = request.get_json(silent=True) or {}
        return jsonify(w.issue(str(body.get("need", "moving")), str(body.get("lang", "fr")))), 201

    return app


def socketio_app() -> tuple[Any, Any]:
    from flask import Flask, request
    from flask_socketio import SocketIO

    app = Flask(__name__)
    socketio = SocketIO(app, async_mode="threading", logger=False, engineio_logger=False)

    @app.get("/ping")
    def ping() -> Any:
        return "ok"

    @app.post("/emit")
    def emit() -> Any:
        body = request.get_json(silent=True) or {}
        msg = {"id": body.get("id"), "pad": PAD}
        for ns in ("/display", "/counter"):
            socketio.emit("m", msg, namespace=ns)
        return "", 204

    for ns in ("/display", "/counter"):
        socketio.on("connect", namespace=ns)(lambda auth=None: None)
    return app, socketio


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.floor_app")
    ap.add_argument("mode", choices=["sqlite", "flask", "socketio"])
    ap.add_argument("--data", default=".")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--seconds", type=float, default=2.0)
    a = ap.parse_args(argv)
    if a.mode == "sqlite":
        print(json.dumps(sqlite_floor(a.data, a.seconds)), flush=True)
        return 0
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    if a.mode == "flask":
        from werkzeug.serving import run_simple

        run_simple("127.0.0.1", a.port, flask_app(a.data), threaded=True, use_reloader=False)
    else:
        app, socketio = socketio_app()
        socketio.run(
            app, host="127.0.0.1", port=a.port, allow_unsafe_werkzeug=True, use_reloader=False, log_output=False
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

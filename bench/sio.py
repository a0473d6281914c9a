"""Socket.IO listeners: client threads in the bench process, each timestamping receipt with perf_counter.

Two kinds of client, chosen with --client:
- "raw" (default): a minimal Socket.IO v5 / Engine.IO v4 client over websocket-client, one thread per client,
  no work beyond parsing. The least client-side overhead, so the figures are the server's.
- "socketio": python-socketio's Client (what a Python program would use); it starts a thread per received
  message, which on 2 cores adds a few ms at 40 clients and much more under load.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from bench.proc import HOST, BenchError

logging.getLogger("socketio").setLevel(logging.CRITICAL)
logging.getLogger("engineio").setLevel(logging.CRITICAL)
logging.getLogger("websocket").setLevel(logging.CRITICAL)


class Listener:
    """One client on one namespace. For our app's "events": keeps the last `to`, counts gaps (from ≠ last to + 1)
    and the receipt time of every ticket_called seq. For the floor's "m": the receipt time of every id."""

    def __init__(self, pool: Pool, ns: str, event: str, cookie: str | None) -> None:
        self.pool, self.ns, self.event, self.cookie = pool, ns, event, cookie
        self.last_to = 0
        self.batches = 0
        self.gaps = 0
        self.bytes = 0
        self.seen: dict[int, float] = {}
        self.disconnected = False

    def record(self, msg: dict[str, Any], t: float, size: int = 0) -> None:
        with self.pool.cv:
            self.batches += 1
            self.bytes += size
            if self.event == "events":
                if self.last_to and msg["from"] != self.last_to + 1:
                    self.gaps += 1
                self.last_to = max(self.last_to, int(msg["to"]))
                for ev in msg["events"]:
                    if ev["type"] == "ticket_called":
                        self.seen[int(ev["seq"])] = t
            else:
                self.seen[int(msg["id"])] = t
            self.pool.cv.notify_all()

    def connect(self, port: int) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


_RANGE = re.compile(r'^\["events", ?\{"from": ?(\d+), ?"to": ?(\d+)')


class RawListener(Listener):
    def connect(self, port: int) -> None:
        import websocket

        headers = [f"Cookie: {self.cookie}"] if self.cookie else []
        ws = websocket.create_connection(f"ws://{HOST}:{port}/socket.io/?EIO=4&transport=websocket",
                                         header=headers, timeout=10)
        self.ws = ws
        opening = ws.recv()
        if not str(opening).startswith("0"):
            raise BenchError(f"unexpected Engine.IO opening {str(opening)[:80]!r}")
        ws.send(f"40{self.ns},")
        answer = str(ws.recv())
        if not answer.startswith(f"40{self.ns},"):
            raise BenchError(f"namespace {self.ns} refused: {answer[:120]!r}")
        ws.settimeout(60)  # the server pings every 25 s
        self.thread = threading.Thread(target=self._loop, daemon=True, name=f"sio{self.ns}")
        self.thread.start()

    def _loop(self) -> None:
        prefix = f"42{self.ns},"
        try:
            while True:
                m = self.ws.recv()
                t = time.perf_counter()
                if not isinstance(m, str):
                    continue
                if m == "2":
                    self.ws.send("3")
                elif m.startswith(prefix):
                    body = m[m.index("[", len(prefix) - 1):]
                    head = _RANGE.match(body)
                    if head and '"ticket_called"' not in body:  # only the seq range matters: skip the parse
                        self.record({"from": int(head[1]), "to": int(head[2]), "events": []}, t, len(m))
                        continue
                    name, msg = json.loads(body)[:2]
                    if name == self.event:
                        self.record(msg, t, len(m))
                elif m.startswith("1") or m.startswith(f"41{self.ns}"):
                    break
        except Exception:  # noqa: BLE001 - closed by us or by a dying server
            pass
        self.disconnected = True
        with self.pool.cv:
            self.pool.cv.notify_all()

    def close(self) -> None:
        try:
            self.ws.close(timeout=1)
        except Exception:  # noqa: BLE001
            pass


class SioListener(Listener):
    def connect(self, port: int) -> None:
        import socketio

        self.sio = socketio.Client(reconnection=False, handle_sigint=False)

        def on_event(msg: dict[str, Any]) -> None:
            self.record(msg, time.perf_counter())

        def on_disconnect(*_: Any) -> None:
            self.disconnected = True

        self.sio.on(self.event, on_event, namespace=self.ns)
        self.sio.on("disconnect", on_disconnect, namespace=self.ns)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        self.sio.connect(f"http://{HOST}:{port}", headers=headers, namespaces=[self.ns], transports=["websocket"],
                         wait_timeout=10)

    def close(self) -> None:
        try:
            self.sio.disconnect()
        except Exception:  # noqa: BLE001
            pass


KINDS: dict[str, type[Listener]] = {"raw": RawListener, "socketio": SioListener}


class Pool:
    def __init__(self, kind: str = "raw") -> None:
        self.kind = KINDS[kind]
        self.cv = threading.Condition()
        self.clients: list[Listener] = []

    def add(self, port: int, ns: str, n: int, *, event: str = "events", cookie: str | None = None,
            alive: Callable[[], None] = lambda: None) -> list[Listener]:
        added = []
        for _ in range(n):
            c = self.kind(self, ns, event, cookie)
            try:
                c.connect(port)
            except Exception as e:  # noqa: BLE001 - say which client and why
                alive()
                raise BenchError(f"Socket.IO client could not connect to {ns}: {e!r}") from e
            self.clients.append(c)
            added.append(c)
        return added

    def connected(self) -> int:
        return sum(1 for c in self.clients if not c.disconnected)

    def wait_all(self, key: int, timeout: float, clients: Iterable[Listener] | None = None) -> list[float] | None:
        """Receipt times of `key` by every client, or None when some did not get it within `timeout`."""
        group = list(clients if clients is not None else self.clients)
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                if all(key in c.seen for c in group):
                    return [c.seen[key] for c in group]
                left = deadline - time.monotonic()
                if left <= 0 or any(c.disconnected for c in group):
                    return None
                self.cv.wait(min(left, 0.5))

    def wait_seq(self, seq: int, timeout: float) -> float:
        """Share of clients whose last `to` reached `seq` (waiting up to `timeout`)."""
        deadline = time.monotonic() + timeout
        with self.cv:
            while True:
                n = sum(1 for c in self.clients if c.last_to >= seq)
                if n == len(self.clients) or time.monotonic() >= deadline:
                    return n / len(self.clients) if self.clients else 0.0
                self.cv.wait(0.2)

    def close(self, timeout: float = 5.0) -> None:
        """Close every client in parallel, bounded: a graceful Socket.IO disconnect can take seconds each."""
        threads = [threading.Thread(target=c.close, daemon=True) for c in self.clients]
        for t in threads:
            t.start()
        deadline = time.monotonic() + timeout
        for t in threads:
            t.join(max(0.0, deadline - time.monotonic()))
        self.clients.clear()

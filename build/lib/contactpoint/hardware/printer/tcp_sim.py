"""A virtual network ticket printer (port-9100 style raw TCP) for tests, demos and browser tests.

    sim = VirtualNetworkPrinter(mode="ok"); port = sim.start()
    ... make_printer({"type": "network", "host": "127.0.0.1", "port": port}) ...
    decode_escpos(sim.received); sim.mode = "paper_out"; sim.stop()

Modes: "ok", "paper_low", "paper_out", "cover_open" (answer DLE EOT 1/2/4 like an Epson TM printer),
"stall" (accepts the connection, never reads nor answers), "refuse" (the port refuses connections).
The command stream is tokenised with :mod:`.decode`, so DLE EOT bytes inside raster data are not mistaken
for status queries. ``mode`` may be changed while running.
"""

from __future__ import annotations

import socket
import threading

from .decode import IncompleteCommand, next_command

MODES = ("ok", "paper_low", "paper_out", "cover_open", "stall", "refuse")

# status bytes; bits 1 and 4 are always set (0x12)
_ONLINE, _OFFLINE = 0x12, 0x1A  # DLE EOT 1: bit 3 = offline
_CAUSE = {"cover_open": 0x16, "paper_out": 0x32}  # DLE EOT 2: bit 2 cover open, bit 5 paper end stop
_PAPER = {"paper_low": 0x1E, "paper_out": 0x72}  # DLE EOT 4: bits 2-3 near end, bits 5-6 paper end


class VirtualNetworkPrinter:
    def __init__(self, mode: str = "ok", host: str = "127.0.0.1") -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        self.mode = mode
        self.host = host
        self.port = 0
        self.status_queries = 0
        self.connections = 0
        self._received = bytearray()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._server: socket.socket | None = None
        self._clients: list[socket.socket] = []
        self._threads: list[threading.Thread] = []

    @property
    def received(self) -> bytes:
        """Every byte received so far, status queries included (decode it with decode_escpos)."""
        with self._lock:
            return bytes(self._received)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()

    def start(self) -> int:
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind((self.host, 0))
        self.port = server.getsockname()[1]
        self._server = server
        if self.mode != "refuse":  # a bound socket that never listens refuses connections (RST)
            server.listen(8)
            server.settimeout(0.05)
            self._spawn(self._accept_loop)
        return self.port

    def stop(self) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=2)
        with self._lock:
            for c in self._clients:
                c.close()
            self._clients.clear()
        if self._server is not None:
            self._server.close()
            self._server = None

    def __enter__(self) -> VirtualNetworkPrinter:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _spawn(self, target: object, *args: object) -> None:
        t = threading.Thread(target=target, args=args, daemon=True, name="virtual-printer")  # type: ignore[arg-type]
        self._threads.append(t)
        t.start()

    def _accept_loop(self) -> None:
        assert self._server is not None
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except (TimeoutError, OSError):
                continue
            with self._lock:
                self._clients.append(conn)
                self.connections += 1
            self._spawn(self._serve, conn)

    def _answer(self, n: int) -> bytes:
        mode = self.mode
        self.status_queries += 1
        if n == 1:
            return bytes([_OFFLINE if mode in ("paper_out", "cover_open") else _ONLINE])
        if n == 2:
            return bytes([_CAUSE.get(mode, 0x12)])
        if n == 4:
            return bytes([_PAPER.get(mode, 0x12)])
        return bytes([0x12])

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(0.05)
        pending = b""
        while not self._stop.is_set():
            if self.mode == "stall":
                self._stop.wait(0.05)
                continue
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            with self._lock:
                self._received += chunk
            pending += chunk
            i = 0
            while i < len(pending):
                try:
                    cmd, nxt = next_command(pending, i)
                except IncompleteCommand:
                    break
                except ValueError:  # unknown command: a real printer would skip the byte too
                    nxt = i + 1
                else:
                    if cmd.name == "DLE EOT" and self.mode != "stall":
                        try:
                            conn.sendall(self._answer(cmd.params[0]))
                        except OSError:
                            return
                i = nxt
            pending = pending[i:]

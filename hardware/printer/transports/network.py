"""``type = "network"``: a raw TCP printer (port 9100), through python-escpos's ``Network``."""

from __future__ import annotations

import socket
from collections.abc import Callable
from typing import Any

from contactpoint.hardware.printer.driver import STATUS_QUERY, EscposDriver
from contactpoint.hardware.printer.registry import Transport
from contactpoint.hardware.printer.settings import Setting
from escpos.escpos import Escpos
from escpos.exceptions import DeviceNotFoundError
from escpos.printer import Network


class _Network(Network):  # type: ignore[misc]  # python-escpos is untyped
    """python-escpos 3.1's Network.open() leaks the socket when connect() fails (a ResourceWarning);
    this closes it. Everything else is python-escpos's."""

    def open(self, raise_not_found: bool = True) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect((self.host, self.port))
        except OSError as e:
            sock.close()
            self._device = False
            raise DeviceNotFoundError(f"Could not open socket for {self.host}:{self.port}: {e}") from e
        self.device = sock


class NetworkPrinter(EscposDriver):
    blocking_io = False  # sockets: cooperative under gevent (image rendering goes through `offload`)

    def __init__(self, host: str, port: int = 9100, timeout: float = 2.0, **kw: Any) -> None:
        kw.setdefault("status_timeout", min(1.0, timeout))
        super().__init__(**kw)
        self.host, self.port, self.timeout = host, port, timeout

    def _create(self) -> Escpos:
        return _Network(host=self.host, port=self.port, timeout=self.timeout, profile=self.profile)

    def _before_status(self, dev: Escpos) -> Callable[[], None]:
        sock: socket.socket = dev.device
        sock.settimeout(0)  # drop stale bytes (a late answer to an earlier query)
        try:
            while sock.recv(64):
                pass
        except (BlockingIOError, InterruptedError):
            pass
        sock.settimeout(self.status_timeout)
        return lambda: sock.settimeout(self.timeout)


TRANSPORT = Transport(
    "network",
    NetworkPrinter,
    (
        STATUS_QUERY,
        Setting.text("host"),
        Setting.integer("port", 9100, lo=1),
        Setting.seconds("timeout", 2.0),
        Setting.seconds("status_timeout", 1.0, default_from=lambda read: min(1.0, read["timeout"])),
    ),
    rank=2,
)

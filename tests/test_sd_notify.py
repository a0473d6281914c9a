"""The server speaks systemd's notification protocol (contactpoint.service is Type=notify with WatchdogSec):
checked with a real AF_UNIX datagram socket, as systemd listens, and a real `contactpoint serve` process."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from contactpoint import sd_notify
from tests.live_server import ROOT, free_port


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    path = str(tmp_path / "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(60)  # a bound on a broken test, never a measure
    yield sock, path
    sock.close()


def test_notify_sends_one_datagram_to_the_socket_systemd_names(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    assert sd_notify.notify("READY=1", {"NOTIFY_SOCKET": path})
    assert sock.recv(4096) == b"READY=1"


def test_notify_reaches_an_abstract_socket_too() -> None:
    name = f"contactpoint-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(60)
        assert sd_notify.notify("WATCHDOG=1", {"NOTIFY_SOCKET": "@" + name})
        assert sock.recv(4096) == b"WATCHDOG=1"


def test_without_systemd_or_with_a_dead_socket_notify_does_nothing(tmp_path: Path) -> None:
    assert not sd_notify.notify("READY=1", {})
    assert not sd_notify.notify("READY=1", {"NOTIFY_SOCKET": "relative/path"})
    assert not sd_notify.notify("READY=1", {"NOTIFY_SOCKET": str(tmp_path / "nobody-listens")})


def test_the_watchdog_pings_at_half_its_period_for_this_process_only() -> None:
    assert sd_notify.watchdog_period({"WATCHDOG_USEC": "30000000"}) == 15.0
    assert sd_notify.watchdog_period({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": str(os.getpid())}) == 15.0
    assert sd_notify.watchdog_period({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "1"}) is None
    assert sd_notify.watchdog_period({}) is None
    assert sd_notify.watchdog_period({"WATCHDOG_USEC": "soon"}) is None
    assert sd_notify.watchdog_period({"WATCHDOG_USEC": "0"}) is None


def test_a_served_box_says_ready_once_it_listens_pings_and_says_stopping(
    listener: tuple[socket.socket, str], tmp_path: Path
) -> None:
    sock, path = listener
    port = free_port()
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC="400000", PYTHONUNBUFFERED="1")
    env.pop("WATCHDOG_PID", None)
    args = [sys.executable, "-m", "contactpoint.provisioning.cli", "serve", "--config",
            str(ROOT / "contactpoint" / "sample_site.toml"), "--host", "127.0.0.1", "--port", str(port),
            "--data", str(tmp_path / "data")]
    with open(tmp_path / "server.log", "w") as log:
        proc = subprocess.Popen(args, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        assert sock.recv(4096) == b"READY=1"
        # READY=1 came once it listens: the very next request is answered
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/health", timeout=60) as r:
            assert isinstance(json.load(r), dict)
        pings = [sock.recv(4096) for _ in range(2)]
        assert pings == [b"WATCHDOG=1", b"WATCHDOG=1"]
        proc.send_signal(signal.SIGTERM)
        while (message := sock.recv(4096)) == b"WATCHDOG=1":
            pass
        assert message == b"STOPPING=1"
        assert proc.wait(60) == 0, (tmp_path / "server.log").read_text()  # the box closed, then exited cleanly
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()

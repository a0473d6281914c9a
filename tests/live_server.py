"""A real server in a subprocess, for browser tests and restarts: `contactpoint demo` on a free port."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    def __init__(self, data_dir: Path, port: int | None = None, config: str | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.config = config
        self.proc: subprocess.Popen[str] | None = None
        self.password = ""  # the demo's manager, "demo"
        self.agent_password = ""  # the demo's agent, "agent"
        self.log = data_dir / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> None:
        args = [sys.executable, "-m", "contactpoint.provisioning.cli"]
        if self.config:
            args += ["serve", "--config", self.config, "--host", "127.0.0.1"]
        else:
            args += ["demo"]
        args += ["--port", str(self.port), "--data", str(self.data_dir)]
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        out = open(self.log, "a")  # noqa: SIM115 - closed with the process
        self.proc = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True, env=env)
        out.close()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/api/health", timeout=1) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError(f"server did not answer in {timeout}s: {self.log.read_text()[-2000:]}")
        found = dict(re.findall(r"name '([^']+)', password '([^']+)'", self.log.read_text()))  # the last run's
        self.password = found.get("demo", "")
        self.agent_password = found.get("agent", "")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()

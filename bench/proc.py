"""Server processes: ephemeral ports, spawn, readiness, RSS, and a guaranteed kill (try/finally + atexit)."""

from __future__ import annotations

import atexit
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
_LIVE: list[Server] = []


class BenchError(RuntimeError):
    """A measurement could not be made (server died, timed out, answered wrongly)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def server_python(explicit: str | None = None) -> str:
    """The runtime-only interpreter (what the box runs) when it exists, else this one."""
    if explicit:
        return explicit
    rt = REPO / ".venv" / "bin" / "python"
    return str(rt) if rt.exists() else sys.executable


def _secret_free(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if "password" not in line.lower())


class Server:
    """One server subprocess; output goes to a log file (never a pipe that could fill up and block it)."""

    def __init__(self, name: str, argv: list[str], workdir: Path) -> None:
        self.name = name
        self.port = free_port()
        self.argv = [a.replace("{port}", str(self.port)) for a in argv]
        self.log_path = workdir / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.spawned_at = 0.0

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self) -> Server:
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)
        env["CONTACTPOINT_RATELIMIT"] = "0"  # the kiosk's per-address limit would refuse a load from one address
        env["CONTACTPOINT_PAIRING"] = "first-sight"  # the load's clients are no paired browsers (docs/devices.md)
        with open(self.log_path, "wb") as log:
            self.spawned_at = time.perf_counter()
            self.proc = subprocess.Popen(
                self.argv, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env
            )
        _LIVE.append(self)
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return _secret_free("\n".join(text.splitlines()[-lines:]))

    def check(self) -> None:
        if not self.alive():
            code = None if self.proc is None else self.proc.returncode
            raise BenchError(f"{self.name} server exited (code {code}); last lines:\n{self.log_tail()}")

    def wait_ready(self, path: str, timeout: float = 20.0) -> float:
        """Poll GET path until 200; returns seconds since spawn."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            self.check()
            try:
                c = http.client.HTTPConnection(HOST, self.port, timeout=2)
                c.request("GET", path)
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    return time.perf_counter() - self.spawned_at
            except OSError:
                pass
            time.sleep(0.005)
        raise BenchError(f"{self.name} server not answering {path} after {timeout:.0f} s:\n{self.log_tail()}")

    def status(self) -> dict[str, int]:
        """VmRSS, VmHWM (kB) and Threads of the server process only."""
        out: dict[str, int] = {}
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                key, _, val = line.partition(":")
                if key in ("VmRSS", "VmHWM", "Threads"):
                    out[key] = int(val.split()[0])
        return out

    def cpu_s(self) -> float:
        """User + system CPU seconds used so far by the server process (all its threads)."""
        with open(f"/proc/{self.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        p = self.proc
        if p is not None and p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=3)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=3)
        if self in _LIVE:
            _LIVE.remove(self)

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def stop_all() -> None:
    for s in list(_LIVE):
        try:
            s.stop()
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


atexit.register(stop_all)


def fresh_dir(parent: Path, prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix, dir=parent))

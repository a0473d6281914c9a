"""The technician's checks: small functions, each returning one `Check` (name, ok|warn|fail, one line, a hint).

The file-level checks here (database integrity, WAL size, schema version, free disk, clock, the spoken
announcements) need no server: `contactpoint selftest` runs them itself. The server's side (the printer it owns,
the buttons, the pages connected, the reporter) is in `contactpoint/selftest_api.py`; the cheap ones of both make
`GET /api/health` and `contactpoint health` (docs/technician.md, "Self-test and health").
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

OK, WARN, FAIL = "ok", "warn", "fail"
_RANK = {OK: 0, WARN: 1, FAIL: 2}
DEFAULT_MIN_FREE_MB = 200  # below this the data folder is "full": a day's log is a few MB, a backup a few more
MIN_FREE_ENV = "CONTACTPOINT_MIN_FREE_MB"
WAL_WARN_BYTES = 64 * 1024 * 1024  # SQLite checkpoints at 4 MB: a WAL this big means a reader holds it back
DAMAGED = "the file is damaged: sudo systemctl stop contactpoint, then contactpoint restore the last backup"
REINSTALL = "sudo apt install --reinstall espeak-ng espeak-ng-data"
SILENT_RMS = 0.005  # as `contactpoint announce`: below this a rendered phrase is silence


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: str  # ok | warn | fail
    message: str
    hint: str = ""

    def __post_init__(self) -> None:
        if self.status not in _RANK:
            raise ValueError(f"unknown check status {self.status!r}")

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_dict(cls, raw: Any) -> Check:
        if not isinstance(raw, dict) or raw.get("status") not in _RANK:
            return cls("server", FAIL, f"the server answered a check this command cannot read: {raw!r:.80}")
        return cls(str(raw.get("name", "?")), raw["status"], str(raw.get("message", "")), str(raw.get("hint", "")))

    def line(self) -> str:
        text = f"{self.status:<5}{self.name:<11} {self.message}"
        return f"{text}\n{'':16}-> {self.hint}" if self.hint and self.status != OK else text


class SelfTestJob:
    """The technician's test ticket (`POST /api/selftest`), printed by the worker between the visitors' jobs:
    `wait()` gives the status key it ended with (`printer_ok`, or the error that stopped it)."""

    def __init__(self, content: Any) -> None:
        self.content = content
        self.key: str | None = None
        self._done = threading.Event()

    def finish(self, key: str) -> None:
        self.key = key
        self._done.set()

    def wait(self, timeout: float) -> str | None:
        """The status key, or None when the worker did not get to it within `timeout` seconds."""
        return self.key if self._done.wait(timeout) else None


def worst(checks: Iterable[Check]) -> str:
    return max((c.status for c in checks), key=_RANK.__getitem__, default=OK)


def min_free_mb() -> float:
    """The free space the data folder must keep (CONTACTPOINT_MIN_FREE_MB, default 200)."""
    raw = os.environ.get("CONTACTPOINT_MIN_FREE_MB", "").strip()
    try:
        return float(raw) if raw else DEFAULT_MIN_FREE_MB
    except ValueError:
        return DEFAULT_MIN_FREE_MB


def _mb(n: float) -> str:
    return f"{n / 1e6:.0f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB"


# -- the database file ----------------------------------------------------------------------------------------
def _read_only(path: Path) -> sqlite3.Connection:
    if not path.exists():
        raise FileNotFoundError(str(path))
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=10.0)


def database_integrity(path: Path) -> Check:
    """`PRAGMA quick_check` on a read-only connection (the server writes on: WAL lets both go on)."""
    try:
        db = _read_only(path)
        try:
            rows = [r[0] for r in db.execute("PRAGMA quick_check(5)")]
        finally:
            db.close()
    except FileNotFoundError:
        return Check("database", FAIL, f"no database at {path}", "check --data (the server's --data folder)")
    except sqlite3.Error as e:
        return Check("database", FAIL, f"{path.name}: {e}", DAMAGED)
    if rows == ["ok"]:
        return Check("database", OK, f"{path.name}: quick_check ok ({_mb(path.stat().st_size)})")
    return Check("database", FAIL, f"{path.name}: {'; '.join(rows)[:200]}", DAMAGED)


def wal_size(path: Path, warn_bytes: int = WAL_WARN_BYTES) -> Check:
    """The write-ahead log's size: SQLite folds it back every 4 MB unless a reader holds it."""
    wal = Path(f"{path}-wal")
    size = wal.stat().st_size if wal.exists() else 0
    if size > warn_bytes:
        return Check("wal", WARN, f"write-ahead log is {_mb(size)} (over {_mb(warn_bytes)})",
                     "a tool keeps the database open: close it, or restart the service")
    return Check("wal", OK, f"write-ahead log {_mb(size)}")


def schema_of(db: sqlite3.Connection) -> int:
    row = db.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def schema_check(found: int) -> Check:
    from contactpoint.migrations import MIGRATIONS

    code = len(MIGRATIONS)
    if found == code:
        return Check("schema", OK, f"schema version {found}, as this release")
    if found > code:
        return Check("schema", FAIL, f"schema version {found}, newer than this release's {code}",
                     "a later release wrote it: contactpoint update, or restore a backup of this release")
    return Check("schema", WARN, f"schema version {found}, this release's is {code}",
                 "the server migrates it when it starts: sudo systemctl restart contactpoint")


def schema_version(path: Path) -> Check:
    try:
        db = _read_only(path)
        try:
            found = schema_of(db)
        finally:
            db.close()
    except FileNotFoundError:
        return Check("schema", FAIL, f"no database at {path}", "check --data (the server's --data folder)")
    except sqlite3.Error as e:
        return Check("schema", FAIL, f"cannot read the schema version: {e}", "see the database line")
    return schema_check(found)


# -- the machine ----------------------------------------------------------------------------------------------
def disk_space(folder: Path, minimum_mb: float | None = None) -> Check:
    minimum = (min_free_mb() if minimum_mb is None else minimum_mb) * 1e6
    try:
        free = shutil.disk_usage(folder).free
    except OSError as e:
        return Check("disk", FAIL, f"cannot read the free space of {folder}: {e.strerror}", "check --data")
    if free < minimum:
        return Check("disk", FAIL, f"{_mb(free)} free in {folder}, under {_mb(minimum)}",
                     "free space: old backups (/var/lib/contactpoint/backups), journalctl --vacuum-size=50M")
    return Check("disk", OK, f"{_mb(free)} free in {folder}")


def clock(timeout: float = 5.0) -> Check:
    """Whether systemd-timesyncd (or another NTP client) synchronised the clock: `timedatectl show`."""
    binary = shutil.which("timedatectl")
    if binary is None:
        return Check("clock", WARN, "unknown: no timedatectl here", "check the date by hand: date")
    # without the server's NOTIFY_SOCKET: a systemd tool that fails reports its errno there (ERRNO=112 when
    # systemd is not PID 1), as if the server itself had failed
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NOTIFY_SOCKET", "WATCHDOG_"))}
    try:
        done = subprocess.run([binary, "show", "-p", "NTPSynchronized"], capture_output=True, text=True,
                              timeout=timeout, check=False, env=env)
    except (OSError, subprocess.SubprocessError) as e:
        return Check("clock", WARN, f"unknown: timedatectl failed ({e})", "check the date by hand: date")
    value = done.stdout.strip().partition("=")[2] if done.returncode == 0 else ""
    now = time.strftime("%Y-%m-%d %H:%M %Z")
    if value == "yes":
        return Check("clock", OK, f"synchronised ({now})")
    if value == "no":
        return Check("clock", FAIL, f"not synchronised ({now})",
                     "the box needs the network and NTP: timedatectl timesync-status; the screens wait for it")
    said = ((done.stdout or done.stderr).strip().splitlines() or [""])[0][:80]
    return Check("clock", WARN, f"unknown: timedatectl says {said!r}",
                 "check the date by hand: date")


class CachedClock:
    """`clock()` at most once a minute (it runs a process; /api/health is polled)."""

    def __init__(self, every_s: float = 60.0) -> None:
        self.every_s = every_s
        self._at: float | None = None
        self._check: Check | None = None

    def __call__(self) -> Check:
        now = time.monotonic()
        if self._check is None or self._at is None or now - self._at >= self.every_s:
            self._check, self._at = clock(), now
        return self._check


def version() -> Check:
    from contactpoint import __version__

    return Check("version", OK, f"contactpoint {__version__}")


# -- the announcements ----------------------------------------------------------------------------------------
def announcement_languages(site: Any) -> list[str]:
    out: list[str] = []
    for lang in [*site.languages, *site.announcement_languages]:
        if lang not in out:
            out.append(lang)
    return out


def announcements(site: Any) -> list[Check]:
    """One call rendered in each site language by espeak-ng, as `contactpoint announce` does, and the speech
    (not the chime before it) measured: silence or no voice is a failed line."""
    from flask import Flask

    from contactpoint.announce import render_one, voices_for_site
    from contactpoint.hardware.audio import AudioError, EspeakAnnouncer, wav_stats
    from contactpoint.i18n import babel, catalogues

    app = Flask("contactpoint.selftest")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(catalogues())
    chosen: dict[str, str] = {}
    babel.init_app(app, locale_selector=lambda: chosen.get("lang"))
    counter = site.counters[0].label if site.counters else "1"
    out = []
    with tempfile.TemporaryDirectory(prefix="contactpoint-selftest-") as tmp:
        tts = EspeakAnnouncer(Path(tmp) / "cache", speed=site.display.speech_rate, voices=voices_for_site(site))
        for lang in announcement_languages(site):
            name = f"voice {lang}"
            chosen["lang"] = lang
            try:
                text = render_one(app, tts, lang=lang, number="A042", counter=counter, out=Path(tmp) / f"{lang}.wav")
                stats = wav_stats(tts.render(text, lang))  # the speech alone, from the cache render_one filled
            except AudioError as e:
                hint = f"sudo apt install espeak-ng; contactpoint announce --lang {lang} --out /tmp/a.wav"
                out.append(Check(name, FAIL, f"{e.key}: {e.detail}"[:160], hint))
                continue
            except Exception as e:  # a broken WAV: the line says so, the other languages go on
                out.append(Check(name, FAIL, f"{type(e).__name__}: {e}"[:160], REINSTALL))
                continue
            if stats.rms < SILENT_RMS or stats.duration_s <= 0:
                silent = f"the spoken call is silent (rms {stats.rms:.4f}, {stats.duration_s:.2f} s)"
                out.append(Check(name, FAIL, silent, f"espeak-ng has no working voice for {lang}: {REINSTALL}"))
            else:
                out.append(Check(name, OK, f"{stats.duration_s:.1f} s, rms {stats.rms:.3f}: {text}"[:160]))
    return out

"""The parts of an update (contactpoint/update.py): the package's metadata and version, the release folders and
their symlinks, copies of the database, the service command and its health, the log of updates.

No Flask here: the command runs beside (or without) a server.
"""

from __future__ import annotations

import email.parser
import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import tarfile
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from contactpoint.lockfile import StoreBusy, hold

NAME = "contactpoint"
DEFAULT_PREFIX = "/opt/contactpoint"
DEFAULT_DATA = "/var/lib/contactpoint"
DEFAULT_SERVICE_CMD = "systemctl {action} contactpoint"
DEFAULT_HEALTH_URL = "http://127.0.0.1:8080/api/health"
DATABASE = "contactpoint.sqlite3"


class UpdateError(RuntimeError):
    """A refusal or a failed step, said for the technician."""


@dataclass(frozen=True)
class Layout:
    prefix: Path
    data: Path

    @property
    def releases(self) -> Path:
        return self.prefix / "releases"

    @property
    def current(self) -> Path:
        return self.prefix / "current"

    @property
    def previous(self) -> Path:
        return self.prefix / "previous"

    @property
    def log(self) -> Path:
        return self.prefix / "updates.log"

    @property
    def database(self) -> Path:
        return self.data / DATABASE

    @property
    def saved(self) -> Path:  # the databases saved before each update (and set aside by a roll back)
        return self.data / "backups" / "pre-update"


@dataclass(frozen=True)
class Package:
    path: Path
    version: Version
    kind: str  # "wheel" | "sdist"


# -- the package ---------------------------------------------------------------------------------------------
def read_package(path: Path) -> Package:
    """The package's name and version from its own metadata; refuses anything that is not a contactpoint wheel
    or source tarball."""
    if not path.is_file():
        raise UpdateError(f"{path}: no such file")
    name = path.name
    try:
        if name.endswith(".whl"):
            kind, meta = "wheel", _wheel_metadata(path)
        elif name.endswith((".tar.gz", ".tgz", ".tar")):
            kind, meta = "sdist", _sdist_metadata(path)
        else:
            raise UpdateError(f"{path}: not a package: give a wheel (.whl) or a source tarball (.tar.gz) of {NAME}")
    except (zipfile.BadZipFile, tarfile.TarError, OSError, EOFError) as e:
        raise UpdateError(f"{path}: not a readable {'wheel' if name.endswith('.whl') else 'tarball'} ({e})") from None
    if meta is None:
        raise UpdateError(f"{path}: no package metadata inside: not a {NAME} package")
    found = str(meta.get("Name") or "")
    if canonicalize_name(found) != NAME:
        raise UpdateError(f"{path}: a package of {found or 'no name'!r}, not of {NAME}: refused")
    try:
        version = Version(str(meta.get("Version") or ""))
    except InvalidVersion:
        raise UpdateError(f"{path}: its version {meta.get('Version')!r} is not a valid version") from None
    return Package(path, version, kind)


def _parse(text: bytes) -> Any:
    return email.parser.BytesParser().parsebytes(text, headersonly=True)


def _wheel_metadata(path: Path) -> Any:
    with zipfile.ZipFile(path) as z:
        names = [n for n in z.namelist() if n.count("/") == 1 and n.endswith(".dist-info/METADATA")]
        return _parse(z.read(names[0])) if names else None


def _sdist_metadata(path: Path) -> Any:
    with tarfile.open(path) as t:
        members = [m for m in t.getmembers() if m.isfile() and m.name.count("/") == 1 and m.name.endswith("/PKG-INFO")]
        f = t.extractfile(members[0]) if members else None
        return _parse(f.read()) if f is not None else None


def check_newer(new: Version, old: Version, force: bool) -> None:
    """Refuse an older or equal version unless forced."""
    if new > old or force:
        return
    word = "the same as" if new == old else "older than"
    raise UpdateError(f"{new} is {word} the running {old}: refused (--force installs it anyway)")


def release_version(release: Path) -> Version:
    """The contactpoint version installed in a release's venv (its dist-info), else the folder's name."""
    for info in sorted(release.glob(f"lib/python*/site-packages/{NAME}-*.dist-info")):
        try:
            return Version(info.name.removesuffix(".dist-info").split("-", 1)[1])
        except InvalidVersion:
            pass
    try:
        return Version(release.name)
    except InvalidVersion:
        raise UpdateError(f"{release}: no {NAME} installed there (no dist-info, and not a version's name)") from None


# -- symlinks and databases ----------------------------------------------------------------------------------
def switch(link: Path, target: Path) -> None:
    """Point `link` at `target` atomically (a new symlink renamed over the old one), relative within the prefix."""
    tmp = link.with_name(f".{link.name}.new")
    tmp.unlink(missing_ok=True)
    os.symlink(os.path.relpath(target, link.parent), tmp)
    os.replace(tmp, link)


def resolved(link: Path) -> Path | None:
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


def backup_db(src: Path, dest: Path) -> None:
    """A consistent copy with SQLite's online backup API (the server may write meanwhile), checked by opening it."""
    makedirs_like(dest.parent, src.parent)
    tmp = dest.with_name(dest.name + ".part")
    tmp.unlink(missing_ok=True)
    source = sqlite3.connect(str(src), timeout=30)
    try:
        target = sqlite3.connect(str(tmp))
        try:
            source.backup(target)
            ok = target.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            target.close()
    finally:
        source.close()
    if ok != "ok":
        tmp.unlink(missing_ok=True)
        raise UpdateError(f"the copy of {src} does not check: {ok}")
    _like(tmp, src)
    os.replace(tmp, dest)


def place_db(src: Path, live: Path, *, keep_src: bool) -> None:
    """Put `src` in place of the live database: its old WAL and shared memory go (they belong to the file it
    replaces), the new file gets the live one's owner, then one rename."""
    tmp = live.with_name(live.name + ".incoming")
    if keep_src:
        shutil.copyfile(src, tmp)
    else:
        os.replace(src, tmp)
    _like(tmp, live if live.exists() else live.parent)
    for extra in ("-wal", "-shm"):
        Path(str(live) + extra).unlink(missing_ok=True)
    os.replace(tmp, live)


def _like(path: Path, model: Path) -> None:
    """Give `path` the owner and group of `model` when we may (root, updating the service user's files)."""
    if os.geteuid() == 0 and model.exists():
        st = model.stat()
        os.chown(path, st.st_uid, st.st_gid)


def makedirs_like(path: Path, model: Path) -> None:
    """Create `path` and its missing parents, each owned like `model`: folders root makes in the state folder
    stay writable by the service user (the nightly backup writes in DATA/backups)."""
    missing = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        folder.mkdir()
        _like(folder, model)


def ensure_stopped(db: Path, wait: float = 10.0) -> None:
    """The server holds the database's lock file while it runs: taking it proves the service stopped (waiting a
    little for a service command that returns before the last of the server's threads is gone)."""
    lock = Path(str(db) + ".lock")
    end = time.monotonic() + wait
    while True:
        try:
            hold(str(lock)).close()
            break
        except StoreBusy as e:
            if time.monotonic() >= end:
                raise UpdateError(f"the service did not stop: {e}") from None
            time.sleep(0.1)
    _like(lock, db)  # had root just made it, the server could not open it


# -- the service and its health ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Service:
    """`systemctl {action} contactpoint`, or any command template with `{action}` (start | stop)."""

    template: str = DEFAULT_SERVICE_CMD

    def __post_init__(self) -> None:
        if "{action}" not in self.template:
            raise UpdateError(f"the service command {self.template!r} has no {{action}} to replace by start/stop")

    def command(self, action: str) -> list[str]:
        return [part.replace("{action}", action) for part in shlex.split(self.template)]

    def __call__(self, action: str) -> None:
        run(self.command(action), f"{action} the service")


def run(args: list[str], what: str) -> None:
    try:
        done = subprocess.run(args, capture_output=True, text=True)
    except OSError as e:
        raise UpdateError(f"could not {what}: {shlex.join(args)}: {e}") from None
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise UpdateError(f"could not {what}: {shlex.join(args)} exited {done.returncode}: {' / '.join(tail)}")


def health_problem(url: str, version: str, *, required: bool) -> str | None:
    """None when the box answers 200 with `version` (or, not `required`, with no version key); else what is wrong."""
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            body = json.load(r)
    except urllib.error.HTTPError as e:
        return f"status {e.code}"
    except (OSError, ValueError) as e:
        return f"no answer ({getattr(e, 'reason', e)})"
    got = body.get("version") if isinstance(body, dict) else None
    if got is None and not required:
        return None
    return None if got == version else f"it runs version {got}, not {version}"


def wait_healthy(url: str, version: str, timeout: float, *, required: bool = True, every: float = 0.5) -> str | None:
    end = time.monotonic() + timeout
    while True:
        problem = health_problem(url, version, required=required)
        if problem is None or time.monotonic() >= end:
            return problem
        time.sleep(every)


# -- the log ---------------------------------------------------------------------------------------------------
def read_log(layout: Layout) -> list[dict[str, Any]]:
    if not layout.log.exists():
        return []
    out = []
    for line in layout.log.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line cut by a power failure: the others still count
        if isinstance(entry, dict):
            out.append(entry)
    return out


def append_log(layout: Layout, **entry: Any) -> None:
    entry = {"at": datetime.now(UTC).isoformat(timespec="seconds"), **entry}
    with layout.log.open("a", encoding="utf-8") as f:
        f.write(json.dumps(entry, sort_keys=True) + "\n")
        f.flush()
        os.fsync(f.fileno())


def stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")


Say = Callable[[str], None]

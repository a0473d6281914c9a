"""`contactpoint provision`: write every file of the box (provisioning/provision_files.py) under a root folder, say
per file what changed, change nothing the second time; then, on a running box, make systemd, udev, journald and
nftables read what changed."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from contactpoint.provisioning import provision_files as pf

from contactpoint.config import ConfigError, SiteConfig, load_site


class ProvisionError(Exception):
    """The site file or the root cannot be used; nothing was written."""


@dataclass(frozen=True)
class Change:
    status: str  # created, changed, unchanged, removed
    path: str  # on the box
    why: str = ""


def read_site(path: str) -> tuple[SiteConfig, str, dict[str, bytes]]:
    """The site file checked as `check-config` checks it, its text, and the files it names beside it (the report's
    key_file and ca_file, copied next to it in /etc/contactpoint)."""
    try:
        site = load_site(path)
        text = Path(path).read_text(encoding="utf-8")
    except ConfigError as e:
        raise ProvisionError(f"the site file is refused: {e}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ProvisionError(f"cannot read the site file {path}: {e}") from None
    extra: dict[str, bytes] = {}
    if site.report is not None:
        for key in ("key_file", "ca_file"):
            name = getattr(site.report, key, None)
            if not name:
                continue
            given = Path(str(name))
            if given.is_absolute() or ".." in given.parts:
                raise ProvisionError(f"report.{key} {name!r}: put the file beside the site file and name it alone")
            source = Path(path).parent / given
            try:
                extra[str(given)] = source.read_bytes()
            except OSError as e:
                raise ProvisionError(f"report.{key}: cannot read {source}: {e.strerror}") from None
    return site, text, extra


def _ids(root: Path, name: str, table: str) -> int | None:
    """The uid (table "passwd") or gid ("group") of `name` in the root's own files: a chroot's, not this machine's."""
    try:
        lines = (root / "etc" / table).read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split(":")
        if len(fields) > 2 and fields[0] == name:
            return int(fields[2])
    return None


class Writer:
    def __init__(self, root: Path, dry_run: bool) -> None:
        self.root = root
        self.dry_run = dry_run
        self.chown = os.geteuid() == 0

    def at(self, path: str) -> Path:
        return self.root / path.lstrip("/")

    def owner(self, owner: str, group: str) -> tuple[int, int] | None:
        uid, gid = _ids(self.root, owner, "passwd"), _ids(self.root, group, "group")
        return (uid, gid) if uid is not None and gid is not None else None

    def _same_meta(self, target: Path, mode: int, ids: tuple[int, int] | None) -> bool:
        st = target.lstat()
        return (st.st_mode & 0o7777) == mode and (ids is None or (st.st_uid, st.st_gid) == ids)

    def _set_meta(self, target: Path, mode: int, ids: tuple[int, int] | None) -> None:
        os.chmod(target, mode)
        if ids is not None and self.chown:
            os.chown(target, *ids)

    def dir(self, d: pf.Dir) -> Change:
        target, ids = self.at(d.path), self.owner(d.owner, d.group)
        if target.is_dir() and self._same_meta(target, d.mode, ids):
            return Change("unchanged", d.path, d.why)
        status = "changed" if target.is_dir() else "created"
        if not self.dry_run:
            target.mkdir(parents=True, exist_ok=True)
            self._set_meta(target, d.mode, ids)
        return Change(status, d.path, d.why)

    def file(self, f: pf.File) -> Change:
        target = self.at(f.path)
        if f.link is not None:
            if target.is_symlink() and os.readlink(target) == f.link:
                return Change("unchanged", f.path, f.why)
            status = "changed" if target.is_symlink() or target.exists() else "created"
            if not self.dry_run:
                target.parent.mkdir(parents=True, exist_ok=True)
                if target.is_symlink() or target.exists():
                    target.unlink()
                target.symlink_to(f.link)
            return Change(status, f.path, f.why)
        assert f.text is not None
        ids = self.owner(f.owner, f.group)
        exists = target.is_file() and not target.is_symlink()
        if exists and f.keep:
            current = target.read_text()
            if self._same_meta(target, f.mode, ids):
                return Change("unchanged", f.path, f.why)
            f = pf.File(f.path, current, f.mode, f.owner, f.group, why=f.why)  # keep its content, mend its mode
        elif exists and target.read_text() == f.text and self._same_meta(target, f.mode, ids):
            return Change("unchanged", f.path, f.why)
        if not self.dry_run:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.provision")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                out.write(f.text)
            self._set_meta(tmp, f.mode, ids)
            os.replace(tmp, target)
        return Change("changed" if exists else "created", f.path, f.why)

    def remove(self, path: str) -> Change | None:
        target = self.at(path)
        if not (target.is_symlink() or target.exists()):
            return None
        if not self.dry_run:
            target.unlink()
        return Change("removed", path, "the site file no longer asks for it")


def provision(site_path: str, root: str = "/", dry_run: bool = False) -> list[Change]:
    """Write the box's files under `root`; the list of what was (or, dry, would be) done to each."""
    site, text, extra = read_site(site_path)
    base = Path(root)
    if not base.is_dir():
        raise ProvisionError(f"--root {root}: no such folder")
    dirs, files = pf.render(site, text, extra, secrets.token_hex(32))
    writer = Writer(base, dry_run)
    changes = [writer.dir(d) for d in dirs] + [writer.file(f) for f in files]
    wanted = {f.path for f in files}
    changes += [c for p in pf.OPTIONAL if p not in wanted and (c := writer.remove(p)) is not None]
    return changes


def systemd_running(root: str) -> bool:
    return Path(root).resolve() == Path("/") and Path("/run/systemd/system").is_dir()


def activate(changes: list[Change], run: Callable[[list[str]], int] | None = None) -> list[str]:
    """On a running box, make each daemon read what changed: the commands run, in order."""
    changed = {c.path for c in changes if c.status != "unchanged"}
    if not changed:
        return []
    run = run or (lambda cmd: subprocess.run(cmd, check=False).returncode)
    commands: list[list[str]] = [["systemctl", "daemon-reload"]]
    if any(p.startswith("/etc/udev/") for p in changed) and shutil.which("udevadm"):
        commands += [["udevadm", "control", "--reload"], ["udevadm", "trigger", "--subsystem-match=usb"]]
    if any(p.startswith("/etc/systemd/journald.conf.d/") for p in changed):
        commands.append(["systemctl", "restart", "systemd-journald"])
    if "/etc/nftables.conf" in changed:
        commands.append(["systemctl", "restart", "nftables.service"])
    server = {f"{pf.DATA}/secret_key", f"{pf.UNITS}/contactpoint.service"}
    if changed & server or any(p.startswith(pf.ETC + "/") for p in changed):  # the site file, its key files
        commands.append(["systemctl", "restart", "contactpoint.service"])
    commands.append(["systemctl", "start", "contactpoint.service", "contactpoint-backup.timer"])
    screen = f"{pf.UNITS}/contactpoint-screen.service"
    if screen in changed:
        removed = any(c.path == screen and c.status == "removed" for c in changes)
        commands.append(["systemctl", "stop" if removed else "restart", "contactpoint-screen.service"])
    done = []
    for cmd in commands:
        code = run(cmd)
        done.append(" ".join(cmd) + ("" if code == 0 else f" (exit {code})"))
    return done

"""Updating an installed box, and rolling it back (`contactpoint update PACKAGE`, `contactpoint rollback`).

The installed layout (docs/technician.md): every release is its own venv in `PREFIX/releases/<version>/`,
`PREFIX/current` and `PREFIX/previous` are symlinks to the active release and the one before, the database is
`DATA/contactpoint.sqlite3`. An update builds the new venv beside the running one (the box serves meanwhile),
saves the database with SQLite's online backup API, stops the service, migrates a copy of the database with the
new release's own code (`contactpoint db migrate`), swaps the copy in, switches the symlinks (each an atomic
rename), starts the service and waits for `/api/health` to answer 200 with the new version. Any failure after the
stop puts everything back as it was and starts the old release again. Every update and roll back is a JSON line
in `PREFIX/updates.log`. The parts are in contactpoint/update_parts.py; no Flask here.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from contactpoint.update_parts import (
    DEFAULT_HEALTH_URL,
    Layout,
    Say,
    Service,
    UpdateError,
    append_log,
    backup_db,
    check_newer,
    ensure_stopped,
    makedirs_like,
    place_db,
    read_log,
    read_package,
    release_version,
    resolved,
    run,
    stamp,
    switch,
    wait_healthy,
)

__all__ = ["Updater", "UpdateError", "Layout", "Service"]


@dataclass
class Updater:
    layout: Layout
    service: Service = field(default_factory=Service)
    health_url: str = DEFAULT_HEALTH_URL
    timeout: float = 60.0
    python: str = "python3"  # Debian's, with python3-venv
    say: Say = print

    # -- update ----------------------------------------------------------------------------------------------
    def update(self, package: Path, *, force: bool = False, wheelhouse: Path | None = None) -> None:
        lay = self.layout
        pkg = read_package(package)
        old_dir = resolved(lay.current)
        if old_dir is None:
            raise UpdateError(f"{lay.current} is not a link to a release: install the box first (install.sh)")
        old = release_version(old_dir)
        check_newer(pkg.version, old, force)
        new = str(pkg.version)
        old_prev = resolved(lay.previous)
        target = self._release_dir(new, {old_dir, old_prev})
        if wheelhouse is None and (package.parent / "wheelhouse").is_dir():
            wheelhouse = package.parent / "wheelhouse"
        self.say(f"updating {old} -> {new} from {package} ({pkg.kind})")
        self._build(target, package, wheelhouse, pkg.version)

        db = lay.database
        saved = lay.saved / f"{old}-before-{new}-{stamp()}.sqlite3"
        has_db = db.exists()
        if has_db:
            self.say(f"back up the live database to {saved} (SQLite online backup)")
            try:
                backup_db(db, saved)
            except Exception as e:  # a full disk, a damaged database: nothing was touched yet
                shutil.rmtree(target, ignore_errors=True)
                raise UpdateError(f"could not back up {db}: {e}; nothing changed, the box still runs {old}") from None
        stopped = False
        try:
            self.say("stop the service")
            self.service("stop")
            stopped = True
            if has_db:
                ensure_stopped(db)
                self.say("save the database as the service left it")
                backup_db(db, saved)
                self._migrate(target, db)
            else:
                self.say(f"no database in {lay.data} yet: the new release creates it")
            self.say(f"switch: previous -> {old}, current -> {new}")
            switch(lay.previous, old_dir)
            switch(lay.current, target)
            self.say("start the service")
            self.service("start")
            self.say(f"wait for {self.health_url} to answer version {new} (up to {self.timeout:g} s)")
            problem = wait_healthy(self.health_url, new, self.timeout)
            if problem:
                raise UpdateError(f"{new} is not healthy after {self.timeout:g} s: {problem}")
        except (Exception, KeyboardInterrupt) as e:
            reason = str(e) or type(e).__name__
            self.say(f"FAILED: {reason}")
            after = self._undo(old_dir, old_prev, saved if has_db else None, str(old), stopped)
            shutil.rmtree(target, ignore_errors=True)
            append_log(lay, action="update", result="rolled back", **{"from": str(old)}, to=new, reason=reason,
                       back=after or "healthy")
            raise UpdateError(
                f"update to {new} failed ({reason}); rolled back to {old}: "
                + (f"but the box is not healthy: {after}" if after else "it serves again")
            ) from None
        append_log(lay, action="update", result="ok", **{"from": str(old)}, to=new,
                   saved=str(saved) if has_db else None)
        self._prune({target, old_dir})
        self.say(f"updated {old} -> {new}; `contactpoint rollback` goes back to {old} and this database")

    def _release_dir(self, version: str, keep: set[Path | None]) -> Path:
        """releases/<version>, or <version>-2, … when that folder is the running or the previous release."""
        n, target = 1, self.layout.releases / version
        while target.resolve() in keep:
            n += 1
            target = self.layout.releases / f"{version}-{n}"
        return target

    def _build(self, target: Path, package: Path, wheelhouse: Path | None, version: object) -> None:
        if target.exists():
            self.say(f"remove {target}, left by an update that did not finish")
            shutil.rmtree(target)
        self.say(f"create the environment {target} ({self.python} -m venv)")
        source = f"the wheelhouse {wheelhouse} (offline)" if wheelhouse else "the package index"
        try:
            run([self.python, "-m", "venv", str(target)], "create the environment")
            self.say(f"install {package.name} and its runtime dependencies from {source}")
            pip = [str(target / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
            if wheelhouse:
                pip += ["--no-index", "--find-links", str(wheelhouse)]
            # no compiler on the box (as install.sh): every dependency comes as a wheel; an sdist builds itself
            pip += ["--only-binary=:all:"] if package.name.endswith(".whl") else ["--prefer-binary"]
            run([*pip, str(package.resolve())], f"install {package.name}")
            self.say("compile its translations")
            compile_mo = "from contactpoint.i18n import LOCALES; print(LOCALES)"
            locales = subprocess.run([str(target / "bin" / "python"), "-c", compile_mo], capture_output=True,
                                     text=True, check=False).stdout.strip()  # fmt: skip
            if locales:
                run([str(target / "bin" / "pybabel"), "-q", "compile", "-f", "-d", locales, "-D", "messages"],
                    "compile the translations")  # fmt: skip
            got = release_version(target)
            if got != version:
                raise UpdateError(f"{target} holds {got} after the install, not {version}")
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise

    def _migrate(self, target: Path, db: Path) -> None:
        work = self.layout.data / ".update"
        shutil.rmtree(work, ignore_errors=True)
        makedirs_like(work, self.layout.data)
        try:
            copy = work / db.name
            backup_db(db, copy)
            cmd = [str(target / "bin" / "contactpoint"), "db", "migrate", "--data", str(work)]
            self.say(f"migrate a copy of the database with the new code: {' '.join(cmd)}")
            run(cmd, "migrate the copy of the database")
            self.say("swap the migrated copy in")
            place_db(copy, db, keep_src=False)
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def _undo(self, old_dir: Path, old_prev: Path | None, saved: Path | None, old: str, stopped: bool) -> str | None:
        """Back to the release and database of before the update; returns what is still wrong, if anything."""
        lay = self.layout
        self.say(f"roll back to {old} by itself")
        try:
            if stopped:
                self.say("stop the service")
                self.service("stop")
            if saved is not None and saved.exists() and stopped:
                ensure_stopped(lay.database)
                self.say(f"put the database back from {saved}")
                place_db(saved, lay.database, keep_src=True)
            self.say(f"switch: current -> {old}")
            switch(lay.current, old_dir)
            if old_prev is not None:
                switch(lay.previous, old_prev)
            else:
                lay.previous.unlink(missing_ok=True)
            self.say("start the service")
            self.service("start")
        except (Exception, KeyboardInterrupt) as e:
            return f"the roll back itself failed: {e}"
        problem = wait_healthy(self.health_url, old, self.timeout, required=False)
        self.say(f"{old} is healthy again" if problem is None else f"{old} is not healthy: {problem}")
        return problem

    def _prune(self, keep: set[Path]) -> None:
        """Releases neither current nor previous go (a Pi's SD card holds a few of ~100 MB each)."""
        for release in sorted(self.layout.releases.iterdir()):
            if release.is_dir() and release.resolve() not in keep:
                self.say(f"remove the old release {release.name}")
                shutil.rmtree(release, ignore_errors=True)

    # -- rollback --------------------------------------------------------------------------------------------
    def rollback(self) -> None:
        lay = self.layout
        cur_dir, prev_dir = resolved(lay.current), resolved(lay.previous)
        if cur_dir is None:
            raise UpdateError(f"{lay.current} is not a link to a release: nothing to roll back")
        if prev_dir is None:
            raise UpdateError(f"no previous release ({lay.previous} is missing): nothing to roll back to")
        cur, prev = str(release_version(cur_dir)), str(release_version(prev_dir))
        entry = next(
            (e for e in reversed(read_log(lay)) if e.get("action") == "update" and e.get("result") == "ok"), None
        )
        if entry is None or entry.get("to") != cur or entry.get("from") != prev:
            raise UpdateError(
                f"{lay.log} has no update from {prev} to {cur}: no database saved before it, roll back refused"
            )
        saved = Path(entry["saved"]) if entry.get("saved") else None
        if saved is not None and not saved.exists():
            raise UpdateError(f"the database saved before the update to {cur} is gone ({saved}): roll back refused")
        self.say(f"rolling back {cur} -> {prev}")
        self.say("stop the service")
        self.service("stop")
        db = lay.database
        aside = None
        if db.exists():
            ensure_stopped(db)
            aside = lay.saved / f"{cur}-at-rollback-{stamp()}.sqlite3"
            self.say(f"set the database of {cur} aside in {aside}")
            backup_db(db, aside)
        if saved is not None:
            self.say(f"put back the database saved before the update ({saved})")
            place_db(saved, db, keep_src=True)
        self.say(f"switch: current -> {prev}; no previous release any more")
        switch(lay.current, prev_dir)
        lay.previous.unlink()
        self.say("start the service")
        self.service("start")
        problem = wait_healthy(self.health_url, prev, self.timeout, required=False)
        append_log(lay, action="rollback", result="ok" if problem is None else "unhealthy", **{"from": cur},
                   to=prev, aside=str(aside) if aside else None, problem=problem)
        if problem:
            raise UpdateError(f"rolled back to {prev}, but it is not healthy: {problem}")
        self.say(f"rolled back to {prev}; the database of {cur} is kept in {aside}")

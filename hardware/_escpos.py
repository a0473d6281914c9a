"""Imported first by hardware.printer: python-escpos, imported so that it keeps its printer database between
starts and leaves nothing in /tmp.

At import, python-escpos parses its printer database (96 KB) with PyYAML and pickles it into a NEW mkdtemp()
folder (made even when ESCPOS_CAPABILITIES_PICKLE_DIR is set): each start paid ~0.2 s here (about 1 s on a Pi)
and 3 MB of peak memory, and left a folder in /tmp (319 on this machine after a day of tests). Here the pickle
lives in the user's cache, and the folder it would have left is made there and removed.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path


def _pickle_is_fresh(pickle: Path) -> bool:
    """Whether python-escpos would load `pickle` as it is (it rebuilds one older than its capabilities.json)."""
    spec = importlib.util.find_spec("escpos")
    if not pickle.is_file() or spec is None or not spec.submodule_search_locations:
        return False
    source = Path(list(spec.submodule_search_locations)[0]) / "capabilities.json"
    return not source.exists() or pickle.stat().st_mtime >= source.stat().st_mtime


def _import() -> None:
    if "escpos.capabilities" in sys.modules:
        return
    if os.environ.get("ESCPOS_CAPABILITIES_PICKLE_DIR"):  # the operator's own choice
        import escpos.capabilities  # noqa: F401
        return
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "contactpoint" / "escpos"
    try:
        (base / "unused").mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:  # a read-only home: python-escpos keeps its own ways
        import escpos.capabilities  # noqa: F401
        return
    pickle = base / f"{platform.python_version()}.capabilities.pickle"
    # python-escpos writes its pickle in place while it parses: a second process starting meanwhile (the server
    # and a command; the test suite's workers) read a half-written file and failed (EOFError). A missing or stale
    # pickle is built in a folder of this process alone, then renamed into place whole.
    fresh = _pickle_is_fresh(pickle)
    folder = base if fresh else Path(tempfile.mkdtemp(dir=base, prefix="building-"))
    os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(folder)
    before, tempfile.tempdir = tempfile.tempdir, str(base / "unused")
    try:
        import escpos.capabilities  # noqa: F401
    finally:
        tempfile.tempdir = before
        os.environ["ESCPOS_CAPABILITIES_PICKLE_DIR"] = str(base)
    if not fresh:
        try:
            os.replace(folder / pickle.name, pickle)
        except OSError:  # nothing built (a read-only cache): next start tries again
            pass
        shutil.rmtree(folder, ignore_errors=True)
    for unused in (base / "unused").iterdir():  # python-escpos's own mkdtemp() folders: empty, never used
        try:
            unused.rmdir()
        except OSError:
            pass

_import()

"""Imported first by hardware.printer: python-escpos, imported so that it keeps its printer database between
starts and leaves nothing in /tmp.

At import, python-escpos parses its printer database (96 KB) with PyYAML and pickles it into a NEW mkdtemp()
folder (made even when ESCPOS_CAPABILITIES_PICKLE_DIR is set): each start paid ~0.2 s here (about 1 s on a Pi)
and 3 MB of peak memory, and left a folder in /tmp (319 on this machine after a day of tests). Here the pickle
lives in the user's cache, and the folder it would have left is made there and removed.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path


def _import() -> None:
    if "escpos.capabilities" in sys.modules:
        return
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "contactpoint" / "escpos"
    try:
        (base / "unused").mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError:  # a read-only home: python-escpos keeps its own ways
        import escpos.capabilities  # noqa: F401
        return
    os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", str(base))
    before, tempfile.tempdir = tempfile.tempdir, str(base / "unused")
    try:
        import escpos.capabilities  # noqa: F401
    finally:
        tempfile.tempdir = before
    for folder in (base / "unused").iterdir():
        try:
            folder.rmdir()
        except OSError:
            pass


_import()

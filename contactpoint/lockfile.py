"""The database's lock file: one process writes a site's event log (contactpoint/store.py takes it)."""

from __future__ import annotations

import fcntl
import os
from typing import IO


class StoreBusy(RuntimeError):
    """Another process already writes this database's event log."""


def hold(lock_path: str) -> IO[str]:
    """An exclusive advisory lock on `lock_path` for as long as the file stays open (released by the kernel when
    the process dies, even by SIGKILL or a power cut), holding the owner's pid for the message."""
    f = open(lock_path, "a+", encoding="utf-8")  # noqa: SIM115 - kept open: the lock lives as long as the store
    try:
        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        f.seek(0)
        owner = f.read().strip() or "?"
        f.close()
        raise StoreBusy(
            f"another contactpoint process (pid {owner}) is serving {lock_path.removesuffix('.lock')}: a second one"
            " would write the same event log behind its back; stop it first"
        ) from None
    f.truncate(0)
    f.write(f"{os.getpid()}\n")
    f.flush()
    return f

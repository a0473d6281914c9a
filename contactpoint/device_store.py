"""The paired devices and the pending pairing codes, in the box's database (migration 10; docs/devices.md).

A device's browser holds a random secret in a cookie; the box keeps its SHA-256 only (the secret has 256 bits,
so a fast hash is enough: nobody guesses it). Before approval the hash sits in `pairing_codes` beside its short
code; approval moves it to `devices`, so the cookie the browser already has becomes its credential. Revoking
stamps `revoked_at`: the hash is refused from then on.

The server and `contactpoint device …` both write these tables (SQLite's BEGIN IMMEDIATE serialises them), and
the server reads them at every device request, so a change from the command line counts at once. Every approval
and revocation is also audited in the event log (`device_approved`, `device_revoked`): the server appends the
events of the rows not logged yet (`unlogged`), at once for its own changes, within seconds (its sweep) or at its
next start for the command line's.
"""

from __future__ import annotations

import hashlib
import secrets
import sqlite3
from dataclasses import dataclass
from typing import Any

from contactpoint.domain.devices import CODE_ALPHABET, CODE_LENGTH, FIRST_SIGHT
from contactpoint.domain.errors import CommandError

MAX_PENDING = 50  # codes kept at once: a LAN full of browsers cannot fill the disk
PENDING_TTL_S = 24 * 3600  # a code not seen (the page polls) for a day is forgotten


def migrate(db: sqlite3.Connection) -> None:
    """Migration 10: the devices and the pending codes."""
    db.execute(
        "CREATE TABLE devices (id INTEGER PRIMARY KEY AUTOINCREMENT, role TEXT NOT NULL, name TEXT NOT NULL,"
        " credential_hash TEXT NOT NULL UNIQUE, approved_by TEXT NOT NULL, approved_at REAL NOT NULL,"
        " revoked_by TEXT, revoked_at REAL, last_contact REAL, last_page TEXT, user_agent TEXT, version TEXT,"
        " logged INTEGER NOT NULL DEFAULT 0)"  # 0: nothing logged yet, 1: approval logged, 2: revocation too
    )
    db.execute(
        "CREATE TABLE pairing_codes (code TEXT PRIMARY KEY, role TEXT NOT NULL, secret_hash TEXT NOT NULL UNIQUE,"
        " created_at REAL NOT NULL, seen_at REAL NOT NULL, user_agent TEXT, address TEXT)"
    )


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@dataclass(frozen=True, slots=True)
class Device:
    id: int
    role: str
    name: str
    approved_by: str
    approved_at: float
    revoked_by: str | None
    revoked_at: float | None
    last_contact: float | None
    last_page: str | None
    user_agent: str | None
    version: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def to_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__slots__} | {"active": self.active}


@dataclass(frozen=True, slots=True)
class Pending:
    code: str
    role: str
    created_at: float
    seen_at: float
    user_agent: str | None
    address: str | None


_DEVICE = ("id, role, name, approved_by, approved_at, revoked_by, revoked_at, last_contact, last_page, user_agent,"
           " version")
_PENDING = "code, role, created_at, seen_at, user_agent, address"


class DeviceStore:
    """The two tables, through an EventStore's connection (its write lock, its BEGIN IMMEDIATE transactions)."""

    def __init__(self, store: Any) -> None:
        self.store = store

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.store.write_lock:  # one connection: never read another thread's open transaction
            return list(self.store.db.execute(sql, args).fetchall())

    # -- reading -------------------------------------------------------------------------------------------
    def by_secret(self, secret: str) -> Device | None:
        """The device this cookie's secret belongs to (revoked ones too), or None."""
        rows = self._read(f"SELECT {_DEVICE} FROM devices WHERE credential_hash = ?", (secret_hash(secret),))  # noqa: S608
        return Device(*rows[0]) if rows else None

    def pending_of(self, secret: str) -> Pending | None:
        rows = self._read(f"SELECT {_PENDING} FROM pairing_codes WHERE secret_hash = ?", (secret_hash(secret),))  # noqa: S608
        return Pending(*rows[0]) if rows else None

    def devices(self) -> list[Device]:
        """Every device, the active ones first, then by name."""
        rows = self._read(f"SELECT {_DEVICE} FROM devices ORDER BY revoked_at IS NOT NULL, name, id")  # noqa: S608
        return [Device(*r) for r in rows]

    def pending(self, now: float) -> list[Pending]:
        rows = self._read(f"SELECT {_PENDING} FROM pairing_codes WHERE seen_at > ? ORDER BY created_at",  # noqa: S608
                          (now - PENDING_TTL_S,))
        return [Pending(*r) for r in rows]

    def find(self, ref: str) -> Device | None:
        """A device by its number or its name (the active one of that name first)."""
        if ref.isdigit():
            rows = self._read(f"SELECT {_DEVICE} FROM devices WHERE id = ?", (int(ref),))  # noqa: S608
        else:
            rows = self._read(f"SELECT {_DEVICE} FROM devices WHERE name = ? ORDER BY revoked_at IS NOT NULL, id",  # noqa: S608
                              (ref,))
        return Device(*rows[0]) if rows else None

    # -- writing -------------------------------------------------------------------------------------------
    def ask(self, secret: str, role: str, now: float, user_agent: str, address: str) -> Pending:
        """The pending code of this secret (made now if it has none), asking for `role`."""
        h = secret_hash(secret)
        with self.store.transaction() as db:
            db.execute("DELETE FROM pairing_codes WHERE seen_at <= ?", (now - PENDING_TTL_S,))
            row = db.execute("SELECT code, created_at FROM pairing_codes WHERE secret_hash = ?", (h,)).fetchone()
            if row is not None:
                db.execute("UPDATE pairing_codes SET role = ?, seen_at = ?, user_agent = ?, address = ?"
                           " WHERE secret_hash = ?", (role, now, user_agent, address, h))
                return Pending(row[0], role, row[1], now, user_agent, address)
            extra = db.execute("SELECT count(*) FROM pairing_codes").fetchone()[0] - MAX_PENDING + 1
            if extra > 0:  # the oldest go: a flood of strangers cannot keep the technician's code out
                db.execute("DELETE FROM pairing_codes WHERE code IN (SELECT code FROM pairing_codes"
                           " ORDER BY seen_at LIMIT ?)", (extra,))
            taken = {r[0] for r in db.execute("SELECT code FROM pairing_codes")}
            code = new_code()
            while code in taken:
                code = new_code()
            db.execute("INSERT INTO pairing_codes VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (code, role, h, now, now, user_agent, address))
        return Pending(code, role, now, now, user_agent, address)

    def seen(self, secret: str, now: float) -> None:
        """The pairing page polled: its code stays alive."""
        with self.store.transaction() as db:
            db.execute("UPDATE pairing_codes SET seen_at = ? WHERE secret_hash = ?", (now, secret_hash(secret)))

    def approve(self, code: str, role: str, name: str, by: str, now: float) -> Device:
        """Pair the browser showing `code` as `role`, named `name`: its cookie becomes its credential."""
        with self.store.transaction() as db:
            row = db.execute("SELECT secret_hash, user_agent FROM pairing_codes WHERE code = ? AND seen_at > ?",
                             (code, now - PENDING_TTL_S)).fetchone()
            if row is None:
                raise CommandError("unknown_pairing_code", 404)
            if db.execute("SELECT 1 FROM devices WHERE name = ? AND revoked_at IS NULL", (name,)).fetchone():
                raise CommandError("device_name_taken", 409)
            db.execute("DELETE FROM pairing_codes WHERE code = ?", (code,))
            cur = db.execute(
                "INSERT INTO devices (role, name, credential_hash, approved_by, approved_at, user_agent)"
                " VALUES (?, ?, ?, ?, ?, ?)", (role, name, row[0], by, now, row[1]))
            device_id = int(cur.lastrowid or 0)
        found = self.find(str(device_id))
        assert found is not None
        return found

    def refuse(self, code: str) -> bool:
        """Forget a pending code (the browser showing it gets a new one at its next request)."""
        with self.store.transaction() as db:
            return bool(db.execute("DELETE FROM pairing_codes WHERE code = ?", (code,)).rowcount)

    def pair_on_first_sight(self, secret: str, role: str, now: float, user_agent: str) -> Device:
        """The demo's pairing: a browser never seen is paired at its first page, not logged (nobody decided)."""
        with self.store.transaction() as db:
            n = db.execute("SELECT count(*) FROM devices WHERE role = ?", (role,)).fetchone()[0] + 1
            cur = db.execute(
                "INSERT INTO devices (role, name, credential_hash, approved_by, approved_at, user_agent, logged)"
                " VALUES (?, ?, ?, ?, ?, ?, 1)", (role, f"{role} {n}", secret_hash(secret), FIRST_SIGHT, now,
                                                  user_agent))
            device_id = int(cur.lastrowid or 0)
        found = self.find(str(device_id))
        assert found is not None
        return found

    def revoke(self, device_id: int, by: str, now: float) -> bool:
        """Refuse the device's credential from now on; False when it is unknown or already revoked."""
        with self.store.transaction() as db:
            sql = "UPDATE devices SET revoked_at = ?, revoked_by = ? WHERE id = ? AND revoked_at IS NULL"
            return bool(db.execute(sql, (now, by, device_id)).rowcount)

    def touch(self, device_id: int, now: float, page: str | None, user_agent: str | None, version: str | None) -> None:
        """The device's last contact (and, at a page load, the page, the browser and the box's version)."""
        with self.store.transaction() as db:
            if page is None:
                db.execute("UPDATE devices SET last_contact = ? WHERE id = ?", (now, device_id))
            else:
                db.execute("UPDATE devices SET last_contact = ?, last_page = ?, user_agent = ?, version = ?"
                           " WHERE id = ?", (now, page, user_agent, version, device_id))

    # -- the audit -----------------------------------------------------------------------------------------
    def unlogged(self) -> list[tuple[str, Device]]:
        """The approvals and revocations not in the event log yet: ("approved" | "revoked", device)."""
        rows = self._read(f"SELECT logged, {_DEVICE} FROM devices WHERE logged < 2 AND"  # noqa: S608
                          " (logged = 0 OR revoked_at IS NOT NULL) ORDER BY id")
        out: list[tuple[str, Device]] = []
        for logged, *rest in rows:
            d = Device(*rest)
            if logged == 0:
                out.append(("approved", d))
            if d.revoked_at is not None:
                out.append(("revoked", d))
        return out

    def mark_logged(self, device_id: int, level: int) -> None:
        with self.store.transaction() as db:
            db.execute("UPDATE devices SET logged = ? WHERE id = ? AND logged < ?", (level, device_id, level))

"""The dashboard's users: analysts read every site's figures; admins too (and are the ones to manage sites).
Passwords are made by the hub (about 72 bits), shown once, and stored hashed with Werkzeug's scrypt."""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from contactpoint.hub.db import users
from sqlalchemy.engine import Engine
from werkzeug.security import check_password_hash, generate_password_hash

ROLES = ("analyst", "admin")
_DUMMY = generate_password_hash("not a password")  # an unknown name costs the same check as a known one


class UserError(ValueError):
    pass


def new_password() -> str:
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(3))


def set_user(engine: Engine, name: str, role: str, now: int) -> str:
    name = " ".join(name.split())
    if not 0 < len(name) <= 60 or not name.isprintable():
        raise UserError("the name must be 1 to 60 printable characters")
    if role not in ROLES:
        raise UserError(f"the role must be one of {', '.join(ROLES)}")
    password = new_password()
    hashed = generate_password_hash(password)
    with engine.begin() as conn:
        if conn.execute(sa.select(users.c.id).where(users.c.name == name)).first():
            conn.execute(users.update().where(users.c.name == name).values(role=role, password_hash=hashed))
        else:
            conn.execute(users.insert().values(name=name, role=role, password_hash=hashed, created_at=now))
    return password


def check(engine: Engine, name: str, password: str) -> str | None:
    """The user's role when the name and password match, else None."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(users.c.role, users.c.password_hash).where(users.c.name == name)).first()
    if row is None:
        check_password_hash(_DUMMY, password)
        return None
    return str(row[0]) if check_password_hash(row[1], password) else None

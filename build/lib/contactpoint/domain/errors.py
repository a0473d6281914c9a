"""Refusals of the core, as message keys that pages translate (never raw text)."""

from __future__ import annotations


class CommandError(Exception):
    """A command the rules refuse. `key` is a message key; `status` the HTTP status it maps to."""

    def __init__(self, key: str, status: int = 409, **params: str) -> None:
        super().__init__(key)
        self.key = key
        self.status = status
        self.params = params

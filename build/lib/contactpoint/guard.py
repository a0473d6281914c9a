"""Bad input stops at the door: a body's size and depth, before anything parses it; JSON errors for JSON routes.

A request body is bounded by `MAX_CONTENT_LENGTH` (413 past it) and, when it is JSON, by `MAX_JSON_DEPTH`
levels of nested arrays and objects (400 past it), checked in one pass that never recurses, so a body of
`[[[[…]]]]` never reaches the JSON parser (which recurses, and fails with a RecursionError). Socket.IO packets
get the same check (`SafeJSON`, `SafePacket`) and a size cap. A route answers JSON, errors included,
when its rule has `/api/` in it or its view is marked with `json_view`.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, request
from socketio.packet import CONNECT, Packet

MAX_JSON_DEPTH = 20  # the deepest body a page sends is 2 levels ({"needs": [...]})
# a JSON string (skipped whole: brackets inside it do not count) or one bracket. The closing quote is optional:
# an unterminated string runs to the end of the text, so each character is read once (with the quote required,
# every `"` of `"\"\"\"…[[[` would start a scan to the end: quadratic, minutes of CPU for 256 KB)
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"?|[\[\]{}]', re.DOTALL)
F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger(__name__)


def json_depth(data: bytes | str, stop: int | None = None) -> int:
    """How deep arrays and objects nest in a JSON text, in one pass without recursion. With `stop`, the answer
    only says whether the depth passes it: counting stops there (a body of 100,000 brackets costs what 21 do),
    and a text with no more brackets than `stop` is not looked at.

    Bytes are decoded as the JSON parser decodes them (UTF-8, -16 or -32 by their first bytes), so what is
    counted is what would be parsed. A text that cannot be decoded counts as too deep: it is refused anyway."""
    if isinstance(data, bytes):
        try:
            data = data.decode(json.detect_encoding(data), "surrogatepass")
        except (UnicodeDecodeError, LookupError):
            return MAX_JSON_DEPTH + 1
    if stop is not None and data.count("[") + data.count("{") <= stop:
        return 0  # cannot be deeper than stop (the common case, counted at C speed)
    depth = deepest = 0
    for m in _TOKENS.finditer(data):
        c = m.group()
        if c == "[" or c == "{":
            depth += 1
            deepest = max(deepest, depth)
            if stop is not None and deepest > stop:
                break
        elif c == "]" or c == "}":
            depth -= 1
    return deepest


def json_view(view: F) -> F:
    """Mark a view as answering JSON: its errors (404, 400…) are JSON too (contactpoint.app.error_response)."""
    view.answers_json = True  # type: ignore[attr-defined]
    return view


def is_json_route() -> bool:
    rule = request.url_rule
    if rule is None:
        return False
    return "/api/" in rule.rule or getattr(current_app.view_functions.get(rule.endpoint), "answers_json", False)


class TooDeep(ValueError):
    """A JSON text nests deeper than MAX_JSON_DEPTH."""


class SafeJSON:
    """The json module of Engine.IO and Socket.IO packets: a packet nested too deep is refused before it is parsed
    (Engine.IO then keeps it as text; SafePacket drops it)."""

    @staticmethod
    def dumps(*args: Any, **kwargs: Any) -> str:
        return json.dumps(*args, **kwargs)

    @staticmethod
    def loads(s: str | bytes, *args: Any, **kwargs: Any) -> Any:
        if json_depth(s, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            raise TooDeep(f"a packet nested deeper than {MAX_JSON_DEPTH} levels")
        return json.loads(s, *args, **kwargs)


class SafePacket(Packet):  # type: ignore[misc]
    """A Socket.IO packet nested too deep is dropped with one line in the log: an event becomes one no handler
    has (its ack, if asked for, is empty), a connection comes without auth data; no traceback, the socket goes on."""

    json = SafeJSON

    def decode(self, encoded_packet: Any) -> int:
        try:
            return int(super().decode(encoded_packet))
        except TooDeep as e:
            log.warning("Socket.IO packet dropped: %s", e)
            self.data = [""] if self.packet_type != CONNECT else None
            return 0


def check_body() -> None:
    """Before every request: a JSON body too deep is a 400; one too large a 413 (reading it raises that)."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.is_json:
        return
    if json_depth(request.get_data(cache=True), MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        abort(400)


def init_app(app: Flask) -> None:
    app.before_request(check_body)

"""Write a site file's data back as TOML (`contactpoint config export`): tables, arrays of tables, strings,
numbers, booleans, days and lists, which is all a site file holds. Python reads TOML (tomllib) but does not
write it; this is the small writer the export needs, checked by reading its output back (tests/test_settings.py).
"""

from __future__ import annotations

import json
import re
from datetime import date
from typing import Any

BARE = re.compile(r"[A-Za-z0-9_-]+")


def _key(k: str) -> str:
    return k if BARE.fullmatch(k) else json.dumps(k, ensure_ascii=False)


def _value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):  # a JSON string is a TOML basic string: the same escapes (\\ \" \n \uXXXX)
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, list):
        return "[" + ", ".join(_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"no TOML for {type(v).__name__}")


def _is_tables(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)


def _body(table: dict[str, Any], path: str, out: list[str]) -> None:
    """A table's plain keys (inline tables for its one-level subtables: names, hours, description), then its
    subtables and arrays of tables under their own headers."""
    subs: list[tuple[str, Any]] = []
    for k, v in table.items():
        if isinstance(v, dict) and (not path or any(isinstance(x, dict) for x in v.values())):
            subs.append((k, v))
        elif _is_tables(v):
            subs.append((k, v))
        else:
            out.append(f"{_key(k)} = {_value(v)}")
    for k, v in subs:
        name = f"{path}.{_key(k)}" if path else _key(k)
        if isinstance(v, dict):
            out.extend(["", f"[{name}]"])
            _body(v, name, out)
        else:
            for item in v:
                out.extend(["", f"[[{name}]]"])
                _body(item, name, out)


def dumps(data: dict[str, Any], header: str = "") -> str:
    out = [f"# {line}" if line else "#" for line in header.splitlines()]
    _body(data, "", out)
    return "\n".join(out).lstrip("\n") + "\n"

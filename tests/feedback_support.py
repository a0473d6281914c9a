"""Helpers of the satisfaction tests: an agent speaking the counter's JSON API to a live server, the log."""

from __future__ import annotations

import http.cookiejar
import json
import re
import sqlite3
import urllib.request
from typing import Any


class LiveAgent:
    """Logs in to a live server's counter page over HTTP (the form and its CSRF token) and sends commands."""

    def __init__(self, base: str, name: str, password: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.http = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        form = self.http.open(base + "/counter/login").read().decode()
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token, form[:300]
        data = urllib.parse.urlencode({"name": name, "password": password, "csrf_token": token.group(1)}).encode()
        self.http.open(base + "/counter/login", data=data)
        page = self.http.open(base + "/counter/").read().decode()
        m = re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert m, page[:300]
        self.csrf = m.group(1)

    def cookie(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def cmd(self, command: str, **body: Any) -> Any:
        req = urllib.request.Request(
            f"{self.base}/counter/api/{command}",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "X-CSRF-Token": self.csrf},
        )
        with self.http.open(req, timeout=5) as r:
            return json.load(r)


def post_json(url: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        return e.code, json.load(e)


def logged(data_dir: Any, typ: str) -> list[dict[str, Any]]:
    """The events of a type as the live box wrote them (read-only)."""
    db = sqlite3.connect(f"file:{data_dir / 'contactpoint.sqlite3'}?mode=ro", uri=True)
    try:
        rows = db.execute("SELECT seq, data FROM events WHERE type = ? ORDER BY seq", (typ,)).fetchall()
    finally:
        db.close()
    return [json.loads(d) | {"seq": s} for s, d in rows]

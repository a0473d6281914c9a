"""One delivery to the hub: a signed HTTPS POST (Standard Webhooks), and when to try again after a failure.

The signature is the `standardwebhooks` package's (HMAC-SHA256 over ``id.timestamp.body`` with the site's key).
A batch keeps its ``webhook-id`` through its retries, so a hub that stored it but whose answer was lost says 409
(already seen): that counts as delivered. Only the standard library speaks HTTP here (under gevent its sockets
cooperate): the Pi carries no HTTP client library for one POST a minute.
"""

from __future__ import annotations

import http.client
import json
import random
import ssl
import urllib.parse
from dataclasses import dataclass

from contactpoint import report_format

USER_AGENT = "contactpoint-reporter/1"
#: answers after which the same batch is not sent again as it is: the hub refused its content or its sender
PERMANENT = frozenset({400, 401, 403, 404, 413, 422})


@dataclass(frozen=True, slots=True)
class Answer:
    delivered: bool  # the hub has the batch (2xx, or 409: that id was already stored)
    status: int | None  # None: no HTTP answer at all (network, TLS, timeout)
    error: str | None  # what went wrong, in words for the status command and the manager's page
    permanent: bool = False  # retrying the same batch cannot help

    @property
    def retry(self) -> bool:
        return not self.delivered and not self.permanent


def signed_headers(key: str, msg_id: str, body: bytes, now: float) -> dict[str, str]:
    """The wire format's own signature (contactpoint/report_format.py), the one the hub checks."""
    return {**report_format.signed_headers(key, body, int(now), msg_id), "User-Agent": USER_AGENT}


def post(url: str, key: str, msg_id: str, body: bytes, now: float, *, timeout: float = 15.0,
         ca_file: str | None = None) -> Answer:
    """POST `body` to `url` signed with `key`; never raises for what the network or the hub does."""
    u = urllib.parse.urlsplit(url)
    path = (u.path or "/") + (f"?{u.query}" if u.query else "")
    conn: http.client.HTTPConnection
    try:
        if u.scheme == "https":
            ctx = ssl.create_default_context(cafile=ca_file)
            conn = http.client.HTTPSConnection(u.hostname or "", u.port, timeout=timeout, context=ctx)
        else:
            conn = http.client.HTTPConnection(u.hostname or "", u.port, timeout=timeout)
        try:
            conn.request("POST", path, body=body, headers=signed_headers(key, msg_id, body, now))
            r = conn.getresponse()
            text = r.read(4096)
        finally:
            conn.close()
    except (OSError, http.client.HTTPException, ssl.SSLError) as e:
        return Answer(False, None, f"{type(e).__name__}: {e}"[:300])
    if 200 <= r.status < 300 or r.status == 409:
        return Answer(True, r.status, None)
    return Answer(False, r.status, f"HTTP {r.status}: {_message(text)}"[:300], permanent=r.status in PERMANENT)


def _message(text: bytes) -> str:
    try:
        d = json.loads(text)
        return str(d.get("message") or d.get("error") or d)
    except (ValueError, AttributeError):
        return text.decode("utf-8", "replace").strip()[:200]


def backoff_s(failures: int, rng: random.Random, *, base: float = 30.0, cap: float = 3600.0) -> float:
    """Seconds to wait before the next try after `failures` failures in a row: exponential and capped, with
    "equal jitter" (half the ceiling plus a random part of the other half), so that a region's 50 boxes coming
    back from one outage do not all knock at once."""
    if failures <= 0:
        return 0.0
    ceiling = min(cap, base * 2.0 ** (failures - 1))
    return ceiling / 2 + rng.uniform(0.0, ceiling / 2)

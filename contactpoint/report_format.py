"""The wire format a box reports to the regional hub with (issue 12): pure, no Flask, no IO.

A box POSTs `{hub}/ingest/v1/<site_id>` signed as the Standard Webhooks specification says (headers
`webhook-id`, `webhook-timestamp`, `webhook-signature`), with a JSON body:

    {"format": "contactpoint.report/1", "site": <site id>, "tz": <IANA zone>, "sent_at": <int seconds>,
     "bucket_edges_s": [<histogram edges, seconds>], "windows": [<window>, ...]}

Each window is one (15-minute window in the site's local time, need) with its revision, counts, histograms,
service level and the counts of outcomes, referrals (by organisation kind), channels and satisfaction taps.
Nothing else: no ticket number, token, name, note, agent or exact timestamp. `validate` refuses anything more,
anything less, and anything of the wrong type or range, naming the exact path of the first problem
(`windows[3].counts.issued`). docs/hub.md describes the fields.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

FORMAT = "contactpoint.report/1"
INGEST_PATH = "/ingest/v1/{site}"
MAX_WINDOWS = 500  # windows in one request
MAX_BODY_BYTES = 2 * 1024 * 1024  # a full request of 500 windows is about 0.5 MB; the hub refuses more (413)
TOLERANCE_S = 300  # the signed timestamp may be this far from the hub's clock, either way
MAX_EDGES = 128  # the figures' histograms have 80 (contactpoint/domain/histogram.py)
MAX_EDGE_S = 86_400  # no bucket edge past a day: "30,60,…,86400" x 128 edges fits the hub's 800 characters
MAX_KEYS = 64  # entries in one outcomes / referrals / channels / taps / names object
HEADER_ID = "webhook-id"
HEADER_TIMESTAMP = "webhook-timestamp"
HEADER_SIGNATURE = "webhook-signature"

COUNT_KEYS = (
    "issued",
    "called",
    "served",
    "no_show",
    "abandoned",
    "transferred",
    "priority",
    "appointments",
    "contacts",
    "help_alerts",
)
SCORES = ("1", "2", "3", "4")  # 1 very unhappy, 2 unhappy, 3 happy, 4 very happy
BODY_KEYS = ("format", "site", "tz", "sent_at", "bucket_edges_s", "windows")
WINDOW_KEYS = (
    "start",
    "need",
    "code",
    "names",
    "revision",
    "counts",
    "wait_hist",
    "service_hist",
    "service_level",
    "outcomes",
    "referrals",
    "channels",
    "taps",
)
SERVICE_LEVEL_KEYS = ("threshold_s", "within", "of")

ID_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")  # a site's or a need's id, as the site file allows
CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")  # a regional need code (contactpoint/regional_needs.toml)
KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")  # an outcome, organisation kind or channel
LANG_RE = re.compile(r"^[a-z]{2,3}$")
TZ_RE = re.compile(r"^(UTC|[A-Z][A-Za-z_]+(/[A-Za-z0-9_+-]+){1,2})$")
START_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:(00|15|30|45)$")
MAX_NAME = 200
#: the `need` and `code` of the site's own window: the taps that name no need and the safety alerts, which belong
#: to the site, not to a need (its `names` are empty)
SITE_NEED = "*"


class ReportError(ValueError):
    """The first problem of a body: `field` is its path (`windows[0].counts.issued`), `why` says what is wrong."""

    def __init__(self, field: str, why: str) -> None:
        super().__init__(f"{field}: {why}")
        self.field = field
        self.why = why


@dataclass(frozen=True)
class ServiceLevel:
    threshold_s: int
    within: int
    of: int


@dataclass(frozen=True)
class Window:
    site: str  # the report's site: not sent in the window, kept here for window_key
    start: str
    need: str
    code: str
    names: Mapping[str, str]
    revision: int
    counts: Mapping[str, int]
    wait_hist: tuple[int, ...]
    service_hist: tuple[int, ...]
    service_level: ServiceLevel
    outcomes: Mapping[str, int]
    referrals: Mapping[str, int]
    channels: Mapping[str, int]
    taps: Mapping[str, Mapping[str, int]]

    def to_body(self) -> dict[str, Any]:
        return {
            "start": self.start,
            "need": self.need,
            "code": self.code,
            "names": dict(self.names),
            "revision": self.revision,
            "counts": dict(self.counts),
            "wait_hist": list(self.wait_hist),
            "service_hist": list(self.service_hist),
            "service_level": {
                "threshold_s": self.service_level.threshold_s,
                "within": self.service_level.within,
                "of": self.service_level.of,
            },
            "outcomes": dict(self.outcomes),
            "referrals": dict(self.referrals),
            "channels": dict(self.channels),
            "taps": {ch: dict(scores) for ch, scores in self.taps.items()},
        }


@dataclass(frozen=True)
class Report:
    format: str
    site: str
    tz: str
    sent_at: int
    bucket_edges_s: tuple[int, ...]
    windows: tuple[Window, ...]

    def to_body(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "site": self.site,
            "tz": self.tz,
            "sent_at": self.sent_at,
            "bucket_edges_s": list(self.bucket_edges_s),
            "windows": [w.to_body() for w in self.windows],
        }


def window_key(w: Window) -> tuple[str, str, str]:
    """What a revision replaces: the hub keeps the highest revision of each (site, start, need)."""
    return (w.site, w.start, w.need)


def signed_headers(secret: str, payload: bytes, timestamp: int, msg_id: str | None = None) -> dict[str, str]:
    """The headers of one delivery of `payload`, signed with the site's key (a `whsec_…` secret) as the
    Standard Webhooks specification says; a new `msg_<uuid4 hex>` id unless one is given (a retry of the same
    delivery may reuse it: the hub then answers 409, already stored)."""
    from standardwebhooks import Webhook

    mid = msg_id or f"msg_{uuid.uuid4().hex}"
    signature = Webhook(secret).sign(mid, datetime.fromtimestamp(timestamp, tz=UTC), payload)
    return {
        HEADER_ID: mid,
        HEADER_TIMESTAMP: str(timestamp),
        HEADER_SIGNATURE: signature,
        "Content-Type": "application/json",
    }


def encode(body: Mapping[str, Any]) -> bytes:
    """The bytes a box sends (and signs): compact UTF-8 JSON with sorted keys."""
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


# ---- validation ------------------------------------------------------------------------------------------


def _obj(value: object, path: str, keys: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise ReportError(path, "must be an object")
    for key in keys:
        if key not in value:
            raise ReportError(_join(path, key), "missing")
    for key in value:
        if key not in keys:
            raise ReportError(_join(path, str(key)), "unexpected field")
    return value


def _join(path: str, key: str) -> str:
    return key if path == "$" else f"{path}.{key}"


def _int(value: object, path: str, low: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ReportError(path, "must be an integer")
    if value < low:
        raise ReportError(path, f"must be at least {low}")
    return value


def _str(value: object, path: str, pattern: re.Pattern[str], what: str) -> str:
    if not isinstance(value, str):
        raise ReportError(path, "must be a string")
    if not pattern.match(value):
        raise ReportError(path, f"must be {what}")
    return value


def _counts(value: object, path: str, key_re: re.Pattern[str] = KEY_RE) -> dict[str, int]:
    if not isinstance(value, dict):
        raise ReportError(path, "must be an object")
    if len(value) > MAX_KEYS:
        raise ReportError(path, f"at most {MAX_KEYS} entries")
    out: dict[str, int] = {}
    for key, n in value.items():
        if not key_re.match(key):
            raise ReportError(f"{path}.{key}", "is not a valid key (lowercase letters, digits, - and _)")
        out[key] = _int(n, f"{path}.{key}")
    return out


def _hist(value: object, path: str, length: int) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise ReportError(path, "must be a list")
    if len(value) != length:
        raise ReportError(path, f"must have {length} buckets (len(bucket_edges_s) + 1), got {len(value)}")
    return tuple(_int(n, f"{path}[{i}]") for i, n in enumerate(value))


def _edges(value: object, path: str) -> tuple[int, ...]:
    if not isinstance(value, list):
        raise ReportError(path, "must be a list")
    if not 1 <= len(value) <= MAX_EDGES:
        raise ReportError(path, f"must have 1 to {MAX_EDGES} edges")
    edges = tuple(_int(e, f"{path}[{i}]", 1) for i, e in enumerate(value))
    for i, e in enumerate(edges):
        if e > MAX_EDGE_S:
            raise ReportError(f"{path}[{i}]", f"must be at most {MAX_EDGE_S} (a day)")
    for i in range(1, len(edges)):
        if edges[i] <= edges[i - 1]:
            raise ReportError(f"{path}[{i}]", "the edges must increase")
    return edges


def _start(value: object, path: str) -> str:
    start = _str(value, path, START_RE, "a local time YYYY-MM-DDTHH:MM with minutes 00, 15, 30 or 45")
    try:
        datetime.strptime(start, "%Y-%m-%dT%H:%M")
    except ValueError:
        raise ReportError(path, "is not a real date and time") from None
    return start


def _names(value: object, path: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ReportError(path, "must be an object")
    if not 1 <= len(value) <= MAX_KEYS:
        raise ReportError(path, "must name the need in at least one language")
    out: dict[str, str] = {}
    for lang, name in value.items():
        if not LANG_RE.match(lang):
            raise ReportError(f"{path}.{lang}", "is not a language code")
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            raise ReportError(f"{path}.{lang}", f"must be a name of 1 to {MAX_NAME} characters")
        out[lang] = name
    return out


def _taps(value: object, path: str) -> dict[str, dict[str, int]]:
    if not isinstance(value, dict):
        raise ReportError(path, "must be an object")
    if len(value) > MAX_KEYS:
        raise ReportError(path, f"at most {MAX_KEYS} entries")
    out: dict[str, dict[str, int]] = {}
    for channel, scores in value.items():
        if not KEY_RE.match(channel):
            raise ReportError(f"{path}.{channel}", "is not a valid channel")
        obj = _obj(scores, f"{path}.{channel}", SCORES)
        out[channel] = {s: _int(obj[s], f"{path}.{channel}.{s}") for s in SCORES}
    return out


def _window(value: object, path: str, site: str, buckets: int) -> Window:
    w = _obj(value, path, WINDOW_KEYS)
    sl = _obj(w["service_level"], f"{path}.service_level", SERVICE_LEVEL_KEYS)
    level = ServiceLevel(
        threshold_s=_int(sl["threshold_s"], f"{path}.service_level.threshold_s"),
        within=_int(sl["within"], f"{path}.service_level.within"),
        of=_int(sl["of"], f"{path}.service_level.of"),
    )
    if level.within > level.of:
        raise ReportError(f"{path}.service_level.within", "cannot exceed `of`")
    counts = _obj(w["counts"], f"{path}.counts", COUNT_KEYS)
    if w["need"] == SITE_NEED:  # the site's own window
        if w["code"] != SITE_NEED:
            raise ReportError(f"{path}.code", f"must be {SITE_NEED!r} in the site's own window")
        if w["names"] != {}:
            raise ReportError(f"{path}.names", "must be empty in the site's own window")
        need, code, names = SITE_NEED, SITE_NEED, {}
    else:
        need = _str(w["need"], f"{path}.need", ID_RE, f"the site's need id (or {SITE_NEED!r}: the site's own)")
        code = _str(w["code"], f"{path}.code", CODE_RE, "a regional need code")
        names = _names(w["names"], f"{path}.names")
    return Window(
        site=site,
        start=_start(w["start"], f"{path}.start"),
        need=need,
        code=code,
        names=names,
        revision=_int(w["revision"], f"{path}.revision", 1),
        counts={k: _int(counts[k], f"{path}.counts.{k}") for k in COUNT_KEYS},
        wait_hist=_hist(w["wait_hist"], f"{path}.wait_hist", buckets),
        service_hist=_hist(w["service_hist"], f"{path}.service_hist", buckets),
        service_level=level,
        outcomes=_counts(w["outcomes"], f"{path}.outcomes"),
        referrals=_counts(w["referrals"], f"{path}.referrals"),
        channels=_counts(w["channels"], f"{path}.channels"),
        taps=_taps(w["taps"], f"{path}.taps"),
    )


def validate(body: object) -> Report:
    """The report in `body` (parsed JSON), or ReportError naming the first problem's path."""
    b = _obj(body, "$", BODY_KEYS)
    if b["format"] != FORMAT:
        raise ReportError("format", f"must be {FORMAT!r}")
    site = _str(b["site"], "site", ID_RE, "the site's id")
    tz = _str(b["tz"], "tz", TZ_RE, "an IANA time zone such as Europe/Brussels")
    sent_at = _int(b["sent_at"], "sent_at")
    edges = _edges(b["bucket_edges_s"], "bucket_edges_s")
    raw = b["windows"]
    if not isinstance(raw, list):
        raise ReportError("windows", "must be a list")
    if len(raw) > MAX_WINDOWS:
        raise ReportError("windows", f"at most {MAX_WINDOWS} windows a request, got {len(raw)}")
    windows: list[Window] = []
    seen: set[tuple[str, str, str]] = set()
    for i, item in enumerate(raw):
        w = _window(item, f"windows[{i}]", site, len(edges) + 1)
        if window_key(w) in seen:
            raise ReportError(f"windows[{i}]", f"({w.start}, {w.need}) is already in this report")
        seen.add(window_key(w))
        windows.append(w)
    return Report(FORMAT, site, tz, sent_at, edges, tuple(windows))

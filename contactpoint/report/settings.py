"""The `[report]` section of a site file: where and how the box reports upstream (docs/reporting.md)."""

from __future__ import annotations

import ipaddress
import os
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contactpoint.config_reader import _Reader

KEYS = ("hub_url", "key_file", "every_seconds", "batch_windows", "keep_days", "unreachable_after_minutes",
        "ca_file", "timeout_seconds")
KEY_ENV = "CONTACTPOINT_REPORT_KEY"  # the site's key itself, instead of key_file (containers, tests)


class KeyMissing(Exception):
    """The site's key cannot be read: the reporter says so in its status and tries again later."""


@dataclass(frozen=True, slots=True)
class ReportSettings:
    hub_url: str  # the hub's address: https://hub.example (the site's reports go to its /ingest/v1/<site id>)
    site_id: str
    key_file: str | None
    every_seconds: float = 60.0
    batch_windows: int = 500
    keep_days: int = 60
    unreachable_after_minutes: float = 60.0
    ca_file: str | None = None
    timeout_seconds: float = 15.0

    @property
    def ingest_url(self) -> str:
        return f"{self.hub_url}/ingest/v1/{self.site_id}"

    def key(self) -> str:
        """The site's signing key (`whsec_…`), read when needed: never kept in the settings or a log line."""
        env = os.environ.get("CONTACTPOINT_REPORT_KEY", "").strip()
        if env:
            return env
        if self.key_file is None:
            raise KeyMissing(f"no key: set report.key_file or {KEY_ENV}")
        try:
            text = Path(self.key_file).read_text().strip()
        except OSError as e:
            raise KeyMissing(f"cannot read the key file {self.key_file}: {e.strerror}") from None
        if not text:
            raise KeyMissing(f"the key file {self.key_file} is empty")
        return text


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_report(r: _Reader, data: dict[str, Any], site_id: str) -> ReportSettings | None:
    """None when the site does not report upstream (no `[report]` section)."""
    if "report" not in data:
        return None
    t = r.table(data, "report", "report")
    for k in t:
        if k not in KEYS:
            raise r.fail(f"report.{k}", f"unknown key (allowed: {', '.join(KEYS)})")
    url = t.get("hub_url")
    if not isinstance(url, str) or not url.strip():
        raise r.fail("report.hub_url", f"must be the hub's https:// address, got {url!r}")
    url = url.strip()
    u = urllib.parse.urlsplit(url)
    if u.scheme not in ("https", "http") or not u.hostname:
        raise r.fail("report.hub_url", f"must be an https:// address, got {url!r}")
    if u.scheme == "http" and not _loopback(u.hostname):
        raise r.fail("report.hub_url", "must use https:// (plain http only to this machine, for tests)")
    if u.query or u.fragment:
        raise r.fail("report.hub_url", "must be the hub's address alone, with no ?query or #fragment")
    key_file = t.get("key_file")
    if key_file is not None and (not isinstance(key_file, str) or not key_file.strip()):
        raise r.fail("report.key_file", "must be the path of the file holding the site's key")
    if key_file is not None and not Path(key_file).is_absolute():
        key_file = str(Path(r.path).resolve().parent / key_file)
    ca_file = t.get("ca_file")
    if ca_file is not None and not isinstance(ca_file, str):
        raise r.fail("report.ca_file", "must be the path of a PEM file")
    return ReportSettings(
        hub_url=url.rstrip("/"),
        site_id=site_id,
        key_file=key_file,
        every_seconds=r.num(t, "report.every_seconds", "every_seconds", 60, 5, 3600),
        batch_windows=int(r.num(t, "report.batch_windows", "batch_windows", 500, 1, 500)),
        keep_days=int(r.num(t, "report.keep_days", "keep_days", 60, 2, 400)),
        unreachable_after_minutes=r.num(t, "report.unreachable_after_minutes", "unreachable_after_minutes", 60, 1,
                                        10080),
        ca_file=ca_file,
        timeout_seconds=r.num(t, "report.timeout_seconds", "timeout_seconds", 15, 1, 120),
    )

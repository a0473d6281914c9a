"""POST /ingest/v1/<site_id>: a box's signed report (contactpoint/report_format.py), stored or refused whole.

Checks, in order, each refusal a JSON {"error", "message"} with nothing stored: an unknown site (404), a body too
large (413), missing or malformed signature headers (401), a timestamp more than 5 minutes from the hub's clock
(401, saying how far off the box's clock is), no live key of the site matching the signature (401), a webhook id
already accepted (409), a body that is not a valid report (400, with the path of the first problem). An accepted
report keeps, for each (site, window start, need), the highest revision: a duplicate or an older revision changes
nothing, so deliveries in any order give the same state."""

from __future__ import annotations

import binascii
import hmac
import json
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from contactpoint.hub.db import seen_messages, sites, windows
from contactpoint.hub.registry import live_secrets
from contactpoint.hub.rollup import refresh
from flask import Blueprint, current_app, jsonify, request
from sqlalchemy.engine import Connection
from standardwebhooks import Webhook

from contactpoint import report_format as rf

bp = Blueprint("ingest", __name__)
SEEN_KEEP_S = 2 * rf.TOLERANCE_S  # a replay older than the tolerance is refused by its timestamp anyway


class Refused(Exception):
    def __init__(self, status: int, error: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.error, self.message, self.field = status, error, message, field


def refusal(status: int, error: str, message: str, field: str | None = None) -> Any:
    body: dict[str, Any] = {"error": error, "message": message}
    if field is not None:
        body["field"] = field
    return jsonify(body), status


def _skew_message(skew: int) -> str:
    way = "ahead of" if skew > 0 else "behind"
    minutes = abs(skew) / 60
    return (
        f"the box's clock is {minutes:.0f} minutes {way} the hub's (tolerance {rf.TOLERANCE_S // 60} minutes): "
        "the box must keep NTP time (timedatectl status; docs/hub.md#clock-skew)"
    )


def _signed_by(body: bytes, msg_id: str, ts: int, signature: str, keys: list[str]) -> bool:
    when = datetime.fromtimestamp(ts, tz=UTC)
    passed = [s.encode() for s in signature.split(" ") if s]
    for secret in keys:
        try:
            expected = Webhook(secret).sign(msg_id, when, body).encode()
        except (binascii.Error, ValueError):
            continue
        if any(hmac.compare_digest(expected, p) for p in passed):
            return True
    return False


def _headers() -> tuple[str, int, str]:
    msg_id = request.headers.get(rf.HEADER_ID, "")
    ts_text = request.headers.get(rf.HEADER_TIMESTAMP, "")
    signature = request.headers.get(rf.HEADER_SIGNATURE, "")
    if not (msg_id and ts_text and signature):
        missing = [h for h, v in ((rf.HEADER_ID, msg_id), (rf.HEADER_TIMESTAMP, ts_text),
                                  (rf.HEADER_SIGNATURE, signature)) if not v]
        raise Refused(401, "unsigned", f"missing header(s): {', '.join(missing)} (Standard Webhooks signing)")
    if len(msg_id) > 100:
        raise Refused(401, "bad_headers", f"{rf.HEADER_ID} is longer than 100 characters")
    if not ts_text.isdigit() or len(ts_text) > 12:
        raise Refused(401, "bad_headers", f"{rf.HEADER_TIMESTAMP} must be whole seconds since 1970")
    return msg_id, int(ts_text), signature


def window_row(report: rf.Report, w: rf.Window, now: int) -> dict[str, Any]:
    c, sl = w.counts, w.service_level
    return {
        "site_id": report.site, "start": w.start, "need": w.need,
        "day": date.fromisoformat(w.start[:10]), "hour": int(w.start[11:13]), "code": w.code,
        "revision": w.revision, "tz": report.tz, "names": dict(w.names),
        **{k: c[k] for k in rf.COUNT_KEYS},
        "sl_threshold_s": sl.threshold_s, "sl_within": sl.within, "sl_of": sl.of,
        "bucket_edges_s": list(report.bucket_edges_s), "wait_hist": list(w.wait_hist),
        "service_hist": list(w.service_hist), "outcomes": dict(w.outcomes), "referrals": dict(w.referrals),
        "channels": dict(w.channels), "taps": {k: dict(v) for k, v in w.taps.items()}, "received_at": now,
    }  # fmt: skip


def _insert(conn: Connection, table: sa.Table) -> Any:
    from sqlalchemy.dialects import postgresql, sqlite

    return postgresql.insert(table) if conn.dialect.name == "postgresql" else sqlite.insert(table)


def store_report(conn: Connection, report: rf.Report, now: int) -> int:
    """Upsert the report's windows, keeping the highest revision of each, and refresh the rollups of every
    (code, day) a changed window was or now is in; returns how many windows changed."""
    if not report.windows:
        return 0
    starts = {w.start for w in report.windows}
    before = {
        (r.start, r.need): (r.code, r.day)
        for r in conn.execute(
            sa.select(windows.c.start, windows.c.need, windows.c.code, windows.c.day).where(
                windows.c.site_id == report.site, windows.c.start.in_(starts)
            )
        )
    }
    stmt = _insert(conn, windows).values([window_row(report, w, now) for w in report.windows])
    keys = ("site_id", "start", "need")
    stmt = stmt.on_conflict_do_update(
        index_elements=[windows.c[k] for k in keys],
        set_={c.name: stmt.excluded[c.name] for c in windows.columns if c.name not in keys},
        where=windows.c.revision < stmt.excluded.revision,
    )
    changed = conn.execute(stmt.returning(windows.c.start, windows.c.need, windows.c.code, windows.c.day)).all()
    days = {(r.code, r.day) for r in changed}
    days |= {before[(r.start, r.need)] for r in changed if (r.start, r.need) in before}
    refresh(conn, report.site, days)
    return len(changed)


def accept(conn: Connection, site_id: str, body: bytes, msg_id: str, ts: int, signature: str, now: int) -> int:
    """Verify, then store in the caller's transaction; raises Refused (the caller rolls back)."""
    if ts - now > rf.TOLERANCE_S or now - ts > rf.TOLERANCE_S:
        raise Refused(401, "clock_skew", _skew_message(ts - now))
    if not _signed_by(body, msg_id, ts, signature, live_secrets(conn, site_id)):
        raise Refused(401, "bad_signature", "the signature matches no live key of this site (wrong key, or a "
                      "body changed on the way)")
    try:
        parsed = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        raise Refused(400, "malformed", "the body is not JSON", "$") from None
    try:
        report = rf.validate(parsed)
    except rf.ReportError as e:
        raise Refused(400, "malformed", f"{e.field}: {e.why}", e.field) from None
    if report.site != site_id:
        raise Refused(400, "malformed", f"site: the report is {report.site!r}, posted to {site_id!r}", "site")
    seen = _insert(conn, seen_messages).values(site_id=site_id, msg_id=msg_id, seen_at=now)
    if not conn.execute(seen.on_conflict_do_nothing().returning(seen_messages.c.msg_id)).first():
        raise Refused(409, "replayed", f"webhook-id {msg_id!r} was already accepted: a replay changes nothing")
    changed = store_report(conn, report, now)
    conn.execute(seen_messages.delete().where(seen_messages.c.seen_at < now - SEEN_KEEP_S))
    return changed


@bp.post("/ingest/v1/<site_id>")
def ingest(site_id: str) -> Any:
    hub = current_app.extensions["hub"]
    now = int(hub.clock())
    with hub.engine.connect() as conn:
        known = conn.execute(sa.select(sites.c.id).where(sites.c.id == site_id)).first()
    if not known:
        return refusal(404, "unknown_site", f"no site {site_id!r} on this hub (hub site add)")
    length = request.content_length
    if length is not None and length > rf.MAX_BODY_BYTES:
        return refusal(413, "too_large", f"a report is at most {rf.MAX_BODY_BYTES} bytes: send fewer windows")
    try:
        msg_id, ts, signature = _headers()
        body = request.get_data(cache=False)
        if len(body) > rf.MAX_BODY_BYTES:
            raise Refused(413, "too_large", f"a report is at most {rf.MAX_BODY_BYTES} bytes: send fewer windows")
        with hub.engine.begin() as conn:
            changed = accept(conn, site_id, body, msg_id, ts, signature, now)
    except Refused as r:
        return refusal(r.status, r.error, r.message, r.field)
    except sa.exc.IntegrityError:  # the same webhook id accepted at the same instant by another worker
        return refusal(409, "replayed", f"webhook-id {msg_id!r} was already accepted")
    return jsonify({"ok": True, "changed": changed}), 200

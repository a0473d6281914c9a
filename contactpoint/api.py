"""The box's shared HTTP API: the snapshot every page resyncs from, and health."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, jsonify

from contactpoint import __version__
from contactpoint.box import current_box
from contactpoint.engine import redact

bp = Blueprint("api", __name__, url_prefix="/api")


def site_description() -> dict[str, Any]:
    """The site as every page's snapshot describes it: languages, needs, counters, the welcome message."""
    site = current_box().site
    week = site.hours.week
    return {
        "id": site.id,
        "name": site.name,
        "languages": list(site.languages),
        "announcement_languages": list(site.announcement_languages),
        "needs": [{"id": n.id, "prefix": n.prefix, "pictogram": n.pictogram, "names": n.names} for n in site.needs],
        "counters": [{"id": c.id, "label": c.label} for c in site.counters],
        "message": site.message,
        # what the display's header shows (kept in step with the settings: the display redraws from its snapshot)
        "default_language": site.default_language,
        "always_open": site.hours.always_open,
        "hours": {str(d): [f"{s.start:%H:%M}–{s.end:%H:%M}" for s in spans] for d, spans in sorted(week.items())},
    }


def full_state() -> dict[str, Any]:
    """The snapshot with the site's description; agents' pages get it whole, public pages redacted."""
    snap = current_box().engine.snapshot()
    snap["site"] = site_description()
    return snap


@bp.get("/state")
def state() -> Any:
    resp = jsonify(redact(full_state()))
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/health")
def health() -> Any:
    cp = current_box()
    full = cp.store.full_since is not None  # a write failed on a full disk, and none has succeeded since
    return jsonify(
        ok=not full,
        version=__version__,  # what `contactpoint update` waits for after switching releases
        seq=cp.engine.seq(),
        printer=cp.engine.printer_key(),
        server=cp.socketio.async_mode,
        storage="full" if full else "ok",
        # every response carries the strict Content-Security-Policy (contactpoint/app.py security_headers)
        csp=current_app.extensions.get("csp") is not None,
        # the parts that say their own state (feedback/: "buttons": "ok" | "none" | "unavailable: why")
        **{name: state() for name, state in current_app.extensions.get("health", {}).items()},
        report=_report_health(cp),
    )


def _report_health(cp: Any) -> str:
    """`off` (no [report] section), `ok`, or since when the hub has not answered (past the site's threshold)."""
    if cp.reporter is None:
        return "off"
    h = cp.reporter.health()
    if h.unreachable_since is None:
        return "ok"
    since = datetime.fromtimestamp(h.unreachable_since, cp.site.tz).isoformat(timespec="minutes")
    return f"hub unreachable since {since} ({h.status.pending} windows waiting)"

"""The waiting-room display: calls (number → counter), the last calls, waits per need, hours, announcements.

`/display/?zone=ID` shows one zone of the waiting room (a subset of needs and/or counters). Each call is
announced: the page asks `/display/announcement/<ticket>?counter=ID&recall=0|1` for the playlist of that call
(chime, then the visitor's language, then the site's announcement languages) and plays the WAVs from
`/display/audio/<hash>.wav`.
"""

from __future__ import annotations

import re
from typing import Any

from contactpoint.hardware.audio import chime_path
from flask import Blueprint, Flask, abort, jsonify, render_template, request, send_file, url_for
from flask_socketio import Namespace, SocketIO

from contactpoint.box import current_box
from contactpoint.domain.errors import CommandError
from contactpoint.domain.site import Site, Zone
from contactpoint.engine import redact
from contactpoint.guard import json_view

bp = Blueprint("display", __name__, url_prefix="/display", template_folder="templates", static_folder="static")

AUDIO_NAME = re.compile(r"[0-9a-f]{32}")  # cache files are named by a hash: nothing else is ever served
CHIME = "chime"



def _zone(site: Site) -> Zone | None:
    zone_id = request.args.get("zone")
    if not zone_id:
        return None
    zone = site.zone(zone_id)
    if zone is None:
        raise CommandError("unknown_zone", 404)
    return zone


def in_zone(zone: Zone | None, need: str | None, counter: str | None) -> bool:
    """A call belongs to a zone if its need and its counter are both among the zone's (empty: any)."""
    if zone is None:
        return True
    return (not zone.needs or need in zone.needs) and (not zone.counters or counter in zone.counters)


def week_hours(site: Site) -> dict[str, list[str]]:
    """Opening hours per weekday (0 = Monday) as "HH:MM–HH:MM" spans, for the page to show today's."""
    return {
        str(day): [f"{s.start:%H:%M}–{s.end:%H:%M}" for s in spans] for day, spans in sorted(site.hours.week.items())
    }


@bp.get("/")
def page() -> Any:
    cp = current_box()
    site = cp.site
    zone = _zone(site)
    return render_template(
        "display/display.html",
        site=site,
        zone=zone,
        hours=week_hours(site),
        tz=str(getattr(site.tz, "key", "")),
        state_url=url_for("display.state", zone=zone.id if zone else None),
    )


@bp.get("/state")
@json_view
def state() -> Any:
    """The display's snapshot, bounded whatever the day's size (`Engine.display_snapshot`: the last calls with
    their needs, the tickets they name, the counters, the counts), redacted, cut down to the zone if one is asked
    for; the same shape as /api/state."""
    from contactpoint.api import site_description

    cp = current_box()
    zone = _zone(cp.site)
    snap = redact(cp.engine.display_snapshot() | {"site": site_description()})
    if zone is not None:
        snap["calls"] = [c for c in snap["calls"] if in_zone(zone, c["need"], c["counter"])]
        if zone.needs:
            snap["summary"]["needs"] = {k: v for k, v in snap["summary"]["needs"].items() if k in zone.needs}
        snap["zone"] = {"id": zone.id, "name": zone.name, "needs": list(zone.needs), "counters": list(zone.counters)}
    resp = jsonify(snap)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/announcement/<ticket_id>")
@json_view
def announcement(ticket_id: str) -> Any:
    """The audio of one call, in play order: the chime, then the visitor's language, then the site's others.

    The call is named by its ticket, its counter and whether it is a recall (`?counter=ID&recall=0|1`), and must
    be one of the day's calls as the box logged them: the display says the counter it shows, even if the ticket
    has been transferred or called elsewhere since, and nobody can make the box speak anything else. Without
    `counter`, the ticket's current counter (pages of an older version)."""
    cp = current_box()
    recall = request.args.get("recall", "0") in ("1", "true")
    call = cp.engine.find_call(ticket_id, request.args.get("counter") or None, recall)
    if call is None:
        raise CommandError("unknown_ticket", 404)
    service = cp.announcements
    paths = service.playlist(call.number, call.counter, call.lang, recall=recall)
    urls = [
        url_for("display.audio", name=CHIME if p == chime_path() else p.stem)
        for p in paths
        if p == chime_path() or p.parent == service.cache_dir
    ]
    spoken = len(urls) - 1 if urls else 0
    resp = jsonify(
        ticket=call.ticket,
        number=call.number,
        counter=call.counter,
        recall=recall,
        urls=urls,
        complete=not service.enabled
        or spoken == len(service.parts(call.number, call.counter, call.lang, recall=recall)),
    )
    resp.headers["Cache-Control"] = "no-store"
    return resp


@bp.get("/audio/<name>.wav")
def audio(name: str) -> Any:
    """A cached announcement (or the chime). Names are hashes only: no path ever comes from the request."""
    if name == CHIME:
        return send_file(chime_path(), mimetype="audio/wav", max_age=3600, conditional=True)
    if not AUDIO_NAME.fullmatch(name):
        abort(404)
    path = current_box().announcements.cache_dir / f"{name}.wav"
    if not path.is_file():
        abort(404)
    resp = send_file(path, mimetype="audio/wav", max_age=86400, conditional=True)
    resp.headers["Cache-Control"] = "public, max-age=86400, immutable"  # the name is the content's hash
    return resp


class DisplayNamespace(Namespace):
    def on_connect(self, auth: Any = None) -> None:
        pass

    def on_alive(self, *args: Any) -> bool:
        """The display's heartbeat (live.js): answered at once, so a box that does not answer is gone."""
        return True


def init_app(app: Flask, socketio: SocketIO) -> None:
    app.register_blueprint(bp)
    socketio.on_namespace(DisplayNamespace("/display"))

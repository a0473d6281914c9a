"""The server's side of the self-test and health: what only the running box knows or owns.

`POST /api/selftest` (from the box itself only: any other address gets 403) prints a test ticket through the
printer worker and reads the printer's status, checks the GPIO buttons, counts the device pages connected now,
and, with `[report]`, the outbox and whether the hub answers. `health_fields` adds the cheap checks to
`GET /api/health`: no printing, no speech, no scan of the database; each is O(1) whatever the day's size.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import shutil
import time
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, jsonify, request

from contactpoint.box import Box, box_of, current_box
from contactpoint.domain.errors import CommandError
from contactpoint.selftest import FAIL, OK, WARN, CachedClock, Check, schema_check, schema_of, worst
from contactpoint.selftest import disk_space as disk_check
from contactpoint.selftest import version as version_check
from contactpoint.selftest import wal_size as wal_check

bp = Blueprint("selftest", __name__, url_prefix="/api")
PAGES = ("kiosk", "display", "counter", "feedback", "manage")  # the device pages' Socket.IO namespaces
PRINT_WAIT_S = 30.0  # the worker prints the visitors' queued tickets first
HUB_TIMEOUT_S = 5.0
CLOCK_WORDS = {OK: "synchronised", FAIL: "not synchronised", WARN: "unknown"}


def loopback(address: str | None) -> bool:
    try:
        return address is not None and ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def pages_connected(cp: Box) -> dict[str, int]:
    """Socket.IO connections now, per device page: the size of each namespace's room of all (O(1))."""
    rooms = getattr(cp.socketio.server, "manager", None)
    rooms = getattr(rooms, "rooms", {})
    return {page: len(rooms.get(f"/{page}", {}).get(None, {})) for page in PAGES}


def pages_check(cp: Box) -> Check:
    n = pages_connected(cp)
    said = ", ".join(f"{page} {count}" for page, count in n.items())
    if n["kiosk"] == 0 and n["display"] == 0:
        return Check("pages", WARN, f"connected now: {said}",
                     "no kiosk or display screen is connected: is the screen on, and paired?")
    return Check("pages", OK, f"connected now: {said}")


def _db_path(cp: Box) -> Path:
    return Path(cp.store.path)


def schema_now(cp: Box) -> Check:
    with cp.store.write_lock:  # a one-row table: the versions applied
        return schema_check(schema_of(cp.store.db))


def printer_key_check(key: str, message: str) -> Check:
    """A printer's status key as a line: ok, warn while it still prints (paper low), else fail with what to do."""
    from contactpoint.domain.model import PRINTER_PRINTS

    if key == "printer_ok":
        return Check("printer", OK, message)
    if key in PRINTER_PRINTS:
        return Check("printer", WARN, message, "put a new paper roll in soon")
    return Check("printer", FAIL, message, PRINTER_HINTS.get(key, "see docs/printers.md"))


def printer_seen(cp: Box) -> Check:
    """The printer's last known status and when the worker last asked it (no IO here)."""
    key = cp.engine.printer_key()
    at = getattr(getattr(cp, "printing", None), "polled_at", None)
    when = f", asked at {datetime.fromtimestamp(at, cp.site.tz):%H:%M:%S}" if at else ""
    return printer_key_check(key, f"{key}{when}")


PRINTER_HINTS = {
    "printer_paper_out": "put a new paper roll in",
    "printer_cover_open": "close the printer's cover",
    "printer_offline": "check the printer's power and cable (lsusb), then contactpoint printer test",
    "printer_error": "switch the printer off and on; journalctl -u contactpoint says what failed",
}


def buttons_check(cp: Box) -> Check | None:
    """The GPIO push-buttons (None: no `[buttons]` in the site file): opened, and none held down."""
    from contactpoint.hardware.buttons import ButtonPanel

    panel = next((s for s in cp.services if isinstance(s, ButtonPanel)), None)
    if panel is None:
        return None
    pins = panel.settings.pins
    if panel.status != "ok":
        hint = "needs a Pi and gpiozero (contactpoint[buttons]); check the wiring, and that nothing else uses the pins"
        return Check("buttons", FAIL, f"GPIO {', '.join(map(str, pins))}: {panel.status}", hint)
    held = [str(pin) for pin, b in zip(pins, panel.buttons, strict=False) if b.is_pressed]
    if held:
        return Check("buttons", WARN, f"GPIO {', '.join(held)} held down now",
                     "a button is stuck or wired to the wrong pin (docs/feedback.md)")
    return Check("buttons", OK, f"4 buttons on GPIO {', '.join(map(str, pins))}, none held down")


def outbox_checks(cp: Box, h: Any = None) -> list[Check]:
    """The reporter's outbox and whether the hub answered lately (nothing with no `[report]`); `h`: its
    health when already read."""
    if cp.reporter is None:
        return []
    h = h or cp.reporter.health()
    st = h.status
    waiting = f"{st.pending} windows waiting" + (f", oldest {st.oldest_pending}" if st.oldest_pending else "")
    out = [Check("outbox", OK if st.last_error is None or st.failing_since is None else WARN, waiting,
                 f"last error: {st.last_error}" if st.last_error else "")]
    if h.unreachable_since is not None:
        since = datetime.fromtimestamp(h.unreachable_since, cp.site.tz).isoformat(timespec="minutes")
        out.append(Check("hub", FAIL, f"unreachable since {since}",
                         "check the box's network and the hub's address (contactpoint report status)"))
    return out


def hub_reachable(cp: Box) -> Check | None:
    """An HTTP request to the hub's `/health` now (None: no `[report]`): any HTTP answer means it answers."""
    if cp.reporter is None:
        return None
    import ssl
    import urllib.error
    import urllib.request

    settings = cp.reporter.settings
    netloc = urlsplit(settings.hub_url).netloc
    context = ssl.create_default_context(cafile=settings.ca_file) if settings.hub_url.startswith("https") else None
    try:
        with urllib.request.urlopen(f"{settings.hub_url}/health", timeout=HUB_TIMEOUT_S, context=context) as r:
            code = r.status
    except urllib.error.HTTPError as e:  # it answered, if not with 200: reachable all the same
        code = e.code
    except (OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        return Check("hub", FAIL, f"{netloc} does not answer: {reason}",
                     "check the box's network (ping, DNS) and [report] hub_url; the outbox keeps the figures")
    return Check("hub", OK, f"{netloc} answers (HTTP {code})")


def cheap_checks(app: Flask, reporter: Any = None) -> list[Check]:
    """What `/api/health` says: every check that costs no printing, no speech and no scan of the database
    (`reporter`: the reporter's health when already read)."""
    cp = box_of(app)
    clock: CachedClock = app.extensions.setdefault("selftest_clock", CachedClock())
    checks = [version_check(), wal_check(_db_path(cp)), schema_now(cp),
              disk_check(_db_path(cp).parent), clock(), printer_seen(cp)]
    buttons = buttons_check(cp)
    if buttons is not None:
        checks.append(buttons)
    checks += outbox_checks(cp, reporter)
    checks.append(pages_check(cp))
    return checks


def health_fields(app: Flask) -> dict[str, Any]:
    """The keys the self-test adds to `GET /api/health` (docs/events.md)."""
    from contactpoint import __version__

    cp = box_of(app)
    reporter = cp.reporter.health() if cp.reporter is not None else None
    checks = cheap_checks(app, reporter)
    path = _db_path(cp)
    wal = Path(f"{path}-wal")
    printing = getattr(cp, "printing", None)
    return {
        "status": worst(checks),
        "version": __version__,
        "schema": next(c for c in checks if c.name == "schema").status == OK,
        "wal_bytes": wal.stat().st_size if wal.exists() else 0,
        "disk_free_bytes": shutil.disk_usage(path.parent).free,
        "clock": CLOCK_WORDS[next(c for c in checks if c.name == "clock").status],
        "printer_checked_at": getattr(printing, "polled_at", None),
        "outbox": None if reporter is None else reporter.status.pending,
        "hub_unreachable_since": None if reporter is None else reporter.unreachable_since,
        "pages": pages_connected(cp),
        "checks": [c.to_dict() for c in checks],
    }


def sample_ticket(app: Flask, lang: str) -> Any:
    """A realistic ticket of the site's first need in `lang`, as the kiosk's would print (no visitor's)."""
    from contactpoint.domain.model import Ticket, TicketState
    from contactpoint.engine_queries import Place
    from contactpoint.printing import ticket_content

    cp = box_of(app)
    need = cp.site.needs[0]
    now = time.time()
    t = Ticket(id="selftest", token="SelfTest-" + secrets.token_urlsafe(8), day=cp.site.day_of(now), need=need.id,
               number=f"{need.prefix}000", serial=0, lang=lang, state=TicketState.ISSUED, issued_at=now, queue_at=now)
    base = app.config.get("PUBLIC_URL") or "http://contactpoint.local:8080/"
    return ticket_content(app, t, Place(t, 0, 0.0), base)


def print_check(app: Flask) -> Check:
    """A test ticket through the printer worker (after the visitors' tickets queued), then the status."""
    from contactpoint.selftest import SelfTestJob

    cp = box_of(app)
    worker = cp.printing.thread
    if worker is None or not worker.is_alive():
        return Check("printer", FAIL, "the printer worker is not running",
                     "sudo systemctl restart contactpoint; journalctl -u contactpoint says why it stopped")
    job = SelfTestJob(sample_ticket(app, cp.site.default_language))
    cp.printing.submit(job)
    key = job.wait(float(app.config.get("SELFTEST_PRINT_WAIT", PRINT_WAIT_S)))
    if key is None:
        return Check("printer", FAIL, "the printer worker did not print the test ticket in time",
                     "the printer hangs: switch it off and on, then sudo systemctl restart contactpoint")
    if key == "printer_ok":
        return printer_key_check(key, f"printed a test ticket; status {key}")
    return printer_key_check(key, f"test ticket: {key}")


@bp.post("/selftest")  # type: ignore[untyped-decorator]  # flask is not followed (pyproject)
def selftest() -> Any:
    """The server's checks, for `contactpoint selftest` on the box itself: 403 from any other address."""
    if not loopback(request.remote_addr):
        raise CommandError("forbidden", 403)
    app = current_app._get_current_object()
    cp = current_box()
    checks = [version_check(), print_check(app)]
    buttons = buttons_check(cp)
    if buttons is not None:
        checks.append(buttons)
    checks.append(pages_check(cp))
    checks += [c for c in outbox_checks(cp) if c.name == "outbox"]
    hub = hub_reachable(cp)
    if hub is not None:
        checks.append(hub)
    return jsonify(
        status=worst(checks),
        pid=os.getpid(),
        database=str(_db_path(cp)),  # which file the CLI's own checks must read
        checks=[c.to_dict() for c in checks],
    )


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)


__all__ = ["FAIL", "OK", "WARN", "cheap_checks", "health_fields", "init_app", "pages_connected"]

"""The printer service: prints each issued ticket after it is committed, off the request's thread.

The visitor's number is committed and shown first; printing happens in a worker so a jammed, stalled or
unplugged printer never delays or loses a ticket. Every printer problem becomes a `printer_status` event
with a message key, which counter pages and the kiosk show in their own language.

One worker thread owns the printer: it prints the jobs (tickets, reprints, referral slips) in order and,
between jobs, asks the printer for its real-time status every `poll_interval` seconds, so paper running out
or a cover left open reaches the counter pages before the next visitor takes a ticket. Only changes are logged
(the `printer_status` command drops a repeat of the current key). When the printer comes back, nothing that
failed is reprinted by itself: the visitor was shown the number on screen, and an agent can reprint.

Agents reach the worker through `POST /api/print/reprint` and `POST /api/print/slip` (202: queued).
"""

from __future__ import annotations

import ipaddress
import logging
import queue as stdqueue
import socket
import threading
import time
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from flask import Blueprint, Flask, current_app, jsonify, request
from flask_babel import force_locale, gettext

from contactpoint.auth import agent_required
from contactpoint.box import Box, Worker, box_of, current_box
from contactpoint.concurrency import blocking
from contactpoint.domain import commands
from contactpoint.domain.errors import CommandError
from contactpoint.domain.model import FINAL, PRINTER_PRINTS, Ticket
from contactpoint.domain.site import Organisation, Site
from contactpoint.engine_queries import Place
from contactpoint.i18n import RTL, place_phrases, short_datetime
from contactpoint.selftest import SelfTestJob

log = logging.getLogger(__name__)

DEFAULT_POLL_INTERVAL = 5.0  # seconds between two status queries while no job is printing


@dataclass(frozen=True)
class PrintJob:
    ticket_id: str
    base_url: str
    reprint: bool = False
    organisation: str | None = None  # set: a referral slip for this organisation instead of the ticket


#: addresses a UDP socket is "connected" to, to learn which source address the box would use (nothing is sent):
#: TEST-NET-1 follows the default route; the others find a LAN without a gateway in each private range
_ROUTE_PROBES = ("192.0.2.1", "10.255.255.254", "172.31.255.254", "192.168.255.254")
_LAN_RETRY_S = 60.0  # no address yet (DHCP still running at boot): look again at most once a minute
_lan: dict[str, Any] = {"address": None, "checked": None, "warned": False}
_lan_lock = threading.Lock()


def _find_lan_address() -> str | None:
    """The box's primary IPv4 address on its network, or None (no network up)."""
    for probe in _ROUTE_PROBES:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.connect((probe, 9))  # a UDP connect picks the route and source address; it sends nothing
            address = str(sock.getsockname()[0])
        except OSError:  # no route to that range
            continue
        finally:
            sock.close()
        if address != "0.0.0.0" and not ipaddress.ip_address(address).is_loopback:
            return address
    return None


def lan_address() -> str | None:
    """`_find_lan_address`, cached: found once, kept; not found, asked again at most once a minute."""
    with _lan_lock:
        now = time.monotonic()
        if _lan["address"] is None and (_lan["checked"] is None or now - _lan["checked"] >= _LAN_RETRY_S):
            _lan["checked"] = now
            _lan["address"] = _find_lan_address()
        address: str | None = _lan["address"]
        return address


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def public_url() -> str:
    """The box's address as the visitor's phone reaches it (for the QR code): PUBLIC_URL, else this request's.

    A kiosk browser on the box itself opens http://127.0.0.1:8080/kiosk/, and no phone can open a QR code for
    127.0.0.1: then the box's LAN address (with the same port) replaces the loopback host."""
    configured = current_app.config.get("PUBLIC_URL")
    if configured:
        return str(configured)
    root = request.url_root
    parts = urlsplit(root)
    if not _is_loopback(parts.hostname):
        return root
    address = lan_address()
    if address is None:
        with _lan_lock:
            warn, _lan["warned"] = not _lan["warned"], True
        if warn:
            log.warning(
                "the kiosk uses %s and the box has no network address: QR codes point at the box itself, which no "
                "phone can open; set CONTACTPOINT_PUBLIC_URL (docs/configuration.md)",
                parts.netloc,
            )
        return root
    netloc = f"{address}:{parts.port}" if parts.port else address
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def ticket_content(app: Flask, t: Ticket, view: Place, base_url: str) -> Any:
    """The ticket's printed strings, translated into the visitor's language."""
    from contactpoint.hardware.printer import TicketContent

    cp = box_of(app)
    site = cp.site
    need = site.need(t.need)
    ahead, est = view.ahead, view.estimate_s
    with app.app_context(), force_locale(t.lang):
        position, estimate = place_phrases(ahead, est)
        return TicketContent(
            lang=t.lang,
            rtl=t.lang in RTL,
            site_name=site.name,
            need_label=need.name(t.lang) if need else t.need,
            number=t.number,
            issued_label=short_datetime(site.local(t.issued_at), t.lang),
            position_label=position,
            estimate_label=estimate,
            expect_line=gettext("Keep this ticket: your number will be shown on the screen and announced."),
            qr_url=f"{base_url.rstrip('/')}/t/{t.token}",
            qr_caption=gettext("Follow your turn on your phone"),
            priority_label=gettext("Priority ticket") if t.priority else "",
        )


def _in_lang(texts: dict[str, str], lang: str, site: Site) -> str:
    """A translated text of the site file in `lang`, else the site's default language, else any."""
    return texts.get(lang) or texts.get(site.default_language) or next(iter(texts.values()), "")


_LRI, _PDI = "\u2066", "\u2069"  # Unicode bidi isolates: left-to-right isolate ... pop directional isolate


def _isolated(value: str, rtl: bool) -> str:
    """A left-to-right value (phone number, URL, address, ticket number) inside a right-to-left sentence, wrapped
    in LRI ... PDI so it reads left to right: unwrapped, the groups of "02 600 54 11" come out as "11 54 600 02".
    Values in a right-to-left script, and every value of a left-to-right ticket, are left as they are."""
    if not rtl or not value or any(unicodedata.bidirectional(c) in ("R", "AL") for c in value):
        return value
    return f"{_LRI}{value}{_PDI}"


def slip_content(app: Flask, t: Ticket, org: Organisation) -> Any:
    """A referral slip for the visitor of ticket `t`: where to go next, in the visitor's language."""
    from contactpoint.hardware.printer import SlipContent

    cp = box_of(app)
    site = cp.site
    rtl = t.lang in RTL

    def iso(value: str) -> str:
        return _isolated(value, rtl)

    with app.app_context(), force_locale(t.lang):
        lines: list[str] = []
        description = _in_lang(org.description, t.lang, site)
        if description:
            lines.append(description)
        if org.address:
            lines.append(gettext("Address: %(address)s", address=iso(org.address)))
        hours = _in_lang(org.hours, t.lang, site)
        if hours:
            lines.append(gettext("Opening hours: %(hours)s", hours=iso(hours)))
        if org.phone:
            lines.append(gettext("Phone: %(phone)s", phone=iso(org.phone)))
        if org.website:
            lines.append(gettext("Website: %(website)s", website=iso(org.website)))
        lines.append(
            gettext(
                "Given at %(site)s, %(date)s (ticket %(number)s)",
                site=iso(site.name),
                date=short_datetime(site.local(cp.engine.clock()), t.lang),  # day first, 24-hour, isolated
                number=iso(t.number),
            )
        )
        return SlipContent(
            lang=t.lang,
            rtl=rtl,
            title=gettext("Where to go next"),
            org_name=org.name,
            lines=tuple(lines),
        )


class PrinterService(Worker):
    """The one thread that talks to the printer: jobs in order, and a status poll when idle (a Box service)."""

    name = "printer"

    def __init__(self, app: Flask, poll_interval: float | None = None) -> None:
        super().__init__()
        self.app = app
        if poll_interval is None:
            poll_interval = float(app.config.get("PRINTER_POLL_INTERVAL", DEFAULT_POLL_INTERVAL))
        self.poll_interval = poll_interval  # 0: never poll (status is then only learnt from jobs)
        self.jobs: stdqueue.Queue[PrintJob | SelfTestJob | None] = stdqueue.Queue()
        self.polls = 0  # status queries made (for tests and health)
        self.polled_at: float | None = None  # the wall-clock time of the last status query (health)
        printer = box_of(app).printer
        if printer is not None and not getattr(printer, "blocking_io", True):
            # it prints on the loop (sockets, no IO): its Pillow drawing goes to the thread pool under gevent
            printer.offload = blocking

    def submit(self, job: PrintJob | SelfTestJob) -> None:
        self.jobs.put(job)

    def _wake(self) -> None:
        self.jobs.put(None)  # after the jobs queued: they print first

    def _status(self, key: str, ticket: str | None = None) -> None:
        cp = box_of(self.app)
        try:
            cp.engine.run(commands.printer_status, key=key, ticket=ticket)
        except Exception:  # the store closing under us at shutdown: nothing to record it in
            log.exception("cannot record printer status %s", key)

    def _io(self, fn: Any, *args: Any) -> Any:
        """USB, serial and device-file printing block: under gevent, off the event loop (its thread pool)."""
        printer = box_of(self.app).printer
        return blocking(fn, *args) if getattr(printer, "blocking_io", True) else fn(*args)

    def poll(self) -> None:
        """Ask the printer for its real-time status and record a change (called by the worker)."""
        cp = box_of(self.app)
        self.polls += 1
        self.polled_at = time.time()
        try:
            st = self._io(cp.printer.status)  # never raises by contract; a driver bug still must not kill the worker
        except Exception:
            log.exception("printer status query failed")
            self._status("printer_error")
            return
        self._status(st.key)

    def _print(self, job: PrintJob) -> None:
        from contactpoint.hardware.printer import PrinterError

        cp = box_of(self.app)
        t = cp.engine.ticket(job.ticket_id)
        if t is None:  # the day closed before it printed
            return
        known = cp.engine.printer_key()  # the status this job started with
        try:
            if job.organisation is not None:
                org = cp.site.organisation(job.organisation)
                if org is None:
                    return
                self._io(cp.printer.print_slip, slip_content(self.app, t, org))
            else:
                content = ticket_content(self.app, t, cp.engine.ticket_view(t), job.base_url)
                self._io(cp.printer.print_ticket, content)
        except PrinterError as e:
            self._status(e.key, t.id)
        except Exception:  # never let a driver bug kill the worker
            log.exception("printing ticket %s failed", t.number)
            self._status("printer_error", t.id)
        else:  # it printed, so it works; paper running low is still low: only a fault clears here, and only the
            # one known when the job started (a fault reported meanwhile is newer news than this job)
            now_known = cp.engine.printer_key()
            if now_known not in PRINTER_PRINTS and now_known == known:
                self._status("printer_ok")

    def _test_print(self, job: SelfTestJob) -> None:
        """The test ticket, then a fresh status query: both recorded as any job's would be."""
        from contactpoint.hardware.printer import PrinterError

        cp = box_of(self.app)
        try:
            self._io(cp.printer.print_ticket, job.content)
        except PrinterError as e:
            self._status(e.key)
            job.finish(e.key)
            return
        except Exception:  # never let a driver bug kill the worker
            log.exception("printing the test ticket failed")
            self._status("printer_error")
            job.finish("printer_error")
            return
        self.poll()
        job.finish(cp.engine.printer_key())

    def _run(self) -> None:
        every = self.poll_interval
        next_poll = time.monotonic() + every
        while True:
            if every > 0 and time.monotonic() >= next_poll:
                self.poll()
                next_poll = time.monotonic() + every
            try:
                job = self.jobs.get(timeout=max(0.0, next_poll - time.monotonic()) if every > 0 else None)
            except stdqueue.Empty:
                continue
            if job is None:
                return
            if isinstance(job, SelfTestJob):
                self._test_print(job)
            else:
                self._print(job)
            if every > 0:
                next_poll = time.monotonic() + every  # the job itself just told us the status


# -- agents' print endpoints ---------------------------------------------------------------------------------
bp = Blueprint("printing", __name__, url_prefix="/api/print")


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise CommandError("bad_request", 400)
    return body


def _todays_ticket(body: dict[str, Any]) -> Ticket:
    cp = current_box()
    ticket_id = body.get("ticket")
    if not isinstance(ticket_id, str):
        raise CommandError("bad_request", 400)
    t = cp.engine.ticket(ticket_id)
    if t is None or t.day != cp.site.day_of(cp.engine.clock()):
        raise CommandError("unknown_ticket", 404)
    return t


@bp.post("/reprint")
@agent_required
def reprint() -> Any:
    """{"ticket": id} → 202: today's ticket is printed again, with its place and estimate as they are now."""
    t = _todays_ticket(_body())
    if t.state in FINAL:
        raise CommandError("ticket_closed", 409)
    current_box().printing.submit(PrintJob(t.id, public_url(), reprint=True))
    return jsonify(queued=True, ticket=t.id, number=t.number), 202


@bp.post("/slip")
@agent_required
def slip() -> Any:
    """{"ticket": id, "organisation": org_id} → 202: a referral slip in the visitor's language."""
    body = _body()
    t = _todays_ticket(body)
    cp = current_box()
    org_id = body.get("organisation")
    org = cp.site.organisation(org_id) if isinstance(org_id, str) else None
    if org is None:
        raise CommandError("unknown_organisation", 400)
    cp.printing.submit(PrintJob(t.id, public_url(), organisation=org.id))
    return jsonify(queued=True, ticket=t.id, number=t.number, organisation=org.id), 202


def init_app(app: Flask, cp: Box) -> None:
    cp.printing = PrinterService(app)
    cp.add_service(cp.printing)
    app.register_blueprint(bp)

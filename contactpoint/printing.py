"""The printer service: prints each issued ticket after it is committed, off the request's thread.

The visitor's number is committed and shown first; printing happens in a worker so a jammed, stalled or
unplugged printer never delays or loses a ticket. Every printer problem becomes a `printer_status` event
with a message key, which consoles and the kiosk show in their own language.
"""

from __future__ import annotations

import logging
import queue as stdqueue
import threading
from dataclasses import dataclass
from typing import Any

from babel.dates import format_datetime
from flask import Flask
from flask_babel import force_locale, gettext, ngettext

from contactpoint.domain import commands
from contactpoint.domain.model import Ticket
from contactpoint.i18n import RTL

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrintJob:
    ticket_id: str
    base_url: str
    reprint: bool = False


def ticket_content(app: Flask, t: Ticket, view: dict[str, Any], base_url: str) -> Any:
    """The ticket's printed strings, translated into the visitor's language."""
    from hardware.printer import TicketContent

    cp = app.extensions["contactpoint"]
    site = cp.site
    need = site.need(t.need)
    ahead = int(view["ahead"])
    est = view["estimate_s"]
    with app.app_context(), force_locale(t.lang):
        if ahead == 0:
            position = gettext("You are next in line")
        else:
            position = ngettext("%(num)d person before you", "%(num)d people before you", ahead)
        if est is None:
            estimate = gettext("No estimate yet: no counter serves this right now.")
        else:
            estimate = gettext("Estimated wait: about %(min)d min", min=max(1, round(est / 60)))
        return TicketContent(
            lang=t.lang,
            rtl=t.lang in RTL,
            site_name=site.name,
            need_label=need.name(t.lang) if need else t.need,
            number=t.number,
            issued_label=format_datetime(site.local(t.issued_at), "short", locale=t.lang),
            position_label=position,
            estimate_label=estimate,
            expect_line=gettext("Keep this ticket: your number will be shown on the screen and announced."),
            qr_url=f"{base_url.rstrip('/')}/t/{t.token}",
            qr_caption=gettext("Follow your turn on your phone"),
        )


class PrinterService:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.jobs: stdqueue.Queue[PrintJob | None] = stdqueue.Queue()
        self.thread = threading.Thread(target=self._run, name="printer", daemon=True)
        self.thread.start()

    def submit(self, job: PrintJob) -> None:
        self.jobs.put(job)

    def _status(self, key: str, ticket: str | None = None) -> None:
        cp = self.app.extensions["contactpoint"]
        cp.engine.run(commands.printer_status, key=key, ticket=ticket)

    def _run(self) -> None:
        from hardware.printer import PrinterError

        cp = self.app.extensions["contactpoint"]
        while True:
            job = self.jobs.get()
            if job is None:
                return
            t = cp.engine.state.tickets.get(job.ticket_id)
            if t is None:
                continue
            try:
                content = ticket_content(self.app, t, cp.engine.ticket_view(t), job.base_url)
                cp.printer.print_ticket(content)
            except PrinterError as e:
                self._status(e.key, t.id)
            except Exception:  # never let a driver bug kill the worker
                log.exception("printing ticket %s failed", t.number)
                self._status("printer_error", t.id)
            else:
                self._status("printer_ok")


def init_app(app: Flask, cp: Any) -> None:
    cp.services["printer"] = PrinterService(app)

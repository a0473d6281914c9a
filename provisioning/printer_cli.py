"""`contactpoint printer test` and `contactpoint printer preview`: the technician's printer commands."""

from __future__ import annotations

import secrets
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask

from contactpoint.box import box_of
from contactpoint.engine_queries import Place


@contextmanager
def _closing(app: Flask) -> Iterator[Flask]:
    """The app, and its box closed (store, lock file) when the command is done."""
    try:
        yield app
    finally:
        box_of(app).close()


def _app(config: str | None, data: str, **extra: Any) -> Any:
    from contactpoint.provisioning.cli import _app as app

    return app(config, data, **extra)


def _sample_ticket(app: Any, lang: str, letters: bool = False) -> Any:
    """A realistic ticket of the site's first need in `lang`, as printed (the printer's self-test); with
    `letters`, under the number a line of the language's letters beyond ASCII (hardware.printer.LETTERS)."""
    import dataclasses

    from contactpoint.hardware.printer import LETTERS

    from contactpoint.domain.model import Ticket, TicketState
    from contactpoint.printing import ticket_content

    cp = box_of(app)
    need = cp.site.needs[0]
    now = time.time()
    t = Ticket(
        id="selftest",
        token="SelfTest-" + secrets.token_urlsafe(8),
        day=cp.site.day_of(now),
        need=need.id,
        number=f"{need.prefix}042",
        serial=42,
        lang=lang,
        state=TicketState.ISSUED,
        issued_at=now,
        queue_at=now,
    )
    base = app.config.get("PUBLIC_URL") or "http://contactpoint.local:8080/"
    content = ticket_content(app, t, Place(t, 3, 12 * 60.0), base)  # a sample place: 3 ahead, about 12 min
    return dataclasses.replace(content, letters_line=LETTERS.get(lang, "")) if letters else content


def _lang(lang: str) -> str:
    from contactpoint.i18n import NATIVE_NAMES

    if lang not in NATIVE_NAMES:
        raise click.BadParameter(f"one of {', '.join(NATIVE_NAMES)}", param_hint="--lang")
    return lang


def _qr_notice(settings: Any) -> None:
    """Tell the technician when `qr = "native"` cannot be honoured by the configured profile."""
    from contactpoint.hardware.printer import effective_qr, render_options

    options = render_options(settings)
    if options.qr == "native" and effective_qr(options.profile, "native") != "native":
        click.echo(
            f"note: printer profile {options.profile} has no native QR codes (python-escpos capabilities): "
            'qr = "native" prints the QR code as an image instead; choose the profile of your model if it has them'
        )


@click.group()
def printer() -> None:
    """The ticket printer: self-test and preview."""


@printer.command("test")
@click.option("--config", "config", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option(
    "--lang",
    default=None,
    help="Language of the test ticket (default: the site's); the ticket also prints the language's special letters.",
)
def printer_test(config: str | None, lang: str | None) -> None:
    """Print a test ticket on the configured printer and report its status."""
    import tempfile

    from contactpoint.hardware.printer import PrinterError, render_options, ticket_print_mode

    with tempfile.TemporaryDirectory() as tmp, _closing(_app(config, tmp, PRINTER_POLL_INTERVAL=0)) as app:
        cp = box_of(app)  # never started: this command talks to the printer itself
        lang = _lang(lang) if lang else cp.site.default_language
        _qr_notice(cp.site_config.printer)
        status = cp.printer.status()
        click.echo(f"status before: {status.key}")
        ticket = _sample_ticket(app, lang, letters=True)
        try:
            cp.printer.print_ticket(ticket)
        except PrinterError as e:
            raise click.ClickException(
                f"printing failed: {e.key} ({e.detail})" if e.detail else f"printing failed: {e.key}"
            ) from None
        status = cp.printer.status()
        click.echo(f"printed a test ticket ({lang}); status after: {status.key}")
        mode, codepage = ticket_print_mode(ticket, render_options(cp.site_config.printer))
        how = (
            f"as text, code page {codepage}"
            if mode == "text" and codepage
            else ("as text" if mode == "text" else "as an image")
        )
        if ticket.letters_line:
            click.echo(f"printed {how}; under the number the paper must show: {ticket.letters_line}")
            click.echo(
                f'if it shows other signs, set text_mode = {{ {lang} = "image" }} in [printer] (docs/printers.md)'
                if mode == "text"
                else f'(an image: the printer draws no letters itself; text_mode = {{ {lang} = "text" }} tries text)'
            )
        else:
            click.echo(f"printed {how} ({lang} has no letters beyond ASCII)")
        if not status.ok:
            sys.exit(1)


@printer.command("preview")
@click.option("--lang", required=True, help="Language of the ticket, e.g. fr, nl, ar.")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="PNG file to write.")
@click.option(
    "--escpos",
    "escpos_out",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the exact ESC/POS bytes to this file.",
)
@click.option("--config", "config", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--width", "paper_width_mm", type=click.Choice(["80", "58"]), default=None, help="Paper width in mm.")
def printer_preview(
    lang: str, out: str, escpos_out: str | None, config: str | None, paper_width_mm: str | None
) -> None:
    """Render the ticket as a PNG (and the bytes the printer would get), without a printer."""
    import tempfile

    from contactpoint.hardware.printer import FontMissingError, render_options, render_ticket_png, ticket_escpos_bytes

    with tempfile.TemporaryDirectory() as tmp, _closing(_app(config, tmp, PRINTER_POLL_INTERVAL=0)) as app:
        cp = box_of(app)  # never started: this command talks to the printer itself
        _lang(lang)
        options = render_options(cp.site_config.printer)  # as the configured printer renders (checked at start)
        _qr_notice(cp.site_config.printer)
        if paper_width_mm:
            options = options.replace(paper_width_mm=int(paper_width_mm))
        content = _sample_ticket(app, lang)
        try:
            render_ticket_png(content, out, options)  # drawn from the bytes below: what the paper shows
            data = ticket_escpos_bytes(content, options)
        except FontMissingError as e:
            raise click.ClickException(
                f"cannot draw the ticket: {e} (the box needs: sudo apt install fonts-dejavu-core fonts-noto-core)"
            ) from None
        click.echo(f"wrote {out}")
        if escpos_out:
            Path(escpos_out).write_bytes(data)
            click.echo(f"wrote {escpos_out} ({len(data)} bytes)")

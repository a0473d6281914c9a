"""The printer service in the app: status polling, failed jobs, agents' reprint and referral slip endpoints."""

from __future__ import annotations

import html as html_lib
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from contactpoint.hardware.printer import FakePrinter, decode_escpos

from tests.conftest import AuthActions, require_tool, wait_for


@pytest.fixture
def polled(tmp_path: Path, clock: Any) -> Iterator[tuple[Any, FakePrinter]]:
    """An app whose printer service polls the fake printer every 50 ms."""
    from contactpoint import create_app

    printer = FakePrinter()
    app = create_app(
        {"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "test", "PRINTER_POLL_INTERVAL": 0.05},
        printer=printer,
        clock=clock,
    )
    cp = app.extensions["contactpoint"].start()
    yield app, printer
    cp.close()


def printer_events(app: Any) -> list[dict[str, Any]]:
    return [e.data for e in app.extensions["contactpoint"].store.events() if e.type == "printer_status"]


def test_polling_logs_only_changes_and_never_reprints_by_itself(polled: tuple[Any, FakePrinter]) -> None:
    app, printer = polled
    service = app.extensions["contactpoint"].printing
    wait_for(lambda: service.polls >= 3)
    assert printer_events(app) == []  # ok, ok, ok: nothing happened
    printer.fail_with = "printer_paper_out"
    wait_for(lambda: printer_events(app))
    polls = service.polls
    wait_for(lambda: service.polls >= polls + 3)
    assert printer_events(app) == [{"key": "printer_paper_out", "ticket": None}]
    assert app.extensions["contactpoint"].engine.printer_key() == "printer_paper_out"

    # a ticket taken while the paper is out: committed, not printed, and the event names it
    client = app.test_client()
    r = client.post("/kiosk/api/tickets", json={"need": "moving", "lang": "fr"})
    assert r.status_code == 201
    tid = r.get_json()["ticket"]["id"]
    wait_for(lambda: len(printer_events(app)) == 2)
    assert printer_events(app)[1] == {"key": "printer_paper_out", "ticket": tid}
    assert printer.jobs == []

    printer.fail_with = None  # paper put back
    wait_for(lambda: len(printer_events(app)) == 3)
    assert printer_events(app)[2] == {"key": "printer_ok", "ticket": None}
    polls = service.polls
    wait_for(lambda: service.polls >= polls + 3)
    assert printer.jobs == []  # the failed ticket is not printed by surprise when the printer returns
    assert len(printer_events(app)) == 3


def test_paper_low_is_reported_but_still_prints(polled: tuple[Any, FakePrinter]) -> None:
    app, printer = polled
    printer.fail_with = "printer_paper_low"
    wait_for(lambda: printer_events(app))
    assert printer_events(app) == [{"key": "printer_paper_low", "ticket": None}]
    app.test_client().post("/kiosk/api/tickets", json={"need": "moving", "lang": "nl"})
    wait_for(lambda: printer.jobs)
    assert "A001" in decode_escpos(printer.jobs[0]).text
    service = app.extensions["contactpoint"].printing
    polls = service.polls
    wait_for(lambda: service.polls >= polls + 3)
    assert printer_events(app) == [{"key": "printer_paper_low", "ticket": None}]  # no ok/low flapping per ticket


@pytest.mark.parametrize(
    ("key", "down"), [("printer_ok", False), ("printer_paper_low", False), ("printer_paper_out", True)]
)
def test_the_ticket_page_is_served_with_one_alert_and_its_final_text(
    polled: tuple[Any, FakePrinter], key: str, down: bool
) -> None:
    """A printer already down: the served page says so whole, before any script runs; paper low still prints."""
    app, printer = polled
    printer.fail_with = None if key == "printer_ok" else key
    service = app.extensions["contactpoint"].printing
    polls = service.polls
    wait_for(lambda: service.polls >= polls + 2)  # the box knows the printer's state before the visitor comes
    assert app.extensions["contactpoint"].engine.printer_key() == key
    client = app.test_client()
    r = client.post("/kiosk/api/tickets", json={"need": "moving", "lang": "fr"})
    html = client.get(f"/kiosk/fr/ticket/{r.get_json()['token']}").get_data(as_text=True)
    assert html.count('id="printer-alert"') == 1
    alert = re.search(r'<p class="banner warn" id="printer-alert" role="alert"( hidden)?>([^<]*)</p>', html)
    assert alert is not None
    message = "L'imprimante ne fonctionne pas"
    if down:
        assert alert.group(1) is None and html_lib.unescape(alert.group(2)).startswith(message)
        assert 'class="k-ticket k-printer-down"' in html
    else:
        assert alert.group(1) == " hidden" and alert.group(2) == ""
        assert "k-printer-down" not in html.split('id="printer-live"')[0]


def test_a_driver_bug_in_status_is_an_error_not_a_dead_worker(polled: tuple[Any, FakePrinter]) -> None:
    app, printer = polled

    def broken() -> Any:
        raise RuntimeError("driver bug")

    printer.status = broken  # type: ignore[method-assign]
    wait_for(lambda: printer_events(app))
    assert printer_events(app)[0]["key"] == "printer_error"
    assert app.extensions["contactpoint"].printing.thread.is_alive()


def test_the_status_reaches_the_kiosk_and_the_counter_pages(polled: tuple[Any, FakePrinter]) -> None:
    app, printer = polled
    sio = app.extensions["contactpoint"].socketio
    kiosk = sio.test_client(app, namespace="/kiosk")
    printer.fail_with = "printer_cover_open"
    got: list[Any] = []

    def seen() -> bool:
        got.extend(kiosk.get_received("/kiosk"))
        return any(ev["type"] == "printer_status" for m in got for b in m["args"] for ev in b["events"])

    wait_for(seen)
    ev = next(ev for m in got for b in m["args"] for ev in b["events"] if ev["type"] == "printer_status")
    assert ev["data"] == {"key": "printer_cover_open", "ticket": None}
    assert app.test_client().get("/api/state").get_json()["printer"] == "printer_cover_open"
    kiosk.disconnect("/kiosk")


def test_no_polling_when_the_interval_is_zero(tmp_path: Path, clock: Any) -> None:
    from contactpoint import create_app

    printer = FakePrinter(fail_with="printer_offline")
    app = create_app(
        {"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "t", "PRINTER_POLL_INTERVAL": 0},
        printer=printer,
        clock=clock,
    )
    cp = app.extensions["contactpoint"].start()
    time.sleep(0.2)
    assert cp.printing.polls == 0 and printer_events(app) == []
    cp.close()


# -- agents' endpoints (the `app` fixture: fake printer, default 5 s polling) --------------------------------


def issue(app: Any, need: str = "housing", lang: str = "nl") -> Any:
    return app.extensions["contactpoint"].engine.issue(need=need, lang=lang, check_open=False)


def post(agent: AuthActions, path: str, **body: Any) -> Any:
    return agent.client.post(path, json=body, headers={"X-CSRF-Token": agent.csrf})


def test_print_endpoints_need_a_logged_in_agent_and_the_csrf_header(app: Any, client: Any, agent: AuthActions) -> None:
    t = issue(app)
    r = client.post("/api/print/reprint", json={"ticket": t.id})
    assert r.status_code == 401 and r.get_json()["error"] == "login_required"
    agent.login()
    r = client.post("/api/print/reprint", json={"ticket": t.id})  # no CSRF header
    assert r.status_code == 403
    r = client.post("/api/print/reprint", json={"ticket": t.id}, headers={"X-CSRF-Token": "wrong"})
    assert r.status_code == 403


def test_reprint_goes_through_the_worker(app: Any, agent: AuthActions, printer: FakePrinter) -> None:
    t = issue(app)
    agent.login()
    r = post(agent, "/api/print/reprint", ticket=t.id)
    assert r.status_code == 202 and r.get_json() == {"queued": True, "ticket": t.id, "number": "D001"}
    wait_for(lambda: printer.jobs)
    decoded = decode_escpos(printer.jobs[0])
    assert "D001" in decoded.text and decoded.images == 1  # the number, and the QR code as an image


def test_reprint_refusals(app: Any, agent: AuthActions, clock: Any) -> None:
    yesterday = issue(app)
    clock.advance(24 * 3600)  # yesterday's ticket, before the ticker closed the day
    agent.login()
    assert post(agent, "/api/print/reprint", ticket="nope").get_json()["error"] == "unknown_ticket"
    assert post(agent, "/api/print/reprint", ticket="nope").status_code == 404
    assert post(agent, "/api/print/reprint", ticket=3).status_code == 400
    r = agent.client.post("/api/print/reprint", data="x", headers={"X-CSRF-Token": agent.csrf})
    assert r.status_code == 400
    r = post(agent, "/api/print/reprint", ticket=yesterday.id)
    assert r.status_code == 404 and r.get_json()["error"] == "unknown_ticket"


def test_reprint_of_a_closed_visit_is_refused(app: Any, agent: AuthActions, printer: FakePrinter) -> None:
    agent.login()
    agent.cmd("open", counter="1", needs=["housing"])
    t = issue(app)
    agent.cmd("call-next")
    agent.cmd("finish", outcome="resolved")
    r = post(agent, "/api/print/reprint", ticket=t.id)
    assert r.status_code == 409 and r.get_json()["error"] == "ticket_closed"


def test_referral_slip_in_the_visitors_language(app: Any, agent: AuthActions, printer: FakePrinter) -> None:
    t = issue(app, lang="nl")
    agent.login()
    r = post(agent, "/api/print/slip", ticket=t.id, organisation="cpas-saint-gilles")
    assert r.status_code == 202 and r.get_json()["organisation"] == "cpas-saint-gilles"
    wait_for(lambda: printer.jobs)
    text = " ".join(decode_escpos(printer.jobs[0]).text.split())  # lines wrap on paper
    assert "CPAS de Saint-Gilles / OCMW Sint-Gillis" in text
    assert "Rue Fernand Bernier 40, 1060 Saint-Gilles" in text
    assert "Maandag tot vrijdag, 8.30 – 12 uur".replace("–", "-") in text.replace("–", "-")
    assert "02 600 54 11" in text and "cpas-saint-gilles.brussels" in text and "D001" in text


def test_slip_refusals(app: Any, agent: AuthActions) -> None:
    t = issue(app)
    agent.login()
    r = post(agent, "/api/print/slip", ticket=t.id, organisation="nowhere")
    assert r.status_code == 400 and r.get_json()["error"] == "unknown_organisation"
    assert post(agent, "/api/print/slip", ticket=t.id).status_code == 400
    assert post(agent, "/api/print/slip", ticket="nope", organisation="housing-info").status_code == 404


def test_a_failed_slip_is_a_printer_status_naming_the_ticket(
    app: Any, agent: AuthActions, printer: FakePrinter
) -> None:
    t = issue(app)
    printer.fail_with = "printer_offline"
    agent.login()
    assert post(agent, "/api/print/slip", ticket=t.id, organisation="housing-info").status_code == 202
    wait_for(lambda: printer_events(app))
    assert printer_events(app) == [{"key": "printer_offline", "ticket": t.id}]


def test_slip_content_translates_labels_and_falls_back_for_hours(app: Any) -> None:
    from contactpoint.printing import slip_content

    cp = app.extensions["contactpoint"]
    t = issue(app, lang="en")
    slip = slip_content(app, t, cp.site.organisation("housing-info"))
    assert slip.title == "Where to go next" and slip.org_name == "Maison du Logement / Woonhuis"
    assert "Opening hours: Tuesday and Thursday, 9 am – 4 pm" in slip.lines
    assert "Phone: 02 537 07 02" in slip.lines and not slip.rtl
    fr = slip_content(app, issue(app, lang="fr"), cp.site.organisation("cpas-saint-gilles"))
    assert any("Lundi au vendredi, 8 h 30 – 12 h" in line for line in fr.lines)


# -- the technician's preview: the QR code of the PNG leads to the phone page ---------------------------------


@pytest.mark.parametrize("lang", ["fr", "nl", "en", "tr", "ro", "pl", "ar"])
def test_cli_preview_png_qr_decodes_to_a_tracking_url(lang: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    from PIL import Image

    require_tool("zbarimg", "zbar-tools")
    root = Path(__file__).resolve().parent.parent
    png, raw = tmp_path / f"{lang}.png", tmp_path / f"{lang}.bin"
    args = ["printer", "preview", "--lang", lang, "--out", str(png), "--escpos", str(raw)]
    done = subprocess.run(
        [sys.executable, "-m", "contactpoint.provisioning.cli", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    with Image.open(png) as img:
        assert img.width == 576 and img.height > 600
    scan = subprocess.run(["zbarimg", "-q", "--raw", str(png)], capture_output=True, text=True, timeout=30)
    urls = scan.stdout.split()
    assert len(urls) == 1 and re.fullmatch(r"https?://[^/]+/t/[A-Za-z0-9_-]{16,64}", urls[0]), scan.stdout
    decoded = decode_escpos(raw.read_bytes())
    assert decoded.cut
    if lang in ("ar", "ro"):
        assert decoded.images >= 1  # scripts no code page holds print as images
    # the sample site's printer draws the QR code itself (qr = "native"): the bytes carry the same URL
    assert [str(p) for p in decoded.qr_payloads] == urls


@pytest.mark.parametrize(("mode", "code", "said"), [("ok", 0, "status after: printer_ok"), ("paper_out", 1, "")])
def test_cli_printer_test_prints_and_reports_the_real_status(mode: str, code: int, said: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    from contactpoint.hardware.printer.tcp_sim import VirtualNetworkPrinter

    from contactpoint.config import SAMPLE_SITE

    with VirtualNetworkPrinter(mode=mode) as sim:
        table = f'[printer]\ntype = "network"\nhost = "127.0.0.1"\nport = {sim.port}\n\n'
        site = tmp_path / "site.toml"
        site.write_text(re.sub(r"(?ms)^\[printer\]\n.*?(?=^\[)", table, Path(SAMPLE_SITE).read_text(encoding="utf-8")))
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "contactpoint.provisioning.cli",
                "printer",
                "test",
                "--config",
                str(site),
                "--lang",
                "nl",
            ],
            cwd=Path(__file__).resolve().parent.parent,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == code, done.stdout + done.stderr
        assert f"status before: printer_{mode}" in done.stdout and said in done.stdout
        printed = "A042" in decode_escpos(sim.received).text
        assert printed == (mode == "ok")
        if mode != "ok":
            assert "printing failed: printer_paper_out" in done.stderr


TURKISH_LETTERS = "çğıöşüâîû ÇĞİÖŞÜÂÎÛ"


@pytest.mark.parametrize(
    ("printer", "mode"),
    [
        ('profile = "TM-T88V"', "text"),  # CP857 in its table
        ('profile = "TM-T88IV"', "image"),  # no CP857, no CP1254
        ('text_mode = { tr = "image" }', "image"),  # the default profile lists CP857; the printer garbles it
    ],
)
def test_cli_printer_test_prints_the_languages_letters(
    printer: str, mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`printer test --lang tr` prints Turkish's own letters under the number, as Turkish tickets print on this
    printer: a technician sees at once whether the paper shows them (text) or is sure it does (an image)."""
    from click.testing import CliRunner
    from contactpoint.provisioning.cli import main

    from contactpoint.config import SAMPLE_SITE

    dev = tmp_path / "lp0"
    dev.touch()
    table = f'[printer]\ntype = "file"\ndevice = "{dev}"\n{printer}\n\n'
    site = tmp_path / "site.toml"
    site.write_text(re.sub(r"(?ms)^\[printer\]\n.*?(?=^\[)", table, Path(SAMPLE_SITE).read_text(encoding="utf-8")))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["printer", "test", "--config", str(site), "--lang", "tr"])
    assert result.exit_code == 0, result.output
    profile = printer.split('"')[1] if printer.startswith("profile") else "default"
    decoded = decode_escpos(dev.read_bytes(), profile=profile)
    assert decoded.cut and "status after: printer_ok" in result.output
    assert f"the paper must show: {TURKISH_LETTERS}" in result.output
    if mode == "text":
        assert decoded.codepages == ["CP857"] and "printed as text, code page CP857" in result.output
        number = decoded.transcript.index("[6x6 bold] A042")
        assert decoded.transcript[number + 1] == f"[1x1 bold] {TURKISH_LETTERS}"  # under the number
    else:
        assert decoded.codepages == [] and decoded.text.strip() == "" and decoded.images >= 1
        assert "printed as an image" in result.output
    fr = CliRunner().invoke(main, ["printer", "test", "--config", str(site), "--lang", "fr"])
    assert fr.exit_code == 0 and "printed as text, code page CP850" in fr.output  # French stays text everywhere
    bad = CliRunner().invoke(main, ["printer", "test", "--config", str(site), "--lang", "tk"])
    assert bad.exit_code == 2 and "one of fr, nl, en" in bad.output


def test_english_tickets_and_slips_print_day_first_24_hour_dates(app: Any, clock: Any) -> None:
    """2 December, 16:37 in Brussels: "12/2/26, 4:37 PM" (Babel's American "en") reads as 12 February here."""
    from datetime import datetime

    from contactpoint.printing import slip_content, ticket_content
    from tests.conftest import BRUSSELS

    cp = app.extensions["contactpoint"]
    clock.set(datetime(2026, 12, 2, 16, 37, tzinfo=BRUSSELS))
    t = issue(app, lang="en")
    content = ticket_content(app, t, cp.engine.ticket_view(t), "http://box.local/")
    assert content.issued_label == "02/12/2026, 16:37"
    slip = slip_content(app, t, cp.site.organisation("housing-info"))
    assert any("02/12/2026, 16:37" in line for line in slip.lines), slip.lines
    fr = issue(app, lang="fr")
    assert ticket_content(app, fr, cp.engine.ticket_view(fr), "http://box.local/").issued_label == "02/12/2026 16:37"


#: 7 December 2026, 16:37 in Brussels, as each language's tickets and slips print it: day first, 24-hour
PRINTED_DATES = {
    "fr": "07/12/2026 16:37",
    "nl": "07-12-2026, 16:37",
    "en": "07/12/2026, 16:37",
    "ar": "\u206607/12/2026 16:37\u2069",  # isolated left to right (LRI … PDI) in the right-to-left ticket
    "tr": "7.12.2026 16:37",
    "es": "7/12/26, 16:37",
    "ro": "07.12.2026, 16:37",
    "pl": "7.12.2026, 16:37",
    "pt": "07/12/2026 16:37",
    "de": "07.12.26, 16:37",
}
_ISOLATES_AND_MARKS = dict.fromkeys(map(ord, "\u2066\u2067\u2068\u2069\u200e\u200f\u061c"))


def _visual(text: str, rtl: bool) -> str:
    """`text` in the order the paper shows it, left to right: GNU FriBidi's Unicode bidi algorithm (libfribidi0,
    the library libraqm lays Pillow's lines out with), the paragraph right to left for an RTL language."""
    import ctypes
    import ctypes.util

    lib = ctypes.CDLL(ctypes.util.find_library("fribidi") or "libfribidi.so.0")
    n = len(text)
    logical, visual = (ctypes.c_uint32 * n)(*map(ord, text)), (ctypes.c_uint32 * n)()
    base = ctypes.c_uint32(0x111 if rtl else 0x110)  # FRIBIDI_PAR_RTL, FRIBIDI_PAR_LTR
    assert lib.fribidi_log2vis(logical, n, ctypes.byref(base), visual, None, None, None)
    return "".join(map(chr, visual)).translate(_ISOLATES_AND_MARKS)


@pytest.mark.parametrize("lang", list(PRINTED_DATES))
def test_tickets_and_slips_print_the_date_day_first_and_24_hour(app: Any, clock: Any, lang: str) -> None:
    """Babel's Arabic short format, "7\u200f/12\u200f/2026، 4:37 م", is 12-hour, and its right-to-left marks
    make the paper read it year first: "2026/12/7، 4:37 م"."""
    from datetime import datetime

    from contactpoint.i18n import RTL
    from contactpoint.printing import slip_content, ticket_content
    from tests.conftest import BRUSSELS

    cp = app.extensions["contactpoint"]
    clock.set(datetime(2026, 12, 7, 16, 37, tzinfo=BRUSSELS))
    t = issue(app, lang=lang)
    label = ticket_content(app, t, cp.engine.ticket_view(t), "http://box.local/").issued_label
    assert label == PRINTED_DATES[lang]
    shown = _visual(label, lang in RTL)
    assert re.findall(r"\d+", shown) in ([d, "12", y, "16", "37"] for d in ("7", "07") for y in ("2026", "26"))
    slip = slip_content(app, t, cp.site.organisation("cpas-saint-gilles"))
    line = next(line for line in slip.lines if label in line)
    assert shown in _visual(line, lang in RTL)  # within the slip's sentence too


# -- under gevent, drawing an image ticket leaves the event loop ---------------------------------------------
GEVENT_RENDER = """
from gevent import monkey
monkey.patch_all()
import sys
sys.path.insert(0, sys.argv[1])
from contactpoint.concurrency import blocking
from contactpoint.hardware.printer import FakePrinter, render
from tests.test_printer import TICKETS

ident = monkey.get_original("threading", "get_ident")
drawn_in = []
draw = render.render_blocks_image


def spy(*a, **kw):
    drawn_in.append(ident())
    return draw(*a, **kw)


render.render_blocks_image = spy
printer = FakePrinter(qr="native")
printer.offload = blocking  # as PrinterService sets it for a printer that prints on the loop
printer.print_ticket(TICKETS["ar"])
arabic = len(drawn_in)
printer.print_ticket(TICKETS["fr"])  # text + native QR: ~0.2 ms, stays on the loop, draws nothing
print(arabic > 0, len(drawn_in) == arabic, all(t != ident() for t in drawn_in), len(printer.jobs))
"""


def test_under_gevent_an_image_ticket_is_drawn_in_the_thread_pool() -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", GEVENT_RENDER, str(root)], cwd=root, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True"] * 3 + ["2"]  # the Arabic ticket drawn, none of it on the loop's thread


GEVENT_FAILING_FILE_PRINTER = """
from gevent import monkey
monkey.patch_all()
import logging
import sys
import tempfile
import time
sys.path.insert(0, sys.argv[1])
logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s")
from contactpoint import create_app
from contactpoint.printing import PrintJob
from contactpoint.hardware.printer import make_printer
from tests.conftest import Clock

data = tempfile.mkdtemp()
printer = make_printer({"type": "file", "device": data, "timeout": 0.3})  # a folder: EISDIR at every job
app = create_app({"TESTING": True, "DATA_DIR": data, "SECRET_KEY": "t", "PRINTER_POLL_INTERVAL": 0}, printer=printer,
                 clock=Clock())
cp = app.extensions["contactpoint"].start()
for _ in range(2):
    t = cp.engine.issue(need="housing", lang="fr", check_open=False)
    cp.printing.submit(PrintJob(t.id, "http://box.local/"))
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    if sum(e.type == "printer_status" for e in cp.store.events()) >= 2:
        break
    time.sleep(0.05)
cp.printing.stop(timeout=5)
print(sum(e.type == "printer_status" and e.data["ticket"] is not None for e in cp.store.events()))
"""


def test_under_gevent_a_failing_file_printer_logs_one_line_per_ticket() -> None:
    """USB, serial and file printers print in gevent's thread pool, whose hub printed every job's exception with its
    whole traceback (30 lines a ticket on a printer that is unplugged all morning) besides the driver's own line."""
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    done = subprocess.run(
        [sys.executable, "-c", GEVENT_FAILING_FILE_PRINTER, str(root)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2"]  # both failed tickets recorded, each naming its ticket
    failures = [line for line in done.stderr.splitlines() if "printer print failed (printer_error)" in line]
    assert len(failures) == 2, done.stderr
    assert "IsADirectoryError" in failures[0]  # the one line says what went wrong
    assert "Traceback" not in done.stderr and "failed with PrinterError" not in done.stderr, done.stderr


def test_the_service_offloads_drawing_only_for_printers_on_the_loop(app: Any, printer: FakePrinter) -> None:
    from contactpoint.hardware.printer import make_printer

    from contactpoint.concurrency import blocking

    assert printer.offload is blocking  # FakePrinter / NetworkPrinter print on the loop
    usb = make_printer({"type": "usb", "vendor_id": 1, "product_id": 1})
    assert usb.offload is not blocking  # USB prints in the pool already: it draws where it is


# -- the QR code's host when the kiosk browser runs on the box itself ----------------------------------------


@pytest.fixture
def lan(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The box's LAN address, as printing.lan_address finds it (set per test), and a fresh warn-once flag."""
    from contactpoint import printing

    found: dict[str, str | None] = {"address": "192.168.1.23"}
    monkeypatch.setattr(printing, "_find_lan_address", lambda: found["address"])
    monkeypatch.setattr(printing, "_lan", {"address": None, "checked": None, "warned": False})
    return found


def _printed_qr(app: Any, client: Any, printer: FakePrinter, base_url: str) -> tuple[str, str]:
    printer.options = printer.options.replace(qr="native")  # read the URL from the bytes, no scan needed
    r = client.post("/kiosk/api/tickets", json={"need": "housing", "lang": "fr"}, base_url=base_url)
    assert r.status_code in (200, 201), r.get_data(as_text=True)
    token = r.get_json()["token"]
    wait_for(lambda: printer.jobs)
    page = client.get(f"/kiosk/fr/ticket/{token}", base_url=base_url).get_data(as_text=True)
    (printed,) = decode_escpos(printer.jobs[-1]).qr_payloads
    return printed, page


def test_a_kiosk_on_the_box_prints_the_lan_address(app: Any, client: Any, printer: FakePrinter, lan: Any) -> None:
    printed, page = _printed_qr(app, client, printer, "http://127.0.0.1:8080")
    assert re.fullmatch(r"http://192\.168\.1\.23:8080/t/[\w-]+", printed), printed
    from contactpoint.kiosk import qr_svg

    assert str(qr_svg(printed)) in page  # the on-screen QR code encodes the same URL


@pytest.mark.parametrize("host", ["http://localhost:8080", "http://[::1]:8080", "http://127.0.1.1:8080"])
def test_every_loopback_host_is_replaced(app: Any, host: str, lan: Any) -> None:
    from contactpoint.printing import public_url

    with app.test_request_context("/kiosk/", base_url=host):
        assert public_url() == "http://192.168.1.23:8080/"


def test_public_url_wins_and_other_hosts_are_kept(app: Any, lan: Any) -> None:
    from contactpoint.printing import public_url

    with app.test_request_context("/kiosk/", base_url="http://box.lan:8080"):
        assert public_url() == "http://box.lan:8080/"
    app.config["PUBLIC_URL"] = "http://contactpoint.local:8080/"
    with app.test_request_context("/kiosk/", base_url="http://127.0.0.1:8080"):
        assert public_url() == "http://contactpoint.local:8080/"


def test_no_network_keeps_loopback_and_warns_once(app: Any, lan: Any, caplog: pytest.LogCaptureFixture) -> None:
    from contactpoint.printing import public_url

    lan["address"] = None
    for _ in range(3):
        with app.test_request_context("/kiosk/", base_url="http://127.0.0.1:8080"):
            assert public_url() == "http://127.0.0.1:8080/"
    warnings = [r for r in caplog.records if "CONTACTPOINT_PUBLIC_URL" in r.getMessage()]
    assert len(warnings) == 1


def test_the_lan_address_lookup_finds_no_loopback() -> None:
    from contactpoint.printing import _find_lan_address

    found = _find_lan_address()  # this machine's address, or None without a network
    assert found is None or not found.startswith("127.")


@pytest.mark.parametrize("lang", ["ar", "fr"])
def test_cli_preview_without_fonts_names_the_debian_packages(
    lang: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner
    from contactpoint.hardware.printer import fonts, paper
    from contactpoint.provisioning.cli import main

    monkeypatch.setattr(fonts, "FONT_DIRS", ())  # a box without fonts-dejavu-core and fonts-noto-core
    monkeypatch.delenv("CONTACTPOINT_FONT_DIR", raising=False)
    paper._glyph.cache_clear()
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "t.png"
    result = CliRunner().invoke(main, ["printer", "preview", "--lang", lang, "--out", str(out)])
    paper._glyph.cache_clear()
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback
    assert "fonts-dejavu-core" in result.output and "apt install" in result.output
    assert not out.exists()


def test_cli_says_when_the_profile_cannot_print_native_qr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner
    from contactpoint.provisioning.cli import main

    from contactpoint.config import SAMPLE_SITE

    table = '[printer]\ntype = "fake"\nprofile = "POS-5890"\npaper_width_mm = 58\nqr = "native"\n\n'
    site = tmp_path / "site.toml"
    site.write_text(re.sub(r"(?ms)^\[printer\]\n.*?(?=^\[)", table, Path(SAMPLE_SITE).read_text(encoding="utf-8")))
    monkeypatch.chdir(tmp_path)
    for args in (["test"], ["preview", "--lang", "fr", "--out", str(tmp_path / "t.png")]):
        result = CliRunner().invoke(main, ["printer", *args, "--config", str(site)])
        assert result.exit_code == 0, result.output
        assert "profile POS-5890 has no native QR codes" in result.output


def _shows(line: str, part: str) -> bool:
    """Whether Pillow, drawing `line` right to left as the slip does, shows `part` drawn left to right."""
    from contactpoint.hardware.printer.render import _font, _pick_font
    from PIL import Image, ImageChops, ImageDraw

    path = _pick_font(line, False)

    def draw(text: str, direction: str) -> Image.Image:
        im = Image.new("L", (760, 60), 255)
        ImageDraw.Draw(im).text((10, 10), text, font=_font(path, 26), fill=0, direction=direction, language="ar")
        return im.point(lambda v: 0 if v < 128 else 255)

    big, small = draw(line, "rtl"), draw(part, "ltr")
    small = small.crop(ImageChops.invert(small).getbbox())
    return any(
        ImageChops.difference(big.crop((x, y, x + small.width, y + small.height)), small).getbbox() is None
        for x in range(big.width - small.width)
        for y in range(big.height - small.height)
    )


def test_arabic_slip_reads_numbers_and_urls_left_to_right(app: Any) -> None:
    """Unisolated, "الهاتف: 02 600 54 11" came out as "11 54 600 02 :الهاتف" (each group right to left)."""
    from contactpoint.printing import slip_content

    cp = app.extensions["contactpoint"]
    t = issue(app, lang="ar")
    slip = slip_content(app, t, cp.site.organisation("cpas-saint-gilles"))
    phone = next(line for line in slip.lines if "02 600 54 11" in line)
    assert "\u206602 600 54 11\u2069" in phone  # LRI … PDI
    assert _shows(phone, "02 600 54 11") and not _shows(phone, "11 54 600 02")
    assert any("\u2066cpas-saint-gilles.brussels\u2069" in line for line in slip.lines)
    assert any(f"\u2066{t.number}\u2069" in line for line in slip.lines)
    latin = slip_content(app, issue(app, lang="fr"), cp.site.organisation("cpas-saint-gilles"))
    assert not any("\u2066" in line for line in latin.lines)  # nothing to isolate on a left-to-right slip

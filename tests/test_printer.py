"""Ticket printer: golden tickets per language, PNG snapshots, QR scans, the virtual network printer.

CONTACTPOINT_UPDATE_GOLDEN=1 rewrites the files under tests/golden/printer/ (look at the PNGs before committing:
the snapshot check is exact, dot for dot).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from contactpoint.hardware.printer import (
    FakePrinter,
    PrinterError,
    PrinterStatus,
    SlipContent,
    TicketContent,
    TicketPrinter,
    decode_escpos,
    make_printer,
    paper_image,
    render_ticket_image,
    render_ticket_png,
    slip_escpos_bytes,
    ticket_escpos_bytes,
    ticket_mode,
)
from contactpoint.hardware.printer.decode import IncompleteCommand, UnknownCommand, iter_commands
from contactpoint.hardware.printer.tcp_sim import VirtualNetworkPrinter
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageChops, features

from tests.conftest import require_tool

GOLDEN = Path(__file__).parent / "golden" / "printer"
UPDATE = os.environ.get("CONTACTPOINT_UPDATE_GOLDEN") == "1"
URL = "http://box.local:8080/t/Zx9kQ2mW7pLr4TbNc8Vd"
ISSUED = "25/11/2026 09:14"

TICKETS: dict[str, TicketContent] = {
    "fr": TicketContent(
        "fr",
        False,
        "Point de contact Anneessens",
        "Logement",
        "A042",
        ISSUED,
        "3 personnes avant vous",
        "Attente estimée\u00a0: environ 12\u00a0min",
        "Un agent appellera votre numéro à l’écran. Gardez ce ticket.",
        URL,
        "Suivez votre tour sur votre téléphone",
    ),
    "nl": TicketContent(
        "nl",
        False,
        "Contactpunt Anneessens",
        "Huisvesting",
        "A042",
        ISSUED,
        "3 personen vóór u",
        "Geschatte wachttijd: ongeveer 12 min",
        "Een medewerker roept uw nummer af op het scherm. Bewaar dit ticket.",
        URL,
        "Volg uw beurt op uw telefoon",
    ),
    "en": TicketContent(
        "en",
        False,
        "Anneessens contact point",
        "Housing",
        "A042",
        ISSUED,
        "3 people before you",
        "Estimated wait: about 12 min",
        "An agent will call your number on the screen. Keep this ticket.",
        URL,
        "Follow your turn on your phone",
    ),
    "tr": TicketContent(
        "tr",
        False,
        "Anneessens İletişim Noktası",
        "Konut",
        "A042",
        ISSUED,
        "Sizden önce 3 kişi var",
        "Tahmini bekleme: yaklaşık 12 dk",
        "Görevli numaranızı ekranda çağıracak. Doğru gişeye gidin ve bu bileti saklayın.",
        URL,
        "Sıranızı telefonunuzdan takip edin",
    ),
    "pl": TicketContent(
        "pl",
        False,
        "Punkt kontaktowy Anneessens",
        "Mieszkanie",
        "A042",
        ISSUED,
        "Przed Tobą są 3 osoby",
        "Szacowany czas oczekiwania: około 12 min",
        "Zgłoś się do okienka, gdy Twój numer pojawi się na ekranie. Zachowaj ten bilet, żeby nie stracić kolejki.",
        URL,
        "Śledź swoją kolejkę w telefonie",
    ),
    "ro": TicketContent(
        "ro",
        False,
        "Punctul de contact Anneessens",
        "Locuință",
        "A042",
        ISSUED,
        "3 persoane înaintea dumneavoastră",
        "Timp de așteptare estimat: aproximativ 12 min",
        "Un agent vă va chema numărul pe ecran. Păstrați acest bilet.",
        URL,
        "Urmăriți-vă rândul pe telefon",
    ),
    "ar": TicketContent(
        "ar",
        True,
        "نقطة الاتصال أنيسنس",
        "السكن",
        "A042",
        ISSUED,
        "أمامك 3 أشخاص",
        "الانتظار المتوقع: حوالي 12 دقيقة",
        "سينادي موظف رقمك على الشاشة. احتفظ بهذه التذكرة.",
        URL,
        "تابع دورك على هاتفك",
    ),
}
EXPECTED_MODE = {
    "fr": "text",
    "nl": "text",
    "en": "text",
    "tr": "text",
    "pl": "text",
    "ro": "image",
    "ar": "image",
}
EXPECTED_CODEPAGE = {"fr": "CP850", "nl": "CP850", "en": "CP850", "tr": "CP857", "pl": "CP852"}
SNAPSHOTS = [(lang, 80) for lang in TICKETS] + [("fr", 58), ("pl", 58), ("ro", 58), ("ar", 58)]


def _golden_text(name: str, actual: str) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8"), f"{name} differs (CONTACTPOINT_UPDATE_GOLDEN=1 to accept)"


def _flat(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


@pytest.mark.parametrize("lang", list(TICKETS))
def test_printed_bytes_decode_to_golden_text(lang: str) -> None:
    ticket = TICKETS[lang]
    data = ticket_escpos_bytes(ticket)
    decoded = decode_escpos(data)
    assert ticket_mode(ticket) == EXPECTED_MODE[lang]
    assert decoded.cut
    assert data.startswith(b"\x1b@")
    if EXPECTED_MODE[lang] == "text":
        assert decoded.codepages == [EXPECTED_CODEPAGE[lang]]  # one explicit ESC t n
        assert decoded.images == 1  # the QR code
        flat = _flat(decoded.text)
        for s in (
            ticket.site_name,
            ticket.need_label,
            ticket.position_label,
            ticket.issued_label,
            ticket.qr_caption,
        ):
            assert _flat(s.replace("’", "'")) in flat
        assert "[6x6 bold] A042" in decoded.transcript  # the number, very large
    else:
        assert decoded.lines == [] or all(not line for line in decoded.lines)
        assert decoded.images >= 1
    _golden_text(f"{lang}.txt", "\n".join(decoded.transcript) + "\n")


def test_special_letters_survive_the_code_page() -> None:
    text = {lang: decode_escpos(ticket_escpos_bytes(TICKETS[lang])).text for lang in ("tr", "pl", "fr")}
    for ch in "ğşıİöç":
        assert ch in text["tr"], ch
    for ch in "ąęłżŚó":
        assert ch in text["pl"], ch
    assert "Attente estimée\u00a0: environ 12\u00a0min" in text["fr"]


def _pixel_diff(a: Image.Image, b: Image.Image) -> float:
    if a.size != b.size:
        return 1.0
    diff = ImageChops.difference(a.convert("L"), b.convert("L"))
    return 1 - diff.histogram()[0] / (a.width * a.height)


def _row_ranges(rows: list[int]) -> str:
    spans: list[list[int]] = []
    for r in rows:
        if spans and r == spans[-1][1] + 1:
            spans[-1][1] = r
        else:
            spans.append([r, r])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in spans[:12]) + (" …" if len(spans) > 12 else "")


def image_differences(img: Image.Image, ref: Image.Image) -> str:
    """ "" when the two images are identical dot for dot, else which dots differ (for the failure message).

    Exact on purpose: a cedilla ş for a comma-below ș is 0.004 % of a ticket's dots, a wrong position or estimate
    0.015 %. CI runs the same Debian fonts and the same pip-installed Pillow, so rendering is reproducible."""
    if img.size != ref.size:
        return f"size {img.size[0]}x{img.size[1]}, snapshot {ref.size[0]}x{ref.size[1]}"
    diff = ImageChops.difference(img.convert("L"), ref.convert("L")).point(lambda v: 255 if v else 0)
    box = diff.getbbox()
    if box is None:
        return ""
    count = diff.histogram()[255]
    rows = [y for y in range(box[1], box[3]) if diff.crop((0, y, img.width, y + 1)).getbbox()]
    return f"{count} dots differ, in the box x {box[0]}-{box[2] - 1}, y {box[1]}-{box[3] - 1}; rows {_row_ranges(rows)}"


@pytest.mark.parametrize(("lang", "mm"), SNAPSHOTS)
def test_png_preview_matches_snapshot(lang: str, mm: int, tmp_path: Path) -> None:
    out = tmp_path / f"{lang}_{mm}mm.png"
    render_ticket_png(TICKETS[lang], out, paper_width_mm=mm)
    snap = GOLDEN / out.name
    if UPDATE or not snap.exists():
        shutil.copy(out, snap)
    with Image.open(out) as img, Image.open(snap) as ref:
        assert img.width == {80: 576, 58: 384}[mm]
        problem = image_differences(img, ref)
        if problem:
            diff = tmp_path / f"{lang}_{mm}mm-diff.png"
            if img.size == ref.size:
                ImageChops.invert(ImageChops.difference(img.convert("L"), ref.convert("L"))).save(diff)
            pytest.fail(
                f"{snap.name}: {problem}. Look at {out} (the dots that differ: {diff}); if the change is intended, run "
                "CONTACTPOINT_UPDATE_GOLDEN=1 pytest tests/test_printer.py and look at the new PNG before committing"
            )


@pytest.mark.parametrize(
    ("lang", "change"),
    [
        ("ro", {"estimate_label": "Timp de aşteptare estimat: aproximativ 12 min"}),  # ş with cedilla, not ș
        ("ro", {"qr_caption": "Urmăriţi-vă rândul pe telefon"}),  # ţ with cedilla, not ț
        ("fr", {"position_label": "8 personnes avant vous"}),
        ("fr", {"estimate_label": "Attente estimée\u00a0: environ 17\u00a0min"}),
        ("ar", {"position_label": "أمامك 8 أشخاص"}),
    ],
)
def test_snapshot_check_catches_a_single_changed_character(lang: str, change: dict[str, str]) -> None:
    from dataclasses import replace

    def paper(t: TicketContent) -> Image.Image:
        return paper_image(ticket_escpos_bytes(t))

    assert image_differences(paper(TICKETS[lang]), paper(TICKETS[lang])) == ""
    assert image_differences(paper(replace(TICKETS[lang], **change)), paper(TICKETS[lang])) != ""


def test_romanian_image_ticket_draws_comma_below_letters() -> None:
    drawn: list[str] = []
    render_ticket_image(TICKETS["ro"], 576, drawn=drawn)
    text = "\n".join(drawn)
    assert "\u0219" in text and "\u021b" in text  # ș ț (comma below), as Romanian writes them
    assert "\u015f" not in text and "\u0163" not in text  # never ş ţ (cedilla: Turkish letters)
    assert "Timp de așteptare estimat: aproximativ 12 min" in " ".join(drawn)  # wrapped on two lines
    assert "Urmăriți-vă rândul pe telefon" in drawn


def _zbar(path: Path) -> list[str]:
    require_tool("zbarimg", "zbar-tools")
    res = subprocess.run(["zbarimg", "--raw", "-q", str(path)], capture_output=True, text=True, timeout=30)
    return res.stdout.split()


@pytest.mark.parametrize(("lang", "mm"), SNAPSHOTS)
def test_qr_in_png_preview_scans_to_tracking_url(lang: str, mm: int, tmp_path: Path) -> None:
    out = tmp_path / "t.png"
    render_ticket_png(TICKETS[lang], out, paper_width_mm=mm)
    assert _zbar(out) == [URL]


@pytest.mark.parametrize("lang", ["fr", "ar", "ro"])
def test_qr_in_printed_raster_scans(lang: str, tmp_path: Path) -> None:
    paper_image(ticket_escpos_bytes(TICKETS[lang])).save(tmp_path / "printed.png")
    assert _zbar(tmp_path / "printed.png") == [URL]


@pytest.mark.parametrize("mm", [80, 58])
@pytest.mark.parametrize("lang", ["ar", "ro"])
def test_image_ticket_prints_exactly_the_preview(lang: str, mm: int) -> None:
    """The rasters skip white rows and the white right of the ink (a third of the bytes), not a dot more."""
    dots = {80: 576, 58: 384}[mm]
    data = ticket_escpos_bytes(TICKETS[lang], paper_width_mm=mm)
    drawn = render_ticket_image(TICKETS[lang], dots).convert("L")
    printed = paper_image(data, paper_width_mm=mm).convert("L")
    fed = printed.height - drawn.height  # the feed before the cut
    assert 0 <= fed and ImageChops.invert(printed.crop((0, drawn.height, dots, printed.height))).getbbox() is None
    assert image_differences(printed.crop((0, 0, dots, drawn.height)), drawn) == ""
    assert len(data) < 0.7 * (dots // 8) * drawn.height  # every row at full width: the old size


def test_arabic_is_shaped_right_to_left() -> None:
    assert features.check("raqm"), "Pillow cannot load libraqm.so.0: apt install libraqm0"
    img = render_ticket_image(TICKETS["ar"], 576)
    assert img.width == 576 and img.height > 500
    from contactpoint.hardware.printer.render import font_path
    from PIL import ImageDraw, ImageFont

    def draw(word: str, engine: ImageFont.Layout, **kw: str) -> bytes:
        canvas = Image.new("L", (300, 80), 255)
        font = ImageFont.truetype(font_path("arabic", False), 40, layout_engine=engine)
        ImageDraw.Draw(canvas).text((10, 10), word, font=font, fill=0, **kw)
        return canvas.tobytes()

    shaped = draw("السكن", ImageFont.Layout.RAQM, direction="rtl", language="ar")
    assert shaped != draw("السكن", ImageFont.Layout.BASIC)  # joined forms, right to left


def test_bytes_per_ticket_recorded() -> None:
    sizes = {
        f"{lang}_{mode}": len(ticket_escpos_bytes(t, qr=mode))
        for lang, t in TICKETS.items()
        for mode in ("image", "native")
    }
    sizes.update(
        {
            f"{lang}_58mm_{mode}": len(ticket_escpos_bytes(t, qr=mode, paper_width_mm=58))
            for lang, t in TICKETS.items()
            for mode in ("image", "native")
        }
    )
    path = GOLDEN / "bytes_per_ticket.json"
    if UPDATE or not path.exists():
        path.write_text(json.dumps(sizes, indent=2, sort_keys=True) + "\n")
    recorded = json.loads(path.read_text())
    for key, n in sizes.items():
        assert abs(n - recorded[key]) <= 0.15 * recorded[key], (key, n, recorded[key])
    assert sizes["fr_native"] < 2000  # text + native QR: a couple of KB at most
    assert sizes["ar_native"] < 30000  # 53.8 KB when every raster row went out at full width (56 s at 9600 baud)


def test_native_qr_carries_the_url() -> None:
    for lang in ("fr", "ar"):
        decoded = decode_escpos(ticket_escpos_bytes(TICKETS[lang], qr="native"))
        assert decoded.qr_payloads == [URL]
    assert decode_escpos(ticket_escpos_bytes(TICKETS["en"], qr="native")).images == 0


def test_58mm_text_ticket_fits_32_columns() -> None:
    decoded = decode_escpos(ticket_escpos_bytes(TICKETS["fr"], paper_width_mm=58))
    assert max(len(line) for line in decoded.lines) <= 32
    assert "[5x5 bold] A042" in decoded.transcript


def test_forced_image_mode_for_a_latin_ticket() -> None:
    decoded = decode_escpos(ticket_escpos_bytes(TICKETS["fr"], text_mode="image"))
    assert decoded.lines == [] and decoded.images >= 1


def test_turkish_prints_as_an_image_without_cp857_and_as_text_with_it() -> None:
    """TM-T88IV's code-page table has no CP857 (nor CP1254): there Turkish prints as an image, every Turkish ticket
    and slip alike (the mode is the language's: what `contactpoint printer test --lang tr` showed), while French
    stays text; TM-T88V has CP857: Turkish prints as text."""
    tr = TICKETS["tr"]
    data = ticket_escpos_bytes(tr, profile="TM-T88IV")
    decoded = decode_escpos(data, profile="TM-T88IV")
    assert decoded.codepages == [] and decoded.text.strip() == "" and decoded.images >= 1  # no byte to garble
    drawn: list[str] = []
    image = render_ticket_image(tr, 512, drawn=drawn).convert("L")  # TM-T88V/IV: 512 dots
    printed = paper_image(data, profile="TM-T88IV").convert("L")
    assert image_differences(printed.crop((0, 0, 512, image.height)), image) == ""  # the raster is Pillow's drawing
    assert "Anneessens İletişim Noktası" in drawn and "Sıranızı telefonunuzdan takip edin" in drawn
    slip = SlipContent("tr", False, "Sonra nereye", "Konut bilgi", ("Büro: Rue Haute 298a", "Telefon: 02 543 60 00"))
    slip_decoded = decode_escpos(slip_escpos_bytes(slip, profile="TM-T88IV"), profile="TM-T88IV")
    assert slip_decoded.codepages == [] and slip_decoded.images >= 1  # fits CP850, yet Turkish: an image
    assert ticket_mode(tr, "TM-T88IV") == "image" and ticket_mode(TICKETS["fr"], "TM-T88IV") == "text"
    with_page = decode_escpos(ticket_escpos_bytes(tr, profile="TM-T88V"), profile="TM-T88V")
    assert with_page.codepages == ["CP857"] and with_page.images == 1  # text, and the QR code
    for ch in "ğşıİöç":
        assert ch in with_page.text, ch


def test_text_mode_per_language_forces_that_language_only() -> None:
    """A printer whose real table lacks CP857 though its profile lists it garbled Turkish ("Ta��n�yorum"), and
    text_mode = "image" turned every language into images: text_mode = { tr = "image" } images Turkish only."""
    modes = {"tr": "image"}
    decoded = decode_escpos(ticket_escpos_bytes(TICKETS["tr"], text_mode=modes))
    assert decoded.codepages == [] and decoded.text.strip() == "" and decoded.images >= 1
    for lang in ("fr", "nl", "en", "pl", "ro", "ar"):  # byte for byte as before: their golden files hold
        assert ticket_escpos_bytes(TICKETS[lang], text_mode=modes) == ticket_escpos_bytes(TICKETS[lang]), lang
    assert ticket_mode(TICKETS["tr"], text_mode=modes) == "image" and ticket_mode(TICKETS["tr"]) == "text"
    printer = make_printer({"type": "fake", "profile": "TM-T88IV", "text_mode": {"tr": "text", "fr": "image"}})
    printer.print_ticket(TICKETS["tr"])
    printer.print_ticket(TICKETS["fr"])
    printer.print_ticket(TICKETS["pl"])
    forced, fr, pl = (decode_escpos(job, profile="TM-T88IV") for job in printer.jobs)
    assert forced.codepages and "Konut" in forced.text  # text forced where no page holds ı: "?" for the rest
    assert fr.codepages == [] and fr.images >= 1
    assert pl.codepages == ["CP852"]  # not listed: "auto"


@settings(max_examples=40, deadline=None)
@given(
    st.text(
        alphabet="abcdefghijklmnopqrstuvwxyzéèàçôûüëï ABCDEFGHIJKLMNOP0123456789:,.'-",
        min_size=1,
        max_size=90,
    ).filter(lambda s: s.strip())
)
def test_any_latin1_expect_line_round_trips(line: str) -> None:
    ticket = TicketContent(**{**TICKETS["fr"].__dict__, "expect_line": line})
    assert _flat(line) in _flat(decode_escpos(ticket_escpos_bytes(ticket)).text)


def test_decoder_is_strict() -> None:
    with pytest.raises(UnknownCommand):
        decode_escpos(b"\x1b@\x1b\x01")
    with pytest.raises(IncompleteCommand):
        list(iter_commands(b"\x1dv0\x00\x02\x00\x02\x00\xff"))


# --------------------------------------------------------------------------- fake printer and settings


def test_fake_printer_keeps_jobs_and_fails_on_demand() -> None:
    printer = make_printer({"type": "fake"})
    assert isinstance(printer, FakePrinter)
    printer.print_ticket(TICKETS["fr"])
    printer.print_slip(
        SlipContent(
            "fr",
            False,
            "Où aller ensuite",
            "CPAS de Bruxelles",
            ("Rue Haute 298a, 1000 Bruxelles", "Lun-ven 8h30-12h", "02 543 60 00"),
        )
    )
    assert len(printer.jobs) == 2 and printer.output == b"".join(printer.jobs)
    assert "Rue Haute 298a, 1000 Bruxelles" in decode_escpos(printer.jobs[1]).lines
    assert printer.status() == PrinterStatus(True, "printer_ok")
    printer.fail_with = "printer_paper_out"
    with pytest.raises(PrinterError) as err:
        printer.print_ticket(TICKETS["fr"])
    assert err.value.key == "printer_paper_out"
    assert printer.status() == PrinterStatus(False, "printer_paper_out")
    assert len(printer.jobs) == 2


def test_arabic_slip_prints_as_image() -> None:
    printer = FakePrinter()
    printer.print_slip(
        SlipContent(
            "ar",
            True,
            "إلى أين تذهب بعد ذلك",
            "مركز العمل الاجتماعي",
            ("Rue Haute 298a, 1000 Bruxelles", "من الاثنين إلى الجمعة 8:30-12:00"),
        )
    )
    decoded = decode_escpos(printer.output)
    assert decoded.images >= 1 and not any(decoded.lines)


@pytest.mark.parametrize(
    ("settings", "key"),
    [
        ({}, "printer.type"),
        ({"type": "laser"}, "printer.type"),
        ({"type": "usb"}, "printer.vendor_id"),
        ({"type": "usb", "vendor_id": "0xzz", "product_id": 1}, "printer.vendor_id"),
        ({"type": "usb", "vendor_id": "0x04b8", "product_id": 0x20202}, "printer.product_id"),
        ({"type": "network"}, "printer.host"),
        ({"type": "network", "host": "10.0.0.9", "port": "abc"}, "printer.port"),
        ({"type": "network", "host": "10.0.0.9", "timeout": 0}, "printer.timeout"),
        ({"type": "serial"}, "printer.device"),
        ({"type": "fake", "paper_width_mm": 72}, "printer.paper_width_mm"),
        ({"type": "fake", "qr": "barcode"}, "printer.qr"),
        ({"type": "fake", "profile": "TM-NOPE"}, "printer.profile"),
        ({"type": "fake", "text_mode": "fancy"}, "printer.text_mode"),
        ({"type": "fake", "text_mode": 3}, "printer.text_mode"),
        ({"type": "fake", "text_mode": {"tr": "picture"}}, "printer.text_mode.tr"),
        ({"type": "fake", "text_mode": {"tk": "image"}}, "printer.text_mode.tk"),
        ({"type": "file", "baudrate": 9600}, "printer.baudrate"),
        ({"type": "network", "host": "h", "status_query": "yes"}, "printer.status_query"),
    ],
)
def test_bad_settings_name_the_key(settings: dict[str, object], key: str) -> None:
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        make_printer(settings)


def test_usb_ids_accept_hex_strings() -> None:
    printer = make_printer({"type": "usb", "vendor_id": "0x04b8", "product_id": "0x0202", "out_ep": 1})
    assert (printer.vendor_id, printer.product_id, printer.out_ep) == (0x04B8, 0x0202, 1)  # type: ignore[attr-defined]
    status = printer.status()  # no pyusb or no device here: a key, never an exception
    assert not status.ok and status.key in ("printer_offline", "printer_error")
    with pytest.raises(PrinterError):
        printer.print_ticket(TICKETS["en"])


def test_file_printer_writes_the_bytes(tmp_path: Path) -> None:
    dev = tmp_path / "lp0"
    dev.touch()
    printer = make_printer({"type": "file", "device": str(dev)})
    printer.print_ticket(TICKETS["nl"])
    printer.close()
    assert dev.read_bytes() == ticket_escpos_bytes(TICKETS["nl"])
    missing = make_printer({"type": "file", "device": str(tmp_path / "nope" / "lp0")})
    assert missing.status().key == "printer_offline"
    with pytest.raises(PrinterError) as err:
        missing.print_ticket(TICKETS["nl"])
    assert err.value.key == "printer_offline"


def test_serial_printer_missing_device_is_a_key() -> None:
    printer = make_printer({"type": "serial", "device": "/dev/ttyNOPE0", "baudrate": 19200})
    assert printer.status().key in ("printer_offline", "printer_error")
    with pytest.raises(PrinterError):
        printer.print_ticket(TICKETS["en"])


# --------------------------------------------------------------------------- network printer


def _network(port: int, **extra: object) -> TicketPrinter:
    return make_printer({"type": "network", "host": "127.0.0.1", "port": port, **extra})


def test_network_printer_receives_the_same_bytes_as_the_fake() -> None:
    with VirtualNetworkPrinter("ok") as sim:
        printer = _network(sim.port)
        printer.print_ticket(TICKETS["fr"])
        printer.print_ticket(TICKETS["ar"])
        printer.close()
        deadline = time.monotonic() + 2
        expected = ticket_escpos_bytes(TICKETS["fr"]) + ticket_escpos_bytes(TICKETS["ar"])
        while len(sim.received) < len(expected) + 12 and time.monotonic() < deadline:
            time.sleep(0.01)
        received = sim.received
    assert received.replace(b"\x10\x04\x01", b"").replace(b"\x10\x04\x04", b"") == expected
    assert sim.status_queries == 4  # DLE EOT 1 and 4 before each job
    assert decode_escpos(received).text == decode_escpos(ticket_escpos_bytes(TICKETS["fr"])).text


@pytest.mark.parametrize(
    ("mode", "key", "prints"),
    [
        ("ok", "printer_ok", True),
        ("paper_low", "printer_paper_low", True),
        ("paper_out", "printer_paper_out", False),
        ("cover_open", "printer_cover_open", False),
        ("stall", "printer_offline", False),
        ("refuse", "printer_offline", False),
    ],
)
def test_network_status_and_errors(mode: str, key: str, prints: bool) -> None:
    with VirtualNetworkPrinter(mode) as sim:
        printer = _network(sim.port)
        t0 = time.monotonic()
        status = printer.status()
        assert status.key == key and status.ok == prints
        assert time.monotonic() - t0 < 2.0
        t0 = time.monotonic()
        if prints:
            printer.print_ticket(TICKETS["en"])
        else:
            with pytest.raises(PrinterError) as err:
                printer.print_ticket(TICKETS["en"])
            assert err.value.key == key
            assert b"\x1b@" not in sim.received  # nothing printed on a printer that cannot print
        assert time.monotonic() - t0 < 2.0
        printer.close()


def test_network_printer_recovers_when_the_printer_does() -> None:
    with VirtualNetworkPrinter("stall") as sim:
        printer = _network(sim.port, timeout=1.0, status_timeout=0.3)
        assert printer.status().key == "printer_offline"
        sim.mode = "cover_open"
        assert printer.status().key == "printer_cover_open"
        sim.mode = "ok"
        printer.print_ticket(TICKETS["en"])
        assert printer.status() == PrinterStatus(True, "printer_ok")
        printer.close()
        assert sim.connections == 2  # one reconnection after the stall


def test_unreachable_network_printer_is_offline_quickly() -> None:
    printer = make_printer({"type": "network", "host": "192.0.2.1", "port": 9100, "timeout": 1.0})  # TEST-NET-1
    t0 = time.monotonic()
    assert printer.status().key == "printer_offline"
    assert time.monotonic() - t0 < 2.0


def test_escpos_keeps_its_printer_database_in_our_cache_not_a_new_tmp_folder(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    tmp, home = tmp_path / "tmp", tmp_path / "home"
    tmp.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("ESCPOS_CAPABILITIES_PICKLE_DIR", "XDG_CACHE_HOME")}
    env |= {"HOME": str(home), "TMPDIR": str(tmp)}
    for _ in range(2):
        subprocess.run([sys.executable, "-c", "import hardware.printer"], env=env, check=True)
    assert list(tmp.iterdir()) == []  # python-escpos alone leaves a mkdtemp() folder per start
    cache = home / ".cache" / "contactpoint" / "escpos"
    assert (cache / f"{sys.version.split()[0]}.capabilities.pickle").is_file()
    assert list((cache / "unused").iterdir()) == []


def test_processes_starting_together_never_read_a_half_written_printer_database(tmp_path: Path) -> None:
    """python-escpos writes its pickle in place while it parses its database: a second process starting then read
    a half-written file (EOFError; seen when the test workers started at once). Eight processes start together on
    an empty cache, twice (the second time over a stale pickle): each imports the printer code, one whole pickle."""
    import os
    import subprocess
    import sys

    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k not in ("ESCPOS_CAPABILITIES_PICKLE_DIR", "XDG_CACHE_HOME")}
    env |= {"HOME": str(home)}
    cache = home / ".cache" / "contactpoint" / "escpos"
    pickle = cache / f"{sys.version.split()[0]}.capabilities.pickle"
    for round_ in range(2):
        if round_:
            os.utime(pickle, (1, 1))  # older than python-escpos's capabilities.json: rebuilt by whoever starts
        procs = [subprocess.Popen([sys.executable, "-c", "import hardware.printer"], env=env,
                                  stderr=subprocess.PIPE) for _ in range(8)]  # fmt: skip
        errors = [p.communicate()[1].decode() for p in procs]
        assert [p.returncode for p in procs] == [0] * 8, "\n".join(errors)
        assert pickle.stat().st_mtime > 1 and sorted(p.name for p in cache.iterdir()) == [pickle.name, "unused"]


def test_native_qr_falls_back_to_an_image_on_a_profile_without_it(tmp_path: Path) -> None:
    """python-escpos's POS-5890 profile has no qrCode capability: GS ( k would print no QR code at all."""
    for lang in ("fr", "ar"):
        data = ticket_escpos_bytes(TICKETS[lang], profile="POS-5890", qr="native", paper_width_mm=58)
        decoded = decode_escpos(data, profile="POS-5890")
        assert decoded.qr_payloads == [] and b"\x1d(k" not in data
        assert decoded.images >= 1
    out = tmp_path / "pos5890.png"
    render_ticket_png(TICKETS["fr"], out, paper_width_mm=58, profile="POS-5890", qr="native")
    assert _zbar(out) == [URL]
    assert decode_escpos(ticket_escpos_bytes(TICKETS["fr"], profile="TM-T20II", qr="native")).qr_payloads == [URL]


def test_the_fake_printer_keeps_only_its_last_jobs() -> None:
    """A demo box runs for days on the fake printer: what it keeps stays bounded whatever the day's size."""
    printer = FakePrinter()
    for lang in ("ar", "fr") * 12:
        printer.print_ticket(TICKETS[lang])
    assert printer.printed == 24 and len(printer.jobs) == printer.keep == 16
    assert printer.output == b"".join(printer.jobs)
    assert "A042" in decode_escpos(printer.jobs[-1]).text  # the newest job is the last one printed

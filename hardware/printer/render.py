"""One renderer for tickets and slips: a list of layout blocks, drawn either as ESC/POS text or with Pillow.

The same blocks feed the ESC/POS bytes (text mode or raster image mode) and the PNG preview, so what the
kiosk shows, what the tests read and what the visitor gets on paper come from one layout.
"""

from __future__ import annotations

import copy
import functools
import logging
import os
import textwrap
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import qrcode
import qrcode.constants
from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy
from PIL import Image, ImageDraw, ImageFont, ImageOps, features

from .codepages import TEXT_FOLD, is_rtl_text, print_mode
from .model import SlipContent, TicketContent

log = logging.getLogger("contactpoint.printer")
_HAVE_RAQM: bool = features.check("raqm") or False  # Pillow loads libraqm.so.0 (Debian libraqm0) at run time
Size = Literal["small", "normal", "large", "huge"]
Align = Literal["center", "start"]

PAPER_DOTS: dict[int, int] = {80: 576, 58: 384}
FONT_DIRS: tuple[str, ...] = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/truetype/noto",
    "/usr/share/fonts/opentype/noto",
    "/usr/share/fonts/truetype",
)
#: (file names tried in order, Debian package providing the first one)
_FONTS: dict[tuple[str, bool], tuple[tuple[str, ...], str]] = {
    ("latin", False): (("DejaVuSans.ttf",), "fonts-dejavu-core"),
    ("latin", True): (("DejaVuSans-Bold.ttf",), "fonts-dejavu-core"),
    ("arabic", False): (("NotoSansArabic-Regular.ttf", "NotoNaskhArabic-Regular.ttf"), "fonts-noto-core"),
    ("arabic", True): (("NotoSansArabic-Bold.ttf", "NotoNaskhArabic-Bold.ttf"), "fonts-noto-core"),
    # the preview of text printed in the printer's own font A (hardware/printer/paper.py)
    ("mono", False): (("DejaVuSansMono.ttf",), "fonts-dejavu-core"),
    ("mono", True): (("DejaVuSansMono-Bold.ttf",), "fonts-dejavu-core"),
}


class FontMissingError(RuntimeError):
    """A font file the renderer needs is not installed."""


@dataclass(frozen=True)
class Block:
    kind: Literal["text", "qr", "rule", "gap"]
    text: str = ""
    size: Size = "normal"
    bold: bool = False
    align: Align = "center"


# --------------------------------------------------------------------------- layout (shared)


def ticket_blocks(ticket: TicketContent) -> list[Block]:
    blocks = [
        Block("text", ticket.site_name, "normal", bold=True),
        Block("rule"),
        Block("text", ticket.need_label, "large", bold=True),
        Block("text", ticket.number, "huge", bold=True),
        *([Block("text", ticket.priority_label, "large", bold=True)] if ticket.priority_label else []),
        *([Block("text", ticket.letters_line, "normal", bold=True)] if ticket.letters_line else []),
        Block("text", ticket.issued_label, "small"),
        Block("gap"),
        Block("text", ticket.position_label, "normal", bold=True),
        Block("text", ticket.estimate_label, "normal"),
        Block("gap"),
        Block("text", ticket.expect_line, "normal"),
        Block("rule"),
    ]
    if ticket.qr_url:
        blocks.append(Block("qr", ticket.qr_url))
        if ticket.qr_caption:
            blocks.append(Block("text", ticket.qr_caption, "small"))
    return blocks


def slip_blocks(slip: SlipContent) -> list[Block]:
    blocks = [
        Block("text", slip.title, "large", bold=True),
        Block("rule"),
        Block("text", slip.org_name, "normal", bold=True, align="start"),
    ]
    blocks += [Block("text", line, "normal", align="start") for line in slip.lines]
    return blocks


def paper_dots(paper_width_mm: int) -> int:
    try:
        return PAPER_DOTS[paper_width_mm]
    except KeyError:
        raise ValueError(f"paper_width_mm must be one of {sorted(PAPER_DOTS)}, not {paper_width_mm!r}") from None


# --------------------------------------------------------------------------- fonts


def font_path(script: str, bold: bool) -> str:
    names, package = _FONTS[(script, bold)]
    extra = os.environ.get("CONTACTPOINT_FONT_DIR")
    dirs = ((extra,) if extra else ()) + FONT_DIRS
    for name in names:
        for d in dirs:
            p = Path(d) / name
            if p.is_file():
                return str(p)
    if script == "arabic":  # DejaVu Sans has (plainer) Arabic glyphs: better than nothing
        try:
            return font_path("latin", bold)
        except FontMissingError:
            pass
    raise FontMissingError(f"font {names[0]} not found in {', '.join(dirs)}: install the Debian package {package}")


@lru_cache(maxsize=64)
def _font(path: str, px: int) -> ImageFont.FreeTypeFont:
    engine = ImageFont.Layout.RAQM if _HAVE_RAQM else ImageFont.Layout.BASIC
    return ImageFont.truetype(path, px, layout_engine=engine)


@lru_cache(maxsize=4096)
def _has_glyph(path: str, ch: str) -> bool:
    if ch.isspace() or unicodedata.category(ch) in ("Cf", "Mn"):
        return True
    font = _font(path, 20)
    probe = Image.new("L", (40, 40))

    def draw(c: str) -> bytes:
        probe.paste(0, (0, 0, 40, 40))
        ImageDraw.Draw(probe).text((5, 5), c, font=font, fill=255)
        return probe.tobytes()

    return draw(ch) != draw("\U000f0000")  # a private-use code point: renders .notdef


_is_rtl_text = is_rtl_text


def _pick_font(text: str, bold: bool) -> str:
    order = ("arabic", "latin") if _is_rtl_text(text) else ("latin", "arabic")
    paths = [font_path(s, bold) for s in order]
    for p in paths:
        if all(_has_glyph(p, c) for c in set(text)):
            return p
    return paths[0]


# --------------------------------------------------------------------------- image renderer

_PX: dict[str, int] = {"small": 22, "normal": 26, "large": 40}


def _text_kwargs(text: str, lang: str) -> dict[str, Any]:
    if not _HAVE_RAQM:
        if _is_rtl_text(text):
            log.error("Pillow cannot load libraqm.so.0: Arabic prints unshaped; apt install libraqm0 libfribidi0")
        return {}
    return {"direction": "rtl" if _is_rtl_text(text) else "ltr", "language": lang or None}


def _wrap_px(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, kw: dict[str, Any], max_w: int
) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        cur = ""
        for word in paragraph.split(" "):
            cand = f"{cur} {word}" if cur else word
            if draw.textlength(cand, font=font, **kw) <= max_w:
                cur = cand
                continue
            if cur:
                lines.append(cur)
            cur = word
            while draw.textlength(cur, font=font, **kw) > max_w and len(cur) > 1:  # a URL or long word
                cut = len(cur) - 1
                while cut > 1 and draw.textlength(cur[:cut], font=font, **kw) > max_w:
                    cut -= 1
                lines.append(cur[:cut])
                cur = cur[cut:]
        lines.append(cur)
    return lines


def qr_image(url: str, target_px: int) -> Image.Image:
    """The tracking QR code, black on white, about ``target_px`` wide (whole modules)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, box_size=1)
    code.add_data(url)
    code.make(fit=True)
    box = max(2, target_px // (code.modules_count + 4))
    code.box_size = box
    img: Image.Image = code.make_image().get_image()
    return img.convert("L")


def render_blocks_image(
    blocks: Sequence[Block], width_px: int, *, lang: str = "", rtl: bool = False, drawn: list[str] | None = None
) -> Image.Image:
    """Draw blocks as a 1-bit image ``width_px`` wide (black = ink); each line of text drawn, as wrapped, is
    appended to ``drawn`` when given (tests read the very strings Pillow drew)."""
    scale = width_px / 576
    margin = max(8, round(12 * scale))
    max_w = width_px - 2 * margin
    canvas = Image.new("L", (width_px, 4000), 255)
    draw = ImageDraw.Draw(canvas)
    y = round(6 * scale)
    for block in blocks:
        if block.kind == "gap":
            y += round(14 * scale)
        elif block.kind == "rule":
            y += round(10 * scale)
            draw.line((margin, y, width_px - margin, y), fill=0, width=max(2, round(3 * scale)))
            y += round(14 * scale)
        elif block.kind == "qr":
            img = qr_image(block.text, round(width_px * 0.55))
            canvas.paste(img, ((width_px - img.width) // 2, y))
            y += img.height + round(6 * scale)
        else:
            path = _pick_font(block.text, block.bold)
            kw = _text_kwargs(block.text, lang)
            if block.size == "huge":
                px = round(170 * scale)
                while px > 20 and draw.textlength(block.text, font=_font(path, px), **kw) > max_w:
                    px -= 4
                lines = [block.text]
            else:
                px = round(_PX[block.size] * scale)
                if "Arabic" in path:
                    px = round(px * 1.15)
                lines = _wrap_px(draw, block.text, _font(path, px), kw, max_w)
            font = _font(path, px)
            ascent, descent = font.getmetrics()
            if block.size == "huge":  # tight box around the digits, not the font's full line height
                left, top, right, bottom = draw.textbbox((0, 0), block.text, font=font, **kw)
                x = int((width_px - (right - left)) // 2 - left)
                draw.text((x, y - top + round(8 * scale)), block.text, font=font, fill=0, **kw)
                if drawn is not None:
                    drawn.append(block.text)
                y += int(bottom - top) + round(22 * scale)
                continue
            for line in lines:
                lkw = _text_kwargs(line, lang)
                w = draw.textlength(line, font=font, **lkw)
                if block.align == "center":
                    tx = (width_px - w) / 2
                else:
                    tx = width_px - margin - w if rtl else margin
                draw.text((tx, y), line, font=font, fill=0, **lkw)
                if drawn is not None:
                    drawn.append(line)
                y += ascent + descent + round(2 * scale)
    y += round(10 * scale)
    return canvas.crop((0, 0, width_px, y)).point(lambda v: 0 if v < 128 else 255).convert("1")


def render_ticket_image(ticket: TicketContent, width_px: int = 576, drawn: list[str] | None = None) -> Image.Image:
    return render_blocks_image(ticket_blocks(ticket), width_px, lang=ticket.lang, rtl=ticket.rtl, drawn=drawn)


def render_slip_image(slip: SlipContent, width_px: int = 576) -> Image.Image:
    return render_blocks_image(slip_blocks(slip), width_px, lang=slip.lang, rtl=slip.rtl)


# --------------------------------------------------------------------------- ESC/POS


@functools.lru_cache(maxsize=16)
def _profile_data(profile: str, dots: int) -> tuple[dict[str, Any], int]:
    """The profile's data with the paper width set (so ``image(center=True)`` works and python-escpos does not
    print its "media.width.pixel field ... not set" notice on stdout); computed once per (profile, width)."""
    data = copy.deepcopy(Dummy(profile=profile).profile.profile_data)
    width = data.setdefault("media", {}).setdefault("width", {})
    known = width.get("pixels")
    if isinstance(known, int) and known < dots:
        dots = known
    width["pixels"] = dots
    return data, dots


@functools.lru_cache(maxsize=16)
def _char_maps(profile: str) -> dict[str, Any]:
    """python-escpos's code page character maps, shared by every ticket (building them costs ~1 ms a page)."""
    return {}


def _dummy(profile: str, dots: int) -> tuple[Dummy, int]:
    """A python-escpos Dummy that knows the paper width, with the profile's code page maps already built."""
    printer = Dummy(profile=profile)
    data, dots = _profile_data(profile, dots)
    printer.profile.profile_data = data  # read only from here on
    printer.magic.encoder.available_characters = _char_maps(profile)
    return printer, dots


@functools.lru_cache(maxsize=64)
def native_qr_supported(profile: str) -> bool:
    """Whether python-escpos's capabilities of ``profile`` list the printer's own QR command (``GS ( k``)."""
    return bool(Dummy(profile=profile).profile.supports("qrCode"))


def effective_qr(profile: str, qr: str) -> str:
    """The QR mode actually printed: ``"native"`` falls back to ``"image"`` on a profile without native QR codes
    (POS-5890 and other cheap clones: sent ``GS ( k`` anyway, the ticket would have no QR code at all)."""
    if qr == "native" and not native_qr_supported(profile):
        _warn_no_native_qr(profile)
        return "image"
    return qr


@functools.lru_cache(maxsize=64)
def _warn_no_native_qr(profile: str) -> None:  # once per profile
    log.warning('printer profile %s has no native QR codes: qr = "native" prints the QR code as an image', profile)


def _emit_text_blocks(p: Dummy, blocks: Sequence[Block], dots: int, qr: str) -> None:
    cols = dots // 12  # font A is 12 dots wide
    for block in blocks:
        if block.kind == "gap":
            p.ln()
        elif block.kind == "rule":
            p.set(align="center", bold=False, custom_size=True, width=1, height=1)
            p.textln("-" * cols)
        elif block.kind == "qr":
            _emit_qr(p, block.text, dots, qr)
        else:
            text = block.text.translate(TEXT_FOLD)
            if block.size == "huge":
                mult = max(1, min(6 if dots >= 512 else 5, cols // max(1, len(text))))
            elif block.size == "large":
                mult = 2
            else:
                mult = 1
            p.set(
                align="center" if block.align == "center" else "left",
                bold=block.bold,
                custom_size=True,
                width=mult,
                height=mult,
            )
            for line in textwrap.wrap(text, cols // mult, break_on_hyphens=False) or [""]:
                p.textln(line)
    p.set(align="left", bold=False, custom_size=True, width=1, height=1)


#: white rows shorter than this stay inside a band of ink (fewer, taller rasters); longer runs are fed
_MIN_BLANK_ROWS = 12
_ALIGN_LEFT = b"\x1ba\x00"  # ESC a 0: rasters start at the left margin whatever the text before asked


def _emit_raster(p: Dummy, img: Image.Image, dots: int, *, center: bool = False) -> None:
    """Print ``img`` (black = ink) as GS v 0 rasters, the same dots in a fraction of the bytes: a run of white
    rows is a raster one byte wide (the paper advances by its height, nothing is printed), and each band of ink
    is cut after its last inked byte on the right (it starts at the left margin). A 60 KB Arabic ticket is
    mostly white: the lines' spacing, the gaps, the margins right of the text."""
    if center and img.width < dots:
        padded = Image.new("L", (dots, img.height), 255)
        padded.paste(img.convert("L"), ((dots - img.width) // 2, 0))
        img = padded
    ink = ImageOps.invert(img.convert("L")).point(lambda v: 255 if v >= 128 else 0)
    data, width = ink.tobytes(), ink.width
    rights = [len(data[y * width : (y + 1) * width].rstrip(b"\0")) for y in range(ink.height)]
    bands: list[tuple[int, int, bool]] = []  # (first row, end row, has ink)
    y = 0
    while y < len(rights):
        end = y
        while end < len(rights) and (rights[end] > 0) == (rights[y] > 0):
            end += 1
        inked = rights[y] > 0
        if not inked and end - y < _MIN_BLANK_ROWS and bands and end < len(rights):
            inked = True  # a short white run between inked rows: part of the band
        if bands and bands[-1][2] == inked:
            bands[-1] = (bands[-1][0], end, inked)
        else:
            bands.append((y, end, inked))
        y = end
    p._raw(_ALIGN_LEFT)
    for top, bottom, inked in bands:
        if inked:
            right = -(-max(rights[top:bottom]) // 8) * 8
            p.image(img.crop((0, top, right, bottom)))
        else:
            p.image(Image.new("1", (8, bottom - top), 1))


def _emit_qr(p: Dummy, url: str, dots: int, qr: str) -> None:
    if qr == "native":
        p.set(align="center")
        p.qr(url, ec=QR_ECLEVEL_M, size=8 if dots >= 512 else 6, native=True)
        p.ln()
    else:
        _emit_raster(p, qr_image(url, round(dots * 0.55)), dots, center=True)


TextMode = str | Mapping[str, str]  # one ``text_mode`` for every language, or one per language ("auto" if absent)


def _check_text_mode(text_mode: TextMode) -> None:
    modes = [text_mode] if isinstance(text_mode, str) else list(text_mode.values())
    for mode in modes:
        if mode not in ("auto", "text", "image"):
            raise ValueError(f"text_mode must be 'auto', 'text' or 'image', not {mode!r}")


def blocks_escpos_bytes(
    blocks: Sequence[Block],
    *,
    lang: str,
    rtl: bool,
    paper_width_mm: int = 80,
    profile: str = "default",
    qr: str = "image",
    text_mode: TextMode = "auto",
) -> bytes:
    if qr not in ("image", "native"):
        raise ValueError(f"qr must be 'image' or 'native', not {qr!r}")
    _check_text_mode(text_mode)
    qr = effective_qr(profile, qr)
    p, dots = _dummy(profile, paper_dots(paper_width_mm))
    mode, codepage = _mode(blocks, lang, rtl, profile, text_mode)
    p.hw("INIT")
    if mode == "text":
        if codepage:
            p.magic.force_encoding(codepage)  # one explicit ESC t n for the whole ticket
        # else (text forced): python-escpos's magic encoding switches pages and prints "?" for the rest
        _emit_text_blocks(p, blocks, dots, qr)
    else:
        group: list[Block] = []
        for block in blocks:
            if block.kind == "qr" and qr == "native":
                if group:
                    _emit_raster(p, render_blocks_image(group, dots, lang=lang, rtl=rtl), dots)
                group = []
                _emit_qr(p, block.text, dots, qr)
            else:
                group.append(block)
        if group:
            _emit_raster(p, render_blocks_image(group, dots, lang=lang, rtl=rtl), dots)
    p.cut()
    out: bytes = p.output
    return out


def _mode(
    blocks: Sequence[Block], lang: str, rtl: bool, profile: str, text_mode: TextMode
) -> tuple[Literal["text", "image"], str | None]:
    """("text", code page) or ("image", None), as `text_mode` asks for `lang` or, for "auto", as the language
    prints on this profile (hardware/printer/codepages.py)."""
    return print_mode([b.text for b in blocks if b.kind == "text"], lang, rtl, profile, text_mode)


def blocks_need_raster(
    blocks: Sequence[Block],
    *,
    lang: str,
    rtl: bool,
    paper_width_mm: int = 80,
    profile: str = "default",
    qr: str = "image",
    text_mode: TextMode = "auto",
) -> bool:
    """Whether rendering these blocks draws with Pillow (image mode, or the QR code as an image): the costly
    case (6–35 ms), which a printer on an event loop renders in a thread. Text with a native QR costs ~0.2 ms."""
    if effective_qr(profile, qr) == "image" and any(b.kind == "qr" for b in blocks):
        return True
    return _mode(blocks, lang, rtl, profile, text_mode)[0] == "image"


def ticket_needs_raster(ticket: TicketContent, **settings: Any) -> bool:
    return blocks_need_raster(ticket_blocks(ticket), lang=ticket.lang, rtl=ticket.rtl, **settings)


def slip_needs_raster(slip: SlipContent, **settings: Any) -> bool:
    return blocks_need_raster(slip_blocks(slip), lang=slip.lang, rtl=slip.rtl, **settings)


def ticket_escpos_bytes(
    ticket: TicketContent,
    *,
    paper_width_mm: int = 80,
    profile: str = "default",
    qr: str = "image",
    text_mode: TextMode = "auto",
) -> bytes:
    return blocks_escpos_bytes(
        ticket_blocks(ticket),
        lang=ticket.lang,
        rtl=ticket.rtl,
        paper_width_mm=paper_width_mm,
        profile=profile,
        qr=qr,
        text_mode=text_mode,
    )


def slip_escpos_bytes(
    slip: SlipContent,
    *,
    paper_width_mm: int = 80,
    profile: str = "default",
    qr: str = "image",
    text_mode: TextMode = "auto",
) -> bytes:
    return blocks_escpos_bytes(
        slip_blocks(slip),
        lang=slip.lang,
        rtl=slip.rtl,
        paper_width_mm=paper_width_mm,
        profile=profile,
        qr=qr,
        text_mode=text_mode,
    )


def ticket_print_mode(
    ticket: TicketContent, profile: str = "default", text_mode: TextMode = "auto", **_: Any
) -> tuple[Literal["text", "image"], str | None]:
    """How the ticket prints with these ``[printer]`` settings: ("text", code page) or ("image", None)."""
    return _mode(ticket_blocks(ticket), ticket.lang, ticket.rtl, profile, text_mode)


def ticket_mode(ticket: TicketContent, profile: str = "default", text_mode: TextMode = "auto") -> str:
    return ticket_print_mode(ticket, profile, text_mode)[0]

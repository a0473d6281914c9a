"""The ESC/POS renderer: layout blocks (``layout.py``) as the bytes python-escpos sends, in text (one code page)
or as rasters drawn by Pillow (``image.py``), with the :class:`RenderOptions` of the printer.

The modules it is made of are re-exported here: ``render.ticket_blocks``, ``render.font_path``, … still work.
"""

from __future__ import annotations

import copy
import functools
import logging
import textwrap
from collections.abc import Sequence
from typing import Any

from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy
from PIL import Image, ImageOps

from .codepages import TEXT_FOLD, Mode, print_mode
from .fonts import FONT_DIRS, FontMissingError, _font, _pick_font, font_path
from .image import qr_image, render_blocks_image, render_slip_image, render_ticket_image
from .layout import PAPER_DOTS, Block, paper_dots, slip_blocks, ticket_blocks
from .model import SlipContent, TicketContent
from .options import DEFAULT_OPTIONS, RenderOptions, TextMode, options_of

__all__ = [
    "FONT_DIRS",
    "PAPER_DOTS",
    "Block",
    "FontMissingError",
    "RenderOptions",
    "TextMode",
    "_font",
    "_pick_font",
    "blocks_escpos_bytes",
    "blocks_need_raster",
    "effective_qr",
    "font_path",
    "native_qr_supported",
    "paper_dots",
    "qr_image",
    "render_blocks_image",
    "render_slip_image",
    "render_ticket_image",
    "slip_blocks",
    "slip_escpos_bytes",
    "slip_needs_raster",
    "ticket_blocks",
    "ticket_escpos_bytes",
    "ticket_mode",
    "ticket_needs_raster",
    "ticket_print_mode",
]

log = logging.getLogger("contactpoint.printer")


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


def _check(options: RenderOptions) -> None:
    if options.qr not in ("image", "native"):
        raise ValueError(f"qr must be 'image' or 'native', not {options.qr!r}")
    text_mode = options.text_mode
    modes = [text_mode] if isinstance(text_mode, str) else list(text_mode.values())
    for mode in modes:
        if mode not in ("auto", "text", "image"):
            raise ValueError(f"text_mode must be 'auto', 'text' or 'image', not {mode!r}")


def blocks_escpos_bytes(
    blocks: Sequence[Block], *, lang: str, rtl: bool, options: RenderOptions | None = None, **changes: Any
) -> bytes:
    """The ESC/POS job of these blocks: text in one code page, or rasters; ``changes`` are RenderOptions fields."""
    opts = options_of(options, changes)
    _check(opts)
    qr = effective_qr(opts.profile, opts.qr)
    p, dots = _dummy(opts.profile, paper_dots(opts.paper_width_mm))
    mode, codepage = _mode(blocks, lang, rtl, opts)
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


def _mode(blocks: Sequence[Block], lang: str, rtl: bool, options: RenderOptions) -> tuple[Mode, str | None]:
    """("text", code page) or ("image", None), as `text_mode` asks for `lang` or, for "auto", as the language
    prints on this profile (hardware/printer/codepages.py)."""
    texts = [b.text for b in blocks if b.kind == "text"]
    return print_mode(texts, lang, rtl, options.profile, options.text_mode)


def blocks_need_raster(
    blocks: Sequence[Block], *, lang: str, rtl: bool, options: RenderOptions | None = None, **changes: Any
) -> bool:
    """Whether rendering these blocks draws with Pillow (image mode, or the QR code as an image): the costly
    case (6–35 ms), which a printer on an event loop renders in a thread. Text with a native QR costs ~0.2 ms."""
    opts = options_of(options, changes)
    if effective_qr(opts.profile, opts.qr) == "image" and any(b.kind == "qr" for b in blocks):
        return True
    return _mode(blocks, lang, rtl, opts)[0] == "image"


def ticket_needs_raster(ticket: TicketContent, options: RenderOptions | None = None, **changes: Any) -> bool:
    return blocks_need_raster(ticket_blocks(ticket), lang=ticket.lang, rtl=ticket.rtl, options=options, **changes)


def slip_needs_raster(slip: SlipContent, options: RenderOptions | None = None, **changes: Any) -> bool:
    return blocks_need_raster(slip_blocks(slip), lang=slip.lang, rtl=slip.rtl, options=options, **changes)


def ticket_escpos_bytes(ticket: TicketContent, options: RenderOptions | None = None, **changes: Any) -> bytes:
    """The ticket's ESC/POS job with these options (or the defaults changed field by field: ``qr="native"``)."""
    return blocks_escpos_bytes(ticket_blocks(ticket), lang=ticket.lang, rtl=ticket.rtl, options=options, **changes)


def slip_escpos_bytes(slip: SlipContent, options: RenderOptions | None = None, **changes: Any) -> bytes:
    return blocks_escpos_bytes(slip_blocks(slip), lang=slip.lang, rtl=slip.rtl, options=options, **changes)


def ticket_print_mode(ticket: TicketContent, options: RenderOptions | None = None) -> tuple[Mode, str | None]:
    """How the ticket prints with these ``[printer]`` options: ("text", code page) or ("image", None)."""
    return _mode(ticket_blocks(ticket), ticket.lang, ticket.rtl, options or DEFAULT_OPTIONS)


def ticket_mode(ticket: TicketContent, profile: str = "default", text_mode: TextMode = "auto") -> str:
    return ticket_print_mode(ticket, RenderOptions(profile=profile, text_mode=text_mode))[0]

"""What the paper shows: ESC/POS bytes "printed" onto an image, as a thermal printer prints them.

The preview of a ticket (`contactpoint printer preview`, the golden PNGs) is drawn from the very bytes the
printer gets, so it cannot disagree with them: text in the printer's resident font A (12 x 24 dots a
character, drawn here in DejaVu Sans Mono, the printer's own glyphs being in its ROM), through the code page
``ESC t`` selected, with the alignment (``ESC a``), bold (``ESC E``, ``ESC !``) and character size (``GS !``)
in force, wrapped where the paper ends as the printer wraps; raster images (``GS v 0``) as they are; native
QR codes (``GS ( k``) drawn from their data, model, module size and error correction. Image tickets (Arabic,
Romanian) are their rasters, so their preview is exactly what :func:`render.render_blocks_image` drew.

This is a model of an Epson-compatible printer, not of one model: real printers differ by a dot here and there
(line spacing, the glyph shapes), never in what is printed where.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import qrcode
import qrcode.constants
from PIL import Image, ImageDraw, ImageFont, ImageOps

from .decode import _CodePageTable, iter_commands
from .fonts import font_path
from .layout import paper_dots
from .model import TicketContent
from .options import RenderOptions, options_of
from .render import _profile_data, ticket_escpos_bytes

#: character cell (width, height) in dots of font A and font B, Epson's 203 dpi printers
FONT_CELLS = {0: (12, 24), 1: (9, 17)}
#: ``ESC 2``: the default line spacing, 1/6 inch (30 dots); a line holding taller characters feeds their height
DEFAULT_LINE_SPACING = 30
_QR_EC = {
    48: qrcode.constants.ERROR_CORRECT_L,
    49: qrcode.constants.ERROR_CORRECT_M,
    50: qrcode.constants.ERROR_CORRECT_Q,
    51: qrcode.constants.ERROR_CORRECT_H,
}


@dataclass(frozen=True)
class _Char:
    ch: str
    font: int
    width: int  # GS ! multipliers
    height: int
    bold: bool


@lru_cache(maxsize=2048)
def _glyph(ch: str, font: int, bold: bool) -> Image.Image:
    """One character in its cell, 1 bit a dot (black = 0), as the printer's ROM font would print it."""
    cw, chh = FONT_CELLS[font]
    face = ImageFont.truetype(font_path("mono", bold), 20 if font == 0 else 15)  # 12 / 9 dots of advance
    cell = Image.new("L", (cw, chh), 255)
    ascent, descent = face.getmetrics()
    y = (chh - ascent - descent) // 2
    advance = face.getlength(ch)
    ImageDraw.Draw(cell).text(((cw - advance) / 2, y), ch, font=face, fill=0)
    return cell.point(lambda v: 0 if v < 128 else 255)


@lru_cache(maxsize=256)
def _scaled_glyph(c: _Char) -> Image.Image:
    g = _glyph(c.ch, c.font, c.bold)
    if (c.width, c.height) == (1, 1):
        return g
    return g.resize((g.width * c.width, g.height * c.height), Image.Resampling.NEAREST)  # dot doubling


def _qr_symbol(data: bytes, module: int, ec: int) -> Image.Image:
    code = qrcode.QRCode(error_correction=_QR_EC.get(ec, qrcode.constants.ERROR_CORRECT_L), box_size=module, border=0)
    code.add_data(data.decode("utf-8"))
    code.make(fit=True)
    img: Image.Image = code.make_image().get_image()
    return img.convert("L")


class _Paper:
    def __init__(self, width: int, profile: str) -> None:
        self.width = width
        self.canvas = Image.new("L", (width, 4000), 255)
        self.y = 0
        self.pages = _CodePageTable(profile)
        self.reset()
        self.line: list[_Char] = []
        self.line_align = 0

    def reset(self) -> None:
        self.page, self.font, self.cw, self.ch, self.bold, self.align = 0, 0, 1, 1, False, 0
        self.spacing = DEFAULT_LINE_SPACING
        self.qr_module, self.qr_ec, self.qr_data = 3, 48, b""

    def _room(self, height: int) -> None:
        if self.y + height > self.canvas.height:  # a long slip: grow the roll
            grown = Image.new("L", (self.width, max(self.canvas.height * 2, self.y + height)), 255)
            grown.paste(self.canvas, (0, 0))
            self.canvas = grown

    def _x(self, width: int, align: int) -> int:
        if align == 1:
            return max(0, (self.width - width) // 2)
        if align == 2:
            return max(0, self.width - width)
        return 0

    def text(self, s: str) -> None:
        for ch in s:
            c = _Char(ch, self.font, self.cw, self.ch, self.bold)
            w = FONT_CELLS[c.font][0] * c.width
            if sum(FONT_CELLS[o.font][0] * o.width for o in self.line) + w > self.width:
                self.feed_line()  # the printer wraps where the paper ends, mid-word if need be
            if not self.line:
                self.line_align = self.align
            self.line.append(c)

    def feed_line(self) -> None:
        """LF: print the line buffer and feed one line."""
        if not self.line:
            self.y += self.spacing
            return
        glyphs = [_scaled_glyph(c) for c in self.line]
        height = max(g.height for g in glyphs)
        self._room(max(height, self.spacing))
        x = self._x(sum(g.width for g in glyphs), self.line_align)
        for g in glyphs:  # characters of different heights stand on one baseline
            self.canvas.paste(g, (x, self.y + height - g.height))
            x += g.width
        self.y += max(height, self.spacing)
        self.line = []

    def flush(self) -> None:
        if self.line:
            self.feed_line()

    def image(self, img: Image.Image) -> None:
        self.flush()
        self._room(img.height)
        self.canvas.paste(img, (self._x(img.width, self.align), self.y))
        self.y += img.height

    def feed(self, dots: int) -> None:
        self.flush()
        self._room(dots)
        self.y += dots


def paper_image(data: bytes, *, paper_width_mm: int = 80, profile: str = "default") -> Image.Image:
    """The ESC/POS job ``data`` as it comes out of the printer: a 1-bit image as wide as the printable area."""
    _, width = _profile_data(profile, paper_dots(paper_width_mm))
    paper = _Paper(width, profile)
    for cmd in iter_commands(data):
        n = cmd.params[0] if cmd.params else 0
        name = cmd.name
        if name == "text":
            paper.text(paper.pages.decode(cmd.payload, paper.page))
        elif name == "LF":
            paper.feed_line()
        elif name == "ESC d":  # print the buffer and feed n lines in all
            printed = bool(paper.line)
            paper.flush()
            paper.feed(max(0, n - printed) * paper.spacing)
        elif name == "ESC J":
            paper.feed(n)
        elif name == "ESC @":
            paper.flush()
            paper.reset()
        elif name == "ESC t":
            paper.page = n
        elif name == "ESC !":
            paper.font, paper.bold = n & 1, bool(n & 0x08)
            paper.ch, paper.cw = (2 if n & 0x10 else 1), (2 if n & 0x20 else 1)
        elif name == "GS !":
            paper.cw, paper.ch = (n >> 4) + 1, (n & 0x0F) + 1
        elif name in ("ESC E", "ESC G"):
            paper.bold = bool(n & 1)
        elif name == "ESC M":
            paper.font = 1 if n in (1, 49) else 0
        elif name == "ESC a":
            paper.align = {48: 0, 49: 1, 50: 2}.get(n, n if n in (0, 1, 2) else 0)
        elif name == "ESC 2":
            paper.spacing = DEFAULT_LINE_SPACING
        elif name == "ESC 3":
            paper.spacing = n
        elif name == "GS v 0":
            x, y = cmd.params[1] | cmd.params[2] << 8, cmd.params[3] | cmd.params[4] << 8
            paper.image(_ink(Image.frombytes("1", (x * 8, y), cmd.payload)))  # bit 1 = a dot
        elif name == "GS ( k" and cmd.payload[:1] == b"1":
            fn, rest = cmd.payload[1:2], cmd.payload[2:]
            if fn == b"C":
                paper.qr_module = rest[0]
            elif fn == b"E":
                paper.qr_ec = rest[0]
            elif fn == b"P":
                paper.qr_data = rest[1:]  # after m = '0'
            elif fn == b"Q" and paper.qr_data:
                paper.image(_qr_symbol(paper.qr_data, paper.qr_module, paper.qr_ec))
        elif name == "GS V":
            paper.flush()
            break  # the cut: the ticket ends here
        # everything else (underline, status queries, ...) leaves no mark we model
    paper.flush()
    return paper.canvas.crop((0, 0, width, max(1, paper.y))).convert("1")


def _ink(bits: Image.Image) -> Image.Image:
    """A GS v 0 raster (bit 1 = a dot) as a white-paper "L" image (dot = 0)."""
    return ImageOps.invert(bits.convert("L"))


def render_ticket_png(
    ticket: TicketContent, path: str | os.PathLike[str], options: RenderOptions | None = None, **changes: Any
) -> None:
    """The ticket as the paper shows it, from the bytes the printer gets with these options (the ``[printer]``
    table's; ``changes`` are RenderOptions fields, ``paper_width_mm=58``), as a PNG."""
    opts = options_of(options, changes)
    data = ticket_escpos_bytes(ticket, opts)
    img = paper_image(data, paper_width_mm=opts.paper_width_mm, profile=opts.profile)
    img.save(path, format="PNG", optimize=True)

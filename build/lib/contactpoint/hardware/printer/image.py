"""The image renderer: layout blocks drawn by Pillow as a 1-bit raster (image tickets, QR codes, previews)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import qrcode
import qrcode.constants
from PIL import Image, ImageDraw, ImageFont

from .codepages import is_rtl_text
from .fonts import HAVE_RAQM, _font, _pick_font
from .layout import Block, slip_blocks, ticket_blocks
from .model import SlipContent, TicketContent

log = logging.getLogger("contactpoint.printer")

_PX: dict[str, int] = {"small": 22, "normal": 26, "large": 40}


def _text_kwargs(text: str, lang: str) -> dict[str, Any]:
    if not HAVE_RAQM:
        if is_rtl_text(text):
            log.error("Pillow cannot load libraqm.so.0: Arabic prints unshaped; apt install libraqm0 libfribidi0")
        return {}
    return {"direction": "rtl" if is_rtl_text(text) else "ltr", "language": lang or None}


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

"""The layout of a ticket and a slip: a list of blocks (text, QR code, rule, gap), shared by every renderer.

The same blocks feed the ESC/POS bytes (text mode or raster image mode, ``render.py``), the Pillow drawing
(``image.py``) and so the PNG preview: what the kiosk shows, what the tests read and what the visitor gets on
paper come from one layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .model import SlipContent, TicketContent

Size = Literal["small", "normal", "large", "huge"]
Align = Literal["center", "start"]

PAPER_DOTS: dict[int, int] = {80: 576, 58: 384}


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

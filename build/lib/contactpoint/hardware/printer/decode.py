"""A parser for the ESC/POS commands python-escpos emits: tests read back what a visitor would read.

``iter_commands`` tokenises a byte stream command by command (it knows each command's length, so raster
data that happens to contain ESC or DLE bytes is skipped correctly); ``decode_escpos`` runs the commands
through a small printer state machine (code page, character size, bold) and returns the printed text lines,
raster images, native QR payloads and whether the paper was cut. Unknown commands raise
:class:`UnknownCommand`: the parser is strict on purpose.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from escpos.magicencode import Encoder
from escpos.printer import Dummy
from PIL import Image, ImageOps

ESC, GS, DLE, FS = 0x1B, 0x1D, 0x10, 0x1C

#: ESC x commands with a fixed number of parameter bytes
_ESC_FIXED: dict[int, int] = {
    ord(c): n
    for c, n in {
        "@": 0,
        "!": 1,
        "E": 1,
        "-": 1,
        "a": 1,
        "t": 1,
        "M": 1,
        "G": 1,
        "{": 1,
        "2": 0,
        "3": 1,
        "d": 1,
        "J": 1,
        "V": 1,
        "r": 1,
        "R": 1,
        "p": 3,
        "U": 1,
        " ": 1,
        "$": 2,
        "i": 0,
        "m": 0,
        "e": 1,
        "+": 1,
        "A": 1,
        "=": 1,
        "B": 2,
        "S": 0,
        "L": 0,
        "T": 1,
        "\\": 2,
        "%": 1,
        "c": 2,
    }.items()
}
#: GS x commands with a fixed number of parameter bytes
_GS_FIXED: dict[int, int] = {
    ord(c): n
    for c, n in {
        "!": 1,
        "B": 1,
        "L": 2,
        "W": 2,
        "h": 1,
        "w": 1,
        "H": 1,
        "f": 1,
        "a": 1,
        "r": 1,
        "b": 1,
        "P": 2,
        "|": 1,
        "I": 1,
        "$": 2,
        "\\": 2,
        "^": 3,
        ":": 0,
    }.items()
}


class IncompleteCommand(Exception):
    """The data ends in the middle of a command."""


class UnknownCommand(ValueError):
    """A byte sequence this parser does not know."""


@dataclass(frozen=True)
class Command:
    name: str  # "text", "LF", "ESC t", "GS v 0", "GS ( k", "DLE EOT", ...
    offset: int
    params: bytes = b""
    payload: bytes = b""


def _need(data: bytes, end: int) -> None:
    if end > len(data):
        raise IncompleteCommand


def next_command(data: bytes, i: int) -> tuple[Command, int]:
    """The command starting at ``data[i]`` and the offset just after it."""
    b = data[i]
    if b >= 0x20:
        j = i
        while j < len(data) and data[j] >= 0x20:
            j += 1
        return Command("text", i, payload=data[i:j]), j
    if b in (0x0A, 0x0D, 0x09, 0x0C):
        return Command({0x0A: "LF", 0x0D: "CR", 0x09: "HT", 0x0C: "FF"}[b], i), i + 1
    _need(data, i + 2)
    op = data[i + 1]
    if b == DLE:
        if op == 0x04 or op == 0x05:  # DLE EOT n / DLE ENQ n
            _need(data, i + 3)
            return Command("DLE EOT" if op == 0x04 else "DLE ENQ", i, data[i + 2 : i + 3]), i + 3
        if op == 0x14:  # DLE DC4 fn m t
            _need(data, i + 5)
            return Command("DLE DC4", i, data[i + 2 : i + 5]), i + 5
    elif b == ESC:
        name = f"ESC {chr(op)}"
        if op in _ESC_FIXED:
            end = i + 2 + _ESC_FIXED[op]
            _need(data, end)
            return Command(name, i, data[i + 2 : end]), end
        if op == ord("*"):  # ESC * m nL nH d1...dk (column bit image)
            _need(data, i + 5)
            m, n = data[i + 2], data[i + 3] | data[i + 4] << 8
            end = i + 5 + (n * 3 if m in (32, 33) else n)
            _need(data, end)
            return Command(name, i, data[i + 2 : i + 5], data[i + 5 : end]), end
        if op == ord("D"):  # ESC D n1 ... NUL (tab positions)
            end = data.find(b"\x00", i + 2)
            if end < 0:
                raise IncompleteCommand
            return Command(name, i, data[i + 2 : end]), end + 1
    elif b == GS:
        name = f"GS {chr(op)}"
        if op in _GS_FIXED:
            end = i + 2 + _GS_FIXED[op]
            _need(data, end)
            return Command(name, i, data[i + 2 : end]), end
        if op == ord("V"):  # GS V m  |  GS V m n  (m = 65, 66, 97..)
            _need(data, i + 3)
            m = data[i + 2]
            end = i + 3 + (1 if m >= 65 else 0)
            _need(data, end)
            return Command(name, i, data[i + 2 : end]), end
        if op == ord("v"):  # GS v 0 m xL xH yL yH d1...dk (raster bit image)
            _need(data, i + 8)
            if data[i + 2] != ord("0"):
                raise UnknownCommand(f"GS v {data[i + 2]:#x} at {i}")
            x, y = data[i + 4] | data[i + 5] << 8, data[i + 6] | data[i + 7] << 8
            end = i + 8 + x * y
            _need(data, end)
            return Command("GS v 0", i, data[i + 3 : i + 8], data[i + 8 : end]), end
        if op == ord("("):  # GS ( fn pL pH ...: GS ( k (2D codes), GS ( L (graphics), ...
            _need(data, i + 5)
            fn, size = data[i + 2], data[i + 3] | data[i + 4] << 8
            end = i + 5 + size
            _need(data, end)
            return Command(f"GS ( {chr(fn)}", i, b"", data[i + 5 : end]), end
        if op == ord("k"):  # GS k m d1..dk NUL  |  GS k m n d1..dn
            _need(data, i + 3)
            m = data[i + 2]
            if m <= 6:
                end = data.find(b"\x00", i + 3)
                if end < 0:
                    raise IncompleteCommand
                return Command(name, i, bytes([m]), data[i + 3 : end]), end + 1
            _need(data, i + 4)
            end = i + 4 + data[i + 3]
            _need(data, end)
            return Command(name, i, bytes([m]), data[i + 4 : end]), end
    elif b == FS and op in (ord("."), ord("&")):  # cancel / select Kanji mode
        return Command(f"FS {chr(op)}", i), i + 2
    raise UnknownCommand(f"unknown command {data[i : i + 3]!r} at offset {i}")


def iter_commands(data: bytes, start: int = 0) -> Iterator[Command]:
    i = start
    while i < len(data):
        cmd, i = next_command(data, i)
        yield cmd


@dataclass
class DecodedTicket:
    lines: list[str] = field(default_factory=list)
    images: int = 0
    rasters: list[Image.Image] = field(default_factory=list)
    cut: bool = False
    qr_payloads: list[str] = field(default_factory=list)
    codepages: list[str] = field(default_factory=list)
    #: one entry per printed item, for golden files:
    #: text lines with their size, "[raster …]", "[qr …]", "[cut]"
    transcript: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


class _CodePageTable:
    def __init__(self, profile: str) -> None:
        self.pages = {int(num): name for name, num in Dummy(profile=profile).profile.get_code_pages().items()}
        self._tables: dict[str, list[str]] = {}

    def decode(self, raw: bytes, page: int) -> str:
        name = self.pages.get(page, "CP437")
        if name not in self._tables:
            self._tables[name] = Encoder._get_codepage_char_list(name)
        table = self._tables[name]
        return "".join(chr(c) if c < 0x80 else table[c - 0x80] for c in raw)


def decode_escpos(data: bytes, profile: str = "default") -> DecodedTicket:
    out = DecodedTicket()
    pages = _CodePageTable(profile)
    page, width, height, bold = 0, 1, 1, False
    line: list[str] = []
    line_style = (1, 1, False)

    def flush(force: bool = True) -> None:
        nonlocal line, line_style
        if not line and not force:
            return
        text = "".join(line)
        out.lines.append(text)
        w, h, b = line_style
        tag = f"[{w}x{h}{' bold' if b else ''}] " if (w, h) != (1, 1) or b else ""
        out.transcript.append(f"{tag}{text}" if text else "")
        line = []

    for cmd in iter_commands(data):
        n = cmd.params[0] if cmd.params else 0
        if cmd.name == "text":
            if not line:
                line_style = (width, height, bold)
            line.append(pages.decode(cmd.payload, page))
        elif cmd.name == "LF":
            flush()
        elif cmd.name == "ESC d":
            flush()
            out.lines.extend([""] * (n - 1))
            out.transcript.extend([""] * (n - 1))
        elif cmd.name == "ESC @":
            page, width, height, bold = 0, 1, 1, False
        elif cmd.name == "ESC t":
            page = n
            out.codepages.append(pages.pages.get(n, f"#{n}"))
        elif cmd.name == "ESC !":
            width, height, bold = (2 if n & 0x20 else 1), (2 if n & 0x10 else 1), bool(n & 0x08)
        elif cmd.name == "GS !":
            width, height = (n >> 4) + 1, (n & 0x0F) + 1
        elif cmd.name == "ESC E":
            bold = bool(n & 1)
        elif cmd.name in ("GS v 0", "GS ( L", "ESC *"):
            flush(force=False)
            if cmd.name == "GS ( L" and cmd.payload[:2] != b"0p":
                continue  # GS ( L 0 2 prints the stored graphics: counted with its data
            if cmd.name == "GS v 0":
                x, y = cmd.params[1] | cmd.params[2] << 8, cmd.params[3] | cmd.params[4] << 8
                if not cmd.payload.strip(b"\0"):  # a white raster: the renderer's way to feed paper
                    out.transcript.append(f"[feed {y} dots]")
                    continue
                out.images += 1
                img = ImageOps.invert(Image.frombytes("1", (x * 8, y), cmd.payload).convert("L"))
                out.rasters.append(img)
                out.transcript.append(f"[raster {x * 8} wide]")
            else:
                out.images += 1
                out.transcript.append(f"[{cmd.name}]")
        elif cmd.name == "GS ( k":
            # pL pH cn fn [m] data; store = cn '1' fn 'P' m '0'
            if cmd.payload[:2] == b"1P":
                url = cmd.payload[3:].decode("utf-8")
                out.qr_payloads.append(url)
                out.transcript.append(f"[qr {url}]")
        elif cmd.name == "GS V":
            flush(force=False)
            out.cut = True
            out.transcript.append("[cut]")
        # everything else (alignment, fonts, status queries, ...) changes nothing we read back
    flush(force=False)
    while out.lines and not out.lines[-1]:
        out.lines.pop()
    return out

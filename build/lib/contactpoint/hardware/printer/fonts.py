"""The fonts Pillow draws tickets with (Debian's DejaVu and Noto), found on disk or named by their package."""

from __future__ import annotations

import os
import unicodedata
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, features

from .codepages import is_rtl_text

HAVE_RAQM: bool = features.check("raqm") or False  # Pillow loads libraqm.so.0 (Debian libraqm0) at run time
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
    engine = ImageFont.Layout.RAQM if HAVE_RAQM else ImageFont.Layout.BASIC
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


def _pick_font(text: str, bold: bool) -> str:
    order = ("arabic", "latin") if is_rtl_text(text) else ("latin", "arabic")
    paths = [font_path(s, bold) for s in order]
    for p in paths:
        if all(_has_glyph(p, c) for c in set(text)):
            return p
    return paths[0]

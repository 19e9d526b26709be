"""reportlab set-up shared by every PDF: a CJK font, paragraph styles, document metadata.

Font choice (docs/decisions.md §"Documents"): a TrueType-outline CJK font file when one is installed and
reportlab can embed it, else reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1, not embedded: the
reader's own Song font shows it; needs no file, so a PDF is produced on any machine). reportlab 5.1.0
cannot embed OpenType/CFF fonts, and the Noto CJK ``.ttc`` files of Debian's ``fonts-noto-cjk`` are CFF
(“postscript outlines are not supported”), so with only that package installed the CID font is used. The
font actually used is written into the PDF metadata (``/Keywords`` ``cjk-font=…``).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import SimpleDocTemplate

from wengang.atomic import atomic_path

CID_FONT = "STSong-Light"
# (file, subfont index in a .ttc); tried in order, the first that reportlab can embed wins.
# WENGANG_CJK_FONT=/path/to/font.ttf[:index] puts an operator's font first.
FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # CFF: reportlab refuses it today
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)


def _candidates() -> list[tuple[str, int]]:
    env = os.environ.get("WENGANG_CJK_FONT")
    out = list(FONT_CANDIDATES)
    if env:
        path, _, index = env.partition(":")
        out.insert(0, (path, int(index or 0)))
    return out


@functools.cache
def cjk_font() -> tuple[str, str]:
    """Register and return ``(font name, description)``: an embedded TrueType file or ``STSong-Light``."""
    for path, index in _candidates():
        if not Path(path).is_file():
            continue
        try:
            pdfmetrics.registerFont(TTFont("WengangCJK", path, subfontIndex=index))
        except (TTFError, OSError, ValueError, IndexError, KeyError):  # unreadable or CFF font: try the next
            continue
        return "WengangCJK", f"{Path(path).name}#{index} (embedded)"
    pdfmetrics.registerFont(UnicodeCIDFont(CID_FONT))
    return CID_FONT, f"{CID_FONT} (built-in CID font, not embedded)"


def styles() -> dict[str, ParagraphStyle]:
    font, _ = cjk_font()
    base = ParagraphStyle("body", fontName=font, fontSize=11, leading=18, wordWrap="CJK", firstLineIndent=22)
    return {
        "title": ParagraphStyle("title", parent=base, fontSize=16, leading=24, alignment=1, firstLineIndent=0,
                                spaceAfter=10),
        "subtitle": ParagraphStyle("subtitle", parent=base, alignment=1, firstLineIndent=0, spaceAfter=6),
        "body": base,
        "plain": ParagraphStyle("plain", parent=base, firstLineIndent=0),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9.5, leading=13, firstLineIndent=0),
        "right": ParagraphStyle("right", parent=base, alignment=2, firstLineIndent=0),
    }


class _AtomicDocument(SimpleDocTemplate):
    """``build`` writes a temporary file beside the target and renames it when the PDF is complete."""

    def build(self, *args: Any, **kwargs: Any) -> None:
        final = self.filename
        with atomic_path(final) as tmp:
            self.filename = str(tmp)
            try:
                super().build(*args, **kwargs)
            finally:
                self.filename = final


def new_document(path: str | Path, *, title: str, author: str, subject: str) -> SimpleDocTemplate:
    """An A4 document whose metadata names the CJK font used (written whole or not at all)."""
    _, described = cjk_font()
    return _AtomicDocument(
        str(path),
        pagesize=A4,
        leftMargin=25 * mm,
        rightMargin=25 * mm,
        topMargin=25 * mm,
        bottomMargin=20 * mm,
        title=title,
        author=author,
        subject=subject,
        creator="wengang",
        keywords=f"cjk-font={described}",
    )


def esc(text: object) -> str:
    """Escape text for a reportlab Paragraph (which reads a little XML)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

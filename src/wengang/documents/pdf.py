"""reportlab set-up shared by every PDF: a CJK font, paragraph styles, document metadata.

Font choice (docs/decisions.md §"Documents"): a TrueType-outline CJK font file when one is installed and
reportlab can embed it, else reportlab's built-in CID font ``STSong-Light`` (Adobe-GB1, not embedded: the
reader's own Song font shows it; needs no file, so a PDF is produced on any machine). reportlab 5.1.0
cannot embed OpenType/CFF fonts, and the Noto CJK ``.ttc`` files of Debian's ``fonts-noto-cjk`` are CFF
(“postscript outlines are not supported”), so with only that package installed the CID font is used. The
font actually used is written into the PDF metadata (``/Keywords`` ``cjk-font=…``).

Characters the font cannot show never vanish (docs/decisions.md §94): a name printed with a character
missing misstates who is paid. Before a document is built, every text of its story is checked against the
font actually used: the ``cmap`` of an embedded TrueType font; for ``STSong-Light`` the code points Adobe's
CMap ``UniGB-UCS2-H`` (the encoding reportlab writes) maps to an Adobe-GB1 glyph — never one above U+FFFF,
which that 2-byte encoding cannot carry. A character the font lacks is printed as its code point in
brackets, ``〔U+2003E〕``; a note closes the document (each letter of a batch: at its page break) saying
what the marks are and where the original is; the code points go into ``/Keywords`` (``unshown-chars=…``)
and a warning is logged (``wengang.documents.pdf``; with no logging set up Python prints it on stderr). A
character whose sign the font has under another code point is printed through that one: its canonical
equivalent (Unicode NFC: CJK compatibility ideographs), U+00B7 MIDDLE DOT as U+30FB (GB 18030 ``A1A4``
in UniGB-UCS2-H), U+2212 MINUS SIGN as U+FF0D, U+00A0 NO-BREAK SPACE as a space. An embedded TrueType
font's ToUnicode map writes characters above U+FFFF as UTF-16 (reportlab's own entry is unreadable), so
such a character, drawn, is also found by search and copied whole.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.platypus import Flowable, PageBreak, Paragraph, SimpleDocTemplate, Table

from wengang.atomic import atomic_path

CID_FONT = "STSong-Light"
log = logging.getLogger(__name__)

# The code points ``STSong-Light`` can show: every code Adobe's CMap ``UniGB-UCS2-H`` (the encoding reportlab
# writes for it; CMapVersion 12.006, Adobe-GB1 Supplement 4; github.com/adobe-type-tools/cmap-resources,
# Adobe-GB1-6/CMap/UniGB-UCS2-H) maps to a glyph, from its cidrange and cidchar entries: 28,840 code points in
# 150 ranges (GB 18030's two-byte characters and CJK Extension A, but not U+00B7; of the private-use area
# only 14 GB 18030 characters). A code missing here is drawn by no reader: it maps to no glyph.
_CID_RANGES = (
    "0020-007E 00A4-00A5 00A7-00A8 00B0-00B1 00D7 00E0-00E1 00E8-00EA 00EC-00ED 00F2-00F3 00F7 00F9-00FA "
    "00FC 0101 0113 011B 012B 014D 016B 01CE 01D0 01D2 01D4 01D6 01D8 01DA 01DC 01F9 02C7 02C9-02CB 02D9 "
    "0391-03A1 03A3-03A9 03B1-03C1 03C3-03C9 0401 0410-044F 0451 1E3F 2010 2013-2016 2018-2019 201C-201D "
    "2025-2026 2030 2032-2033 2035 203B 20AC 2103 2105 2109 2116 2121 2160-216B 2170-2179 2190-2193 "
    "2196-2199 2208 220F 2211 2215 221A 221D-2220 2223 2225 2227-222B 222E 2234-2237 223D 2248 224C 2252 "
    "2260-2261 2264-2267 226E-226F 2295 2299 22A5 22BF 22EF 2312 2460-2469 2474-249B 2500-254B 2550-2573 "
    "2581-258F 2593-2595 25A0-25A1 25B2-25B3 25BC-25BD 25C6-25C7 25CB 25CE-25CF 25E2-25E5 2605-2606 2609 "
    "2640 2642 2E80-2E99 2E9B-2EF3 2F00-2FD5 2FF0-2FFB 3000-3003 3005-3017 301D-301E 3021-3029 3033-3035 "
    "3038-303A 303E-303F 3041-3094 309B-309E 30A1-30FE 3105-312C 31A0-31B7 3220-3229 3231 32A3 338E-338F "
    "339C-339E 33A1 33C4 33CE 33D1-33D2 33D5 3400-4DB5 4E00-9FA5 E816-E818 E81E E826 E82B-E82C E831-E832 "
    "E83B E843 E854-E855 E864 F92C FA0D-FA0F FA11 FA13-FA14 FA18 FA1F-FA21 FA23-FA24 FA27-FA29 FE30 "
    "FE49-FE52 FE54-FE57 FE59-FE66 FE68-FE6B FF01-FF5E FFE0-FFE5"
)
# The same sign under a code point a font may have instead (the CID font does): GB 18030 A1A4 is U+00B7, but
# U+30FB in UniGB-UCS2-H; a minus sign as GB 2312's full-width hyphen-minus (A3AD); a no-break space as a
# space (as reportlab does for TrueType fonts).
_SAME_GLYPH = {0x00B7: 0x30FB, 0x2212: 0xFF0D, 0x00A0: 0x20}
_LAYOUT = frozenset("\t\n\r ")  # white space: laid out, never drawn
MARK = "〔U+{:04X}〕"  # a character the font cannot show; [U+…] when the font lacks 〔〕
NOTE_STYLE = "note"
# (file, subfont index in a .ttc); tried in order, the first that reportlab can embed wins.
# WENGANG_CJK_FONT=/path/to/font.ttf[:index] puts an operator's font first.
FONT_CANDIDATES: tuple[tuple[str, int], ...] = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # CFF: reportlab refuses it today
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)


def _to_unicode_cmap(fontname: str, subset: list[int], _made_by: Any = ttfonts.makeToUnicodeCMap) -> str:
    """reportlab's ToUnicode CMap for an embedded TrueType subset, with characters above U+FFFF written as
    UTF-16 (``<D840DC3E>``, PDF 32000-1 9.10.3) instead of reportlab's ``<2003E>``, an odd-length string that
    readers reject: the glyph was drawn, but copying, searching or extracting the text lost the character."""
    return re.sub(
        r"^<([0-9A-F]{2})> <([0-9A-F]{5,6})>$",
        lambda m: f"<{m[1]}> <{chr(int(m[2], 16)).encode('utf-16-be').hex().upper()}>",
        _made_by(fontname, subset),
        flags=re.M,
    )


ttfonts.makeToUnicodeCMap = _to_unicode_cmap  # looked up by TTFont.addObjects when a document is written


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


@functools.cache
def _cid_codes() -> frozenset[int]:
    codes: set[int] = set()
    for token in "".join(_CID_RANGES).split():
        first, _, last = token.partition("-")
        codes.update(range(int(first, 16), int(last or first, 16) + 1))
    return frozenset(codes)


def covers(font_name: str | None = None) -> Callable[[int], bool]:
    """Whether the font (default: the CJK font in use) has a glyph for a code point."""
    name = font_name or cjk_font()[0]
    try:
        font = pdfmetrics.getFont(name)
    except KeyError:
        font = None
    if isinstance(font, TTFont):
        cmap = font.face.charToGlyph
        return lambda cp: cmap.get(cp, 0) != 0  # glyph 0 is .notdef: the empty box or nothing
    if name == CID_FONT or (isinstance(font, UnicodeCIDFont) and font.encoding.name == "UniGB-UCS2-H"):
        return _cid_codes().__contains__
    return lambda cp: 0x20 <= cp <= 0x7E  # a standard Type 1 font (not used for text here): ASCII is safe


def _printable(ch: str, has: Callable[[int], bool]) -> str | None:
    """``ch`` or a code point with the same glyph that the font has; None when there is none."""
    if ch in _LAYOUT or has(ord(ch)):
        return ch
    same = unicodedata.normalize("NFC", ch)
    if len(same) == 1 and same != ch and has(ord(same)):
        return same
    alt = _SAME_GLYPH.get(ord(ch))
    return chr(alt) if alt is not None and has(alt) else None


def visible(text: str, font_name: str | None = None) -> tuple[str, list[int]]:
    """``text`` as the font can print it: a character it has no glyph for becomes ``〔U+XXXX〕``
    (``[U+XXXX]`` when the font lacks 〔〕). Returns the text and the code points marked, in order."""
    name = font_name or cjk_font()[0]
    has = covers(name)
    out: list[str] = []
    marked: list[int] = []
    for ch in text:
        shown = _printable(ch, has)
        if shown is None:
            mark = MARK if has(0x3014) and has(0x3015) else "[U+{:04X}]"
            out.append(mark.format(ord(ch)))
            marked.append(ord(ch))
        else:
            out.append(shown)
    return "".join(out), marked


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
        NOTE_STYLE: ParagraphStyle(NOTE_STYLE, parent=base, fontSize=9.5, leading=14, firstLineIndent=0,
                                   spaceBefore=8),
    }


def _mark_paragraph(p: Paragraph, font: str) -> list[int]:
    marked: list[int] = []
    for frag in p.frags or ():
        text = getattr(frag, "text", None)
        if isinstance(text, str) and text:
            frag.text, cps = visible(text, getattr(frag, "fontName", None) or font)
            marked += cps
    return marked


def _mark(flowable: Any, font: str, found: list[tuple[int, str]]) -> None:
    """Replace, in place, every character the font cannot show in the text a flowable will draw (Paragraph
    frags, Table cells, nested content) and record ``(code point, the text around it)``. What was marked is
    kept on the flowable, so a story built a second time gets its note again."""
    if isinstance(flowable, Paragraph | Table) and hasattr(flowable, "_wengang_unshown"):
        found += flowable._wengang_unshown
        if isinstance(flowable, Paragraph):
            return
    if isinstance(flowable, Paragraph):
        cps = _mark_paragraph(flowable, font)
        text = "".join(str(getattr(f, "text", "")) for f in flowable.frags or ())
        flowable._wengang_unshown = [(cp, text) for cp in cps]
        found += flowable._wengang_unshown
    elif isinstance(flowable, Table):
        if not hasattr(flowable, "_wengang_unshown"):
            flowable._wengang_unshown = []
        cell_styles = getattr(flowable, "_cellStyles", None)
        for i, row in enumerate(flowable._cellvalues):
            for j, value in enumerate(row):
                if isinstance(value, str):
                    try:
                        cell_font = cell_styles[i][j].fontname if cell_styles else font
                    except (IndexError, AttributeError):
                        cell_font = font
                    shown, cps = visible(value, cell_font)
                    if cps:
                        if not isinstance(row, list):  # a tuple row: make it assignable
                            row = flowable._cellvalues[i] = list(row)
                        row[j] = shown
                        flowable._wengang_unshown += [(cp, shown) for cp in cps]
                        found += [(cp, shown) for cp in cps]
                else:
                    _mark(value, font, found)
    elif isinstance(flowable, list | tuple):
        for f in flowable:
            _mark(f, font, found)
    elif isinstance(flowable, Flowable):
        for attr in ("_content", "_flowables"):  # KeepTogether and other containers
            inner = getattr(flowable, attr, None)
            if isinstance(inner, list | tuple):
                _mark(inner, font, found)


def _note(codes: Iterable[int], authority: tuple[str, str]) -> Paragraph:
    """注 for a document (or letter) with marked characters, in Chinese then English; English alone when the
    font cannot print the Chinese (a Latin-only WENGANG_CJK_FONT)."""
    font, described = cjk_font()
    short = described.split(" (")[0]
    unique = list(dict.fromkeys(codes))
    example = visible(chr(unique[0]), font)[0]
    listed = "、".join(f"U+{cp:04X}" for cp in unique)
    zh = (f"注：本件中“{example}”形式的标记，表示所用字体（{short}）无法显示的字符，按其统一码（Unicode）码位标出，"
          f"未予省略（本件：{listed}）；原字以{authority[0]}为准。")
    en = (f"Note: a mark such as {example} stands for a character the font in use ({short}) cannot display, "
          f"given as its Unicode code point instead of being left out (here: {listed.replace('、', ', ')}); "
          f"the original is as in {authority[1]}.")
    text = f"{zh} / {en}" if not visible(zh, font)[1] else en
    return Paragraph(esc(visible(text, font)[0]), styles()[NOTE_STYLE])


class _AtomicDocument(SimpleDocTemplate):
    """``build`` writes a temporary file beside the target and renames it when the PDF is complete. Before
    that it marks every character the font cannot show and notes it (module docstring); ``unshown`` lists
    their code points after the build."""

    authority: tuple[str, str] = ("系统记录", "the system record")
    unshown: list[int]

    def _with_notes(self, story: list[Any]) -> list[Any]:
        font = cjk_font()[0]
        out: list[Any] = []
        part: list[tuple[int, str]] = []
        found: list[tuple[int, str]] = []
        for flowable in [*story, None]:
            if flowable is None or isinstance(flowable, PageBreak):  # a batch's letter ends at its page break
                if part:
                    out.append(_note((cp for cp, _ in part), self.authority))
                    found += part
                    part = []
                if flowable is None:
                    break
            else:
                _mark(flowable, font, part)
            out.append(flowable)
        self.unshown = sorted(set(cp for cp, _ in found))
        if found:
            codes = "、".join(f"U+{cp:04X}" for cp in self.unshown)
            where = "；".join(dict.fromkeys(text[:60] for _, text in found))
            self.keywords = f"{self.keywords}; unshown-chars={codes.replace('、', ',')}"
            log.warning(
                "PDF《%s》：所用字体 %s 无法显示 %s，已以〔U+…〕码位标出并在文末加注，请核对：%s / PDF %r: the font %s "
                "cannot display %s; printed as [U+…] code points with a note at the end, please check: %s",
                self.title, cjk_font()[1], codes, where, self.title, cjk_font()[1], codes, where,
            )
        return out

    def build(self, flowables: list[Any], *args: Any, **kwargs: Any) -> None:
        flowables[:] = self._with_notes(flowables)
        final = self.filename
        with atomic_path(final) as tmp:
            self.filename = str(tmp)
            try:
                super().build(flowables, *args, **kwargs)
            finally:
                self.filename = final


def new_document(path: str | Path, *, title: str, author: str, subject: str,
                 authority: tuple[str, str] | None = None) -> SimpleDocTemplate:
    """An A4 document whose metadata names the CJK font used (written whole or not at all). ``authority``
    (Chinese, English) is where the note on characters the font cannot show sends the reader for the original:
    the system record by default."""
    _, described = cjk_font()
    doc = _AtomicDocument(
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
    if authority is not None:
        doc.authority = authority
    return doc


def esc(text: object) -> str:
    """Escape text for a reportlab Paragraph (which reads a little XML)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

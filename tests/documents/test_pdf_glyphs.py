"""A character the PDF font cannot show is printed as 〔U+XXXX〕 with a note, never left blank (decisions §94).

The outside tester's case: “通辽𠀾䶮石化有限公司” (𠀾 U+2003E, CJK Extension B) printed as “通辽 䶮石化…” in the 公示 and
the 决定书, because the built-in CID font STSong-Light (encoding UniGB-UCS2-H, 2-byte) has no glyph above U+FFFF.
pypdf's text extraction is no proof of display (it decodes the surrogate pair the content stream carries and returns
𠀾 although no reader draws it), so the CID tests also read the codes drawn from the content stream and check each
against the CMap. The TrueType tests embed a small font written here (no CJK TrueType font is installed on Debian's
CI image; fonts-noto-cjk is CFF, which reportlab cannot embed).
"""

from __future__ import annotations

import logging
import os
import struct
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph

from wengang.documents import pdf
from wengang.documents.letters import write_letters_pdf
from wengang.documents.publicity import build_publicity, write_publicity_pdf
from wengang.evaluate import evaluate

from .pdfread import pdf_metadata, pdf_text

RARE = "通辽𠀾䶮石化有限公司"  # 𠀾 U+2003E (Extension B), 䶮 U+4DAE (Extension A, in Adobe-GB1-4)
MARKED = "通辽〔U+2003E〕䶮石化有限公司"
AGENCY = {"name": "通辽市社会保险事业服务中心", "review_body": "通辽市人力资源和社会保障局",
          "court": "通辽市科尔沁区人民法院", "phone": "0475-8123456"}
UNIT = {"credit_code": "91150502MA0N1234XN", "org_type": "enterprise", "size_class": "small",
        "months_fully_paid": 12, "paid_premium_last_year_fen": 1000000, "insured_headcount": 50,
        "avg_insured_last_year": 50, "layoffs_last_year": 0}
# what a CJK TrueType font would cover, Extension B aside
CJK_BMP = [(0x20, 0x7E), (0x2000, 0x206F), (0x3000, 0x303F), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xFF00, 0xFFEF)]


def _publicity(name: str):
    return build_publicity(
        [{"unit_name": name, "credit_code": "91150502MA0N1234XN", "amount_fen": 1234567, "review_passed": True}],
        agency="通辽市社会保险事业服务中心", program="失业保险稳岗返还", year=2025, start=date(2025, 6, 3), days=5,
        end=date(2025, 6, 9), objection_channel="书面方式", objection_phone="0475-8123456", basis="内人社发〔2025〕18号",
        issued_on=date(2025, 6, 3),
    )


def _decision(name: str) -> dict:
    return evaluate("fanhuan", "150500", date(2025, 8, 1), {**UNIT, "name": name}).to_dict()


def _flat(path: Path) -> str:
    """The PDF's text with all white space removed (lines break anywhere): compare with :func:`_sq` of the needle."""
    return _sq(pdf_text(path))


def _sq(text: str) -> str:
    return "".join(text.split())


@pytest.fixture
def cid(monkeypatch: pytest.MonkeyPatch) -> None:
    """The documents use STSong-Light whatever fonts this machine has."""
    pdfmetrics.registerFont(UnicodeCIDFont(pdf.CID_FONT))
    monkeypatch.setattr(pdf, "cjk_font", lambda: (pdf.CID_FONT, f"{pdf.CID_FONT} (built-in CID font, not embedded)"))


def _cid_codes_drawn(path: Path) -> list[int]:
    """Every 2-byte code the pages draw in STSong-Light (UniGB-UCS2-H: the code is the UTF-16 unit)."""
    pypdf = pytest.importorskip("pypdf")
    from pypdf.generic import ContentStream

    reader = pypdf.PdfReader(str(path))
    codes: list[int] = []
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"]
        current = None
        for operands, op in ContentStream(page.get_contents(), reader).operations:
            if op == b"Tf":
                current = fonts[operands[0]].get_object()["/BaseFont"]
            elif op in (b"Tj", b"TJ", b"'", b'"') and current == f"/{pdf.CID_FONT}":
                items = operands[0] if op == b"TJ" else operands[-1:]
                for s in items:
                    if isinstance(s, int | float):
                        continue
                    raw = s.original_bytes if hasattr(s, "original_bytes") else bytes(s)
                    codes += [int.from_bytes(raw[i:i + 2], "big") for i in range(0, len(raw), 2)]
    return codes


# ----------------------------------------------------------------------------------------------- the CID font
def test_cid_coverage_is_the_cmap_and_stops_at_the_bmp(cid: None) -> None:
    has = pdf.covers()
    assert len(pdf._cid_codes()) == 28840  # UniGB-UCS2-H 12.006: cidrange + cidchar entries
    assert has(ord("中")) and has(ord("䶮")) and has(ord("〔")) and has(ord("・")) and has(ord("￥"))
    assert not has(0x2003E) and not has(0x20000) and not has(0x3400 - 1) and not has(0xE000)
    assert not has(ord("·")) and not has(0x9FCF)  # U+00B7 is U+30FB in this CMap; 鿏 is not in Adobe-GB1-4
    assert not any(has(cp) for cp in range(0x10000, 0x30000, 97))


def test_publicity_pdf_prints_the_code_point_and_a_note(cid: None, tmp_path: Path,
                                                        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="wengang.documents.pdf"):
        path = write_publicity_pdf(_publicity(RARE), tmp_path / "公示.pdf")
    text = _flat(path)
    assert MARKED in text and "𠀾" not in text
    assert "注：本件中“〔U+2003E〕”形式的标记，表示所用字体（STSong-Light）无法显示的字符" in text
    assert "（本件：U+2003E）；原字以电子表格（XLSX）或系统记录为准。" in text and _sq("Note: a mark such as") in text
    assert pdf_metadata(path)["/Keywords"].endswith("; unshown-chars=U+2003E")
    assert any("U+2003E" in r.getMessage() and MARKED in r.getMessage() for r in caplog.records)
    drawn = _cid_codes_drawn(path)
    assert drawn and all(code in pdf._cid_codes() for code in drawn)  # nothing drawn that no reader shows
    assert 0xD840 not in drawn  # the high surrogate of 𠀾: what the unfixed PDF carried


def test_each_letter_of_a_batch_carries_its_own_note(cid: None, tmp_path: Path) -> None:
    path = tmp_path / "letters.pdf"
    write_letters_pdf([_decision("测试单位"), _decision(RARE), _decision("另一单位")], AGENCY, path,
                      issued_on=date(2025, 8, 1))
    pypdf = pytest.importorskip("pypdf")
    pages = [_sq(p.extract_text()) for p in pypdf.PdfReader(str(path)).pages]
    letters: list[str] = []
    for page in pages:  # a letter starts with its title
        if page.startswith("稳岗返还审核决定书"):
            letters.append(page)
        else:
            letters[-1] += page
    assert len(letters) == 3
    assert "测试单位" in letters[0] and "U+" not in letters[0] and "注：" not in letters[0]
    assert MARKED in letters[1] and "𠀾" not in letters[1]
    assert letters[1].endswith(_sq("the original is as in the system record."))
    assert "原字以系统记录为准" in letters[1] and "U+" not in letters[2]
    assert all(code in pdf._cid_codes() for code in _cid_codes_drawn(path))


def test_a_middle_dot_and_a_minus_print_through_the_same_glyph(cid: None, tmp_path: Path) -> None:
    path = write_publicity_pdf(_publicity("买买提·艾力−分公司"), tmp_path / "p.pdf")
    text = _flat(path)
    assert "买买提・艾力－分公司" in text and "U+" not in text and "注：" not in text
    assert "unshown-chars" not in pdf_metadata(path)["/Keywords"]
    assert all(code in pdf._cid_codes() for code in _cid_codes_drawn(path))


def test_plain_table_cells_are_checked_too(cid: None, tmp_path: Path) -> None:
    from reportlab.platypus import Table

    path = tmp_path / "t.pdf"
    doc = pdf.new_document(path, title="t", author="a", subject="s")
    table = Table([["单位", RARE]])
    table.setStyle([("FONT", (0, 0), (-1, -1), pdf.CID_FONT, 9)])
    doc.build([table])
    assert MARKED in _flat(path) and doc.unshown == [0x2003E]


def test_a_story_built_twice_is_noted_twice(cid: None, tmp_path: Path) -> None:
    story = [Paragraph(pdf.esc(RARE), pdf.styles()["body"])]
    for n in (1, 2):
        doc = pdf.new_document(tmp_path / f"{n}.pdf", title="t", author="a", subject="s")
        doc.build(list(story))
        text = _flat(tmp_path / f"{n}.pdf")
        assert MARKED in text and "（本件：U+2003E）" in text and doc.unshown == [0x2003E]


# ----------------------------------------------------------------------------------------------- TrueType fonts
def _ttf(path: Path, ranges: list[tuple[int, int]], ps_name: str = "WengangGlyphTest") -> Path:
    """A minimal TrueType font: glyph 1 (a box) for every code point in ``ranges`` (cmap format 13, Unicode full
    repertoire), glyph 0 .notdef empty. Enough for reportlab to embed and subset it. reportlab shares one parsed face
    between fonts of the same PostScript name, so each font of a process needs its own ``ps_name``."""
    box = struct.pack(">hhhhhHH4B4h4h", 1, 50, -100, 950, 800, 3, 0, 1, 1, 1, 1, 50, 900, 0, -900, -100, 0, 900, 0)
    box += b"\0" * (-len(box) % 4)
    ps = ps_name.encode("utf-16-be")
    groups = b"".join(struct.pack(">III", a, b, 1) for a, b in ranges)
    sub = struct.pack(">HHIII", 13, 0, 16 + len(groups), 0, len(ranges)) + groups
    tables = {
        b"OS/2": struct.pack(">HhHHH10hh10s4I4sHHHhhhHHII", 1, 1000, 400, 5, 0, *[0] * 10, 0, b"\0" * 10,
                             0, 0, 0, 0, b"TEST", 0x40, 0x20, 0xFFFF, 880, -120, 0, 880, 120, 0, 0),
        b"cmap": struct.pack(">HHHHI", 0, 1, 3, 10, 12) + sub,
        b"glyf": box,
        b"head": struct.pack(">IIIIHHqqhhhhHHhhh", 0x10000, 0x10000, 0, 0x5F0F3CF5, 0, 1000, 0, 0, 50, -100, 950,
                             800, 0, 8, 2, 1, 0),
        b"hhea": struct.pack(">Ihhh H hhh hhh 4h hH".replace(" ", ""), 0x10000, 880, -120, 0, 1000, 0, 0, 950, 1, 0,
                             0, 0, 0, 0, 0, 0, 2),
        b"hmtx": struct.pack(">HhHh", 500, 0, 1000, 50),
        b"loca": struct.pack(">III", 0, 0, len(box)),
        b"maxp": struct.pack(">IH13H", 0x10000, 2, 4, 1, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0),
        b"name": struct.pack(">HHH6H", 0, 1, 18, 3, 1, 0x409, 6, len(ps), 0) + ps,
        b"post": struct.pack(">IIhhIIIII", 0x30000, 0, -100, 50, 0, 0, 0, 0, 0),
    }
    offset = 12 + 16 * len(tables)
    directory, body = b"", b""
    for tag in sorted(tables):
        data = tables[tag] + b"\0" * (-len(tables[tag]) % 4)
        checksum = sum(struct.unpack(f">{len(data) // 4}I", data)) & 0xFFFFFFFF
        directory += struct.pack(">4sIII", tag, checksum, offset + len(body), len(tables[tag]))
        body += data
    path.write_bytes(struct.pack(">IHHHH", 0x10000, len(tables), 128, 3, 16 * len(tables) - 128) + directory + body)
    return path


@pytest.fixture
def truetype(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    name = f"GlyphTest{abs(hash(request.node.nodeid))}"
    pdfmetrics.registerFont(TTFont(name, str(_ttf(tmp_path / "t.ttf", request.param, ps_name=name))))
    monkeypatch.setattr(pdf, "cjk_font", lambda: (name, "t.ttf#0 (embedded)"))
    return name


@pytest.mark.parametrize("truetype", [[*CJK_BMP, (0x2003E, 0x2003E)]], indirect=True)
def test_a_truetype_font_with_the_glyph_prints_it(truetype: str, tmp_path: Path) -> None:
    assert pdf.covers()(0x2003E)
    path = write_publicity_pdf(_publicity(RARE), tmp_path / "p.pdf")
    text = _flat(path)
    assert RARE in text and "U+2003E" not in text and "注：" not in text


@pytest.mark.parametrize("truetype", [CJK_BMP], indirect=True)
def test_a_truetype_font_without_it_gets_the_mark(truetype: str, tmp_path: Path) -> None:
    assert not pdf.covers()(0x2003E) and pdf.covers()(ord("䶮"))
    path = write_publicity_pdf(_publicity(RARE), tmp_path / "p.pdf")
    text = _flat(path)
    assert MARKED in text and "所用字体（t.ttf#0）无法显示的字符" in text
    assert "𠀾" not in text


@pytest.mark.parametrize("truetype", [[(0x20, 0x7E)]], indirect=True)
def test_a_latin_font_marks_the_chinese_and_notes_in_english(truetype: str, tmp_path: Path) -> None:
    path = tmp_path / "p.pdf"
    doc = pdf.new_document(path, title="t", author="a", subject="s")
    doc.build([Paragraph(pdf.esc("通辽 Co."), pdf.styles()["body"])])
    text = _flat(path)
    assert _sq("[U+901A][U+8FBD] Co.") in text and _sq("Note: a mark such as [U+901A]") in text and "注" not in text


@pytest.mark.parametrize("covered", [True, False])
def test_wengang_cjk_font_decides(tmp_path: Path, covered: bool) -> None:
    """End to end through the environment variable an operator sets (a fresh process: the font is chosen once)."""
    font = _ttf(tmp_path / "ops.ttf", [*CJK_BMP, (0x2003E, 0x2003E)] if covered else CJK_BMP)
    out = tmp_path / "p.pdf"
    script = (
        "import sys; from datetime import date; from reportlab.platypus import Paragraph;"
        "from wengang.documents import pdf;"
        "d = pdf.new_document(sys.argv[1], title='t', author='a', subject='s');"
        f"d.build([Paragraph(pdf.esc({RARE!r}), pdf.styles()['body'])]); print(pdf.cjk_font()[1])"
    )
    env = {**os.environ, "WENGANG_CJK_FONT": str(font)}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(Path(pdf.__file__).parents[2]), env.get("PYTHONPATH")) if p)
    run = subprocess.run([sys.executable, "-c", script, str(out)], env=env, capture_output=True, text=True,
                         check=True)
    assert "ops.ttf#0 (embedded)" in run.stdout
    text = _flat(out)
    if covered:
        assert RARE in text and "U+2003E" not in text and run.stderr == ""
    else:
        assert MARKED in text and "𠀾" not in text and "U+2003E" in run.stderr  # the warning, on stderr

"""The CJK font: an embeddable TrueType file when given, else the built-in STSong-Light; named in the metadata."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import reportlab

from wengang.documents import pdf

from .pdfread import pdf_metadata

PROBE = "from wengang.documents.pdf import cjk_font; print(cjk_font()[1])"


def _probe(env_font: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "WENGANG_CJK_FONT"}
    if env_font:
        env["WENGANG_CJK_FONT"] = env_font
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(Path(pdf.__file__).parents[2]), env.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, "-c", PROBE], env=env, check=True, capture_output=True, text=True).stdout


def test_a_truetype_file_is_embedded() -> None:
    vera = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"  # TrueType outlines, shipped with reportlab
    assert "Vera.ttf#0 (embedded)" in _probe(str(vera))


def test_an_unusable_file_falls_back_to_the_cid_font(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-font.ttf"
    bad.write_bytes(b"\x00" * 64)
    out = _probe(str(bad))
    assert "not-a-font" not in out  # skipped: a system TrueType CJK font or the CID font is used
    assert "(embedded)" in out or "STSong-Light (built-in CID font" in out


def test_metadata_names_the_font(tmp_path: Path) -> None:
    path = tmp_path / "x.pdf"
    doc = pdf.new_document(path, title="标题", author="机构", subject="测试")
    from reportlab.platypus import Paragraph

    doc.build([Paragraph("中文", pdf.styles()["body"])])
    assert pdf_metadata(path)["/Keywords"] == f"cjk-font={pdf.cjk_font()[1]}"

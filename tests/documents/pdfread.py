from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def pdf_text(path: Path) -> str:
    """The text of a PDF via pypdf, else pdftotext; skip (visibly) when neither is installed."""
    try:
        import pypdf
    except ImportError:
        pypdf = None  # type: ignore[assignment]
    if pypdf is not None:
        return "\n".join(page.extract_text() or "" for page in pypdf.PdfReader(str(path)).pages)
    if shutil.which("pdftotext"):
        return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    pytest.skip("neither pypdf nor pdftotext is installed: cannot read the PDF's text back")


def _pypdf():
    return pytest.importorskip("pypdf", reason="pypdf (dev dependency) is not installed: cannot read the PDF back")


def pdf_pages(path: Path) -> int:
    return len(_pypdf().PdfReader(str(path)).pages)


def pdf_metadata(path: Path) -> dict:
    return dict(_pypdf().PdfReader(str(path)).metadata or {})

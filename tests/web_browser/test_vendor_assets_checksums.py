"""Vendored front-end files are the ones src/wengang/web/static/vendor/README.md records (version, sha256)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[2] / "src" / "wengang" / "web" / "static" / "vendor"
ROW = re.compile(r"^\| `(?P<path>[^`]+)` \| `(?P<sha256>[0-9a-f]{64})` \|$", re.MULTILINE)


def recorded() -> dict[str, str]:
    return {m["path"]: m["sha256"] for m in ROW.finditer((VENDOR / "README.md").read_text(encoding="utf-8"))}


def test_every_vendored_file_matches_its_recorded_sha256() -> None:
    rows = recorded()
    assert "axe-core/axe.min.js" in rows and "axe-core/LICENSE" in rows
    for rel, sha in rows.items():
        assert hashlib.sha256((VENDOR / rel).read_bytes()).hexdigest() == sha, rel


def test_every_vendored_file_is_recorded() -> None:
    on_disk = {
        p.relative_to(VENDOR).as_posix() for p in VENDOR.rglob("*") if p.is_file() and p.name != "README.md"
    }
    assert on_disk == set(recorded())


def test_axe_version_in_the_file_is_the_recorded_one() -> None:
    head = (VENDOR / "axe-core" / "axe.min.js").read_text(encoding="utf-8")[:40]
    readme = (VENDOR / "README.md").read_text(encoding="utf-8")
    version = re.search(r"axe v(\d+\.\d+\.\d+)", head)
    assert version is not None and f"## axe-core {version[1]} " in readme
    assert (
        json.loads((VENDOR / "axe-core" / "locales" / "zh_CN.json").read_text(encoding="utf-8"))["lang"]
        == "zh-CN"
    )

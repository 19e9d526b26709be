"""Every date the product takes for “today” is Beijing's (UTC+8): a server on UTC had dated forms, 公示 starts and
letters a day early between 00:00 and 08:00 Beijing (web audit, session 39)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import wengang.beijing as beijing

SRC = Path(__file__).resolve().parents[1] / "src" / "wengang"


def test_just_after_midnight_in_beijing_is_the_next_day(monkeypatch):
    class At(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime(2026, 12, 6, 16, 18, tzinfo=UTC).astimezone(tz)  # 00:18 on the 7th in Beijing

    monkeypatch.setattr(beijing, "datetime", At)
    assert beijing.beijing_today() == date(2026, 12, 7)


def test_no_module_takes_the_machines_own_date():
    found = [f"{p.relative_to(SRC)}:{n}" for p in SRC.rglob("*.py") if p.name != "beijing.py"
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"\bdate\.today\(\)|datetime\.now\(\)|datetime\.today\(\)", line)]
    assert not found, found

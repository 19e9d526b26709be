"""The letter's text worked out faster, said the same (issue 13, one case fast): the dates' patterns that start at a
literal character, and the texts cached under the registered switches."""

from __future__ import annotations

import re
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from wengang import explain
from wengang.rules import interpretations

# the patterns as they were written first (each tried at every character): the reference the faster ones must equal
_ISO_DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")
_SPACE_BEFORE_DATE = re.compile(r"(?<=[^\x00-\x7f]) (?=\d{4}年\d{1,2}月\d{1,2}日)")
_SPACE_AFTER_DATE = re.compile(r"(?<=\d年|\d月)(\d{1,2}日) (?=[^\x00-\x7f])")


def _reference(text: str) -> str:
    text = _ISO_DATE.sub(lambda m: f"{int(m.group(1))}年{int(m.group(2))}月{int(m.group(3))}日", text)
    return _SPACE_AFTER_DATE.sub(r"\1", _SPACE_BEFORE_DATE.sub("", text))


# the characters the patterns turn on, and a few others
_PIECES = st.sampled_from(
    ["-", " ", "　", "年", "月", "日", "起", "前", "a", "0", "1", "2", "9", "12", "2025", "2025-08-01", "2026-1-10",
     "2025年8月1日", "5月12日", "12025-08-011", "审核", "通辽市"]
)


@settings(max_examples=500)
@given(st.lists(_PIECES, max_size=30).map("".join))
def test_dates_said_in_chinese_as_the_patterns_tried_at_every_character_say_them(text):
    assert explain.zh_dates(text) == _reference(text)


def test_dates_in_a_letter():
    said = explain.zh_dates("通辽市 在 2026-01-10 没有有效的政策；于 2025年8月12日 前；12025-08-01；5月123日 中")
    assert said == "通辽市 在2026年1月10日没有有效的政策；于2025年8月12日前；12025-08-01；5月123日 中"


def test_a_switch_registered_after_a_text_was_said_is_said_in_the_next_text():
    """The texts are cached under what the registry holds: a switch registered since (a program's module imported
    later) changes the text the next time it is asked for, as if nothing had been cached."""
    docs = ("人社部发〔2024〕40号",)
    title = "测试用的问题（人社部发〔2099〕1号 一）"
    text = f"结果取决于：{title}"
    before = explain._plain(text, "fanhuan", docs)
    assert title in before
    switch = interpretations.Switch(
        name="fanhuan.test_cached_title",
        title=title,
        clauses=("人社部发〔2024〕40号 一",),
        programs=("fanhuan",),
        readings={"a": "甲", "b": "乙"},
        default="a",
        why="测试",
    )
    interpretations.register(switch)
    try:
        after = explain._plain(text, "fanhuan", docs)
        assert after != before
        assert "2099" not in after  # said without the foreign document, citing the case's own clause
        assert "人社部发〔2024〕40号 一" in after
    finally:
        del interpretations.REGISTRY[switch.name]
    assert explain._plain(text, "fanhuan", docs) == before


def test_the_cached_letter_is_the_letter():
    """Two explanations of the same case are the same text, and the case reviewed on another day gets its own."""
    import json
    from pathlib import Path

    from wengang.evaluate import evaluate

    path = next(p for p in sorted((Path(__file__).resolve().parents[1] / "examples").rglob("*.json"))
                if '"_case"' in p.read_text(encoding="utf-8") and '"fanhuan"' in p.read_text(encoding="utf-8"))
    facts = json.loads(path.read_text(encoding="utf-8"))
    case = facts.pop("_case")
    on = date.fromisoformat(case["date"])
    one = explain.explain(evaluate("fanhuan", case["region"], on, facts))
    assert one == explain.explain(evaluate("fanhuan", case["region"], on, facts))
    later = on + timedelta(days=1)
    other = explain.explain(evaluate("fanhuan", case["region"], later, facts))
    said = f"{later.year}年{later.month}月{later.day}日"
    assert said in other and said not in one

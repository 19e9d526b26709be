"""A fact's Chinese label (``rules.engine._fact_label``) is the Chinese half of its description, whatever the spacing
before the slash: "…（分）/ English" keeps no English, and a unit in the Chinese half ("元/人") is not a separator."""

from __future__ import annotations

import re
from datetime import date

import pytest

from wengang.evaluate import evaluate
from wengang.programs import load_all
from wengang.rules.engine import RULESETS, _fact_label

load_all()

CJK = re.compile(r"[\u4e00-\u9fff]")
# English prose: two Latin words side by side ("in fen", "citizen ID"); a code in an operator's note is one word
# (``insured_person_months_last_year``, ``GB/T 4754-2017``, ``gsxt,creditchina``)
PROSE = re.compile(r"[A-Za-z]{2,}'?[a-z]* +[A-Za-z]{2,}")

FIELDS = sorted(
    {(program, name, f.description or "") for (program, _), rs in RULESETS.items()
     for name, f in rs.facts.model_fields.items()}
)  # fmt: skip
RULESET_OF = {program: rs for (program, _), rs in RULESETS.items()}


def test_every_program_has_facts_to_check() -> None:
    assert len({p for p, _, _ in FIELDS}) == len({p for p, _ in RULESETS}) and len(FIELDS) > 200


@pytest.mark.parametrize(("program", "name", "description"), FIELDS, ids=[f"{p}.{n}" for p, n, _ in FIELDS])
def test_label_is_the_whole_chinese_half(program: str, name: str, description: str) -> None:
    label = _fact_label(RULESET_OF[program], name)
    if not description:
        assert label == name
        return
    rest = description[len(label):]
    assert description.startswith(label) and label == label.strip()
    assert CJK.search(label), (label, description)
    assert label.count("（") == label.count("）") and label.count("(") == label.count(")"), label
    # nothing Chinese cut off: what is left is the English half only, after its slash
    assert not CJK.search(rest), (label, rest)
    assert rest == "" or re.match(r"\s*/\s+[A-Za-z0-9\"'(]", rest), (label, rest)
    # and no English half kept: no slash before words, no English prose
    assert not re.search(r"/\s+[A-Za-z]", label) and not PROSE.search(label), (label, description)


def test_no_space_before_the_slash() -> None:
    # "单位缴费基数（分）/ unit's contribution base, in fen": the bracket closes right before the slash
    assert RULESET_OF["fee_rate"].facts.model_fields["unit_base_fen"].description.startswith("单位缴费基数（分）/ ")
    assert _fact_label(RULESET_OF["fee_rate"], "unit_base_fen") == "单位缴费基数（分）"


def test_a_reason_naming_a_missing_fact_has_no_english() -> None:
    # the one fact left open decides the result: the reason names it by its label (its description "…认定）/ meets …")
    d = evaluate(
        "hardship_living_allowance", "150500", date(2025, 9, 1),
        {"id_number": "152301199001010015", "laid_off_or_unemployed": True, "in_living_hardship": True},
        settings={"hardship_allowance_amount": "500元"},
    )  # fmt: skip
    said = [r for r in d.reasons if r.startswith("结论取决于缺失的事实")]
    assert said == ["结论取决于缺失的事实“符合当地规定的临时生活补助条件（本文件未列明，经办机构认定）”"
                    "（meets_local_conditions）：若为“是”：符合条件；若为“否”：不符合条件"], d.reasons



def test_facts_table_columns_take_the_english_half_as_the_labels_split_it() -> None:
    # a description "…（分）/ English" (no space before the slash) gave the facts table (screen --facts) the field
    # name as its English header; it is split as the Chinese label is (ingest.headers)
    from wengang.screening.schemas import facts_schema

    tight = [(p, n, d) for p, n, d in FIELDS if re.search(r"\S/\s+[A-Za-z]", d)]
    assert tight
    checked = 0
    for program, name, description in tight:
        col = {c.name: c for c in facts_schema(RULESET_OF[program].facts).columns}.get(name)
        if col is None:  # not a column of the facts table (a list of past subsidies and the like)
            continue
        checked += 1
        assert col.en == re.split(r"\s*/\s+", description, maxsplit=1)[1].strip(), (program, name)
    assert checked

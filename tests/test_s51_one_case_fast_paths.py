"""One case's shorter paths say and decide the same (issue 13, one case fast; session 51): the facts copied from a
model of plain fields instead of dumped, a check's detail lines said once without the regular expression when none
names a code it is not, an ISO date read without normalising it first, a resolution's dated provisions sorted once."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Annotated

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, PlainSerializer, field_serializer

from wengang.evaluate import _as_data, _plain_fields, normalise_facts, program_model, validate_facts
from wengang.ingest import values as V
from wengang.rules import engine

ROOT = Path(__file__).resolve().parents[1]


def _examples() -> list[tuple[str, dict]]:
    out = []
    for path in sorted((ROOT / "examples").rglob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        case = data.pop("_case", None)
        if case:
            out.append((case["program"], data))
    return out


@pytest.mark.parametrize(("program", "facts"), _examples(), ids=lambda x: x if isinstance(x, str) else "")
def test_the_facts_copied_from_the_model_equal_its_dump(program: str, facts: dict) -> None:
    model = program_model(program)
    data, _ = normalise_facts(model, facts)
    validated = validate_facts(model, data, normalised=True)
    assert _as_data(validated) == validated.model_dump()
    assert [type(v) for v in _as_data(validated).values()] == [type(v) for v in validated.model_dump().values()]


class _Item(BaseModel):
    amount_fen: int


class _Nested(BaseModel):
    items: list[_Item] | None = None


class _Serialized(BaseModel):
    amount_fen: int

    @field_serializer("amount_fen")
    def _yuan(self, v: int) -> str:
        return f"{v / 100:.2f}"


class _AnnotatedSerializer(BaseModel):
    amount_fen: Annotated[int, PlainSerializer(lambda v: str(v))]


class _Extra(BaseModel):
    model_config = ConfigDict(extra="allow")
    a: int = 1


@pytest.mark.parametrize("model", [_Nested, _Serialized, _AnnotatedSerializer, _Extra])
def test_a_model_whose_dump_is_not_its_fields_is_dumped(model: type[BaseModel]) -> None:
    assert not _plain_fields(model)
    instance = {
        _Nested: lambda: _Nested(items=[_Item(amount_fen=5)]),
        _Serialized: lambda: _Serialized(amount_fen=150),
        _AnnotatedSerializer: lambda: _AnnotatedSerializer(amount_fen=3),
        _Extra: lambda: _Extra(a=2, b=3),  # type: ignore[call-arg]
    }[model]()
    assert _as_data(instance) == instance.model_dump()
    assert _as_data(instance) != dict(instance.__dict__)  # (each one the copy would have read wrong)


def test_the_skill_subsidy_facts_with_past_subsidies_are_dumped() -> None:
    model = program_model("skill_subsidy")
    assert not _plain_fields(model)  # its past subsidies are models of their own


# the detail lines as they were tidied before the shortcut: the reference the shorter path must equal
_NOT_CODE = re.compile(r"（非[^（）]*）$")


def _tidy_reference(parts: list[str]) -> list[str]:
    plain = [_NOT_CODE.sub("", p) for p in parts]
    seen: dict[str, int] = {}
    for b in plain:
        seen[b] = seen.get(b, 0) + 1
    return list(dict.fromkeys(b if seen[b] > 1 else p for p, b in zip(parts, plain, strict=True)))


_LINES = st.sampled_from(
    ["单位类型：企业", "单位类型：企业（非机关事业单位）", "单位类型：企业（非社会团体）", "参保月数 13个月 ≥ 12个月",
     "（非", "是否：否", "单位类型：企业（非）", "x（非y）z", ""]
)


@settings(max_examples=400)
@given(st.lists(_LINES, max_size=8))
def test_detail_lines_tidied_as_before(parts: list[str]) -> None:
    assert engine._tidy_detail(parts) == _tidy_reference(parts)


@settings(max_examples=400)
@given(st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)))
def test_an_iso_date_is_read_as_every_other_form_reads_it(day: date) -> None:
    iso = day.isoformat()
    # the same date written so that only the general path reads it (a space around the separators)
    general = iso.replace("-", " - ")
    try:
        expected = V.parse_date(general)
    except V.ValueProblem as problem:
        with pytest.raises(V.ValueProblem) as got:
            V.parse_date(iso)
        assert got.value.zh.replace(general, iso) == problem.zh.replace(general, iso)
        return
    assert V.parse_date(iso) == expected == day


@pytest.mark.parametrize("text", ["2025-02-30", "2025-13-01", "0999-01-01", "1800-05-05", "2025-00-10"])
def test_an_iso_form_that_is_no_date_is_refused(text: str) -> None:
    with pytest.raises(V.ValueProblem, match="日期无效"):
        V.parse_date(text)


def test_a_resolutions_dated_provisions_are_its_parameters_with_an_end() -> None:
    from wengang.policies import load_policy_set

    res = load_policy_set().resolve(region="150000", on=date(2019, 6, 1), program="fanhuan")
    assert res.dated_params == tuple(sorted((p.valid_to, n) for n, p in res.params.items() if p.valid_to is not None))
    assert res.dated_params is res.dated_params  # worked out once

"""What a check line and a letter (``wengang evaluate --explain``, :func:`wengang.explain.explain`) say, as a person
reads them (audit of explanations and citations, session 40): codes in Chinese, the branch that decided, each figure
once, money to the fen, the clause that holds the rule, an open switch not called adopted, no operator's hints, the
agency and a Chinese date at the foot, switches cited in the decisions' notation."""

from __future__ import annotations

import json
import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from tests.programs.test_cases import CASES
from wengang.evaluate import evaluate
from wengang.explain import explain
from wengang.programs import load_all
from wengang.rules import interpretations
from wengang.rules.engine import PERIOD_DATE, Decision

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _decide(case: dict[str, Any]) -> Decision | None:
    on = case["date"] if isinstance(case["date"], date) else date.fromisoformat(str(case["date"]))
    try:
        return evaluate(case["program"], str(case["region"]), on, case["facts"], readings=case.get("readings"),
                        settings=case.get("settings"), include_drafts=case.get("drafts", False))  # fmt: skip
    except Exception:  # noqa: BLE001 - a case that expects an input error has no letter
        return None


@cache
def _all() -> tuple[tuple[str, Decision], ...]:
    return tuple((cid, d) for cid, case in CASES if (d := _decide(case)) is not None)


def _case(prefix: str) -> Decision:
    case = next(c for cid, c in CASES if cid.startswith(prefix + " "))
    d = _decide(case)
    assert d is not None
    return d


def _example(name: str) -> Decision:
    facts = json.loads((EXAMPLES / name).read_text("utf-8"))
    meta = facts.pop("_case")
    return evaluate(meta["program"], str(meta["region"]), date.fromisoformat(meta["date"]), facts)


# a code after a comparison or a fact's colon: ``= enterprise``, ``≠ individual_business``, ``：civil_aviation``
CODE = re.compile(r"(?:[=≠]\s*|：)([a-z][a-z_]{2,}(?:,[a-z_]+)*)(?![A-Za-z0-9_])")


def test_d1_no_code_in_any_check_line_output_or_letter() -> None:
    bad = []
    for cid, d in _all():
        texts = [c.detail for c in d.checks] + [v for _, _, v in d.outputs] + [explain(d)]
        bad += [(cid, m.group(0)) for t in texts for m in CODE.finditer(t)]
    assert not bad, bad[:10]


def test_d1_industry_and_platform_codes_read_in_chinese() -> None:
    d = _example("misc/deferral_injury_civil_aviation.json")
    scope = next(c for c in d.checks if c.id == "in_scope")
    assert "所属特困行业：民航" in scope.detail and "civil_aviation" not in scope.detail
    assert "单位类型：企业" in scope.detail and "enterprise" not in scope.detail
    shown = [v for cid, d in _all() if cid.startswith("fanhuan[") for i, _, v in d.outputs if i == "exclusion_query"]
    assert shown and not any(re.search(r"gsxt|creditchina", v) for v in shown), shown
    assert any("国家企业信用信息公示系统" in v for v in shown)


def test_d2_an_or_that_holds_shows_its_branch_once() -> None:
    d = _example("misc/deferral_injury_civil_aviation.json")
    for c in d.checks:
        parts = c.detail.split("；")
        assert len(parts) == len(set(parts)), c.detail  # each line once
    scope = next(c for c in d.checks if c.id == "in_scope")
    assert scope.detail == "单位类型：企业；所属特困行业：民航", scope.detail  # the branch that decided, alone
    for _, d in _all():
        for c in d.checks:
            parts = c.detail.split("；") if c.detail else []
            assert len(parts) == len(set(parts)), (d.program, c.id, c.detail)


def test_d3_the_article_15_test_cites_the_regulation() -> None:
    seen = 0
    for _, d in _all():
        for c in d.checks:
            if "第十五条规定的停止享受失业保险待遇" in c.label:
                seen += 1
                assert "国务院令第258号 第十五条" in c.citations, (d.program, c.citations)
                assert not any("86号" in x for x in c.citations), (d.program, c.citations)
    assert seen


def test_d4_the_2019_fund_reserve_is_not_applicable_not_passed() -> None:
    d = _case("fanhuan[56]")
    c = next(c for c in d.checks if c.id == "fund_reserve")
    assert c.passed is True and d.status == "eligible"  # the decision is unchanged
    assert c.mark == "—" and "不适用" in c.detail
    line = next(x for x in explain(d).splitlines() if "返还的前提" in x)
    assert "✔" not in line and "不适用" in line


def test_d5_an_open_switch_is_listed_as_open_not_adopted() -> None:
    d = _case("fanhuan[21]")
    assert d.status == "needs_decision"
    text = explain(d)
    title = interpretations.get("fanhuan.months_fully_paid").title
    open_part, _, adopted = text.partition("本次审核采用的政策理解：")
    assert "待认定的政策理解" in open_part and title in open_part.split("待认定的政策理解", 1)[1]
    assert title not in adopted
    line = next(x for x in text.splitlines() if x.lstrip("　 ").startswith(("✔ 足额缴纳", "？ 足额缴纳")))
    assert line.lstrip("　 ").startswith("？") and "结果取决于待认定的政策理解" in line


def test_d6_no_operator_hint_or_field_name_in_a_letter() -> None:
    bad = []
    for cid, d in _all():
        text = explain(d)
        for word in ("提供方法", "--setting", "--region-data", ".yaml", "facts.md", "http", "第三方转载", "版本 ",
                     "假设分析"):
            if word in text:
                bad.append((cid, word))
        bad += [(cid, m.group(0)) for m in re.finditer(r"[（(][a-z][a-z0-9_]*_[a-z0-9_]+[）)]", text)]
    assert not bad, bad[:10]
    text = explain(_case("deferral[9]"))
    assert "本统筹地区是否为受疫情严重影响地区" in text  # what is missing, said in Chinese


def test_d7_money_is_shown_to_the_fen() -> None:
    d = _example("misc/training_fund_draw_tongliao.json")
    text = " ".join(c.detail for c in d.checks) + explain(d)
    assert not re.search(r"\d\.\d{3,}元", text), text
    assert "617,283.94元" in text
    for _, d in _all():
        for c in d.checks:
            assert not re.search(r"\d\.\d{3,}元|≈[\d,.]+元", c.detail), c.detail


def test_d9_each_bound_is_shown_once() -> None:
    bad = []
    for cid, d in _all():
        for c in d.checks:
            # a bound's label then its value again: ``≥ 3个月 3个月``, ``< 1个（含）以上 1``, ``≥ 参保月数条件（12个月） 12个月``
            bad += [(cid, m.group(0)) for m in re.finditer(r"[≥≤<>] [^ ；]+ \d", c.detail)]
            bad += [(cid, m.group(0)) for m in re.finditer(r"年龄 \d+年", c.detail)]  # an age is in 岁
    assert not bad, bad[:10]
    d = _case("fanhuan[21]")
    known = next(c for c in d.checks if c.id == "months_total_known")
    assert known.passed is True and known.detail == "累计足额缴费月数：20个月", known.detail
    assert "1年（12个月）" in next(c for c in _example("misc/deferral_injury_civil_aviation.json").checks
                                 if c.id == "period").detail


def test_d10_a_letter_is_signed_by_the_agency_with_a_chinese_date() -> None:
    for _, d in _all()[:40]:
        last = explain(d).rstrip().splitlines()[-1]
        assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日$", last), last
        assert d.on.isoformat() not in last
        assert last.split("　")[0] != d.region_name, last


def test_i1_the_period_switch_cites_clauses_that_set_a_period() -> None:
    clauses = PERIOD_DATE.clauses
    assert "晋人社厅发〔2024〕28号 二" not in clauses and "内人社办发〔2022〕86号 （三）11" not in clauses
    assert {"人社部发〔2024〕40号 二", "人社部发〔2024〕40号 三", "内人社发〔2025〕18号 末段"} <= set(clauses)
    texts = "".join(p.read_text("utf-8") for p in Path("/work/shared/policy-texts").glob("*.txt")) if Path(
        "/work/shared/policy-texts").is_dir() else ""
    if texts:
        assert "执行期限至" in texts


def test_i3_switches_cite_in_the_decisions_notation() -> None:
    load_all()
    for s in interpretations.REGISTRY.values():
        for c in s.clauses:
            assert not re.search(r"86号\s*三[（(]|[（(]\s*$|\([一二三四五]\)", c), (s.name, c)
            assert not c.startswith(("兵团征求意见稿", "失业保险条例")), (s.name, c)
            assert not re.search(r"86号（", c), (s.name, c)

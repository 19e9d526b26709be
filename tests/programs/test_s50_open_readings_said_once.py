"""A 待认定 decision's letter, its `wengang evaluate` text and the ledger's explanation of it name as 尚待认定 only the
readings its result depends on. A reading the outcomes vary over that gives every combination the same result is one
the decision itself says does not affect its conclusion (以下解释不影响结论); the letter had also listed it as 尚待认定 and
marked the checks that read it ？ “结果取决于待认定的政策理解” — two contradicting statements in one letter."""

from __future__ import annotations

import json
from datetime import date

from typer.testing import CliRunner

from wengang.casework.intake import _explain
from wengang.cli import app
from wengang.evaluate import evaluate
from wengang.explain import explain, open_switches
from wengang.rules import interpretations
from wengang.web.demo import APPLICANT_FACTS

# 11 months in a row, 23 in all; no layoffs, 2 leavers: whether leavers count changes the layoff rate (0 or 2/45),
# never the result (both under 5.5 %)
FACTS = {**APPLICANT_FACTS, "months_fully_paid": 11, "months_fully_paid_total": 23}
MATERIAL, IMMATERIAL = "fanhuan.months_fully_paid", "fanhuan.normal_attrition"


def _decision():
    d = evaluate("fanhuan", "150502", date(2025, 8, 1), FACTS)
    assert d.status == "needs_decision"
    # the outcomes vary over both; the decision says the second does not affect its conclusion
    varying = {k for o in d.outcomes for k in o.readings if len({x.readings.get(k) for x in d.outcomes}) > 1}
    assert {MATERIAL, IMMATERIAL} <= varying
    assert interpretations.get(IMMATERIAL).title in d.immaterial_readings
    return d


def test_the_letter_names_as_open_only_what_the_result_depends_on():
    d = _decision()
    assert open_switches(d) == [MATERIAL]
    text = explain(d)
    open_part = text.split("尚待认定的政策理解（经办机构尚未认定）：", 1)[1].split("本次审核采用的政策理解", 1)[0]
    material, immaterial = (interpretations.get(s).title for s in (MATERIAL, IMMATERIAL))
    assert material in open_part and immaterial not in open_part, open_part
    assert f"以下解释不影响结论：{immaterial}" in text
    lines = {line.strip("　 ")[2:12]: line.strip("　 ")[0] for line in text.splitlines() if line.startswith("　") and line.strip("　 ")[:1] in "✔✘？—"}
    assert lines["足额缴纳失业保险费1"] == "？" and lines["上年度未裁员，或裁员"] == "✔", lines
    assert "结果取决于待认定的政策理解：计算裁员率" not in text


def test_the_evaluate_text_and_the_ledger_say_the_same(tmp_path):
    d = _decision()
    ev = json.loads(json.dumps(d.to_dict(), default=str))
    ledger = _explain(ev).splitlines()
    assert next(x for x in ledger if "足额缴纳失业保险费12个月以上：" in x).startswith("？")
    assert next(x for x in ledger if x[2:].startswith("上年度未裁员")).startswith("✔")
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(FACTS, ensure_ascii=False), encoding="utf-8")
    r = CliRunner().invoke(app, ["evaluate", "--program", "fanhuan", "-r", "150502", "--date", "2025-08-01", str(facts)])
    assert r.exit_code == 4 and "待认定" in r.output, r.output  # 4: 待认定 (wengang.cli EXIT_NEEDS_DECISION)
    marks = {x.strip()[2:8]: x.strip()[:1] for x in r.output.splitlines() if x.strip()[:1] in "✔✘？—"}
    assert marks["足额缴纳失业"] == "？" and marks["上年度未裁员"] == "✔", marks

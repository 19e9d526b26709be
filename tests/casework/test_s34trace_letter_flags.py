"""A letter to a unit or person carries the rules' checks, not the agency's verification flags.

晋人社厅发〔2024〕28号 二 has the agency query the exclusion lists on the day of review and archive the record; a
decision without that record is eligible with a flag (``核查：……请查询并存档后再发放``) and a check of kind flag
(``✘ 已于审核之日查询……并存档``). Both tell the caseworker what to do before paying: ``case show`` shows them, the
letter (``letter_input``) leaves them out and keeps the conditions' checks."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from urllib.parse import quote

from ledger_helpers import register_staff
from typer.testing import CliRunner

from wengang.casework.cli import case_app
from wengang.casework.intake import decision_from_obj
from wengang.casework.outputs import _flag_checks, letter_input, recipient_trace
from wengang.documents.letters import compose_letter
from wengang.evaluate import evaluate
from wengang.programs import load_all
from wengang.rules.engine import FLAG, RULESETS, render_label

AGENCY = {"name": "阳泉市人力资源和社会保障局", "review_body": "阳泉市人民政府", "court": "阳泉市城区人民法院"}
FLAG_TEXT = "缺少审核之日的排除情形查询存档（查询日期须为审核之日，并记录所查平台和记录编号）：请查询并存档后再发放"
FLAG_CHECK = "已于审核之日查询国家企业信用信息公示系统、信用中国等平台并存档"
CONDITIONS = ("足额缴纳失业保险费12个月以上", "未被列为严重违法失信企业", "未列入经营异常名录")


def _decision():
    facts = json.loads(Path("examples/fanhuan/eligible_sme.json").read_text("utf-8"))
    facts.pop("_case")
    facts["region_code"] = "140300"
    d = evaluate("fanhuan", "140300", date(2024, 8, 1), facts)
    assert d.status == "eligible" and d.flags == [FLAG_TEXT], d.flags
    assert [c.passed for c in d.checks if c.id == "exclusion_query_recorded"] == [False]
    dec = decision_from_obj(json.loads(json.dumps(d.to_dict(), default=str)))
    assert f"核查：{FLAG_TEXT}" in dec.explanation and f"✘ {FLAG_CHECK}" in dec.explanation  # the trace has both
    return dec


def _letter(view: dict) -> str:
    item = letter_input(view)
    assert item is not None
    return "\n".join(compose_letter(item, AGENCY, issued_on=date(2024, 9, 1)).paragraphs)


def test_letter_keeps_checks_and_leaves_out_flags_while_case_show_keeps_them(db) -> None:
    led = db.open()
    try:
        register_staff(led)
        did = led.self_apply(_decision(), "clerk", today=date(2024, 8, 1))
        led.first_review(did, "clerk", approve=True, reason="材料齐全")
        led.second_review(did, "checker", approve=True, reason="复审通过")
        view = led.letter_view(did)
    finally:
        led.close()
    letter = _letter(view)
    assert "符合稳岗返还条件" in letter or "核定" in letter, letter
    for cond in CONDITIONS:  # the conditions' checks stay, with the document and clause the letter cites
        assert cond in letter, (cond, letter)
    assert "晋人社厅发〔2024〕28号" in letter
    assert "请查询并存档后再发放" not in letter and "排除情形查询存档" not in letter, letter
    assert FLAG_CHECK not in letter and "核查" not in letter, letter

    url = db.url if db.schema is None else f"{db.url}?options={quote(f'-csearch_path={db.schema}')}"
    r = CliRunner().invoke(case_app, ["show", str(did), "--db", url, "-u", "clerk"])
    assert r.exit_code == 0, r.output
    shown = "".join(r.output.split())  # rich wraps long lines
    assert f"核查：{FLAG_TEXT}" in shown and f"✘{FLAG_CHECK}" in shown, r.output


def test_every_flag_check_is_typed_by_the_rules_and_no_condition_is_taken_for_one() -> None:
    load_all()
    programs = {p for p, _ in RULESETS}
    seen_flag = 0
    for program in programs:
        pattern = _flag_checks(program)
        for (p, _), ruleset in RULESETS.items():
            if p != program:
                continue
            for check in ruleset.checks:
                line = f"✔ {render_label(check.label, {}, {})}：细节"
                dropped = recipient_trace(line, program) == []
                assert dropped == (check.kind == FLAG), (program, check.id, check.kind)
                seen_flag += check.kind == FLAG
        assert pattern is None or pattern.pattern.endswith("：")
    assert seen_flag > 10


def test_only_the_agency_lines_go() -> None:
    explanation = "\n".join([
        "判定结论：符合条件，金额1,000.00元（依据 晋人社厅发〔2024〕28号 二，审核日期 2024-08-01）",
        "✔ 足额缴纳失业保险费12个月以上：连续足额缴费月数 36个月 ≥ 12个月",
        f"✘ {FLAG_CHECK}（查询日期、平台、记录编号）：排除情形查询日期 未知",
        "✘ 【核查】有对公账户（银行账户等信息完善）：有对公账户：否",  # explain.explain's tag for a flag check
        "理由：不属于生活困难人员",
        f"核查：{FLAG_TEXT}",
        "采用的政策理解：“足额缴纳失业保险费12个月以上”是否要求连续：累计足额缴费满12个月即可",
    ])  # fmt: skip
    kept = recipient_trace(explanation, "fanhuan")
    assert kept == [explanation.splitlines()[i] for i in (0, 1, 4, 6)], kept
    # a reviewer's reason that happens to start like a flag is not the trace: reasons are not filtered
    view = {
        "id": 1, "program": "fanhuan", "unit_id": "91140300MA0N1234XN", "unit_name": "某公司",
        "policy_doc": "晋人社厅发〔2024〕28号", "clause": "二", "explanation": explanation, "history": [],
        "reviews": [{"stage": 1, "approve": False, "reason": "核查：营业执照已注销"}], "year": 2024,
        "entitlement": {"amount_fen": None}, "reasons": [], "disqualification": None, "status": "eligible",
        "state": "rejected",
    }  # fmt: skip
    letter = _letter(view)
    assert "营业执照已注销" in letter and "请查询并存档后再发放" not in letter and "对公账户" not in letter
    assert not re.search(r"【核查】", letter)

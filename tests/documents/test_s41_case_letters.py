"""Letters from the ledger (``wengang case letters``), outside audit session 41, items 7–9.

7. A 无法判定 decision found by 免申即享 screening is not a 补正材料告知书: the unit never applied (内人社发〔2025〕18号 四
   “以短信等方式告知企业，无需企业申请”; “自主申请，无需上传材料”) and the missing 企业划型 is the agency's own data.
   The letter says the agency completes the data; a fact only the unit can give is asked for as a fact.
8. (a) A refusal held because a row it rests on was quarantined (``screening.holds.REFUSAL_TO_VERIFY``, imported as
   待认定) is told the data is being verified — no “政策条款的不同理解”, no table row, no “不予发放…待核实后发放”.
   (b) A real 待认定 告知书 lists each reading's outcome, also from the screening's packed ``outcomes`` text.
9. A 决定书 states the 划型, the base and the rate the amount rests on; its number is a 文书编号, not the ledger's id.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from wengang.casework.outputs import letter_input
from wengang.documents import letters
from wengang.documents.letters import compose_letter
from wengang.documents.recipient import recipient_text
from wengang.screening.holds import REFUSAL_TO_VERIFY

AGENCY = {"name": "通辽市人力资源和社会保障局", "review_body": "通辽市人民政府", "court": "有管辖权的人民法院",
          "phone": "12333"}
ON = date(2026, 12, 7)
DOC = "内人社发〔2025〕18号"
READINGS = {"fanhuan.months_fully_paid": "cumulative", "fanhuan.normal_attrition": "excluded",
            "fanhuan.layoff_rate_formula": "year_end", "fanhuan.small_unit_rule": "workforce",
            "fanhuan.size_class_existing": "verify", "fanhuan.size_class_where_silent": "standard_2017"}
ROW = "月度缴费记录第 1562 行格式有误，待核实后发放"


def _view(**over: Any) -> dict[str, Any]:
    """What ``Ledger.letter_view`` gives for a 稳岗返还 decision imported from a screening run (as in the auditor's
    ledger, /tmp/aud_rep/led)."""
    v: dict[str, Any] = {
        "id": 2, "origin": "screening", "year": 2025, "program": "fanhuan", "unit_id": "91150524MA00000155",
        "unit_name": "通辽示范1号单位", "region_code": "150524", "policy_doc": DOC, "clause": "一",
        "status": "not_determinable", "amount_fen": None, "reasons": ["缺少数据：企业划型未确定，无法确定适用的返还比例"],
        "explanation": f"筛查结论：无法判定（依据 {DOC} 一）\n✘ 缺少数据：企业划型未确定，无法确定适用的返还比例",
        "readings": READINGS, "size_class": None, "state": "pending_determination", "hold_reason": None,
        "payee_channel": None, "entitlement": {"status": "not_determinable", "amount_fen": None, "size_class": None},
        "payments": [], "recoveries": [], "reviews": [], "history": [], "disqualification": None, "settlement": [],
        "returns": {},
    }
    v.update(over)
    return v


def _letter(view: dict[str, Any], **extra: Any) -> str:
    item = letter_input(view)
    assert item is not None
    item.update(extra)
    return compose_letter(item, AGENCY, issued_on=ON).text()


# ---------------------------------------------------------------------------------------------------- item 7


def test_a_screened_unit_is_not_asked_for_application_materials() -> None:
    for extra in ({}, {"origin": "screening"}):  # the ledger's letter input as it is, and with the decision's origin
        text = _letter(_view(), **extra)
        assert "申请材料不齐全" not in text and "补正材料" not in text, text
        assert "请提供能证明该事项的材料" not in text and "补正以下" not in text, text
        assert text.startswith("稳岗返还无法判定告知书"), text
        assert "无需企业申请" in text and "无需提交材料" in text, text  # 内人社发〔2025〕18号 四, quoted
        assert "由本机构核实补全" in text and "企业划型未确定" in text, text


def test_a_screened_unit_is_asked_only_for_what_is_its_own_to_give() -> None:
    reasons = ["缺少数据：企业划型未确定，无法确定适用的返还比例", "缺少数据：单位对公账户信息"]
    text = _letter(_view(reasons=reasons), origin="screening")
    ours, _, theirs = text.partition("请你单位告知以下事项（无需提交材料）：")
    assert theirs, text
    assert "企业划型未确定" in ours and "企业划型" not in theirs.split("适用文件")[0], text
    assert "单位对公账户信息" in theirs, text
    assert "材料或说明" not in text, text


def test_a_self_application_under_a_document_that_asks_no_documents_is_asked_for_facts_not_uploads() -> None:
    view = _view(origin="self_application",
                 explanation=f"判定结论：无法判定（依据 {DOC} 一）\n✘ 缺少数据：企业划型未确定，无法确定适用的返还比例")
    text = _letter(view, origin="self_application")
    assert "申请材料不齐全" not in text and "请提供能证明该事项的材料" not in text, text
    assert "无需上传材料" in text and "请说明该事项" in text, text


def test_a_self_application_under_another_document_still_gets_the_correction_notice() -> None:
    view = _view(origin="self_application", policy_doc="内政发〔2019〕4号",
                 explanation="判定结论：无法判定（依据 内政发〔2019〕4号 一）\n✘ 缺少数据：上年度实际缴纳失业保险费")
    text = _letter(view, reasons=["缺少数据：上年度实际缴纳失业保险费"])
    assert text.startswith("稳岗返还补正材料告知书") and "请提供能证明该事项的材料或说明" in text, text


# ---------------------------------------------------------------------------------------------------- item 8


def test_the_verification_prefix_is_the_screenings() -> None:
    assert letters.REFUSAL_TO_VERIFY == REFUSAL_TO_VERIFY  # letters keeps a copy (holds loads polars)


def test_a_refusal_held_for_verification_says_the_data_is_being_verified() -> None:
    hold = REFUSAL_TO_VERIFY + ROW
    view = _view(id=130, status="ineligible", reasons=["不符合“足额缴纳失业保险费12个月以上”"], hold_reason=hold,
                 explanation=f"筛查结论：不符合条件（依据 {DOC} 一）\n✘ 不符合“足额缴纳失业保险费12个月以上”\n暂缓发放：{hold}")
    for extra in ({}, {"hold_reason": hold}):
        text = _letter(view, **extra)
        assert text.startswith("稳岗返还数据核实告知书"), text
        assert "政策条款的不同理解" not in text, text
        assert "第 1562 行" not in text and "1562" not in text and "格式有误" not in text, text
        assert "不予发放" not in text and "不符合条件" not in text, text
        assert "正在核实" in text and "“足额缴纳失业保险费12个月以上”" in text, text
        assert "本告知书不是最终决定" in text and "行政复议" not in text, text


def test_no_letter_names_an_input_tables_row() -> None:
    assert recipient_text(f"暂缓发放：{ROW}") == "暂缓发放：所依据的部分数据正在核实，核实后发放"
    assert recipient_text("《中华人民共和国行政诉讼法》第四十六条") == "《中华人民共和国行政诉讼法》第四十六条"
    # an eligible decision held on a quarantined row: its 决定书 says the payment waits, not where
    view = _view(id=5, status="eligible", amount_fen=138586, state="held", hold_reason=ROW, reasons=[],
                 explanation=f"筛查结论：符合条件，金额 1,385.86元（依据 {DOC} 一）\n暂缓发放：{ROW}",
                 entitlement={"status": "eligible", "amount_fen": 138586, "size_class": "micro"})
    text = _letter(view)
    assert "1562" not in text and "所依据的部分数据正在核实" in text, text


def test_a_pending_letter_lists_each_readings_outcome_from_the_screenings_outcomes() -> None:
    view = _view(id=420, status="needs_decision", reasons=["结果取决于尚未认定的政策解释"],
                 explanation=f"筛查结论：待认定（依据 {DOC} 一）\n✘ 结果取决于尚未认定的政策解释")
    text = _letter(view, readings=READINGS,
                   outcomes="默认:eligible:143844|fanhuan.months_fully_paid=consecutive:ineligible:")
    assert "1. 按“足额缴纳失业保险费12个月以上”是否要求连续为“累计足额缴费满12个月即可" in text, text
    assert "符合条件，金额人民币1,438.44元" in text, text
    assert "2. 按“足额缴纳失业保险费12个月以上”是否要求连续为“须截至审核时连续足额缴费12个月以上”的理解：不符合条件。" in text, text
    # without outcomes the letter does not end its first sentence on a colon with nothing after it
    bare = _letter(view)
    assert "以下条款的认定" not in bare and "本机构将依法认定后另行作出决定。" in bare, bare


# ---------------------------------------------------------------------------------------------------- item 9


def _eligible(**over: Any) -> dict[str, Any]:
    return _view(id=3, status="eligible", amount_fen=107784, state="paid", reasons=[], size_class="micro",
                 explanation=f"筛查结论：符合条件，金额 1,077.84元（依据 {DOC} 一）",
                 entitlement={"status": "eligible", "amount_fen": 107784, "size_class": "micro"}, **over)


def test_a_decision_letter_states_the_size_class_and_the_rate_it_rests_on() -> None:
    text = _letter(_eligible(), size_class="micro", base_fen=179640)
    assert "企业划型：微型企业" in text, text
    assert "返还基数（企业及其职工上年度实际缴纳失业保险费）：1,796.40元" in text, text
    assert f"适用返还比例：60%（{DOC} 一“中小微企业按 60% 返还”）" in text, text
    assert text.index("核定依据") < text.index("核定稳岗返还人民币1,077.84元"), text
    large = _letter(_eligible(), size_class="large")
    assert "企业划型：大型企业" in large and "适用返还比例：30%" in large, large


def test_a_decision_letter_from_an_evaluation_states_its_outputs() -> None:
    d = {"program": "fanhuan", "program_label": "稳岗返还", "subject_id": "91150502MA0000001X", "subject_name": "某公司",
         "status": "eligible", "amount_fen": 1118430, "policy": {"number": DOC, "clause": "一"},
         "outputs": [{"id": "rate", "label": "适用返还比例", "value": "60%", "citations": [f"{DOC} 一"]},
                     {"id": "base", "label": "返还基数（企业及其职工上年度实际缴纳失业保险费）", "value": "18,640.50元"},
                     {"id": "size_class", "label": "企业划型", "value": "小型企业"},
                     {"id": "size_class_basis", "label": "划型依据", "value": "已认定的企业划型"}]}
    text = compose_letter(d, AGENCY, issued_on=ON).text()
    assert ("核定依据：企业划型：小型企业（划型依据：已认定的企业划型）；返还基数（企业及其职工上年度实际缴纳失业保险费）："
            f"18,640.50元；适用返还比例：60%（{DOC} 一）。") in text, text


def test_the_number_is_a_document_number_not_the_ledgers_id() -> None:
    text = _letter(_eligible())
    assert "\n编号：3\n" not in text and "编号：稳岗返还决〔2026〕000003号" in text, text
    pending = _letter(_view())
    assert "编号：稳岗返还告〔2026〕000002号" in pending, pending
    assert letters.document_number({"decision_id": "12"}, {"doc_prefix": "通人社稳"}, "决定书", ON) == "通人社稳决〔2026〕000012号"
    assert letters.document_number({}, AGENCY, "决定书", ON) is None
    # a reference the caller gives is kept as it is
    item = letter_input(_eligible())
    assert item is not None
    assert compose_letter(item, AGENCY, issued_on=ON, reference="FH-2025-0001").reference == "FH-2025-0001"

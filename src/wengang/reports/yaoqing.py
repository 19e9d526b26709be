"""A 要情报告 (fund incident report) draft from a risk flag's evidence.

The documents in force for the evidence's region require it (“严格执行……要情报告制度”); the draft cites those of
the region's chain on the day found (:func:`wengang.reports.scope.basis`), never a fixed 文号. The draft is text for a person to complete and sign, never sent by itself: whatever the evidence does not
give is left as “（待填写）”. The evidence is a plain mapping, whatever check raised the flag:

    title, region, found_on, found_by, summary, rule, citation, subjects (list of mappings or strings),
    amount_fen, measures (list), next_steps (list), contact

Identifiers inside the subjects are masked (the draft circulates before anyone has verified it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from wengang.beijing import beijing_today
from wengang.money import format_yuan

TODO = "（待填写）"


def _text(value: Any) -> str:
    from wengang.documents.masking import mask_text

    return mask_text(str(value)) if value not in (None, "") else TODO


def _items(value: Any) -> list[str]:
    if value in (None, "", []):
        return []
    if isinstance(value, str) or not isinstance(value, Sequence):
        return [_text(value)]
    out = []
    for v in value:
        if isinstance(v, Mapping):
            out.append("，".join(f"{k}：{_text(x)}" for k, x in v.items()))
        else:
            out.append(_text(v))
    return out


def yaoqing_basis(evidence: Mapping[str, Any]) -> str:
    """The 要情报告 clauses of the documents in force for the evidence's region (a code or name; the national ones
    when it has none the registry knows) on the day it was found (today when not given or not a date)."""
    from wengang.ingest.values import ValueProblem, parse_date
    from wengang.reports.scope import YAOQING, basis_text

    try:
        on = (
            parse_date(evidence.get("found_on"))
            if evidence.get("found_on") not in (None, "")
            else beijing_today()
        )
    except ValueProblem:
        on = beijing_today()
    return basis_text(YAOQING, [evidence.get("region")], on)


def yaoqing_draft(evidence: Mapping[str, Any]) -> str:
    """The draft's text (plain, Chinese), from ``evidence`` (see the module docstring)."""
    title = evidence.get("title") or "疑似违规领取失业保险基金"
    subjects = _items(evidence.get("subjects"))
    amount = evidence.get("amount_fen")
    amount_text = format_yuan(amount) if isinstance(amount, int) and not isinstance(amount, bool) else TODO
    lines = [
        f"社会保险基金要情报告（草稿）：{_text(title)}",
        "",
        f"报告单位：{_text(evidence.get('reporting_unit'))}",
        f"地区：{_text(evidence.get('region'))}",
        f"发现时间：{_text(evidence.get('found_on'))}        发现方式：{_text(evidence.get('found_by'))}",
        "",
        "一、基本情况",
        _text(evidence.get("summary")),
        "",
        "二、涉及对象与金额",
        f"涉及 {len(subjects)} 个对象，涉及金额 {amount_text}。"
        if subjects
        else f"涉及对象：{TODO}；涉及金额 {amount_text}。",
        *[f"（{i}）{s}" for i, s in enumerate(subjects, start=1)],
        "",
        "三、疑点依据",
        f"核查规则：{_text(evidence.get('rule'))}；政策依据：{_text(evidence.get('citation'))}",
        "",
        "四、已采取的措施",
        *([f"{i}. {m}" for i, m in enumerate(_items(evidence.get("measures")), start=1)] or [TODO]),
        "",
        "五、下一步工作",
        *([f"{i}. {m}" for i, m in enumerate(_items(evidence.get("next_steps")), start=1)] or [TODO]),
        "",
        f"联系人及电话：{_text(evidence.get('contact'))}",
        "",
        f"报告依据：{yaoqing_basis(evidence)}",
        "说明：本草稿由核查疑点自动生成，须经办人员核实、补全并经负责人审核签发后方可报送，不得瞒报谎报。",
    ]
    return "\n".join(lines) + "\n"

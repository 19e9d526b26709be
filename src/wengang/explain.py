"""The Chinese letter a caseworker sends (审核不通过的要准确告知原因), rendered from a decision."""

from __future__ import annotations

import re

from wengang.money import format_yuan
from wengang.rules import interpretations
from wengang.rules.engine import ELIGIBLE, INELIGIBLE, NEEDS_DECISION, NOT_DETERMINABLE, STATUS_ZH, Decision

# a switch's name after its reading's description, as evaluate's period basis gives it
# (``（按申领（申请）日期：…；解释开关 policy.period_date）``): for the caseworker's screens, not for a letter
_SWITCH_NAME_AFTER_READING = re.compile(r"；解释开关 [A-Za-z0-9_]+\.[A-Za-z0-9_]+(?=）)")


def without_switch_names(text: str) -> str:
    """``text`` as a letter says it: a reading by its description only (``（…；解释开关 name）`` → ``（…）``)."""
    return _SWITCH_NAME_AFTER_READING.sub("", text)


def _outcome_text(status: str, amount_fen: int | None, amount_label: str) -> str:
    if status == ELIGIBLE and amount_fen is not None:
        return f"{STATUS_ZH[status]}，{amount_label}{format_yuan(amount_fen)}"
    return STATUS_ZH[status]


def outcome_lines(d: Decision) -> list[str]:
    """One line per distinct result, naming only the readings that lead to it."""
    groups: dict[tuple[str, int | None], list[dict[str, str]]] = {}
    for o in d.outcomes:
        groups.setdefault((o.status, o.amount_fen), []).append(o.readings)
    deciding = [
        s for s in (d.outcomes[0].readings if d.outcomes else {}) if len({o.readings.get(s) for o in d.outcomes}) > 1
    ]
    refusals = {(o.status, o.amount_fen): o.reasons for o in d.outcomes if o.reasons}
    out = []
    for (status, amount), readings in groups.items():
        parts = []
        for name in deciding:
            switch = interpretations.get(name)
            # each reading that leads here, named: several of one switch are listed with “或” (a line once read
            # just “其他理解”, outside fidelity audit, session 39)
            values = list(dict.fromkeys(r.get(name) or switch.default for r in readings))
            parts.append(f"{switch.title}按" + "或".join(f"“{switch.describe(v)}”" for v in values))
        condition = "；".join(parts) or "其他理解"
        # refusal lines belong to the reading that produces them, not to the notice as a whole
        why = "（" + "；".join(refusals[(status, amount)]) + "）" if (status, amount) in refusals else ""
        out.append(f"{condition}：{_outcome_text(status, amount, d.amount_label)}{why}")
    return out


def explain(d: Decision) -> str:
    addressee = "贵单位" if d.subject == "单位" else "您"
    who = d.subject_name or d.subject_id or "申请人"
    ident = f"（{d.subject_id}）" if d.subject_name and d.subject_id else ""
    lines = [f"{who}{ident}："]
    if d.policy_number is None:
        lines.append(f"　　经审核，{addressee}的{d.program_label}事项无法办理：")
        lines += [f"　　{r}" for r in d.reasons]
        lines += ["", f"{d.region_name}　{d.on.isoformat()}"]
        return without_switch_names("\n".join(lines))

    basis = d.policy_citation
    if d.policy_via:
        basis += f"（经{'、'.join(d.policy_via)}转发）"
    if d.policy_status == "draft":
        pending = "，文号待定" if "□" in (d.policy_number or "") else ""
        basis += f"【草稿（征求意见稿）{pending}，结果不作发放依据】"
    lines.append(f"　　依据{basis}，经审核，{addressee}的{d.program_label}审核结果为：{d.status_zh}。")

    if d.status == ELIGIBLE:
        if d.amount_fen is not None:
            cap = "不超过" if d.amount_is_cap else ""
            lines.append(f"　　{d.amount_label}：{cap}{format_yuan(d.amount_fen)}。")
            if d.amount_is_cap:
                lines.append("　　（文件规定为“不超过”的上限标准，具体标准由统筹地区确定。）")
        for _, label, value in d.outputs:
            lines.append(f"　　{label}：{value}")
    elif d.status == INELIGIBLE:
        lines.append(f"　　{addressee}不符合条件的原因如下：")
        lines += [f"　　{i}. {r}" for i, r in enumerate(d.reasons, 1)]
    elif d.status == NEEDS_DECISION:
        lines.append("　　本事项的结果取决于政策条文的理解，需经办机构认定后办理：")
        lines += [f"　　· {text}" for text in outcome_lines(d)]
    elif d.status == NOT_DETERMINABLE:
        lines.append("　　目前无法作出判定，原因如下：")
        lines += [f"　　{i}. {r}" for i, r in enumerate(d.reasons, 1)]

    if d.checks:
        lines += ["", "审核要点："]
        for c in d.checks:
            detail = f"（{c.detail}）" if c.detail else ""
            cite = f"〔{'；'.join(c.citations)}〕" if c.citations else ""
            kind = "【核查】" if c.kind == "flag" else ""
            lines.append(f"　{c.mark} {kind}{c.label}{detail}{cite}")
    if d.period_basis and d.period_date != d.on:
        lines += ["", f"适用政策期间：{d.period_basis}。"]
    if d.notes:
        lines += ["", "说明："]
        lines += [f"　· {n}" for n in d.notes]
    if d.flags:
        lines += ["", "需进一步核查（不影响本次审核结论）："]
        lines += [f"　· {f}" for f in d.flags]
    used = [(k, v) for k, v in d.readings.items()]
    if used:
        lines += ["", "本次审核采用的政策理解："]
        for k, v in used:
            s = interpretations.get(k)
            how = "经办机构认定" if k in d.readings_fixed else "默认"
            lines.append(f"　· {s.title}：{s.describe(v)}（{how}）")
    lines += ["", f"{d.region_name}　{d.on.isoformat()}"]
    return without_switch_names("\n".join(lines))  # the period basis and a reason quoting it

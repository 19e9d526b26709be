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


def open_switches(d: Decision) -> list[str]:
    """The switches a 待认定 decision's result depends on that the agency has not fixed: left open, not adopted."""
    if d.status != NEEDS_DECISION or not d.outcomes:
        return []
    names = dict.fromkeys(k for o in d.outcomes for k in o.readings)
    return [
        s for s in names
        if s not in d.readings_fixed
        and len({o.readings.get(s) or interpretations.get(s).default for o in d.outcomes}) > 1
    ]


def _signature(d: Decision) -> str:
    """The letter's signature: the agency's name (the region's agency block, as the PDF letters sign) and the date
    in Chinese (audit of explanations, session 40: ``通辽市　2025-08-01``)."""
    name = ""
    try:
        from wengang.casework.outputs import agency_config

        name = agency_config([d.region]).get("name") or ""
    except Exception:  # noqa: BLE001 - a region with no agency file: the region's agency, named generically
        name = ""
    name = name or f"{d.region_name}社会保险经办机构"
    return f"{name}　{d.on.year}年{d.on.month}月{d.on.day}日"


def _plain(text: str, program: str) -> str:
    """A text as the unit or person reads it: no operator's hints, no field names (documents.recipient)."""
    from wengang.documents.recipient import recipient_text

    return recipient_text(without_switch_names(text), program)


def explain(d: Decision) -> str:
    addressee = "贵单位" if d.subject == "单位" else "您"
    who = d.subject_name or d.subject_id or "申请人"
    ident = f"（{d.subject_id}）" if d.subject_name and d.subject_id else ""
    lines = [f"{who}{ident}："]
    if d.policy_number is None:
        lines.append(f"　　经审核，{addressee}的{d.program_label}事项无法办理：")
        lines += [f"　　{t}" for t in (_plain(r, d.program) for r in d.reasons) if t]
        lines += ["", _signature(d)]
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
            lines.append(f"　　{_plain(label, d.program)}：{_plain(value, d.program)}")
    elif d.status == INELIGIBLE:
        lines.append(f"　　{addressee}不符合条件的原因如下：")
        reasons = [t for t in (_plain(r, d.program) for r in d.reasons) if t]
        lines += [f"　　{i}. {r}" for i, r in enumerate(reasons, 1)]
    elif d.status == NEEDS_DECISION:
        lines.append("　　本事项的结果取决于政策条文的理解，需经办机构认定后办理：")
        lines += [f"　　· {_plain(text, d.program)}" for text in outcome_lines(d)]
    elif d.status == NOT_DETERMINABLE:
        lines.append("　　目前无法作出判定，原因如下：")
        reasons = [t for t in (_plain(r, d.program) for r in d.reasons) if t]
        lines += [f"　　{i}. {r}" for i, r in enumerate(reasons, 1)]

    left_open = open_switches(d)
    if d.checks:
        lines += ["", "审核要点："]
        for c in d.checks:
            detail = _plain(c.detail, d.program) if c.detail else ""
            detail = f"（{detail}）" if detail else ""
            cite = f"〔{'；'.join(c.citations)}〕" if c.citations else ""
            kind = "【核查】" if c.kind == "flag" else ""
            mark = c.mark
            depends = [s for s in c.switches if s in left_open]
            if depends:
                # the trace is the default reading's: under a switch left open the check holds under one reading only
                mark = "？"
                titles = "；".join(interpretations.get(s).title for s in depends)
                detail += f"（结果取决于待认定的政策理解：{titles}；以上为按默认理解的审核情况）"
            lines.append(f"　{mark} {kind}{_plain(c.label, d.program)}{detail}{cite}")
    if d.period_basis and d.period_date != d.on:
        lines += ["", f"适用政策期间：{d.period_basis}。"]
    notes = [t for t in (_plain(n, d.program) for n in d.notes) if t]
    if notes:
        lines += ["", "说明："]
        lines += [f"　· {n}" for n in notes]
    flags = [t for t in (_plain(f, d.program) for f in d.flags) if t]
    if flags:
        lines += ["", "需进一步核查（不影响本次审核结论）："]
        lines += [f"　· {f}" for f in flags]
    # a switch the result depends on and the agency has not fixed is open, not adopted (audit of explanations,
    # session 40: a 待认定 letter said the default reading of the very switch it asked about was adopted)
    used = [(k, v) for k, v in d.readings.items() if k not in left_open]
    if left_open:
        lines += ["", "尚待认定的政策理解（经办机构尚未认定）："]
        for k in left_open:
            sw = interpretations.get(k)
            options = "；或".join(f"“{sw.describe(v)}”" for v in sw.readings)
            lines.append(f"　· {_plain(sw.title, d.program)}：{_plain(options, d.program)}")
    if used:
        lines += ["", "本次审核采用的政策理解："]
        for k, v in used:
            sw = interpretations.get(k)
            how = "经办机构认定" if k in d.readings_fixed else "默认"
            lines.append(f"　· {_plain(sw.title, d.program)}：{_plain(sw.describe(v), d.program)}（{how}）")
    lines += ["", _signature(d)]
    return without_switch_names("\n".join(lines))  # the period basis and a reason quoting it

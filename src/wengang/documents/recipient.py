"""What a unit or person reads of a decision's reasons: plain Chinese, nothing only a caseworker can act on.

A decision's reasons, check labels, details and notes are written for the caseworker first: they name the fact or
setting behind a label in brackets (``参保人数（insured_persons_avg）``), say how the agency supplies a missing
region figure (``提供方法：命令行 --setting fund_reserve_years=0.5 …``), and may carry a switch's name or an English
status code. :func:`recipient_text` is the one rewrite every document to a unit or person goes through
(:mod:`.letters`): CLI instructions and file paths go, an identifier in brackets goes (the Chinese label before it
stays), a bare identifier becomes its Chinese label (a setting's, a fact's, a switch's question, a reading's
description, a status's label). The caseworker's screens (``case show``, ``evaluate --explain``) keep the hints.

:func:`region_wait` tells a reason that waits for a region figure (the agency's to supply, not the recipient's)
from one that asks for the recipient's facts.
"""

from __future__ import annotations

import functools
import re

# the engine's and the screening's reason for a missing region figure (rules.engine.build_decision,
# screening.evaluate.reason_text): the labels after it, then settings.supply_hint's instructions
REGION_WAIT = "需经办机构提供地区数据："
# the engine's reason naming the facts the case lacks (rules.engine.build_decision)
MISSING_FACTS = "缺少判定所需数据："

STATUS_ZH = {"eligible": "符合条件", "ineligible": "不符合条件", "needs_decision": "待认定", "not_determinable": "无法判定"}

# settings.supply_hint: "提供方法：命令行 --setting …（示例值…），或在地区数据文件中给出（… 格式见 examples/region-data.yaml）"
_SUPPLY_HINT = re.compile(r"[。；，]?\s*提供方法：.*?(?:region-data\.yaml）|$)", re.S)
# a clause that tells the agency how to supply something (a command-line option, a ``wengang`` command, a file):
# ``如…不足1年，请提供 fund_reserve_years（--setting fund_reserve_years=0.5 或地区数据文件）``,
# ``假设分析：地区数据 … 由 --setting 覆盖为 …``; the whole clause goes, to the next ``；`` or ``。``
_CLI_CLAUSE = re.compile(r"[^；。\n]*(?:--[A-Za-z]|\bwengang\s|[\w/<>-]\.ya?ml\b)[^；。\n]*[；。]?")
# a region figure the decision used, with its provenance (settings.RegionValue.citation: ``地区数据：name = value
# （region，period；来源：…；版本 …）``): the recipient reads the figure and its period, not the agency's sources
_REGION_FIGURE = re.compile(r"地区数据：([a-z_][a-z0-9_]*) = ([^（]*?)（[^，（）]*，([^；（）]*)；来源：.*?；版本 [^）]*）")
# a what-if (``假设分析：…``, evaluate's --setting overrides) is an analysis, never what a recipient is told
_WHAT_IF = "假设分析："
# a fact's label in quotes with its name in brackets (rules.engine: ``缺失的事实“label”（name）``): the label as
# :func:`labels` has it (the engine's is the whole description when it has no " / " to split at)
_QUOTED_NAME = re.compile(r"事实“(.*?)”[（(]([a-z_][a-z0-9_]*)[）)]")
# an identifier in brackets after its Chinese label: a fact, setting or switch name, ``switch=key``, a reason code
# (snake case, as every name of the rules is; not an acronym such as ``（SYB）``, which :func:`_bracket` keeps)
_CODE_BRACKET = re.compile(r"[（(](?:解释开关 ?)?([?]?[a-z_][A-Za-z0-9_.:=,?]*)[）)]")
# a field description's English half after its Chinese one ("中文 / English", also "中文）/ English"): the engine's
# fact label keeps it when the description has no " / " to split at (rules.engine._fact_label)
_ENGLISH_HALF = re.compile(r"\s*/\s+[A-Za-z][^\u3000-\u303f\u4e00-\u9fff\uff01-\uff5e“”]*")
_TEMPLATE_FIELD = re.compile(r"\{[a-z_]+\}")  # a template's field left unfilled (a Note's ``{cite}``)
_SWITCH_NOTE = re.compile(r"[；，]\s*解释开关 ?[A-Za-z0-9_]+\.[A-Za-z0-9_]+(?=[）)])")
_PLACEHOLDER = re.compile(r"〔([A-Za-z_][A-Za-z0-9_]*)〕")
_SWITCH_KEY = re.compile(r"(?<![A-Za-z0-9_])([a-z0-9_]+\.[a-z0-9_]+)=([A-Za-z0-9_]+)")
_SWITCH = re.compile(r"(?<![A-Za-z0-9_.])([a-z_][a-z0-9_]*\.[a-z0-9_]+)(?![A-Za-z0-9_.])")
_REASON_CODE = re.compile(r"(?<![A-Za-z0-9_])(fact:|\?)([a-z_][a-z0-9_]*)")
_IDENT = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z_][A-Za-z0-9_]*(?![A-Za-z0-9_])")
_TIDY = ((re.compile(r"\s*([；，。：、])\s*"), r"\1"), (re.compile(r"[；，]+([。）])"), r"\1"),
         (re.compile(r"([；，。])\1+"), r"\1"), (re.compile(r"[（(]\s*[）)]"), ""), (re.compile(r" {2,}"), " "))


_ASCII_BRACKET = re.compile(r"[（(][^（）()]*[A-Za-z][^（）()]*[）)]")
_ASCII_WORD = re.compile(r"[A-Za-z_]{3,}")


def _short(zh: str) -> str:
    """A field description's Chinese half as a label: its first clause (before ``；``, ``。`` or ``：``), without a
    bracket that holds Latin letters (an operator's note: ``（整数；月均不是整数的，请给 insured_person_months_last_year）``)."""
    out = zh
    while True:  # innermost brackets first: an operator's note may hold a bracket of its own
        shorter = _ASCII_BRACKET.sub("", out)
        if shorter == out:
            break
        out = shorter
    out = re.split(r"[；;。：]", out, maxsplit=1)[0]
    # an operator's example (``，如 gsxt,creditchina（…）``): the comma-separated parts that hold a Latin word go
    out = "，".join(p for p in out.split("，") if not _ASCII_WORD.search(p)) or out
    while out.count("（") > out.count("）"):  # cut inside a bracket: the bracket goes
        out = out[: out.rindex("（")]
    return out.strip()


@functools.cache
def labels() -> dict[str, str]:
    """Every identifier a rule can put in a reason, with its Chinese label: the settings (region figures), the facts of
    every program's facts model (the first clause of the Chinese half of its description), the reason codes of a
    screening result. A label that names another field (``size_class 的来源``) says that field's label."""
    from wengang.programs import load_all
    from wengang.rules.engine import RULESETS
    from wengang.settings import setting_specs

    load_all()
    raw = {name: _short(spec.label) for name, spec in setting_specs().items() if spec.label}
    for ruleset in RULESETS.values():
        for name, field in ruleset.facts.model_fields.items():
            zh = _short(re.split(r"\s*/\s+", field.description or "", maxsplit=1)[0])
            if zh and not _IDENT.fullmatch(zh):
                raw.setdefault(name, zh)
    from wengang.facts.labels import ZH
    from wengang.programs.deferral import HARDSHIP_ZH  # the 特困行业 keys a 缓缴 check compares (``tourism``)

    for code, zh in (*ZH.items(), *HARDSHIP_ZH.items()):
        raw.setdefault(code, zh)
    plain = {k: v for k, v in raw.items() if not _ASCII_WORD.search(v)}
    out = {k: _IDENT.sub(lambda m: plain.get(m.group(0)) or _unnamed(m.group(0)), v) for k, v in raw.items()}
    out.update({"region_data": "地区数据", "no_policy": "有效政策", "needs_decision": "待认定",
                "amount_unknown": "计算金额所需数据", "amount_waits": "计算金额所需的地区数据"})
    out.update(STATUS_ZH)
    return out


def label_of(name: str) -> str | None:
    """The Chinese label of a fact, setting, switch or status code; None if the name is none of them."""
    if name in STATUS_ZH:
        return STATUS_ZH[name]
    if "." in name:
        from wengang.rules import interpretations

        try:
            return interpretations.get(name).title
        except KeyError:
            return None
    return labels().get(name)


@functools.cache
def _check_texts() -> dict[str, tuple[str, str]]:
    """A screening reason code (a check's id) → (its refusal, its label), for a code no reason table translated: the
    check's texts when every program that has a check of this id says the same, else a neutral text."""
    from wengang.rules.engine import RULESETS, render_label

    labels()  # loads every program
    seen: dict[str, set[tuple[str, str]]] = {}
    for ruleset in RULESETS.values():
        for c in ruleset.checks:
            # no document here: a figure is the document's own, not one it fails to give
            label = render_label(c.label, {}, {}, absent="〔文件规定的数值〕")
            refusal = render_label(c.reason, {}, None, absent="〔文件规定的数值〕") if c.reason else f"不符合“{label}”"
            seen.setdefault(c.id, set()).add((refusal, label))
    return {code: next(iter(v)) if len(v) == 1 else ("不符合有关条件", "有关事项") for code, v in seen.items()}


@functools.cache
def _program_check_texts(program: str) -> dict[str, tuple[str, str]]:
    """As :func:`_check_texts`, for the checks of one program: a code several programs share (``per_year``,
    ``insured``) is that program's own refusal, not “不符合有关条件” (person audit, session 38: half the refusal letters to
    persons gave no reason)."""
    from wengang.rules.engine import RULESETS, render_label

    labels()
    seen: dict[str, set[tuple[str, str]]] = {}
    for (prog, _), ruleset in RULESETS.items():
        if prog != program:
            continue
        for c in ruleset.checks:
            # no document here: a figure is the document's own, not one it fails to give
            label = render_label(c.label, {}, {}, absent="〔文件规定的数值〕")
            refusal = render_label(c.reason, {}, None, absent="〔文件规定的数值〕") if c.reason else f"不符合“{label}”"
            seen.setdefault(c.id, set()).add((refusal, label))
    return {code: sorted(v)[0] for code, v in seen.items()}


def _bare_code(text: str, program: str | None = None) -> str | None:
    """A reason that is a code only (``age``, ``?age``, ``fact:name``, ``region_data``): its Chinese text — the
    program's own check when ``program`` is known."""
    m = re.fullmatch(r"(\?|fact:)?([a-z][a-z0-9_]*)", text.strip())
    if m is None:
        return None
    prefix, code = m.groups()
    if prefix == "fact:":
        return f"结论取决于缺失的事实：{label_of(code) or '有关事项'}"
    check = (_program_check_texts(program).get(code) if program else None) or _check_texts().get(code)
    if check is not None:
        return f"缺少数据：{check[1]}" if prefix else check[0]
    label = label_of(code)
    return f"缺少数据：{label or '有关事项'}" if prefix else (label or "有关事项")


def _reading(m: re.Match[str]) -> str:
    from wengang.rules import interpretations

    try:
        return f"“{interpretations.get(m.group(1)).describe(m.group(2))}”"
    except KeyError:
        return "有关政策理解"


def _code(m: re.Match[str]) -> str:
    label = label_of(m.group(2))
    if label is None:
        return "有关事项" if m.group(1) == "?" else m.group(0)
    return f"缺少“{label}”" if m.group(1) == "fact:" else label


@functools.cache
def _internal_names() -> tuple[frozenset[str], frozenset[str]]:
    """The names only the code knows that a rule's text can show when nothing else names the value: the expression
    classes (an operand with no label shows its class: ``Coalesce``) and the policy documents' parameter names."""
    from wengang.policies import load_policy_set
    from wengang.rules import expr

    classes = frozenset(n for n, c in vars(expr).items() if isinstance(c, type) and issubclass(c, expr.Expr))
    params = frozenset(name for doc in load_policy_set().documents for block in doc.programs.values()
                       for name in block.params)
    return classes, params


def _ident(m: re.Match[str]) -> str:
    name = m.group(0)
    label = label_of(name)
    if label is not None:
        return label
    classes, params = _internal_names()
    if name in classes:
        return ""
    if name in params:
        return "文件规定的数值"
    return _unnamed(name)


def _unnamed(name: str) -> str:
    """A name no table labels: snake case is a name of the code (a fact, parameter or switch no longer registered),
    never the recipient's; anything else (an industry code ``N786``, an acronym) is kept."""
    return "有关事项" if re.fullmatch(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+", name) else name


def _bracket(m: re.Match[str]) -> str:
    code = m.group(1)
    if re.search(r"[_.=:?]", code) or label_of(code) is not None or code.islower():
        return ""
    return m.group(0)


def recipient_text(text: str, program: str | None = None) -> str:
    """``text`` (a reason, a check's label or detail, a note) as a unit or person reads it; ``program``: the
    decision's, whose checks name a bare reason code. Idempotent; a text that holds no Latin letter comes back as it
    is, but for an input table's row it names (:func:`without_rows`)."""
    text = without_rows(text)
    if not re.search(r"[A-Za-z]", text):
        return text
    if text.startswith(_WHAT_IF):
        return ""
    bare = _bare_code(text, program)
    if bare is not None:
        text = bare
    out = _REGION_FIGURE.sub(lambda m: f"采用的地区数据：{label_of(m.group(1)) or '有关数据'}为{m.group(2).strip()}"
                             f"（{m.group(3).strip()}）", text)
    at = out.find(REGION_WAIT)  # wherever it stands (``理由：需经办机构提供地区数据：…``): the rest of the text is its
    if at >= 0:  # figures, each by its label (a setting's description may hold an operator's note), then the hint
        out = out[:at] + REGION_WAIT + "；".join(region_wait(out) or ()) + "。"
    out = _SUPPLY_HINT.sub("。", out) if "提供方法：" in out else out
    out = _CLI_CLAUSE.sub("", out)
    out = _SWITCH_NOTE.sub("", out)
    out = _ENGLISH_HALF.sub("", out)
    out = _QUOTED_NAME.sub(lambda m: f"事实“{label_of(m.group(2)) or m.group(1)}”", out)
    out = _CODE_BRACKET.sub(_bracket, out)
    out = _TEMPLATE_FIELD.sub("", out)
    out = _PLACEHOLDER.sub(lambda m: f"〔{label_of(m.group(1)) or '文件规定的数值'}〕", out)
    out = _SWITCH_KEY.sub(_reading, out)
    out = _SWITCH.sub(lambda m: label_of(m.group(1)) or m.group(0), out)
    out = _REASON_CODE.sub(_code, out)
    out = _IDENT.sub(_ident, out)
    for pattern, repl in _TIDY:
        out = pattern.sub(repl, out)
    return out.strip().strip("；，、")


# a quarantined input row as the screening's holds name it (screening.holds: ``月度缴费记录第 1562 行格式有误，待核实后发放``,
# ``…（第 12 行）有误已被隔离…``), and the refusal held on one (holds.REFUSAL_TO_VERIFY ``不予发放的结论所依据的数据有误，
# 待核实后认定：``): the agency's table and row, never the recipient's to read (outside audit, session 41)
_REFUSAL_HELD = re.compile(r"不予发放的结论所依据的数据有误，待核实后认定：[^；。]*")
_ROW_CLAUSE = re.compile(r"[^；。：，\n]*第\s*\d[\d、,，\-–~至 ]*\s*行[^；。]*")


def without_rows(text: str) -> str:
    """``text`` with every clause that names an input table's row said as the recipient reads it: the data is being
    verified (a refusal held on it: the decision follows the verification; a payment held: it is paid after)."""
    if "行" not in text:
        return text
    out = _REFUSAL_HELD.sub("所依据的部分数据正在核实，核实后作出认定", text)
    return _ROW_CLAUSE.sub(lambda m: "所依据的部分数据正在核实" + ("，核实后发放" if "发放" in m.group(0) else ""), out)


def region_wait(text: str) -> list[str] | None:
    """The region figures a reason waits for (their Chinese labels), when it is the reason for a missing region figure
    (:data:`REGION_WAIT`, at the start or after a prefix such as ``理由：``: the figures are the text after it): the
    agency supplies them, the recipient cannot; None for any other reason. The engine writes each figure as
    ``label（name）``: the name gives the label (:func:`labels`); a figure without a name is said as written."""
    at = text.find(REGION_WAIT)
    if at < 0:
        return None
    body = _SUPPLY_HINT.sub("", text[at + len(REGION_WAIT):]).strip().rstrip("。")
    named = [n for n in re.findall(r"[（(]([a-z_][a-z0-9_]*)[）)]", body) if label_of(n)]
    if named:
        return list(dict.fromkeys(label_of(n) or n for n in named))
    return [t for t in (_IDENT.sub(_ident, p).strip() for p in re.split(r"[；;]", body)) if t]


def missing_facts(text: str) -> list[str] | None:
    """The labels of the engine's reason naming the facts a case lacks (:data:`MISSING_FACTS`, at the start or after a
    prefix, as :func:`region_wait`); None for another."""
    at = text.find(MISSING_FACTS)
    if at < 0:
        return None
    body = text[at + len(MISSING_FACTS):]
    return [t for t in (recipient_text(p).rstrip("。") for p in re.split(r"[；;]", body)) if t]

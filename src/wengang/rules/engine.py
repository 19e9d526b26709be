"""Rulesets, one-case evaluation with trace, and the decision it produces.

A ``Ruleset`` is what a policy document enacts for one program (``fanhuan`` / ``v2024`` …): named
checks, each with a Chinese label and its expression, and an amount formula. The document in force
supplies the parameter values and their citations; the explanation is rendered from the trace of
the evaluation, never written per case.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from pydantic import BaseModel

from wengang.facts.labels import ZH
from wengang.money import fen_to_yuan, format_yuan
from wengang.rules import interpretations
from wengang.rules.expr import (
    CMP_SYMBOL,
    And,
    ByParam,
    Cmp,
    Coalesce,
    EvalContext,
    Expr,
    Fact,
    IfElse,
    IsIn,
    Lit,
    Not,
    Note,
    Or,
    Param,
    Reading,
    Setting,
    path_step,
)
from wengang.rules.expr import format_value as _format_value

# ---------------------------------------------------------------------------------------------
# a value as a person reads it (audit of explanations, session 40: ``单位类型 企业 = enterprise``,
# ``所属特困行业：civil_aviation``, ``617,283.945元``)

# codes a rule compares that print as their Chinese label, per fact (a code the whole product shares, such as an
# organisation type, is in :data:`wengang.facts.labels.ZH`; these are a fact's own: ``none`` of an industry is
# “不属于所列行业”, not the general “无”)
VALUE_LABELS: dict[str, dict[str, str]] = {}


def register_value_labels(fact: str, labels: Mapping[str, str]) -> None:
    """Chinese labels for the codes fact ``fact`` takes (shown in every check line, output and letter)."""
    VALUE_LABELS.setdefault(fact, {}).update(labels)


def code_label(value: Any, fact: str | None = None) -> Any:
    """``value``'s Chinese label when it is a code (the fact's own labels, then the product's); else ``value``."""
    if isinstance(value, str):
        own = VALUE_LABELS.get(fact) if fact else None
        if own and value in own:
            return own[value]
        if value in ZH:
            return ZH[value]
        if fact is None:  # a code on its own (``"tourism" in the document's list``): a fact's label for it, if one only
            found = {labels[value] for labels in VALUE_LABELS.values() if value in labels}
            if len(found) == 1:
                return found.pop()
        if "," in value and re.fullmatch(r"[a-z_]+(?:\s*,\s*[a-z_]+)+", value):  # a list of codes: ``gsxt,creditchina``
            parts = [code_label(v.strip(), fact) for v in value.split(",")]
            if all(p != v.strip() for p, v in zip(parts, value.split(","), strict=True)):
                return "、".join(parts)
        return value
    if isinstance(value, (list, tuple, set, frozenset)) and any(isinstance(v, str) for v in value):
        items = sorted(value, key=str) if isinstance(value, (set, frozenset)) else value
        return [code_label(v, fact) for v in items]
    return value


def format_value(value: Any, fmt: str | None, fact: str | None = None) -> str:
    """:func:`wengang.rules.expr.format_value` as a person reads it: a code as its Chinese label (``fact``: whose
    codes), money to the fen (an exact share of an amount, 5 % of a balance, rounded down to the fen: what can be
    paid under it, as the decision compares; a sum of fen has no fraction of a fen)."""
    if fmt == "money" and isinstance(value, Fraction) and value.denominator != 1:
        return format_yuan(value.numerator // value.denominator)
    return _format_value(code_label(value, fact), fmt)


ELIGIBLE = "eligible"
INELIGIBLE = "ineligible"
NEEDS_DECISION = "needs_decision"
NOT_DETERMINABLE = "not_determinable"

STATUS_ZH = {
    ELIGIBLE: "符合条件",
    INELIGIBLE: "不符合条件",
    NEEDS_DECISION: "待认定",
    NOT_DETERMINABLE: "无法判定",
}

CONDITION = "condition"  # failing it refuses
FLAG = "flag"  # a risk point: verify, don't refuse


@dataclass
class Check:
    id: str
    label: str  # Chinese statement that is true when the check passes; may hold {param} placeholders
    expr: Expr
    kind: str = CONDITION
    cite: tuple[str, ...] = ()  # parameters whose clause anchors the check besides those it reads
    reason: str | None = None  # Chinese refusal reason; defaults to "不符合：<label>"
    # whether the document in force has this check at all (e.g. an exclusion only some notices list);
    # decided from the resolved parameters, so one case and a whole table drop the same checks
    applies: Callable[[Mapping[str, Any]], bool] | None = None
    # clauses of another document the check states (``国务院令第258号 第十五条`` on a benefit whose own notice does not
    # restate it): cited before any parameter's, and instead of the program's own clause (audit of explanations,
    # session 40: the 第十五条 test was cited to 86号 （四）14, which does not contain it)
    clauses: tuple[str, ...] = ()

    def applies_under(self, params: Mapping[str, Any]) -> bool:
        return self.applies is None or bool(self.applies(params))


@dataclass
class Output:
    """A value the decision reports besides the amount (rate applied, base, dispatch split …)."""

    id: str
    label: str
    expr: Expr
    fmt: str | None = None


@dataclass
class Ruleset:
    program: str
    name: str
    label: str  # Chinese program name
    facts: type[BaseModel]
    checks: list[Check]
    amount: Expr | None = None
    amount_label: str = "金额"
    outputs: list[Output] = field(default_factory=list)
    # values a table's results report beside the decision, not stated in a letter (稳岗返还's 企业划型 as a code: the class
    # the rules decided with, which the results, the 公示 list and the ledger carry); compiled like ``outputs`` by id
    table_outputs: list[Output] = field(default_factory=list)
    subject: str = "单位"  # 单位 or 个人: wording of the letter
    # a program whose applicant may be either (创业担保贷款: a person, partners or a small firm): an expression giving
    # "单位" or "个人" for the case; ``subject`` stays the program's usual one (notices keyed by program read it)
    subject_when: Expr | None = None
    # the amount is reported when it can be computed, but the decision does not wait for it: a benefit whose
    # entitlement is decided by the texts (months) while the money standard is a region figure (失业保险金)
    amount_optional: bool = False
    # when this evaluates true for a case, the amount is a ceiling, not the amount decided (创业担保贷款 without a
    # requested amount: the ceiling the bank fixes the loan within)
    amount_cap_when: Expr | None = None
    # hook to complete facts before evaluation (e.g. derive a size class from its inputs)
    prepare: Callable[[dict[str, Any], Any], dict[str, Any]] | None = None

    def active_exprs(self, params: Mapping[str, Any]) -> list[Expr]:
        out = [c.expr for c in self.checks if c.applies_under(params)] + [o.expr for o in self.outputs]
        return out + ([self.amount] if self.amount is not None else [])


# Which date places a case in a policy period ("执行期限至…", review A2/E2). It selects the document,
# so the engine does not branch on it; the decision says which date it used and, where the review date
# would give another document, which one.
PERIOD_DATE = interpretations.register(
    interpretations.Switch(
        name="policy.period_date",
        title="以哪个日期确定案件适用哪一期政策（“执行期限至…”）",
        # the clauses that set a period (“执行期限至…”, “执行期至…”, “实施期限到…”), as the texts have them
        # (audit of explanations, session 40: 晋28号 二 and 86号 （三）11 set none; 40号 一 is the fee rate's only)
        clauses=(
            "内人社发〔2025〕18号 末段",
            "人社部发〔2024〕40号 一",
            "人社部发〔2024〕40号 二",
            "人社部发〔2024〕40号 三",
            "晋人社厅发〔2024〕28号 一",
            f"{interpretations.BINGTUAN_DRAFT} 一（一）",
            f"{interpretations.BINGTUAN_DRAFT} 一（二）",
            f"{interpretations.BINGTUAN_DRAFT} 一（三）",
            "内人社办发〔2022〕86号 （二）4",
            "内人社办发〔2022〕86号 （二）5",
            "内人社办发〔2022〕86号 （三）8",
            "内人社办发〔2022〕86号 （三）9",
            "内人社办发〔2022〕86号 （三）10",
        ),
        readings={
            "application": "按申领（申请）日期：在某文件执行期限内提出、审核时该期限已过的申请，仍按该文件审核；其他情形（含事实中无申领日期的，如免申即享筛查的单位）按审核日期有效的政策",
            "review": "按审核日期：审核时已过执行期限的，按审核日有效的政策（或无政策）办理",
            "certificate": "按证书发证日期（仅技能提升补贴；无发证日期的按申领日期），规则同上",
        },
        default="application",
        why="“执行期限至…”限定的是政策的适用期间；申请人在期限内提出申请，即已在政策期间内主张权利，经办机构审核的先后不应改变其适用的政策（评审 E2、A2：2024年12月的申请在2025年1月审核，应适用2024年政策）。",
        programs=("*",),
    )
)

RULESETS: dict[tuple[str, str], Ruleset] = {}
PROGRAM_LABELS: dict[str, str] = {}


def register(ruleset: Ruleset) -> Ruleset:
    key = (ruleset.program, ruleset.name)
    if key in RULESETS:
        raise ValueError(f"ruleset {key} registered twice")
    RULESETS[key] = ruleset
    PROGRAM_LABELS.setdefault(ruleset.program, ruleset.label)
    return ruleset


# ---------------------------------------------------------------------------------------------
# decision


_MARKS = {True: "✔", False: "✘", None: "？"}


@dataclass
class CheckResult:
    id: str
    label: str
    kind: str
    passed: bool | None
    detail: str
    citations: list[str]
    # the interpretation switches the check reads (a reading below it): a check under a switch left open holds under
    # one reading only, and its line says so (audit of explanations, session 40)
    switches: tuple[str, ...] = ()
    # the check does not bind this case under the reading in force (a :class:`NotApplicable` on its path): it passes,
    # and is shown as not applicable, not as a ✔ of a fact never checked
    applicable: bool = True

    @property
    def mark(self) -> str:
        return _MARKS[self.passed] if self.applicable else "—"


@dataclass
class Outcome:
    readings: dict[str, str]
    status: str
    amount_fen: int | None
    reasons: list[str] = field(default_factory=list)  # refusal lines under these readings
    # undeterminable under these readings because a region figure is missing (not a fact of the case)
    waits_for_region: bool = False
    # the missing region figures its undetermined conditions (or amount) read on the path they took
    waits_for: tuple[str, ...] = ()
    # undeterminable: every fact and figure it lacks on that path (two readings that lack different data differ)
    lacks: tuple[str, ...] = ()
    # undeterminable: readings on that path unknown under each of their readings (not branched on), with what each
    # other reading lacks there (``Undetermined.alternatives``)
    alternatives: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = field(default_factory=dict)


@dataclass
class Decision:
    program: str
    program_label: str
    subject: str
    subject_id: str
    subject_name: str
    region: str
    region_name: str
    on: date
    status: str
    amount_fen: int | None = None
    amount_is_cap: bool = False
    policy_number: str | None = None
    policy_id: str | None = None
    policy_clause: str | None = None
    policy_via: list[str] = field(default_factory=list)
    policy_status: str | None = None
    ruleset: str | None = None
    checks: list[CheckResult] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    readings: dict[str, str] = field(default_factory=dict)
    readings_fixed: dict[str, str] = field(default_factory=dict)
    # readings the operator gave for switches the document in force fixes (not applied; readings_set_by_document)
    readings_by_document: dict[str, dict[str, str]] = field(default_factory=dict)
    outcomes: list[Outcome] = field(default_factory=list)
    outputs: list[tuple[str, str, str]] = field(default_factory=list)  # (id, label, formatted value)
    # the clauses each output's figure rests on (the parameters on its path): a letter that states a figure cites them
    # (audit of explanations, session 40: a 失业保险金 letter stated 领取期限 without 条例 第十七条)
    output_citations: dict[str, list[str]] = field(default_factory=dict)
    amount_label: str = "金额"
    missing_settings: list[str] = field(default_factory=list)
    # which date placed the case in a policy period (application / certificate / review) and why
    period_date: date | None = None
    period_basis: str | None = None
    # region data used (each with its source), what-if overrides, readings open but immaterial …
    notes: list[str] = field(default_factory=list)
    immaterial_readings: list[str] = field(default_factory=list)
    read_settings: list[str] = field(default_factory=list)

    @property
    def status_zh(self) -> str:
        return STATUS_ZH[self.status]

    @property
    def policy_citation(self) -> str:
        return " ".join(x for x in (self.policy_number, self.policy_clause) if x)

    def to_dict(self) -> dict[str, Any]:
        return {
            "program": self.program,
            "program_label": self.program_label,
            "subject_id": self.subject_id,
            "subject_name": self.subject_name,
            "region": self.region,
            "region_name": self.region_name,
            "date": self.on.isoformat(),
            "status": self.status,
            "status_zh": self.status_zh,
            "amount_fen": self.amount_fen,
            "amount_yuan": None if self.amount_fen is None else str(fen_to_yuan(self.amount_fen)),
            "amount_is_cap": self.amount_is_cap,
            "policy": {
                "id": self.policy_id,
                "number": self.policy_number,
                "clause": self.policy_clause,
                "via": self.policy_via,
                "status": self.policy_status,
                "ruleset": self.ruleset,
            },
            "checks": [
                {
                    "id": c.id,
                    "label": c.label,
                    "kind": c.kind,
                    "passed": c.passed,
                    "detail": c.detail,
                    "citations": c.citations,
                    # (only when they say something: a check not applicable, the switches it reads)
                    **({"applicable": False} if not c.applicable else {}),
                    **({"switches": list(c.switches)} if c.switches else {}),
                }
                for c in self.checks
            ],
            "reasons": self.reasons,
            "flags": self.flags,
            "outputs": [
                {"id": i, "label": label, "value": v, **({"citations": self.output_citations[i]} if self.output_citations.get(i) else {})}
                for i, label, v in self.outputs
            ],
            "readings": self.readings,
            "readings_fixed": self.readings_fixed,
            **({"readings_by_document": self.readings_by_document} if self.readings_by_document else {}),
            "outcomes": [
                {"readings": o.readings, "status": o.status, "amount_fen": o.amount_fen, "reasons": o.reasons}
                for o in self.outcomes
            ],
            "missing_settings": self.missing_settings,
            "period_date": None if self.period_date is None else self.period_date.isoformat(),
            "period_basis": self.period_basis,
            "notes": self.notes,
            "immaterial_readings": self.immaterial_readings,
        }


# ---------------------------------------------------------------------------------------------
# rendering from the trace

_PLACEHOLDER = re.compile(r"\{([a-z0-9_]+)\}")


def _format_param(param: Any) -> str:
    unit = getattr(param, "unit", None)
    value = param.value
    if unit == "percent":
        return format_value(value, "percent")
    if unit in ("yuan", "yuan_10k"):
        return format_value(value, "money")
    if isinstance(value, Fraction):
        return format_value(value, "percent")
    return format_value(value, None)


# ``{quote:name}``: the words of the document in force that parameter ``name`` quotes (a reason that states the
# condition as the document in force writes it, not as another document does)
_QUOTE_PLACEHOLDER = re.compile(r"\{quote:([a-z0-9_]+)\}")


def render_label(
    template: str, params: Mapping[str, Any], settings: Mapping[str, Any] | None = None, *, absent: str | None = None
) -> str:
    """``template`` with its figures: the document's (``params``), else the region's (``settings``), else ``absent``
    when given (a text for no document in particular: the figure is the document's, just not known here), else said
    to be unset (:data:`UNSET_FIGURE`: the document in force gives none)."""
    if "{" not in template:  # no placeholder
        return template
    if "{quote:" in template:
        template = _QUOTE_PLACEHOLDER.sub(
            lambda m: f"“{params[m.group(1)].quote}”" if getattr(params.get(m.group(1)), "quote", None) else "", template
        ).replace("（）", "")  # no document (a text shown for every program): the sentence without its quote

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name in params:
            return _format_param(params[name])
        if settings is not None and settings.get(name) is not None:
            value = settings[name]
            return format_value(value, "percent" if isinstance(value, Fraction) else None)
        return absent if absent is not None else _unset_figure(name)

    return _PLACEHOLDER.sub(sub, template)


# a figure the document in force does not give and no region datum supplies, in a label or reason: said in Chinese,
# never as its code (outside fidelity audit, session 39: “裁员率不高于〔max_layoff_rate〕” in a Shanxi letter)
UNSET_FIGURE = "（文件未给出数值，须由经办机构提供）"


def _unset_figure(name: str) -> str:
    label = _setting_label(name)
    return f"{label}{UNSET_FIGURE}" if label else UNSET_FIGURE


_SETTING_LABELS: dict[str, str] = {}


def _setting_label(name: str) -> str:
    """The Chinese label of the region setting ``name`` (empty when it is none, or its label holds Latin letters)."""
    if not _SETTING_LABELS:
        try:
            from wengang.settings import setting_specs

            specs = setting_specs()
        except Exception:  # noqa: BLE001 - a label is a courtesy; the fallback text says the same without it
            return ""
        # the label's first words: its own note in brackets (“（政府工作报告，本文件未给出数值）”) would say it twice
        short = {n: re.split(r"[（(；]", sp.label, maxsplit=1)[0].strip() for n, sp in specs.items() if sp.label}
        _SETTING_LABELS.update({n: v for n, v in short.items() if v and not re.search(r"[A-Za-z]", v)})
    return _SETTING_LABELS.get(name, "")


_NEGATE = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "=="}


_CMP, _LOGIC, _NOT, _IFELSE, _READING, _ISIN, _FACT, _NOTE, _OTHER = range(9)
_DESCRIBE_KINDS: dict[type, int] = {}


def _describe_kind(cls: type) -> int:
    """What :func:`_describe` does with a node of this class (cached per class: the first match in this order)."""
    kind = _DESCRIBE_KINDS.get(cls)
    if kind is None:
        order = ((Cmp, _CMP), (And, _LOGIC), (Or, _LOGIC), (Not, _NOT), (IfElse, _IFELSE), (Reading, _READING), (IsIn, _ISIN), (Fact, _FACT), (Note, _NOTE))
        kind = _DESCRIBE_KINDS[cls] = next((k for base, k in order if issubclass(cls, base)), _OTHER)
    return kind


def _trace_value(node: Expr, ctx: EvalContext) -> Any:
    """``node``'s value in the evaluation (None: not reached). A literal's, a parameter's or a fact's value is not
    kept in the trace (it is the node's, the document's or the case's whatever the path): it is read again here."""
    value = ctx.values.get(id(node), _UNSET)
    if value is _UNSET:
        return node.eval(ctx) if isinstance(node, (Lit, Param, Fact)) else None
    return value


_ISIN_LIT = -2  # a code (a literal) tested against a list
_DYNAMIC = -1  # an if-else, a reading, a note, an and/or: what it shows depends on the path the evaluation took


def _fact_name(node: Expr) -> str | None:
    return node.name if isinstance(node, Fact) else None


def _output_fact(expr: Expr) -> str | None:
    """The fact whose codes an output shows (the first fact below it with labels of its own), if any."""
    found = expr.__dict__.get("_output_fact", _UNSET)
    if found is _UNSET:
        found = next((n.name for n in expr.walk() if isinstance(n, Fact) and n.name in VALUE_LABELS), None)
        expr.__dict__["_output_fact"] = found
    return found


def _describe_plan(node: Expr) -> tuple[tuple[Any, ...], ...]:
    """What :func:`_describe` shows for ``node``, with the fixed text of each comparison prepared. Cached: nodes are
    not changed once built."""
    plan = node.__dict__.get("_describe_plan")
    if plan is not None:
        return plan
    kind = _describe_kind(type(node))
    if kind == _CMP:
        assert isinstance(node, Cmp)
        b_fmt = node.b.fmt or node.a.fmt
        # a code compared with a fact reads as the fact's label for it (``单位类型：企业``, not ``= enterprise``)
        plan = (
            (
                _CMP,
                node,
                f"{node.a.show()} ",
                node.a.fmt,
                b_fmt,
                node.b.label,
                *_operand(node.a, node.a.fmt, None),
                *_operand(node.b, b_fmt, _fact_name(node.a)),
            ),
        )
    elif kind == _NOT:
        assert isinstance(node, Not)
        plan = _describe_plan(node.a)
    elif kind in (_IFELSE, _READING, _NOTE, _LOGIC):
        plan = ((_DYNAMIC, node),)
    elif kind == _ISIN:
        assert isinstance(node, IsIn)
        if isinstance(node.a, Lit) and node.a.label is None:
            # a code tested against a list the document gives (``tourism`` in its 特困行业): whether it is listed
            plan = ((_ISIN_LIT, node, f"{format_value(node.a.value, None)}属于文件所列范围：", None),)
        else:
            plan = ((_ISIN, node, f"{node.a.show()}：", node.a.fmt),)
    elif kind == _FACT:
        plan = ((_FACT, node, f"{node.show()}：", node.fmt),)
    else:
        plan = ()
    node.__dict__["_describe_plan"] = plan
    return plan


_TRACED, _OF_FACT, _SHOWN, _OF_DOCUMENT = range(4)


def _operand(node: Expr, fmt: str | None, fact: str | None) -> tuple[int, Any]:
    """Where a comparison's operand's value is read: the trace (by id), the facts (by name), nowhere (a literal:
    its text, formatted once, a code as the label of the fact ``fact`` it is compared with) or the document (a
    parameter, evaluated again); see :func:`_trace_value`."""
    if isinstance(node, Lit):
        return _SHOWN, format_value(node.value, fmt, fact)
    if isinstance(node, Fact):
        return _OF_FACT, node.name
    if isinstance(node, Param):
        return _OF_DOCUMENT, node
    return _TRACED, id(node)


def _operand_text(where: int, key: Any, fmt: str | None, ctx: EvalContext) -> str:
    """An operand's value as shown, read where :func:`_operand` said (``key``: its id, name, text or node)."""
    if where == _TRACED:
        return format_value(ctx.values.get(key), fmt)
    if where == _OF_FACT:
        return format_value(ctx.facts.get(key), fmt, key)
    return key if where == _SHOWN else format_value(key.eval(ctx), fmt)


_NUMBER = re.compile(r"\d+(?:\.\d+)?")


@functools.lru_cache(maxsize=4096)  # a document's figure against its label: the same texts case after case
def _bound_text(label: str | None, value: str) -> str:
    """The other side of a comparison: its label and its value, the value once (``1年（12个月）``; a label that
    already states it, ``3个月`` or ``参保月数条件（12个月）``, alone)."""
    if not label:
        return value
    numbers = _NUMBER.findall(value.replace(",", ""))
    if value in label or (numbers and all(n in label.replace(",", "") for n in numbers)):
        return label
    return f"{label}（{value}）"


def _cmp_text(n: Cmp, value: Any, left: str, x: str, y: str, right: str | None) -> str:
    if n.op in ("==", "!=") and isinstance(n.b, Lit) and isinstance(n.b.value, str) and not right:
        # a fact against one of its codes: what the fact is, and when it is not the one named, which one was not met
        if value is None or x == "未知":
            return f"{left}：{x}"
        matched = (value is True) == (n.op == "==")
        return f"{left}：{x}" if matched else f"{left}：{x}（非{y}）"
    bound = _bound_text(right, y)
    if "岁" in bound and x.endswith("年"):  # an age: in 岁, as the text states its limit
        x = x[:-1] + "岁"
    if value is None:  # an operand unknown: no ≤ or ≥ is asserted, the two are shown side by side
        return f"{left} {x}，对照 {bound}"
    op = n.op if value else _NEGATE[n.op]
    return f"{left} {x} {CMP_SYMBOL[op]} {bound}"


def _describe(node: Expr, ctx: EvalContext, out: list[str]) -> None:
    values = ctx.values  # the trace: every node the evaluation reached, with its value
    if id(node) not in values and not isinstance(node, Fact):
        return
    for item in _describe_plan(node):
        kind, n = item[0], item[1]
        if kind == _CMP:
            value = values.get(id(n), _UNSET)
            if value is _UNSET:
                continue
            _, _, left, a_fmt, b_fmt, right, a_from, a, b_from, b = item
            x, y = _operand_text(a_from, a, a_fmt, ctx), _operand_text(b_from, b, b_fmt, ctx)
            out.append(_cmp_text(n, value, left.rstrip(), x, y, right))
        elif kind == _DYNAMIC:
            _describe_path(n, ctx, out)
        elif kind == _FACT:
            # a fact is not kept in the trace; every node described here was evaluated (the parts of a
            # reached and/or/not, the branch an if-else took, a reading's chosen option, a note's content)
            out.append(f"{item[2]}{format_value(ctx.facts.get(n.name), item[3], n.name)}")
        elif kind == _ISIN_LIT:
            if id(n) in values:
                out.append(f"{item[2]}{format_value(values[id(n)], 'bool' if values[id(n)] is not None else None)}")
        elif id(n) in values:  # is in
            out.append(f"{item[2]}{format_value(_trace_value(n.a, ctx), item[3], _fact_name(n.a))}")


_NOT_CODE = re.compile(r"（非[^（）]*）$")


def _tidy_detail(parts: list[str]) -> list[str]:
    """A check's detail lines, each said once: a fact stated against several codes (``单位类型：企业（非机关事业单位）``,
    ``单位类型：企业（非…）``) is stated once, without the codes it is not."""
    if not any("（非" in p for p in parts):  # (most checks: nothing to drop, each line said once)
        return list(dict.fromkeys(parts))
    plain = [_NOT_CODE.sub("", p) for p in parts]
    seen: dict[str, int] = {}
    for b in plain:
        seen[b] = seen.get(b, 0) + 1
    return list(dict.fromkeys(b if seen[b] > 1 else p for p, b in zip(parts, plain, strict=True)))


def _describe_decisive(node: Expr, ctx: EvalContext, out: list[str]) -> None:
    """The part of an and/or that decided it, said even when it compares nothing: its label (``未申请具体缓缴期限``)
    or the fact it tests (``累计足额缴费月数：24个月`` for “已知”)."""
    before = len(out)
    _describe(node, ctx, out)
    if len(out) > before:
        return
    inner = node
    while isinstance(inner, Not) and inner.label is None:
        inner = inner.a
    if inner.label:
        out.append(inner.label)
        return
    fact = getattr(inner, "a", None)
    if isinstance(fact, Fact) and fact.label:
        out.append(f"{fact.label}：{format_value(ctx.facts.get(fact.name), fact.fmt, fact.name)}")


def _describe_logic(node: And | Or, ctx: EvalContext, out: list[str]) -> None:
    """An and/or as it decided: an or that holds by the branch that holds, an and that fails by the part that fails
    (not every branch of a long or: the 缓缴 scope check once listed fifteen, ``单位类型 企业 = enterprise`` four
    times); otherwise every part (each one counts)."""
    decisive = node.decisive
    if ctx.values.get(id(node), _UNSET) is decisive:
        for p in node.parts:
            if _trace_value(p, ctx) is decisive:
                _describe_decisive(p, ctx, out)
                return
    for p in node.parts:
        _describe(p, ctx, out)


def _describe_path(node: Expr, ctx: EvalContext, out: list[str]) -> None:
    """An if-else, a reading, a note or an and/or: the path the evaluation took."""
    if id(node) not in ctx.values:
        return
    if isinstance(node, (And, Or)):
        _describe_logic(node, ctx, out)
    elif isinstance(node, IfElse):
        _describe(node.cond, ctx, out)
        cond = _trace_value(node.cond, ctx)
        if cond is not None:
            _describe(node.then if cond else node.otherwise, ctx, out)
    elif isinstance(node, Reading):
        _describe(node.choose(ctx.params, ctx.readings), ctx, out)
    else:
        assert isinstance(node, Note)
        out.append(node.render(ctx.params))
        _describe(node.inner, ctx, out)


def _static_params(node: Expr) -> tuple[str, ...] | None:
    """The parameters ``node`` cites whatever the case, in first-visit order, when nothing below it chooses
    a path (no if-else, no reading); else None. Cached: nodes are not changed once built."""
    cached = node.__dict__.get("_static_params", _UNSET)
    if cached is _UNSET:
        nodes = tuple(node.walk())
        if any(isinstance(n, (IfElse, Reading, Note)) for n in nodes):  # a note may cite a parameter
            cached = None
        else:
            cached = tuple(dict.fromkeys(n.name for n in nodes if isinstance(n, Param)))
        node.__dict__["_static_params"] = cached
    return cached


_UNSET: Any = object()


def _cited_params(node: Expr, ctx: EvalContext, out: dict[str, None], seen: set[int] | None = None) -> None:
    """Parameters on the path the evaluation took (not those of untaken branches or readings)."""
    # a sub-expression with no path to choose cites the same parameters every time; only an if-else, a reading or
    # a note chooses (or cites) by the case. Citing is idempotent (first citations keep their order), so a node
    # reached twice is visited once
    if seen is None:
        seen = set()
    for item in _citation_plan(node):
        if type(item) is tuple:
            for name in item:
                out.setdefault(name, None)
            continue
        if id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, Note):
            if item.cite is not None and item.cite in ctx.params:
                out.setdefault(item.cite, None)
            _cited_params(item.inner, ctx, out, seen)
        elif isinstance(item, Reading):
            if item.fixed_by and item.fixed_by in ctx.params:
                out.setdefault(item.fixed_by, None)
            _cited_params(item.choose(ctx.params, ctx.readings), ctx, out, seen)
        else:
            assert isinstance(item, IfElse)
            _cited_params(item.cond, ctx, out, seen)
            cond = _trace_value(item.cond, ctx)
            branches = (item.then, item.otherwise) if cond is None else ((item.then,) if cond else (item.otherwise,))
            for b in branches:
                _cited_params(b, ctx, out, seen)


def _citation_plan(node: Expr) -> tuple[Any, ...]:
    """``node``'s citations in visit order: tuples of parameter names cited whatever the path, and the if-else,
    reading and note nodes that choose by the case (each once). Cached: nodes are not changed once built."""
    plan = node.__dict__.get("_citation_plan")
    if plan is not None:
        return plan
    static = _static_params(node)
    if static is not None:
        plan = (static,) if static else ()
    elif isinstance(node, (Note, Reading, IfElse)):
        plan = (node,)
    else:
        items: list[Any] = []
        names: dict[str, None] = {}
        seen: set[int] = set()
        pending: list[str] = []
        for child in node.children():
            for item in _citation_plan(child):
                if type(item) is tuple:
                    pending += [n for n in item if n not in names]
                    names.update(dict.fromkeys(item))
                elif id(item) not in seen:
                    seen.add(id(item))
                    if pending:
                        items.append(tuple(pending))
                        pending = []
                    items.append(item)
        if pending:
            items.append(tuple(pending))
        plan = tuple(items)
    node.__dict__["_citation_plan"] = plan
    return plan


# ---------------------------------------------------------------------------------------------
# evaluation


@dataclass
class Evaluation:
    status: str
    amount_fen: int | None
    results: list[tuple[Check, bool | None]]
    ctx: EvalContext


def active_checks(ruleset: Ruleset, params: Mapping[str, Any]) -> list[Check]:
    return list(_per_document(ruleset, params)[0])


def _per_document(ruleset: Ruleset, params: Mapping[str, Any]) -> tuple[tuple[Check, ...], tuple[str, ...]]:
    """The checks the document in force (``params``) has, and the settings its active rules read under any
    reading, in walk order: the same for every case under it, so kept per document (``params`` held, so its id
    is not reused; rebuilt if the ruleset's checks were changed)."""
    cache = ruleset.__dict__.setdefault("_per_document", {})
    hit = cache.get(id(params))
    if hit is not None and hit[0] is params and hit[1] is ruleset.checks and hit[2] == len(ruleset.checks):
        return hit[3]
    checks = tuple(c for c in ruleset.checks if c.applies_under(params))
    names: dict[str, None] = {}
    for e in ruleset.active_exprs(params):
        for name in settings_read(e):
            names.setdefault(name, None)
    if len(cache) > 64:
        cache.clear()
    out = (checks, tuple(names))
    cache[id(params)] = (params, ruleset.checks, len(ruleset.checks), out)
    return out


def run_checks(ruleset: Ruleset, ctx: EvalContext, checks: Sequence[Check] | None = None) -> Evaluation:
    """``checks``: :func:`active_checks` of ``ctx.params``, when the caller has them already."""
    if checks is None:
        checks = active_checks(ruleset, ctx.params)
    results = [(c, c.expr.eval(ctx)) for c in checks]
    conditions = [v for c, v in results if c.kind == CONDITION]
    if any(v is False for v in conditions):
        status, amount = INELIGIBLE, None
    elif any(v is None for v in conditions):
        status, amount = NOT_DETERMINABLE, None
    else:
        amount = ruleset.amount.eval(ctx) if ruleset.amount is not None else None
        status = NOT_DETERMINABLE if ruleset.amount is not None and amount is None and not ruleset.amount_optional else ELIGIBLE
    return Evaluation(status, amount, results, ctx)


def missing_settings(ruleset: Ruleset, params: Mapping[str, Any], settings: Mapping[str, Any]) -> list[str]:
    """Settings the active rules read that have no value (the same list for one case and a table)."""
    return [name for name in _per_document(ruleset, params)[1] if settings.get(name) is None]


def settings_read(expr: Expr) -> tuple[str, ...]:
    """The settings ``expr`` reads under any reading, in walk order (cached: rules do not change)."""
    names = expr.__dict__.get("_settings_read")
    if names is None:
        names = expr.__dict__["_settings_read"] = tuple(dict.fromkeys(n.name for n in expr.walk() if isinstance(n, Setting)))
    return names


def reads_setting_under(expr: Expr, names: Collection[str], params: Mapping[str, Any], readings: Mapping[str, str]) -> bool:
    """Does ``expr``, under these readings (others at their default), read one of the settings ``names``?"""
    if not names:
        return False
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, Setting) and node.name in names:
            return True
        stack.extend([node.choose(params, readings)] if isinstance(node, Reading) else node.children())
    return False


def waits_for_region(ruleset: Ruleset, ev: Evaluation, absent: Sequence[str]) -> bool:
    """An undeterminable evaluation whose undetermined condition (or amount) is unknown because a missing region
    figure it reads on the path the evaluation took is unknown (:func:`undetermined`)."""
    if ev.status != NOT_DETERMINABLE or not absent:
        return False
    return bool(set(undetermined(ruleset, ev).settings) & set(absent))


@dataclass
class Undetermined:
    """Why an undeterminable evaluation is undetermined: per undetermined condition, and for the amount, the facts
    and region settings whose absence it comes from (:func:`unknown_inputs`)."""

    checks: list[tuple[Check, tuple[str, ...], tuple[str, ...]]]
    amount: tuple[tuple[str, ...], tuple[str, ...]] | None  # None: the amount is known, optional or not reached
    facts: tuple[str, ...]  # every missing fact named above, in order
    settings: tuple[str, ...]  # every missing region setting named above, in order
    # a reading on that path whose value is unknown under every reading (so it is not branched on): switch →
    # its other readings → the facts and settings each of them lacks there
    alternatives: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = field(default_factory=dict)
    # the reasons of the rates the amount took of a negative base (contradictory facts: rules.contradictions)
    contradictions: tuple[str, ...] = ()


def undetermined(ruleset: Ruleset, ev: Evaluation) -> Undetermined:
    """The missing facts and region settings an undeterminable evaluation waits for, followed on the path the
    evaluation took: a figure or fact read only by a branch not taken (a hardship standard for a firm that is
    not a hardship firm, a reading not chosen) is not one of them. The amount is looked at too when a condition is
    undetermined (what it would need is asked at the same time). Kept per evaluation."""
    hit = ev.__dict__.get("_undetermined")
    if hit is not None:
        return hit
    base = ev.ctx
    # the evaluation's values read through, in a context of the analysis' own (the evaluation must not record more
    # than it read); a node it took from another run without evaluating below it has its operands evaluated here,
    # from the same shared values
    ctx = EvalContext(
        facts=base.facts, params=base.params, settings=base.settings, readings=base.readings,
        parent=base.values if base.parent is None else None, base=base.base,
    )  # fmt: skip
    checks: list[tuple[Check, tuple[str, ...], tuple[str, ...]]] = []
    facts: dict[str, None] = {}
    settings: dict[str, None] = {}
    alternatives: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {}
    for check, passed in ev.results:
        if check.kind == CONDITION and passed is None:
            check.expr.eval(ctx)
            f, st = unknown_inputs(check.expr, ctx, alternatives)
            checks.append((check, f, st))
            facts.update(dict.fromkeys(f))
            settings.update(dict.fromkeys(st))
    amount = None
    if ruleset.amount is not None and not ruleset.amount_optional and ev.amount_fen is None and ev.status == NOT_DETERMINABLE:
        if ruleset.amount.eval(ctx) is None:
            amount = unknown_inputs(ruleset.amount, ctx, alternatives)
            facts.update(dict.fromkeys(amount[0]))
            settings.update(dict.fromkeys(amount[1]))
            from wengang.rules import contradictions as _contra

            contradicted = tuple(_contra.text(ruleset, n) for n in _contra.negative_rates(ruleset.amount, ctx))
        else:
            contradicted = ()
    else:
        contradicted = ()
    out = Undetermined(checks, amount, tuple(facts), tuple(settings), alternatives, tuple(dict.fromkeys(contradicted)))
    ev.__dict__["_undetermined"] = out
    return out


def unknown_inputs(
    expr: Expr, ctx: EvalContext, alternatives: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] | None = None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The facts and region settings that make ``expr`` unknown in the evaluation ``ctx`` (every node on its path
    evaluated there): followed down from ``expr`` through the unknown nodes only — an if-else's condition when it
    is unknown, else the branch it took; a reading's chosen option; any other node's unknown operands. A figure a
    branch not taken would read is not among them. ``alternatives``: where a reading met on the way is unknown under
    its other readings too (so the evaluation did not branch on it), what each of them lacks is added there."""
    facts: dict[str, None] = {}
    settings: dict[str, None] = {}
    stack: list[Expr] = [expr]
    seen: set[int] = set()
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, Fact):
            if ctx.facts.get(node.name) is None:
                facts[node.name] = None
            continue
        # only unknown nodes are entered, and an unknown node other than an if-else, a reading or a document's
        # choice evaluated all its operands: each value read from the trace, or computed as the evaluation did
        if isinstance(node, (Lit, Param)) or node.eval(ctx) is not None:
            continue
        if isinstance(node, Setting):
            settings[node.name] = None
            continue
        # (an if-else's condition is read from the trace: this context is the analysis')
        step = path_step(node, ctx)
        stack.extend(step)
        if isinstance(node, Reading) and alternatives is not None and not (node.fixed_by and node.fixed_by in ctx.params):
            for key, option in node.options.items():
                if option is not step[0] and option.eval(ctx) is None:
                    found = alternatives.setdefault(node.switch, {})
                    if key not in found:
                        found[key] = unknown_inputs(option, ctx, alternatives)
    return tuple(facts), tuple(settings)


def _reads_setting(expr: Expr, names: Sequence[str]) -> bool:
    return bool(names) and any(n in names for n in settings_read(expr))


def _named_facts(ruleset: Ruleset, names: Sequence[str]) -> str:
    """Missing facts as a reason names them: each by its Chinese label, with its field name in brackets."""
    return "、".join(f"{_fact_label(ruleset, n)}（{n}）" if n in ruleset.facts.model_fields else n for n in names)


def undetermined_lines(
    ruleset: Ruleset, und: Undetermined, params: Mapping[str, Any], waiting: Sequence[str], settings: Mapping[str, Any] | None = None,
    region_settings: Mapping[str, Any] | None = None,
) -> list[str]:
    """The reasons an undeterminable evaluation gives for what it lacks, each naming the fields actually needed
    (:func:`undetermined`): the region figures it waits for (``waiting``), the undetermined conditions with the
    facts each lacks, and the amount with the facts it lacks (when no condition is undetermined)."""
    from wengang.settings import setting_label

    lines: list[str] = []
    if waiting:
        lines.append("需经办机构提供地区数据：" + "；".join(f"{setting_label(m, region_settings)}（{m}）" for m in waiting))
    unknown = [
        render_label(check.label, params, settings) + (f"（缺少：{_named_facts(ruleset, f)}）" if f else "")
        for check, f, st in und.checks
        if f or not set(st) & set(waiting)
    ]
    if unknown:
        lines.append("缺少判定所需数据：" + "；".join(unknown))
    elif und.amount is not None and und.contradictions and not und.amount[0]:
        lines.extend(und.contradictions)  # contradictory facts, not missing ones (rules.contradictions)
    elif und.amount is not None and (und.amount[0] or not waiting):
        named = und.amount[0]
        lines.append(f"缺少计算{ruleset.amount_label}所需数据" + (f"：{_named_facts(ruleset, named)}" if named else ""))
    return lines


def refusal_lines(ev: Evaluation, params: Mapping[str, Any]) -> list[str]:
    """The refusal text of each failed condition of one evaluation."""
    out = []
    for check, passed in ev.results:
        if check.kind == CONDITION and passed is False:
            # (remembered per document: each reading's outcome of a case says the same refusals again)
            out.append(_label(check.reason, params, None) if check.reason else f"不符合“{_label(check.label, params, ev.ctx.settings)}”")
    return out


def reading_combinations(switches: Sequence[str], fixed: Mapping[str, str]) -> list[dict[str, str]]:
    """Every combination of readings of the unfixed switches; the defaults first."""
    options: list[list[str]] = []
    for name in switches:
        if name in fixed:
            options.append([fixed[name]])
            continue
        switch = interpretations.get(name)
        keys = [switch.default] + [k for k in switch.readings if k != switch.default]
        options.append(keys)
    return [dict(zip(switches, combo, strict=True)) for combo in itertools.product(*options)]


def readings_set_by_document(
    ruleset: Ruleset, params: Mapping[str, Any], given: Mapping[str, str]
) -> dict[str, dict[str, str]]:
    """The readings the operator gave (``given``) for switches the document in force fixes (a ``Reading`` whose
    ``fixed_by`` parameter it sets) wherever its rules read them: such a reading is not applied, the document's is.
    switch → {given, applied, parameter, citation}. A switch read somewhere the document does not fix is left out
    (the given reading applies there). The same for one case and a screening (audit a5, session 42: a ``--reading``
    the document overrode was dropped without a word)."""
    if not given:
        return {}
    fixed: dict[str, tuple[str, str]] = {}
    open_: set[str] = set()
    seen: set[int] = set()
    stack: list[Expr] = list(ruleset.active_exprs(params))
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, ByParam):
            stack.append(node.choose(params))
            continue
        if isinstance(node, Reading):
            if node.fixed_by is not None and node.fixed_by in params:
                fixed.setdefault(node.switch, (str(params[node.fixed_by].value), node.fixed_by))
                stack.append(node.choose(params, {}))
                continue
            open_.add(node.switch)
        stack.extend(node.children())
    out: dict[str, dict[str, str]] = {}
    for switch, key in given.items():
        if switch in fixed and switch not in open_:
            applied, name = fixed[switch]
            p = params[name]
            out[switch] = {
                "given": key, "applied": applied, "parameter": name,
                "citation": p.citation() if hasattr(p, "citation") else name,
            }
    return out


def document_reading_notes(by_document: Mapping[str, Mapping[str, str]], where: str = "") -> list[str]:
    """What a decision (or a screening, ``where`` naming its regions) says of the readings it was given that the
    document in force fixes: each named with the clause that fixes it, and whether the given one was applied."""
    out: list[str] = []
    for switch, d in by_document.items():
        sw = interpretations.get(switch)
        applied = f"“{sw.describe(d['applied'])}”（{d['applied']}）"
        if d["given"] == d["applied"]:
            out.append(
                f"{where}解释开关 {switch}（{sw.title}）由 {d['citation']} 规定为{applied}，与给定的 --reading 相同 / "
                f"the reading {switch}={d['given']} is the one the document in force fixes ({d['parameter']})"
            )
        else:
            out.append(
                f"{where}给定的解释 --reading {switch}={d['given']} 未采用：{sw.title}由 {d['citation']} 规定为{applied}，"
                f"本结论按文件规定 / reading {switch}={d['given']} not applied: the document in force fixes it to "
                f"{d['applied']} ({d['parameter']}, {d['citation']})"
            )
    return out


def evaluate_resolved(
    ruleset: Ruleset,
    resolution: Any,
    facts: Mapping[str, Any],
    *,
    settings: Mapping[str, Any] | None = None,
    fixed: Mapping[str, str] | None = None,
) -> tuple[Evaluation, list[Outcome], dict[str, str]]:
    """Evaluate under the default readings with a trace, then branch only on the switches that are
    *live* for this case (another reading gives a different value somewhere); return the traced
    evaluation, the outcome under every combination of the live switches, and the readings used.

    A switch that never changes a value cannot change the outcome, so this finds the same outcomes as
    trying every combination (which the batch compiler does), at the cost of one evaluation for most
    cases. ``tests/rules`` and the per-program property tests check the two agree.
    """
    fixed = dict(fixed or {})
    params = resolution.params
    settings = dict(settings or {})

    checks = _per_document(ruleset, params)[0]  # the same for every reading: the document decides
    # values of the nodes no reading changes, from every run and probe of this case
    shared: dict[int, Any] = {}

    def traced_reading(switch: str) -> str:
        """The reading the first, traced run reads ``switch`` under."""
        return fixed.get(switch) or interpretations.get(switch).default

    def run(assigned: dict[str, str], base: Mapping[int, Any] | None) -> Evaluation:
        # the first run's values are the trace (it computes its own); another reading's run takes from
        # ``shared`` what no reading changes, and from the trace what none of the readings it changes does
        ctx = EvalContext(facts=facts, params=params, settings=settings, readings=assigned, base=base, shared=shared)
        if base is not None:
            ctx.trace = traced.ctx.values
            ctx.changed = frozenset(s for s, key in assigned.items() if key != traced_reading(s))
        return run_checks(ruleset, ctx, checks)

    traced = run(fixed, None)
    absent = missing_settings(ruleset, params, settings)
    used = {s: traced_reading(s) for s in traced.ctx.reached}
    outcomes: list[Outcome] = []
    todo: list[tuple[dict[str, str], Evaluation, dict[str, None]]] = [(fixed, traced, dict(traced.ctx.live))]
    while todo:
        assigned, ev, live = todo.pop(0)
        free = [s for s in live if s not in assigned]
        if not free:
            shown = {s: assigned.get(s) or interpretations.get(s).default for s in live}
            reasons = refusal_lines(ev, params) if live else []
            waits: tuple[str, ...] = ()
            lacks: tuple[str, ...] = ()
            alternatives: dict[str, dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {}
            if ev.status == NOT_DETERMINABLE:
                und = undetermined(ruleset, ev)
                waits = tuple(s for s in und.settings if s in absent)
                lacks, alternatives = (*und.facts, *und.settings), und.alternatives
                if live:  # what this reading's outcome lacks, named (a 待认定 lists it under the reading)
                    reasons = reasons + undetermined_lines(ruleset, und, params, waits, settings, resolution.region_settings)
            outcomes.append(Outcome(shown, ev.status, ev.amount_fen, reasons, bool(waits), waits, lacks, alternatives))
            continue
        switch = interpretations.get(free[0])
        # the default reading of a free switch is the reading ``ev`` already ran under (an unassigned switch
        # reads its default): same values, same live switches, so that branch takes ``ev`` as it is
        todo.append(({**assigned, free[0]: switch.default}, ev, live))
        for key in [k for k in switch.readings if k != switch.default]:
            branch = {**assigned, free[0]: key}
            nxt = run(branch, shared)
            todo.append((branch, nxt, {**live, **nxt.ctx.live}))
    return traced, outcomes, used


def material_switches(outcomes: Sequence[Outcome], fixed: Mapping[str, str]) -> list[str]:
    """The open readings a result depends on. A switch is *material* when changing its reading alone — every other
    switch held at the same reading — changes the status or the amount in at least one combination of the others;
    otherwise the result is the same function of the other readings whatever it is read as (it is immaterial, and
    the decision says so). Two undeterminable outcomes that lack different data are different results (a reading
    whose data is missing is not immaterial). An outcome lists the switches live on its branch; one it does not list
    gives the same result under each of its readings there (it was not live: no reading of it changes a value), so
    the outcome stands for every one of them. In the order the outcomes name them."""
    names = [s for s in dict.fromkeys(k for o in outcomes for k in o.readings) if s not in fixed]
    options = {s: list(interpretations.get(s).readings) for s in names}
    rows: list[tuple[dict[str, str], tuple[str, int | None, tuple[str, ...]]]] = []
    for o in outcomes:
        unlisted = [s for s in names if s not in o.readings]
        for combo in itertools.product(*(options[s] for s in unlisted)):
            readings = {s: o.readings[s] for s in names if s in o.readings}
            readings.update(zip(unlisted, combo, strict=True))
            rows.append((readings, (o.status, o.amount_fen, o.lacks if o.status == NOT_DETERMINABLE else ())))
    material = []
    for name in names:
        results: dict[tuple[tuple[str, str], ...], set[tuple[str, int | None, tuple[str, ...]]]] = {}
        for readings, result in rows:
            others = tuple(sorted((k, v) for k, v in readings.items() if k != name))
            results.setdefault(others, set()).add(result)
        if any(len(found) > 1 for found in results.values()):
            material.append(name)
    return material


def with_alternatives(ruleset: Ruleset, outcomes: Sequence[Outcome], fixed: Mapping[str, str]) -> list[Outcome]:
    """``outcomes`` with, for each undeterminable one, the readings it was not branched on because their value is
    unknown under each reading (``Outcome.alternatives``) that lack other data under another: that outcome then
    reads such a switch at its default, and each other reading of it is an outcome of its own, undeterminable,
    lacking what that reading lacks there ("还缺少…"). Two readings that both leave a case undeterminable but need
    different data are not the same result (C1: the unit-only base needs the unit's share)."""
    out: list[Outcome] = []
    for oc in outcomes:
        extra_of: dict[tuple[str, str], list[str]] = {}
        if oc.status == NOT_DETERMINABLE:
            for switch, options in oc.alternatives.items():
                if switch in fixed or switch in oc.readings:
                    continue
                for key, (f, st) in options.items():
                    extra = [x for x in (*f, *st) if x not in oc.lacks]
                    if extra:
                        extra_of[(switch, key)] = extra
        if not extra_of:
            out.append(oc)
            continue
        at_default = {s: interpretations.get(s).default for s, _ in extra_of}
        out.append(dataclasses.replace(oc, readings={**oc.readings, **at_default}))
        for (switch, key), extra in extra_of.items():
            lacks = (*oc.lacks, *extra)
            line = "还缺少" + _named_facts(ruleset, extra)
            readings = {**oc.readings, **at_default, switch: key}
            out.append(Outcome(readings, NOT_DETERMINABLE, None, [*oc.reasons, line], False, (), lacks))
    return out


def policy_clause(resolution: Any) -> str | None:
    """The clause of the document in force that enacts the program."""
    clause = getattr(resolution, "clause", None)
    if clause is None:
        block = resolution.document.programs.get(resolution.program)
        clause = getattr(block, "clause", None)
    return clause


def bounded_facts(ruleset: Ruleset, params: Mapping[str, Any]) -> dict[str, list[Any]]:
    """Facts the active rules read that can take only a few values (yes/no, an enumeration): name → values."""
    cache = ruleset.__dict__.setdefault("_bounded_facts", {})
    hit = cache.get(id(params))
    if hit is None or hit[0] is not params or hit[1] is not ruleset.checks or hit[2] != len(ruleset.checks):
        if len(cache) > 64:
            cache.clear()
        hit = cache[id(params)] = (params, ruleset.checks, len(ruleset.checks), _bounded_facts(ruleset, params))
    return {name: list(values) for name, values in hit[3].items()}


def _bounded_facts(ruleset: Ruleset, params: Mapping[str, Any]) -> dict[str, list[Any]]:
    import enum
    import types
    import typing

    read = _facts_whose_null_may_matter(ruleset, ruleset.active_exprs(params))
    # a fact the decision reports (an output such as the size class) is its content: never filled in
    read -= {n.name for o in ruleset.outputs for n in o.expr.walk() if isinstance(n, Fact)}
    out: dict[str, list[Any]] = {}
    for name, field_info in ruleset.facts.model_fields.items():
        if name not in read:
            continue
        args = set(typing.get_args(field_info.annotation))
        if type(None) not in args or typing.get_origin(field_info.annotation) not in (typing.Union, types.UnionType):
            continue
        rest = args - {type(None)}
        if rest == {bool}:
            out[name] = [True, False]
        elif len(rest) == 1 and isinstance(next(iter(rest)), type) and issubclass(next(iter(rest)), enum.Enum):
            out[name] = list(next(iter(rest)))
    return out


def _facts_whose_null_may_matter(ruleset: Ruleset, exprs: Iterable[Expr]) -> set[str]:
    """The facts ``exprs`` read other than only under a ``Coalesce`` whose fallback is never null: there the rules
    give a blank its meaning (``serious_dishonesty_refund_year`` blank: the status found on review), so a case is
    never undeterminable for want of it, and trying its values (``build_decision``) would name it as lacking where
    the text says what a blank means. (Before, the three refund-year flags, blank on every row of a screen, sent
    every undeterminable row through a second pass: 1.2 s of the 1 M screen, session 43.)"""
    import typing

    def never_null(node: Expr) -> bool:
        if isinstance(node, Lit):
            return node.value is not None
        if isinstance(node, Fact):
            info = ruleset.facts.model_fields.get(node.name)
            return info is not None and type(None) not in typing.get_args(info.annotation)
        if isinstance(node, Coalesce):
            return never_null(node.default)
        return False

    found: dict[str, bool] = {}  # name -> read somewhere unguarded
    stack: list[tuple[Expr, bool]] = [(e, False) for e in exprs]
    seen: set[tuple[int, bool]] = set()
    while stack:
        node, guarded = stack.pop()
        if (id(node), guarded) in seen:
            continue
        seen.add((id(node), guarded))
        if isinstance(node, Fact):
            found[node.name] = found.get(node.name, False) or not guarded
        elif isinstance(node, Coalesce) and never_null(node.default):
            stack += [(node.a, True), (node.default, guarded)]
        else:
            stack += [(child, guarded) for child in node.children()]
    return {name for name, unguarded in found.items() if unguarded}


def missing_bounded(bounded: Mapping[str, list[Any]], facts: Mapping[str, Any]) -> str | None:
    """The one bounded fact a case lacks, when it lacks exactly one (more: the values multiply; none: nothing to try)."""
    nulls = [f for f in bounded if facts.get(f) is None]
    return nulls[0] if len(nulls) == 1 else None


def build_decision(
    ruleset: Ruleset,
    resolution: Any,
    facts: Mapping[str, Any],
    *,
    region: str,
    region_name: str,
    on: date,
    settings: Mapping[str, Any] | None = None,
    fixed: Mapping[str, str] | None = None,
    try_missing: bool = True,
) -> Decision:
    """The decision for one case. When it cannot be determined and the case lacks exactly one yes/no or
    enumerated fact, each value of that fact is tried: if all give the same result, that is the decision
    (and it says so); otherwise the reasons name the fact and what each value would give."""
    decision = _build_decision(ruleset, resolution, facts, region=region, region_name=region_name, on=on, settings=settings, fixed=fixed)
    if not try_missing or decision.status != NOT_DETERMINABLE:
        return decision
    bounded = bounded_facts(ruleset, resolution.params)
    name = missing_bounded(bounded, facts)
    if name is None:
        return decision
    alts = [
        _build_decision(ruleset, resolution, {**facts, name: v}, region=region, region_name=region_name, on=on, settings=settings, fixed=fixed)
        for v in bounded[name]
    ]
    label = _fact_label(ruleset, name)
    shown = [format_value(v, None) for v in bounded[name]]
    if len({(a.status, a.amount_fen) for a in alts}) == 1 and alts[0].status != NOT_DETERMINABLE:
        chosen = alts[0]
        chosen.notes.insert(
            0,
            f"事实“{label}”（{name}）缺失，但按其全部可能取值（{'、'.join(shown)}）判定结论相同，不需补充；审核要点按“{shown[0]}”展示",
        )
        return chosen
    if any(a.status != NOT_DETERMINABLE for a in alts):
        decision.reasons.append(
            f"结论取决于缺失的事实“{label}”（{name}）：" + "；".join(f"若为“{v}”：{a.status_zh}" for v, a in zip(shown, alts, strict=True))
        )
    return decision


# rendered labels by (template, parameters, the settings it names): the same for every case under one document
_LABELS: dict[tuple[Any, ...], tuple[Mapping[str, Any], str]] = {}
_PLACEHOLDERS: dict[str, tuple[str, ...]] = {}


def _label(template: str, params: Mapping[str, Any], settings: Mapping[str, Any] | None) -> str:
    """:func:`render_label`, remembered per document (``params``, held so its id is not reused) and settings."""
    if "{" not in template:
        return template
    names = _PLACEHOLDERS.get(template)
    if names is None:
        names = _PLACEHOLDERS[template] = tuple(_PLACEHOLDER.findall(template))
    key = (template, id(params), settings is None, *(None if settings is None else settings.get(n) for n in names if n not in params))
    try:
        hit = _LABELS.get(key)
    except TypeError:  # a setting that is not hashable: render it
        return render_label(template, params, settings)
    if hit is not None and hit[0] is params:
        return hit[1]
    text = render_label(template, params, settings)
    if len(_LABELS) > 20_000:
        _LABELS.clear()
    _LABELS[key] = (params, text)
    return text


def _check_citations(check: Check, ctx: EvalContext, resolution: Any, block_clause: str | None) -> list[str]:
    """The citations of a check: the parameters on the path the evaluation took, those it cites besides, else the
    clause that enacts the program. A check with no path to choose cites the same every time: kept per document."""
    static = _static_params(check.expr)
    if static is not None:
        cache = check.__dict__.setdefault("_citations", {})
        hit = cache.get(id(resolution))
        if hit is not None and hit[0] is resolution:
            return list(hit[1])
    params = resolution.params
    cited: dict[str, None] = {}
    _cited_params(check.expr, ctx, cited)
    for name in check.cite:
        cited.setdefault(name, None)
    citations = list(dict.fromkeys([*check.clauses, *(params[n].citation() for n in cited if n in params)]))
    if not citations and block_clause:
        document = resolution.document
        citations = [f"{getattr(document, 'display_number', None) or document.number} {block_clause}"]
    if static is not None:
        if len(cache) > 64:
            cache.clear()
        cache[id(resolution)] = (resolution, tuple(citations))
    return citations


# a field description's halves, "中文 / English": the slash, a space after it, any space before it ("…（分）/ English");
# a unit inside the Chinese half has no space after its slash ("元/人"). As ingest.headers.description_header splits
_HALVES = re.compile(r"\s*/\s+")


class NotApplicable(Note):
    """A check's path on which it does not apply (``text``, “不适用：…”, says why): its value is ``inner``'s (a pass),
    and the check's line is marked not applicable rather than ✔ (audit of explanations, session 40: the 2019 fund
    reserve was shown ✔ with no figure while the next line said the figure was unknown)."""


def _not_applicable(check: Check, ctx: EvalContext) -> bool:
    nodes = check.__dict__.get("_na_nodes")
    if nodes is None:
        nodes = check.__dict__["_na_nodes"] = tuple(n for n in check.expr.walk() if isinstance(n, NotApplicable))
    return any(id(n) in ctx.values for n in nodes)


def _check_switches(check: Check) -> tuple[str, ...]:
    """The switches a check's expression reads (kept on the check: nodes are not changed once built)."""
    found = check.__dict__.get("_switches")
    if found is None:
        found = check.__dict__["_switches"] = tuple(
            dict.fromkeys(n.switch for n in check.expr.walk() if isinstance(n, Reading))
        )
    return found


def _fact_label(ruleset: Ruleset, name: str) -> str:
    """A fact's Chinese label: the Chinese half of its description (the whole description when it has no English)."""
    description = ruleset.facts.model_fields[name].description or name
    return _HALVES.split(description, maxsplit=1)[0].strip() or name


def _build_decision(
    ruleset: Ruleset,
    resolution: Any,
    facts: Mapping[str, Any],
    *,
    region: str,
    region_name: str,
    on: date,
    settings: Mapping[str, Any] | None = None,
    fixed: Mapping[str, str] | None = None,
) -> Decision:
    fixed = dict(fixed or {})
    by_document = readings_set_by_document(ruleset, resolution.params, fixed)
    traced, outcomes, readings = evaluate_resolved(ruleset, resolution, facts, settings=settings, fixed=fixed)
    ctx = traced.ctx
    params = resolution.params
    document = resolution.document
    program_block_clause = policy_clause(resolution)

    check_results: list[CheckResult] = []
    reasons: list[str] = []
    flags: list[str] = []
    for check, passed in traced.results:
        label = _label(check.label, params, ctx.settings)
        detail_parts: list[str] = []
        _describe(check.expr, ctx, detail_parts)
        citations = _check_citations(check, ctx, resolution, program_block_clause)
        check_results.append(
            CheckResult(
                check.id, label, check.kind, passed, "；".join(_tidy_detail(detail_parts)), citations,
                _check_switches(check), not (passed is True and _not_applicable(check, ctx)),
            )
        )
        if check.kind == FLAG and passed is False:
            flags.append(_label(check.reason, params, None) if check.reason else f"需核查：{label}")
        elif check.kind == CONDITION and passed is False:
            reasons.append(_label(check.reason, params, None) if check.reason else f"不符合“{label}”")

    status, amount = traced.status, traced.amount_fen
    # an outcome that waits for a region figure only some other reading needs is not compared: the agency
    # that fixes that reading supplies the figure with it (the default readings' outcome, outcomes[0], always counts)
    region_first = bool(outcomes) and outcomes[0].waits_for_region
    # the figures some reading's outcome waits for (on the path it took): what a decided case still lacks
    missing = sorted({m for o in outcomes for m in o.waits_for})
    if not region_first:
        outcomes = [o for i, o in enumerate(outcomes) if i == 0 or not o.waits_for_region]
    distinct = {(o.status, o.amount_fen) for o in outcomes}
    # with the readings the evaluation did not branch on because they are unknown under each reading, but lack
    # other data under another (each such reading's outcome added): what the materiality and the lines compare
    compared = with_alternatives(ruleset, outcomes, fixed)
    immaterial: list[str] = []
    deciding: list[str] = []
    other_readings: list[str] = []  # undeterminable under every reading: what the other readings lack
    absent_settings = set(missing_settings(ruleset, params, ctx.settings))
    if len(distinct) > 1:
        status, amount = NEEDS_DECISION, None
        deciding = material_switches(compared, fixed)
        # an open reading that changes no result, whatever the others: not one the result depends on
        immaterial = [
            interpretations.get(s).title
            for s in dict.fromkeys([*traced.ctx.reached, *(k for o in compared for k in o.readings)])
            if s not in fixed and s not in deciding
        ]
        names = [interpretations.get(s).title for s in deciding]
        # the default trace's refusals are one reading's result, not the decision: group them by reading
        reasons = ["结果取决于尚未认定的政策解释：" + "；".join(names)]
        for oc in compared:
            if oc.reasons:
                cond = "，".join(
                    f"{interpretations.get(s).title}按“{interpretations.get(s).describe(oc.readings.get(s) or interpretations.get(s).default)}”"
                    for s in deciding
                )
                line = f"若{cond}：{STATUS_ZH[oc.status]}——" + "；".join(oc.reasons)
                # outcomes that differ only in a switch that decides nothing read the same: said once
                if line not in reasons:
                    reasons.append(line)
        if region_first:
            # a region figure is missing: one question for the agency first, not a reading to settle per unit
            status = NOT_DETERMINABLE
    else:
        # one result under every reading; undeterminable ones may still lack different data (C1: the unit-only base
        # reading needs the unit's share): such a reading is named with what it needs, not called immaterial
        deciding = material_switches(compared, fixed) if status == NOT_DETERMINABLE and len(compared) > 1 else []
        immaterial = [interpretations.get(s).title for s in traced.ctx.reached if s not in fixed and s not in deciding]
        for oc in compared[1:] if deciding else []:
            if oc.reasons and oc.lacks != compared[0].lacks:
                cond = "，".join(
                    f"{interpretations.get(s).title}按“{interpretations.get(s).describe(oc.readings.get(s) or interpretations.get(s).default)}”"
                    for s in deciding
                )
                line = f"若{cond}：{STATUS_ZH[oc.status]}——" + "；".join(oc.reasons)
                if line not in other_readings:
                    other_readings.append(line)
    if status == NOT_DETERMINABLE:
        # followed on the path the default readings took (engine.undetermined): a figure or fact read only by a
        # branch not taken is not asked for
        und = undetermined(ruleset, traced)
        waiting = [m for m in dict.fromkeys(und.settings) if m in missing or m in absent_settings]
        if len(distinct) > 1:  # one region question: every figure some compared reading waits for
            waiting += [m for o in outcomes for m in o.waits_for if m not in waiting]
        waiting = sorted(waiting)
        lines = undetermined_lines(ruleset, und, params, waiting, ctx.settings, resolution.region_settings)
        if waiting:
            from wengang.settings import supply_hint

            reasons.insert(0, lines.pop(0) + "。" + supply_hint(waiting))
        missing = waiting
        reasons += lines + other_readings

    amount_is_cap = False
    if ruleset.amount is not None and amount is not None:
        cited_amount: dict[str, None] = {}
        _cited_params(ruleset.amount, ctx, cited_amount)
        amount_is_cap = any(getattr(params.get(n), "ceiling", False) and not getattr(params.get(n), "ceiling_param", None) and getattr(params.get(n), "doc_id", None) == document.id for n in cited_amount if n in params)
        if ruleset.amount_cap_when is not None:
            amount_is_cap = amount_is_cap or ruleset.amount_cap_when.eval(ctx) is True

    outputs: list[tuple[str, str, str]] = []
    output_citations: dict[str, list[str]] = {}
    if status in (ELIGIBLE, NEEDS_DECISION):
        for o in ruleset.outputs:
            value = o.expr.eval(ctx)
            if value is not None:
                outputs.append((o.id, _label(o.label, params, None), format_value(value, o.fmt or o.expr.fmt, _output_fact(o.expr))))
                on_path: dict[str, None] = {}
                _cited_params(o.expr, ctx, on_path)
                output_citations[o.id] = list(dict.fromkeys(params[n].citation() for n in on_path if n in params))

    subject_id = str(facts.get("credit_code") or facts.get("id_number") or "")
    subject = ruleset.subject
    if ruleset.subject_when is not None:
        case_subject = ruleset.subject_when.eval(ctx)
        subject = case_subject if case_subject in ("单位", "个人") else subject
    return Decision(
        program=ruleset.program,
        program_label=ruleset.label,
        subject=subject,
        subject_id=subject_id,
        subject_name=str(facts.get("name") or ""),
        region=region,
        region_name=region_name,
        on=on,
        status=status,
        amount_fen=amount,
        amount_is_cap=amount_is_cap,
        policy_number=getattr(document, "display_number", None) or document.number,
        policy_id=document.id,
        policy_clause=program_block_clause,
        policy_via=[d.number for d in getattr(resolution, "via", [])],
        policy_status=getattr(document, "status", None),
        ruleset=ruleset.name,
        checks=check_results,
        reasons=reasons,
        flags=flags,
        readings=readings,
        readings_fixed={k: v for k, v in fixed.items() if k in readings},
        readings_by_document=by_document,
        outcomes=outcomes if len(distinct) > 1 else [],
        outputs=outputs,
        output_citations=output_citations,
        amount_label=ruleset.amount_label,
        missing_settings=missing,
        immaterial_readings=immaterial,
        read_settings=list(ctx.read_settings),
        notes=document_reading_notes(by_document) + (["以下解释不影响结论：" + "；".join(immaterial)] if immaterial else []),
    )

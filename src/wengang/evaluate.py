"""Evaluate one case: resolve the policy in force, validate the facts, decide, explain.

    >>> from wengang.evaluate import evaluate
    >>> d = evaluate("fanhuan", "通辽市", date(2025, 8, 1), {...})
    >>> print(explain(d))
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Mapping
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel, ValidationError

from wengang.documents.masking import mask_text
from wengang.rules.engine import (
    INELIGIBLE,
    NOT_DETERMINABLE,
    PERIOD_DATE,
    PROGRAM_LABELS,
    RULESETS,
    Decision,
    Ruleset,
    build_decision,
)
from wengang.rules.expr import RuleDefinitionError

if TYPE_CHECKING:
    from wengang.ingest.headers import HeaderMap
    from wengang.ingest.record import Record


class InvalidFacts(ValueError):
    """The facts of a case cannot be read; ``problems`` names each field and what is wrong."""

    def __init__(self, problems: list[tuple[str, str, str]]):
        self.problems = problems  # (field, message_zh, message_en)
        super().__init__(self.text())

    def text(self) -> str:
        return "\n".join(f"字段 {f}：{zh} / field {f}: {en}" for f, zh, en in self.problems)


_PYDANTIC_ZH = {
    "missing": "缺少必填字段",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数，不能带小数",
    "greater_than_equal": "不能为负数",
    "bool_parsing": "应为是/否（true/false）",
    "bool_type": "应为是/否（true/false）",
    "enum": "不是允许的取值",
    "extra_forbidden": "不是本项目的字段（请核对字段名）",
    "string_type": "应为文本",
    "date_parsing": "应为日期（YYYY-MM-DD）",
    "date_from_datetime_parsing": "应为日期（YYYY-MM-DD）",
    "date_type": "应为日期（YYYY-MM-DD）",
    "value_error": "取值无效",
    "list_type": "应为列表",
    "dict_type": "应为对象",
    "model_type": "应为对象",
}


# what a bound of a facts model says (pydantic's ge/gt/le/lt): the bound itself, not "不能为负数" for every one
# (hire_year ≥ 1950 had read "不能为负数（输入：1）"; outside differential audit, session 42). The batch's quarantine
# of the same fields says the same (screening.pipeline._model_constraints).
_BOUND_TEXTS = {
    "ge": ("不能小于{v}", "must be ≥ {v}"),
    "gt": ("应大于{v}", "must be > {v}"),
    "le": ("不能大于{v}", "must be ≤ {v}"),
    "lt": ("应小于{v}", "must be < {v}"),
}
_BOUND_ERRORS = {"greater_than_equal": "ge", "greater_than": "gt", "less_than_equal": "le", "less_than": "lt"}


def bound_text(kind: str, value: Any) -> tuple[str, str]:
    """What a bound (``ge``/``gt``/``le``/``lt`` ``value``) says, Chinese and English; ``ge`` 0 is 不能为负数."""
    if kind == "ge" and value == 0:
        return "不能为负数", "must not be negative"
    zh, en = _BOUND_TEXTS[kind]
    return zh.format(v=value), en.format(v=value)


def _field_hint(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[str, str]:
    """For an unknown key at ``loc``: the nearest field names of the (nested) model it sits in, or all of them."""
    import difflib

    from wengang.ingest.headers import field_aliases
    from wengang.ingest.record import nested_model

    here: type | None = model
    for part in loc[:-1]:
        if isinstance(part, int) or here is None:
            continue
        info = here.model_fields.get(str(part))  # type: ignore[attr-defined]
        here = nested_model(info.annotation) if info is not None else None
    if here is None:
        return "", ""
    names = [n for n, f in here.model_fields.items() for n in (n, *field_aliases(n, f))]  # type: ignore[attr-defined]
    near = difflib.get_close_matches(str(loc[-1]), names, n=3, cutoff=0.6)
    if near:
        return f"；是否为：{'、'.join(near)}", f"; did you mean: {', '.join(near)}"
    if len(names) <= 15:
        return f"；可用字段：{'、'.join(names)}", f"; fields: {', '.join(names)}"
    return f"；{here.__name__} 的字段见 docs/data-dictionary.md", f"; the fields of {here.__name__} are in docs/data-dictionary.md"


def normalise_facts(
    model: type[BaseModel], raw: Mapping[str, Any] | Record, header_map: HeaderMap | None = None
) -> tuple[dict[str, Any], list[str]]:
    """Map the record's headers (Chinese, ``*_yuan``, the user's ``--header-map``) to ``model``'s fields and
    read its values (元 → fen, Chinese labels, date forms) with :mod:`wengang.ingest`; returns the data
    and notes (columns ignored). A value that cannot be read raises :class:`InvalidFacts`."""
    if not _BOUND:
        _bind()
    out = _normalise_record(model, raw, header_map=header_map)
    if out.problems:
        raise InvalidFacts(out.problems)
    return out.data, out.notes


def validate_facts(
    model: type[BaseModel],
    raw: Mapping[str, Any] | BaseModel | Record,
    header_map: HeaderMap | None = None,
    *,
    normalised: bool = False,
) -> BaseModel:
    """``raw`` as ``model``; ``normalised``: ``raw`` is already :func:`normalise_facts`'s output for this
    model (reading it again would give the same data and cost as much as the rules)."""
    if isinstance(raw, model):
        return raw
    if isinstance(raw, BaseModel):
        raw = raw.model_dump()
    if not _BOUND:
        _bind()
    if normalised:
        data, problems = dict(cast(Mapping[str, Any], raw)), []
    else:
        out = _normalise_record(model, raw, header_map=header_map)
        data, problems = out.data, list(out.problems)
    try:
        facts = model.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            loc = ".".join(str(x) for x in err["loc"]) or "(整体)"
            if err["type"] == "value_error":
                # our validators raise "中文 / English" messages: show them as they are
                message = str(err.get("ctx", {}).get("error", err["msg"]))
                zh, _, en = message.partition(" / ")
                problems.append((loc, zh, en or zh))
                continue
            zh = _PYDANTIC_ZH.get(err["type"], "取值无效")
            bound = _BOUND_ERRORS.get(err["type"])
            if bound is not None and bound in err.get("ctx", {}):
                zh = bound_text(bound, err["ctx"][bound])[0]
            if err["type"] == "extra_forbidden":
                hint_zh, hint_en = _field_hint(model, err["loc"])
                zh, en = zh + hint_zh, err["msg"] + hint_en
                problems.append((loc, zh, en))
                continue
            if "input" in err and err["type"] != "missing":
                zh += f"（输入：{mask_text(repr(err['input']))}）"  # a phone or ID number shown masked
            problems.append((loc, zh, err["msg"]))
        raise InvalidFacts(problems) from None
    if problems:
        raise InvalidFacts(problems)
    return facts


def parse_settings(pairs: Mapping[str, Any]) -> dict[str, Any]:
    """Operator settings, each checked against its unit (``"5.5%"`` → Fraction, ``"2270元"`` → fen);
    a bare number for a money or percent setting and an unknown name are refused (:mod:`wengang.settings`)."""
    from wengang.settings import parse_settings as parse

    return parse(pairs)


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def candidate_date(program: str, raw: Mapping[str, Any], reading: str) -> date | None:
    """The date the reading of ``policy.period_date`` looks at in the facts (None: there is none)."""
    if reading == "review":
        return None
    if reading == "certificate" and program == "skill_subsidy":
        cert = _as_date(raw.get("certificate_issue_date"))
        if cert is not None:
            return cert
    return _as_date(raw.get("application_date"))


# a monthly benefit (facts with ``benefit_month``: 价格临时补贴, 代缴基本医疗保险费) is decided by the policy in force
# in the month it is for, whatever the review or application date; which day of the month stands for it is the
# switch ``monthly_benefit.month_in_force`` (registered with those programs, wengang.programs.ui_price_subsidy)
BENEFIT_MONTH = "benefit_month"
MONTH_IN_FORCE = "monthly_benefit.month_in_force"


def benefit_month_date(program: str, raw: Mapping[str, Any], readings: Mapping[str, str]) -> tuple[date, str] | None:
    """The date that places a monthly benefit in a policy period: a day of the month it is for (None: the
    program is not decided month by month, or the facts give no month)."""
    if BENEFIT_MONTH not in program_model(program).model_fields:
        return None
    month = _as_date(raw.get(BENEFIT_MONTH))
    if month is None:
        return None
    from wengang.rules import interpretations

    switch = interpretations.get(MONTH_IN_FORCE)
    reading = readings.get(MONTH_IN_FORCE, switch.default)
    first = month.replace(day=1)
    if reading == "month_start":
        on = first
    else:
        on = (first.replace(year=first.year + 1, month=1) if first.month == 12 else first.replace(month=first.month + 1)) - timedelta(days=1)
    ym = f"{month.year}年{month.month}月"
    return on, (
        f"按待遇所属月份 {ym} 确定适用的政策：按 {on.isoformat()} 有效的规定，与审核日期无关"
        f"（{switch.describe(reading)}；解释开关 {MONTH_IN_FORCE}）"
    )


# a program whose text fixes the date its period is read by — not a reading of ``policy.period_date``: 内政发〔2019〕4号
# 七 “2019年1月1日至2020年12月31日，对其中就业困难人员和零就业家庭成员在培训期间再给予生活费补贴”: the training, not
# the claim or its review, falls in the period (outside fidelity audit, session 38: a 2020 training claimed in 2021 got
# “no policy”). Field, its label, the words that fix it.
EVENT_DATES: dict[str, tuple[str, str, str]] = {
    "training_living_allowance": ("training_start", "培训开始日期", "内政发〔2019〕4号 七“在培训期间再给予生活费补贴”"),
}


def anchor_field(program: str) -> str | None:
    """The fact that alone places a case of ``program`` in a policy period (``benefit_month`` or an event date)."""
    if program in EVENT_DATES:
        return EVENT_DATES[program][0]
    return BENEFIT_MONTH if BENEFIT_MONTH in program_model(program).model_fields else None


def anchor_date(program: str, raw: Mapping[str, Any], readings: Mapping[str, str]) -> tuple[date, str] | None:
    """The date that alone places a case in a policy period, whatever its application and review dates, and why: a
    monthly benefit's month (:func:`benefit_month_date`) or the event its text names (``EVENT_DATES``); None: the
    case is placed by ``policy.period_date``."""
    if program in EVENT_DATES:
        field, label, words = EVENT_DATES[program]
        when = _as_date(raw.get(field))
        if when is None:
            return None
        return when, f"按{label} {when.isoformat()} 确定适用的政策：{words}，以培训所在期间为准，与申领、审核日期无关"
    return benefit_month_date(program, raw, readings)


def no_policy_outcome(
    program: str, region_name: str, message: str, period_on: date, basis: str, *, by_month: bool
) -> tuple[str, list[str]]:
    """The status and reasons of a case no document decides on ``period_on`` (``message``: NoPolicyInForce's,
    ``basis``: why that date): 无法判定; a case placed by its benefit month or event (``by_month``: ``anchor_date``) is
    not paid for it. Shared with batch screening (``wengang.screening.evaluate``)."""
    reasons = [message, basis]
    if not by_month:
        return NOT_DETERMINABLE, reasons
    if program in EVENT_DATES:
        label = EVENT_DATES[program][1]
        return INELIGIBLE, [
            f"{label} {period_on.isoformat()} 时{region_name}没有{PROGRAM_LABELS[program]}的有效规定：不在文件规定的期间内，不予发放",
            *reasons,
        ]
    # a month before the library's first provision: governed by a rule the library does not hold (the texts continue
    # a duty, "持续做好…发放工作"), 无法判定 saying what settles it (facts.benefit.month_before_first_rule)
    from wengang.facts.benefit import month_before_first_rule

    early = month_before_first_rule(program, PROGRAM_LABELS[program], region_name, region_name, period_on)
    if early is not None:
        status, lines = early
        return status, [*lines, *reasons]
    # no provision for the month it is for: that month is not paid under a later document
    return INELIGIBLE, [
        f"待遇所属月份 {period_on.year}年{period_on.month}月 {region_name}尚无{PROGRAM_LABELS[program]}的有效规定，"
        "该月份不发放（不按此后施行的文件追溯发放）",
        *reasons,
    ]


def period_date(
    program: str, region: str, candidate: date | None, review: date, *, include_drafts: bool = False, reading: str = "application"
) -> tuple[date, str]:
    """The date that places a case in a policy period (switch ``policy.period_date``), and why.

    A case whose date (application, or certificate) fell inside a document's 执行期限 that has ended by
    the review keeps that document; otherwise the document in force on the review date applies.
    """
    if not _BOUND:
        _bind()
    NoPolicyInForce, load_policy_set = _NoPolicyInForce, _load_policy_set
    # the reading by its description, then the switch's name (what --reading takes; letters drop it)
    tag = f"（{PERIOD_DATE.describe(reading)}；解释开关 {PERIOD_DATE.name}）"
    what = "证书发证日期" if reading == "certificate" and program == "skill_subsidy" else "申领日期"
    if reading == "review":
        return review, f"按审核日期 {review.isoformat()} 确定适用的政策{tag}"
    if candidate is None:
        return review, f"事实中无{what}，按审核日期 {review.isoformat()} 确定适用的政策{tag}"
    if candidate >= review:
        return review, f"{what} {candidate.isoformat()} 不早于审核日期，按审核日期确定适用的政策{tag}"
    try:
        res = load_policy_set().resolve(region=region, on=candidate, program=program, include_drafts=include_drafts)
    except NoPolicyInForce:
        return review, f"{what} {candidate.isoformat()} 时无有效政策，按审核日期 {review.isoformat()} 确定适用的政策{tag}"
    if res.valid_to is not None and res.valid_to < review:
        return candidate, (
            f"{what} {candidate.isoformat()} 在 {res.document.display_number} 执行期限（至 {res.valid_to.isoformat()}）内，"
            f"审核日期 {review.isoformat()} 已过该期限，仍按{what}适用该文件{tag}"
        )
    # a provision of the document with a period of its own (a parameter's valid_to) that ended by the review
    # is placed the same way as a whole document's (内政发〔2019〕4号 一: the 2019 hardship standards)
    ended = [(end, name) for end, name in res.dated_params if end < review]
    if ended:
        end, name = ended[0]
        return candidate, (
            f"{what} {candidate.isoformat()} 在 {res.document.display_number} 有期限规定（{name}，至 {end.isoformat()}）的期限内，"
            f"审核日期 {review.isoformat()} 已过该期限，仍按{what}适用该文件{tag}"
        )
    return review, f"{what} {candidate.isoformat()} 所在期间的政策至审核日期 {review.isoformat()} 仍未到期，按审核日期确定适用的政策{tag}"


def program_model(program: str) -> type[BaseModel]:
    """The facts model of ``program`` (every ruleset of a program reads the same one)."""
    model = _PROGRAM_MODELS.get(program)
    if model is None or _PROGRAM_MODELS_FOR[0] != len(RULESETS):
        from wengang.programs import load, load_all

        load(program)  # registers the program's rulesets
        if not any(key[0] == program for key in RULESETS):
            load_all()
        if _PROGRAM_MODELS_FOR[0] != len(RULESETS):  # a ruleset registered since: look again
            _PROGRAM_MODELS.clear()
            _PROGRAM_MODELS_FOR[0] = len(RULESETS)
        # the first of its rulesets by name, as sorting every (program, name) would give
        model = _PROGRAM_MODELS[program] = RULESETS[min(key for key in RULESETS if key[0] == program)].facts
    return model


_PROGRAM_MODELS: dict[str, type[BaseModel]] = {}
_PROGRAM_MODELS_FOR = [0]  # the number of rulesets registered when the models above were looked up


def ruleset_for(program: str, ruleset_name: str) -> Ruleset:
    ruleset = RULESETS.get((program, ruleset_name))
    if ruleset is not None:
        return ruleset
    from wengang.programs import load, load_all

    load(program)  # registers the program's rulesets
    if (program, ruleset_name) not in RULESETS:
        load_all()
    try:
        return RULESETS[(program, ruleset_name)]
    except KeyError:
        raise RuleDefinitionError(
            f"项目 {program} 的规则集 {ruleset_name} 尚未实现 / ruleset {ruleset_name} of {program} is not implemented"
        ) from None


def evaluate(
    program: str,
    region: str,
    on: date,
    facts: Mapping[str, Any] | BaseModel,
    *,
    readings: Mapping[str, str] | None = None,
    settings: Mapping[str, Any] | None = None,
    include_drafts: bool = False,
    region_data: tuple[str, ...] = (),
    header_map: HeaderMap | None = None,
) -> Decision:
    """Decide one case reviewed on ``on``. The policy period is placed by ``policy.period_date``
    (default: the application date in the facts); region data in force then fill the settings, and
    ``settings`` (operator values, what-if parameter overrides) win over them, recorded in the notes.

    ``facts`` may be headed as agencies export them (Chinese headers, amounts in 元, Chinese labels; a
    :class:`~wengang.ingest.record.Record` read from a CSV/XLSX row): :func:`normalise_facts`."""
    if not _BOUND:
        _bind()
    NoPolicyInForce, load_policy_set, resolve_region = _NoPolicyInForce, _load_policy_set, _resolve_region
    parse, region_values, show_value, split_overrides = _parse_settings, _region_values, _show_value, _split_overrides
    if program not in PROGRAM_LABELS:
        known = "、".join(f"{k}（{v}）" for k, v in PROGRAM_LABELS.items())
        raise InvalidFacts([("program", f"未知项目“{program}”，可选：{known}", f"unknown program {program!r}")])
    reg = resolve_region(region)
    input_notes: list[str] = []
    normalised_for: type[BaseModel] | None = None  # the model the facts' headers and values were read for
    if isinstance(facts, BaseModel):
        raw = facts.model_dump()
    else:
        normalised_for = program_model(program)
        raw, input_notes = normalise_facts(normalised_for, facts, header_map)
    _check_region(reg, raw.get("region_code"))
    readings = dict(readings or {})
    operator = parse(settings or {})
    reading = readings.get(PERIOD_DATE.name, PERIOD_DATE.default)
    by_month = anchor_date(program, raw, readings)
    if by_month is not None:
        period_on, basis = by_month
    else:
        candidate = candidate_date(program, raw, reading)
        period_on, basis = period_date(program, reg.key, candidate, on, include_drafts=include_drafts, reading=reading)
    policy_set = load_policy_set()
    try:
        resolution = policy_set.resolve(region=reg.key, on=period_on, program=program, include_drafts=include_drafts)
    except NoPolicyInForce as exc:
        subject = next((rs.subject for (p, _), rs in RULESETS.items() if p == program), "单位")
        status, reasons = no_policy_outcome(
            program, reg.name, exc.message_zh, period_on, basis, by_month=by_month is not None
        )
        return Decision(
            program=program,
            program_label=PROGRAM_LABELS[program],
            subject=subject,
            subject_id=str(raw.get("credit_code") or raw.get("id_number") or ""),
            subject_name=str(raw.get("name") or ""),
            region=reg.key,
            region_name=reg.name,
            on=on,
            status=status,
            reasons=reasons,
            period_date=period_on,
            period_basis=basis,
            notes=list(input_notes),
        )
    notes: list[str] = list(input_notes)
    draft_note = uninstalled_note(resolution, policy_set)
    if draft_note:  # said where the decision is read, not only in the file's header (audit 7 F4)
        notes.append(draft_note)
    if period_on != on:
        try:
            other = policy_set.resolve(region=reg.key, on=on, program=program, include_drafts=include_drafts).document.display_number
        except NoPolicyInForce:
            other = "（无有效政策）"
        if other != resolution.document.display_number:
            notes.append(f"若按审核日期 {on.isoformat()}，将适用 {other}；本决定按 {period_on.isoformat()} 适用 {resolution.document.display_number}")
    resolution, operator_settings, override_lines = split_overrides(resolution, operator)
    notes += override_lines
    values = region_values(reg, period_on, tuple(region_data))
    merged: dict[str, Any] = {name: d.value for name, d in values.items()}
    merged.update(operator_settings)
    ruleset = ruleset_for(program, resolution.ruleset)
    breach = _bound_breach(ruleset, resolution.params, merged, values)
    if breach is not None:  # a standard the regulation's own bound rules out is not decided on (fail closed)
        raise _SettingError(breach)
    notes += _bound_unchecked(ruleset, resolution.params, merged, values)
    model = ruleset.facts
    if "application_date" in raw and "application_date" not in model.model_fields:
        # a unit's application date only places the period; its facts model has no such field
        raw.pop("application_date")
    data = _as_data(validate_facts(model, raw if not isinstance(facts, model) else facts, normalised=normalised_for is model))
    if ruleset.prepare is not None:
        given = frozenset(operator_settings)  # (none given, the usual case: the resolution as it is, not a copy of it)
        data = ruleset.prepare(
            data, resolution if resolution.operator_settings == given else dataclasses.replace(resolution, operator_settings=given)
        )
    decision = build_decision(
        ruleset,
        resolution,
        data,
        region=reg.key,
        region_name=reg.name,
        on=on,
        settings=merged,
        fixed=readings,
    )
    read = decision.read_settings
    for name in read:
        if name in operator_settings and name in values:
            shown = show_value(operator_settings[name], values[name].unit)
            notes.append(f"假设分析：地区数据 {name} 由 --setting 覆盖为 {shown}（原为 {values[name].citation()}）")
        elif name in values:
            notes.append(values[name].citation())
    decision.period_date = period_on
    decision.period_basis = basis
    decision.notes = notes + decision.notes
    return decision


def _as_data(facts: BaseModel) -> dict[str, Any]:
    """``facts.model_dump()``: for a model of plain fields, its values as they are (what the dump gives), copied
    without the serializer's walk (one case's explanation, issue 13)."""
    return dict(facts.__dict__) if _plain_fields(type(facts)) else facts.model_dump()


@functools.cache  # a model's fields are fixed once it is defined
def _plain_fields(model: type[BaseModel]) -> bool:
    """Does ``model_dump()`` of ``model`` give its instance's field values as they are: no field that holds a model
    or a dataclass (which the dump turns into dicts), no extra fields (kept apart from the fields), no serializer?"""
    if model.model_config.get("extra") == "allow" or model.__pydantic_computed_fields__:
        return False
    if model.__pydantic_decorators__.field_serializers or model.__pydantic_decorators__.model_serializers:
        return False

    def plain(annotation: Any) -> bool:
        if isinstance(annotation, type) and (issubclass(annotation, BaseModel) or dataclasses.is_dataclass(annotation)):
            return False
        return all(plain(a) for a in typing.get_args(annotation))

    return all(plain(info.annotation) and _plain_metadata(info.metadata) for info in model.model_fields.values())


def _plain_metadata(metadata: list[Any]) -> bool:
    """Constraints only (``ge``, ``le`` …): no serializer hidden in an ``Annotated`` field."""
    from pydantic import PlainSerializer, WrapSerializer

    return not any(isinstance(m, (PlainSerializer, WrapSerializer)) for m in metadata)


def _check_region(reg: Any, code: Any) -> None:
    """The region a case is decided in must be the one its facts name (``region_code``), or an area containing it:
    a unit of another region decided by this region's documents would be paid or refused by texts that do not
    govern it (outside fidelity audit, session 40: a 阳泉 unit decided with ``-r 150502`` got 通辽's chain). A table is
    screened by each row's own region_code, and rows outside ``--region`` are quarantined (decisions.md §21)."""
    if code is None or str(code).strip() == "":
        return
    from wengang.regions import RegionError, chain

    try:
        own = chain(str(code).strip())
    except RegionError:
        raise InvalidFacts([(
            "region_code",
            f"事实中的行政区划代码 {code} 不在本系统收录的地区中，无法核对其是否属于判定地区 {reg.name}（{reg.key}），不予判定",
            f"region code {code} in the facts is not a region this system knows, so it cannot be checked against the "
            f"region of the decision {reg.key}",
        )]) from None
    if reg.key not in {r.key for r in own}:
        raise InvalidFacts([(
            "region_code",
            f"事实中的行政区划代码 {own[0].key}（{own[0].name}）不属于判定地区 {reg.name}（{reg.key}）：不同地区适用的政策不同，"
            f"请按单位所在地区判定（-r {own[0].key}），或核对事实中的行政区划代码",
            f"region code {own[0].key} in the facts is not in the region of the decision {reg.key}: regions apply "
            f"different policies; decide the case in its own region (-r {own[0].key}) or check the region code",
        )])


def uninstalled_note(doc: Any, policy_set: Any) -> str | None:
    """The note a decision carries when the document it rests on is a draft or a file given for the run and not
    installed (``--policy-path``): its result is no basis for payment. None for an installed document in force.

    ``doc`` is a document or a ``Resolution``: a decision rests on the document in force and on the notice that
    forwards it (``via``), so a draft or uninstalled forwarding notice marks it as well (§118 D4)."""
    docs = [doc.document, *doc.via] if hasattr(doc, "document") else [doc]
    requested_ids = getattr(policy_set, "requested", ())
    notes: list[str] = []
    for d in docs:
        requested = d.id in requested_ids
        if not d.is_draft and not requested:
            continue
        kind = "草稿（征求意见稿）" if d.is_draft else "政策文件"
        where = "未安装的" if requested else "已安装的"
        pending = "，文号待定" if not d.number or "□" in d.number or "待定" in d.number else ""
        role = "（转发文件）" if d is not docs[0] else ""
        notes.append(
            f"依据的 {d.display_number}{role} 是{where}{kind}{pending}：本结果仅供测算核对，不作发放依据 / "
            f"{d.display_number}{' (forwarding notice)' if role else ''} is a {'draft' if d.is_draft else 'policy file'}"
            f"{' not installed' if requested else ''}: the result is for checking only, not a basis for payment"
        )
    return "；".join(notes) or None


# what evaluate() uses from modules it does not import at start-up (`wengang --help` stays light), bound on the
# first call: an import statement inside a function costs ~1 µs per call, ~8 of them per case
_BOUND = False
_normalise_record: Any = None
_NoPolicyInForce: Any = None
_load_policy_set: Any = None
_resolve_region: Any = None
_parse_settings: Any = None
_region_values: Any = None
_show_value: Any = None
_split_overrides: Any = None
_SettingError: Any = None
_bound_breach: Any = None
_bound_unchecked: Any = None


def _bind() -> None:
    global _BOUND, _normalise_record, _NoPolicyInForce, _load_policy_set, _resolve_region
    global _parse_settings, _region_values, _show_value, _split_overrides, _SettingError, _bound_breach, _bound_unchecked
    from wengang.ingest.record import normalise_record
    from wengang.policies import NoPolicyInForce, load_policy_set
    from wengang.programs import load_all
    from wengang.regions import resolve_region
    from wengang.settings import (
        SettingError,
        bound_breach,
        bound_unchecked,
        parse_settings,
        region_values,
        show_value,
        split_overrides,
    )

    load_all()  # registers every ruleset

    _normalise_record, _NoPolicyInForce, _load_policy_set, _resolve_region = (
        normalise_record, NoPolicyInForce, load_policy_set, resolve_region
    )
    _parse_settings, _region_values, _show_value, _split_overrides = parse_settings, region_values, show_value, split_overrides
    _SettingError, _bound_breach, _bound_unchecked = SettingError, bound_breach, bound_unchecked
    _BOUND = True

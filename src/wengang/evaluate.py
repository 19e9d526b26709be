"""Evaluate one case: resolve the policy in force, validate the facts, decide, explain.

    >>> from wengang.evaluate import evaluate
    >>> d = evaluate("fanhuan", "通辽市", date(2025, 8, 1), {...})
    >>> print(explain(d))
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from fractions import Fraction
from typing import Any

from pydantic import BaseModel, ValidationError

from wengang.money import MoneyError, yuan_to_fen
from wengang.rules.engine import NOT_DETERMINABLE, PROGRAM_LABELS, RULESETS, Decision, Ruleset, build_decision
from wengang.rules.expr import RuleDefinitionError


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


def _money_inputs(raw: Mapping[str, Any], model: type[BaseModel]) -> tuple[dict[str, Any], list[tuple[str, str, str]]]:
    """Accept ``foo_yuan`` for every ``foo_fen`` field: yuan strings become exact fen."""
    data = dict(raw)
    problems: list[tuple[str, str, str]] = []
    for key in list(data):
        if key.endswith("_yuan"):
            target = key[: -len("_yuan")] + "_fen"
            if target in model.model_fields:
                try:
                    data[target] = yuan_to_fen(data.pop(key))
                except MoneyError as exc:
                    zh, _, en = str(exc).partition(" / ")
                    problems.append((key, zh, en or zh))
    return data, problems


def validate_facts(model: type[BaseModel], raw: Mapping[str, Any] | BaseModel) -> BaseModel:
    if isinstance(raw, model):
        return raw
    if isinstance(raw, BaseModel):
        raw = raw.model_dump()
    data, problems = _money_inputs(raw, model)
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
            if "input" in err and err["type"] != "missing":
                zh += f"（输入：{err['input']!r}）"
            problems.append((loc, zh, err["msg"]))
        raise InvalidFacts(problems) from None
    if problems:
        raise InvalidFacts(problems)
    return facts


def parse_settings(pairs: Mapping[str, Any]) -> dict[str, Any]:
    """Region settings from the operator: ``"5.5%"`` → Fraction, ``"2270元"`` → fen, digits → int."""
    out: dict[str, Any] = {}
    for name, value in pairs.items():
        if isinstance(value, str):
            v = value.strip()
            if v.endswith("%"):
                out[name] = Fraction(v[:-1]) / 100
            elif v.endswith("元"):
                out[name] = yuan_to_fen(v[:-1])
            elif v.lower() in ("true", "false", "是", "否"):
                out[name] = v.lower() in ("true", "是")
            else:
                try:
                    out[name] = int(v)
                except ValueError:
                    try:  # "1.5" (e.g. years of fund reserve) is an exact fraction, never a float
                        out[name] = Fraction(v)
                    except ValueError:
                        out[name] = v
        else:
            out[name] = value
    return out


def ruleset_for(program: str, ruleset_name: str) -> Ruleset:
    import wengang.programs  # noqa: F401  (registers every ruleset)

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
) -> Decision:
    import wengang.programs  # noqa: F401
    from wengang.policies import NoPolicyInForce, load_policy_set
    from wengang.regions import resolve_region

    if program not in PROGRAM_LABELS:
        known = "、".join(f"{k}（{v}）" for k, v in PROGRAM_LABELS.items())
        raise InvalidFacts([("program", f"未知项目“{program}”，可选：{known}", f"unknown program {program!r}")])
    reg = resolve_region(region)
    try:
        resolution = load_policy_set().resolve(region=reg.key, on=on, program=program, include_drafts=include_drafts)
    except NoPolicyInForce as exc:
        raw = facts.model_dump() if isinstance(facts, BaseModel) else dict(facts)
        return Decision(
            program=program,
            program_label=PROGRAM_LABELS[program],
            subject="单位",
            subject_id=str(raw.get("credit_code") or raw.get("id_number") or ""),
            subject_name=str(raw.get("name") or ""),
            region=reg.key,
            region_name=reg.name,
            on=on,
            status=NOT_DETERMINABLE,
            reasons=[exc.message_zh],
        )
    ruleset = ruleset_for(program, resolution.ruleset)
    model = validate_facts(ruleset.facts, facts)
    data = model.model_dump()
    if ruleset.prepare is not None:
        data = ruleset.prepare(data, resolution)
    return build_decision(
        ruleset,
        resolution,
        data,
        region=reg.key,
        region_name=reg.name,
        on=on,
        settings=parse_settings(settings or {}),
        fixed=readings,
    )

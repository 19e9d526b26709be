"""Interpretation switches: every place where a text can be read two ways.

Each switch names the clause, its readings, the default and why. A decision records the readings it
used; when the outcome depends on a reading the operator has not fixed, the decision is
"needs decision" (待认定) and carries every outcome. ``docs/interpretations.md`` is generated from
this registry (``wengang interpretations --markdown``), so the list cannot drift from the code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

# the 兵团 draft as the decisions cite it (it has no 文号: policies/…/bingtuan draft ``display_number``)
BINGTUAN_DRAFT = "《关于进一步延续实施失业保险援企稳岗政策的通知（征求意见稿）》"
# a clause as a switch's author wrote it → as the decisions cite it (audit of explanations, session 40: ``86号 三(一)3``
# beside the decisions' ``86号 （一）3``, ``兵团征求意见稿`` beside the title, ``失业保险条例 第十七条`` beside
# ``国务院令第258号 第十七条``): one notation wherever a clause is shown
_CLAUSE_FORMS = (
    (re.compile(r"^内人社办发〔2022〕86号\s*三\s*[（(]([一二三四])[）)]\s*(\d+)$"), r"内人社办发〔2022〕86号 （\1）\2"),
    (re.compile(r"^内人社办发〔2022〕86号\s*[（(]([一二三四])[）)]\s*(\d+)$"), r"内人社办发〔2022〕86号 （\1）\2"),
    (re.compile(r"^兵团(?:（?征求意见稿）?)\s*"), BINGTUAN_DRAFT + " "),
    (re.compile(r"^(?:失业保险条例|《失业保险条例》)\s*"), "国务院令第258号 "),
    (re.compile(r"\(([一二三四五六七八九十]+)\)"), r"（\1）"),
)


def clause_notation(clause: str) -> str:
    """``clause`` in the notation the decisions cite it in."""
    for pattern, repl in _CLAUSE_FORMS:
        clause = pattern.sub(repl, clause)
    return clause


@dataclass(frozen=True)
class Switch:
    name: str
    title: str  # Chinese, one line
    clauses: tuple[str, ...]  # "内人社发〔2025〕18号 一" …
    readings: Mapping[str, str]  # key -> Chinese description
    default: str
    why: str  # Chinese: why the default
    programs: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "clauses", tuple(dict.fromkeys(clause_notation(c) for c in self.clauses)))

    def describe(self, key: str) -> str:
        return self.readings.get(key, key)


REGISTRY: dict[str, Switch] = {}


def register(switch: Switch) -> Switch:
    if switch.name in REGISTRY:
        raise ValueError(f"duplicate interpretation switch {switch.name}")
    if switch.default not in switch.readings:
        raise ValueError(f"default of {switch.name} is not one of its readings")
    REGISTRY[switch.name] = switch
    return switch


def get(name: str) -> Switch:
    if name not in REGISTRY:  # a switch of a program whose module is not imported yet (wengang.programs.load)
        from wengang.programs import load_all

        load_all()
    try:
        return REGISTRY[name]
    except KeyError:
        import difflib

        near = difflib.get_close_matches(name, list(REGISTRY), n=5, cutoff=0.5)
        known = "、".join(near or sorted(REGISTRY))
        label = "是否为" if near else "可用"
        raise KeyError(f"未知的解释开关“{name}”；{label}：{known} / unknown interpretation switch {name!r}") from None


def parse_fixed(pairs: list[str] | None) -> dict[str, str]:
    """``["fanhuan.layoff_rate_formula=year_end", ...]`` → dict, checked against the registry."""
    fixed: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, key = pair.partition("=")
        if not sep:
            raise ValueError(f"解释开关应写作 名称=取值：{pair} / a reading is given as name=key: {pair}")
        switch = get(name.strip())
        if key.strip() not in switch.readings:
            options = "、".join(switch.readings)
            raise ValueError(
                f"解释开关 {switch.name} 没有取值“{key}”；可选：{options} / switch {switch.name} has no reading {key!r}"
            )
        fixed[switch.name] = key.strip()
    return fixed


def defaults() -> dict[str, str]:
    return {name: s.default for name, s in REGISTRY.items()}


def markdown() -> str:
    lines = [
        "# 解释开关 / Interpretation switches",
        "",
        "Generated from `src/wengang/rules/interpretations.py` and the program modules "
        "(`wengang interpretations --markdown`). Each entry: the clause, the readings, the default and why. "
        "When a case's outcome depends on a switch the operator has not fixed (`--reading name=key`), "
        "the decision is 待认定 (needs decision) and lists the outcome under each reading. Two switches choose which "
        "document applies rather than a value in it — `policy.period_date` and `monthly_benefit.month_in_force`: "
        "their default is applied and the decision says which date it used and by which reading (a 待认定 over "
        "whole documents would hold every case near a period's end; docs/decisions.md, the period date).",
        "",
    ]
    for s in sorted(REGISTRY.values(), key=lambda s: (s.programs, s.name)):
        lines += [f"## `{s.name}` — {s.title}", "", f"- 条款 / clauses: {'；'.join(s.clauses)}"]
        lines.append(f"- 适用项目 / programs: {', '.join(s.programs)}")
        for key, text in s.readings.items():
            mark = "（默认 default）" if key == s.default else ""
            lines.append(f"- `{key}`{mark}: {text}")
        lines += [f"- 理由 / why: {s.why}", ""]
    return "\n".join(lines)

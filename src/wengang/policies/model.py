"""The loaded, checked policy objects. Immutable once the loader has built them."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from wengang.policies.units import format_value
from wengang.regions import Region

STATUS_ZH = {"in_force": "有效", "historical": "历史文件", "draft": "征求意见稿"}


def display_number(number: str | None, title: str, status: str) -> str:
    """文号, or for a document without one (a draft) its title, marked with its status."""
    if number:
        return number
    status_zh = STATUS_ZH.get(status, status)
    return f"《{title}》" if status_zh in title else f"《{title}》（{status_zh}）"


@dataclass(frozen=True)
class Param:
    """One parameter value with its provenance. ``citation()`` → ``"内人社发〔2025〕18号 一"``."""

    name: str
    value: Any
    unit: str
    doc_id: str
    number: str
    clause: str
    quote: str
    program: str
    boundary: str | None = None
    ceiling: bool = False
    ceiling_param: Param | None = None
    valid_from: date | None = None  # own dates when the text gives the parameter its own period
    valid_to: date | None = None
    note: str | None = None
    inherited: bool = False  # True when a province document did not set it and it comes from the implemented one

    def citation(self) -> str:
        return f"{self.number} {self.clause}"

    def formatted(self) -> str:
        text = format_value(self.value, self.unit)
        if self.ceiling:
            return f"不超过{text}"
        return text

    def in_force(self, on: date) -> bool:
        return (self.valid_from is None or self.valid_from <= on) and (self.valid_to is None or on <= self.valid_to)

    def with_ceiling(self, ceiling_param: Param | None) -> Param:
        return replace(self, ceiling_param=ceiling_param)


@dataclass(frozen=True)
class RegionSettingSpec:
    """A figure the text names but does not give (e.g. 急需紧缺职业目录): the operator supplies it."""

    name: str
    unit: str
    clause: str
    quote: str
    description: str
    doc_id: str
    number: str
    program: str
    boundary: str | None = None

    def citation(self) -> str:
        return f"{self.number} {self.clause}"


@dataclass(frozen=True)
class ProgramBlock:
    program: str
    label: str
    ruleset: str
    clause: str
    valid_from: date
    valid_to: date | None
    validity_clause: str | None
    validity_source: str | None  # doc id whose clause gives the dates, when it is not this document
    base: str | None
    note: str | None
    params: dict[str, Param]
    region_settings: dict[str, RegionSettingSpec]
    doc_id: str

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


@dataclass(frozen=True)
class Document:
    id: str
    number: str | None
    title: str
    issuers: tuple[str, ...]
    jurisdiction: str
    issued: date | None
    status: str
    implements: tuple[str, ...]
    implements_external: tuple[str, ...]
    forwards: str | None
    source: str
    source_kind: str  # "policy-text" (verbatim source) | "secondary" (facts.md, quotes of secondary sources)
    note: str | None
    clauses: dict[str, str]
    programs: dict[str, ProgramBlock]
    file: str

    @property
    def display_number(self) -> str:
        return display_number(self.number, self.title, self.status)

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"


@dataclass(frozen=True)
class Resolution:
    """Which document governs ``program`` in ``region`` on ``on``, and its parameters."""

    program: str
    label: str
    ruleset: str
    region: Region
    on: date
    document: Document
    via: list[Document]
    chain: list[Document]
    valid_from: date
    valid_to: date | None
    validity_citation: str | None
    params: dict[str, Param]
    region_settings: dict[str, RegionSettingSpec]
    draft_skipped: list[Document] = field(default_factory=list)
    # the settings the operator gave for this case (``--setting``): a program's prepare may tell them from region data
    operator_settings: frozenset[str] = frozenset()

    def __getitem__(self, name: str) -> Any:
        return self.params[name].value

    @functools.cached_property
    def dated_params(self) -> tuple[tuple[date, str], ...]:
        """(valid_to, name) of each parameter with a period of its own (a provision's end), earliest end first. Kept:
        a resolution is cached by its policy set and asked for by every case of its period."""
        return tuple(sorted((p.valid_to, name) for name, p in self.params.items() if p.valid_to is not None))

    def describe_zh(self) -> str:
        text = f"{self.region.name} {self.on.isoformat()} {self.label}：适用 {self.document.display_number}"
        if self.via:
            text += "（经 " + "、".join(d.display_number for d in self.via) + " 转发）"
        if self.draft_skipped:
            text += "；未采用征求意见稿 " + "、".join(d.display_number for d in self.draft_skipped)
        return text


@dataclass(frozen=True)
class TimelineEntry:
    number: str
    jurisdiction: str
    valid_from: date | None
    valid_to: date | None
    value: Any
    unit: str
    citation: str
    program: str
    doc_id: str
    status: str
    ceiling: bool

    def formatted(self) -> str:
        text = format_value(self.value, self.unit)
        return f"不超过{text}" if self.ceiling else text

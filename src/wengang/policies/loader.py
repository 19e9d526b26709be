"""Loading is checking: read the policy YAML files and refuse any that do not check.

Every defect is reported as :class:`PolicyError` naming the file and the line (from the YAML node
marks). All defects of one load are collected; the first is raised with the others in ``all_errors``.
"""

from __future__ import annotations

import contextlib
import functools
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from wengang.policies.errors import PolicyError
from wengang.policies.model import Document, Param, ProgramBlock, RegionSettingSpec, display_number
from wengang.policies.quotes import (
    DERIVED_NOTE_PREFIXES,
    example_forms,
    stated_end_dates,
    stated_forms,
    tie_problem,
    value_in_quote,
)
from wengang.policies.required import REQUIRED_PARAMS
from wengang.policies.units import (
    BOUNDARIES,
    UNITS,
    UnitError,
    comparable,
    convert,
    format_value,
    over_ceiling,
)
from wengang.regions import REGIONS

STATUSES = frozenset({"in_force", "historical", "draft"})
SOURCE_KINDS = frozenset({"policy-text", "secondary"})
DOC_KEYS = frozenset(
    {
        "id",
        "number",
        "title",
        "issuers",
        "jurisdiction",
        "issued",
        "status",
        "implements",
        "implements_external",
        "forwards",
        "source",
        "source_kind",
        "note",
        "clauses",
        "programs",
    }
)
PROGRAM_KEYS = frozenset(
    {
        "label",
        "ruleset",
        "clause",
        "valid_from",
        "valid_to",
        "validity_clause",
        "validity_source",
        "base",
        "note",
        "parameters",
        "region_settings",
    }
)
PARAM_KEYS = frozenset({"value", "unit", "clause", "quote", "boundary", "ceiling", "valid_from", "valid_to", "note"})
SETTING_KEYS = frozenset({"unit", "clause", "quote", "description", "boundary"})
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")

# a boundary recorded as a symbol may be typeset in the source as LaTeX
_BOUNDARY_SPELLINGS = {"≥": ("≥", "\\geq"), "≤": ("≤", "\\leq")}
_MARKUP_RE = re.compile(r"\s+|\*\*|#")


def normalize(text: str) -> str:
    """For quote comparison: drop all whitespace and the markdown markup (``**``, ``#``) of the sources."""
    return _MARKUP_RE.sub("", text)


# --------------------------------------------------------------------------------------------------
# YAML with line numbers


Path_ = tuple[str, ...]


class _Errors:
    def __init__(self) -> None:
        self.items: list[PolicyError] = []
        # not defects, but what a reader of the check must know (a ceiling checked against another document, a
        # date the text contradicts): printed by ``policy check`` and with ``--policy-path``, never silent
        self.warnings: list[PolicyError] = []
        # defects that leave the set checks sound (a value its quote does not state): reported after them, so a
        # value both above a ceiling and not in its quote is reported for both
        self.deferred: list[PolicyError] = []

    def add(self, file: str, line: int | None, zh: str, en: str) -> None:
        self.items.append(PolicyError(file, line, zh, en))

    def warn(self, file: str, line: int | None, zh: str, en: str) -> None:
        self.warnings.append(PolicyError(file, line, zh, en))

    def raise_if_any(self) -> None:
        self.items.extend(self.deferred)
        self.deferred.clear()
        if self.items:
            first = self.items[0]
            first.all_errors = list(self.items)
            raise first


@dataclass
class _Raw:
    """One parsed file: plain data plus the line of every key path."""

    file: str
    data: dict[str, Any]
    lines: dict[Path_, int]
    text: str = ""  # the source, for what only its comments say (a draft's 待核 marks)

    def line(self, *path: str) -> int | None:
        p: Path_ = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return self.lines.get((), 1)


def _construct(node: yaml.Node, path: Path_, lines: dict[Path_, int], loader: yaml.SafeLoader, file: str) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        out: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise PolicyError(file, key_node.start_mark.line + 1, "键必须是简单字符串", "keys must be plain scalars")
            key = str(key_node.value)
            if key in out:
                raise PolicyError(file, key_node.start_mark.line + 1, f"重复的键“{key}”", f"duplicate key {key!r}")
            lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = _construct(value_node, path + (key,), lines, loader, file)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [_construct(item, path + (str(i),), lines, loader, file) for i, item in enumerate(node.value)]
    assert isinstance(node, yaml.ScalarNode)
    if node.tag == "tag:yaml.org,2002:float":
        # exact: keep the decimal digits as written, never a binary float
        return Decimal(node.value.replace("_", ""))
    try:
        value = loader.construct_object(node)
    except ValueError as exc:  # a date that does not exist (2026-02-30): the resolver matched, the calendar did not
        raise PolicyError(
            file,
            node.start_mark.line + 1,
            f"“{node.value}”不是有效的日期（{exc}），请写存在的日期 YYYY-MM-DD",
            f"{node.value!r} is not a valid date ({exc}); write a date that exists, YYYY-MM-DD",
        ) from None
    if isinstance(value, datetime):
        return value.date()
    return value


# libyaml's parser when PyYAML has it: the policy texts are parsed on every run (≈ 0.4 s in pure Python)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str, file: str) -> _Raw:
    loader = _LOADER(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            raise PolicyError(
                file, mark.line + 1 if mark else None, f"YAML 语法错误：{exc.problem}", f"YAML syntax error: {exc.problem}"
            ) from exc
        if node is None or not isinstance(node, yaml.MappingNode):
            raise PolicyError(file, 1, "文件须为一个 YAML 映射", "the file must be one YAML mapping")
        lines: dict[Path_, int] = {}
        data = _construct(node, (), lines, loader, file)
    finally:
        loader.dispose()
    return _Raw(file, data, lines, text)


# --------------------------------------------------------------------------------------------------
# one file → Document


def _as_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return None


class _FileChecker:
    def __init__(self, raw: _Raw, errors: _Errors):
        self.raw = raw
        self.errors = errors
        self.file = raw.file

    def err(self, path: Path_, zh: str, en: str) -> None:
        self.errors.add(self.file, self.raw.line(*path), zh, en)

    def warn(self, path: Path_, zh: str, en: str) -> None:
        self.errors.warn(self.file, self.raw.line(*path), zh, en)

    def unknown_keys(self, mapping: dict[str, Any], allowed: frozenset[str], path: Path_) -> None:
        for key in mapping:
            if key not in allowed:
                self.err(
                    path + (key,),
                    f"未知字段“{key}”，可用字段：{'、'.join(sorted(allowed))}",
                    f"unknown field {key!r}; allowed: {', '.join(sorted(allowed))}",
                )

    def text(self, mapping: dict[str, Any], key: str, path: Path_, *, required: bool = True) -> str | None:
        value = mapping.get(key)
        if value is None:
            if required:
                self.err(path + (key,) if key in mapping else path, f"缺少字段“{key}”", f"missing field {key!r}")
            return None
        if not isinstance(value, str) or not value.strip():
            self.err(path + (key,), f"字段“{key}”须为非空字符串", f"field {key!r} must be a non-empty string")
            return None
        return value.strip()

    def date_(self, mapping: dict[str, Any], key: str, path: Path_, *, required: bool) -> date | None:
        if mapping.get(key) is None:
            if required:
                self.err(path + (key,) if key in mapping else path, f"缺少日期“{key}”", f"missing date {key!r}")
            return None
        value = _as_date(mapping[key])
        if value is None:
            self.err(path + (key,), f"“{key}”须为日期 YYYY-MM-DD", f"{key!r} must be a date YYYY-MM-DD")
        return value

    def str_list(self, mapping: dict[str, Any], key: str, path: Path_) -> tuple[str, ...]:
        value = mapping.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(x, str) and x.strip() for x in value):
            self.err(path + (key,), f"“{key}”须为字符串列表", f"{key!r} must be a list of strings")
            return ()
        return tuple(x.strip() for x in value)

    def clause_ref(self, clauses: dict[str, str], key: Any, path: Path_) -> bool:
        if not isinstance(key, str) or key not in clauses:
            self.err(
                path,
                f"引用了不存在的条款“{key}”（本文件条款：{'、'.join(clauses) or '无'}）",
                f"cites clause {key!r} that this document does not have (clauses: {', '.join(clauses) or 'none'})",
            )
            return False
        return True

    def quote(self, clauses: dict[str, str], clause: str, quote: Any, path: Path_, ok_clause: bool) -> str | None:
        if quote is None or (isinstance(quote, str) and not quote.strip()):
            self.err(path, "缺少引文 quote", "missing quote")
            return None
        if not isinstance(quote, str):
            self.err(path, "引文 quote 须为字符串", "quote must be a string")
            return None
        if ok_clause and normalize(quote) not in normalize(clauses[clause]):
            self.err(
                path,
                f"引文“{quote}”未出现在条款“{clause}”的原文中",
                f"quote {quote!r} does not occur in the text of clause {clause!r}",
            )
        return quote.strip()

    # ---------------------------------------------------------------------------------------------

    def document(self) -> Document | None:
        d = self.raw.data
        self.unknown_keys(d, DOC_KEYS, ())
        doc_id = self.text(d, "id", ())
        if doc_id and not ID_RE.match(doc_id):
            self.err(("id",), f"文件 id“{doc_id}”只能用小写字母、数字和连字符", f"id {doc_id!r}: use a-z, 0-9 and '-'")
        number = self.text(d, "number", (), required=False)
        title = self.text(d, "title", ()) or ""
        issuers = self.str_list(d, "issuers", ())
        if not issuers:
            self.err(("issuers",), "缺少发文机关 issuers", "missing issuers")
        jurisdiction = d.get("jurisdiction")
        if jurisdiction is not None:
            jurisdiction = str(jurisdiction)
        if jurisdiction not in REGIONS:
            self.err(
                ("jurisdiction",),
                f"未知的地区键“{jurisdiction}”（须为 regions.py 中的键，如 150000、national、bingtuan）",
                f"unknown jurisdiction {jurisdiction!r} (use a key of wengang.regions, e.g. 150000, national, bingtuan)",
            )
        status = d.get("status")
        if status not in STATUSES:
            self.err(("status",), f"status 须为 {'、'.join(sorted(STATUSES))}", f"status must be one of {sorted(STATUSES)}")
        issued = self.date_(d, "issued", (), required=status != "draft")
        if not number and status != "draft":
            self.err(("number",), "非征求意见稿必须有文号 number", "a document that is not a draft needs its number (文号)")
        source = self.text(d, "source", ()) or ""
        source_kind = d.get("source_kind", "policy-text")
        if source_kind not in SOURCE_KINDS:
            self.err(("source_kind",), f"source_kind 须为 {sorted(SOURCE_KINDS)}", f"source_kind must be one of {sorted(SOURCE_KINDS)}")
        note = self.text(d, "note", (), required=False)
        implements = self.str_list(d, "implements", ())
        implements_external = self.str_list(d, "implements_external", ())
        forwards = self.text(d, "forwards", (), required=False)

        clauses: dict[str, str] = {}
        raw_clauses = d.get("clauses")
        if not isinstance(raw_clauses, dict) or not raw_clauses:
            self.err(("clauses",), "缺少条款原文 clauses", "missing clauses (verbatim clause texts)")
        else:
            for key, text in raw_clauses.items():
                if not isinstance(text, str) or not text.strip():
                    self.err(("clauses", key), f"条款“{key}”缺少原文", f"clause {key!r} has no text")
                    continue
                clauses[str(key)] = text.strip()

        programs: dict[str, ProgramBlock] = {}
        raw_programs = d.get("programs") or {}
        if forwards and raw_programs:
            self.err(
                ("programs",),
                "转发文件只记录自身信息和条款，不能设置 programs（由被转发文件提供）",
                "a forwarding document carries only its metadata and clauses, not programs",
            )
        elif not isinstance(raw_programs, dict):
            self.err(("programs",), "programs 须为映射", "programs must be a mapping")
        elif doc_id:
            for pid, block in raw_programs.items():
                pb = self.program(doc_id, display_number(number, title, str(status)), pid, block, clauses)
                if pb is not None:
                    programs[pid] = pb
        if not forwards and not raw_programs and doc_id:
            self.err(("id",), "文件既未设置 programs 也未 forwards 转发", "the document neither sets programs nor forwards another")
        if status in STATUSES and status != "draft":
            self.not_a_draft_any_more(number, issued, programs)

        if doc_id is None or jurisdiction not in REGIONS or status not in STATUSES:
            return None
        return Document(
            id=doc_id,
            number=number,
            title=title,
            issuers=issuers,
            jurisdiction=jurisdiction,
            issued=issued,
            status=status,
            implements=implements,
            implements_external=implements_external,
            forwards=forwards,
            source=source,
            source_kind=source_kind if source_kind in SOURCE_KINDS else "policy-text",
            note=note,
            clauses=clauses,
            programs=programs,
            file=self.file,
        )

    def not_a_draft_any_more(self, number: str | None, issued: date | None, programs: dict[str, ProgramBlock]) -> None:
        """A document that is not a draft (in force or historical) may carry nothing of a draft (§118 D5): a 文号 with
        □ or 文号待定 (``wengang policy new`` writes ``内人社发〔2026〕□号``), a ``# 待核`` mark or the draft's note
        that says its clauses are last year's words still to check, or an ``issued`` date after today while one of
        its blocks is in force on a date up to today (it would decide today's and past cases by a notice not yet
        issued). A document whose every block starts after today (a test's 2099 notice) is warned about instead."""
        from wengang.policies.drafting import MARKER, NOTE

        status = self.raw.data.get("status")
        if number and ("□" in number or "待定" in number):
            self.err(
                ("number",),
                f"status 为 {status} 的文件，文号“{number}”仍是草稿的占位（□ 或“文号待定”）：请填入印发的文号，或改回 status: draft",
                f"a document with status {status} still has the draft's placeholder number {number!r}: fill in the "
                "number as issued, or set status: draft",
            )
        from wengang.beijing import beijing_today

        today = beijing_today()  # (Beijing's date, as every "today" of the product)
        if issued is not None and issued > today and not any(b.valid_from <= today for b in programs.values()):
            self.warn(
                ("issued",),
                f"status 为 {status} 的文件，印发日期 issued {issued} 晚于今天 {today}：尚未印发的文件应为草稿（status: draft）",
                f"a document with status {status} has issued {issued}, later than today: a notice not yet issued is a draft",
            )
        elif issued is not None and issued > today:
            self.err(
                ("issued",),
                f"status 为 {status} 的文件，印发日期 issued {issued} 晚于今天 {today}：尚未印发的文件只能是草稿（status: draft）",
                f"a document with status {status} has issued {issued}, later than today: a notice not yet issued is a "
                "draft",
            )
        marked = [i + 1 for i, line in enumerate(self.raw.text.splitlines())
                  if line.lstrip().startswith("#") and MARKER in line]
        if marked:
            shown = "、".join(str(n) for n in marked[:8]) + ("…" if len(marked) > 8 else "")
            self.errors.add(
                self.file,
                marked[0],
                f"status 为 {status} 的文件仍有 {len(marked)} 处草稿的“{MARKER}”标记（第 {shown} 行）：条款原文与引文须对照新文件"
                f"原文核对，核对后删去标记；未核对的文件只能是草稿（status: draft）",
                f"a document with status {status} still carries {len(marked)} of the draft's {MARKER} marks (lines "
                f"{shown}): check the clauses and quotes against the issued text and remove the marks, or keep status: draft",
            )
        note = self.raw.data.get("note")
        if isinstance(note, str) and note.strip().startswith(NOTE[:20]):
            self.err(
                ("note",),
                f"status 为 {status} 的文件，note 仍是草稿的说明（“{NOTE[:20]}…”）：请改写为本文件的说明，或改回 status: draft",
                f"a document with status {status} still has the draft's note: rewrite it, or keep status: draft",
            )

    def program(self, doc_id: str, number: str, pid: str, block: Any, clauses: dict[str, str]) -> ProgramBlock | None:
        path: Path_ = ("programs", pid)
        if not NAME_RE.match(pid):
            self.err(path, f"项目名“{pid}”须为 snake_case 英文", f"program id {pid!r} must be snake_case")
        if not isinstance(block, dict):
            self.err(path, "项目块须为映射", "a program block must be a mapping")
            return None
        self.unknown_keys(block, PROGRAM_KEYS, path)
        label = self.text(block, "label", path) or pid
        ruleset = self.text(block, "ruleset", path)
        if ruleset and (pid, ruleset) not in REQUIRED_PARAMS:
            known = sorted(r for p, r in REQUIRED_PARAMS if p == pid)
            self.err(
                path + ("ruleset",),
                f"未知的规则集“{pid}/{ruleset}”（已登记：{'、'.join(known) or '无'}；见 policies/required.py）",
                f"unknown ruleset {pid}/{ruleset} (registered: {', '.join(known) or 'none'}; see policies/required.py)",
            )
        clause = block.get("clause")
        self.clause_ref(clauses, clause, path + ("clause",))
        valid_from = self.date_(block, "valid_from", path, required=True)
        valid_to = self.date_(block, "valid_to", path, required=False)
        if valid_from and valid_to and valid_to < valid_from:
            self.err(path + ("valid_to",), "valid_to 早于 valid_from", "valid_to is before valid_from")
        validity_source = self.text(block, "validity_source", path, required=False)
        validity_clause = block.get("validity_clause")
        if validity_clause is not None and validity_source is None:
            if self.clause_ref(clauses, validity_clause, path + ("validity_clause",)) and valid_to is not None:
                self.validity_against_text(path, str(validity_clause), clauses[str(validity_clause)], valid_to)
        base = self.text(block, "base", path, required=False)
        note = self.text(block, "note", path, required=False)
        if valid_to is not None and validity_clause is None and note is None:
            self.err(
                path + ("valid_to",),
                "有截止日期时须用 validity_clause 注明出处条款；文件未写明时须用 note 说明所作解读",
                "a valid_to needs validity_clause naming the clause that gives it, or a note explaining the reading",
            )

        params: dict[str, Param] = {}
        raw_params = block.get("parameters") or {}
        if not isinstance(raw_params, dict):
            self.err(path + ("parameters",), "parameters 须为映射", "parameters must be a mapping")
            raw_params = {}
        for name, spec in raw_params.items():
            p = self.param(doc_id, number, pid, name, spec, clauses, valid_from, valid_to)
            if p is not None:
                params[name] = p

        settings: dict[str, RegionSettingSpec] = {}
        raw_settings = block.get("region_settings") or {}
        if not isinstance(raw_settings, dict):
            self.err(path + ("region_settings",), "region_settings 须为映射", "region_settings must be a mapping")
            raw_settings = {}
        for name, spec in raw_settings.items():
            s = self.setting(doc_id, number, pid, name, spec, clauses)
            if s is not None:
                if name in params:
                    self.err(
                        path + ("region_settings", name),
                        f"“{name}”已作为参数设置，不能同时是地区设置",
                        f"{name!r} is set as a parameter and cannot also be a region setting",
                    )
                settings[name] = s

        if ruleset is None or valid_from is None or not isinstance(clause, str):
            return None
        return ProgramBlock(
            program=pid,
            label=label,
            ruleset=ruleset,
            clause=clause,
            valid_from=valid_from,
            valid_to=valid_to,
            validity_clause=str(validity_clause) if validity_clause is not None else None,
            validity_source=validity_source,
            base=base,
            note=note,
            params=params,
            region_settings=settings,
            doc_id=doc_id,
        )

    def param(
        self,
        doc_id: str,
        number: str,
        pid: str,
        name: str,
        spec: Any,
        clauses: dict[str, str],
        block_from: date | None,
        block_to: date | None,
    ) -> Param | None:
        path: Path_ = ("programs", pid, "parameters", name)
        if not NAME_RE.match(name):
            self.err(path, f"参数名“{name}”须为 snake_case 英文", f"parameter name {name!r} must be snake_case")
        if not isinstance(spec, dict):
            self.err(path, "参数须为映射 {value, unit, clause, quote}", "a parameter must be a mapping {value, unit, clause, quote}")
            return None
        self.unknown_keys(spec, PARAM_KEYS, path)
        ok = True
        for key in ("value", "unit", "clause", "quote"):
            if key not in spec:
                self.err(path, f"参数“{name}”缺少“{key}”", f"parameter {name!r} lacks {key!r}")
                ok = False
        unit = spec.get("unit")
        value = None
        if "unit" in spec and unit not in UNITS:
            self.err(
                path + ("unit",),
                f"未知单位“{unit}”，可用：{'、'.join(sorted(UNITS))}",
                f"unknown unit {unit!r}; known: {', '.join(sorted(UNITS))}",
            )
            ok = False
        elif "value" in spec and "unit" in spec:
            try:
                value = convert(spec["value"], str(unit))
            except UnitError as exc:
                self.err(path + ("value",), exc.message_zh, exc.message_en)
                ok = False
        clause = spec.get("clause")
        ok_clause = "clause" in spec and self.clause_ref(clauses, clause, path + ("clause",))
        quote = self.quote(clauses, clause, spec.get("quote"), path + ("quote",), ok_clause) if "quote" in spec else None
        boundary = spec.get("boundary")
        if boundary is not None and boundary not in BOUNDARIES:
            self.err(
                path + ("boundary",),
                f"未知的边界词“{boundary}”，可用：{'、'.join(sorted(BOUNDARIES))}",
                f"unknown boundary word {boundary!r}",
            )
        elif boundary is not None and quote and not any(w in quote for w in _BOUNDARY_SPELLINGS.get(boundary, (boundary,))):
            self.err(
                path + ("boundary",),
                f"边界词“{boundary}”未出现在引文中",
                f"boundary word {boundary!r} does not occur in the quote",
            )
        ceiling = spec.get("ceiling", False)
        if not isinstance(ceiling, bool):
            self.err(path + ("ceiling",), "ceiling 须为 true/false", "ceiling must be true or false")
            ceiling = False
        if ceiling and comparable(value) is None and ok:
            self.err(path + ("ceiling",), "只有数值参数可以是上限 ceiling", "only a numeric parameter can be a ceiling")
        p_from = self.date_(spec, "valid_from", path, required=False)
        p_to = self.date_(spec, "valid_to", path, required=False)
        lo = p_from or block_from
        hi = p_to or block_to
        if lo and hi and hi < lo:
            self.err(path + ("valid_to",), "参数 valid_to 早于 valid_from", "parameter valid_to is before valid_from")
        if block_from and p_from and p_from < block_from:
            self.err(path + ("valid_from",), "参数有效期早于项目有效期", "parameter starts before its program block")
        if block_to and p_to and p_to > block_to:
            self.err(path + ("valid_to",), "参数有效期晚于项目有效期", "parameter ends after its program block")
        note = spec.get("note")
        quote_sound = ok_clause and quote is not None and normalize(quote) in normalize(clauses[str(clause)])
        if ok and quote_sound and value is not None:  # a quote not in its clause is reported as that, first
            if quote is not None and self.value_in_quote(path, name, spec["value"], str(unit), quote, note):
                # the figure is in the quote: it must also be the figure the quote gives this parameter (§118 D2)
                tied = tie_problem(name, spec["value"], str(unit), quote, clauses[str(clause)])
                if tied is not None:
                    self.errors.deferred.append(PolicyError(self.file, self.raw.line(*path, "value"), *tied))
        if not ok or quote is None:
            return None
        return Param(
            name=name,
            value=value,
            unit=str(unit),
            doc_id=doc_id,
            number=number,
            clause=str(clause),
            quote=quote,
            program=pid,
            boundary=boundary,
            ceiling=ceiling,
            valid_from=p_from,
            valid_to=p_to,
            note=str(note).strip() if note else None,
        )

    def validity_against_text(self, path: Path_, clause: str, text: str, valid_to: date) -> None:
        """A valid_to later than every end date its validity clause states (执行期限至2026年12月31日) is flagged."""
        stated = stated_end_dates(text)
        if stated and valid_to > max(stated):
            end = max(stated)
            self.warn(
                path + ("valid_to",),
                f"valid_to {valid_to} 晚于有效期条款“{clause}”写明的截止日期 {end}（{end.year}年{end.month}月{end.day}日）："
                f"请核对条款原文（草稿沿用的可能是上一年度的文字）或 valid_to",
                f"valid_to {valid_to} is later than the end date {end} that validity clause {clause!r} states: "
                f"check the clause text (a file made from last year's may still carry its words) or valid_to",
            )

    def value_in_quote(self, path: Path_, name: str, raw: Any, unit: str, quote: str, note: Any) -> bool:
        """The value, in its unit, must be what the quote says (60 percent ↔ “60%”, 1500 yuan ↔ “1500元”); True when
        the quote states it."""
        found = value_in_quote(raw, unit, quote)
        if found is not False:
            return found is True
        if isinstance(note, str) and note.strip().startswith(DERIVED_NOTE_PREFIXES):
            self.warn(
                path + ("value",),
                f"参数“{name}”的取值 {raw}（单位 {unit}）未在引文中写明，按 note 所记的推算/解读采用：{note.strip()}",
                f"parameter {name!r}: value {raw} ({unit}) is not stated in its quote; taken as derived per its note",
            )
            return False
        said = stated_forms(quote)
        errors = self.errors
        hint_zh = f"；引文写的是：{'、'.join(said)}" if said else "；引文中没有数字"
        hint_en = f"; the quote states: {', '.join(said)}" if said else "; the quote states no figure"
        errors.deferred.append(PolicyError(
            self.file,
            self.raw.line(*path, "value"),
            f"参数“{name}”的取值 {raw}、单位 {unit}（即{example_forms(raw, unit)}）未出现在引文“{quote}”中"
            f"{hint_zh}：请核对取值与单位（如 60% 写 value: 60, unit: percent；1500元 写 value: 1500, unit: yuan）。"
            f"文件未写明、由推算或解读得出的取值，在 note 中以“推算：”或“解读：”开头说明",
            f"parameter {name!r}: value {raw} in unit {unit} does not occur in its quote {quote!r}{hint_en}: check value "
            f"and unit (60% is value: 60, unit: percent). A derived value says so in a note starting 推算： or 解读：",
        ))
        return False

    def setting(
        self, doc_id: str, number: str, pid: str, name: str, spec: Any, clauses: dict[str, str]
    ) -> RegionSettingSpec | None:
        path: Path_ = ("programs", pid, "region_settings", name)
        if not NAME_RE.match(name):
            self.err(path, f"地区设置名“{name}”须为 snake_case 英文", f"region setting name {name!r} must be snake_case")
        if not isinstance(spec, dict):
            self.err(path, "地区设置须为映射", "a region setting must be a mapping")
            return None
        self.unknown_keys(spec, SETTING_KEYS, path)
        ok = True
        for key in ("unit", "clause", "quote", "description"):
            if key not in spec:
                self.err(path, f"地区设置“{name}”缺少“{key}”", f"region setting {name!r} lacks {key!r}")
                ok = False
        unit = spec.get("unit")
        if unit not in UNITS:
            self.err(path + ("unit",), f"未知单位“{unit}”", f"unknown unit {unit!r}")
            ok = False
        clause = spec.get("clause")
        ok_clause = "clause" in spec and self.clause_ref(clauses, clause, path + ("clause",))
        quote = self.quote(clauses, clause, spec.get("quote"), path + ("quote",), ok_clause) if "quote" in spec else None
        boundary = spec.get("boundary")
        if boundary is not None and boundary not in BOUNDARIES:
            self.err(path + ("boundary",), f"未知的边界词“{boundary}”", f"unknown boundary word {boundary!r}")
        if not ok or quote is None:
            return None
        return RegionSettingSpec(
            name=name,
            unit=str(unit),
            clause=str(clause),
            quote=quote,
            description=str(spec["description"]).strip(),
            doc_id=doc_id,
            number=number,
            program=pid,
            boundary=boundary,
        )


# --------------------------------------------------------------------------------------------------
# checks across files


def ancestors(docs: dict[str, Document], doc: Document, program: str) -> list[ProgramBlock]:
    """The program blocks ``doc``'s block inherits from, nearest first (via ``base`` or ``implements``)."""
    out: list[ProgramBlock] = []
    seen = {doc.id}
    current = doc
    while True:
        block = current.programs.get(program)
        candidates = [block.base] if block is not None and block.base else list(current.implements)
        nxt = None
        for cid in candidates:
            cand = docs.get(cid)
            if cand is not None and cand.id not in seen and program in cand.programs:
                nxt = cand
                break
        if nxt is None:
            return out
        seen.add(nxt.id)
        out.append(nxt.programs[program])
        current = nxt


def _overlap(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    return a_from <= (b_to or date.max) and b_from <= (a_to or date.max)


def _latest_national_ceiling(
    docs: dict[str, Document], program: str, name: str, start: date
) -> tuple[Document, Param] | None:
    """The ceiling (不超过) a national document in the library sets on ``program.name``, the latest one whose
    block began on or before ``start``; None when there is none."""
    best: tuple[date, Document, Param] | None = None
    for d in docs.values():
        if d.jurisdiction != "national" or d.is_draft or d.forwards:
            continue
        block = d.programs.get(program)
        if block is None or block.valid_from > start:
            continue
        cap = block.params.get(name)
        if cap is None or not cap.ceiling:
            continue
        if best is None or block.valid_from > best[0]:
            best = (block.valid_from, d, cap)
    return None if best is None else (best[1], best[2])


@dataclass(frozen=True)
class Cap:
    """A figure a parameter's value may not exceed (§118 D1).

    ``kind``: ``implemented`` — a ``ceiling: true`` figure of the document this one implements (or its base);
    ``upper`` — the figure a document of a jurisdiction above (a city's province) sets for the same parameter and
    period: what the province sets is what its cities pay, a city may pay less but not more; ``national`` — a national
    不超过 ceiling of the same program and name. ``covered``: the national document's block covers the parameter's
    period; False when it is the last known national ceiling before it (no national document in the library covers it).
    """

    kind: str
    doc: Document
    param: Param
    covered: bool = True


def _period(block: ProgramBlock, p: Param) -> tuple[date, date | None]:
    return p.valid_from or block.valid_from, p.valid_to or block.valid_to


def value_caps(docs: dict[str, Document], doc: Document, pid: str, name: str, p: Param) -> list[Cap]:
    """Every figure ``doc``'s value ``p`` of ``pid.name`` may not exceed (see :class:`Cap`). Only numeric values of a
    document that is not national nor a forwarding one have caps; caps of another unit are left out (the loader
    reports a unit that differs from the implemented document's)."""
    if doc.jurisdiction == "national" or doc.forwards or comparable(p.value) is None:
        return []
    block = doc.programs[pid]
    lo, hi = _period(block, p)
    out: list[Cap] = []
    lineage = ancestors(docs, doc, pid)
    implemented_cap = False
    for anc in lineage:  # the nearest ``ceiling: true`` figure of the lineage (as the loader has always checked)
        cp = anc.params.get(name)
        if cp is None or not cp.ceiling or cp.unit != p.unit:
            continue
        out.append(Cap("implemented", docs[anc.doc_id], cp))
        implemented_cap = True
        break
    lineage_docs = {b.doc_id for b in lineage}
    # the nearest jurisdiction above (not national) that sets a figure for the same parameter and period
    from wengang.regions import chain

    for level in chain(doc.jurisdiction)[1:]:
        if level.key == "national":
            break
        found: list[Cap] = []
        for d in docs.values():
            if d.jurisdiction != level.key or d.forwards or (d.is_draft and d.id not in lineage_docs):
                continue
            b = d.programs.get(pid)
            q = b.params.get(name) if b is not None else None
            if b is None or q is None or q.unit != p.unit or comparable(q.value) is None:
                continue
            if not _overlap(lo, hi, *_period(b, q)):
                continue
            if any(c.param is q for c in out):
                continue
            found.append(Cap("upper", d, q))
        if found:
            out.extend(found)
            break
    if implemented_cap:
        return out
    covering: list[Cap] = []
    for d in docs.values():
        if d.jurisdiction != "national" or d.is_draft or d.forwards:
            continue
        b = d.programs.get(pid)
        q = b.params.get(name) if b is not None else None
        if b is None or q is None or not q.ceiling or q.unit != p.unit:
            continue
        if _overlap(lo, hi, *_period(b, q)):
            covering.append(Cap("national", d, q))
    if covering:
        return out + covering
    found_nat = _latest_national_ceiling(docs, pid, name, lo)
    if found_nat is not None and found_nat[1].unit == p.unit:
        out.append(Cap("national", found_nat[0], found_nat[1], covered=False))
    return out


def tightest_cap(caps: list[Cap]) -> Cap | None:
    """The lowest of ``caps`` (the one a value is first above)."""
    best: tuple[Any, Cap] | None = None
    for c in caps:
        v = comparable(c.param.value)
        if v is not None and (best is None or v < best[0]):
            best = (v, c)
    return None if best is None else best[1]


def _cap_breach(name: str, p: Param, cap: Cap, doc: Document) -> tuple[str, str] | None:
    """The error text when ``p`` is above ``cap``, else None."""
    if cap.kind != "upper":
        breach = over_ceiling(name, p.value, p.unit, cap.param, jurisdiction=cap.doc.jurisdiction)
        if breach is None or cap.kind == "implemented":
            return breach
        zh, en = breach
        if cap.covered:
            return (f"{zh}：{cap.doc.display_number} 的上限适用于本期间，省级及以下文件不得高于",
                    f"{en}: {cap.doc.display_number}'s ceiling applies to the period")
        external = "、".join(doc.implements_external)
        said = f"所执行的 {external} 不在本库，" if external else "本库没有适用于本期间的国家文件，"
        return (
            f"{zh}。{said}按本库最近已知的国家上限（{cap.doc.display_number} {cap.param.clause}）核对；"
            f"若国家已调整上限，请先将新的国家文件录入本库",
            f"{en}. No national document in the library covers the period: checked against the last known national "
            f"ceiling ({cap.param.citation()}); if the ceiling has changed, add the new national document first",
        )
    mine, limit = comparable(p.value), comparable(cap.param.value)
    if mine is None or limit is None or mine <= limit:
        return None
    shown, theirs = format_value(p.value, p.unit), format_value(cap.param.value, cap.param.unit)
    level = REGIONS[cap.doc.jurisdiction].name if cap.doc.jurisdiction in REGIONS else cap.doc.jurisdiction
    return (
        f"“{name}”为 {shown}，高于上级文件对同一期间所定的 {theirs}（{cap.param.citation()}，{level}）：上级所定的标准即本地区"
        f"执行的标准，下级文件可以不高于它，不得高于它",
        f"{name} = {shown} is above the {theirs} that the document above ({cap.param.citation()}, {cap.doc.jurisdiction}) "
        f"sets for the same period: a lower jurisdiction may not exceed it",
    )


def _check_external_ceilings(doc: Document, by_id: dict[str, Document], err: Any, warn: Any) -> None:
    """Say which national ceiling a document below the national level was checked against when no national document
    in the library covers its period (内人社发〔2025〕18号 against 人社部发〔2024〕40号: facts.md records that
    人社部发〔2025〕18号 keeps 40号's ceilings) — a value above it is an error (``_check_set`` via ``value_caps``), a
    value within it this warning; a document implementing one not in the library (``implements_external``) with no
    national ceiling to check against warns 未能核对国家上限 — never silent."""
    if doc.jurisdiction == "national" or doc.forwards:
        return
    external = "、".join(doc.implements_external)
    unchecked: list[str] = []
    for pid, block in doc.programs.items():
        numeric = [n for n, p in block.params.items() if comparable(p.value) is not None]
        checked: dict[str, list[str]] = {}
        for name in numeric:
            p = block.params[name]
            caps = value_caps(by_id, doc, pid, name, p)
            for cap in caps:
                if cap.kind == "national" and not cap.covered:
                    checked.setdefault(cap.doc.display_number, []).append(
                        f"{name}≤{cap.param.formatted().removeprefix('不超过')}（{cap.param.clause}）")
            if not caps and not ancestors(by_id, doc, pid) and doc.implements_external:
                # a unit that differs from the national ceiling's is an error, not a ceiling left unchecked
                found = _latest_national_ceiling(by_id, pid, name, block.valid_from)
                if found is not None and found[1].unit != p.unit:
                    err(
                        doc,
                        ("programs", pid, "parameters", name, "unit"),
                        f"“{name}”的单位 {p.unit} 与国家上限的单位 {found[1].unit} 不一致（{found[1].citation()}）",
                        f"{name} has unit {p.unit} but the national ceiling uses {found[1].unit} ({found[1].citation()})",
                    )
                    checked.setdefault("", [])
        for where, items in checked.items():
            if not where:
                continue
            said = f"所执行的 {external} 不在本库" if external else "本库没有适用于本期间的国家文件"
            warn(
                doc,
                ("programs", pid),
                f"{doc.display_number} {said}：{block.label}（{pid}）的 {'、'.join(items)} "
                f"按本库最近的国家文件 {where} 的上限核对（本期间没有国家文件在本库；假定国家上限未变，见 facts.md）",
                f"{doc.display_number}: no national document in the library covers the period: {pid} "
                f"{', '.join(items)} checked against the last known national ceilings, {where}",
            )
        if numeric and not checked and doc.implements_external and not ancestors(by_id, doc, pid):
            unchecked.append(f"{block.label}（{pid}）")
    if unchecked:
        warn(
            doc,
            ("implements_external",),
            f"未能核对国家上限：{doc.display_number} 所执行的 {external} 不在本库，本库也没有同一项目的国家上限可比对："
            f"{'、'.join(unchecked)}",
            f"national ceilings not checked: {doc.display_number} implements {external}, which is not in the library, "
            f"and no national document in it caps {', '.join(unchecked)}",
        )


def forward_covers(doc: Document, block: ProgramBlock, on: date) -> bool:
    """Whether forwarding notice ``doc`` attributes a case of ``on`` under the forwarded ``block`` (§118 D3): the
    block is in force on ``on``, the notice was issued before the block ended (a notice does not forward what has
    ended), and ``on`` falls in or after the notice's own year (a 2026 notice does not decide a 2025 case; a notice
    of June forwards its year's policy from January, as 通人社办发〔2022〕139号 does 内人社办发〔2022〕86号)."""
    if not block.in_force(on):
        return False
    if doc.issued is None:
        return True
    if block.valid_to is not None and doc.issued > block.valid_to:
        return False
    return on >= date(doc.issued.year, 1, 1)


def _check_forward(doc: Document, target: Document, err: Any, warn: Any) -> None:
    """A forwarding notice forwards a document of its own chain above it — its province's, or a national one — issued
    before it, with something still in force when it was issued (§118 D3): 通辽 cannot forward 山西's notice."""
    from wengang.regions import REGIONS, chain

    above = [r for r in chain(doc.jurisdiction)[1:]]
    keys = {r.key for r in above}
    if target.jurisdiction not in keys:
        here = REGIONS[doc.jurisdiction].name
        there = REGIONS[target.jurisdiction].name if target.jurisdiction in REGIONS else target.jurisdiction
        allowed = "、".join(f"{r.name}（{r.key}）" for r in above) or "无"
        err(
            doc,
            ("forwards",),
            f"forwards 转发的 {target.display_number}（{target.id}）是{there}（{target.jurisdiction}）的文件，不在{here}"
            f"（{doc.jurisdiction}）的上级之列：转发文件只能转发本地区上级（{allowed}）的文件",
            f"forwards {target.id} of jurisdiction {target.jurisdiction}, which is not above {doc.jurisdiction}: a "
            f"forwarding notice forwards a document of its own province or a national one ({', '.join(sorted(keys))})",
        )
        return
    if target.is_draft and not doc.is_draft:
        err(
            doc,
            ("forwards",),
            f"status 为 {doc.status} 的文件不能转发征求意见稿 {target.display_number}（{target.id}）：转发文件在所转发的文件印发后才能生效，"
            f"请改为 status: draft，或待其印发",
            f"a document with status {doc.status} cannot forward the draft {target.id}: keep status: draft until it is issued",
        )
    if doc.issued is None or target.issued is None:
        return
    if doc.issued < target.issued:
        err(
            doc,
            ("issued",),
            f"印发日期 {doc.issued} 早于所转发的 {target.display_number} 的印发日期 {target.issued}：不能转发尚未印发的文件",
            f"issued {doc.issued} is before the forwarded {target.display_number} was issued ({target.issued})",
        )
        return
    ended = [f"{b.label}（{pid}，至 {b.valid_to}）" for pid, b in target.programs.items()
             if b.valid_to is not None and b.valid_to < doc.issued]
    if ended and len(ended) == len(target.programs):
        err(
            doc,
            ("forwards",),
            f"所转发的 {target.display_number} 的各项目在本文件印发（{doc.issued}）前均已到期：{'、'.join(ended)}；"
            f"请核对 forwards 是否应为当年度的文件",
            f"every program of the forwarded {target.display_number} ended before this notice was issued ({doc.issued}): "
            f"check that forwards names this year's document",
        )
    elif ended:
        warn(
            doc,
            ("forwards",),
            f"所转发的 {target.display_number} 的以下项目在本文件印发（{doc.issued}）前已到期，不经本文件适用：{'、'.join(ended)}",
            f"these programs of the forwarded {target.display_number} ended before this notice was issued and are not "
            f"applied through it: {', '.join(ended)}",
        )


def _overlap_advice_zh(earlier: Document, pid: str, e_to: date | None, l_from: date) -> str:
    if e_to is None:
        return (f"{earlier.display_number} 的该项目未定截止日期。若新文件只是延续这一常设项目，在本项目写 base: {earlier.id}"
                f"（补充并沿用其参数）；若新文件取代它，在 {earlier.file} 中为该项目加 valid_to（如 {l_from.fromordinal(l_from.toordinal() - 1)}）")
    return f"请把 valid_from 改在 {e_to} 之后（新文件只能从已安装文件的期限结束后适用），或核对两份文件的期限"


def _overlap_advice_en(earlier: Document, pid: str, e_to: date | None, l_from: date) -> str:
    if e_to is None:
        return (f"{earlier.id}'s {pid} has no end date: write base: {earlier.id} in this block if the new notice only "
                f"continues it, or give it a valid_to in {earlier.file} if the new notice replaces it")
    return f"start valid_from after {e_to} (a new notice applies only after the installed one ends)"


def _unread_names(
    doc: Document, pid: str, block: ProgramBlock, recorded: frozenset[str], missing: list[str], raws: dict[str, _Raw], err
) -> list[str]:
    """Refuse every parameter or region setting of ``block`` that no rule set of ``pid`` reads and no installed
    document records; returns ``missing`` less the required names so misspelt (reported at the misspelt line)."""
    from wengang.policies.names import names_read, nearest

    known = names_read(pid) | recorded
    still = list(missing)
    for kind, names in (("parameters", block.params), ("region_settings", block.region_settings)):
        for name in names:
            if name in known:
                continue
            close = nearest(name, still, n=1) or nearest(name, known)
            if close and close[0] in still:
                still.remove(close[0])
                zh_hint = f"，疑为规则集 {pid}/{block.ruleset} 必需的参数“{close[0]}”的误写"
                en_hint = f"; perhaps the required {close[0]!r} of ruleset {pid}/{block.ruleset}, misspelt"
            elif close:
                zh_hint = f"，最接近的有效名称：{'、'.join(close)}"
                en_hint = f"; nearest valid names: {', '.join(close)}"
            else:
                zh_hint = f"（有效名称见 docs/policies.md “Parameter names per program”：{'、'.join(sorted(known)[:12])}…）"
                en_hint = " (valid names: docs/policies.md, Parameter names per program)"
            err(
                doc,
                ("programs", pid, kind, name),
                f"未知的参数名“{name}”：{block.label}（{pid}）的规则集没有读取此名称，该项规定将不起作用{zh_hint}",
                f"unknown parameter name {name!r}: no ruleset of {pid} reads it, so the provision would have no "
                f"effect{en_hint}",
            )
    return still


def _unknown_choices(doc: Document, pid: str, block: ProgramBlock, err) -> None:
    """Refuse a parameter that chooses a path in the rules (``names.choices_read``) set to a value no rule knows: it
    would load and fail at the first case (or, read by presence, be taken for another value)."""
    from wengang.policies.names import choices_read

    for name, options in choices_read(pid).items():
        p = block.params.get(name)
        if p is None or str(p.value) in options:
            continue
        known = "、".join(sorted(options)) or "（无）"
        err(doc, ("programs", pid, "parameters", name, "value"),
            f"参数“{name}”的取值“{p.value}”不是规则可以适用的取值：{block.label}（{pid}）的规则只认 {known}",
            f"parameter {name!r} has value {p.value!r}, which no rule of {pid} can apply; known values: "
            f"{', '.join(sorted(options))}")


def _check_set(
    docs: list[Document],
    raws: dict[str, _Raw],
    errors: _Errors,
    *,
    requested: frozenset[str] = frozenset(),
    recorded: dict[str, frozenset[str]] | None = None,
) -> dict[str, Document]:
    recorded = recorded or {}
    by_id: dict[str, Document] = {}
    by_number: dict[str, Document] = {}

    def err(doc: Document, path: Path_, zh: str, en: str) -> None:
        errors.add(doc.file, raws[doc.file].line(*path), zh, en)

    def warn(doc: Document, path: Path_, zh: str, en: str) -> None:
        errors.warn(doc.file, raws[doc.file].line(*path), zh, en)

    for doc in docs:
        if doc.id in by_id:
            err(doc, ("id",), f"重复的文件 id“{doc.id}”（另见 {by_id[doc.id].file}）", f"duplicate id {doc.id!r} (also in {by_id[doc.id].file})")
            continue
        by_id[doc.id] = doc
        if doc.number:
            if doc.number in by_number:
                other = by_number[doc.number].file
                err(doc, ("number",), f"重复的文号“{doc.number}”（另见 {other}）", f"duplicate number {doc.number!r} (also in {other})")
            by_number[doc.number] = doc

    for doc in by_id.values():
        for i, ref in enumerate(doc.implements):
            if ref not in by_id:
                err(doc, ("implements", str(i)), f"implements 引用了不存在的文件 id“{ref}”", f"implements unknown document id {ref!r}")
        if doc.forwards:
            target = by_id.get(doc.forwards)
            if target is None:
                err(doc, ("forwards",), f"forwards 引用了不存在的文件 id“{doc.forwards}”", f"forwards unknown document id {doc.forwards!r}")
            elif target.forwards:
                err(doc, ("forwards",), "不能转发一份转发文件", "cannot forward a forwarding document")
            else:
                _check_forward(doc, target, err, warn)
        for pid, block in doc.programs.items():
            path: Path_ = ("programs", pid)
            if block.base is not None:
                base = by_id.get(block.base)
                if base is None:
                    err(doc, path + ("base",), f"base 引用了不存在的文件 id“{block.base}”", f"base names unknown document id {block.base!r}")
                elif pid not in base.programs:
                    err(doc, path + ("base",), f"base 文件 {block.base} 没有项目“{pid}”", f"base document {block.base} has no program {pid!r}")
            if block.validity_source is not None:
                src = by_id.get(block.validity_source)
                if src is None:
                    err(doc, path + ("validity_source",), f"validity_source 引用了不存在的文件“{block.validity_source}”", f"validity_source names unknown document {block.validity_source!r}")
                elif block.validity_clause not in src.clauses:
                    err(
                        doc,
                        path + ("validity_clause",),
                        f"引用了不存在的条款“{block.validity_clause}”（{src.id}）",
                        f"cites clause {block.validity_clause!r} that {src.id} does not have",
                    )

    if errors.items:  # the checks below need the references to be sound
        return by_id

    for doc in by_id.values():
        _check_external_ceilings(doc, by_id, err, warn)
        for pid, block in doc.programs.items():
            chain = ancestors(by_id, doc, pid)
            # ceilings: a value set here may not exceed a ceiling of the document it implements, the figure the
            # jurisdiction above sets for the period, or the national 不超过 ceiling (§118 D1: ``value_caps``)
            for name, p in block.params.items():
                unit_ok = True
                for anc in chain:
                    cp = anc.params.get(name)
                    if cp is not None and cp.unit != p.unit:
                        err(
                            doc,
                            ("programs", pid, "parameters", name, "unit"),
                            f"“{name}”的单位 {p.unit} 与所执行文件的单位 {cp.unit} 不一致（{cp.citation()}）",
                            f"{name} has unit {p.unit} but the implemented document uses {cp.unit} ({cp.citation()})",
                        )
                        unit_ok = False
                        break
                    if cp is not None and cp.ceiling:
                        break
                if not unit_ok:
                    continue
                for cap in value_caps(by_id, doc, pid, name, p):
                    breach = _cap_breach(name, p, cap, doc)
                    if breach is not None:
                        err(doc, ("programs", pid, "parameters", name, "value"), *breach)
            # required parameters of the rule set
            have = set(block.params) | set(block.region_settings)
            for anc in chain:
                have |= set(anc.params) | set(anc.region_settings)
            missing = sorted(REQUIRED_PARAMS.get((pid, block.ruleset), set()) - have)
            if doc.file in requested:
                # a name no rule reads would load and silently turn its rule off (audit 7 F1): refused at its line;
                # a required name it misspells is reported there, not as "missing" at the block
                missing = _unread_names(doc, pid, block, recorded.get(pid, frozenset()), missing, raws, err)
                _unknown_choices(doc, pid, block, err)
            if missing:
                err(
                    doc,
                    ("programs", pid, "ruleset"),
                    f"规则集 {pid}/{block.ruleset} 需要的参数缺失：{'、'.join(missing)}（可设为参数、地区设置，或由所执行文件继承）",
                    f"ruleset {pid}/{block.ruleset} needs parameters that are missing: {', '.join(missing)}",
                )

    # overlapping validity within one jurisdiction. Installed drafts are excepted (never used unless asked for); a
    # draft being checked or used (``policy check --path``, ``--policy-path``) is checked against the documents that
    # are not drafts: a draft overlapping an installed notice would decide that notice's cases (docs/policies.md)
    enacting = sorted(
        (d for d in by_id.values() if (not d.is_draft or d.file in requested) and not d.forwards),
        key=lambda d: (d.is_draft, d.issued or date.max, d.id),  # a draft is checked as the later one
    )
    for i, later in enumerate(enacting):
        for earlier in enacting[:i]:
            if earlier.jurisdiction != later.jurisdiction or earlier.is_draft:
                continue
            for pid, lb in later.programs.items():
                eb = earlier.programs.get(pid)
                if eb is None:
                    continue
                if eb in ancestors(by_id, later, pid):
                    # the later block builds on the earlier one (``base``): it supplements it, e.g. a notice
                    # on the 失业保险条例; resolution takes the newer block with the older one's parameters
                    continue
                for name, lp in lb.params.items():
                    ep = eb.params.get(name)
                    if ep is None:
                        continue
                    l_from, l_to = lp.valid_from or lb.valid_from, lp.valid_to or lb.valid_to
                    e_from, e_to = ep.valid_from or eb.valid_from, ep.valid_to or eb.valid_to
                    if _overlap(l_from, l_to, e_from, e_to):
                        err(
                            later,
                            ("programs", pid, "parameters", name),
                            f"参数“{pid}.{name}”的有效期（{l_from}～{l_to or '不定'}）与同一地区的 {earlier.display_number}"
                            f"（{e_from}～{e_to or '不定'}，{earlier.file}）重叠：{_overlap_advice_zh(earlier, pid, e_to, l_from)}",
                            f"parameter {pid}.{name} ({l_from}..{l_to or 'open'}) overlaps {earlier.display_number} "
                            f"({e_from}..{e_to or 'open'}, {earlier.file}) in the same jurisdiction: "
                            f"{_overlap_advice_en(earlier, pid, e_to, l_from)}",
                        )
                if _overlap(lb.valid_from, lb.valid_to, eb.valid_from, eb.valid_to) and not (set(lb.params) & set(eb.params)):
                    err(
                        later,
                        ("programs", pid, "valid_from"),
                        f"项目“{pid}”的有效期与同一地区的 {earlier.display_number}（{earlier.file}）重叠："
                        f"{_overlap_advice_zh(earlier, pid, eb.valid_to, lb.valid_from)}",
                        f"program {pid} overlaps {earlier.display_number} ({earlier.file}) in the same jurisdiction: "
                        f"{_overlap_advice_en(earlier, pid, eb.valid_to, lb.valid_from)}",
                    )
    return by_id


# --------------------------------------------------------------------------------------------------
# entry points


def packaged_root() -> Traversable:
    return resources.files("wengang.policies")


def _yaml_files(root: Traversable | Path, prefix: str) -> Iterable[tuple[str, str]]:
    """(label, text) of every ``*.yaml`` below ``root``, sorted, label = ``prefix/sub/file.yaml``."""
    entries = sorted(root.iterdir(), key=lambda e: e.name)
    for entry in entries:
        if entry.is_dir():
            # coverage/ holds the coverage register (wengang.policies.coverage), not policy documents
            if entry.name.startswith((".", "__")) or (prefix == "policies" and entry.name == "coverage"):
                continue
            yield from _yaml_files(entry, f"{prefix}/{entry.name}")
        elif entry.name.endswith((".yaml", ".yml")):
            try:
                text = entry.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise PolicyError(f"{prefix}/{entry.name}", None, f"无法按 UTF-8 文本读取（{type(exc).__name__}）",
                                  f"cannot be read as UTF-8 text ({exc})") from None
            yield f"{prefix}/{entry.name}", text


def load_documents(
    sources: Iterable[tuple[str, str]],
    *,
    replacing: Iterable[str] = (),
    checked: Iterable[str] = (),
    warnings: list[PolicyError] | None = None,
) -> dict[str, Document]:
    """Parse and check (label, yaml text) pairs; raise :class:`PolicyError` on the first defect.

    A document from a source labelled in ``replacing`` takes the place of another source's document with
    the same id (an edited copy of a shipped file, given with ``--policy-path``); the set is checked after. A draft
    from a source labelled in ``replacing`` or ``checked`` is checked for overlap with the documents in force.
    Warnings (not defects) are appended to ``warnings`` when given.
    """
    errors = _Errors()
    docs: list[Document] = []
    raws: dict[str, _Raw] = {}
    for label, text in sources:
        try:
            raw = parse_yaml(text, label)
        except PolicyError as exc:
            errors.items.append(exc)
            continue
        raws[label] = raw
        doc = _FileChecker(raw, errors).document()
        if doc is not None:
            docs.append(doc)
    chosen = set(replacing)
    asked = frozenset(chosen) | frozenset(checked)
    # names the installed documents set (replaced ones included): provisions recorded though no rule reads them
    recorded: dict[str, set[str]] = {}
    for d in docs:
        if d.file not in asked:
            for pid, block in d.programs.items():
                recorded.setdefault(pid, set()).update(block.params, block.region_settings)
    if chosen:
        replaced = {d.id for d in docs if d.file in chosen}
        docs = [d for d in docs if d.file in chosen or d.id not in replaced]
    if not docs and not errors.items:
        errors.add("(none)", None, "没有找到任何政策文件", "no policy files found")
    if errors.items:
        errors.raise_if_any()
    by_id = _check_set(
        docs, raws, errors, requested=asked, recorded={k: frozenset(v) for k, v in recorded.items()}
    )
    if warnings is not None:
        warnings.extend(errors.warnings)
    errors.raise_if_any()
    return by_id


def load_dirs(dirs: Iterable[Path | str], *, include_packaged: bool = True):
    """Load the shipped documents plus every ``*.yaml`` under ``dirs`` (uncached)."""
    from wengang.policies.policyset import PolicySet

    sources: list[tuple[str, str]] = []
    if include_packaged:
        sources.extend(_yaml_files(packaged_root(), "policies"))
    extra: list[str] = []
    for d in dirs:
        p = Path(d)
        if not p.is_dir():
            raise PolicyError(str(p), None, "目录不存在", "directory does not exist")
        files = list(_yaml_files(p, str(p)))
        sources.extend(files)
        extra.extend(label for label, _ in files)
    warnings: list[PolicyError] = []
    # drafts among the extra folders are candidates checked against the shipped set (overlap included); without the
    # shipped set the folders are the installed set itself, whose drafts may overlap (never used unless asked for)
    docs = load_documents(sources, checked=extra if include_packaged else (), warnings=warnings)
    return PolicySet(docs, warnings=warnings)


@functools.lru_cache(maxsize=1)
def _shipped_policy_set():
    return load_dirs([], include_packaged=True)


_ACTIVE: list[Any] = []  # a policy set put in place for one run (``use_policy_set``), innermost last


def load_policy_set():
    """The policy documents in use: the shipped ones, validated and cached for the process, or the set a run
    put in place with :func:`use_policy_set` (``--policy-path FILE``)."""
    return _ACTIVE[-1] if _ACTIVE else _shipped_policy_set()


load_policy_set.cache_clear = _shipped_policy_set.cache_clear  # type: ignore[attr-defined]


def load_with_files(files: Iterable[Path | str]):
    """The shipped documents plus the given policy files (a draft not yet installed), checked together.

    Every loader check runs on them (ceilings, overlaps, citations, quotes); a file whose id is a shipped
    document's replaces it. Their documents count as asked for: a draft among them is used where it is in force
    (principle 3: drafts are never used unless asked for, and naming the file is asking).
    """
    sources = list(_yaml_files(packaged_root(), "policies"))
    labels: list[str] = []
    for f in files:
        p = Path(f)
        try:
            text = p.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise PolicyError(str(p), None, "政策文件不存在", "policy file does not exist") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise PolicyError(str(p), None, f"无法按 UTF-8 文本读取（{type(exc).__name__}）",
                              f"cannot be read as UTF-8 text ({exc})") from None
        sources.append((str(p), text))
        labels.append(str(p))
    from wengang.policies.policyset import PolicySet

    warnings: list[PolicyError] = []
    docs = load_documents(sources, replacing=labels, warnings=warnings)
    # the warnings about the files asked for; a run that uses the set prints them (``use_policy_set``)
    mine = [w for w in warnings if w.file in labels]
    return PolicySet(docs, requested={d.id for d in docs.values() if d.file in labels}, warnings=mine)


def _clear_dependent_caches() -> None:
    """Caches keyed without the policy set (setting units, compiled screening plans): emptied on a switch."""
    import sys

    settings = sys.modules.get("wengang.settings")
    if settings is not None:
        settings._setting_specs.cache_clear()
        settings.parameter_units.cache_clear()
    screening = sys.modules.get("wengang.screening.evaluate")
    if screening is not None:
        screening._compiled_plans.cache_clear()


@contextlib.contextmanager
def use_policy_set(policy_set: Any) -> Iterator[Any]:
    """Run with ``policy_set`` in place of the shipped one (``load_policy_set`` returns it) for the block only.
    The loader's warnings about the files given for the run (``--policy-path``) go to stderr once: never silent."""
    if getattr(policy_set, "warnings", ()) and not getattr(policy_set, "_warned", False):
        for w in policy_set.warnings:
            print(f"警告 / warning: {w}", file=sys.stderr)
        policy_set._warned = True
    _ACTIVE.append(policy_set)
    _clear_dependent_caches()
    try:
        yield policy_set
    finally:
        _ACTIVE.pop()
        _clear_dependent_caches()


@contextlib.contextmanager
def policy_files(files: Iterable[Path | str] | None) -> Iterator[Any]:
    """``--policy-path``: the shipped set plus ``files`` for this run (nothing changes when none are given)."""
    files = list(files or ())
    if not files:
        yield load_policy_set()
        return
    with use_policy_set(load_with_files(files)) as ps:
        yield ps

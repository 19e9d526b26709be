"""Which column is which: canonical field names ↔ the headers agencies use, and the unit a money header says.

A column is matched to a field by its header, after normalising both (:func:`normalise_header`: NFKC so
full-width letters and brackets read as ASCII, every space removed, a ``*`` or ``(必填)`` marker dropped,
ASCII lower-cased). A field answers to

* its canonical name (``due_fen``), and for money also ``<base>_yuan`` (``due_yuan``);
* its standard Chinese header: a raw table's column header (``screening.schemas``), or a facts model's
  Chinese name in the data dictionary when it is a name rather than a sentence;
* the agency headers in :data:`AGENCY_HEADERS` (one table; :data:`PERSON_HEADERS` replaces a few for
  tables and models about persons, where ``姓名`` is the name);
* the user's own mapping file (``--header-map``, :func:`load_header_map`), which wins.

Units of money columns are said by the header, never guessed: ``*_fen`` and a header ending ``(分)`` are
fen; ``*_yuan``, a header ending ``(元)`` and — as the data dictionary declares — a Chinese header without
a unit (``应缴金额``) are yuan, because agencies' exports show 元. A unit the system does not read
(``(万元)`` on an amount) is refused.

Columns that match no field are ignored and listed in a note; a required field with no column is refused
with the column in the file that looks nearest (:class:`~wengang.ingest.IngestError`).
"""

from __future__ import annotations

import csv
import difflib
import functools
import io
import re
import types
import typing
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wengang.ingest import IngestError

YUAN, FEN = "yuan", "fen"

# canonical field → headers agencies use besides the standard one (one table for every raw table and
# facts model that has the field; docs/data-dictionary.md prints it)
AGENCY_HEADERS: dict[str, tuple[str, ...]] = {
    "credit_code": ("统一社会信用代码", "单位统一社会信用代码", "社会信用代码", "信用代码", "统一信用代码"),
    "name": ("单位名称", "单位全称", "企业名称"),
    "region_code": ("参保地行政区划代码", "行政区划代码", "区划代码"),
    "org_type": ("单位类型", "单位性质"),
    "industry_code": ("国民经济行业代码", "行业代码", "所属行业代码", "行业分类代码"),
    "size_class": ("企业划型", "企业规模", "企业规模类型", "划型"),
    "employees": ("从业人员数", "从业人数", "从业人员"),
    "revenue_10k_yuan": ("营业收入（万元）", "营业收入(万元)"),
    "assets_10k_yuan": ("资产总额（万元）", "资产总额(万元)"),
    "is_dispatch_firm": ("是否劳务派遣单位", "劳务派遣单位"),
    "legal_entity_credit_code": ("所属独立法人统一社会信用代码", "法人统一社会信用代码", "上级法人统一社会信用代码"),
    "month": ("费款所属期", "所属期", "所属年月", "缴费所属期", "费款所属年月"),
    "due_fen": ("应缴金额", "应缴费额", "应缴额", "应缴失业保险费"),
    "paid_fen": ("实缴金额", "实缴费额", "实缴额", "实缴失业保险费"),
    "paid_date": ("缴费日期", "到账日期", "实缴日期"),
    "late_fee_fen": ("滞纳金", "滞纳金金额"),
    "insured_persons": ("缴费人数", "实缴人数"),
    "insured_headcount": ("参保人数", "参保职工人数", "年末参保职工人数", "年末参保人数"),
    "layoffs": ("裁员人数",),
    "normal_attrition": ("正常减员人数",),
    "year": ("年度",),
    "serious_dishonesty": ("是否失信", "严重失信", "是否列入严重失信名单", "列入严重违法失信名单"),
    "layoffs_last_year": ("上年度裁员人数", "上年裁员人数"),
    "normal_attrition_last_year": ("上年度正常减员人数", "上年正常减员人数"),
    "avg_insured_last_year": ("上年度月均参保人数", "上年月均参保人数", "上年度月均参保职工人数"),
    "insured_person_months_last_year": ("上年度参保人月数", "上年度各月参保人数合计", "上年度各月参保职工人数之和"),
    "months_fully_paid": ("连续足额缴费月数", "足额缴费月数"),
    "paid_premium_last_year_fen": ("上年度实缴失业保险费", "上年度实际缴纳失业保险费", "上年实缴失业保险费"),
    "has_corporate_account": ("有对公账户", "是否有对公账户"),
    "id_number": ("公民身份号码", "身份证号", "身份证号码", "证件号码"),
}
# tables and models about persons (those with an id_number): these fields mean the person's
PERSON_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("姓名",),
    "paid_date": (),
    "region_code": ("参保地行政区划代码", "行政区划代码"),
}

_MARKERS = re.compile(r"^\*+|\*+$|\((必填|选填|可选)\)$")
_UNIT_SUFFIX = re.compile(r"(.+)\((?:单位:)?(元|分|万元)\)")
_DUPLICATE = re.compile(r"(.+)_duplicated_[0-9]+")  # Polars' name for a repeated header
_NAME_LIKE = re.compile(r"[^，,；;。：:/、 ]{1,20}")


def normalise_header(header: object) -> str:
    """``"＊应缴金额（元） "`` → ``"应缴金额(元)"``: NFKC, no spaces, no required-marker, ASCII lower-case."""
    return _normalise_header(str(header))


@functools.lru_cache(maxsize=8192)  # a file's or an agency's records repeat the same few dozen headers
def _normalise_header(header: str) -> str:
    s = unicodedata.normalize("NFKC", header).replace("\ufeff", "")
    s = "".join(s.split())
    s = _MARKERS.sub("", s)
    return s.lower()


@dataclass(frozen=True)
class FieldSpec:
    name: str
    headers: tuple[str, ...]  # Chinese headers, the standard one first
    money: bool = False
    required: bool = False
    aliases: tuple[str, ...] = ()  # other canonical names (a facts field's validation_alias), read like the name


@dataclass(frozen=True)
class Scope:
    """The fields one table (or one facts model) has, with their headers."""

    name: str
    fields: tuple[FieldSpec, ...]

    def field(self, name: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.name == name), None)


def field_headers(name: str, standard: Iterable[str] = (), *, person: bool = False) -> tuple[str, ...]:
    """The Chinese headers of ``name``: the standard ones first, then the agency headers."""
    extra = PERSON_HEADERS[name] if person and name in PERSON_HEADERS else AGENCY_HEADERS.get(name, ())
    return tuple(dict.fromkeys(h for h in (*standard, *extra) if h))


def description_header(description: str | None) -> str | None:
    """A facts field's Chinese name from its description (``"单位名称 / unit name"`` → ``单位名称``), when
    that part (or its first sentence, ending in ``。``) is a short name and not a sentence."""
    zh = re.split(r"\s*/\s+", description or "", maxsplit=1)[0].strip()
    zh = zh.split("。", 1)[0].strip()  # "名称。说明…": the first sentence names the field
    return zh if _NAME_LIKE.fullmatch(zh) else None


def description_english(description: str | None) -> str | None:
    """A facts field's English half from its description, split as :func:`description_header` splits it
    (``"单位缴费基数（分）/ unit's contribution base"`` → ``unit's contribution base``); None without one."""
    parts = re.split(r"\s*/\s+", description or "", maxsplit=1)
    return parts[1].strip() or None if len(parts) == 2 else None


@functools.cache  # facts models and the header lists are fixed at import
def model_scope(model: type) -> Scope:
    """The fields of a pydantic facts model (only ``credit_code`` / ``id_number`` are required here: the
    model itself says what else it needs)."""
    fields = model.model_fields  # type: ignore[attr-defined]
    person = "id_number" in fields
    tables = screening_headers(model)
    case = {} if tables else case_table_headers(person)  # a nested item (a past subsidy) reads its own table only
    specs = []
    for name, f in fields.items():
        std = description_header(f.description)
        aliases = field_aliases(name, f)
        table = tables.get(name) or next((tables[a] for a in aliases if a in tables), None)
        # the headers a screening table of the case's own record gives this fact (registry_sample.xlsx's
        # 有税务社保缴费账户): read by evaluate --row as by screen — one source of headers (outside input audit,
        # session 40: evaluate ignored a column screen reads)
        registry = case.get(name) or next((case[a] for a in aliases if a in case), ())
        heads = field_headers(name, [h for h in (std, table, *registry) if h], person=person)
        money = _is_money(name, f.annotation)
        if money and any(not a.endswith("_fen") for a in aliases):
            raise ValueError(f"{model.__name__}.{name}: an alias of an amount in fen must end in _fen")
        specs.append(FieldSpec(name, heads, money=money, aliases=aliases))
    return Scope(model.__name__, tuple(specs))


def screening_headers(model: type) -> dict[str, str]:
    """Column → standard Chinese header of the screening table a facts model mirrors (its ``SCREENING_TABLE``:
    a past subsidy is a row of ``subsidies``), so an item pasted from that table's export reads as a row does."""
    name = getattr(model, "SCREENING_TABLE", None)
    if not name:
        return {}
    from wengang.screening.schemas import ALL_TABLES

    return {c.name: c.zh for c in ALL_TABLES[name].columns}


# the screening tables one row of which is a case's own record, by whether the case is a person: a column of one of
# them and a facts field of the same name are the same fact (the screen passes it through, screening.features and
# screening.people), so the field answers to the column's Chinese headers too. Not listed, as their same-named
# columns are other facts: the monthly and yearly records (a month's late fee is not the year's), stats_size (its
# size_class is the statistics bureau's class, stats_size_class) and the histories a nested model mirrors
# (subsidies, held_certificates: a past subsidy's level is not the certificate applied for's).
CASE_TABLES: dict[bool, tuple[str, ...]] = {False: ("units",), True: ("persons", "certificates", "ui_claims")}


@functools.cache
def case_table_headers(person: bool) -> dict[str, tuple[str, ...]]:
    """Field → the Chinese headers (standard, then ``also``) the case tables (:data:`CASE_TABLES`) give it."""
    from wengang.screening.schemas import ALL_TABLES

    out: dict[str, tuple[str, ...]] = {}
    for table in CASE_TABLES[person]:
        for c in ALL_TABLES[table].columns:
            out[c.name] = tuple(dict.fromkeys((*out.get(c.name, ()), c.zh, *getattr(c, "also", ()))))
    return out


def field_aliases(name: str, info: Any) -> tuple[str, ...]:
    """The other names a facts field answers to: its pydantic ``validation_alias`` (``AliasChoices``), declared
    on the field where a screening table names the same fact differently (``paid_date`` for ``received_date``).
    That declaration is the one place: the model accepts the alias (Python API), the header layer maps it (one
    case from JSON, CSV or XLSX), and the data dictionary lists it."""
    from pydantic import AliasChoices

    alias = getattr(info, "validation_alias", None)
    if isinstance(alias, str):
        names: list[Any] = [alias]
    elif isinstance(alias, AliasChoices):
        names = list(alias.choices)
    else:
        return ()
    return tuple(n for n in names if isinstance(n, str) and n != name)


def _is_money(name: str, annotation: object) -> bool:
    if not name.endswith("_fen"):
        return False
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return all(_is_money(name, a) for a in typing.get_args(annotation) if a is not type(None))
    if typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation is int


# ------------------------------------------------------------------------------------- user mapping


@dataclass(frozen=True)
class HeaderMap:
    """The user's mapping of local headers to standard fields or headers (``--header-map``)."""

    entries: Mapping[str, str]  # normalised local header → target as written
    source: str = ""


def _where_en(where: str) -> str:
    """``第4行`` as ``line 4``; a YAML key (“实缴”) as it is."""
    m = re.fullmatch(r"第(\d+)行", where)
    return f"line {m.group(1)}" if m else where


def load_header_map(path: str | Path) -> HeaderMap:
    """Read a mapping file: YAML (``本地列名: 标准字段``) or CSV (``本地列名,标准字段`` per line, an optional
    header line, ``#`` comments). UTF-8, GBK or GB18030. A target must be a known field name or header."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError:
        raise IngestError(f"找不到表头映射文件 {p}", f"header-map file not found: {p}", source=str(p)) from None
    for enc in ("utf-8-sig", "gb18030"):
        try:
            content = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise IngestError(f"表头映射文件 {p} 无法解码", f"cannot decode header-map file {p}", source=str(p))
    pairs: list[tuple[str, str, str]] = []  # (local, target, where)
    if p.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(content) or {}
        except yaml.YAMLError as exc:
            raise IngestError(f"表头映射文件 {p} 不是有效的 YAML", f"header-map file {p} is not valid YAML ({exc})", source=str(p)) from None
        if not isinstance(data, dict):
            raise IngestError(
                f"表头映射文件 {p} 应为“本地列名: 标准字段”的映射", f"header-map file {p} must map local headers to fields", source=str(p)
            )
        pairs = [(str(k), str(v), f"“{k}”") for k, v in data.items()]
    else:
        for i, row in enumerate(csv.reader(io.StringIO(content)), start=1):
            if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
                continue
            if len(row) != 2:
                raise IngestError(
                    f"表头映射文件 {p} 第{i}行应为“本地列名,标准字段”", f"header-map file {p} line {i}: expected 'local header,field'", source=str(p)
                )
            if i == 1 and normalise_header(row[1]) in ("标准字段", "field", "标准列名"):
                continue
            pairs.append((row[0], row[1], f"第{i}行"))
    known = known_targets()
    entries: dict[str, str] = {}
    first: dict[str, tuple[str, str]] = {}  # local header (normalised) → (its target, where it was first listed)
    for local, target, where in pairs:
        key = normalise_header(local)
        if key in first:
            # one local header listed twice: the map is refused naming both lines, never the data file blamed
            # (outside audit, session 40)
            was, at = first[key]
            same = normalise_header(was) == normalise_header(target)
            raise IngestError(
                f"表头映射文件 {p} 中本地列名“{local}”出现了两次（{at}→“{was}”，{where}→“{target}”）"
                + ("" if same else "，对应的标准字段不同")
                + "：每个本地列名只能写一次，请删去多余的一行",
                f"header-map file {p} lists the local header {local!r} twice ({_where_en(at)} -> {was!r}, "
                f"{_where_en(where)} -> {target!r}); "
                f"write each local header once",
                source=str(p),
            )
        first[key] = (target, where)
        if not _known(normalise_header(target), known):
            near = difflib.get_close_matches(normalise_header(target), list(known), n=1, cutoff=0.5)
            hint_zh = f"；最接近的是“{near[0]}”" if near else ""
            hint_en = f"; nearest: {near[0]!r}" if near else ""
            raise IngestError(
                f"表头映射文件 {p} {where}：“{target}”不是已知的标准字段或表头{hint_zh}",
                f"header-map file {p} {where}: {target!r} is not a known field or header{hint_en}",
                source=str(p),
            )
        entries[normalise_header(local)] = target
    return HeaderMap(entries, str(p))


def all_scopes() -> list[Scope]:
    """Every raw table and facts model the system reads."""
    from wengang.programs import load_all
    from wengang.rules.engine import RULESETS
    from wengang.screening.schemas import ALL_TABLES

    load_all()  # registers the rulesets and their facts models

    models = {rs.facts.__name__: rs.facts for rs in RULESETS.values()}
    return [t.scope() for t in ALL_TABLES.values()] + [model_scope(m) for _, m in sorted(models.items())]


def _known(key: str, known: set[str]) -> bool:
    m = _UNIT_SUFFIX.fullmatch(key)
    return key in known or (m is not None and m.group(1) in known and m.group(2) in ("元", "分"))


def known_targets() -> set[str]:
    out: set[str] = set()
    for scope in all_scopes():
        out.update(_lookup(scope))
    return out


# ---------------------------------------------------------------------------------------- resolving


@dataclass
class Resolution:
    """How a file's columns map to a scope's fields."""

    rename: dict[str, str]  # column as in the file → field
    units: dict[str, str]  # money field → "yuan" or "fen"
    ignored: list[str]  # columns that match no field, as in the file
    near: dict[str, str] = field(default_factory=dict)  # ignored column → the known header it resembles
    # ignored column → (the unit its header states, the unit of the field it resembles) where they differ
    units_differ: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def yuan(self) -> set[str]:
        return {f for f, u in self.units.items() if u == YUAN}

    def note(self) -> str | None:
        """"未识别的列已忽略：…" for the user, or None."""
        if not self.ignored:
            return None
        zh = "、".join(f"“{c}”" + self._hint_zh(c) for c in self.ignored)
        en = ", ".join(repr(c) + self._hint_en(c) for c in self.ignored)
        return f"未识别的列已忽略：{zh} / unknown columns ignored: {en}"


    def _hint_zh(self, col: str) -> str:
        if col not in self.near:
            return ""
        if col in self.units_differ:
            stated, wanted = self.units_differ[col]
            return (
                f"（近似“{self.near[col]}”，但单位不同：本列以{stated}计，该列以{wanted}计；如为同一项，请先在文件中换算为"
                f"{wanted}并改写表头，不能用 --header-map 直接对应）"
            )
        return f"（近似“{self.near[col]}”，如为同一列请用 --header-map 指定）"

    def _hint_en(self, col: str) -> str:
        if col not in self.near:
            return ""
        if col in self.units_differ:
            stated, wanted = self.units_differ[col]
            return (
                f" (resembles {self.near[col]!r}, but in {stated}, not {wanted}: convert it to {wanted} in the file and "
                f"change its header; --header-map cannot map it)"
            )
        return f" (resembles {self.near[col]!r})"


@functools.cache
def _derived_fact_headers() -> dict[str, str]:
    """Normalised header → field of the unit facts (:class:`~wengang.facts.unit.UnitFacts`) a raw screen derives
    itself (企业划型 → size_class, 连续足额缴费月数, 上年度实缴失业保险费 …): every UnitFacts header but those of a field
    the unit registry has as a column (单位名称, 行业代码 … are read from it, not derived)."""
    from wengang.facts.unit import UnitFacts
    from wengang.screening.schemas import UNITS

    registry = set(UNITS.names)
    return {k: f for k, (f, _, _) in _lookup(model_scope(UnitFacts), copy=False).items() if f not in registry}


def derived_fact_fields(columns: Iterable[str]) -> dict[str, str]:
    """Of ``columns`` (ignored by a raw table), those that name a unit fact a raw screen derives from the monthly and
    yearly tables: column as in the file → the fact's field (audit D4, session 39)."""
    known = _derived_fact_headers()
    out: dict[str, str] = {}
    for col in columns:
        key = normalise_header(col)
        m = _UNIT_SUFFIX.fullmatch(key)
        hit = known.get(key) or (known.get(m.group(1)) if m else None)
        if hit is not None:
            out[col] = hit
    return out


def _lookup(scope: Scope, *, copy: bool = True) -> dict[str, tuple[str, str | None, bool]]:
    """Normalised header → (field, unit, unit stated by the header itself); a copy the caller may extend
    (``copy=False``: the cached table itself, not to be changed)."""
    # cached by identity (hashing a Scope hashes all its headers): one case re-normalised ~200 headers per call
    hit = _LOOKUPS.get(id(scope))
    if hit is None or hit[0] is not scope:
        if len(_LOOKUPS) >= 256:
            _LOOKUPS.clear()
        hit = _LOOKUPS[id(scope)] = (scope, _build_lookup(scope))
    return dict(hit[1]) if copy else hit[1]


_LOOKUPS: dict[int, tuple[Scope, dict[str, tuple[str, str | None, bool]]]] = {}


# how strongly a header names its field: a canonical name, the standard Chinese header, another header of the field's
# own (a facts description, a table's ``also``), an agency header (:data:`AGENCY_HEADERS`)
_NAME, _STANDARD, _OWN, _AGENCY = range(4)


def header_rank(spec: FieldSpec, header: str) -> int:
    """:data:`_STANDARD` for ``spec``'s first header, :data:`_AGENCY` for one only the agency tables give it, else
    :data:`_OWN`."""
    if spec.headers and header == spec.headers[0]:
        return _STANDARD
    agency = (*AGENCY_HEADERS.get(spec.name, ()), *PERSON_HEADERS.get(spec.name, ()))
    return _AGENCY if header in agency else _OWN


class HeaderConflict(IngestError, ValueError):
    """Two fields of one table or facts model claim one header with the same standing: the table itself is wrong."""


def _build_lookup(scope: Scope) -> dict[str, tuple[str, str | None, bool]]:
    """Normalised header → (field, unit, unit stated). Where two fields claim one header, the one whose own header
    it is wins over one that has it only as an agency header (a facts table's region_code, added to a person model
    whose insured_region is 参保地行政区划代码: outside input audit, session 40 — every facts table was refused);
    two claims of equal standing are a conflict (:class:`HeaderConflict`, Chinese first), which
    tests/ingest/test_s40_headers.py checks no table or program's facts table has."""
    out: dict[str, tuple[str, str | None, bool]] = {}
    rank: dict[str, int] = {}

    def add(header: str, f: str, unit: str | None, explicit: bool, r: int) -> None:
        key = normalise_header(header)
        seen = out.get(key)
        if seen is not None and seen[0] != f:
            if r > rank[key]:
                return  # the other field's own header
            if r == rank[key]:
                raise HeaderConflict(
                    f"表头“{header}”在{scope.name}中同时对应字段 {seen[0]} 和 {f}，无法确定是哪一列（程序的表定义有误，"
                    f"请报告维护方）",
                    f"header {header!r} names both {seen[0]!r} and {f!r} in {scope.name} (the table definition is wrong)",
                    column=header,
                )
            seen = None  # a stronger claim replaces a weaker one
            rank.pop(key)
        rank[key] = min(r, rank.get(key, r))
        if seen is None or explicit:
            out[key] = (f, unit, explicit)

    for spec in scope.fields:
        for name in (spec.name, *spec.aliases):
            add(name, spec.name, FEN if spec.money else None, spec.money, _NAME)
            if spec.money:
                add(name.removesuffix("_fen") + "_yuan", spec.name, YUAN, True, _NAME)
        for h in spec.headers:
            r = header_rank(spec, h)
            if not spec.money:
                add(h, spec.name, None, False, r)
                continue
            m = _UNIT_SUFFIX.fullmatch(normalise_header(h))
            if m and m.group(2) in ("元", "分"):
                add(h, spec.name, YUAN if m.group(2) == "元" else FEN, True, r)
                add(m.group(1), spec.name, YUAN, False, r)  # the name without its unit reads as any Chinese header
            else:
                add(h, spec.name, YUAN, False, r)  # a Chinese amount header without a unit: 元 (declared)
    return out


def resolve(
    columns: Iterable[str],
    scope: Scope,
    *,
    header_map: HeaderMap | None = None,
    source: str = "",
    table_zh: str = "",
    required: Iterable[str] | None = None,
) -> Resolution:
    """Map ``columns`` (as in the file) to the fields of ``scope``; refuse a missing required field."""
    columns = list(columns)
    lookup = _lookup(scope, copy=header_map is not None)  # only a header map extends it
    # a mapped header whose own unit contradicts its target's: refused if the file has that column (decisions §102)
    contradicted: dict[str, tuple[str, str]] = {}
    if header_map is not None:
        for local, target in header_map.entries.items():
            hit = lookup.get(normalise_header(target)) or _with_unit_suffix(lookup, normalise_header(target), target, source)
            if hit is None:
                continue
            mapped, refused = _mapped_unit(local, target, hit, source, scope)
            if refused is not None:
                contradicted[local] = refused
            else:
                lookup[local] = mapped
    rename: dict[str, str] = {}
    units: dict[str, str] = {}
    ignored: list[str] = []
    targets: set[str] = set()
    for col in columns:
        key = normalise_header(col)
        if key in contradicted:
            zh, en = contradicted[key]
            raise IngestError(zh, en, source=source, column=col)
        hit = lookup.get(key) or _with_unit_suffix(lookup, key, col, source)
        dup = _DUPLICATE.fullmatch(key)
        if hit is None and dup and (lookup.get(dup.group(1)) or _with_unit_suffix(lookup, dup.group(1), col, source)):
            raise IngestError(
                f"文件 {source} 中表头“{col.rsplit('_duplicated_', 1)[0]}”出现了不止一次",
                f"file {source} has the header {col.rsplit('_duplicated_', 1)[0]!r} more than once",
                source=source,
                column=col.rsplit("_duplicated_", 1)[0],  # the header as written, not the reader's name for the copy
            )
        if hit is None:
            if key and not key.startswith("__unnamed__"):
                ignored.append(col)
            continue
        target, unit, _ = hit
        if target in targets:
            first = next(c for c, t in rename.items() if t == target)
            raise IngestError(
                f"文件 {source} 中列“{first}”与“{col}”都对应字段 {target}，请删去一列或用 --header-map 区分",
                f"file {source}: columns {first!r} and {col!r} both map to field {target!r}",
                source=source,
                column=target,
            )
        rename[col] = target
        targets.add(target)
        if unit is not None:
            units[target] = unit
    headers = list(lookup) if ignored else []
    near = {}
    units_differ: dict[str, tuple[str, str]] = {}
    for col in ignored:
        close = difflib.get_close_matches(normalise_header(col), headers, n=1, cutoff=0.75)
        if close:
            near[col] = close[0]
            # a header that states a unit its near match's field is not in: mapping it would be refused (or misread)
            stated = header_unit(col)
            field_name, unit, explicit = lookup[close[0]]
            wanted = field_unit(field_name, unit)
            if stated is not None and wanted is not None and stated != wanted and (explicit or wanted == "万元" or stated == "万元"):
                units_differ[col] = (stated, wanted)
    needed = [f.name for f in scope.fields if f.required] if required is None else list(required)
    for name in needed:
        if name in rename.values():
            continue
        spec = scope.field(name)
        std = spec.headers[0] if spec and spec.headers else name
        names = [normalise_header(h) for h in (spec.headers if spec else ())] + [name]
        guess = None
        for col in columns:
            score = max(difflib.SequenceMatcher(None, normalise_header(col), n).ratio() for n in names)
            if score >= 0.5 and (guess is None or score > guess[1]):
                guess = (col, score)
        what = f"{table_zh} " if table_zh else ""
        hint_zh = f"；最接近的列是“{guess[0]}”，如为同一列请用 --header-map 指定" if guess else ""
        hint_en = f"; nearest column: {guess[0]!r} (map it with --header-map)" if guess else ""
        raise IngestError(
            f"{what}文件 {source} 缺少必填列“{std}”（{name}）{hint_zh}；现有列：{'、'.join(columns)}",
            f"file {source} is missing the required column {name!r} ({std}){hint_en}; columns found: {', '.join(columns)}",
            source=source,
            column=name,
        )
    return Resolution(rename, units, ignored, near, units_differ)


UNIT_ZH = {YUAN: "元", FEN: "分"}


def header_unit(header: str) -> str | None:
    """The unit a header writes in brackets at its end (``应缴金额(分)``, ``营业收入（元）``, ``金额(单位:万元)``):
    ``元``, ``分`` or ``万元``; None when it states none."""
    m = _UNIT_SUFFIX.fullmatch(normalise_header(header))
    return m.group(2) if m else None


def field_unit(name: str, unit: str | None) -> str | None:
    """The unit a field is read in: an amount's ``元``/``分`` as its header resolves it, a 万元 figure's ``万元``
    (``revenue_10k_yuan``); None for a field that is no amount."""
    if unit is not None:
        return UNIT_ZH[unit]
    return "万元" if name.endswith("_10k_yuan") else None


def _mapped_unit(
    local: str, target: str, hit: tuple[str, str | None, bool], source: str, scope: Scope
) -> tuple[tuple[str, str | None, bool], tuple[str, str] | None]:
    """What a ``--header-map`` line maps ``local`` (normalised) to, given its target's lookup ``hit``; or the message
    (Chinese, English) refusing it. The header says the unit, nothing is guessed (docs/data-dictionary.md): a local
    header that writes its unit is read in that unit when the target names only the field (``应缴金额``), and refused
    when the target names another unit (``due_yuan`` for ``应缴金额(分)``, ``营业收入(万元)`` for ``营业收入（元）``) —
    the project converts no unit the header does not state, and a 万元 amount is not read (decisions §102)."""
    field_name, unit, explicit = hit
    stated = header_unit(local)
    if stated is None:
        return (field_name, unit, True), None
    wanted = field_unit(field_name, unit)
    if unit is not None and stated in ("元", "分") and (not explicit or wanted == stated):
        return (field_name, YUAN if stated == "元" else FEN, True), None  # the header's own unit
    if wanted == stated:
        return (field_name, unit, True), None
    if wanted is None:
        zh_what, en_what = f"字段 {field_name} 不是金额", f"field {field_name!r} is not an amount"
    else:
        zh_what, en_what = f"“{target}”（字段 {field_name}）以{wanted}计", f"{target!r} (field {field_name!r}) is in {wanted}"
    hint_zh = (
        f"请把映射改为不带单位的字段名（如“{_unitless(scope, field_name)}”），按表头所写的单位读取"
        if unit is not None and stated in ("元", "分")
        else f"请先在文件中换算为{wanted}并改写表头" if wanted is not None else "请检查映射"
    )
    hint_en = (
        f"map it to the field without a unit ({_unitless(scope, field_name)!r}) to read it in the unit its header states"
        if unit is not None and stated in ("元", "分")
        else f"convert the column to {wanted} in the file and change its header first" if wanted is not None
        else "check the mapping"
    )  # fmt: skip
    return hit, (
        f"文件 {source} 的列“{local}”的表头写明以{stated}计，而 --header-map 把它对应到的{zh_what}，单位矛盾，"
        f"未读取此文件（不会把以{stated}计的数当作{wanted or '非金额'}读取）；{hint_zh}",
        f"file {source}: column {local!r} states {stated} in its header, while the --header-map target {en_what}; "
        f"the units contradict, the file was not read; {hint_en}",
    )


def _unitless(scope: Scope, field_name: str) -> str:
    """The field's standard Chinese header without a unit (``应缴金额``), or its name."""
    spec = scope.field(field_name)
    for h in spec.headers if spec else ():
        m = _UNIT_SUFFIX.fullmatch(normalise_header(h))
        return m.group(1) if m else h
    return field_name


def _with_unit_suffix(
    lookup: Mapping[str, tuple[str, str | None, bool]], key: str, shown: str, source: str
) -> tuple[str, str | None, bool] | None:
    """``应缴金额(元)``, ``应缴金额(单位:分)``: a known amount header with its unit in brackets."""
    m = _UNIT_SUFFIX.fullmatch(key)
    if not m:
        return None
    base = lookup.get(m.group(1))
    if base is None or base[1] is None:
        return None  # not an amount: "营业收入(万元)" is a header of its own or unknown
    if m.group(2) == "万元":
        raise IngestError(
            f"文件 {source} 的列“{shown}”以万元计，金额列请以元或分给出",
            f"file {source}: column {shown!r} is in 10k yuan; give amounts in yuan or fen",
            source=source,
            column=base[0],
        )
    unit = YUAN if m.group(2) == "元" else FEN
    if base[2] and base[1] != unit:
        raise IngestError(
            f"文件 {source} 的列“{shown}”单位自相矛盾", f"file {source}: column {shown!r} states two units", source=source, column=base[0]
        )
    return (base[0], unit, True)

"""One case's facts through the same headers and value readers as screening (``wengang evaluate``).

A record is a mapping of headers to values: a JSON object (canonical English keys, Chinese headers or a
mix) or one row of a CSV/XLSX export (:func:`read_record`). :func:`normalise_record` maps the headers to
the facts model's fields (:mod:`wengang.ingest.headers`) and reads each value by the field's type
(:mod:`wengang.ingest.values`): an amount under a Chinese header or ``*_yuan`` is 元 and becomes exact
fen, ``中型`` becomes ``medium``, ``是`` true, ``2024年1月5日`` a date. Problems name the field (and the
header it came under); the model's own validation runs after.

A key that is an English identifier but no field of the model is kept, so the model refuses it as a
typo (an unknown canonical name must not be dropped silently: a misspelt exclusion flag would read as
"no"); any other unknown header is ignored and listed in the notes, as in screening.
"""

from __future__ import annotations

import difflib
import enum
import functools
import re
import types
import typing
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from wengang.ingest import IngestError
from wengang.ingest import values as V
from wengang.ingest.headers import (
    FieldSpec,
    HeaderMap,
    Scope,
    field_headers,
    model_scope,
    normalise_header,
    resolve,
    screening_headers,
)

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]*")


@dataclass(frozen=True)
class FieldKind:
    # credit_code, id_number, money, count, ten_thousand_yuan (a figure in 万元), int, bool, date, enum, text, records,
    # other
    kind: str
    enum: type[enum.Enum] | None = None
    item: type | None = None  # records: the model of each item of a list field (past_subsidies …)


def nested_model(annotation: Any) -> type | None:
    """The facts model of a list-of-models field (``list[PastSkillSubsidy] | None`` → ``PastSkillSubsidy``)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        annotation = args[0] if len(args) == 1 else None
    if typing.get_origin(annotation) is list:
        (item,) = typing.get_args(annotation) or (None,)
        if isinstance(item, type) and hasattr(item, "model_fields"):
            return item
    return None


def field_kind(name: str, info: Any) -> FieldKind:
    """What a facts-model field holds, from its annotation (``Optional`` and ``Annotated`` unwrapped)."""
    ann = info.annotation
    nonneg = any(getattr(m, "ge", None) == 0 for m in getattr(info, "metadata", ()))
    if typing.get_origin(ann) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        ann = args[0] if len(args) == 1 else object
    if typing.get_origin(ann) is typing.Annotated:
        args = typing.get_args(ann)
        ann = args[0]
        nonneg = nonneg or any(getattr(m, "ge", None) == 0 for m in args[1:])
    item = nested_model(info.annotation)
    if item is not None:
        return FieldKind("records", item=item)
    if name == "credit_code" or name.endswith("_credit_code"):
        return FieldKind("credit_code")
    if name == "id_number" or name.endswith("_id_number"):
        return FieldKind("id_number")
    if ann is bool:
        return FieldKind("bool")
    if isinstance(ann, type) and issubclass(ann, enum.Enum):
        return FieldKind("enum", ann) if issubclass(ann, str) else FieldKind("int")
    if ann is int:
        if name.endswith("_10k_yuan"):  # 营业收入（万元）: read as the whole 万元 it reaches (values.whole_ten_thousand_yuan)
            return FieldKind("ten_thousand_yuan")
        return FieldKind("money" if name.endswith("_fen") else "count" if nonneg else "int")
    if ann is date:
        return FieldKind("date")
    if ann is str:
        return FieldKind("text")
    return FieldKind("other")


@dataclass
class Record:
    """A record as read from a file: values by header, and where it came from."""

    values: dict[str, Any]
    source: str = ""
    excel_epoch: date | None = None
    cell_errors: dict[str, tuple[str, str]] = field(default_factory=dict)  # header → reason (zh, en)
    notes: list[str] = field(default_factory=list)  # what the reader said about the file (header line, sheet read …)


@dataclass
class Normalised:
    data: dict[str, Any]  # canonical field → value
    problems: list[tuple[str, str, str]]  # (field, zh, en)
    notes: list[str]


@functools.cache  # a facts model's fields are fixed once it is defined
def _field_kinds(model: type) -> dict[str, FieldKind]:
    return {name: field_kind(name, info) for name, info in model.model_fields.items()}  # type: ignore[attr-defined]


@functools.cache  # the same Scope object each time, so the header lookup built from it is cached too
def _scope(model: type, extra: tuple[FieldSpec, ...]) -> Scope:
    scope = model_scope(model)
    have = {f.name for f in scope.fields}
    return Scope(scope.name, scope.fields + tuple(f for f in extra if f.name not in have))


# a unit's application date places the policy period even where its facts model has no such field
APPLICATION_DATE = FieldSpec("application_date", field_headers("application_date", ["申请日期", "申领日期"]))


def normalise_record(
    model: type,
    record: Mapping[str, Any] | Record,
    *,
    header_map: HeaderMap | None = None,
) -> Normalised:
    """Map ``record``'s headers to ``model``'s fields and read each value by the field's type."""
    rec = record if isinstance(record, Record) else Record(dict(record))
    keys = [str(k) for k in rec.values]
    source = rec.source or "事实 facts"
    try:
        if header_map is None:  # the same headers give the same plan (every row of a file, every case of a form)
            plan = _cached_plan(model, tuple(keys), source)
        else:
            plan = _plan(model, keys, header_map, source)
    except IngestError as exc:
        return Normalised({}, [(exc.column or "(表头)", exc.message_zh, exc.message_en)], [])
    columns, header_note, unread = plan
    data: dict[str, Any] = {}
    problems: list[tuple[str, str, str]] = []
    notes: list[str] = []
    for key, target, where, kind, unit in columns:
        value = rec.values[key]
        if target is None:
            data[key] = value  # left for the model to refuse as an unknown field
            continue
        if key in rec.cell_errors:
            zh, en = rec.cell_errors[key]
            problems.append((where, zh, en))
            continue
        if isinstance(value, str) and not value.strip():
            continue  # an empty cell is a fact not given
        if kind.kind == "records" and kind.item is not None and isinstance(value, list):
            # each item (a past subsidy, a certificate held …) is read like a record of its own model: Chinese
            # headers, the screening tables' names, 元, labels and date forms as at the top level
            items: list[Any] = []
            for i, item in enumerate(value):
                if not isinstance(item, Mapping):
                    items.append(item)  # the model refuses it, naming the item
                    continue
                sub = normalise_record(kind.item, item, header_map=header_map)
                problems += [(f"{target}.{i}.{f}", zh, en) for f, zh, en in sub.problems]
                notes += [f"{target}[{i}]：{n}" for n in sub.notes]
                items.append(sub.data)
            data[target] = items
            continue
        try:
            data[target] = _read(value, kind, unit, rec.excel_epoch, _is_region(target))
        except V.FenWithDecimalPoint as p:
            yuan = target.removesuffix("_fen") + "_yuan"
            problems.append((where, f"{p.zh}，或改用字段 {yuan}", f"{p.en}, or use the field {yuan}"))
        except V.ValueProblem as p:
            problems.append((where, p.zh, p.en))
    if header_note:
        notes.append(header_note)
    # a required field with no column, and a column not read that looks like its header (统一社会信用代码号): the column
    # is named, as screening names it, beside the model's "缺少必填字段" (outside bad-input audit, session 42)
    problems += [("(表头)", zh, en) for zh, en in unread]
    return Normalised(data, problems, [*rec.notes, *notes])


# (header, field, where, kind, unit) per column; the kind is None where the field is (the value goes to the model);
# the note naming the columns ignored; (zh, en) naming an ignored column that looks like a missing required field's
_Plan = tuple[tuple[tuple[str, Any, str, Any, Any], ...], "str | None", tuple[tuple[str, str], ...]]


def _plan(model: type, keys: list[str] | tuple[str, ...], header_map: HeaderMap | None, source: str) -> _Plan:
    """What to do with each column of a record with these headers: (header, field or None to hand the
    value to the model as it is, where a problem is reported, the field's kind, its unit), in the record's
    order, with the columns ignored left out; and the note naming those."""
    scope = _scope(model, (APPLICATION_DATE,))
    res = resolve(keys, scope, header_map=header_map, source=source, required=())
    kinds = _field_kinds(model)
    mirrored = screening_headers(model)
    columns: list[tuple[str, Any, str, Any, Any]] = []
    ignored: list[str] = []
    for key in keys:
        target = res.rename.get(key)
        if target is None:
            # a column of the screening table the model mirrors (a subsidy row's id_number, kind, amount_fen) is
            # known, not a typo: ignored with a note like any other column that is no fact of the model
            if _IDENTIFIER.fullmatch(normalise_header(key)) and normalise_header(key) not in mirrored:
                columns.append((key, None, key, None, None))
            else:
                ignored.append(key)
            continue
        where = target if normalise_header(key) == target else f"{target}（表头“{key}”）"
        kind = kinds.get(target) or FieldKind("date")  # application_date
        columns.append((key, target, where, kind, res.units.get(target)))
    note = None
    if ignored:
        res.ignored = ignored
        note = res.note()
    return tuple(columns), note, _unread_required(model, scope, {c[1] for c in columns}, ignored)


def _unread_required(model: type, scope: Scope, mapped: set[Any], ignored: list[str]) -> tuple[tuple[str, str], ...]:
    """For each field the model requires that no column gave, the ignored column nearest its headers (the likeness
    screening's ``headers.resolve`` asks of a missing required column: a ratio of at least 0.5), as (zh, en)."""
    out: list[tuple[str, str]] = []
    if not ignored:
        return ()
    for name, info in model.model_fields.items():  # type: ignore[attr-defined]
        if name in mapped or not info.is_required():
            continue
        spec = scope.field(name)
        names = [normalise_header(h) for h in (spec.headers if spec else ())] + [name]
        best: tuple[str, float] | None = None
        for col in ignored:
            score = max(difflib.SequenceMatcher(None, normalise_header(col), n).ratio() for n in names)
            if score >= 0.5 and (best is None or score > best[1]):
                best = (col, score)
        if best is None:
            continue
        std = spec.headers[0] if spec and spec.headers else name
        out.append((
            f"列“{best[0]}”未能识别，未读取；它与缺少的必填字段 {name}（{std}）最接近，如为同一列请将表头改为“{std}”或用 --header-map 指定",
            f"column {best[0]!r} was not recognised and not read; it is nearest the missing required field {name} ({std}): "
            f"if it is that column, head it {std!r} or map it with --header-map",
        ))
    return tuple(out)


_PLANS: dict[tuple[type, tuple[str, ...], str], _Plan] = {}


def _cached_plan(model: type, keys: tuple[str, ...], source: str) -> _Plan:
    key = (model, keys, source)
    plan = _PLANS.get(key)
    if plan is None:
        plan = _plan(model, keys, None, source)
        if len(_PLANS) >= 1024:
            _PLANS.clear()
        _PLANS[key] = plan
    return plan


def _is_region(name: str) -> bool:
    """A field holding a 行政区划代码 (region_code, insured_region, certificate_region …)."""
    return name in ("region", "region_code") or name.endswith(("_region", "_region_code"))


def _read(value: Any, kind: FieldKind, unit: str | None, excel_epoch: date | None, region: bool = False) -> Any:
    if value is None:
        return None
    if kind.kind == "money":
        if unit == V.YUAN or isinstance(value, (str, Decimal, bool)):
            # a JSON true/false is refused, never read as 1 or 0 分 (outside bad-input audit, session 42)
            return V.amount_to_fen(value, unit or V.FEN)
        return value  # an int (or a whole float) in fen: the model checks it
    if kind.kind == "ten_thousand_yuan" and isinstance(value, (str, Decimal, bool)):
        return V.whole_ten_thousand_yuan(value)
    if isinstance(value, bool) and kind.kind in ("count", "int"):
        # a JSON true/false where a number is expected is refused, as a screening table refuses "true" in a number
        # column; the model's lax mode would read it as 1 or 0 (outside bad-input audit, session 42)
        return V.parse_int(value)
    if kind.kind == "bool" and not isinstance(value, (str, bool)):
        # a number for a yes/no: 1 and 0 as a screening table's 1/0 read, anything else refused (values.parse_bool)
        return V.parse_bool(value)
    if kind.kind in ("credit_code", "id_number") and isinstance(value, str):
        # NFKC (full-width codes); the exponent form of a long number refused: what a number cell made of it
        # (values.identifier_text)
        return V.identifier_text(value)
    if isinstance(value, str):
        if kind.kind in ("count", "int"):
            return V.parse_int(value)
        if kind.kind == "bool":
            return V.parse_bool(value)
        if kind.kind == "date":
            return V.parse_date(value, excel_epoch)
        if kind.kind == "enum" and kind.enum is not None:
            return V.parse_enum(value, kind.enum)
        if kind.kind == "text" and region:
            # a region code is an identifier: NFKC (full-width digits), ="…" unwrapped (outside audit F3, F8, session 38)
            return V.identifier_text(value)
        if kind.kind == "text":
            return value.strip()
    if kind.kind == "date" and isinstance(value, datetime):
        return V.beijing_wall_time(value).date()
    return value


# how far down a CSV or XLSX file the header is looked for when its first line is not it (as screening looks:
# screening.ingest.HEADER_SEARCH_ROWS)
HEADER_SEARCH_ROWS = 10


def _key_headers(header_map: HeaderMap | None) -> set[str]:
    """The normalised headers of the fields that say whom a record concerns (统一社会信用代码, 公民身份号码, their
    agency headers and canonical names, and local headers the user's mapping maps to them): a line with one is a
    header line."""
    keys = {
        normalise_header(h)
        for h in (
            "credit_code", "id_number", *field_headers("credit_code"), *field_headers("id_number"),
            *field_headers("id_number", person=True),
        )
    }  # fmt: skip
    if header_map is not None:
        keys |= {local for local, target in header_map.entries.items() if normalise_header(target) in keys}
    return keys


def _names_key(cells: Iterable[str | None], keys: set[str]) -> bool:
    return any(c and normalise_header(c) in keys for c in cells)


def read_record(
    path: str | Path,
    *,
    row: int | None = None,
    sheet: str | None = None,
    encoding: str | None = None,
    header_map: HeaderMap | None = None,
) -> Record:
    """One row of a CSV or XLSX export as a record (``row``: the 1-based data row; needed when the file
    has more than one).

    The header is found as screening finds it (``screening.ingest``): the first line that is not empty, or, when that
    line names neither 统一社会信用代码 nor 公民身份号码 (a title above the table), the first of the first
    :data:`HEADER_SEARCH_ROWS` lines that does; a note says which line. A workbook is read from its first sheet
    (``sheet`` names another), with a note naming it and the others; when more than one of its sheets has such a
    header line the file is refused, asking for ``--sheet`` (outside audit F2, F6, session 38)."""
    import polars as pl

    from wengang.ingest.files import head_rows, named_read_errors, read_frame, sheets_with_header

    frame = read_frame(path, encoding=encoding, sheet=sheet)
    notes = list(frame.notes)
    if frame.kind in ("csv", "xlsx"):
        keys = _key_headers(header_map)
        heads = None
        if frame.kind == "xlsx" and sheet is None and len(frame.sheets) > 1:
            heads = head_rows(frame, HEADER_SEARCH_ROWS)
            carrying = sheets_with_header(heads, lambda cells: _names_key(cells, keys))
            if len(carrying) > 1:
                zh = "、".join(f"“{t}”（第 {r} 行）" for t, r in carrying)
                en = ", ".join(f"{t!r} (row {r})" for t, r in carrying)
                raise IngestError(
                    f"文件 {frame.source} 有 {len(carrying)} 个工作表含有表头：{zh}；未读取（不会默认读取第一个工作表），请用 --sheet "
                    f"指定要读取的工作表",
                    f"file {frame.source} has {len(carrying)} sheets with a header: {en}; not read (the first sheet is not "
                    f"taken by default): pass --sheet to say which one",
                    source=frame.source,
                )
        if not _names_key(frame.columns, keys):
            heads = heads or head_rows(frame, HEADER_SEARCH_ROWS)
            here = heads.get(frame.sheet or "", [])
            found = next((r for r, cells in here if r != frame.header_row and _names_key(cells, keys)), None)
            if found is not None:
                frame = read_frame(path, encoding=encoding, sheet=sheet, header_row=found)
                where = f"工作表“{frame.sheet}”第 {found} 行" if frame.kind == "xlsx" else f"第 {found} 行"
                where_en = f"row {found} of sheet {frame.sheet!r}" if frame.kind == "xlsx" else f"line {found}"
                above = "、".join(str(r) for r, _ in here if r < found)
                notes = [
                    f"表头取自{where}（第一个非空行不是表头）；其上的第 {above} 行为标题等，未读取；--row 1 为表头下的第一行 / the header was "
                    f"read from {where_en} (the first line that is not empty is not the header); the lines above it ({above}) "
                    f"were not read; --row 1 is the first line under the header",
                    *frame.notes,
                ]
    with named_read_errors([path]):  # a CSV row Polars cannot read: the file and the line, not ComputeError
        df = frame.lf.collect()
    if df.height == 0:
        # a file of a header and nothing under it: no row to choose (outside bad-input audit, session 42)
        raise IngestError(
            f"文件 {frame.source} 没有数据行（只有表头，或表头下全为空行），无法判定",
            f"file {frame.source} has no data rows (only a header, or nothing but empty lines under it); nothing to evaluate",
            source=frame.source,
        )
    if row is None:
        if df.height != 1:
            raise IngestError(
                f"文件 {frame.source} 有 {df.height} 行数据，请用 --row 指定要判定的一行",
                f"file {frame.source} has {df.height} data rows; choose one with --row",
                source=frame.source,
            )
        picked = df.row(0, named=True)
    else:
        hit = df.filter(pl.col("source_row") == row)
        if hit.height != 1:
            raise IngestError(
                f"文件 {frame.source} 没有第 {row} 行数据（共 {df.height} 行）",
                f"file {frame.source} has no data row {row} ({df.height} rows)",
                source=frame.source,
            )
        picked = hit.row(0, named=True)
    n = picked.pop("source_row")
    if n in frame.row_errors:  # a record not to be read whatever its columns (a CSV's last line cut off)
        zh, en = frame.row_errors[n]
        raise IngestError(zh, en, source=frame.source)
    errors = {col: e[n] for col, e in frame.cell_errors.items() if n in e}
    values = {k: v for k, v in picked.items() if v is not None or k in errors}
    return Record(values, f"{frame.source} 第{n}行", frame.excel_epoch, errors, notes)

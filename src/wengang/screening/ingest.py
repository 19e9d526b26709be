"""Read the agencies' raw tables into the schemas of :mod:`wengang.screening.schemas`.

The input layer is :mod:`wengang.ingest` (shared with ``wengang evaluate``): :mod:`~wengang.ingest.files`
reads Parquet, CSV (UTF-8, GBK, GB18030), XLSX or a database; :mod:`~wengang.ingest.headers` maps the
headers (Chinese, English, the user's ``--header-map``) to the schema's columns and says each money
column's unit. Here a table is bound to its schema: the mapped columns renamed, values as they came (CSV and
XLSX as text). Unknown columns are dropped and listed in ``notes``. Parsing and checking values is validation's
job (:mod:`wengang.screening.quarantine`), so one bad cell quarantines one row instead of failing the file.

``source_row`` is the row the user sees in the file, everywhere screening names a row (the quarantine, the
holds' reasons, the summary): the Excel row number of an XLSX sheet, the line of a CSV file (the header, the
title and empty lines above it counted; exact when no quoted value spans lines), the record number (from 1)
of a Parquet file or a database table.

What is in a CSV or XLSX file besides its records (docs/data-dictionary.md, "表格的结构"):

* **the header** is the first line that is not empty. When that line does not name the table's required
  columns, it is looked for in the first :data:`HEADER_SEARCH_ROWS` lines: a title (通辽市2024年度……明细), a
  line such as 制表单位 or 单位：元, or a first header row of merged group titles above the real header. The
  first line that names them all is the header, and a note says which line and that the lines above were not
  read. A line above it that states the amounts' unit (``单位：元``, ``（万元）``) must agree with every money
  column's unit as its header gives it, or the file is refused (the header, not the title, decides a unit:
  ``应缴金额`` under ``单位：万元`` is never read as 元). The caller may name the line (``header_row``, ``wengang screen
  --header-row TABLE=N``) and the sheet (``sheet``, ``--sheet TABLE=NAME``). A file whose header is not found is
  refused naming the sheet and line the header was read from and these two options;
* **a row whose mapped columns are all empty** is blank, as an empty line is, even when a column the table does
  not use has a value (a 序号 numbered in advance): skipped, counted in a note, not quarantined;
* **a totals, sign-off or note row** (合计, 总计, 小计, 制表人, 审核人, 负责人, 填报日期, 注：, 说明：, 备注： …:
  :data:`FOOTER_WORDS`) — the first
  cell that is not empty begins with such a word, and the table's key column (the unit's code, the person's
  公民身份号码) is empty or is that very cell — is no record: skipped and named with its line in a note, its
  values not read. Any other row without a key is quarantined (and holds payments: ``screening.holds``).

Anything wrong with the file itself raises :class:`IngestError` with a Chinese and English message naming
the file (and the column, when one is at fault).
"""

from __future__ import annotations

import re
import threading
import uuid
import weakref
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from wengang.ingest import IngestError
from wengang.ingest.files import (
    _WHITESPACE,
    ENCODINGS,
    Frame,
    detect_encoding,
    head_rows,
    header_names,
    read_frame,
    redact,
    sheets_with_header,
    transcode_to_utf8,
)
from wengang.ingest.headers import FEN, YUAN, HeaderMap, Resolution, derived_fact_fields, resolve
from wengang.screening.schemas import ALL_TABLES, TableSchema

__all__ = [
    "ENCODINGS",
    "IngestError",
    "RawTable",
    "bind",
    "detect_encoding",
    "read_table",
    "redact",
    "transcode_to_utf8",
]
_transcode_to_utf8 = transcode_to_utf8  # the name pipeline.py knew


# how far down a CSV or XLSX file the header is looked for when its first line is not it
HEADER_SEARCH_ROWS = 10
# the raw tables a unit program's facts are derived from: an ignored column of theirs that names one of those facts
# (企业划型, 连续足额缴费月数 …) is said to be derived, not unknown (bind)
RAW_UNIT_TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "dispatch", "deferrals")
# a totals or sign-off row begins with one of these (spaces inside allowed: 合　计), then nothing, a separator or
# a bracket: 合计、合计：、制表人：张三、填报日期 2025-01-05 — not 合计科技有限公司
FOOTER_WORDS = (
    "合计", "总计", "小计", "共计", "累计", "本页合计", "本页小计",
    "制表人", "制表单位", "制表日期", "制表时间", "制表",
    "审核人", "审核单位", "审核日期", "审核", "复核人", "复核",
    "负责人", "单位负责人", "主管领导", "经办人", "经办",
    "填报人", "填报单位", "填报日期", "填报时间", "填报", "填表人", "填表日期", "填表",
    # a note under the table (注：本表由税务部门提供; 说明：…; 备注：…): no record (outside audit F9, session 38)
    "注", "说明", "备注", "注释", "附注",
)  # fmt: skip
_FOOTER = re.compile(
    r"^(?:" + "|".join(r"\s*".join(map(re.escape, w)) for w in sorted(FOOTER_WORDS, key=len, reverse=True))
    + r")(?:$|[\s:：(（、,，.。\d])"
)
# a line above the header that states the amounts' unit: 单位：元、金额单位：万元、（单位：元）、明细（元）
_UNIT_STATED = re.compile(r"单位\s*[:：]\s*(万元|千元|元|分)(?![\u4e00-\u9fff])|[(（]\s*(万元|千元|元|分)\s*[)）]")
_UNIT_ZH = {YUAN: "元", FEN: "分"}
_NAMED_ROWS = 5  # rows a note names before "等 N 行"


@dataclass
class RawTable:
    """A table as read: canonical column names, original values, ``source_row`` (the row as the file shows it)."""

    schema: TableSchema
    source_file: str
    frame: pl.LazyFrame
    units: dict[str, str] = field(default_factory=dict)  # money column → "yuan" / "fen", as its header said
    encoding: str | None = None
    excel_epoch: date | None = None  # XLSX: serial day numbers in date columns count from here
    cell_errors: dict[str, dict[int, tuple[str, str]]] = field(default_factory=dict)  # column → row → reason
    # notes for the report. Rows skipped as blank or as totals/sign-off lines are noted here as the frame is read
    # (validation copies the notes once it has read the frame)
    notes: list[str] = field(default_factory=list)
    # column → the header the file gave it (应缴费额): validation names a field by it in Chinese reasons
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def yuan_columns(self) -> set[str]:
        return {c for c, u in self.units.items() if u == "yuan"}


def _schema(schema: TableSchema | str) -> TableSchema:
    if isinstance(schema, TableSchema):
        return schema
    try:
        return ALL_TABLES[schema]
    except KeyError:
        raise IngestError(f"未知的表类型“{schema}”", f"unknown table type {schema!r}") from None


def key_field(sch: TableSchema) -> str | None:
    """The column that says whom a row concerns: the schema's ``hold_key``, else its first key column (a facts
    table: ``credit_code``)."""
    if sch.hold_key:
        return sch.hold_key
    if sch.key:
        return sch.key[0]
    return "credit_code" if "credit_code" in sch.names else None


class _SkipLog:
    """The rows a table's read skipped (blank in its mapped columns, totals/sign-off rows), by file row, and the
    notes about them: rewritten in the table's ``notes`` as rows are found. Shared by every copy of the filter
    (Polars may copy a plan's functions), so a row read twice (the frame is collected more than once) counts once."""

    def __init__(self, notes: list[str]):
        self.notes = notes
        self.lock = threading.Lock()
        self.blank: set[int] = set()
        self.footer: dict[int, str] = {}  # row → its first cell
        self.shown: list[str] = []  # the notes of this log now in ``notes``
        self.unmapped: list[str] = []  # the columns that made a blank row look filled

    def add(self, blank: list[int], footer: list[tuple[int, str]]) -> None:
        with self.lock:
            before = (len(self.blank), len(self.footer))
            self.blank.update(blank)
            self.footer.update((r, t) for r, t in footer if r not in self.footer)
            if (len(self.blank), len(self.footer)) == before:
                return
            for n in self.shown:
                if n in self.notes:
                    self.notes.remove(n)
            self.shown = self._render()
            self.notes.extend(self.shown)

    def _render(self) -> list[str]:
        out = []
        if self.footer:
            rows = sorted(self.footer)
            zh = "、".join(f"第 {r} 行“{_short(self.footer[r])}”" for r in rows[:_NAMED_ROWS])
            en = ", ".join(f"row {r} ({_short(self.footer[r])!r})" for r in rows[:_NAMED_ROWS])
            more_zh = f"等，共 {len(rows)} 行" if len(rows) > _NAMED_ROWS else ""
            more_en = f", {len(rows)} in all" if len(rows) > _NAMED_ROWS else ""
            out.append(
                f"已跳过合计、落款等非数据行：{zh}{more_zh}（首个非空单元格为合计、落款或“注”“说明”“备注”等字样、且无单位代码或"
                f"人员证件号码；其中的数值未读取，也未隔离） / skipped footer rows (totals, sign-off and note lines): {en}{more_en} "
                f"(the first cell that is not empty is a totals, sign-off or note word and the key is empty; not read, not "
                f"quarantined)"
            )
        if self.blank:
            rows = sorted(self.blank)
            cols = "、".join(f"“{c}”" for c in self.unmapped)
            shown = "、".join(map(str, rows[:_NAMED_ROWS])) + (f" 等，共 {len(rows)} 行" if len(rows) > _NAMED_ROWS else " 行")
            shown_en = ", ".join(map(str, rows[:_NAMED_ROWS])) + (f", {len(rows)} in all" if len(rows) > _NAMED_ROWS else "")
            out.append(
                f"已跳过空行：第 {shown}（本表使用的列均为空，仅未识别的列{cols}有值） / skipped blank rows: {shown_en} "
                f"(every column the table uses is empty; only an unknown column has a value)"
            )
        return out


def _short(text: str, most: int = 30) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


_LOGS: weakref.WeakValueDictionary[str, _SkipLog] = weakref.WeakValueDictionary()


class _Skipper:
    """The filter of a CSV or XLSX table's rows (a Polars batch function over the struct of ``source_row`` and
    every column in the file's order): false for a row that is blank in the ``mapped`` columns or is a totals or
    sign-off row (module doc), which it logs. Vectorised; a row whose key is written plainly (begins with a
    printable ASCII sign: a code) is kept at once."""

    def __init__(
        self, log: _SkipLog, columns: list[str], mapped: list[str], key: str | None, not_blank: set[int], offset: int
    ):
        self.log, self.columns, self.mapped, self.key = log, columns, mapped, key
        self.not_blank = not_blank  # rows with a cell that was not read (a formula) in a mapped column
        self.offset = offset
        self._id = uuid.uuid4().hex
        _LOGS[self._id] = log

    def __getstate__(self) -> dict[str, Any]:  # a plan Polars serialises: the log is found again by its id
        return {k: v for k, v in self.__dict__.items() if k != "log"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.log = _LOGS.get(self._id) or _SkipLog([])

    def __call__(self, rows: pl.Series) -> pl.Series:
        df = rows.struct.unnest()
        first_key = self.key if self.key is not None else self.mapped[0]
        keep = df.get_column(first_key).is_between(pl.lit("!"), pl.lit("~")).fill_null(False)
        rest = (~keep).arg_true()
        if not len(rest):
            return keep
        sub = df[rest]

        def text(c: str) -> pl.Expr:
            return pl.col(c).str.strip_chars(_WHITESPACE)

        filled = pl.any_horizontal([text(c).str.len_bytes() > 0 for c in self.mapped]).fill_null(False)
        first = pl.coalesce([pl.when(text(c).str.len_bytes() > 0).then(text(c)) for c in self.columns])
        key_empty = (
            pl.lit(True) if self.key is None else (text(self.key).is_null() | (text(self.key).str.len_bytes() == 0))
        )
        key_is_first = pl.lit(False) if self.key is None else (text(self.key) == first).fill_null(False)
        row = pl.col("source_row").cast(pl.Int64) + self.offset
        looked = sub.select(
            row.alias("row"),
            filled.alias("filled"),
            first.alias("first"),
            (first.str.contains(_FOOTER.pattern).fill_null(False) & (key_empty | key_is_first)).alias("footer"),
        )
        if self.not_blank:
            looked = looked.with_columns(
                (pl.col("filled") | pl.col("row").is_in(list(self.not_blank))).alias("filled")
            )
        footer = looked.filter(pl.col("footer"))
        # (a row with no value at all is the reader's blank row, skipped there: not noted — Polars may ask both
        # filters about every row)
        blank = looked.filter(~pl.col("filled") & ~pl.col("footer") & pl.col("first").is_not_null())
        if footer.height or blank.height:
            self.log.add(blank.get_column("row").to_list(), list(footer.select("row", "first").iter_rows()))
        return keep.scatter(rest, (looked.get_column("filled") & ~looked.get_column("footer")))


def bind(frame: Frame, sch: TableSchema, header_map: HeaderMap | None = None) -> RawTable:
    """Bind a frame as read to a schema: rename the mapped columns, keep what validation needs; ``source_row``
    becomes the row as the file shows it (``Frame.file_row``). A CSV or XLSX table's blank rows (in the mapped
    columns) and totals/sign-off rows are skipped and noted (module doc)."""
    res: Resolution = resolve(
        frame.columns, sch.scope(), header_map=header_map, source=frame.source, table_zh=sch.zh
    )
    offset = frame.header_row
    notes: list[str] = []
    derived = derived_fact_fields(res.ignored) if res.ignored and sch.name in RAW_UNIT_TABLES else {}
    if derived:
        # known fields, not unknown columns: the raw screen derives them, so the agency's own figures are not read
        # (audit D4, session 39); the other ignored columns keep the usual note
        zh = "、".join(f"“{c}”（{f}）" for c, f in derived.items())
        en = ", ".join(f"{c!r} ({f})" for c, f in derived.items())
        notes.append(
            f"以下列是单位事实字段，原始数据筛查不读取，而由登记信息、月度缴费记录、年度参保人数与裁员等原始数据表自行派生：{zh}；"
            "如需按经办机构自己的数值判定，请把这些事实整理为事实表，用 --facts 筛查（不与原始数据表同时给出） / "
            f"these columns are unit facts that a screen of raw tables does not read but derives itself from the registry, the monthly "
            f"contributions, yearly headcount and other raw tables: {en}; to decide on the agency's own figures, "
            "screen a facts table with --facts (without the raw tables)"
        )
        res = replace(res, ignored=[c for c in res.ignored if c not in derived])
    note = res.note()
    if note:
        notes.append(note)
    lf = frame.lf
    if frame.kind in ("csv", "xlsx") and res.rename:
        key = key_field(sch)
        key_col = next((c for c, f in res.rename.items() if f == key), None)
        not_blank = {r + offset for c, e in frame.cell_errors.items() if c in res.rename for r in e}
        log = _SkipLog(notes)
        log.unmapped = [c for c in frame.columns if c not in res.rename]
        skip = _Skipper(log, frame.columns, list(res.rename), key_col, not_blank, offset)
        lf = lf.filter(
            pl.struct(["source_row", *frame.columns]).map_batches(skip, return_dtype=pl.Boolean, is_elementwise=True)
        )
        # (the log lives as long as the table's plan: the filter holds it, and the filter the frame)
    lf = lf.select(["source_row", *res.rename]).rename(res.rename)
    # a column with no value at all (Parquet's Null type, an empty sheet column) is read as text, as every
    # field's check reads it: nothing in it, not a schema error
    untyped = [c for c, t in lf.collect_schema().items() if t == pl.Null]
    if untyped:
        lf = lf.with_columns(pl.col(untyped).cast(pl.String))
    if offset:
        lf = lf.with_columns(pl.col("source_row") + offset)
    cell_errors = {res.rename[c]: {r + offset: v for r, v in e.items()} for c, e in frame.cell_errors.items() if c in res.rename}
    if frame.row_errors and frame.columns[-1] not in res.rename and res.rename:
        # a record not to be read (a CSV's last line cut off) whose last column maps to no field: held by its key
        key = key_field(sch)
        at = next((f for f in res.rename.values() if f == key), next(iter(res.rename.values())))
        for r, reason in frame.row_errors.items():
            cell_errors.setdefault(at, {})[r + offset] = reason
    notes[:0] = frame.notes
    # a column already named as the table names it (credit_code) has no header of the agency's: its standard
    # Chinese label names it in reasons
    headers = {t: c for c, t in res.rename.items() if c != t}
    return RawTable(sch, frame.source, lf, res.units, frame.encoding, frame.excel_epoch, cell_errors, notes, headers)


def read_table(
    source: str | Path,
    schema: TableSchema | str,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    table: str | None = None,
    query: str | None = None,
    header_map: HeaderMap | None = None,
    header_row: int | None = None,
) -> RawTable:
    """Read one raw table from a file path or a SQLAlchemy URL.

    ``encoding`` (CSV only): ``utf-8``, ``gbk`` or ``gb18030``; detected when not given.
    ``sheet`` (XLSX): sheet name, first sheet by default. ``header_row`` (CSV, XLSX): the line (Excel row) the
    header is on; by default the first line that is not empty, or, when that one does not name the table's
    required columns, the first of the first :data:`HEADER_SEARCH_ROWS` lines that does (module doc).
    ``table`` / ``query`` (database): the table to read (default: the schema's name) or a SQL query.
    ``header_map``: the user's header mapping.
    """
    sch = _schema(schema)
    frame = read_frame(
        source, encoding=encoding, sheet=sheet, table=table, query=query, default_table=sch.name, header_row=header_row
    )
    if sheet is None and frame.kind == "xlsx" and len(frame.sheets) > 1:
        _one_sheet_with_header(frame, sch, header_map)
    try:
        raw = bind(frame, sch, header_map)
    except IngestError as exc:
        if frame.kind not in ("csv", "xlsx") or not _only_columns_missing(frame, sch, header_map):
            raise  # (two columns for one field, an amount in 万元: the header is this row, and wrong)
        heads = head_rows(frame, HEADER_SEARCH_ROWS)
        here = heads.get(frame.sheet or "", [])
        found = _header_among(here, frame, sch, header_map)
        if found is None or header_row is not None:
            raise _not_the_header(exc, frame, sch, header_map, heads, explicit=header_row is not None, found=found) from None
        frame = read_frame(source, encoding=encoding, sheet=sheet, header_row=found)
        raw = bind(frame, sch, header_map)
        above = [(r, cells) for r, cells in here if r < found]
        raw.notes.insert(0, _header_note(frame, above))
        _check_stated_units(raw, frame, above)
        return raw
    if header_row is not None:
        above = [(r, cells) for r, cells in head_rows(frame, header_row).get(frame.sheet or "", []) if r < header_row]
        _check_stated_units(raw, frame, above)
    return raw


def _one_sheet_with_header(frame: Frame, sch: TableSchema, header_map: HeaderMap | None) -> None:
    """A workbook read from its first sheet (no ``--sheet``): refused when more than one of its sheets has the table's
    header in its first lines — last year's sheet before this year's would be read without a word (outside audit F2,
    session 38). One sheet with it: read, the reader's note names the sheet read and the others."""
    heads = head_rows(frame, HEADER_SEARCH_ROWS)
    carrying = sheets_with_header(heads, lambda cells: _resolves(cells, frame, sch, header_map))
    if len(carrying) < 2:
        return
    zh = "、".join(f"“{t}”（第 {r} 行）" for t, r in carrying)
    en = ", ".join(f"{t!r} (row {r})" for t, r in carrying)
    raise IngestError(
        f"{sch.zh} 文件 {frame.source} 有 {len(carrying)} 个工作表含有本表的表头：{zh}；未读取此文件（不会默认读取第一个工作表）。"
        f"请用 --sheet {sch.name}=工作表名 指定要读取的工作表",
        f"file {frame.source} has {len(carrying)} sheets with the table's header: {en}; the file was not read (the "
        f"first sheet is not taken by default). Pass --sheet {sch.name}=SHEET to say which one to read",
        source=frame.source,
    )


def _only_columns_missing(frame: Frame, sch: TableSchema, header_map: HeaderMap | None) -> bool:
    """The header read is refused only for the required columns it lacks (no other fault of its own)."""
    try:
        resolve(frame.columns, sch.scope(), header_map=header_map, source=frame.source, table_zh=sch.zh, required=())
    except IngestError:
        return False
    return True


def _resolves(cells: list[str | None], frame: Frame, sch: TableSchema, header_map: HeaderMap | None) -> bool:
    try:
        resolve(header_names(cells), sch.scope(), header_map=header_map, source=frame.source, table_zh=sch.zh)
    except IngestError:
        return False
    return True


def _header_among(
    rows: list[tuple[int, list[str | None]]], frame: Frame, sch: TableSchema, header_map: HeaderMap | None
) -> int | None:
    """The first of ``rows`` (line, cells) other than the one read as the header that names every required
    column of ``sch``."""
    return next(
        (r for r, cells in rows if r != frame.header_row and _resolves(cells, frame, sch, header_map)), None
    )


def _where_zh(frame: Frame, row: int) -> str:
    return f"工作表“{frame.sheet}”第 {row} 行" if frame.kind == "xlsx" else f"第 {row} 行"


def _where_en(frame: Frame, row: int) -> str:
    return f"row {row} of sheet {frame.sheet!r}" if frame.kind == "xlsx" else f"line {row}"


def _header_note(frame: Frame, above: list[tuple[int, list[str | None]]]) -> str:
    texts = "；".join(_short("　".join(c for c in cells if c)) for _, cells in above)
    rows = "、".join(str(r) for r, _ in above)
    return (
        f"表头取自{_where_zh(frame, frame.header_row)}（第 1 行不是表头）；其上的第 {rows} 行（{texts}）为标题等，未读取 / "
        f"the header was read from {_where_en(frame, frame.header_row)} (row 1 is not the header); the rows above it "
        f"({', '.join(str(r) for r, _ in above)}) were not read"
    )


def _check_stated_units(raw: RawTable, frame: Frame, above: list[tuple[int, list[str | None]]]) -> None:
    """A line above the header that states the amounts' unit must agree with every money column's unit."""
    if not raw.units:
        return
    for row, cells in above:
        for cell in (c for c in cells if c):
            m = _UNIT_STATED.search(cell)
            if m is None:
                continue
            stated = m.group(1) or m.group(2)
            other = {f: u for f, u in raw.units.items() if _UNIT_ZH[u] != stated}
            if not other:
                continue
            cols = "、".join(f"{f}（以{_UNIT_ZH[u]}计）" for f, u in other.items())
            cols_en = ", ".join(f"{f} (in {u})" for f, u in other.items())
            raise IngestError(
                f"文件 {frame.source} {_where_zh(frame, row)}写明“{_short(cell)}”，而按表头金额列 {cols}；未读取此文件。"
                f"请在表头中写明金额单位（如“应缴金额(元)”“应缴金额(分)”，万元须先换算为元），或用 --header-map 指定",
                f"file {frame.source}, {_where_en(frame, row)} states {_short(cell)!r} while by the header the amounts "
                f"are {cols_en}; the file was not read. State the unit in the header (应缴金额(元), 应缴金额(分); convert "
                f"万元 to 元 first) or map it with --header-map",
                source=frame.source,
            )


def _not_the_header(
    exc: IngestError,
    frame: Frame,
    sch: TableSchema,
    header_map: HeaderMap | None,
    heads: dict[str, list[tuple[int, list[str | None]]]],
    *,
    explicit: bool,
    found: int | None = None,
) -> IngestError:
    """``exc`` (the header read does not fit ``sch``) saying where the header was read from and how to point
    elsewhere; for a workbook, the other sheets whose first lines hold the table's header."""
    where_zh, where_en = _where_zh(frame, frame.header_row), _where_en(frame, frame.header_row)
    name = sch.name
    if explicit:
        zh = f"表头按指定取自{where_zh}"
        en = f"the header was read from {where_en}, as asked"
    else:
        zh = f"表头取自{where_zh}（第一个非空行），前 {HEADER_SEARCH_ROWS} 行中也没有一行含有本表的全部必填列"
        en = f"the header was read from {where_en} (the first row that is not empty); none of the first {HEADER_SEARCH_ROWS} rows names every required column"
    hint_zh = f"如表头在其他行，请用 --header-row {name}=行号 指定"
    hint_en = f"if the header is on another row, pass --header-row {name}=ROW"
    if found is not None:  # (asked for another row: the one that names the columns)
        hint_zh += f"（{_where_zh(frame, found)}含有本表的表头）"
        hint_en += f" ({_where_en(frame, found)} has the table's header)"
    if frame.kind == "xlsx":
        others = [
            (title, r)
            for title, rows in heads.items()
            if title != frame.sheet
            for r in [next((r for r, cells in rows if _resolves(cells, frame, sch, header_map)), None)]
            if r is not None
        ]
        hint_zh += f"；如数据在其他工作表，请用 --sheet {name}=工作表名 指定"
        hint_en += f"; if the data is on another sheet, pass --sheet {name}=SHEET"
        if others:
            hint_zh += "（" + "、".join(f"工作表“{t}”第 {r} 行含有本表的表头" for t, r in others) + "）"
            hint_en += " (" + ", ".join(f"sheet {t!r} has the table's header in row {r}" for t, r in others) + ")"
        sheets = "、".join(f"“{t}”" for t in heads)
        zh += f"；工作簿中的工作表：{sheets}"
        en += f"; sheets in the workbook: {', '.join(repr(t) for t in heads)}"
    return IngestError(
        f"{exc.message_zh}（{zh}；{hint_zh}）", f"{exc.message_en} ({en}; {hint_en})", source=exc.source, column=exc.column
    )

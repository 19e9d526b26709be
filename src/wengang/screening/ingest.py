"""Read the agencies' raw tables into the schemas of :mod:`wengang.screening.schemas`.

The input layer is :mod:`wengang.ingest` (shared with ``wengang evaluate``): :mod:`~wengang.ingest.files`
reads Parquet, CSV (UTF-8, GBK, GB18030), XLSX or a database; :mod:`~wengang.ingest.headers` maps the
headers (Chinese, English, the user's ``--header-map``) to the schema's columns and says each money
column's unit. Here a table is bound to its schema: the mapped columns renamed, ``source_row`` kept
(1-based data row, header not counted), values as they came (CSV and XLSX as text). Unknown columns are
dropped and listed in ``notes``. Parsing and checking values is validation's job
(:mod:`wengang.screening.quarantine`), so one bad cell quarantines one row instead of failing the file.

Anything wrong with the file itself raises :class:`IngestError` with a Chinese and English message naming
the file (and the column, when one is at fault).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from wengang.ingest import IngestError
from wengang.ingest.files import ENCODINGS, Frame, detect_encoding, read_frame, redact, transcode_to_utf8
from wengang.ingest.headers import HeaderMap, Resolution, resolve
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


@dataclass
class RawTable:
    """A table as read: canonical column names, original values, ``source_row``."""

    schema: TableSchema
    source_file: str
    frame: pl.LazyFrame
    units: dict[str, str] = field(default_factory=dict)  # money column → "yuan" / "fen", as its header said
    encoding: str | None = None
    excel_epoch: date | None = None  # XLSX: serial day numbers in date columns count from here
    cell_errors: dict[str, dict[int, tuple[str, str]]] = field(default_factory=dict)  # column → row → reason
    notes: list[str] = field(default_factory=list)

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


def bind(frame: Frame, sch: TableSchema, header_map: HeaderMap | None = None) -> RawTable:
    """Bind a frame as read to a schema: rename the mapped columns, keep what validation needs."""
    res: Resolution = resolve(
        frame.columns, sch.scope(), header_map=header_map, source=frame.source, table_zh=sch.zh
    )
    lf = frame.lf.select(["source_row", *res.rename]).rename(res.rename)
    cell_errors = {res.rename[c]: e for c, e in frame.cell_errors.items() if c in res.rename}
    note = res.note()
    return RawTable(
        sch, frame.source, lf, res.units, frame.encoding, frame.excel_epoch, cell_errors, [note] if note else []
    )


def read_table(
    source: str | Path,
    schema: TableSchema | str,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    table: str | None = None,
    query: str | None = None,
    header_map: HeaderMap | None = None,
) -> RawTable:
    """Read one raw table from a file path or a SQLAlchemy URL.

    ``encoding`` (CSV only): ``utf-8``, ``gbk`` or ``gb18030``; detected when not given.
    ``sheet`` (XLSX): sheet name, first sheet by default. ``table`` / ``query`` (database): the table
    to read (default: the schema's name) or a SQL query. ``header_map``: the user's header mapping.
    """
    sch = _schema(schema)
    frame = read_frame(source, encoding=encoding, sheet=sheet, table=table, query=query, default_table=sch.name)
    return bind(frame, sch, header_map)

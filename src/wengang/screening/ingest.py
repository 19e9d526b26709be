"""Read the agencies' raw tables into the schemas of :mod:`wengang.screening.schemas`.

Formats: Parquet (``scan_parquet``, lazy), CSV in UTF-8, GBK or GB18030 (``scan_csv``, lazy; a GBK/GB18030
file is transcoded to UTF-8 once, in chunks, because Polars reads only UTF-8), XLSX (``read_excel`` with
fastexcel/calamine) and any database SQLAlchemy can reach (``read_database``; give a URL and a table or
query).

Ingest only *finds* the columns: it maps Chinese or English headers to the canonical names, checks that
every required column is there, adds ``source_row`` (1-based data row, header not counted) and keeps
values as they came (CSV and XLSX as strings). Parsing and checking values is validation's job
(:mod:`wengang.screening.quarantine`), so one bad cell quarantines one row instead of failing the file.

Anything wrong with the file itself raises :class:`IngestError` with a Chinese and English message naming
the file (and the column, when one is at fault).
"""

from __future__ import annotations

import atexit
import codecs
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from wengang.screening.schemas import ALL_TABLES, TableSchema

ENCODINGS = ("utf-8", "gbk", "gb18030")
_SNIFF_BYTES = 1 << 20


class IngestError(Exception):
    """A file that cannot be read as the table asked for. ``str()`` is Chinese then English."""

    def __init__(self, message_zh: str, message_en: str, *, source: str = "", column: str | None = None):
        self.message_zh = message_zh
        self.message_en = message_en
        self.source = source
        self.column = column
        super().__init__(f"{message_zh} / {message_en}")


@dataclass
class RawTable:
    """A table as read: canonical column names, original values, ``source_row``."""

    schema: TableSchema
    source_file: str
    frame: pl.LazyFrame
    yuan_columns: set[str] = field(default_factory=set)  # money columns that arrived in yuan
    encoding: str | None = None


def _schema(schema: TableSchema | str) -> TableSchema:
    if isinstance(schema, TableSchema):
        return schema
    try:
        return ALL_TABLES[schema]
    except KeyError:
        raise IngestError(f"未知的表类型“{schema}”", f"unknown table type {schema!r}") from None


def detect_encoding(path: str | Path) -> str:
    """``utf-8`` if the first MiB decodes as UTF-8, else ``gbk`` if it decodes as GBK, else ``gb18030``."""
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    for enc in ENCODINGS:
        dec = codecs.getincrementaldecoder(enc)()
        try:
            dec.decode(head, final=len(head) < _SNIFF_BYTES)  # a character cut at the sniff limit is fine
            return enc
        except UnicodeDecodeError:
            continue
    raise IngestError(
        f"文件 {path} 不是 UTF-8、GBK 或 GB18030 编码的文本",
        f"file {path} is not UTF-8, GBK or GB18030 text",
        source=str(path),
    )


def _transcode_to_utf8(path: Path, encoding: str) -> Path:
    """Write a UTF-8 copy of ``path`` in chunks (bounded memory); return its path."""
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="wengang-utf8-")
    dec = codecs.getincrementaldecoder(encoding)()
    try:
        with open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
            while chunk := src.read(1 << 22):
                dst.write(dec.decode(chunk).encode("utf-8"))
            dst.write(dec.decode(b"", final=True).encode("utf-8"))
    except UnicodeDecodeError as exc:
        os.unlink(tmp)
        raise IngestError(
            f"文件 {path} 不能按 {encoding} 编码读取（第 {exc.start} 字节附近）",
            f"file {path} cannot be decoded as {encoding} (near byte {exc.start})",
            source=str(path),
        ) from None
    return Path(tmp)


def _rename_map(columns: list[str], schema: TableSchema, source: str) -> tuple[dict[str, str], set[str]]:
    aliases = schema.header_aliases()
    rename: dict[str, str] = {}
    yuan: set[str] = set()
    for col in columns:
        key = col.strip().lstrip("\ufeff")
        target = aliases.get(key)
        if target is None:
            continue
        if target in rename.values():
            raise IngestError(
                f"文件 {source} 中列“{target}”出现了不止一次（含别名“{col}”）",
                f"file {source} has column {target!r} more than once (alias {col!r})",
                source=source,
                column=target,
            )
        rename[col] = target
        if key.endswith("_yuan") or key.endswith("（元）") or key.endswith("(元)"):
            yuan.add(target)
    missing = [c for c in schema.required if c not in rename.values()]
    if missing:
        c = schema.column(missing[0])
        raise IngestError(
            f"文件 {source} 缺少必填列“{c.zh}”（{c.name}）；现有列：{', '.join(columns)}",
            f"file {source} is missing the required column {c.name!r} ({c.zh}); columns found: {', '.join(columns)}",
            source=source,
            column=c.name,
        )
    return rename, yuan


def _finish(
    lf: pl.LazyFrame, columns: list[str], schema: TableSchema, source: str, encoding=None
) -> RawTable:
    rename, yuan = _rename_map(columns, schema, source)
    lf = lf.select(["source_row", *rename]).rename(rename)
    return RawTable(schema, source, lf, yuan, encoding)


def read_table(
    source: str | Path,
    schema: TableSchema | str,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    table: str | None = None,
    query: str | None = None,
) -> RawTable:
    """Read one raw table from a file path or a SQLAlchemy URL.

    ``encoding`` (CSV only): ``utf-8``, ``gbk`` or ``gb18030``; detected when not given.
    ``sheet`` (XLSX): sheet name, first sheet by default. ``table`` / ``query`` (database): the table
    to read (default: the schema's name) or a SQL query.
    """
    sch = _schema(schema)
    src = str(source)
    if "://" in src:
        return _read_database(src, sch, table=table, query=query)
    path = Path(src)
    if not path.exists():
        raise IngestError(f"找不到文件 {src}", f"file not found: {src}", source=src)
    suffix = path.suffix.lower()
    if path.is_dir() or suffix in (".parquet", ".pq"):
        return _read_parquet(path, sch)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path, sch, encoding, separator="\t" if suffix == ".tsv" else ",")
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return _read_excel(path, sch, sheet)
    raise IngestError(
        f"不支持的文件类型 {suffix or '（无扩展名）'}：{src}（支持 parquet、csv、xlsx 或数据库 URL）",
        f"unsupported file type {suffix or '(none)'}: {src} (parquet, csv, xlsx or a database URL)",
        source=src,
    )


def _read_parquet(path: Path, sch: TableSchema) -> RawTable:
    src = str(path)
    target = str(path / "*.parquet") if path.is_dir() else src
    try:
        lf = pl.scan_parquet(target, row_index_name="source_row", row_index_offset=1)
        columns = [c for c in lf.collect_schema().names() if c != "source_row"]
    except Exception as exc:  # polars raises several types for a non-Parquet file
        raise IngestError(
            f"文件 {src} 不是可读取的 Parquet 表格（{type(exc).__name__}）",
            f"file {src} is not a readable Parquet table ({type(exc).__name__}: {exc})",
            source=src,
        ) from None
    return _finish(lf, columns, sch, src)


def _read_csv(path: Path, sch: TableSchema, encoding: str | None, separator: str = ",") -> RawTable:
    src = str(path)
    enc = (encoding or detect_encoding(path)).lower().replace("_", "-")
    if enc in ("utf8", "utf-8-sig"):
        enc = "utf-8"
    if enc not in ENCODINGS:
        raise IngestError(
            f"不支持的编码 {encoding}（支持 utf-8、gbk、gb18030）",
            f"unsupported encoding {encoding} (utf-8, gbk, gb18030)",
            source=src,
        )
    target = path
    if enc == "utf-8":
        with open(path, "rb") as f:
            head = f.read(_SNIFF_BYTES)
        try:
            codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < _SNIFF_BYTES)
        except UnicodeDecodeError as exc:
            raise IngestError(
                f"文件 {src} 不是 UTF-8 编码（第 {exc.start} 字节）；如为 GBK 请指定 --encoding gbk",
                f"file {src} is not UTF-8 (byte {exc.start}); if it is GBK pass --encoding gbk",
                source=src,
            ) from None
    else:
        target = _transcode_to_utf8(path, enc)
        atexit.register(lambda p=target: p.unlink(missing_ok=True))  # the lazy scan reads it until then
    try:
        lf = pl.scan_csv(
            target,
            separator=separator,
            infer_schema=False,
            row_index_name="source_row",
            row_index_offset=1,
            encoding="utf8",
        )
        columns = [c for c in lf.collect_schema().names() if c != "source_row"]
    except Exception as exc:
        raise IngestError(
            f"文件 {src} 不是可读取的 CSV 表格", f"file {src} is not a readable CSV table ({exc})", source=src
        ) from None
    return _finish(lf, columns, sch, src, enc)


def _read_excel(path: Path, sch: TableSchema, sheet: str | None) -> RawTable:
    src = str(path)
    try:
        kw = {"sheet_name": sheet} if sheet else {"sheet_id": 1}
        df = pl.read_excel(path, engine="calamine", infer_schema_length=0, **kw)
    except Exception as exc:
        raise IngestError(
            f"文件 {src} 不是可读取的 Excel 表格",
            f"file {src} is not a readable Excel workbook ({exc})",
            source=src,
        ) from None
    df = df.with_columns(pl.all().cast(pl.String)).with_row_index("source_row", offset=1)
    columns = [c for c in df.columns if c != "source_row"]
    return _finish(df.lazy(), columns, sch, src)


def _read_database(url: str, sch: TableSchema, *, table: str | None, query: str | None) -> RawTable:
    from sqlalchemy import create_engine, inspect

    name = table or sch.name
    label = f"{_redact(url)} [{query or name}]"
    try:
        engine = create_engine(url)
    except Exception as exc:
        raise IngestError(
            f"无法连接数据库 {_redact(url)}", f"cannot open database {_redact(url)} ({exc})"
        ) from None
    try:
        if query is None:
            if not inspect(engine).has_table(name):
                raise IngestError(
                    f"数据库 {_redact(url)} 中没有表“{name}”", f"database has no table {name!r}", source=label
                )
            query = f'SELECT * FROM "{name}"'
        with engine.connect() as conn:
            df = pl.read_database(query, connection=conn)
    except IngestError:
        raise
    except Exception as exc:
        raise IngestError(
            f"读取数据库失败：{label}", f"reading the database failed: {label} ({exc})", source=label
        ) from None
    finally:
        engine.dispose()
    df = df.with_row_index("source_row", offset=1)
    columns = [c for c in df.columns if c != "source_row"]
    return _finish(df.lazy(), columns, sch, label)


def _redact(url: str) -> str:
    """Hide a password in a URL before it goes into a message."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]

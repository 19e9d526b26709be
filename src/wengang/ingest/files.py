"""Read a file (or a database table) into a frame of the values as they came, with ``source_row``.

Formats: Parquet (file or folder, lazy), CSV/TSV in UTF-8, GBK or GB18030 (lazy; a GBK/GB18030 file is
transcoded to UTF-8 once, in chunks, because Polars reads only UTF-8), XLSX with openpyxl, and any
database SQLAlchemy can reach. CSV and XLSX values are text; nothing is parsed here.

CSV:

* the encoding, when ``--encoding`` does not say it, is decided from the first MiB — or from the whole file
  when that MiB is all ASCII (English headers, codes and numbers first, Chinese names later). Text that
  decodes as UTF-8 only into Greek, Cyrillic and the like and also as GBK is GBK (``伟业农园`` in GBK is valid
  UTF-8 ``ΰҵũ԰``). An explicit ``--encoding`` is authoritative;
* ``source_row`` is the data record number (the header not counted, a blank line counted), so row N is line
  N + 1 of the file when no quoted value spans lines. A row whose every field is empty or blank (an empty
  line, ``,,,,,,``) is not a record and is skipped, as XLSX empty rows are: it is in neither ``rows_in`` nor
  the quarantine, and its number is not reused;
* a row with more fields than the header makes Polars fail while the file is read; :func:`explain_csv_error`
  then names the file, the first such lines and records (found with the ``csv`` module, on that error path
  only), as it does for a file declared or detected as UTF-8 that is not. A row with fewer fields reads its
  missing trailing fields as empty (Polars cannot tell them from empty fields without a second pass).

XLSX is read cell by cell with openpyxl (30–50 µs a row: 100,000 rows in 3–5 s), so each cell's type is known:

* a **formula** cell is never read — neither its formula text nor the value Excel (or the program that
  wrote the file) cached for it, which may be stale or a placeholder 0. It is a cell error naming the
  sheet and cell (``缴费!D7``): screening quarantines that row, a single case is refused. Formulas in
  columns that map to no field do not matter. Agencies should paste values before exporting;
* an **error** cell (``#N/A``, ``#DIV/0!``) is a cell error too;
* a date cell becomes ``YYYY-MM-DD`` (with the time if it has one), a number its shortest decimal text
  (``1234.56``, ``3``), a boolean ``true``/``false``;
* the header is the first non-empty row; ``source_row`` is the Excel row number minus the header's, so
  row N of the quarantine is Excel row N + 1 when the header is in row 1. Empty rows are skipped;
* the workbook's date system (1900 or 1904) is kept, so a bare serial day number in a date column reads
  as Excel would show it.
"""

from __future__ import annotations

import atexit
import codecs
import csv
import io
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import TypeVar

import polars as pl

from wengang.ingest import IngestError

ENCODINGS = ("utf-8", "gbk", "gb18030")
_SNIFF_BYTES = 1 << 20
_CHUNK = 1 << 22
# decoded as UTF-8, GBK text gives two-byte characters (U+0100–U+07FF: Greek, Cyrillic, Armenian …) and
# hardly ever a three-byte one (CJK is U+4E00–U+9FFF); Latin-1 signs (·, é) are plausible in a UTF-8 export
_WIDE = re.compile("[\u0800-\U0010ffff]")
_MID = re.compile("[\u0100-\u07ff]")
_HINT_ZH = "如文件为 GBK 编码，请加 --encoding gbk"
_HINT_EN = "if it is GBK, pass --encoding gbk"
# CSV files read in this process: path as given → (encoding, separator), for explain_csv_error
_CSV_READ: dict[str, tuple[str, str]] = {}
_E = TypeVar("_E", pl.Series, pl.Expr)


@dataclass
class Frame:
    """A table as read: ``source_row`` (1-based data row) and the columns as headed in the file."""

    source: str
    lf: pl.LazyFrame
    columns: list[str]
    encoding: str | None = None
    excel_epoch: date | None = None  # XLSX only: serial day numbers count from here
    # column (as headed) → {source_row: (zh, en)}: cells that must not be read (formulas, error values)
    cell_errors: dict[str, dict[int, tuple[str, str]]] = field(default_factory=dict)


def detect_encoding(path: str | Path) -> str:
    """``utf-8``, ``gbk`` or ``gb18030``: the first that decodes the first MiB (the whole file when that MiB is
    all ASCII); UTF-8 that reads as no Chinese but as Greek, Cyrillic … while GBK reads it is GBK."""
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8"
        if len(head) == _SNIFF_BYTES and head.isascii():
            return _whole_file_encoding(f, path)
    final = len(head) < _SNIFF_BYTES  # a character cut at the sniff limit is fine
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=final)
        if not _looks_like_gbk(text) or _decodes(head, "gbk", final) is None:
            return "utf-8"
    except UnicodeDecodeError:
        pass
    for enc in ENCODINGS[1:]:
        if _decodes(head, enc, final) is None:
            return enc
    raise _not_text(path)


def _looks_like_gbk(text: str) -> bool:
    return not text.isascii() and _WIDE.search(text) is None and _MID.search(text) is not None


def _decodes(data: bytes, encoding: str, final: bool = True) -> UnicodeDecodeError | None:
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=final)
    except UnicodeDecodeError as exc:
        return exc
    return None


def _not_text(path: str | Path) -> IngestError:
    return IngestError(
        f"文件 {path} 不是 UTF-8、GBK 或 GB18030 编码的文本",
        f"file {path} is not UTF-8, GBK or GB18030 text",
        source=str(path),
    )


def _whole_file_encoding(f: io.BufferedReader, path: str | Path) -> str:
    """The first MiB (already read from ``f``) is ASCII: the rest decides. One incremental UTF-8 decode
    (about 1 s a GB); a file that is not UTF-8 is decoded once more as GBK, then GB18030, before transcoding."""
    dec = codecs.getincrementaldecoder("utf-8")()
    wide = mid = False
    try:
        while chunk := f.read(_CHUNK):
            if chunk.isascii() and not dec.getstate()[0]:
                continue
            text = dec.decode(chunk)
            if not wide:  # once a CJK character is seen the rest only has to decode
                wide = _WIDE.search(text) is not None
                mid = mid or _MID.search(text) is not None
        dec.decode(b"", final=True)
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    if utf8 and (wide or not mid):
        return "utf-8"
    for enc in ENCODINGS[1:]:
        other = codecs.getincrementaldecoder(enc)()
        f.seek(0)
        try:
            while chunk := f.read(_CHUNK):
                other.decode(chunk)
            other.decode(b"", final=True)
            return enc
        except UnicodeDecodeError:
            continue
    if utf8:
        return "utf-8"  # it reads as no Chinese, but as nothing else either
    raise _not_text(path)


def transcode_to_utf8(path: Path, encoding: str) -> Path:
    """Write a UTF-8 copy of ``path`` in chunks (bounded memory); return its path."""
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="wengang-utf8-")
    dec = codecs.getincrementaldecoder(encoding)()
    done = 0  # bytes of the file before the current chunk
    try:
        with open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
            while chunk := src.read(_CHUNK):
                dst.write(dec.decode(chunk).encode("utf-8"))
                done += len(chunk)
            dst.write(dec.decode(b"", final=True).encode("utf-8"))
    except UnicodeDecodeError as exc:
        os.unlink(tmp)
        at = done - len(dec.getstate()[0]) + exc.start if exc.object is not chunk else done + exc.start
        raise _decode_error(path, encoding, at) from None
    return Path(tmp)


def _decode_error(path: Path | str, encoding: str, at: int) -> IngestError:
    """The file cannot be decoded as ``encoding`` at byte ``at``: name the line and record, and hint."""
    line, record = _position(Path(path), at, encoding)
    where_zh = f"第 {line} 行（第 {record} 条记录，第 {at + 1} 字节）"
    where_en = f"line {line} (record {record}, byte {at + 1})"
    if encoding == "utf-8":
        return IngestError(
            f"文件 {path} {where_zh}不是 UTF-8 编码；{_HINT_ZH}",
            f"file {path} is not UTF-8 at {where_en}; {_HINT_EN}",
            source=str(path),
        )
    return IngestError(
        f"文件 {path} {where_zh}不能按 {encoding} 编码读取；请用 --encoding 指定正确的编码（utf-8、gbk、gb18030）",
        f"file {path} cannot be decoded as {encoding} at {where_en}; pass the right --encoding (utf-8, gbk, gb18030)",
        source=str(path),
    )


def _position(path: Path, at: int, encoding: str) -> tuple[int, int]:
    """Line (1-based) of byte ``at``, and its record number as ``source_row`` counts (header not counted)."""
    with open(path, "rb") as f:
        before = f.read(at)
    start = before.rfind(b"\n") + 1
    line = before.count(b"\n") + 1
    text = before[:start].decode(encoding, errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    records = sum(1 for _ in csv.reader(io.StringIO(text, newline="")))
    return line, max(records, 1)


def read_frame(
    source: str | Path,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    table: str | None = None,
    query: str | None = None,
    default_table: str = "",
) -> Frame:
    """Read one table from a file path or a SQLAlchemy URL (``table``/``query``, default ``default_table``)."""
    src = str(source)
    if "://" in src:
        return _read_database(src, table=table or default_table, query=query)
    path = Path(src)
    if not path.exists():
        raise IngestError(f"找不到文件 {src}", f"file not found: {src}", source=src)
    suffix = path.suffix.lower()
    if is_parquet(src):
        return _read_parquet(path)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path, encoding, separator="\t" if suffix == ".tsv" else ",")
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet)
    if suffix == ".xls":
        raise IngestError(
            f"不支持旧版 Excel 格式（.xls）：{src}；请另存为 .xlsx 或 CSV",
            f"old Excel format (.xls) is not supported: {src}; save it as .xlsx or CSV",
            source=src,
        )
    raise IngestError(
        f"不支持的文件类型 {suffix or '（无扩展名）'}：{src}（支持 parquet、csv、xlsx 或数据库 URL）",
        f"unsupported file type {suffix or '(none)'}: {src} (parquet, csv, xlsx or a database URL)",
        source=src,
    )


def is_parquet(source: str | Path) -> bool:
    """A source read as Parquet: a ``.parquet``/``.pq`` file or a folder of them (not a database URL)."""
    src = str(source)
    path = Path(src)
    return "://" not in src and (path.is_dir() or path.suffix.lower() in (".parquet", ".pq"))


def _columns(lf: pl.LazyFrame) -> list[str]:
    return [c for c in lf.collect_schema().names() if c != "source_row"]


def _read_parquet(path: Path) -> Frame:
    src = str(path)
    target = str(path / "*.parquet") if path.is_dir() else src
    try:
        lf = pl.scan_parquet(target, row_index_name="source_row", row_index_offset=1)
        columns = _columns(lf)
    except Exception as exc:  # polars raises several types for a non-Parquet file
        raise IngestError(
            f"文件 {src} 不是可读取的 Parquet 表格（{type(exc).__name__}）",
            f"file {src} is not a readable Parquet table ({type(exc).__name__}: {exc})",
            source=src,
        ) from None
    return Frame(src, lf, columns)


def _read_csv(path: Path, encoding: str | None, separator: str = ",") -> Frame:
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
    if enc == "utf-8" and encoding:  # detected UTF-8 has been decoded already
        with open(path, "rb") as f:
            head = f.read(_SNIFF_BYTES)
        exc = _decodes(head, "utf-8", final=len(head) < _SNIFF_BYTES)
        if exc is not None:
            raise _decode_error(path, "utf-8", exc.start) from None
    elif enc != "utf-8":
        target = transcode_to_utf8(path, enc)
        atexit.register(target.unlink, missing_ok=True)  # the lazy scan reads it until then
    _CSV_READ[src] = (enc, separator)
    try:
        lf = pl.scan_csv(
            target,
            separator=separator,
            infer_schema=False,
            row_index_name="source_row",
            row_index_offset=1,
            encoding="utf8",
        )
        columns = _columns(lf)
    except Exception as exc:
        raise IngestError(
            f"文件 {src} 不是可读取的 CSV 表格", f"file {src} is not a readable CSV table ({exc})", source=src
        ) from None
    if columns:
        # a record has a field that is not empty or blank; the row index is taken before, so numbers stay.
        # Reading every column also has Polars check every row's field count (a projection stops early)
        lf = lf.filter(pl.struct(columns).map_batches(_filled, return_dtype=pl.Boolean, is_elementwise=True))
    return Frame(src, lf, columns, encoding=enc)


def _filled(rows: pl.Series) -> pl.Series:
    """Per row of a struct: has a field that is not empty after stripping whitespace. A field that begins
    with a printable ASCII sign decides at once (codes, dates, amounts: nearly every row); only the other
    rows are stripped field by field (stripping every field took half the time of reading the CSV)."""
    df = rows.struct.unnest()
    keep = _ascii_first(df.to_series(0))
    rest = (~keep).arg_true()
    if len(rest) > len(keep) // 8:  # the first column is often not ASCII (a name): ask every column
        keep = df.select(pl.any_horizontal(_ascii_first(pl.col(c)) for c in df.columns)).to_series()
        rest = (~keep).arg_true()
    if len(rest):
        sub = df[rest]
        filled = (pl.col(c).str.strip_chars().str.len_bytes() > 0 for c in sub.columns)
        keep = keep.scatter(rest, sub.select(pl.any_horizontal(filled).fill_null(False)).to_series())
    return keep


def _ascii_first(values: _E) -> _E:
    """Begins with a printable ASCII sign other than a space (``!`` … ``~``): not blank."""
    return values.is_between(pl.lit("!"), pl.lit("~")).fill_null(False)


def explain_csv_error(source: str | Path, *, most: int = 5) -> IngestError | None:
    """Why Polars could not read a CSV file that :func:`read_frame` opened: the first bytes that are not in
    its encoding, or the first rows whose field count is not the header's (line, ``source_row``, counts).
    None when the file shows neither (or is no CSV file). Reads the whole file: for the error path only."""
    src = str(source)
    path = Path(src)
    if "://" in src or path.suffix.lower() not in (".csv", ".txt", ".tsv") or not path.is_file():
        return None
    enc, separator = _CSV_READ.get(src) or ("", "\t" if path.suffix.lower() == ".tsv" else ",")
    try:
        enc = enc or detect_encoding(path)
        with open(path, "rb") as f:
            dec = codecs.getincrementaldecoder(enc)()
            done = 0
            while chunk := f.read(_CHUNK):
                try:
                    dec.decode(chunk)
                except UnicodeDecodeError as exc:
                    return _decode_error(path, enc, done - len(dec.getstate()[0]) + exc.start)
                done += len(chunk)
            try:
                dec.decode(b"", final=True)
            except UnicodeDecodeError as exc:
                return _decode_error(path, enc, done - len(dec.getstate()[0]) + exc.start)
        return _ragged_rows(path, enc, separator, most)
    except (IngestError, OSError, csv.Error):
        return None


def _ragged_rows(path: Path, encoding: str, separator: str, most: int) -> IngestError | None:
    found: list[tuple[int, int, int]] = []  # (line, record, fields)
    n = total = 0
    with open(path, encoding=encoding, newline="") as f:
        reader = csv.reader(f, delimiter=separator)
        header = next(reader, None)
        if header is None:
            return None
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]
        width = len(header)
        line = reader.line_num
        for row in reader:
            n += 1
            first, line = line + 1, reader.line_num
            if row and len(row) != width:
                total += 1
                if len(found) < most:
                    found.append((first, n, len(row)))
    if not found:
        return None
    zh = "；".join(
        f"第 {ln} 行（第 {rec} 条记录）字段数{'多' if k > width else '少'}于表头（{k} 个，表头 {width} 个）"
        for ln, rec, k in found
    )
    en = "; ".join(
        f"line {ln} (record {rec}) has {'more' if k > width else 'fewer'} fields than the header ({k}, header {width})"
        for ln, rec, k in found
    )
    more_zh = f"等，共 {total} 行" if total > len(found) else ""
    more_en = f", {total} rows in all" if total > len(found) else ""
    return IngestError(
        f"文件 {path} 的行与表头不符：{zh}{more_zh}；未读取此文件。请检查这些行是否含未加引号的逗号或缺少字段",
        f"file {path}: rows do not match the header: {en}{more_en}; the file was not read. Check these rows "
        f"for an unquoted separator or a missing field",
        source=str(path),
    )


def _cell_text(value: object) -> str | None:
    """A typed cell as the text a CSV export would hold."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, float):
        # a number cell holds a double; its shortest round-trip text is the decimal Excel shows
        return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
    return str(value)


def _cell_error(sheet: str, column: int, row: int, kind: str, value: object) -> tuple[str, str]:
    from openpyxl.utils import get_column_letter

    cell = f"{sheet}!{get_column_letter(column)}{row}"
    if kind == "f":
        return (
            f"单元格 {cell} 是公式（{value}），未读取其值；请在 Excel 中粘贴为数值后重新导出",
            f"cell {cell} holds a formula ({value}); its value was not read: paste as values and export again",
        )
    return f"单元格 {cell} 为错误值 {value}", f"cell {cell} holds the error value {value}"


def _read_xlsx(path: Path, sheet: str | None) -> Frame:
    import openpyxl

    src = str(path)
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    except Exception as exc:
        raise IngestError(
            f"文件 {src} 不是可读取的 Excel 表格（.xlsx）",
            f"file {src} is not a readable Excel workbook ({type(exc).__name__}: {exc})",
            source=src,
        ) from None
    try:
        if sheet is not None and sheet not in wb.sheetnames:
            raise IngestError(
                f"文件 {src} 中没有工作表“{sheet}”；现有：{'、'.join(wb.sheetnames)}",
                f"file {src} has no sheet {sheet!r}; sheets: {', '.join(wb.sheetnames)}",
                source=src,
            )
        ws = wb[sheet] if sheet is not None else wb.worksheets[0]
        title = ws.title
        epoch = wb.epoch.date() if isinstance(wb.epoch, datetime) else wb.epoch
        header: dict[int, str] = {}  # column number → header text
        header_row = 0
        data: dict[int, list[str | None]] = {}  # column number → values
        rows: list[int] = []
        errors: dict[int, dict[int, tuple[str, str]]] = {}
        try:
            for cells in ws.iter_rows():
                if not header:
                    header = {c.column: str(c.value).strip() for c in cells if c.value is not None and str(c.value).strip()}
                    header_row = next((c.row for c in cells if c.value is not None), 0)
                    data = {col: [] for col in header}
                    continue
                row = 0
                values: dict[int, str | None] = {}
                for c in cells:
                    v = c.value
                    if v is None or c.column not in header:  # empty cells carry no row or column
                        continue
                    row = c.row
                    kind = c.data_type
                    if kind == "f" or kind == "e":
                        errors.setdefault(c.column, {})[row - header_row] = _cell_error(title, c.column, row, kind, v)
                        continue
                    values[c.column] = v if type(v) is str else _cell_text(v)
                if not row:
                    continue  # an empty row
                rows.append(row - header_row)
                for col in header:
                    data[col].append(values.get(col))
        except IngestError:
            raise
        except Exception as exc:
            raise IngestError(
                f"文件 {src} 的工作表“{title}”无法读取", f"sheet {title!r} of {src} cannot be read ({exc})", source=src
            ) from None
    finally:
        wb.close()
    names = _unique_names(header)
    frame = pl.DataFrame(
        {"source_row": pl.Series(rows, dtype=pl.UInt32), **{names[col]: pl.Series(data[col], dtype=pl.String) for col in header}}
    )
    cell_errors = {names[col]: e for col, e in errors.items()}
    return Frame(src, frame.lazy(), list(names.values()), excel_epoch=epoch, cell_errors=cell_errors)


def _unique_names(header: dict[int, str]) -> dict[int, str]:
    """Column number → a unique name; a repeated header gets Polars' ``_duplicated_N`` suffix (as in CSV)."""
    out: dict[int, str] = {}
    seen: dict[str, int] = {}
    for col, h in header.items():
        n = seen.get(h, 0)
        out[col] = h if n == 0 else f"{h}_duplicated_{n - 1}"
        seen[h] = n + 1
    return out


def _read_database(url: str, *, table: str, query: str | None) -> Frame:
    from sqlalchemy import create_engine, inspect

    label = f"{redact(url)} [{query or table}]"
    try:
        engine = create_engine(url)
    except Exception as exc:
        raise IngestError(f"无法连接数据库 {redact(url)}", f"cannot open database {redact(url)} ({exc})") from None
    try:
        if query is None:
            if not inspect(engine).has_table(table):
                raise IngestError(
                    f"数据库 {redact(url)} 中没有表“{table}”", f"database has no table {table!r}", source=label
                )
            query = f'SELECT * FROM "{table}"'
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
    return Frame(label, df.lazy(), [c for c in df.columns if c != "source_row"])


def redact(url: str) -> str:
    """Hide a password in a URL before it goes into a message."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]

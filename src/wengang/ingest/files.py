"""Read a file (or a database table) into a frame of the values as they came, with ``source_row``.

Formats: Parquet (file or folder, lazy), CSV/TSV in UTF-8, GBK or GB18030 (lazy; a GBK/GB18030 file is
transcoded to UTF-8 once, in chunks, because Polars reads only UTF-8), XLSX with openpyxl, and any
database SQLAlchemy can reach. CSV and XLSX values are text; nothing is parsed here.

CSV:

* the encoding, when ``--encoding`` does not say it, is decided from the first MiB — or from the whole file
  when that MiB is all ASCII (English headers, codes and numbers first, Chinese names later). Text that
  decodes as UTF-8 only into Greek, Cyrillic and the like and also as GBK is GBK (``伟业农园`` in GBK is valid
  UTF-8 ``ΰҵũ԰``). An explicit ``--encoding`` is authoritative;
* a file of more than one encoding (a UTF-8 export and a GBK one joined) is refused naming the first line that is
  not in the encoding the rest was read in, never read as mojibake: UTF-8 text (any character past U+07FF, which
  GBK text practically never decodes to) before the first byte that is not UTF-8, or, in a file detected as GBK or
  GB18030, a line that is UTF-8 with two Chinese characters in a row (GBK text that is valid UTF-8 for a whole line
  with Chinese characters in it is practically impossible);
* ``source_row`` is the data record number (the header not counted, a blank line counted);
  :attr:`Frame.header_row` is the line the header is on (1, or past the empty lines Polars skips before it, or
  the line ``header_row`` names: the lines above it are not read), so record N is line N + ``header_row`` of
  the file when no quoted value spans lines (screening numbers its rows so: ``screening.ingest.bind``). A row
  whose every field is empty or blank (an empty line, ``,,,,,,``) is not a record and is skipped, as XLSX
  empty rows are: it is in neither ``rows_in`` nor the quarantine, and its number is not reused;
* a row with more fields than the header makes Polars fail while the file is read; :func:`explain_csv_error`
  then names the file, the first such lines and records (found with the ``csv`` module, on that error path
  only), as it does for a file declared or detected as UTF-8 that is not, and for a quote that is never closed
  or is followed by more text. A row with fewer fields (``code,name`` under a header of four) is refused the
  same way, never read as if its missing fields were empty: Polars pads it with nulls and cannot tell them from
  empty fields, so when the read (the pass that skips blank rows, :func:`_filled`) meets a row with a value
  whose last field is empty or missing, the file is read once with the ``csv`` module (:class:`_ShortRows`) and
  a row with fewer fields makes the read fail as a longer one does. A file whose last column is always filled
  needs no such read. A row of fewer fields that are all empty or blank is a blank row, skipped. Screening
  (``pipeline.run_screening``) turns such a Polars error into this :class:`IngestError`, whichever step met it
  (:func:`named_read_errors`); so do the other readers of these files.

XLSX is read cell by cell with openpyxl (30–50 µs a row: 100,000 rows in 3–5 s), so each cell's type is known:

* a **formula** cell is never read — neither its formula text nor the value Excel (or the program that
  wrote the file) cached for it, which may be stale or a placeholder 0. It is a cell error naming the
  sheet and cell (``缴费!D7``): screening quarantines that row, a single case is refused. Formulas in
  columns that map to no field do not matter. Agencies should paste values before exporting;
* an **error** cell (``#N/A``, ``#DIV/0!``) is a cell error too;
* a date cell becomes ``YYYY-MM-DD`` (with the time if it has one), a number the text Excel shows — a fraction
  to 15 significant digits (``577.4399999999999``, what ``=192.48*3`` leaves, reads ``577.44``) — a boolean
  ``true``/``false``. A number cell of 16 digits or more (``6222000000000000``, ``6.22202123456789e+18``) is a
  cell error: Excel keeps 15 significant digits, so it is an account or ID number whose last digits are lost
  (``wengang.ingest.values.number_cell_text``);
* the header is the first non-empty row of the sheet (the first sheet unless ``sheet`` names one), or the row
  ``header_row`` names (the rows above it are not read); ``source_row`` is the Excel row number minus the
  header's (:attr:`Frame.header_row`), so record N is Excel row N + ``header_row``. Empty rows are skipped;
* the workbook's date system (1900 or 1904) is kept, so a bare serial day number in a date column reads
  as Excel would show it;
* a cell inside **merged cells** other than their first (top left) is a cell error too: Excel shows the first
  cell's value across the range, but the other cells hold nothing, and reading them as empty would give those
  rows a value they were not meant to have (or none).
"""

from __future__ import annotations

import atexit
import codecs
import csv
import functools
import io
import itertools
import os
import re
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from wengang.ingest import IngestError
from wengang.ingest.values import ValueProblem

ENCODINGS = ("utf-8", "gbk", "gb18030")
_SNIFF_BYTES = 1 << 20
_CHUNK = 1 << 22
# decoded as UTF-8, GBK text gives two-byte characters (U+0100–U+07FF: Greek, Cyrillic, Armenian …) and
# hardly ever a three-byte one (CJK is U+4E00–U+9FFF); Latin-1 signs (·, é) are plausible in a UTF-8 export
_WIDE = re.compile("[\u0800-\U0010ffff]")
_MID = re.compile("[\u0100-\u07ff]")
# two CJK characters (U+4E00–U+9FFF) in a row as UTF-8 bytes (a two-character name): a UTF-8 line in a GBK file
_UTF8_HAN = re.compile(rb"[\xe4-\xe9][\x80-\xbf][\x80-\xbf]" * 2)
_HINT_ZH = "如文件为 GBK 编码，请加 --encoding gbk"
_HINT_EN = "if it is GBK, pass --encoding gbk"
# CSV files read in this process: path as given → (encoding, separator, lines before the header), for
# explain_csv_error
_CSV_READ: dict[str, tuple[str, str, int]] = {}
_E = TypeVar("_E", pl.Series, pl.Expr)
# what Polars' str.strip_chars() strips (Unicode White_Space, as Rust's char::is_whitespace): a field of only
# these is blank, as _filled reads it (Python's str.strip() strips \x1c–\x1f too)
_WHITESPACE = "\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"


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
    kind: str = ""  # "csv", "xlsx", "parquet" or "database"
    # CSV and XLSX: the line (row) of the file the header is on; data record N is the file's line (Excel row)
    # N + header_row (CSV: when no quoted value spans lines). 0 for Parquet and databases (no header row)
    header_row: int = 0
    sheet: str | None = None  # XLSX: the sheet read
    sheets: list[str] = field(default_factory=list)  # XLSX: every sheet of the workbook, in its order
    # source_row → (zh, en): a record that must not be read whatever column it is in (a CSV's last line cut off); its
    # reason is also a cell error of the file's last column, the field the cut fell in (bind moves it to the key
    # column when that column maps to no field)
    row_errors: dict[int, tuple[str, str]] = field(default_factory=dict)
    # what the reader tells the user about the file (the sheet read, hidden rows …), Chinese / English
    notes: list[str] = field(default_factory=list)

    def file_row(self, source_row: int) -> int:
        """The row the user sees in the file: the line of a CSV file, the Excel row number of a sheet; a
        Parquet file's or a database table's record number."""
        return source_row + self.header_row


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
    bad: dict[str, int] = {}  # encoding → the first byte it cannot decode
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(head, final=final)
        if not _looks_like_gbk(text) or _decodes(head, "gbk", final) is not None:
            return "utf-8"
    except UnicodeDecodeError as exc:
        # UTF-8 text, then bytes that are not: two encodings
        if _WIDE.search(head[: exc.start].decode("utf-8")):
            raise _decode_error(path, "utf-8", exc.start) from None
        bad["utf-8"] = exc.start
    for enc in ENCODINGS[1:]:
        err = _decodes(head, enc, final)
        if err is None:
            return enc
        bad[enc] = err.start
    raise _not_text(path, bad)


def _looks_like_gbk(text: str) -> bool:
    return not text.isascii() and _WIDE.search(text) is None and _MID.search(text) is not None


def _decodes(data: bytes, encoding: str, final: bool = True) -> UnicodeDecodeError | None:
    try:
        codecs.getincrementaldecoder(encoding)().decode(data, final=final)
    except UnicodeDecodeError as exc:
        return exc
    return None


def _not_text(path: str | Path, bad: dict[str, int]) -> IngestError:
    """No encoding decodes the file: where each one stops (``bad``: encoding → first byte it cannot decode)."""
    lines = {enc: _where(Path(path), at, enc)[0] for enc, at in bad.items()}
    zh = "，".join(f"按 {enc.upper()} 第 {line} 行无法读取" for enc, line in lines.items())
    en = ", ".join(f"as {enc.upper()} line {line} cannot be read" for enc, line in lines.items())
    return IngestError(
        f"文件 {path} 不是 UTF-8、GBK 或 GB18030 编码的文本（{zh}）",
        f"file {path} is not UTF-8, GBK or GB18030 text ({en})",
        source=str(path),
    )


def _whole_file_encoding(f: io.BufferedReader, path: str | Path) -> str:
    """The first MiB (already read from ``f``) is ASCII: the rest decides. One incremental UTF-8 decode
    (about 1 s a GB); a file that is not UTF-8 is decoded once more as GBK, then GB18030, before transcoding."""
    dec = codecs.getincrementaldecoder("utf-8")()
    wide = mid = False
    done = f.tell()  # bytes of the file before the current chunk
    pending = 0  # bytes of a character the decoder holds from the chunk before
    bad: dict[str, int] = {}
    try:
        while chunk := f.read(_CHUNK):
            if chunk.isascii() and not dec.getstate()[0]:
                done += len(chunk)
                continue
            pending = len(dec.getstate()[0])
            text = dec.decode(chunk)
            done += len(chunk)
            if not wide:  # once a CJK character is seen the rest only has to decode
                wide = _WIDE.search(text) is not None
                mid = mid or _MID.search(text) is not None
        pending = len(dec.getstate()[0])
        dec.decode(b"", final=True)
        utf8 = True
    except UnicodeDecodeError as exc:
        utf8 = False
        bad["utf-8"] = at = done - pending + exc.start
        if wide or _WIDE.search(exc.object[: exc.start].decode("utf-8", "ignore")):
            raise _decode_error(path, "utf-8", at) from None  # UTF-8 text, then bytes that are not
    if utf8 and (wide or not mid):
        return "utf-8"
    for enc in ENCODINGS[1:]:
        stop = _undecodable(f, enc)
        if stop is None:
            return enc
        bad[enc] = stop
    if utf8:
        return "utf-8"  # it reads as no Chinese, but as nothing else either
    raise _not_text(path, bad)


def _undecodable(f: io.BufferedReader, encoding: str) -> int | None:
    """The first byte of the file ``f`` that ``encoding`` cannot decode, or None (read from its start in chunks)."""
    dec = codecs.getincrementaldecoder(encoding)()
    f.seek(0)
    done = pending = 0
    try:
        while chunk := f.read(_CHUNK):
            pending = len(dec.getstate()[0])
            dec.decode(chunk)
            done += len(chunk)
        pending = len(dec.getstate()[0])
        dec.decode(b"", final=True)
    except UnicodeDecodeError as exc:  # exc.object is the held bytes and the chunk
        return done - pending + exc.start
    return None


def transcode_to_utf8(path: Path, encoding: str, *, detected: bool = False) -> Path:
    """Write a UTF-8 copy of ``path`` in chunks (bounded memory); return its path. ``detected`` (the encoding was
    not declared): a line that is UTF-8 Chinese text is refused, not transcoded into mojibake."""
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="wengang-utf8-")
    dec = codecs.getincrementaldecoder(encoding)()
    done = 0  # bytes of the file before the current chunk
    tail = b""  # the end of the chunk before: a UTF-8 run cut by the chunk's edge is seen whole
    try:
        with open(path, "rb") as src, os.fdopen(fd, "wb") as dst:
            while chunk := src.read(_CHUNK):
                if detected:
                    at = None if chunk.isascii() else _utf8_line(tail + chunk)
                    if at is not None:
                        raise _mixed_error(path, encoding, done - len(tail) + at)
                    tail = chunk[-8:]
                dst.write(dec.decode(chunk).encode("utf-8"))
                done += len(chunk)
            dst.write(dec.decode(b"", final=True).encode("utf-8"))
    except UnicodeDecodeError as exc:
        os.unlink(tmp)
        at = done - len(dec.getstate()[0]) + exc.start if exc.object is not chunk else done + exc.start
        raise _decode_error(path, encoding, at) from None
    except IngestError:
        os.unlink(tmp)
        raise
    return Path(tmp)


def _utf8_line(data: bytes) -> int | None:
    """The first run of two UTF-8 Chinese characters in ``data`` whose line (as far as ``data`` holds it) is
    valid UTF-8, or None. GBK text has such byte runs now and then, but not on a line that is UTF-8 throughout."""
    for m in _UTF8_HAN.finditer(data):
        start = data.rfind(b"\n", 0, m.start()) + 1
        end = data.find(b"\n", m.end())
        line = data[start : len(data) if end < 0 else end]
        if start == 0:  # the line may begin before ``data``: not inside a character
            line = line.lstrip(bytes(range(0x80, 0xC0)))
        try:
            codecs.getincrementaldecoder("utf-8")().decode(line, final=end >= 0)
        except UnicodeDecodeError:
            continue
        return m.start()
    return None


def _mixed_error(path: Path | str, encoding: str, at: int) -> IngestError:
    """A file read as GBK or GB18030 has UTF-8 Chinese text at byte ``at``."""
    line, record, _ = _where(Path(path), at, encoding)
    return IngestError(
        f"文件 {path} 第 {line} 行（第 {record} 条记录，第 {at + 1} 字节）是 UTF-8 编码的中文，而此前的内容是 {encoding} "
        f"编码：文件可能由不同编码的导出拼接而成，未读取此文件；请将整个文件以同一种编码重新导出",
        f"file {path} has UTF-8 Chinese text at line {line} (record {record}, byte {at + 1}) while what comes "
        f"before is {encoding}: it may be exports in two encodings joined; the file was not read. Export the "
        f"whole file in one encoding",
        source=str(path),
    )


def _decode_error(path: Path | str, encoding: str, at: int) -> IngestError:
    """The file cannot be decoded as ``encoding`` at byte ``at``: name the line and record, and hint."""
    line, record, wide = _where(Path(path), at, encoding)
    where_zh = f"第 {line} 行（第 {record} 条记录，第 {at + 1} 字节）"
    where_en = f"line {line} (record {record}, byte {at + 1})"
    if encoding == "utf-8" and wide:  # UTF-8 text before it: not a GBK file read as UTF-8, but two encodings
        return IngestError(
            f"文件 {path} {where_zh}不是 UTF-8 编码，而此前已有 UTF-8 编码的中文或符号：文件可能由不同编码的导出拼接而成或已"
            f"损坏，未读取此文件；请将整个文件以同一种编码重新导出（{_HINT_ZH}）",
            f"file {path} is not UTF-8 at {where_en}, but has UTF-8 text before it: it may be exports in two "
            f"encodings joined, or damaged; the file was not read. Export the whole file in one encoding ({_HINT_EN})",
            source=str(path),
        )
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


def _where(path: Path, at: int, encoding: str) -> tuple[int, int, bool]:
    """Line (1-based) of byte ``at``, its record number as ``source_row`` counts (header not counted), and
    (UTF-8 only) whether text past U+07FF comes before it. Reads the lines before it one by one (the error path
    only); a line is split as the csv module splits it (at ``\r`` too)."""
    line = 1
    wide = False
    utf8 = encoding == "utf-8"

    def before() -> Iterator[str]:
        nonlocal line, wide
        done = 0
        with open(path, "rb") as f:
            for raw in f:
                if done + len(raw) > at:  # the line of byte ``at``
                    wide = wide or (utf8 and _wide_utf8(raw[: at - done]))
                    return
                done += len(raw)
                line += 1
                wide = wide or (utf8 and _wide_utf8(raw))
                yield from io.StringIO(raw.decode(encoding, errors="replace"), newline="")

    records = sum(1 for _ in csv.reader(before()))
    return line, max(records, 1), wide


def _wide_utf8(data: bytes) -> bool:
    return not data.isascii() and _WIDE.search(data.decode("utf-8", "ignore")) is not None


def read_frame(
    source: str | Path,
    *,
    encoding: str | None = None,
    sheet: str | None = None,
    table: str | None = None,
    query: str | None = None,
    default_table: str = "",
    header_row: int | None = None,
) -> Frame:
    """Read one table from a file path or a SQLAlchemy URL (``table``/``query``, default ``default_table``).
    ``header_row`` (CSV, XLSX): the line (Excel row) the header is on; the lines above it are not read. By
    default the header is the first line that is not empty."""
    src = str(source)
    if header_row is not None and ("://" in src or is_parquet(src)):
        raise IngestError(
            f"表头所在行只能为 CSV 或 Excel 表格指定：{redact(src)} 没有表头行",
            f"a header row applies to CSV and Excel files only: {redact(src)} has none",
            source=redact(src),
        )
    if header_row is not None and header_row < 1:
        raise IngestError(f"表头所在行应为正整数：{header_row}", f"a header row is a positive number: {header_row}")
    if "://" in src:
        return _read_database(src, table=table or default_table, query=query)
    path = Path(src)
    if not path.exists():
        raise IngestError(f"找不到文件 {src}", f"file not found: {src}", source=src)
    suffix = path.suffix.lower()
    if is_parquet(src):
        return _read_parquet(path)
    if suffix in (".csv", ".txt", ".tsv"):
        return _read_csv(path, encoding, separator="\t" if suffix == ".tsv" else ",", header_row=header_row)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path, sheet, header_row)
    if suffix == ".xls":
        bad = _not_a_table(path)
        if bad is not None:
            raise bad
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
    """A source read as Parquet: a ``.parquet``/``.pq`` file or a folder of them (not a database URL). A folder is
    read whole or refused (:func:`parquet_parts`)."""
    src = str(source)
    path = Path(src)
    return "://" not in src and (path.is_dir() or path.suffix.lower() in (".parquet", ".pq"))


_PARQUET_MAGIC = b"PAR1"
_TABLE_SUFFIXES = {".csv": "CSV", ".txt": "文本", ".tsv": "TSV", ".xlsx": "Excel", ".xlsm": "Excel", ".xls": "Excel",
                   ".json": "JSON", ".zip": "压缩", ".gz": "压缩"}  # fmt: skip


def _is_parquet_file(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(4) == _PARQUET_MAGIC
    except OSError:
        return False


def parquet_parts(folder: Path) -> list[Path]:
    """The Parquet part files of a table folder, in name order — the folder read whole or refused, never a file of
    it skipped unsaid (outside audit, session 40: a 失信名单.csv, a ``dishonest.pq`` or a ``list_type=…/`` subfolder
    beside the parts was dropped and a 严重失信 unit paid). Read: ``*.parquet`` and ``*.pq`` files, and files without
    a suffix that are Parquet (``000000_0`` as Hive writes them). Ignored, as Spark ignores them: names beginning with
    ``.`` or ``_`` (``_SUCCESS``, ``_committed_…``, ``_metadata``, ``.part-….crc``). Refused, naming it: any other
    file (a CSV, a workbook …), a subfolder (Hive-style ``key=value`` partitions keep a column's value in the folder
    name only), an unfinished Spark write (``_temporary``) and a Delta table (``_delta_log``)."""
    src = str(folder)
    parts: list[Path] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        name = entry.name
        if entry.is_dir():
            if name in ("_temporary", "_delta_log"):
                what = (("未完成的写出（Spark 的 _temporary 文件夹）", "an unfinished write (Spark's _temporary folder)")
                        if name == "_temporary" else ("Delta 表的日志（_delta_log）", "a Delta table's log (_delta_log)"))  # fmt: skip
                raise IngestError(
                    f"Parquet 表格文件夹 {src} 中有{what[0]}：其中的部分文件不能直接作为一张表读取，未读取此文件夹；请导出为"
                    f"一个 Parquet 文件或只含 Parquet 部分文件的文件夹",
                    f"the Parquet table folder {src} holds {what[1]}: its part files cannot be read as one table; the "
                    f"folder was not read. Export one Parquet file, or a folder of Parquet part files only",
                    source=src,
                )
            if name.startswith((".", "_")):
                continue
            hive = "=" in name
            raise IngestError(
                f"Parquet 表格文件夹 {src} 中有子文件夹 {name}"
                + ("（按字段分区的 Hive 式文件夹，字段取值只在文件夹名中）" if hive else "")
                + "：子文件夹不读取，而跳过它会漏读数据，故未读取此文件夹；请把所有部分文件（含分区字段的列）放在同一文件夹中，"
                "或导出为一个 Parquet 文件",
                f"the Parquet table folder {src} has a subfolder {name}"
                + (" (a Hive-style partition: a column's value is in the folder name only)" if hive else "")
                + ": subfolders are not read and skipping it would drop rows, so the folder was not read; put every "
                "part file (with the partition column in it) in one folder, or export one Parquet file",
                source=src,
            )
        if name.startswith((".", "_")):
            continue  # Spark's and Hadoop's markers and checksums: _SUCCESS, _committed_…, .part-….crc
        suffix = entry.suffix.lower()
        if suffix in (".parquet", ".pq") or (not suffix and _is_parquet_file(entry)):
            parts.append(entry)
            continue
        kind = _TABLE_SUFFIXES.get(suffix)
        kind_zh = f"（{kind} 文件）" if kind else ("（Parquet 文件，但文件名不以 .parquet 结尾）" if _is_parquet_file(entry) else "")
        raise IngestError(
            f"Parquet 表格文件夹 {src} 中有不是 Parquet 部分文件的文件 {name}{kind_zh}：文件夹作为一张表读取时须整体读取，"
            f"未读取此文件夹；请将该文件移出（如为同一张表的数据，请转为 Parquet 或单独给出），文件夹中只放 .parquet 部分文件",
            f"the Parquet table folder {src} holds {name}, which is not a Parquet part file: a folder given as a table "
            f"is read whole, so the folder was not read. Move the file out (if it holds rows of this table, convert "
            f"it to Parquet or give it on its own); keep only .parquet part files in the folder",
            source=src,
        )
    if not parts:
        raise IngestError(
            f"文件夹 {src} 不是可读取的 Parquet 表格：其中没有 Parquet 部分文件（.parquet）",
            f"the folder {src} is not a readable Parquet table: it has no Parquet part file (.parquet)",
            source=src,
        )
    return parts


def _columns(lf: pl.LazyFrame) -> list[str]:
    return [c for c in lf.collect_schema().names() if c != "source_row"]


def _part_schemas(src: str, parts: list[Path]) -> None:
    """Parts of one folder whose column types differ: refused naming the part and the column (footers only)."""
    first = pl.read_parquet_schema(parts[0])
    for part in parts[1:]:
        schema = pl.read_parquet_schema(part)
        for col, dtype in schema.items():
            if col in first and first[col] != dtype:
                raise IngestError(
                    f"Parquet 表格文件夹 {src} 中部分文件 {part.name} 的列“{col}”类型为 {dtype}，而 {parts[0].name} 中为 "
                    f"{first[col]}：各部分文件的同名列类型应相同，未读取此文件夹；请以同一类型重新导出",
                    f"in the Parquet table folder {src} column {col!r} of part {part.name} is {dtype} but {first[col]} in "
                    f"{parts[0].name}: the parts' columns must have the same types; the folder was not read",
                    source=src,
                )


def _read_parquet(path: Path) -> Frame:
    src = str(path)
    notes: list[str] = []
    if path.is_dir():
        if any(e.is_file() and e.suffix.lower() in (".csv", ".txt", ".tsv", ".xlsx") for e in path.iterdir()) and not any(
            e.is_file() and e.suffix.lower() in (".parquet", ".pq") for e in path.iterdir()
        ):
            names = "、".join(sorted(e.name for e in path.iterdir() if e.is_file())[:5])
            raise IngestError(
                f"文件夹 {src} 中是 CSV 或 Excel 文件（{names}），不是 Parquet 部分文件：文件夹只能是一张 Parquet 表格的各部分；"
                f"CSV 或 Excel 表格请逐个文件给出（如 {src}/{names.split('、')[0]}）",
                f"the folder {src} holds CSV or Excel files ({names.replace('、', ', ')}), not Parquet part files: a "
                f"folder can only be the parts of one Parquet table; give a CSV or Excel table as one file",
                source=src,
            )
        parts = parquet_parts(path)
        target: Any = [str(p) for p in parts]
    else:
        parts = [path]
        target = src
    try:
        if len(parts) > 1:
            _part_schemas(src, parts)
        lf = pl.scan_parquet(target, row_index_name="source_row", row_index_offset=1)
        columns = _columns(lf)
        # a dictionary-encoded column (pandas' category, Arrow's dictionary: Polars' Categorical or Enum) holds text:
        # read as text, whatever its field, before any check looks at it (outside bad-input audit, session 42: a
        # categorical credit_code failed the whole run with "expected String, got cat")
        coded = [c for c, t in lf.collect_schema().items() if isinstance(t, (pl.Categorical, pl.Enum))]
        if coded:
            lf = lf.with_columns(pl.col(coded).cast(pl.String))
    except IngestError:
        raise
    except Exception as exc:  # polars raises several types for a non-Parquet file
        raise IngestError(
            f"文件 {src} 不是可读取的 Parquet 表格（{type(exc).__name__}）",
            f"file {src} is not a readable Parquet table ({type(exc).__name__}: {exc})",
            source=src,
        ) from None
    if len(parts) > 1:
        # a record's number counts across the parts in name order (outside audit, session 40)
        spans_zh, spans_en, start = [], [], 1
        for part in parts:
            n = pl.scan_parquet(part).select(pl.len()).collect().item()  # from the footer
            if n:
                span = f"{start}" if n == 1 else f"{start}–{start + n - 1}"
                spans_zh.append(f"{part.name} 为第 {span} 条")
                spans_en.append(f"{part.name} is record{'s' if n > 1 else ''} {span}")
            start += n
        notes.append(
            f"Parquet 表格文件夹 {src} 由 {len(parts)} 个部分文件组成，记录号按文件名顺序跨部分连续计数：{'；'.join(spans_zh)} / "
            f"the Parquet table folder {src} has {len(parts)} part files; record numbers count across them in name "
            f"order: {'; '.join(spans_en)}"
        )
    return Frame(src, lf, columns, kind="parquet", notes=notes)


def _leading_empty_lines(path: Path) -> int:
    """How many empty lines (``\n``, ``\r\n``; after a UTF-8 BOM) a UTF-8 file begins with: Polars skips them
    and reads the next line as the header."""
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    if head.startswith(codecs.BOM_UTF8):
        head = head[len(codecs.BOM_UTF8) :]
    n = 0
    while True:
        if head.startswith(b"\n"):
            head, n = head[1:], n + 1
        elif head.startswith(b"\r\n"):
            head, n = head[2:], n + 1
        else:
            return n


def _line_at(path: Path, line: int) -> str | None:
    """Line ``line`` (1-based) of a UTF-8 text file, without its line break; None past the end."""
    with open(path, encoding="utf-8", errors="replace", newline="") as f:
        for i, text in enumerate(f, start=1):
            if i == line:
                return text.rstrip("\r\n")
    return None


def _not_a_table(path: Path) -> IngestError | None:
    """A file named as a CSV or a workbook that is an HTML page (what some systems' "导出 Excel" saves), or a ZIP
    (an .xlsx workbook, or an archive) named .csv: said so, not read as a table of one odd column."""
    src = str(path)
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return None
    text = head.lstrip(codecs.BOM_UTF8).lstrip().lower()
    if text.startswith((b"<!doctype html", b"<html", b"<table", b"<?xml")) or (
        text.startswith(b"<") and (b"<html" in text or b"<table" in text or b"<body" in text)
    ):
        return IngestError(
            f"文件 {src} 是网页（HTML），不是表格：系统导出的“Excel”有时实为网页；请在 Excel 中打开后另存为 CSV（UTF-8）"
            f"或 Excel 工作簿（.xlsx）再读取",
            f"file {src} is a web page (HTML), not a table (some systems' \"Excel\" export is one): open it in Excel "
            f"and save it as CSV (UTF-8) or an Excel workbook (.xlsx)",
            source=src,
        )
    if head.startswith(b"PK\x03\x04") and path.suffix.lower() in (".csv", ".txt", ".tsv"):
        return IngestError(
            f"文件 {src} 的扩展名是 {path.suffix}，但内容是 Excel 工作簿（.xlsx）或 ZIP 压缩文件，不是 CSV 文本：如是工作簿，"
            f"请改用 .xlsx 扩展名；如是压缩文件，请先解压",
            f"file {src} is named {path.suffix} but is an Excel workbook (.xlsx) or a ZIP archive, not CSV text: "
            f"name a workbook .xlsx, unpack an archive",
            source=src,
        )
    return None


# CSV files read through a copy (UTF-16 decoded, old-Mac line ends converted): path as given → the copy read
_CSV_COPY: dict[str, Path] = {}


def _utf8_copy(path: Path, convert: Callable[[bytes], bytes], encoding: str = "utf-8") -> Path:
    """A UTF-8 copy of ``path`` (decoded from ``encoding``) with ``convert`` applied to its bytes; removed at exit."""
    fd, tmp = tempfile.mkstemp(suffix=".csv", prefix="wengang-copy-")
    with os.fdopen(fd, "wb") as dst:
        data = path.read_bytes()
        if encoding != "utf-8":
            data = data.decode(encoding).encode("utf-8")
        dst.write(convert(data))
    atexit.register(Path(tmp).unlink, missing_ok=True)
    return Path(tmp)


def _first_line(path: Path, encoding: str) -> str:
    """The first line that is not empty (the header, as Polars finds it), decoded as ``encoding``."""
    with open(path, encoding=encoding, errors="replace", newline="") as f:
        for text in itertools.islice(f, 50):
            text = text.lstrip("\ufeff").rstrip("\r\n")
            if text.strip():
                return text
    return ""


def _read_csv(path: Path, encoding: str | None, separator: str = ",", header_row: int | None = None) -> Frame:
    src = str(path)
    bad = _not_a_table(path)
    if bad is not None:
        raise bad
    notes: list[str] = []
    with open(path, "rb") as f:
        head = f.read(_SNIFF_BYTES)
    sample = head[:4096]
    utf16 = "utf-16" if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else None
    if utf16 is None and sample.count(b"\x00") * 4 > len(sample):
        # no byte-order mark: the zero bytes of the ASCII characters (separators, line ends, digits) tell the order
        odd, even = sample[1::2].count(b"\x00"), sample[0::2].count(b"\x00")
        utf16 = "utf-16-le" if odd > 2 * even else "utf-16-be" if even > 2 * odd else None
    if utf16 is not None:
        # Excel's "Unicode 文本" (UTF-16, tab-separated): decoded exactly (outside audit, session 40)
        try:
            path = _utf8_copy(path, lambda b: b, utf16)
        except UnicodeDecodeError as exc:
            raise IngestError(
                f"文件 {src} 是 UTF-16 编码（Excel 的“Unicode 文本”），但第 {exc.start + 1} 字节处无法按 UTF-16 读取；"
                f"请在 Excel 中另存为“CSV UTF-8（逗号分隔）”",
                f"file {src} is UTF-16 (Excel's Unicode Text) but cannot be decoded at byte {exc.start + 1}; save it "
                f"from Excel as CSV UTF-8",
                source=src,
            ) from None
        _CSV_COPY[src] = path
        encoding = "utf-8"
        notes.append(f"文件 {src} 为 UTF-16 编码（Excel 的“Unicode 文本”），已按 UTF-16 读取 / file {src} is UTF-16 "
                     "(Excel's Unicode Text) and was read as such")
        with open(path, "rb") as f:
            head = f.read(_SNIFF_BYTES)
    elif sample.count(b"\x00") * 4 > len(sample):
        raise IngestError(
            f"文件 {src} 像是没有字节序标记的 UTF-16 编码文本（每隔一个字节为 0），无法确定读法；请在 Excel 中另存为"
            f"“CSV UTF-8（逗号分隔）”",
            f"file {src} looks like UTF-16 text without a byte-order mark (every other byte is 0); save it from Excel "
            f"as CSV UTF-8",
            source=src,
        )
    if b"\r" in head and b"\n" not in head:
        # old-Mac line ends (CR alone): read with its lines ended by LF, one line each as before (outside audit, s40)
        path = _utf8_copy(path, lambda b: b.replace(b"\r", b"\n"))
        _CSV_COPY[src] = path
        notes.append(f"文件 {src} 的换行符是旧式 Mac 的 CR（\\r），已按每个 CR 为一行读取 / file {src} ends its lines "
                     "with CR alone (old Mac); each CR was read as a line end")
    if _CSV_COPY.get(src) is not None and _CSV_COPY[src] != path:
        _CSV_COPY.pop(src)
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
        target = transcode_to_utf8(path, enc, detected=not encoding)
        atexit.register(target.unlink, missing_ok=True)  # the lazy scan reads it until then
    if header_row is None:
        skip = _leading_empty_lines(target)  # Polars skips them: the header is the next line
    else:
        text = _line_at(target, header_row)
        if text is None or not text.lstrip("\ufeff").strip(_WHITESPACE + separator):
            raise IngestError(
                f"文件 {src} 第 {header_row} 行{'不存在' if text is None else '为空'}，不能作为表头",
                f"file {src} has {'no' if text is None else 'an empty'} line {header_row}: it cannot be the header",
                source=src,
            )
        skip = header_row - 1
    if separator == ",":
        line = _line_at(target, header_row) if header_row is not None else _first_line(target, "utf-8")
        line = line or ""
        if "," not in line and "\t" in line:
            # a tab-separated export (Excel's Unicode Text, "文本文件（制表符分隔）") named .csv/.txt: read as such
            separator = "\t"
            notes.append(f"文件 {src} 以制表符（Tab）分隔，已按制表符分隔读取 / file {src} is tab-separated and was read "
                         "as such")
        elif "," not in line and ";" in line:
            raise IngestError(
                f"文件 {src} 以分号（;）分隔，不是逗号分隔的 CSV：分号分隔的导出常以逗号作小数点（如“4359,74”），未读取此文件；"
                f"请另存为逗号分隔的 CSV（UTF-8）或 Excel 工作簿（.xlsx）",
                f"file {src} is separated by semicolons (;), not commas: such exports often write a decimal comma "
                f"(4359,74); the file was not read. Save it as comma-separated CSV (UTF-8) or an Excel workbook (.xlsx)",
                source=src,
            )
    _CSV_READ[src] = (enc, separator, skip)
    try:
        lf = pl.scan_csv(
            target,
            separator=separator,
            infer_schema=False,
            skip_lines=skip if header_row is not None else 0,
            row_index_name="source_row",
            row_index_offset=1,
            encoding="utf8",
        )
        columns = _columns(lf)
    except Exception as exc:
        raise IngestError(
            f"文件 {src} 不是可读取的 CSV 表格", f"file {src} is not a readable CSV table ({exc})", source=src
        ) from None
    row_errors: dict[int, tuple[str, str]] = {}
    if len(columns) == 1 and len(columns[0]) > 200:
        raise IngestError(
            f"文件 {src} 的表头只读出一列，长 {len(columns[0])} 个字符（开头：“{columns[0][:40]}…”）：文件的换行符或分隔符无法识别，"
            f"未读取此文件；请另存为逗号分隔、每行以换行结束的 CSV（UTF-8）",
            f"file {src}: its header reads as one column of {len(columns[0])} characters: its line ends or separator "
            f"cannot be told; the file was not read. Save it as comma-separated CSV (UTF-8)",
            source=src,
        )
    if columns and _cut_off(path, skip + 1):
        last = _records(lf)
        if last:
            row_errors[last] = _cut_reason(src, last + skip + 1)
    if columns:
        # a record has a field that is not empty or blank; the row index is taken before, so numbers stay.
        # Reading every column also has Polars check every row's field count (a projection stops early), and
        # lets the same pass see a row that may have fewer fields than the header (_ShortRows)
        filled = functools.partial(_filled, short=_ShortRows(path, enc, separator, skip, name=src))
        lf = lf.filter(pl.struct(columns).map_batches(filled, return_dtype=pl.Boolean, is_elementwise=True))
    return Frame(
        src, lf, columns, encoding=enc, kind="csv", header_row=skip + 1, row_errors=row_errors,
        cell_errors={columns[-1]: dict(row_errors)} if row_errors else {}, notes=notes,
    )


def _cut_off(path: Path, lines: int) -> bool:
    """The file's last line has no line end while the lines before it, past the first ``lines`` (the header's and
    those above it), do — at least one data line ends with one: how a file cut off in its last field looks (``…,18``
    for ``…,183.20``; outside audit F7, session 38). A file whose only data line has no line end, or whose header has
    none (one line), is not: such a file was written so. Reads the last byte, and the file's start up to the line
    ends needed."""
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        if not size:
            return False
        f.seek(size - 1)
        if f.read(1) in (b"\n", b"\r"):
            return False
        f.seek(0)
        need = lines + 1  # the header's line end and one data line's
        seen = 0
        while chunk := f.read(_CHUNK):
            seen += chunk.count(b"\n") or chunk.count(b"\r")  # (an old Mac export ends its lines in \r alone)
            if seen >= need:
                return True
    return False


def _records(lf: pl.LazyFrame) -> int:
    """How many records Polars reads from the scan (the last one's ``source_row``); 0 when it cannot read them (the
    read itself then says why)."""
    try:
        return int(lf.select(pl.len()).collect().item())
    except pl.exceptions.PolarsError:
        return 0


def _cut_reason(src: str, line: int) -> tuple[str, str]:
    return (
        f"文件 {src} 的最后一行（第 {line} 行）末尾没有换行符，而其他各行都有：文件可能被截断（导出或传输未完成），此行最后一个值"
        f"可能不完整（如“183.20”只剩“18”），此行未读取；请核对原始数据或重新导出完整的文件",
        f"file {src}: its last line ({line}) has no line end while every other line has one: the file may be cut off "
        f"(an export or transfer that did not finish), the line's last value may be incomplete (183.20 read as 18); "
        f"the line was not read — check the data or export the whole file again",
    )


class _ShortRows:
    """Whether a CSV file has a row with fewer fields than its header, asked by :func:`_filled` only when a row
    it keeps has its last field null: Polars reads an empty field and a missing one alike, but a row that is
    short always lacks its last field. The file is read once, with the ``csv`` module (as :func:`explain_csv_error`
    reads it), however often the frame is collected; a short row fails the read with a ``ComputeError`` that
    names file and lines, which :func:`named_read_errors` (or the reader's own handler) turns into the
    :class:`IngestError` of :func:`explain_csv_error`, as for a row with more fields."""

    def __init__(self, path: Path, encoding: str, separator: str, skip: int = 0, name: str | None = None):
        self.path, self.encoding, self.separator, self.skip = path, encoding, separator, skip
        self.name = name  # the file as the user gave it, when ``path`` is a copy of it (_CSV_COPY)
        self._lock = threading.Lock()  # batches may come on several threads: one read of the file
        self._checked = False
        self._error: IngestError | None = None

    def __call__(self) -> None:
        with self._lock:
            if not self._checked:
                faults = _scan_rows(self.path, self.encoding, self.separator, most=5, quotes=False, skip=self.skip)
                if faults is not None and faults.short:
                    self._error = _faults_error(Path(self.name) if self.name else self.path, faults)
                self._checked = True
        if self._error is not None:
            raise pl.exceptions.ComputeError(str(self._error))

    def __getstate__(self) -> dict[str, Any]:  # a plan Polars serialises: without the lock
        return {k: v for k, v in self.__dict__.items() if k != "_lock"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _lock=threading.Lock())


def _filled(rows: pl.Series, short: _ShortRows | None = None) -> pl.Series:
    """Per row of a struct: has a field that is not empty after stripping whitespace. A field that begins
    with a printable ASCII sign decides at once (codes, dates, amounts: nearly every row); only the other
    rows are stripped field by field (stripping every field took half the time of reading the CSV). A kept row
    whose last field is null may be a row with fewer fields than the header: ``short`` checks the file."""
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
    if short is not None and (keep & df.to_series(df.width - 1).is_null()).any():
        short()
    return keep


def _ascii_first(values: _E) -> _E:
    """Begins with a printable ASCII sign other than a space (``!`` … ``~``): not blank."""
    return values.is_between(pl.lit("!"), pl.lit("~")).fill_null(False)


def explain_csv_error(source: str | Path, *, most: int = 5) -> IngestError | None:
    """Why Polars could not read a CSV file that :func:`read_frame` opened: the first bytes that are not in
    its encoding, or the first rows whose field count is not the header's (line, ``source_row``, counts), or
    whose quotes Polars cannot pair (a quote inside an unquoted value, one never closed, text after a closing
    one). None when the file shows none of these (or is no CSV file). Reads the whole file: the error path only."""
    src = str(source)
    path = Path(src)
    if "://" in src or path.suffix.lower() not in (".csv", ".txt", ".tsv") or not path.is_file():
        return None
    enc, separator, skip = _CSV_READ.get(src) or ("", "\t" if path.suffix.lower() == ".tsv" else ",", -1)
    path = _CSV_COPY.get(src, path)  # a UTF-16 or old-Mac file is read through its UTF-8 copy
    try:
        enc = enc or detect_encoding(path)
        with open(path, "rb") as f:
            at = _undecodable(f, enc)
        if at is not None:
            return _decode_error(path, enc, at)
        found = _row_faults(path, enc, separator, most, skip)
        if found is not None and str(path) != src:  # read through a copy: name the file given
            found = IngestError(found.message_zh.replace(str(path), src), found.message_en.replace(str(path), src),
                                source=src)
        return found
    except IngestError as exc:  # no encoding reads it, or two do
        return exc
    except OSError:
        return None


@contextmanager
def named_read_errors(sources: Iterable[str | Path]) -> Iterator[None]:
    """A Polars error met while the tables of ``sources`` are read, in whichever step and on whichever thread
    (a lazy scan is read where it is first collected: counting, splitting into partitions, validating): the
    :class:`IngestError` of the CSV files among them that explain it (:func:`explain_csv_error`), naming
    file and line. An error no CSV file explains is raised as it was."""
    try:
        yield
    except pl.exceptions.ComputeError:  # what Polars' CSV reader raises; another error is not the file's
        found = [e for e in map(explain_csv_error, dict.fromkeys(str(s) for s in sources)) if e is not None]
        if not found:
            raise
        zh, en = "；".join(e.message_zh for e in found), "; ".join(e.message_en for e in found)
        raise IngestError(zh, en, source=found[0].source) from None


@dataclass
class _Faults:
    """What the ``csv`` module finds wrong in a CSV file's rows: the first ``most`` of each kind."""

    width: int  # the header's field count
    ragged: list[tuple[int, int, int]] = field(default_factory=list)  # (line, record, fields)
    total: int = 0  # rows whose field count is not the header's
    short: int = 0  # of them, rows with fewer fields
    stray: list[tuple[int, int]] = field(default_factory=list)  # (line, record) with a quote inside an unquoted value
    strays: int = 0
    unclosed: tuple[int, int] | None = None  # a quote never closed, or text after its closing quote


def _row_faults(path: Path, encoding: str, separator: str, most: int, skip: int = -1) -> IngestError | None:
    faults = _scan_rows(path, encoding, separator, most, skip=skip)
    return None if faults is None else _faults_error(path, faults)


def _scan_rows(
    path: Path, encoding: str, separator: str, most: int, *, quotes: bool = True, skip: int = -1
) -> _Faults | None:
    """One read of the file with the ``csv`` module (fields counted as it splits them: a quoted value may hold
    separators and line breaks). None for a file without a header. A row with no field (an empty line) or whose
    fewer fields are all empty or blank is a blank row, as :func:`_filled` skips it, not a short one. Without
    ``quotes``, stray quotes are not looked for (they fail Polars' read; a file it read has none): about 0.7 s
    a million rows instead of several seconds when many values are quoted. ``skip``: the lines before the header
    (as the read skipped them); -1: the empty lines the file begins with, as Polars skips them. Lines are
    counted from the file's first line."""
    n = 0
    found = _Faults(0)
    held: list[str] = []  # the lines of the record being read
    with open(path, encoding=encoding, newline="") as f:
        skipped = 0
        if skip < 0:  # the empty lines Polars skips before the header (a BOM before them is no text)
            start = f.tell()
            while (text := f.readline()) and text.lstrip("\ufeff") in ("\n", "\r\n"):
                skipped += 1
                start = f.tell()
            f.seek(start)
        else:
            while skipped < skip and f.readline():
                skipped += 1

        def lines() -> Iterator[str]:
            for text in f:
                held.append(text)
                yield text

        reader = csv.reader(lines() if quotes else f, delimiter=separator, strict=True)
        line = 0
        try:
            header = next(reader, None)
            if header is None:
                return None
            if header and header[0].startswith("\ufeff"):
                header[0] = header[0][1:]
            width = found.width = len(header)
            line = reader.line_num + skipped
            held.clear()
            for row in reader:
                n += 1
                first, line = line + 1, reader.line_num + skipped
                k = len(row)
                if k > width or (k < width and any(v.strip(_WHITESPACE) for v in row)):
                    found.total += 1
                    found.short += k < width
                    if len(found.ragged) < most:
                        found.ragged.append((first, n, k))
                if quotes and _stray_quote(held, separator):
                    found.strays += 1
                    if len(found.stray) < most:
                        found.stray.append((first, n))
                held.clear()
        except csv.Error:
            found.unclosed = (line + 1, n + 1)
    return found


def _faults_error(path: Path, faults: _Faults) -> IngestError | None:
    """The refusal of a file with ``faults``, Chinese then English, naming file, lines and field counts."""
    width, ragged, total, stray, strays = faults.width, faults.ragged, faults.total, faults.stray, faults.strays
    zh: list[str] = []
    en: list[str] = []
    if ragged:
        more = f"等，共 {total} 行" if total > len(ragged) else ""
        zh.append("行与表头不符：" + "；".join(
            f"第 {ln} 行（第 {rec} 条记录）字段数{'多' if k > width else '少'}于表头（{k} 个，表头 {width} 个）"
            for ln, rec, k in ragged
        ) + more)  # fmt: skip
        en.append("rows do not match the header: " + "; ".join(
            f"line {ln} (record {rec}) has {'more' if k > width else 'fewer'} fields than the header ({k}, header {width})"
            for ln, rec, k in ragged
        ) + (f", {total} rows in all" if total > len(ragged) else ""))  # fmt: skip
    if stray:
        more = f"等，共 {strays} 行" if strays > len(stray) else ""
        lines_zh = "；".join(f"第 {ln} 行（第 {r} 条记录）" for ln, r in stray)
        zh.append(f"值中有未成对的引号：{lines_zh}{more}")
        en.append("a quote inside a value that is not quoted: " + "; ".join(
            f"line {ln} (record {rec})" for ln, rec in stray
        ) + (f", {strays} rows in all" if strays > len(stray) else ""))  # fmt: skip
    if faults.unclosed is not None:
        ln, rec = faults.unclosed
        zh.append(f"第 {ln} 行（第 {rec} 条记录）起的引号没有闭合，或闭合的引号后还有其他字符")
        en.append(f"the quote opened at line {ln} (record {rec}) is not closed, or text follows it")
    if not zh:
        return None
    short_zh = short_en = ""
    if faults.short:
        short_zh = "字段数少于表头的行缺少的字段不会当作空值读取，每行的字段数应与表头相同（空值也保留其分隔符）。"
        short_en = (
            "The missing fields of a row with fewer fields are not read as empty: every row has as many fields as "
            "the header (an empty value keeps its separator). "
        )
    return IngestError(
        f"文件 {path} 的{'；'.join(zh)}；未读取此文件。{short_zh}请检查这些行是否含未加引号的逗号、缺少字段或未成对的引号"
        f"（值中含逗号或引号时，整个值应加引号，值中的引号写作两个引号）",
        f"file {path}: {'; '.join(en)}; the file was not read. {short_en}Check these rows for an unquoted separator, a "
        f"missing field or a stray quote (a value with a separator or a quote is quoted whole, its quotes doubled)",
        source=str(path),
    )


def _stray_quote(lines: list[str], separator: str) -> bool:
    """The record's text has an odd number of quotes inside values that do not begin with one (``24" 显示器``):
    the csv module reads such a quote as it is, Polars cannot pair it (a pair it reads as the csv module does)."""
    if not any('"' in text for text in lines):
        return False
    text = "".join(lines)
    quoted = False
    start = True  # at the start of a value
    strays = 0
    i = 0
    while i < len(text):
        c = text[i]
        if quoted:
            if c == '"':
                if text[i + 1 : i + 2] == '"':
                    i += 1
                else:
                    quoted = False
        elif c == '"':
            if start:
                quoted = True
            else:
                strays += 1
        start = not quoted and c in (separator, "\n", "\r")
        i += 1
    return strays % 2 == 1


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
    if isinstance(value, (int, float)):
        # a number cell as Excel shows it: a fraction to 15 significant digits (=192.48*3 is stored
        # 577.4399999999999, shown 577.44); 16 digits or more cannot be exact — an account or ID number typed as a
        # number — and raise ValueProblem (values.number_cell_text), a cell error in _read_xlsx
        from wengang.ingest.values import number_cell_text

        return number_cell_text(value)
    return str(value)


def _number_cell_error(sheet: str, column: int, row: int, zh: str, en: str) -> tuple[str, str]:
    from openpyxl.utils import get_column_letter

    cell = f"{sheet}!{get_column_letter(column)}{row}"
    return f"单元格 {cell}：{zh}", f"cell {cell}: {en}"


def _cell_error(sheet: str, column: int, row: int, kind: str, value: object) -> tuple[str, str]:
    from openpyxl.utils import get_column_letter

    cell = f"{sheet}!{get_column_letter(column)}{row}"
    if kind == "f":
        return (
            f"单元格 {cell} 是公式（{value}），未读取其值；请在 Excel 中粘贴为数值后重新导出",
            f"cell {cell} holds a formula ({value}); its value was not read: paste as values and export again",
        )
    return f"单元格 {cell} 为错误值 {value}", f"cell {cell} holds the error value {value}"


def _merged_error(sheet: str, column: int, row: int, bounds: tuple[int, int, int, int]) -> tuple[str, str]:
    from openpyxl.utils import get_column_letter

    c1, r1, c2, r2 = bounds
    cell, first = f"{get_column_letter(column)}{row}", f"{get_column_letter(c1)}{r1}"
    span = f"{first}:{get_column_letter(c2)}{r2}"
    return (
        f"单元格 {sheet}!{cell} 在合并单元格 {span} 内，只有首格 {first} 有值，未读取；请取消合并、在每一行填入取值后重新导出",
        f"cell {sheet}!{cell} is inside the merged cells {span}, whose value is in {first} only; it was not read: "
        f"unmerge them, fill in every row and export again",
    )


# a merged range in a sheet's XML (after its rows): <mergeCell ref="C4:C6"/>, the element maybe prefixed
_MERGE_REF = re.compile(rb'<(?:[\w.-]+:)?mergeCell\b[^>]*?\sref="([A-Z]{1,3})([0-9]+):([A-Z]{1,3})([0-9]+)"')


def _merged_ranges(ws: Any) -> list[tuple[int, int, int, int]]:
    """(first column, first row, last column, last row) of each merged range of the sheet. A read-only sheet
    does not parse them: they are found in its XML (a second read of it, without parsing the rows)."""
    from openpyxl.utils import column_index_from_string

    source = getattr(ws, "_get_source", None)
    if source is None:  # a sheet openpyxl read whole
        return [tuple(r.bounds) for r in ws.merged_cells.ranges]
    found: set[tuple[bytes, ...]] = set()
    tail = b""
    with source() as src:
        while chunk := src.read(_CHUNK):
            data = tail + chunk
            if b"mergeCell" in data:  # (a plain search first: most sheets have none)
                found.update(m.groups() for m in _MERGE_REF.finditer(data))
            tail = data[-256:]  # an element cut by the chunk's edge (one found twice counts once)
    return sorted(
        (column_index_from_string(c1.decode()), int(r1), column_index_from_string(c2.decode()), int(r2))
        for c1, r1, c2, r2 in found
    )


# a row or column element's start tag in a sheet's XML, and the attributes read from it
_ROW_TAG = re.compile(rb"<(?:[\w.-]+:)?row\b([^>]*)>")
_COL_TAG = re.compile(rb"<(?:[\w.-]+:)?col\b([^>]*)>")
_HIDDEN = re.compile(rb'\shidden="(?:1|true)"')
_ATTR_R = re.compile(rb'\sr="([0-9]+)"')
_ATTR_MIN = re.compile(rb'\smin="([0-9]+)"')
_ATTR_MAX = re.compile(rb'\smax="([0-9]+)"')


@dataclass
class _Layout:
    """What a sheet's XML says besides its cells: merged ranges, hidden rows and hidden columns."""

    merges: list[tuple[int, int, int, int]]
    hidden_rows: set[int] = field(default_factory=set)
    hidden_columns: set[int] = field(default_factory=set)


def _sheet_layout(ws: Any, hidden: bool = True) -> _Layout:
    """The sheet's merged ranges and (``hidden``) its hidden rows and columns — hidden by hand or by a filter (Excel
    writes both as ``hidden="1"``). A read-only sheet parses none of them: they are found in its XML (one more read of
    it, without parsing the rows; a row's tag is looked at only in a chunk that says ``hidden``)."""
    source = getattr(ws, "_get_source", None)
    if source is None:  # a sheet openpyxl read whole
        layout = _Layout([tuple(r.bounds) for r in ws.merged_cells.ranges])
        if hidden:
            layout.hidden_rows = {r for r, d in ws.row_dimensions.items() if d.hidden}
            from openpyxl.utils import column_index_from_string

            for letter, d in ws.column_dimensions.items():
                if d.hidden:
                    first = column_index_from_string(letter)
                    layout.hidden_columns.update(range(d.min or first, (d.max or first) + 1))
        return layout
    if not hidden:
        return _Layout(_merged_ranges(ws))
    from openpyxl.utils import column_index_from_string

    found: set[tuple[bytes, ...]] = set()
    rows: set[int] = set()
    columns: set[int] = set()
    tail = b""
    with source() as src:  # one read of the XML for the merges and the hidden rows and columns
        while chunk := src.read(_CHUNK):
            data = tail + chunk
            if b"mergeCell" in data:
                found.update(m.groups() for m in _MERGE_REF.finditer(data))
            if b"hidden=" in data:
                for m in _ROW_TAG.finditer(data):
                    if _HIDDEN.search(m.group(1)) and (r := _ATTR_R.search(m.group(1))):
                        rows.add(int(r.group(1)))
                for m in _COL_TAG.finditer(data):
                    a = m.group(1)
                    if _HIDDEN.search(a) and (lo := _ATTR_MIN.search(a)) and (hi := _ATTR_MAX.search(a)):
                        columns.update(range(int(lo.group(1)), int(hi.group(1)) + 1))
            tail = data[-512:]  # a tag cut by the chunk's edge (one found twice counts once)
    merges = sorted(
        (column_index_from_string(c1.decode()), int(r1), column_index_from_string(c2.decode()), int(r2))
        for c1, r1, c2, r2 in found
    )
    return _Layout(merges, rows, columns)


def _top_value(ws: Any, row: int, column: int) -> str | None:
    """The text of one cell above the rows being read (a merged range's first cell)."""
    for cells in ws.iter_rows(min_row=row, max_row=row, min_col=column, max_col=column):
        for c in cells:
            text = _head_text(c.value)
            return text.strip() or None if text is not None else None
    return None


def _filled_down(
    ws: Any, merges: list[tuple[int, int, int, int]], header_row: int, header: dict[int, str]
) -> list[tuple[str, str]]:
    """Fill each column of the header row that is empty, inside a vertical merge that begins above it (``A2:A3`` of a
    two-row header: ``序号`` merged down over the row of the group's sub-headers), with that merge's value — Excel
    shows it there. Returns (the range, the header) of each filled column (outside audit F5, session 38)."""
    from openpyxl.utils import get_column_letter

    filled = []
    for c1, r1, c2, r2 in merges:
        if r1 < header_row <= r2 and c1 not in header:
            text = _top_value(ws, r1, c1)
            if text:
                header[c1] = text
                filled.append((f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}", text))
    if filled:
        header_items = sorted(header.items())
        header.clear()
        header.update(header_items)
    return filled


def _rows_named(rows: list[int], most: int = 5) -> tuple[str, str]:
    shown = "、".join(map(str, rows[:most])) + (f" 等，共 {len(rows)} 行" if len(rows) > most else " 行")
    shown_en = ", ".join(map(str, rows[:most])) + (f" … ({len(rows)} in all)" if len(rows) > most else "")
    return shown, shown_en


def _read_xlsx(path: Path, sheet: str | None, header_row: int | None = None) -> Frame:
    import openpyxl

    src = str(path)
    bad = _not_a_table(path)
    if bad is not None:
        raise bad
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
        sheets = list(wb.sheetnames)
        epoch = wb.epoch.date() if isinstance(wb.epoch, datetime) else wb.epoch
        notes: list[str] = []
        if sheet is None and len(sheets) > 1:  # (outside audit F2, session 38)
            others = "、".join(f"“{t}”" for t in sheets if t != title)
            notes.append(
                f"文件 {src} 有 {len(sheets)} 个工作表，读取的是第一个工作表“{title}”，其他工作表 {others} 未读取；如数据在其他"
                f"工作表，请用 --sheet 指定 / file {src} has {len(sheets)} sheets: the first, {title!r}, was read; the others "
                f"({', '.join(repr(t) for t in sheets if t != title)}) were not (pass --sheet to read another)"
            )
        layout = _sheet_layout(ws)
        filled: list[tuple[str, str]] = []
        header: dict[int, str] = {}  # column number → header text
        wanted = header_row  # the header's row as asked (None: the first row that is not empty)
        header_row = 0
        data: dict[int, list[str | None]] = {}  # column number → values
        rows: list[int] = []
        errors: dict[int, dict[int, tuple[str, str]]] = {}
        try:
            for cells in ws.iter_rows(min_row=wanted or 1):
                if not header:
                    header = {c.column: str(c.value).strip() for c in cells if c.value is not None and str(c.value).strip()}
                    header_row = next((c.row for c in cells if c.value is not None), 0)
                    if wanted is not None and (not header or header_row != wanted):
                        raise IngestError(
                            f"文件 {src} 工作表“{title}”第 {wanted} 行为空，不能作为表头",
                            f"row {wanted} of sheet {title!r} in {src} is empty: it cannot be the header",
                            source=src,
                        )
                    filled = _filled_down(ws, layout.merges, header_row, header)
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
                    try:
                        values[c.column] = v if type(v) is str else _cell_text(v)
                    except ValueProblem as p:  # a number cell of 16 digits or more: its last digits are lost
                        errors.setdefault(c.column, {})[row - header_row] = _number_cell_error(title, c.column, row, p.zh, p.en)
                if not row:
                    continue  # an empty row
                rows.append(row - header_row)
                for col in header:
                    data[col].append(values.get(col))
            # a merged range's value is in its first cell only: its other cells in data rows are not read
            for bounds in layout.merges if header else ():
                c1, r1, c2, r2 = bounds
                for col in (c for c in range(c1, c2 + 1) if c in header):
                    for row in range(max(r1, header_row + 1), r2 + 1):
                        if (col, row) != (c1, r1):
                            errors.setdefault(col, {}).setdefault(
                                row - header_row, _merged_error(title, col, row, bounds)
                            )
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
    if filled:
        spans = "、".join(f"{span}“{text}”" for span, text in filled)
        notes.append(
            f"工作表“{title}”第 {header_row} 行（表头）中的空格取自其上纵向合并单元格的值：{spans} / in row {header_row} of "
            f"sheet {title!r} (the header) the empty cells take the value of the vertical merged cells above them: "
            f"{', '.join(f'{span} ({text})' for span, text in filled)}"
        )
    # hidden rows and columns are read like any other (what the file holds is what is screened), and said so
    # (outside audit F10, session 38)
    read = set(rows)
    hidden = sorted(r for r in layout.hidden_rows if r > header_row and r - header_row in read)
    if hidden:
        zh, en = _rows_named(hidden)
        notes.append(
            f"工作表“{title}”中有 {len(hidden)} 个隐藏的行（手动隐藏或被筛选隐藏）照常读入：第 {zh}；请核对这些行是否应当纳入 / "
            f"{len(hidden)} hidden rows of sheet {title!r} (hidden by hand or by a filter) were read like any other: "
            f"rows {en}; check that they belong in the table"
        )
    from openpyxl.utils import get_column_letter

    hidden_cols = [c for c in sorted(layout.hidden_columns) if c in header]
    if hidden_cols:
        zh = "、".join(f"{get_column_letter(c)} 列“{header[c]}”" for c in hidden_cols)
        en = ", ".join(f"column {get_column_letter(c)} ({header[c]})" for c in hidden_cols)
        notes.append(
            f"工作表“{title}”中隐藏的列照常读入：{zh} / hidden columns of sheet {title!r} were read like any other: {en}"
        )
    return Frame(
        src, frame.lazy(), list(names.values()), excel_epoch=epoch, cell_errors=cell_errors, kind="xlsx",
        header_row=header_row, sheet=title, sheets=sheets, notes=notes,
    )


def sheets_with_header(
    heads: dict[str, list[tuple[int, list[str | None]]]], is_header: Callable[[list[str | None]], bool]
) -> list[tuple[str, int]]:
    """(sheet, row) of each sheet of ``heads`` (:func:`head_rows`) whose first lines hold a header (``is_header``):
    a workbook read without ``--sheet`` is refused when there is more than one."""
    return [(title, r) for title, rows in heads.items()
            for r in [next((r for r, cells in rows if is_header(cells)), None)] if r is not None]


def head_rows(frame: Frame, rows: int = 10) -> dict[str, list[tuple[int, list[str | None]]]]:
    """The first ``rows`` lines (Excel rows) of the file ``frame`` was read from, where a header may be: the
    texts of each line that is not empty, with its number. CSV: one entry (``""``), read in the frame's encoding;
    XLSX: one entry per sheet, by title, in the workbook's order. Empty for Parquet and databases."""
    path = _CSV_COPY.get(frame.source, Path(frame.source))
    if frame.kind == "csv":
        enc, separator, _ = _CSV_READ.get(frame.source) or (frame.encoding or "utf-8", ",", 0)
        found: list[tuple[int, list[str | None]]] = []
        with open(path, encoding=enc, errors="replace", newline="") as f:
            reader = csv.reader(itertools.islice(f, rows), delimiter=separator)
            line = 0
            try:
                for cells in reader:
                    first, line = line + 1, reader.line_num
                    texts = [c.lstrip("\ufeff").strip(_WHITESPACE) or None for c in cells]
                    if any(texts):
                        found.append((first, texts))
            except csv.Error:
                pass  # a quote not closed within these lines: what came before it is enough
        return {"": found}
    if frame.kind != "xlsx":
        return {}
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=False)
    try:
        out: dict[str, list[tuple[int, list[str | None]]]] = {}
        for ws in wb.worksheets:
            out[ws.title] = []
            seen: dict[int, list[str | None]] = {}
            for cells in ws.iter_rows(max_row=rows):
                texts = [(_head_text(c.value) or "").strip() or None for c in cells]
                at = next((c.row for c in cells if c.value is not None), None)
                if at is not None and any(texts):
                    seen[at] = texts
            # a vertical merge's value shows in each row it spans (a two-row header's 序号 over A2:A3): the row of
            # the sub-headers is read with it, as _read_xlsx reads that row as the header (_filled_down)
            for c1, r1, _c2, r2 in _sheet_layout(ws, hidden=False).merges if seen else ():
                top = seen.get(r1)
                if top is None or r1 == r2 or c1 > len(top) or not top[c1 - 1]:
                    continue
                for r in range(r1 + 1, min(r2, rows) + 1):
                    if r in seen:
                        line = seen[r]
                        line.extend([None] * (c1 - len(line)))
                        if line[c1 - 1] is None:
                            line[c1 - 1] = top[c1 - 1]
            out[ws.title] = sorted(seen.items())
        return out
    finally:
        wb.close()


def _head_text(value: object) -> str | None:
    """:func:`_cell_text`, a number cell that cannot be exact shown as written (a header is looked for: no refusal)."""
    try:
        return _cell_text(value)
    except ValueProblem:
        return str(value)


def header_names(cells: list[str | None]) -> list[str]:
    """The column names a header line of ``cells`` gives (empty cells left out, a repeated header suffixed as
    the readers suffix it)."""
    return list(_unique_names({i: c for i, c in enumerate(cells) if c}).values())


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
    return Frame(label, df.lazy(), [c for c in df.columns if c != "source_row"], kind="database")


def redact(url: str) -> str:
    """Hide a password in a URL before it goes into a message."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]

"""Find full personal identifiers in files: the oracle of tests/privacy (issue 12 item 5).

``scan_for_identifiers(paths)`` reads every file under the given paths (directories recursively) and returns a
:class:`Finding` for each full identifier in it:

* ``id_number`` — an 18-character 公民身份号码 (6 digits of place, a birth date, 3 digits, a digit or X) whose
  ISO 7064 check character is right;
* ``mobile`` — 11 digits 13…–19… (optionally ``+86``, spaces or hyphens after the 3rd and 7th digit);
* ``bank_account`` — a run of 16–19 digits that is not an ID number (also written in groups of four).

A match must stand alone: no letter or digit right before or after it (so hex hashes and longer numbers are
not mistaken for identifiers), and a decimal fraction is not a match.

Files: Parquet (every column, as text), XLSX (every cell and string of every part), SQLite databases (every
table, or those named), text of any encoding (UTF-8, GB18030), anything else as bytes. A database URL
(``postgresql://…``, ``sqlite:///…``) is read with SQLAlchemy: ``scan_database(url, tables)``.

``allow`` exempts columns that must hold a full identifier because the next machine step needs it — for
example ``{"results.parquet": {"id_number"}}``: the people results are the ledger's input, keyed by the ID
number. A test says why each exemption is there.

The lead can point it at a whole story run: ``scan_for_identifiers([out_dir, outbox_file, log_file])``.
"""

from __future__ import annotations

import re
import sqlite3
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from html import unescape
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

RIC_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
RIC_CHECK = "10X98765432"

_EDGE_L = r"(?<![0-9A-Za-z.])"
_EDGE_R = r"(?![0-9A-Za-z]|\.\d)"
ID_RE = re.compile(
    _EDGE_L + r"([1-8]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx])" + _EDGE_R
)
MOBILE_RE = re.compile(r"(?<![0-9A-Za-z.+])(?:\+?86[ -]?)?(1[3-9]\d[ -]?\d{4}[ -]?\d{4})" + _EDGE_R)
ACCOUNT_RE = re.compile(_EDGE_L + r"(\d{16,19}|\d{4}(?:[ -]\d{4}){3}(?:[ -]\d{1,3})?)" + _EDGE_R)


@dataclass(frozen=True)
class Finding:
    path: str
    where: str  # column / sheet part / table.column / line
    kind: str  # id_number | mobile | bank_account
    hint: str  # the identifier masked (a failing test must not print it in full either)

    def __str__(self) -> str:
        return f"{self.path} [{self.where}]: {self.kind} {self.hint}"


def id_check_ok(v: str) -> bool:
    v = v.upper()
    return RIC_CHECK[sum(int(c) * w for c, w in zip(v[:17], RIC_WEIGHTS, strict=True)) % 11] == v[17]


def _hint(v: str) -> str:
    digits = re.sub(r"\D", "", v)
    return digits[:3] + "…" + v[-2:]


def scan_text(text: str) -> list[tuple[str, str]]:
    """(kind, match) for every full identifier in ``text``."""
    if not text or not any(ch.isdigit() for ch in text):
        return []
    out: list[tuple[str, str]] = []
    ids = {m.group(1) for m in ID_RE.finditer(text) if id_check_ok(m.group(1))}
    out += [("id_number", v) for v in sorted(ids)]
    out += [("mobile", m.group(1)) for m in MOBILE_RE.finditer(text)]
    for m in ACCOUNT_RE.finditer(text):
        v = m.group(1)
        if v not in ids:
            out.append(("bank_account", v))
    return out


def _findings(path: str, where: str, texts: Iterable[str]) -> Iterator[Finding]:
    for t in texts:
        for kind, v in scan_text(t):
            yield Finding(path, where, kind, _hint(v))


def _parquet(path: Path, allow: set[str]) -> Iterator[Finding]:
    table = pq.read_table(path)
    yield from _findings(str(path), "<columns>", table.column_names)
    for name in table.column_names:
        if name in allow:
            continue
        col = table.column(name)
        if pa.types.is_dictionary(col.type):
            col = col.cast(col.type.value_type)
        try:
            text = pc.unique(pc.cast(col, pa.large_string()))
        except pa.ArrowNotImplementedError:  # nested types: their text form
            text = pa.array([str(v) for v in col.to_pylist()])
        yield from _findings(str(path), name, (v for v in text.to_pylist() if v is not None))


def _xlsx(path: Path) -> Iterator[Finding]:
    with zipfile.ZipFile(path) as z:
        for part in z.namelist():
            if part.endswith((".xml", ".rels")):
                xml = z.read(part).decode("utf-8", errors="replace")
                # cell values and strings only (tags and attributes hold no data here)
                texts = [unescape(t) for t in re.findall(r">([^<>]+)<", xml)]
                yield from _findings(str(path), part, texts)


def _sqlite(path: Path, tables: Iterable[str] | None) -> Iterator[Finding]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        names = list(tables) if tables else [r[0] for r in con.execute("select name from sqlite_master where type='table'")]
        for t in names:
            cur = con.execute(f'select * from "{t}"')
            cols = [d[0] for d in cur.description]
            for row in cur:
                for c, v in zip(cols, row, strict=True):
                    if v is not None:
                        yield from _findings(str(path), f"{t}.{c}", [str(v)])
    finally:
        con.close()


def _text(path: Path) -> Iterator[Finding]:
    raw = path.read_bytes()
    for enc in ("utf-8", "gb18030"):
        try:
            text = raw.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = raw.decode("latin-1")
    for n, line in enumerate(text.splitlines(), 1):
        yield from _findings(str(path), f"line {n}", [line])


def _files(paths: Iterable[str | Path]) -> Iterator[Path]:
    for p in map(Path, paths):
        if p.is_dir():
            yield from sorted(f for f in p.rglob("*") if f.is_file())
        elif p.exists():
            yield p
        else:
            raise FileNotFoundError(p)


def scan_for_identifiers(
    paths: Iterable[str | Path], *, allow: Mapping[str, set[str]] | None = None, tables: Iterable[str] | None = None
) -> list[Finding]:
    """Every full identifier in the files under ``paths``; ``allow``: file name → columns exempted (machine
    data keyed by the identifier); ``tables``: the SQLite tables to read (default all)."""
    allow = allow or {}
    found: list[Finding] = []
    for f in _files(paths):
        suffix = f.suffix.lower()
        if suffix in (".parquet", ".pq"):
            found += _parquet(f, set(allow.get(f.name, ())))
        elif suffix in (".xlsx", ".xlsm"):
            found += _xlsx(f)
        elif suffix in (".db", ".sqlite", ".sqlite3"):
            found += _sqlite(f, tables)
        else:
            found += _text(f)  # text files, and anything else as text (latin-1 keeps ASCII digits)
    return found


def scan_database(url: str, tables: Iterable[str]) -> list[Finding]:
    """Every full identifier in the named tables of a database (SQLAlchemy URL; PostgreSQL or SQLite)."""
    from sqlalchemy import MetaData, create_engine, select

    engine = create_engine(url)
    found: list[Finding] = []
    try:
        meta = MetaData()
        meta.reflect(engine, only=list(tables))
        with engine.connect() as conn:
            for t in meta.sorted_tables:
                for row in conn.execute(select(t)).mappings():
                    for c, v in row.items():
                        if v is not None:
                            found += _findings(url.split("@")[-1], f"{t.name}.{c}", [str(v)])
    finally:
        engine.dispose()
    return found

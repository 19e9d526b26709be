"""Validation with quarantine: good rows go on, bad rows are kept with reasons, counts reconcile.

:func:`validate_table` parses and checks a :class:`~wengang.screening.ingest.RawTable` against its schema
with column expressions (:mod:`wengang.ingest.columns`; spellings other than the usual ones go through the
scalar readers of :mod:`wengang.ingest.values` once per distinct value):

* missing required fields; identifiers with a bad length, character or check character (read after NFKC: a
  full-width code is the code it shows; the exponent form of a number cell, ``6.22202E+18``, is refused as such);
* money that is not a number, negative, or has more than two decimals (yuan → fen exactly, after a number cell's
  residue is read to the 15 significant digits Excel shows; the unit is the one the header said, see
  :mod:`wengang.ingest.headers`);
* counts that are not non-negative integers; enum values that are neither a code nor one of its Chinese
  labels; unreadable yes/no values; XLSX cells that were not read (formulas, error values);
* months and dates in none of the accepted forms; a payment dated more than
  ``max_prepay_years`` before the month it covers, or after ``as_of``; a paid amount with no date;
* region codes outside ``allowed_regions`` (when given); ranges that end before they start;
* duplicate keys — every row of a duplicated key is quarantined (we cannot tell which copy is right).

A row with several faults is quarantined **once**: ``field``, ``value``, ``reason_zh`` and ``reason_en``
list every fault, joined with ``；``. The quarantine frame has ``source_file``, ``source_row`` (1-based
data row), ``field``, ``value``, ``reason_zh``, ``reason_en``; ``field`` and ``reason_en`` name a field by its
name (``due_fen``), ``reason_zh`` by its Chinese label (the agency's header, else the standard one: ``应缴金额：金额为负``).
A row whose unit the registry has only in a quarantined row says so (``该单位的登记信息有误已被隔离``), also where that
row's code could not be read. The report's counts reconcile:
``rows_in == accepted + quarantined``. With ``strict=True`` any bad row raises :class:`ValidationFailed`.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from wengang.documents.masking import mask_loose_expr, mask_text_series
from wengang.facts.identifiers import (
    REASONS_EN,
    REASONS_ZH,
    USCC_ALPHABET,
    credit_code_reasons,
    credit_code_reasons_if_formed_or_missing,
    credit_codes_written_normalised,
    id_number_reasons,
)
from wengang.facts.industries import industry_code_problem, normalise_code
from wengang.ingest import columns as C
from wengang.ingest.columns import MAX_AMOUNT_FEN, MAX_COUNT
from wengang.ingest.values import (
    EXCEL_TEXT,
    FEN,
    INVISIBLE_PATTERN,
    NUMBER_CELL_EN,
    NUMBER_CELL_ZH,
    ValueProblem,
)
from wengang.money import format_yuan
from wengang.screening.ingest import RawTable
from wengang.screening.schemas import MAX_PREMIUM_PER_PERSON_MONTH_FEN, Column

QUARANTINE_SCHEMA = pl.Schema(
    {
        "source_file": pl.String,
        "source_row": pl.Int64,
        "field": pl.String,
        "value": pl.String,
        "reason_zh": pl.String,
        "reason_en": pl.String,
    }
)


class ValidationFailed(Exception):
    """Raised in strict mode on the first bad row. ``str()`` is Chinese then English."""

    def __init__(self, report: ValidationReport, first: dict):
        self.report = report
        self.first = first
        # (each reason names its field: in Chinese by its header, in English by its name)
        super().__init__(
            f"{first['source_file']} 第{first['source_row']}行 {first['reason_zh']}"
            f"（共{report.quarantined}行有误） / {first['source_file']} row {first['source_row']} "
            f"{first['reason_en']} ({report.quarantined} bad rows)"
        )


@dataclass
class ValidationReport:
    table: str
    source_file: str
    rows_in: int
    accepted: int
    quarantined: int
    by_reason: dict[str, int] = field(default_factory=dict)  # English reason → rows
    notes: list[str] = field(default_factory=list)  # e.g. the columns ignored (Chinese / English)

    @property
    def reconciles(self) -> bool:
        return self.rows_in == self.accepted + self.quarantined

    def summary_zh(self) -> str:
        return f"{self.source_file}：读入{self.rows_in}行，接受{self.accepted}行，隔离{self.quarantined}行"


@dataclass
class ValidationResult:
    accepted: pl.DataFrame | pl.LazyFrame  # a LazyFrame only when asked (``validate_table(lazy=True)``)
    quarantine: pl.DataFrame
    report: ValidationReport
    # a table that can stop or reduce a payment (``TableSchema.hold_key``), or the registry: its quarantined rows'
    # identifiers as written, (table, source_row, code), for wengang.screening.holds; None for other tables
    held_keys: pl.DataFrame | None = None
    # each month column's values as parsed, one per distinct value written (bad rows' included; null where the
    # value is not a month): what a caller reads instead of scanning the column again (``latest_month``)
    months: dict[str, pl.Series] = field(default_factory=dict)


@dataclass
class _Check:
    field: str
    flag: pl.Expr  # true when faulty
    zh: pl.Expr
    en: pl.Expr
    # the flag reads per-distinct-value columns that are spread to the bad rows only; on the full table a
    # single "this value has a fault" column (gathered once) stands in for all such checks of a column
    deferred: bool = False
    label: str | None = None  # counts the rows of this check in the report (the reason may name the value)


# the exponent form of a number, as an identifier's parsed (upper-cased) value: values.looks_like_number_cell
_NUMBER_CELL_PATTERN = r"^[0-9](?:\.[0-9]+)?E\+?[0-9]+$"


def _nfkc_series(ser: pl.Series) -> pl.Series:
    """``ser`` NFKC-normalised: only its values that are not ASCII (a full-width code), the others as they are — NFKC
    of a million ASCII codes took a second, three times the rest of their reading."""
    wide = ser.str.len_bytes() != ser.str.len_chars()
    if not wide.any():
        return ser
    at = wide.arg_true()
    # zero-width characters (U+200B, a BOM …) dropped: invisible, the code is the one the operator sees (values.INVISIBLE)
    return ser.scatter(at, ser.gather(at).str.normalize("NFKC").str.replace_all(INVISIBLE_PATTERN, ""))


def _nfkc(e: pl.Expr) -> pl.Expr:
    return e.map_batches(_nfkc_series, return_dtype=pl.String, is_elementwise=True)


def _lit(s: str) -> pl.Expr:
    return pl.lit(s, dtype=pl.String)


def _p(name: str) -> str:
    return f"__p__{name}"


class _Staging(threading.local):
    """Temporary columns collected while one table's plan is built; per thread, so tables of one run can
    be validated at the same time."""

    def __init__(self) -> None:
        self.levels: list[list[pl.Expr]] = [[], [], []]  # text; fast path; scalar fallback

    def clear(self) -> None:
        for level in self.levels:
            level.clear()


_STAGING = _Staging()
# guards the in-place rewrite of a run's shared identifier tables (``shared``), which tables validated at the same time
# read and add to
_SHARED_LOCK = threading.Lock()


def _stage(level: int, name: str, e: pl.Expr) -> pl.Expr:
    """Materialise ``e`` as a temporary column at ``level`` so later expressions reuse it (no re-evaluation)."""
    _STAGING.levels[level].append(e.alias(name))
    return pl.col(name)


def _parse(col: Column, dtype: pl.DataType, raw: RawTable) -> tuple[pl.Expr, list]:
    """Parsed value and faults ``(flag, zh, en, label)`` of one column (:mod:`wengang.ingest.columns`)."""
    c = pl.col(col.name)
    if col.kind == "money":
        return C.money(c, col.name, dtype, raw.units.get(col.name, FEN), stage=_stage)
    if col.kind == "ten_thousand_yuan":
        return C.ten_thousand_yuan(c, col.name, dtype, stage=_stage)
    if col.kind == "skill_level":
        return C.skill_level(c, col.name, dtype, stage=_stage)
    if col.kind == "count" or col.dtype == pl.Int64:
        return C.integer(c, col.name, dtype, nonneg=col.kind == "count", stage=_stage)
    if col.kind == "date":
        return C.dates(c, col.name, dtype, raw.excel_epoch, stage=_stage)
    if col.kind == "month":
        return C.months(c, col.name, dtype, raw.excel_epoch, stage=_stage)
    if col.kind == "bool":
        return C.boolean(c, col.name, dtype, stage=_stage)
    if col.kind == "enum":
        return C.enum(c, col.name, col.choices, stage=_stage)
    raise ValueError(col.kind)


def month_index(e: pl.Expr) -> pl.Expr:
    """A ``YYYY-MM`` text's month index, year·12 + month − 1 (Int32): months compare and subtract as integers."""
    return e.str.slice(0, 4).cast(pl.Int32) * 12 + e.str.slice(5, 2).cast(pl.Int32) - 1


_MONTH_INDEXES = 10_000 * 12  # every month of a four-digit year


@functools.cache
def _month_starts() -> pl.Series:
    i = pl.int_range(0, _MONTH_INDEXES, dtype=pl.Int32, eager=True)
    return pl.select(pl.date(i // 12, i % 12 + 1, 1)).to_series()


def month_index_start(e: pl.Expr) -> pl.Expr:
    """The first day of the month whose index (:func:`month_index`) is ``e`` (null outside years 0000–9999): looked up
    in a table of every month's first day, not built per row (``pl.date`` over 12 M rows was 0.2 s of the 1 M screen)."""
    inside = e.is_between(0, _MONTH_INDEXES - 1)
    return pl.when(inside).then(pl.lit(_month_starts()).gather(e.clip(0, _MONTH_INDEXES - 1)))


def _month_start(e: pl.Expr) -> pl.Expr:
    return (e + "-01").str.to_date("%Y-%m-%d", strict=False)


def _rle_id(col: pl.Series) -> pl.Series:
    """``col.rle_id()`` (run numbers: consecutive equal values, nulls equal) worked out chunk by chunk. Over the
    chunks of a streaming read (10^7 credit codes in 14 chunks) ``rle_id`` walks the values through a
    multi-chunk iterator, twice as slow as over one chunk; rechunking first would copy every text. Each
    chunk's runs are numbered on their own and shifted to follow the previous chunk's, joined to its last run
    where the chunk starts with the value that one ends with."""
    chunks = [ch for ch in col.get_chunks() if ch.len()]
    if len(chunks) <= 1:
        return col.rle_id()
    parts: list[pl.Series] = []
    offset = 0
    last: pl.Series | None = None
    for ch in chunks:
        rid = ch.rle_id()
        if last is not None:
            offset += 0 if ch.head(1).eq_missing(last).item() else 1
        parts.append(rid + offset if offset else rid)
        offset += int(rid[-1])
        last = ch.tail(1)
    return pl.concat(parts, rechunk=False).alias(col.name).set_sorted()  # as rle_id flags its numbers


_SAMPLE_ROWS = 4096  # rows whose values _value_numbers takes first


def _value_numbers(col: pl.Series) -> tuple[pl.Series, pl.Series]:
    """The distinct values of a text column (nulls left out, in no particular order) and each row's number in
    that list, ``len(values)`` for a missing value: what ``unique`` then an Enum cast give, with the rows'
    texts hashed once, not twice. The values are taken from a sample of rows first (a month column's two dozen
    months show up in a few thousand rows), every row is cast to an Enum of them, and the few rows whose value
    the sample missed (a misspelt month) are numbered after them."""
    sample = col.gather_every(max(1, col.len() // _SAMPLE_ROWS)).unique(maintain_order=True).drop_nulls()
    idx = col.cast(pl.Enum(sample), strict=False).to_physical().cast(pl.UInt32)
    missed = idx.is_null() & col.is_not_null()
    if not missed.any():
        return sample, idx.fill_null(sample.len())
    rest = col.filter(missed)
    more = rest.unique(maintain_order=True)
    values = pl.concat([sample, more])
    numbers = rest.cast(pl.Enum(more)).to_physical().cast(pl.UInt32) + sample.len()
    return values, idx.scatter(missed.arg_true(), numbers).fill_null(values.len())


def _per_distinct(
    df: pl.DataFrame, name: str, build, few_values: bool, shared: tuple[dict, tuple] | None = None
) -> tuple[pl.DataFrame, pl.Series, bool]:
    """What ``build`` (LazyFrame → LazyFrame) derives from column ``name`` alone, computed once per
    distinct value: the per-value table, each row's index into it (same order as ``df``) and whether
    that index is the row's run number (consecutive equal values share one table row).

    Sorted inputs (a unit's twelve monthly rows together) are handled run by run; others value by value.
    ``shared`` (a cache, the key of ``build``): a table built from exactly the same values (same order)
    by another table's validation is reused (the registry, the headcount and the monthly runs usually
    list the same codes in the same order).
    """

    def built(values: pl.Series) -> pl.DataFrame:
        if shared is None:
            return build(values.to_frame().lazy()).collect()
        cache, key = shared
        entries = cache.setdefault(key, [])  # every table's codes are kept: the registry's must stay
        for seen, table in entries:
            if seen.equals(values):
                return table
        table = build(values.to_frame().lazy()).collect()
        with _SHARED_LOCK:
            entries.append((values, table))
        return table

    col = df.get_column(name)
    head = col.head(10_000)
    # months change row to row, and a registry's codes too: a look at the head saves a pass over every row (either
    # way the table and numbers are exact; runs only make the table smaller)
    runs_likely = head.len() > 0 and (int(head.rle_id()[-1]) + 1) * 4 <= head.len()
    rid = _rle_id(col) if runs_likely else None
    if rid is not None and df.height and (int(rid[-1]) + 1) * 4 <= df.height:
        # the mask in one chunk: a mask of several (the shift's) made the filter rechunk the whole column first,
        # copying every row's text (10^7 codes); against one chunk it is split to the column's chunks instead
        reps = col.filter((rid != rid.shift(1)).fill_null(True).rechunk())
        return built(reps), rid, True
    if not few_values:
        return built(col), pl.int_range(0, df.height, dtype=pl.UInt32, eager=True), True
    if col.dtype == pl.String:
        values, idx = _value_numbers(col)
    else:
        values = col.unique(maintain_order=True).drop_nulls()
    table = build(pl.concat([values, pl.Series(name, [None], dtype=col.dtype)]).to_frame().lazy()).collect()
    if col.dtype != pl.String:
        keys = table.select(name).with_row_index("__i")
        idx = col.to_frame().join(keys, on=name, how="left", maintain_order="left", nulls_equal=True)["__i"]
    return table, idx, False


def _duplicates_in_runs(ids: pl.Series, months: pl.Series, ids_are_runs: bool = False) -> pl.Series | None:
    """Rows whose (identifier, month index) pair repeats, both present — without hashing every row.

    Applies when the rows come as runs (each identifier in one run of consecutive rows, months ascending
    within it): then equal pairs are neighbours. The few runs with a missing month are checked by
    hashing their rows. ``None`` otherwise (the caller hashes instead). ``ids_are_runs``: ``ids`` are
    run numbers already (one run per value, no nulls).
    """
    if ids.len() == 0 or ids.null_count():
        return None  # nothing to do, or rows without an identifier interrupt runs: the caller hashes
    if not ids_are_runs:
        run = ids.rle_id()
        starts = (run != run.shift(1)).fill_null(True)
        if ids.filter(starts).n_unique() != int(run[-1]) + 1:  # an identifier in two runs
            return None
    i, m = pl.col("i"), pl.col("m")
    frame = pl.DataFrame({"i": ids, "m": months})
    n = ids.len()
    # the usual case first: within each run the months strictly ascend (a missing month skipped), so no two
    # neighbours agree and no row is a repeat. Each row against the next as zero-copy slices, not shifted copies
    prev, nxt = frame.slice(0, n - 1), frame.slice(1)
    if pl.DataFrame({"i0": prev["i"], "m0": prev["m"], "i1": nxt["i"], "m1": nxt["m"]}).select(
        ((pl.col("i1") != pl.col("i0")) | (pl.col("m1") > pl.col("m0")).fill_null(True)).all()
    ).item():
        dup = pl.repeat(False, n, dtype=pl.Boolean, eager=True).alias("dup")
    else:
        same = (i == i.shift(1)).fill_null(False)
        pair = same & (m == m.shift(1)).fill_null(False)
        out = frame.select(
            # months ascend within a run (a missing month is skipped here; its run is hashed below)
            (~same | (m >= m.shift(1)).fill_null(True)).all().alias("ordered"),
            (pair | pair.shift(-1).fill_null(False)).implode().alias("dup"),
        )
        if not out.item(0, "ordered"):
            return None
        dup = out.item(0, "dup")
    if months.null_count():
        # a run with a missing month may hide a repeat behind it: hash those runs' rows
        gaps = frame.filter(m.is_null()).get_column("i").unique()
        rows = _rows_with(ids, gaps)
        part = frame.filter(rows)
        hashed = part.select((pl.struct("i", "m").is_duplicated() & m.is_not_null()).alias("d")).to_series()
        dup = dup.scatter(rows.arg_true(), hashed)
    return dup


def _paid_before_start(table: str, name: str, frame: pl.DataFrame, schema: pl.Schema, starts: pl.Series) -> bool:
    """Whether the contributions' check "paid more than N years before the month covered" needs each row's
    month start less N years (``starts``: one per distinct month): not for another month column, nor when
    the payment dates are dates as read (their parsed value) and none lies before the latest such start —
    then the check fires on no row, and the per-row starts (a gather of 10^7 dates) are not made."""
    if table != "contributions" or name != "month" or "paid_date" not in schema:
        return False
    if schema["paid_date"] != pl.Date:
        return True  # parsed from text in the rows' query: not known here
    earliest: Any = frame.get_column("paid_date").min()  # dates (or None): Polars types them as any value
    latest: Any = starts.max()
    return bool(earliest is not None and latest is not None and earliest < latest)


def _rows_with(ids: pl.Series, numbers: pl.Series) -> pl.Series:
    """``ids.is_in(numbers)``. When ``ids`` ascend with no null (run numbers, a registry numbering in its own
    order) the rows of each number are one range, found by binary search: no lookup of every row."""
    if not ids.len() or ids.null_count() or not ids.is_sorted():
        return ids.is_in(numbers.cast(ids.dtype).implode())
    numbers = numbers.drop_nulls().cast(ids.dtype).unique().sort()
    lo, hi = ids.search_sorted(numbers, side="left"), ids.search_sorted(numbers, side="right")
    index = pl.get_index_type()
    rows = pl.select(pl.int_ranges(lo, hi, dtype=index).explode().drop_nulls()).to_series()
    return pl.repeat(False, ids.len(), dtype=pl.Boolean, eager=True).scatter(rows, True).alias(ids.name)


def _all_distinct(values: pl.Series) -> bool:
    """No two values of ``values`` (no null) are equal: ``values.n_unique() == values.len()``, told by sorting them
    on one core and comparing neighbours — for a million 64-bit hashes less than half the CPU of the hash table
    ``n_unique`` builds (or of a sort on every core)."""
    s = values.sort(multithreaded=False)
    return s.len() < 2 or not (s.slice(1) == s.slice(0, s.len() - 1)).any()


_U64 = (1 << 64) - 1  # every bit of a 64-bit hash


def _hash_index(hashes: pl.Series) -> tuple[pl.Series, int] | None:
    """The registry's code hashes as a sorted index, made by the same one-core sort :func:`_all_distinct` does: each
    hash's high bits with its row number in the ``bits`` low ones (``bits``: enough for the row numbers), sorted.
    ``None`` when two hashes agree in their high bits (then :func:`_all_distinct` decides; 1 M codes: about one
    registry in thirty-five). Otherwise the hashes are distinct, and another table's code can be looked up
    (:func:`_numbers_from_index`) by a binary search, not by marking a million rows' hash buckets for each table."""
    n = hashes.len()
    bits = max(1, (n - 1).bit_length())
    if not n or bits > 32:
        return None
    high = pl.lit(_U64 ^ ((1 << bits) - 1), dtype=pl.UInt64)
    packed = (
        hashes.to_frame("h").select((pl.col("h") & high) | pl.int_range(pl.len(), dtype=pl.UInt64)).to_series()
    ).sort(multithreaded=False)
    tops = packed.to_frame("p").select(pl.col("p") & high).to_series()
    return None if (tops.slice(1) == tops.slice(0, n - 1)).any() else (packed, bits)


def _numbers_from_index(index: tuple[pl.Series, int], registry_codes: pl.Series, codes: pl.Series, hashes: pl.Series) -> pl.Series:
    """Each of ``codes`` (hashed as the registry's were: ``hashes``) as its registry row number, null where the
    registry does not have it. ``index``: :func:`_hash_index` of the registry's hashes (their high bits distinct).
    A code the registry has at row r has r's hash, whose high bits no other row shares: the first entry at or after
    the code's high bits is r's. So the first entry's row is the code's exactly when the texts there agree."""
    packed, bits = index
    tops = hashes.to_frame("h").select(pl.col("h") & pl.lit(_U64 ^ ((1 << bits) - 1), dtype=pl.UInt64)).to_series()
    # (past the last entry: the last one, whose text then differs)
    entry = packed.gather(packed.search_sorted(tops, side="left").clip(upper_bound=packed.len() - 1))
    row = entry.to_frame("e").select((pl.col("e") & pl.lit((1 << bits) - 1, dtype=pl.UInt64)).cast(pl.UInt32)).to_series()
    return (
        pl.DataFrame({"row": row, "v": codes, "r": registry_codes.gather(row)})
        .select(pl.when(pl.col("r") == pl.col("v")).then(pl.col("row")).alias("__k"))
        .to_series()
    )


def registry_numbers(shared: dict | None, codes: pl.Series) -> pl.Series | None:
    """``codes`` (credit codes as the registry's accepted rows have them) numbered by the registry validated with
    ``shared`` (``validate_table(registry=True, key_out=...)``): each code's registry row, null where the registry
    does not have it. ``None`` when the registry kept no sorted hashes (:func:`_hash_index`: its codes repeat, or
    two hashes agree in their high bits) — the caller then finds the codes its own way."""
    entry = shared.get("__registry__") if shared is not None else None
    if entry is None or entry[3] is None:
        return None
    reg, reg_name, _, index = entry
    return _numbers_from_index(index, reg.get_column(_p(reg_name)), codes, codes.hash(seed=_CODE_HASH_SEED))


def _runs_repeat(runs: pl.Series) -> bool:
    """Some run number (consecutive equal values) covers more than one row."""
    return runs.len() > 0 and int(runs[-1]) + 1 < runs.len()


_CODE_HASH_SEED = 0x5747
_HASH_BUCKETS = 1 << 20  # buckets of code hashes: a registry row is a candidate when its bucket holds a wanted code


def _registry_key(
    table: pl.DataFrame,
    idx: pl.Series,
    name: str,
    shared: dict | None,
    registry: bool,
    local_key: str,
    extra: dict[str, pl.Series],
    hashes: pl.Series | None = None,
    index: tuple[pl.Series, int] | None = None,
) -> pl.Series:
    """Each row's number for its code in the run's registry numbering (see ``validate_table(key_out)``).

    ``hashes``: the table's parsed codes hashed with :data:`_CODE_HASH_SEED` when they are known to be distinct
    (the distinct verdict's); the registry's are kept for the lookups of later tables — or, when given, their sorted
    ``index`` (:func:`_hash_index`) in their stead."""
    if shared is None or (not registry and "__registry__" not in shared):
        return extra[local_key].cast(pl.UInt32)  # no registry: a key within this table
    if registry:
        # its rows number the codes: row i of the table is number i
        shared["__registry__"] = (table, name, hashes if index is None else None, index)
        shared.pop("__registry_codes__", None)
        return idx.cast(pl.UInt32)
    reg, reg_name, reg_hashes, reg_index = shared["__registry__"]
    if table is reg:  # the same codes in the same order (the identifier checks were shared too)
        return idx.cast(pl.UInt32)
    pc = pl.col(_p(name))
    if reg_index is not None:
        # the registry's hashes sorted with their rows (made by its distinct verdict's sort): a binary search each
        codes = table.lazy().select(pc.alias("__v"), pc.hash(seed=_CODE_HASH_SEED).alias("__h")).collect()
        numbers = _numbers_from_index(
            reg_index, reg.get_column(_p(reg_name)), codes.get_column("__v"), codes.get_column("__h")
        )
        return _quarantined_registry_rows(numbers, codes.get_column("__v"), shared).rechunk().gather(idx)
    registry_codes = shared.get("__registry_codes__")
    if registry_codes is None:
        reg_codes = reg.get_column(_p(reg_name))
        hashed = reg_hashes if reg_hashes is not None else reg_codes.hash(seed=_CODE_HASH_SEED)
        registry_codes = pl.DataFrame(
            {
                "__v": reg_codes,
                "__k": pl.int_range(0, reg.height, dtype=pl.UInt32, eager=True),
                "__h": hashed,
                "__b": (hashed % _HASH_BUCKETS).cast(pl.UInt32),
            }
        )
        shared["__registry_codes__"] = registry_codes
    codes = table.lazy().select(pc.alias("__v"), pc.hash(seed=_CODE_HASH_SEED).alias("__h")).collect()
    wanted = codes.filter(pl.col("__v").is_not_null()).get_column("__h")
    # the registry rows that may have these codes: those whose hash falls in a bucket of the codes' hashes (a bit
    # per bucket, looked up for each registry row: no set of texts, nor of hashes, probed a million times for each
    # table, nor a hash table of all the registry's codes); the joins below match the codes exactly
    marks = pl.zeros(_HASH_BUCKETS, dtype=pl.Boolean, eager=True).scatter((wanted % _HASH_BUCKETS).cast(pl.UInt32), True)
    found = registry_codes.filter(marks.gather(registry_codes.get_column("__b")))
    if reg_hashes is not None:
        # the registry's hashes are distinct: a code can only be the registry row with its hash, if the texts agree
        numbers = (
            codes.join(found.select("__h", "__k", pl.col("__v").alias("__r")), on="__h", how="left", maintain_order="left")
            .select(pl.when(pl.col("__v") == pl.col("__r")).then(pl.col("__k")).alias("__k"))
            .get_column("__k")
        )
    else:
        # a code the registry lists twice takes its first number (those units are quarantined anyway)
        found = found.select("__v", "__k").unique("__v", keep="first", maintain_order=True)
        numbers = codes.drop("__h").join(found, on="__v", how="left", maintain_order="left").get_column("__k")
    return _quarantined_registry_rows(numbers, codes.get_column("__v"), shared).rechunk().gather(idx)


def loose_code(column: str) -> pl.Expr:
    """A code as its letters and digits only (NFKC, upper case; every other character dropped): how a registry row
    quarantined for the form of its code is still recognised as the unit another table names."""
    return _nfkc(pl.col(column).cast(pl.String)).str.to_uppercase().str.replace_all(r"[^0-9A-Z]", "")


def _quarantined_registry_codes(bad: pl.DataFrame, raw_code: str, numbers: str) -> pl.DataFrame:
    """The registry's quarantined rows as (``__l``: :func:`loose_code` of the code as written, ``__k``: the row's
    registry number), one per code, for :func:`_quarantined_registry_rows`."""
    return (
        bad.select(loose_code(raw_code).alias("__l"), pl.col(numbers).cast(pl.UInt32).alias("__k"))
        .filter(pl.col("__l").is_not_null() & (pl.col("__l") != "") & pl.col("__k").is_not_null())
        .unique("__l", keep="first", maintain_order=True)
    )


def _quarantined_registry_rows(numbers: pl.Series, codes: pl.Series, shared: dict) -> pl.Series:
    """``numbers`` (each distinct code's registry number, null where the registry has no such code) with a code the
    registry has only in a quarantined row whose code it could not read (``９１…`` before NFKC, a stray character)
    given that row's number: the row then says the unit's registry row is quarantined (as for a unit quarantined for
    any other field), not that the registry has no such unit. Nothing to do in the usual run (every code found, or
    no registry row quarantined)."""
    bad = shared.get("__registry_bad_codes__")
    if bad is None or bad.height == 0 or not numbers.null_count():
        return numbers
    at = (numbers.is_null() & codes.is_not_null()).arg_true()
    if at.len() == 0:
        return numbers
    wanted = codes.gather(at).to_frame("__c").select(loose_code("__c").alias("__l"))
    found = wanted.join(bad, on="__l", how="left", maintain_order="left").get_column("__k")
    hit = found.is_not_null()
    if not hit.any():
        return numbers
    return numbers.scatter(at.filter(hit), found.filter(hit).cast(numbers.dtype))


def _cell_errors(raw: RawTable, name: str) -> tuple[pl.Expr, pl.Expr, pl.Expr] | None:
    """Rows whose cell of ``name`` was not read (an XLSX formula or error value): flag, reason zh, en."""
    errs = raw.cell_errors.get(name)
    if not errs:
        return None
    rows = list(errs)
    r = pl.col("source_row").cast(pl.Int64)

    def reason(i: int) -> pl.Expr:
        return r.replace_strict(rows, [e[i] for e in errs.values()], default=None, return_dtype=pl.String)

    return r.is_in(rows), reason(0), reason(1)


def _integer_bounds(frame: pl.DataFrame, cols: list[Column]) -> dict[str, tuple[Any, Any]]:
    """Bounds ``(lo, hi)`` enclosing the values of each Int64 money, count or integer column (``None`` when every
    value is missing), for :func:`_integers_within`. One pass over each column tells whether its values lie in
    ``[0, limit]`` (the usual case: then that is the bound); only a column with values outside it is read again
    for its least and greatest. An Int64 column that is neither money nor a count has no bound to check."""
    counted = ("money", "count", "ten_thousand_yuan")  # (a 万元 column of integers is read as a count)
    ints = [c for c in cols if frame.schema[c.name] == pl.Int64 and (c.kind in counted or c.dtype == pl.Int64)]
    limit = {c.name: MAX_AMOUNT_FEN if c.kind == "money" else MAX_COUNT for c in ints if c.kind in counted}
    bounds: dict[str, tuple[Any, Any]] = {c.name: (0, 0) for c in ints if c.name not in limit}
    if not limit:
        return bounds
    # a negative value read as unsigned is above any limit: one comparison tells both ends
    inside = frame.select(
        (pl.col(n).reinterpret(signed=False) <= lim).all().alias(n) for n, lim in limit.items()
    ).row(0, named=True)
    bounds |= {n: (0, lim) for n, lim in limit.items() if inside[n]}
    rest = [n for n in limit if not inside[n]]
    if rest:
        span = frame.select(*(pl.col(n).min().alias(f"lo{i}") for i, n in enumerate(rest)),
                            *(pl.col(n).max().alias(f"hi{i}") for i, n in enumerate(rest))).row(0, named=True)
        bounds |= {n: (span[f"lo{i}"], span[f"hi{i}"]) for i, n in enumerate(rest)}
    return bounds


def _integers_within(col: Column, raw: RawTable, lo: Any, hi: Any, v: pl.Expr, faults: list) -> tuple[pl.Expr, list]:
    """``columns.money`` / ``columns.integer`` of an Int64 column whose least and greatest values are ``lo`` and
    ``hi``: when every value is in range (amounts in fen), the parsed value is the column itself, not a
    guarded copy, and the checks that cannot fire (out of range; negative, when none is) are left out; those
    that can are the same comparisons on the column. Same rows, reasons and values as the checks given."""
    c = pl.col(col.name)
    if lo is None:  # every value missing: nothing to spare
        return v, faults
    if col.kind == "money":
        if raw.units.get(col.name, FEN) != FEN or lo < -MAX_AMOUNT_FEN or hi > MAX_AMOUNT_FEN:
            return v, faults
        never = {"amount out of range"} | ({"negative amount"} if lo >= 0 else set())
        on_column = {"negative amount": c < 0}
    else:  # an Int64 read as Int64: the cast changes nothing
        never = {"out of range"} | ({"more than 10^9"} if hi <= MAX_COUNT else set()) | ({"negative"} if lo >= 0 else set())
        on_column = {"more than 10^9": c > MAX_COUNT, "negative": c < 0}
    kept = [f for f in faults if f[3] not in never]
    if any(f[3] not in on_column for f in kept):  # a check this does not know: the column's own reading stands
        return v, faults
    return c, [(on_column[f[3]], *f[1:]) for f in kept]


def _missing(c: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    return c.is_null() if dtype != pl.String else (c.is_null() | (c.str.strip_chars() == ""))


def _blank_value(domain: pl.Series, dtype: pl.DataType) -> bool:
    """Some value of ``domain`` (a column's distinct values) is written but :func:`_missing` all the same."""
    c = pl.col(domain.name)
    return bool(domain.to_frame().select((_missing(c, dtype) & c.is_not_null()).any()).item())


# kinds whose reading and checks depend on the value alone (None: plain text), often few distinct values a table
_BY_VALUE_KINDS = ("enum", "region", "bool", "date", "text", None)


def _few_values(col: pl.Series) -> pl.Series | None:
    """The distinct values of ``col`` (nulls included) when there are few: at most a quarter of the rows (a look at
    the head first, so a column of mostly distinct values is not hashed whole for nothing)."""
    head = col.head(10_000)
    if head.n_unique() * 4 > head.len():
        return None
    values = col.unique()
    return values if values.len() * 4 <= col.len() else None


def _by_value(domain: pl.Series, v: pl.Expr, faults: list, staged_from: list[int]) -> pl.Expr | None:
    """``v`` as a lookup of its values worked out once per distinct value in ``domain``, when no value has a
    fault (the usual case: then the column adds no check); ``None`` otherwise, and the row-wise expressions
    stand. The columns ``v`` and ``faults`` read that were staged since ``staged_from`` are moved to the small
    frame of values (taken off the staging levels) when the lookup is used."""
    stages = [level[n:] for level, n in zip(_STAGING.levels, staged_from, strict=True)]
    d = domain.to_frame().lazy()
    for level in stages:
        if level:
            d = d.with_columns(level)
    bad = pl.any_horizontal([f[0].fill_null(False) for f in faults]) if faults else pl.lit(False)
    name = domain.name
    table = d.select(pl.col(name), v.alias("__v"), bad.alias("__bad")).collect()
    if table.get_column("__bad").any():
        return None
    if table.filter(pl.col(name).is_null()).get_column("__v").is_not_null().any():
        return None  # a missing value that reads as something: not what a lookup of the values gives
    known = table.filter(pl.col(name).is_not_null())
    old = known.get_column(name)
    if isinstance(old.dtype, pl.Categorical | pl.Enum):
        old = old.cast(pl.String)
    for level, n in zip(_STAGING.levels, staged_from, strict=True):
        del level[n:]
    if domain.dtype == table.schema["__v"] and known.get_column("__v").equals(old):
        return pl.col(name)  # every value reads as itself (codes written as codes): the column as it is
    return pl.col(name).replace_strict(
        old, known.get_column("__v"), default=None, return_dtype=table.schema["__v"]
    )


def _read_industry_code(code: str) -> str:
    problem = industry_code_problem(code)
    if problem is not None:
        raise ValueProblem(*problem)
    return normalise_code(code)


def _industry_code(v: pl.Expr) -> tuple[pl.Expr, list]:
    """An industry code (text, stripped, null when blank) read once per distinct value (:mod:`wengang.facts.industries`):
    the code as read, and the fault of one that is not a code or whose section letter its digits contradict."""
    fb = _stage(2, "__fb_industry_code", C.fallback(v, _read_industry_code, pl.String()))
    zh = fb.struct.field("zh")
    return fb.struct.field("v"), [(zh.is_not_null(), zh, fb.struct.field("en"), "not an industry code")]


# codes kept as text that are not identifiers checked above: read after NFKC and with ="…" unwrapped
CODE_COLUMNS = ("occupation_code",)
# Excel's text-forcing form of a cell in a CSV export: ="150502" (the value is inside; outside audit F8, session 38)
EXCEL_TEXT_PATTERN = f"^{EXCEL_TEXT.pattern}$"


def _unwrap_excel_text_series(ser: pl.Series) -> pl.Series:
    # almost no value is so written: looked for first (a cheap prefix test), replaced only where one is
    wrapped = ser.str.starts_with('="')
    if not wrapped.any():
        return ser
    at = wrapped.arg_true()
    return ser.scatter(at, ser.gather(at).str.replace(EXCEL_TEXT_PATTERN, "${1}").str.strip_chars())


def _unwrap_excel_text(v: pl.Expr) -> pl.Expr:
    """``="…"`` (Excel's text-forcing export form) read as the value inside; any other value as it is."""
    return v.map_batches(_unwrap_excel_text_series, return_dtype=pl.String, is_elementwise=True)


def _three_digit_note(raw: RawTable, codes: pl.Series) -> None:
    """A note on industry codes of 3 digits and no section letter (``511``): read as today, by their division (51),
    but a 4-digit code whose leading 0 a number cell dropped (``0511``) looks the same (outside audit F1, session 38)."""
    distinct = codes.drop_nulls().unique()
    three = distinct.filter(distinct.str.strip_chars().str.contains(r"^[0-9]{3}$")).sort()
    if not three.len():
        return
    shown = "、".join(three.head(5).to_list()) + (f" 等 {three.len()} 个" if three.len() > 5 else "")
    raw.notes.append(
        f"国民经济行业代码 {shown} 为3位数字、无门类字母，按其前两位大类读取（如 511 为 51 批发业）；如为首位的0被数值单元格去掉的"
        f"4位代码（如 0511），请以文本格式重新导出 / industry codes {', '.join(three.head(5).to_list())} have 3 digits and no "
        f"section letter: read by their first two digits (511 as division 51); if they are 4-digit codes whose leading 0 a "
        f"number cell dropped (0511), export them as text"
    )


def _region_as_code(v: pl.Expr) -> pl.Expr:
    """A region code as a spreadsheet may give it: ``150522.0`` (a number cell read as text) is 150522 (outside audit
    F8, session 37: every unit of such a file was quarantined as outside the run's regions); full-width digits
    (``１５０５２２``) are the digits they show (NFKC: decisions.md, identifiers everywhere they are read) and ``="150522"``
    is 150522 (outside audit F3, F8, session 38)."""
    return _unwrap_excel_text(_nfkc(v)).str.replace(r"^([0-9]{6})\.0+$", "${1}")


def _region_faults(v: pl.Expr, allowed_regions: set[str] | frozenset[str] | None) -> list:
    """The faults of a region code read as ``v``: outside the allowed set (when given), or not 6 digits."""
    if allowed_regions is not None:
        return [
            (
                v.is_not_null() & ~v.is_in(sorted(allowed_regions)),
                "行政区划代码不在本次允许范围内",
                "region code is not in the allowed set",
            )
        ]
    # [0-9], not \d: Polars' \d matches every Unicode digit (a full-width code passed it as typed)
    return [(v.is_not_null() & ~v.str.contains(r"^[0-9]{6}$"), "行政区划代码应为6位数字", "region code must be 6 digits")]


# a value that reading as text changes: blank, or with white space at an end (what ``str.strip_chars()`` strips:
# Unicode White_Space, as the regex's ``\s``); and, for a name, what ``mask_text_series`` looks at
_NOT_AS_WRITTEN = r"^$|^\s|\s$"
_MASKABLE = r"\d{4}[ -]?\d{4}"


def _reads_as_written(col: pl.Series, masked: bool) -> bool:
    """Every value of the text column ``col`` reads as itself: stripping leaves it as it is and it is not blank, and
    (``masked``) ``mask_text_series`` would not look at it — so the parsed column is ``col`` and a value is missing
    exactly where it is null. One pass of one pattern over the values, instead of a strip (a copy of every text),
    the blank test and the masking's own pass."""
    pattern = f"{_NOT_AS_WRITTEN}|{_MASKABLE}" if masked else _NOT_AS_WRITTEN
    return not col.str.contains(pattern).any()


# MAX_PREMIUM_PER_PERSON_MONTH_FEN (schemas): the plausibility bound of a contributions row, and why


def _yuan_grouped(ser: pl.Series) -> pl.Series:
    """Fen as 元 with thousands separators and two decimals (``641600`` → ``6,416.00``); bad rows only."""
    return pl.Series(ser.name, [None if f is None else format_yuan(f).removesuffix("元") for f in ser.to_list()],
                     pl.String)


def _premium_implausible(field: str) -> tuple[pl.Expr, pl.Expr, pl.Expr, str]:
    """The contributions check of one amount column against :data:`MAX_PREMIUM_PER_PERSON_MONTH_FEN` per insured person:
    ``(flag, zh, en, label)``. One vectorised comparison over the rows (amounts ≤ 10^13 fen, persons ≤ 10^9, so the
    product stays far inside Int64); the per-person figure of the reason is computed on the bad rows only."""
    amount, persons = pl.col(_p(field)), pl.col(_p("insured_persons"))
    flag = (persons > 0) & (amount > persons * MAX_PREMIUM_PER_PERSON_MONTH_FEN)
    # per person, rounded up to the fen: a figure just over the bound never shows as the bound itself
    per = ((amount + persons - 1) // persons).map_batches(_yuan_grouped, return_dtype=pl.String)
    bound = f"{MAX_PREMIUM_PER_PERSON_MONTH_FEN // 100:,}"
    zh = pl.format(
        f"每人每月 {{}} 元（缴费人数 {{}} 人），超过失业保险费的合理上限（每人每月 {bound} 元）：疑为以分计的金额写在以元计的列中"
        "（中文表头不带单位时按元读；列中为分请在表头写“(分)”或用 --header-map 映射到 *_fen）",
        per, persons,
    )
    en = pl.format(
        f"{{}} yuan per insured person per month (insured persons: {{}}) is more than an unemployment-insurance premium can be "
        f"(at most {bound} yuan per person per month): probably an amount in fen in a column read in yuan "
        "(a Chinese header without a unit is read in yuan; for fen head the column “(分)” or map it to *_fen with --header-map)",
        per, persons,
    )
    return flag, zh, en, "implausible premium per person (fen in a yuan column?)"


# 滞纳金: at most 2‰ of the month's premium a day, from the first day of the month covered to the payment date — a
# generous bound: 社会保险法 第八十六条 adds 万分之五 a day from the day the premium fell due (before it, 《社会保险费征缴暂行
# 条例》第十三条 千分之二), and a premium falls due after its month starts
LATE_FEE_PER_DAY = (2, 1000)


def _late_fee_implausible(
    money_fields: list[str], month_start: pl.Expr | None = None
) -> tuple[pl.Expr, pl.Expr, pl.Expr, str]:
    """The contributions check of ``late_fee_fen`` against the month's premium (the larger of ``money_fields``, due and
    paid) and the days from the month's first day to the payment date, at :data:`LATE_FEE_PER_DAY` (outside bad-input
    audit, session 42: 分 under a header read as 元 made a late fee 100× too large, 2,089,600 fen for 20,896).
    A row with no premium, no payment date or no month that reads is not checked; the figures of the reason are
    computed on the bad rows only. ``month_start``: the month's first day from the per-row month index (the month
    text parsed again on every row had cost 0.7 s of the 1 M screen, session 43). ``(flag, zh, en, label)``."""
    fee = pl.col(_p("late_fee_fen"))
    premium = pl.max_horizontal([pl.col(_p(f)) for f in money_fields])
    start = _month_start(pl.col(_p("month"))) if month_start is None else month_start
    # (day numbers subtracted: a Duration and its total_days were a third of the check's CPU on 12 M rows)
    days = (pl.col(_p("paid_date")).to_physical() - start.to_physical()).clip(lower_bound=1)
    per, of = LATE_FEE_PER_DAY
    # (fen ≤ 10^13, days < 10^5: the products stay inside Int64)
    flag = (fee > 0) & (premium > 0) & (fee * of > premium * per * days)
    bound = ((premium * per * days) // of).map_batches(_yuan_grouped, return_dtype=pl.String)
    fee_y = fee.map_batches(_yuan_grouped, return_dtype=pl.String)
    prem_y = premium.map_batches(_yuan_grouped, return_dtype=pl.String)
    zh = pl.format(
        "{} 元超过该月保险费 {} 元按日千分之二、自所属期首日至缴费日 {} 天计的上限 {} 元（社会保险法第八十六条为按日万分之五）："
        "疑为以分计的金额写在以元计的列中（中文表头不带单位时按元读；列中为分请在表头写“(分)”或用 --header-map 映射到 late_fee_fen）",
        fee_y, prem_y, days, bound,
    )
    en = pl.format(
        "late fee {} yuan is more than 2‰ a day of the month's premium {} yuan over the {} days from the first day of the "
        "month covered to the payment date ({} yuan; the Social Insurance Law art. 86 charges 0.05% a day): probably an amount "
        "in fen in a column read in yuan (a Chinese header without a unit is read in yuan; for fen head the column “(分)” or "
        "map it to late_fee_fen with --header-map)",
        fee_y, prem_y, days, bound,
    )
    return flag, zh, en, "implausible late fee (fen in a yuan column?)"


# the faults of a 分 column (ingest.columns.money) that say a value is written as 元 are: a decimal point ("192.48",
# "89.00"), a fraction in a float column
_YUAN_LIKE = ("fen with a decimal point", "fen not whole")
FEN_COLUMN_IN_DOUBT = "fen column in doubt (other rows written as yuan)"
# the English reasons those faults are counted by (pipeline.refuse_fen_doubt_in_partitions)
FEN_NOT_WHOLE_EN = "an amount in fen must be a whole number"
FEN_DOUBT_EN_MARK = "is read in fen but some of its amounts are written as yuan"


def _fen_column_in_doubt(name: str, header: str, faults: list) -> tuple[pl.Expr, str, str, str] | None:
    """The column-wide check of a money column read in 分 (outside bad-input audit, session 42): when any row of the
    column is refused as written in 元 (a decimal point, a fraction), the column's unit is in doubt — its whole-number
    values (``89``) may be 元 as well as 分, and read as 分 they were 1/100 of what the file meant, while the refused
    rows left months unpaid. Every other row with a value in the column is quarantined too, with a reason naming the
    column, so a unit with rows in it is held, not decided on the rows that happened to be whole. ``(flag, zh, en,
    label)``, or None when no fault of the column says 元. (The Chinese reason is prefixed with the column's header, as
    every reason is; the English one names it.)"""
    looks = [f[0].fill_null(False) for f in faults if f[3] in _YUAN_LIKE]
    # the scalar reader's refusal of a decimal point (values.FenWithDecimalPoint: full-width digits, odd spacing)
    looks += [
        (f[0] & f[1].str.contains("不能带小数点", literal=True)).fill_null(False)
        for f in faults
        if f[3] == "not an amount" and isinstance(f[1], pl.Expr)
    ]
    if not looks:
        return None
    yuan_like = pl.any_horizontal(looks)
    flag = yuan_like.any() & ~yuan_like & pl.col(_p(name)).is_not_null()
    zh = (
        "该列以分为单位，但列中有金额以元的写法书写（带小数点），整列单位存疑：本行的整数金额是分还是元无法确定，"
        "不予采用（该列所有有金额的行均已隔离）；列中为元请在表头写“（元）”或用 --header-map 映射到以元计的字段，为分请全部写成整数分"
    )
    en = (
        f"the column {header!r} is read in fen but some of its amounts are written as yuan (with a decimal point): the "
        "column's unit is in doubt, so this row's whole number cannot be told fen from yuan and is not used (every row "
        "with an amount in the column is quarantined); for yuan head the column “(元)” or map it to a yuan field with "
        "--header-map, for fen write every amount as whole fen"
    )
    return flag, zh, en, FEN_COLUMN_IN_DOUBT


def validate_table(
    raw: RawTable,
    *,
    allowed_regions: set[str] | frozenset[str] | None = None,
    strict: bool = False,
    max_prepay_years: int = 1,
    as_of: date | None = None,
    check_duplicates: bool = True,
    key_out: str | None = None,
    shared: dict | None = None,
    month_index_out: str | None = None,
    key_column: str = "credit_code",
    registry: bool = False,
    without: tuple[str, ...] = (),
    lazy: bool = False,
    registered_only: bool = False,
    bad_keys: str | None = None,
    on_numbered: Callable[[], None] | None = None,
) -> ValidationResult:
    """Validate ``raw`` against its schema; return accepted rows (typed), the quarantine and a report.

    ``key_out``: also give the accepted rows a UInt32 column of that name, equal between two rows exactly
    when their (parsed) ``key_column`` is, so a caller can group and join on an integer instead of the
    string. Within one run (one ``shared``), the table validated with ``registry=True`` (the unit registry)
    defines the numbering: every later table's key is the registry's number for the same code, null for
    a code the registry does not have — so keys of different tables can be joined. Without a registry
    the key is a dense rank within the table.
    ``month_index_out``: also give them the ``month`` column's month index (year·12 + month − 1, Int32),
    computed once per distinct month.
    ``lazy``: return the accepted rows as a LazyFrame over the validated table (for a caller that reads
    them once, e.g. to aggregate 10^7 monthly rows).
    ``without``: columns left out of the accepted rows (a caller that has the keys above may not need the
    text; copying 10^7 strings into the accepted frame is the dearest part of keeping the good rows).
    ``shared``: a dict kept across calls (one run) so identifier checks of the same codes in the same order
    are computed once for several tables.
    ``registered_only`` (with ``key_out`` and a registry in ``shared``): a row whose code the registry does not
    have, or whose registry row was quarantined, is quarantined too (``单位登记信息中无此单位``).
    ``bad_keys``: give the quarantined rows' values of this column as written (``ValidationResult.held_keys``);
    by default the schema's ``hold_key``, or the key column of the registry.
    ``on_numbered`` (the registry, with ``key_out`` and ``shared``): called once the registry's numbering and its
    quarantined rows are in ``shared``, before its accepted rows are copied and its quarantine is made: from then on
    another thread may validate a later table of the run with the same ``shared``.
    """
    sch = raw.schema
    lf = raw.frame
    in_schema = lf.collect_schema()
    checks: list[_Check] = []
    parsed: dict[str, pl.Expr] = {}

    def add(
        fieldname: str,
        flag: pl.Expr,
        zh: str | pl.Expr,
        en: str | pl.Expr,
        label: str | None = None,
        deferred: bool = False,
    ):
        checks.append(
            _Check(
                fieldname,
                flag.fill_null(False),
                zh if isinstance(zh, pl.Expr) else _lit(zh),
                en if isinstance(en, pl.Expr) else _lit(en),
                deferred,
                label if isinstance(en, pl.Expr) else None,
            )
        )

    id_reason_cols: list[tuple[str, str]] = []
    # identifiers and months repeat (a unit's code on each of its monthly rows; two dozen months): parse
    # and check each distinct value once, then spread the results back to the rows
    frame = lf.collect(engine="streaming")
    if "industry_code" in in_schema and in_schema["industry_code"] == pl.String:
        _three_digit_note(raw, frame.get_column("industry_code"))
    int_key: dict[str, str] = {}  # key column → an integer column equal exactly when the parsed values are
    extra: dict[str, pl.Series] = {}
    lookups: dict[str, tuple[pl.DataFrame, list[str]]] = {}  # per-value columns only bad rows need
    months: dict[str, pl.Series] = {}  # a month column's parsed distinct values (ValidationResult.months)
    clean: set[str] = set()  # columns checked per distinct value with no faulty value at all

    def vbad(name: str) -> pl.Expr:
        """The row's value of ``name`` has a fault (checked per distinct value)."""
        return pl.lit(False) if name in clean else pl.col(f"__vbad__{name}")

    def check_distinct(col: Column, frame: pl.DataFrame = frame, extra: dict[str, pl.Series] = extra) -> None:
        """Check column ``col`` once per distinct value and spread the verdicts back to the rows (``extra``)."""
        name, dtype = col.name, in_schema[col.name]
        c = pl.col(name)
        as_is: list[bool] = []  # build took the codes as written for the parsed ones (not a cached table)
        if col.kind == "month":
            _STAGING.clear()
            v, faults = _parse(col, dtype, raw)
            stages = [list(level) for level in _STAGING.levels]
            _STAGING.clear()
            ((flag, mzh, men, _label),) = faults
            pm = pl.col(_p(name))

            def build(
                d, v=v, flag=flag, mzh=mzh, men=men, stages=stages, c=c, dtype=dtype, name=name, pm=pm, req=col.required
            ):
                for level in stages:
                    if level:
                        d = d.with_columns(level)
                mf, miss = flag.fill_null(False), _missing(c, dtype)
                return d.with_columns(v.alias(_p(name))).select(
                    name,
                    pm,
                    mf.alias(f"__mf__{name}"),
                    (mzh if isinstance(mzh, pl.Expr) else _lit(mzh)).alias(f"__mzh__{name}"),
                    (men if isinstance(men, pl.Expr) else _lit(men)).alias(f"__men__{name}"),
                    miss.alias(f"__miss__{name}"),
                    (mf | miss if req else mf).alias(f"__vbad__{name}"),
                    month_index(pm).alias(f"__mi__{name}"),
                    _month_start(pm).dt.offset_by(f"-{max_prepay_years}y").alias(f"__mso__{name}"),
                )

            rows = [f"__vbad__{name}", f"__mi__{name}", f"__mso__{name}"]
            later = [f"__mf__{name}", f"__miss__{name}", f"__mzh__{name}", f"__men__{name}"]
            int_key[name] = f"__mi__{name}"
        else:
            # NFKC first: a full-width code (９１１５…ＭＡ…) is the code it shows (values.identifier_text)
            # ="…" (Excel's text-forcing export form) is the value inside (outside audit F8, session 38)
            s = _unwrap_excel_text(_nfkc(c.cast(pl.String)).str.strip_chars())
            v = pl.when(s == "").then(None).otherwise(s)
            v = (
                v.str.replace_all(r"[ \-]", "").str.to_uppercase()
                if col.kind == "credit_code"
                else v.str.to_uppercase()
            )
            rc = f"__r__{name}"

            def build(d, v=v, c=c, dtype=dtype, name=name, kind=col.kind, rc=rc, req=col.required, as_is=as_is):
                codes = kind == "credit_code" and dtype == pl.String
                # the usual extract, every code in a code's form: its checks in one pass (the form told by that pass)
                # (missing codes, a registry's legal entities' many, given their reason apart from the formed ones)
                checked = (
                    credit_code_reasons_if_formed_or_missing(d.collect().to_series(), rc, f"__x__{name}")
                    if codes
                    else None
                )
                # otherwise: not "formed" (that pass said so), maybe normalised already
                normalised = checked is None and codes and credit_codes_written_normalised(d, name)
                form = "normalised" if normalised else None
                if checked is not None:
                    d = checked.lazy().select(
                        name, c.alias(_p(name)), c.is_null().alias(f"__miss__{name}"), rc, f"__x__{name}"
                    )
                    as_is.append(True)  # the parsed codes are the codes (``same`` below), a missing one null
                elif form is not None:
                    # the usual extract: codes as a code is written, so normalising would copy them unchanged
                    d = d.with_columns(c.alias(_p(name)), pl.lit(False).alias(f"__miss__{name}"))
                    d = credit_code_reasons(
                        d, name, rc, expected_out=f"__x__{name}", normalised=_p(name), in_form=form,
                        expected_value=True,
                    )
                    as_is.append(True)  # the parsed codes are the codes (``same`` below)
                elif kind == "credit_code":
                    d = d.with_columns(v.alias(_p(name)), _missing(c, dtype).alias(f"__miss__{name}"))
                    d = credit_code_reasons(
                        d, name, rc, expected_out=f"__x__{name}", normalised=_p(name), expected_value=True
                    )
                else:
                    d = d.with_columns(v.alias(_p(name)), _missing(c, dtype).alias(f"__miss__{name}"))
                    d = id_number_reasons(d, _p(name), rc)  # as parsed: NFKC (full-width digits), upper case
                r = pl.col(rc)
                idbad = (r.is_not_null() & (r != "empty")).fill_null(False)
                miss = pl.col(f"__miss__{name}")
                return d.with_columns(
                    idbad.alias(f"__idbad__{name}"),
                    (idbad | miss if req else idbad).alias(f"__vbad__{name}"),
                )

            rows = [f"__vbad__{name}"]
            later = [f"__miss__{name}", f"__idbad__{name}", rc]
            later += [f"__x__{name}"] if col.kind == "credit_code" else []
            int_key[name] = f"__id__{name}"
        share = None
        if shared is not None and col.kind != "month":
            share = (shared, (name, col.kind, str(dtype), col.required))
        table, idx, in_runs = _per_distinct(frame, name, build, few_values=col.kind == "month", shared=share)
        if col.kind == "month" and not _paid_before_start(sch.name, name, frame, in_schema, table[f"__mso__{name}"]):
            rows.remove(f"__mso__{name}")  # no payment date can be that early: no per-row month start
        hashes = None  # the parsed codes' hashes, when worked out here and distinct (the registry's are kept)
        index = None  # the registry's hashes sorted with their rows (``_hash_index``)
        # an integer key only for these two, and only of a column they read (a registry's legal entities' codes: not)
        keyed = (check_duplicates and name in sch.key) or (key_out and name == key_column)
        if col.kind != "month" and keyed:
            pv = table.get_column(_p(name))
            # distinct 64-bit hashes tell cheaply that the codes are distinct (the usual case); only when
            # two hashes agree is an exact rank worked out (below)
            # a table shared with an earlier table (the registry's codes) has had its verdict worked out already
            seen = shared.setdefault("__distinct_verdicts__", []) if share is not None else []
            distinct = next((d for t, d in seen if t is table), None)
            if distinct is None:
                hashes = pv.hash(seed=_CODE_HASH_SEED) if not pv.null_count() else None
                # the registry's numbering: its hashes sorted with their rows, for other tables' lookups (the sort
                # the verdict needs anyway; distinct when that index can be made)
                if hashes is not None and registry and key_out and name == key_column and col.kind == "credit_code":
                    index = _hash_index(hashes)
                distinct = hashes is not None and (index is not None or _all_distinct(hashes))
                seen.append((table, distinct))
                hashes = hashes if distinct else None
            if in_runs and distinct:
                # one run per code and distinct codes: the run number is already an integer key
                int_key[name] = f"__di__{name}"
            else:
                ranked = table.with_columns(pl.col(_p(name)).rank("dense").alias(f"__id__{name}"))
                if share is not None:  # later tables with the same codes reuse the ranked table
                    with _SHARED_LOCK:  # (small tables are validated two at a time: no entry lost to the other)
                        entries = share[0][share[1]]
                        entries[:] = [(v, ranked if t is table else t) for v, t in entries]
                table = ranked
                rows.append(f"__id__{name}")
        faulty = table.get_column(f"__vbad__{name}")
        if not in_runs and not frame.get_column(name).null_count():
            faulty = faulty.head(-1)  # the entry for a missing value (last), which no row uses
        if not faulty.any():  # every value is sound (the usual case): no column
            clean.add(name)
            rows.remove(f"__vbad__{name}")
        mi_col = f"__mi__{name}"
        # each row its own entry of the table (a registry's codes, one per row): the numbers are 0, 1, 2, … and a
        # row's value is the table's at its own position — no gather, no lookup of the faulty rows
        identity = in_runs and table.height == frame.height
        for r in sorted(rows, key=lambda r: r != mi_col):  # a month's index first: its nulls may tell the faults
            values = table.get_column(r).rechunk()  # a gather from one chunk is several times faster
            if identity:
                extra[r] = values
            elif r == f"__vbad__{name}" and mi_col in extra and table.select(
                pl.col(r).eq_missing(pl.col(mi_col).is_null()).all()
            ).item():
                # a month is faulty exactly where it has no index (checked on the values): no pass of its own
                extra[r] = extra[mi_col].is_null()
            elif r == f"__vbad__{name}" and not values.null_count():
                # few faulty values: the rows of their numbers (ranges when the numbers are runs), not a Boolean gather
                extra[r] = _rows_with(idx, values.arg_true())
            else:
                extra[r] = values.gather(idx)
        pv, rv = pl.col(_p(name)), pl.col(name)
        # a table built from the codes as written (by this table, or shared from an earlier one) has them as parsed
        written = shared.setdefault("__codes_as_written__", []) if share is not None else []
        if as_is:
            written.append(table)
        # (a query, not the table's eager select: that made the table's columns, of unequal chunks, one chunk each)
        # a column not of text (a Parquet month typed Date or integer 202401, read as its month: outside audit F4,
        # session 38) is never its parsed text, and is not compared with it (a Polars error, not a verdict)
        same = any(t is table for t in written) or dtype == pl.String and table.lazy().select(
            ((pv == rv) | (pv.is_null() & rv.is_null()) | vbad(name)).fill_null(False).all()
        ).collect().item()
        # the parsed value is usually the value as written: share the column instead of copying strings.
        # Rows whose value has a fault are quarantined whatever it parses to; they get their parsed value
        # from the per-value table with the other bad-row columns (``later``).
        extra[_p(name)] = (
            frame.get_column(name)
            if same
            else table.get_column(_p(name)).rechunk()
            if identity
            else table.get_column(_p(name)).rechunk().gather(idx)
        )
        extra[f"__di__{name}"] = idx
        if key_out and name == key_column and col.kind == "credit_code":
            extra["__regkey__"] = _registry_key(
                table, idx, name, shared, registry, int_key[name], extra, hashes, index
            )
        later.append(_p(name))
        lookups[name] = (table[later], later)  # the columns shared (an eager select made each one chunk)
        if col.kind == "month":
            months[name] = table.get_column(_p(name))

    distinct_cols = [c for c in sch.columns if c.name in in_schema and c.kind in ("credit_code", "id_number", "month")]
    # a code and a month column are independent and their work is mostly on one core: side by side
    with ThreadPoolExecutor(min(2, max(1, len(distinct_cols))), thread_name_prefix="wengang-distinct") as pool:
        pending = [pool.submit(check_distinct, col) for col in distinct_cols]
        # meanwhile, on this thread, the looks at the other columns, which read nothing the checks above make (the
        # codes' checks are mostly a chain of one-core steps: this keeps the other core busy)
        # columns of few distinct values (a size class, a region code, 是/否) are parsed and checked once per value
        domains = {
            c.name: d
            for c in sch.columns
            if c.name in in_schema
            and c.kind in _BY_VALUE_KINDS
            # (a column already of its type — yes/no, a date, a number kept as one — costs next to nothing to read)
            and not (
                in_schema[c.name] == pl.Boolean
                or in_schema[c.name].is_temporal()
                or (in_schema[c.name].is_numeric() and c.dtype != pl.String)
            )
            and (d := _few_values(frame.get_column(c.name))) is not None
        }
        # text columns of other values (names): read as written when no value is blank, padded or (a name) maskable
        as_written = {
            c.name
            for c in sch.columns
            if c.name in in_schema
            and c.name not in domains
            and c.kind in ("text", "region", None)
            and in_schema[c.name] == pl.String
            and _reads_as_written(frame.get_column(c.name), masked=c.kind == "text")
        }
        bounds = _integer_bounds(frame, [c for c in sch.columns if c.name in in_schema])
        for done in pending:
            done.result()
    if check_duplicates and len(sch.key) == 2:
        ks = [int_key.get(k) or "" for k in sch.key]
        if ks[0].startswith("__di__") and not _runs_repeat(extra[ks[0]]):
            # one run per code, each run one row (one row per unit and year, the usual extract): no pair repeats,
            # so no pair is hashed (a struct hash of a million rows cost a tenth of a second)
            extra["__dup__"] = pl.repeat(False, extra[ks[0]].len(), dtype=pl.Boolean, eager=True)
        elif ks[0].startswith(("__id__", "__di__")) and ks[1].startswith("__mi__"):
            runs_dup = _duplicates_in_runs(extra[ks[0]], extra[ks[1]], ids_are_runs=ks[0].startswith("__di__"))
            if runs_dup is not None:
                extra["__dup__"] = runs_dup
    has_registry_key = "__regkey__" in extra
    registry_bad = shared.get("__registry_bad__") if shared is not None else None
    regkey = extra.get("__regkey__")
    if registered_only and not registry and registry_bad is not None and registry_bad.len() and regkey is not None:
        if regkey.len() and not regkey.null_count() and regkey.is_sorted():
            # the registry's numbers in its order (the monthly rows list its units in turn): the rows of its
            # quarantined units are ranges, found without a set lookup of every row's number
            extra["__regbad__"] = _rows_with(regkey, registry_bad)
    del regkey
    lf = frame.with_columns([s.alias(n) for n, s in extra.items()]).lazy()
    del frame, extra, check_distinct  # the function's defaults hold the frame too
    distinct_done = set(int_key)
    _STAGING.clear()
    for col in sch.columns:
        if col.name not in in_schema:
            if col.name not in without:  # an absent column the caller keeps out is not made (a null column per row)
                parsed[col.name] = pl.lit(None, dtype=col.dtype)
            continue
        dtype = in_schema[col.name]
        c = pl.col(col.name)
        faults: list = []
        missing_as_parsed: pl.Expr | None = None
        staged_from = [len(level) for level in _STAGING.levels]  # this column's staged columns come after
        if col.kind == "month":
            v = pl.col(_p(col.name))
            # deferred: read from the per-month table for bad rows only
            faults = [
                (
                    pl.col(f"__mf__{col.name}"),
                    pl.col(f"__mzh__{col.name}"),
                    pl.col(f"__men__{col.name}"),
                    "not a valid month",
                    True,
                )
            ]
        elif col.kind in ("money", "count", "ten_thousand_yuan", "date", "bool", "enum") or col.dtype == pl.Int64:
            v, faults = _parse(col, dtype, raw)
            if col.name in bounds:
                lo, hi = bounds[col.name]
                v, faults = _integers_within(col, raw, lo, hi, v, faults)
        elif col.kind in ("credit_code", "id_number"):
            v = pl.col(_p(col.name))  # parsed once per distinct value above
            id_reason_cols.append((col.name, col.kind))
        elif col.name in as_written:
            # what the expressions below would give, value for value (``_reads_as_written``)
            v = c
            if col.required:
                missing_as_parsed = v
            if col.kind == "region":
                v = _region_as_code(v)
                faults = _region_faults(v, allowed_regions)
        else:
            s = c.cast(pl.String).str.strip_chars()
            v = pl.when(s == "").then(None).otherwise(s)
            if col.required and dtype == pl.String:
                # null exactly where the value is missing (``_missing``: null, or blank after the same strip);
                # staged, so the check reads the column instead of stripping every text again
                v = missing_as_parsed = _stage(0, f"__t_{col.name}", v)
            if col.kind == "text":  # a name with a phone or ID number typed into it: masked from here on
                v = v.map_batches(mask_text_series, return_dtype=pl.String, is_elementwise=True)
            if col.kind == "region":
                v = _region_as_code(v)
                faults = _region_faults(v, allowed_regions)
        if col.name in CODE_COLUMNS and dtype == pl.String:
            v = _unwrap_excel_text(_nfkc(v))  # full-width digits, ="…": the code they show (audit F3, session 38)
        if col.name == "industry_code" and dtype == pl.String:
            # NFKC, ="…" unwrapped; a section letter its digits contradict (A511, F0511) quarantined, not classified by
            # the digits alone (outside audit F1, session 38)
            v, faults = _industry_code(v)
        if col.name in domains:
            mapped = _by_value(domains[col.name], v, faults, staged_from)
            if mapped is not None:
                v, faults = mapped, []
                if missing_as_parsed is not None:  # each value's own (a blank one's null), looked up once
                    v = missing_as_parsed = _stage(0, f"__t_{col.name}", mapped)
        parsed[col.name] = v
        cell = _cell_errors(raw, col.name)
        if cell is not None:
            flag, zh, en = cell
            add(col.name, flag, zh, en, "cell not read (formula or error value)")
        if col.required:
            if col.name in distinct_done:
                # (a cell that was not read — a formula, a number cell that lost digits — is said so, not also "empty")
                miss = pl.col(f"__miss__{col.name}") if cell is None else pl.col(f"__miss__{col.name}") & ~cell[0]
                add(col.name, miss, "必填字段为空", "required field is empty", deferred=True)
            else:
                # a cell that was not read (a formula) is said so, not also "empty"
                missing = _missing(c, dtype) if cell is None else _missing(c, dtype) & ~cell[0]
                if cell is None and missing_as_parsed is not None:
                    # the parsed value's nulls: the text is not stripped again (a pass over every row)
                    missing = missing_as_parsed.is_null()
                elif cell is None and col.name in domains and not _blank_value(domains[col.name], dtype):
                    missing = c.is_null()  # no value written is blank: only a missing one is (no strip per row)
                add(col.name, missing, "必填字段为空", "required field is empty")
        for fault in faults:
            add(col.name, *fault)
        if col.kind == "money" and raw.units.get(col.name, FEN) == FEN:
            doubt = _fen_column_in_doubt(col.name, field_labels(raw)[col.name], faults)
            if doubt is not None:
                add(col.name, *doubt)

    for level in _STAGING.levels:
        if level:
            lf = lf.with_columns(level)
    _STAGING.clear()
    lf = lf.with_columns([e.alias(_p(n)) for n, e in parsed.items()])
    for name, kind in id_reason_cols:
        rc = f"__r__{name}"
        if kind == "credit_code":
            got = pl.col(_p(name)).str.slice(17, 1)
            exp = pl.col(f"__x__{name}").replace_strict(  # the character, from its value (bad rows only)
                dict(enumerate(USCC_ALPHABET)), default=None, return_dtype=pl.String
            )
            zh = (
                pl.when(pl.col(rc) == "check")
                .then(pl.format("校验码错误：应为“{}”，实为“{}”", exp, got))
                .otherwise(pl.col(rc).replace_strict(REASONS_ZH, default="无效"))
            )
            en = (
                pl.when(pl.col(rc) == "check")
                .then(pl.format("wrong check character: expected {}, got {}", exp, got))
                .otherwise(pl.col(rc).replace_strict(REASONS_EN, default="invalid"))
            )
        else:
            zh = pl.col(rc).replace_strict(REASONS_ZH, default="无效")
            en = pl.col(rc).replace_strict(REASONS_EN, default="invalid")
        # the exponent form of a long number (6.22202E+18): a number cell, whose digits after the 15th are lost —
        # said so, not "a character that is not allowed" (values.identifier_text)
        number = pl.col(_p(name)).str.contains(_NUMBER_CELL_PATTERN).fill_null(False)
        zh = pl.when(number).then(pl.format(NUMBER_CELL_ZH.replace("{value}", "{}"), pl.col(_p(name)))).otherwise(zh)
        en = pl.when(number).then(pl.format(NUMBER_CELL_EN.replace("{value}", "{}"), pl.col(_p(name)))).otherwise(en)
        add(name, pl.col(f"__idbad__{name}"), zh, en, deferred=True)

    # cross-field checks
    names = set(in_schema.names())
    if sch.name == "contributions" and {"month", "paid_date"} <= names:
        pd = pl.col(_p("paid_date"))
        add(
            "paid_date",
            # no column of month starts: no payment date lies before any (``_paid_before_start``)
            pd < pl.col("__mso__month") if "__mso__month" in lf.collect_schema().names() else pl.lit(False),
            f"缴费日期早于所属期超过{max_prepay_years}年",
            f"paid more than {max_prepay_years} year(s) before the month covered",
        )
        if as_of is not None:
            add(
                "paid_date",
                pd > pl.lit(as_of),
                f"缴费日期晚于数据截止日{as_of}",
                f"paid after the data cut-off {as_of}",
            )
        if "paid_fen" in names:
            add(
                "paid_date",
                # missing as written: a date that cannot be read ("2024-02-30") has its own reason already
                (pl.col(_p("paid_fen")) > 0) & _missing(pl.col("paid_date"), in_schema["paid_date"]),
                "有实缴金额但无缴费日期",
                "amount paid but no payment date",
            )
    if sch.name == "contributions" and "insured_persons" in names:
        for money_field in ("paid_fen", "due_fen"):
            if money_field in names:
                add(money_field, *_premium_implausible(money_field))
    premium_fields = [f for f in ("due_fen", "paid_fen") if f in names]
    if sch.name == "contributions" and premium_fields and {"late_fee_fen", "paid_date", "month"} <= names:
        mi = int_key.get("month")
        start = None
        if mi is not None and mi in lf.collect_schema().names():
            # from the month's index (year·12 + month − 1), null where the month is faulty (as its parse was)
            start = pl.when(~vbad("month")).then(month_index_start(pl.col(mi)))
        add("late_fee_fen", *_late_fee_implausible(premium_fields, start))
    if sch.name == "exclusions" and "date_to" in names:
        add(
            "date_to",
            pl.col(_p("date_to")) < pl.col(_p("date_from")),
            "移出日期早于列入日期",
            "removed before listed",
        )
    if sch.name == "deferrals":
        add(
            "period_to",
            # month indexes (null where the month is bad): the parsed text of a bad row is not on every row
            pl.col(int_key.get("period_to") or _p("period_to"))
            < pl.col(int_key.get("period_from") or _p("period_from")),
            "缓缴终止所属期早于起始所属期",
            "deferral ends before it starts",
        )
    if sch.name == "headcount":
        add(
            "year",
            (pl.col(_p("year")) < 1990) | (pl.col(_p("year")) > 2100),
            "年度无效",
            "not a plausible year",
        )
    if check_duplicates and sch.key:
        keycols = [_p(k) for k in sch.key]
        ints = [int_key.get(k) for k in sch.key]
        if "__dup__" in lf.collect_schema().names():  # found between neighbours above
            dup = pl.col("__dup__")
        elif len(ints) == 1 and ints[0] and ints[0].startswith("__di__"):
            # run numbers of distinct codes: a code repeats exactly when its run is longer than one row
            k = pl.col(ints[0])
            dup = ((k == k.shift(1)) | (k == k.shift(-1))).fill_null(False)
        else:
            if len(ints) == 1 and ints[0]:
                dupkey = pl.col(ints[0])
            elif len(ints) == 2 and ints[0] and ints[1] and ints[1].startswith("__mi__"):
                # identifier rank × 2^16 + month index (1950–2100 → < 2^15): one Int64, exact
                dupkey = pl.col(ints[0]).cast(pl.Int64) * 65536 + pl.col(ints[1]).cast(pl.Int64)
            elif len(ints) == 2 and ints[0] and sch.column(sch.key[1]).dtype.is_integer():
                dupkey = pl.struct(pl.col(ints[0]), pl.col(keycols[1]))  # two integers hash faster than text
            else:
                dupkey = pl.struct(keycols)
            # the integer keys are null exactly where the parsed values are
            present = pl.all_horizontal([pl.col(int_key.get(k) or _p(k)).is_not_null() for k in sch.key])
            dup = dupkey.is_duplicated() & present
        key_str = pl.concat_str(
            [
                mask_loose_expr(pl.col(_p(k))) if sch.column(k).kind == "id_number" else pl.col(_p(k)).cast(pl.String)
                for k in sch.key
            ],
            separator="/",
            ignore_nulls=True,
        )
        add(
            "+".join(sch.key),
            dup,
            pl.format("键重复（{}）", key_str),
            pl.format("duplicate key ({})", key_str),
        )

    if registered_only and has_registry_key and not registry and shared is not None and "__registry__" in shared:
        # a row of a unit the registry does not have (or whose registry row is quarantined) cannot be used: it
        # is counted here, not dropped by a join later, so rows in = used + quarantined
        known = pl.col("__regkey__")
        add(
            key_column,
            known.is_null() & ~vbad(key_column),
            "单位登记信息中无此单位",
            "unit not in the unit registry",
        )
        if registry_bad is not None and registry_bad.len():
            ranges = "__regbad__" in lf.collect_schema().names()
            add(
                key_column,
                (pl.col("__regbad__") if ranges else known.is_in(registry_bad.implode())) & ~vbad(key_column),
                "该单位的登记信息有误已被隔离，本记录无法归属",
                "the unit's registry row is quarantined",
            )
    now = [i for i, ch in enumerate(checks) if not ch.deferred]
    lf = lf.with_columns(checks[i].flag.alias(f"__f{i}") for i in now)
    # a deferred check is covered by its column's "this value has a fault" flag; it is worked out on bad rows
    any_bad = [pl.col(f"__f{i}") for i in now] + [pl.col(f"__vbad__{n}") for n in distinct_done if n not in clean]
    lf = lf.with_columns(pl.any_horizontal(any_bad).alias("__bad") if any_bad else pl.lit(False).alias("__bad"))
    keep = [
        "source_row",
        "__bad",
        *[f"__f{i}" for i in now],
        *[_p(n) for n in parsed],
        *[f"__di__{n}" for n in lookups],
    ]
    # columns the reasons read (a value's own reason from the scalar reader): kept for the bad rows
    have = set(lf.collect_schema().names())
    for i in now:
        for e in (checks[i].zh, checks[i].en):
            keep += [n for n in dict.fromkeys(e.meta.root_names()) if n in have and n not in keep]
    int_out = "__regkey__" if key_out and has_registry_key else None
    if int_out and int_out not in keep:
        keep.append(int_out)
    mi_out = int_key.get("month") if month_index_out else None
    if mi_out and mi_out not in keep:  # (a reason may read it: the late fee's days)
        keep.append(mi_out)
    raw_cols = [c for c in in_schema.names() if c != "source_row"]
    # raw values are only needed for bad rows; keep them (cheap for typed inputs: the buffers are shared)
    df = lf.select([*keep, *[pl.col(c).alias(f"__raw__{c}") for c in raw_cols]]).collect(engine="streaming")
    del lf  # the plan holds the table as read and the per-value columns

    typed = [pl.col(_p(c.name)).cast(c.dtype).alias(c.name) for c in sch.columns if c.name not in without]
    if int_out:
        typed.append(pl.col(int_out).alias(key_out))
    if mi_out:
        typed.append(pl.col(mi_out).alias(month_index_out))
    n_bad = int(df.get_column("__bad").sum())
    rows_in = df.height
    # few bad rows: gather them by position (a filter would still walk every column of every row)
    bad = df.gather(df.get_column("__bad").arg_true()) if n_bad else df.clear()
    if registry and int_out and shared is not None:
        # the registry's numbering and its quarantined units are known: the run's other tables can be validated
        shared["__registry_bad__"] = bad.get_column(int_out).drop_nulls().unique()
        # and their codes as written, so a unit named by another table is known to be one of them even where its
        # registry code could not be read (_quarantined_registry_rows)
        shared["__registry_bad_codes__"] = _quarantined_registry_codes(bad, f"__raw__{key_column}", int_out)
        if on_numbered is not None:
            on_numbered()
    if lazy:
        # the good rows are kept, unread, until the caller aggregates them: only the columns they are read from
        # (not the raw values, flags and per-value numbers, which the bad rows above have taken). Indexing
        # shares the columns; a select (a query plan) took seconds here, copying them
        read = [n for e in typed for n in e.meta.root_names()] + (["__bad"] if n_bad else [])
        df = df[list(dict.fromkeys(read))]
        # a caller that aggregates at once reads the good rows without a copy of every column
        accepted = df.lazy().filter(~pl.col("__bad")).select(typed) if n_bad else df.lazy().select(typed)
    elif n_bad:
        # filtered by a query, the good rows' chunks held about twice the columns' size (the 1 M registry: 314 MB
        # for 209, kept through the monthly validation); selected by a query, then filtered eagerly: one chunk
        selected = df.lazy().select(*typed, "__bad").collect()
        del df  # its other columns (raw values, flags) go before the copy
        accepted = _good_rows(selected, selected.drop_in_place("__bad"), n_bad)
    else:
        accepted = df.lazy().select(typed).collect()
        del df
    for name, (table, later) in lookups.items():
        bad = bad.with_columns(table.get_column(c).gather(bad.get_column(f"__di__{name}")) for c in later)
    bad = bad.with_columns(ch.flag.alias(f"__f{i}") for i, ch in enumerate(checks) if ch.deferred)
    id_cols = {c.name for c in sch.columns if c.kind == "id_number"}
    quarantine = _quarantine_frame(bad, checks, raw.source_file, set(raw_cols), id_cols, field_labels(raw))
    by_reason = Counter()
    if bad.height:
        for i, ch in enumerate(checks):
            n = int(bad[f"__f{i}"].sum())
            if n and ch.label:
                by_reason[f"{ch.field}: {ch.label}"] += n
            elif n:
                key = f"{ch.field}: {bad.filter(pl.col(f'__f{i}')).select(ch.en.alias('e')).to_series()[0]}"
                for generic in ("duplicate key", "wrong check character"):
                    key = key if generic not in key else f"{ch.field}: {generic}"
                by_reason[key] += n
    report = ValidationReport(
        sch.name, raw.source_file, rows_in, rows_in - n_bad, quarantine.height, dict(by_reason), list(raw.notes)
    )
    if strict and quarantine.height:
        raise ValidationFailed(report, quarantine.row(0, named=True))
    held = None
    key_of_bad = bad_keys or sch.hold_key or (key_column if registry else None)
    if key_of_bad:
        from wengang.screening.holds import held_keys

        held = held_keys(sch.name, bad.rename({f"__raw__{c}": c for c in raw_cols}), key_of_bad)
    return ValidationResult(accepted, quarantine, report, held, months)


_SLICED_BAD_ROWS = 1024  # up to this many bad rows the stretches between them are cheaper (1 M rows, 13 columns:
# 274 bad rows 0.033 against 0.047 CPU-s for the filter; 1,000: 0.047 against 0.058; 2,000: 0.069 against 0.047)


def _good_rows(frame: pl.DataFrame, bad: pl.Series, n_bad: int) -> pl.DataFrame:
    """The rows of ``frame`` (emptied as it goes) where ``bad`` is false, in order, each column in one chunk.
    Column by column, each freed once copied: the step's peak grows by one column, not by all of them. With few
    bad rows the good ones are the stretches between them, taken as zero-copy slices and copied once into one
    chunk; a filter of the query's chunks (the 1 M registry's: 36 a column) would have to be rechunked too, a
    second copy of every row, on the path every later table waits for."""
    if n_bad > _SLICED_BAD_ROWS:
        good = ~bad.rechunk()
        return pl.DataFrame([frame.drop_in_place(c).rechunk().filter(good) for c in list(frame.columns)])
    at = bad.arg_true().to_list()
    stretches = [(a + 1, b - a - 1) for a, b in zip([-1, *at], [*at, frame.height], strict=True) if b - a > 1]
    if not stretches:
        return frame.clear()
    return pl.DataFrame(
        [
            pl.concat([col.slice(start, length) for start, length in stretches], rechunk=False).rechunk()
            for col in (frame.drop_in_place(c) for c in list(frame.columns))
        ]
    )


def field_labels(raw: RawTable) -> dict[str, str]:
    """Each column's Chinese label for the reasons: the header the agency's file gave it (``RawTable.headers``, field
    → header as written, when the binder kept them), else the table's standard Chinese header (``应缴金额``)."""
    written = getattr(raw, "headers", None) or {}
    return {c.name: str(written.get(c.name) or c.zh or c.name) for c in raw.schema.columns}


def field_label(field: str, labels: dict[str, str]) -> str:
    """``due_fen`` → ``应缴金额``; a key of several columns ``credit_code+month`` → ``统一社会信用代码+费款所属期``."""
    return "+".join(labels.get(f, f) for f in field.split("+"))


# quarantine.xlsx's headers: Chinese first (screening.output.write_excel_sheets writes them for a quarantine frame)
QUARANTINE_HEADERS = {
    "source_file": "来源文件 / source file",
    "source_row": "数据行（表头下第几行）/ data row",
    "field": "字段 / field",
    "value": "取值 / value",
    "reason_zh": "原因 / reason (Chinese)",
    "reason_en": "原因（英文）/ reason (English)",
}


def _quarantine_frame(
    bad: pl.DataFrame,
    checks: list[_Check],
    source_file: str,
    raw_cols: set[str],
    id_cols: set[str] = frozenset(),
    labels: dict[str, str] | None = None,
) -> pl.DataFrame:
    if bad.height == 0:
        return pl.DataFrame(schema=QUARANTINE_SCHEMA)
    bad = bad.rename({f"__raw__{c}": c for c in raw_cols})

    def shown(c: str) -> pl.Expr:
        # the offending value as written, but a 公民身份号码 (valid or not) only masked: row number + masked
        # value find the row; the file never repeats a person's number (mask_quarantine masks the rest)
        v = pl.col(c).cast(pl.String).fill_null("")
        return mask_loose_expr(v) if c in id_cols else v

    def joined(parts, sep="；"):
        return pl.concat_str(parts, separator=sep, ignore_nulls=True)

    fields, values, zhs, ens = [], [], [], []
    for i, ch in enumerate(checks):
        f = pl.col(f"__f{i}")
        fields.append(pl.when(f).then(_lit(ch.field)))
        cols = ch.field.split("+")
        val = joined([shown(c) if c in raw_cols else _lit("") for c in cols], "/")
        values.append(pl.when(f).then(val))
        # the field by its Chinese label (the agency's header, else the standard one); the English reason by its name
        zhs.append(pl.when(f).then(pl.format("{}：{}", _lit(field_label(ch.field, labels or {})), ch.zh)))
        ens.append(pl.when(f).then(pl.format("{}: {}", _lit(ch.field), ch.en)))
    frame = bad.select(
        _lit(source_file).alias("source_file"),
        pl.col("source_row").cast(pl.Int64),
        joined(fields).alias("field"),
        joined(values).alias("value"),
        joined(zhs).alias("reason_zh"),
        joined(ens).alias("reason_en"),
    ).sort("source_row")
    return mask_quarantine(frame)


def mask_quarantine(frame: pl.DataFrame) -> pl.DataFrame:
    """Mask every mobile number, 公民身份号码 and bank account left in a quarantine frame's values and reasons
    (:func:`wengang.documents.masking.mask_text`, once per distinct text)."""
    cols = [c for c in ("value", "reason_zh", "reason_en") if c in frame.columns]
    return frame.with_columns(mask_text_series(frame.get_column(c)) for c in cols)

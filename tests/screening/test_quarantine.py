from pathlib import Path

import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from wengang.facts.identifiers import make_credit_code
from wengang.screening.ingest import read_table
from wengang.screening.quarantine import ValidationFailed, _all_distinct, _duplicates_in_runs, validate_table

A = make_credit_code("91", "150502", "MA0000001")
B = make_credit_code("91", "150502", "MA0000002")
BAD = A[:17] + ("0" if A[17] != "0" else "1")


def _write(tmp_path: Path, rows) -> Path:
    p = tmp_path / "c.csv"
    head = "credit_code,month,due_fen,paid_fen,paid_date,late_fee_fen,insured_persons"
    p.write_text("\n".join([head, *[",".join(r) for r in rows]]) + "\n", encoding="utf-8")
    return p


ROWS = [
    [A, "2023-01", "100", "100", "2023-01-15", "0", "3"],  # good
    [A, "2023-13", "100", "100", "2023-01-15", "0", "3"],  # month 13
    [BAD, "2023-02", "-5", "x", "2023-02-30", "", "3"],  # several faults, one row
    [B, "2023-03", "100", "100", "2023-03-15", "", "3"],  # duplicate key (both copies)
    [B, "2023-03", "100", "100", "2023-03-15", "", "3"],
    [B, "2023-04", "100", "100", "2019-01-01", "", "3"],  # paid > 1 year before the month
    ["", "2023-05", "100", "100", "2023-05-15", "", "3"],  # missing required
    [B, "2023-06", "100", "100", "2023-06-15", "", "3"],  # good
]


def test_reconciles_and_quarantines_once(tmp_path: Path):
    p = _write(tmp_path, ROWS)
    res = validate_table(read_table(p, "contributions"))
    r = res.report
    assert (r.rows_in, r.accepted, r.quarantined) == (8, 2, 6) and r.reconciles
    q = res.quarantine
    assert q.columns == ["source_file", "source_row", "field", "value", "reason_zh", "reason_en"]
    # source_row is the file's line (the header is line 1): data row i is line i + 1
    assert q["source_row"].to_list() == [3, 4, 5, 6, 7, 8]
    assert q["source_file"].unique().to_list() == [str(p)]
    multi = q.filter(pl.col("source_row") == 4).row(0, named=True)
    for f in ("due_fen", "paid_fen", "paid_date", "credit_code"):
        assert f in multi["field"]
    assert "校验码错误：应为" in multi["reason_zh"] and "金额为负" in multi["reason_zh"]
    assert f"expected {A[17]}, got {BAD[17]}" in multi["reason_en"]
    assert "duplicate key" in q.filter(pl.col("source_row") == 5)["reason_en"][0]
    assert "more than 1 year" in q.filter(pl.col("source_row") == 7)["reason_en"][0]
    assert "required" in q.filter(pl.col("source_row") == 8)["reason_en"][0]
    assert sum(r.by_reason.values()) >= r.quarantined


def test_strict_raises(tmp_path: Path):
    p = _write(tmp_path, ROWS)
    with pytest.raises(ValidationFailed) as e:
        validate_table(read_table(p, "contributions"), strict=True)
    assert "第3行" in str(e.value) and "row 3" in str(e.value)  # line 3: the header is line 1
    ok = _write(tmp_path, [ROWS[0]])
    assert validate_table(read_table(ok, "contributions"), strict=True).report.accepted == 1


def test_unknown_region(tmp_path: Path):
    p = tmp_path / "u.parquet"
    pl.DataFrame(
        {
            "credit_code": [A, B],
            "name": ["a", "b"],
            "region_code": ["150502", "110101"],
            "org_type": ["enterprise", "bogus"],
        }
    ).write_parquet(p)
    res = validate_table(read_table(p, "units"), allowed_regions={"150502"})
    assert res.report.accepted == 1
    reasons = res.quarantine["reason_en"][0]
    assert "region code is not in the allowed set" in reasons and "org_type" in reasons


# duplicates among rows that come in runs are found between neighbours; it must agree with hashing
_run_rows = st.lists(
    st.tuples(
        st.one_of(st.none(), st.integers(0, 4)),  # identifier (null: missing)
        st.lists(st.one_of(st.none(), st.integers(1, 5)), min_size=1, max_size=6),  # its months
    ),
    max_size=6,
)


@given(_run_rows)
def test_duplicates_between_neighbours_agree_with_hashing(units):
    ids, months = [], []
    for ident, ms in units:
        present = sorted(m for m in ms if m is not None)
        it = iter(present)
        ms_sorted = [None if m is None else next(it) for m in ms]  # ascending, nulls where they were
        ids += [ident] * len(ms)
        months += ms_sorted
    i = pl.Series("i", ids, dtype=pl.UInt32)
    m = pl.Series("m", months, dtype=pl.Int32)
    got = _duplicates_in_runs(i, m)
    if got is None:  # not in runs (an identifier twice) or nothing to compare: the caller hashes
        return
    frame = pl.DataFrame([i, m])
    expected = frame.select(
        pl.struct("i", "m").is_duplicated() & pl.col("i").is_not_null() & pl.col("m").is_not_null()
    ).to_series()
    assert got.to_list() == expected.to_list()


@pytest.mark.parametrize("shared", [False, True])
def test_registry_and_headcount_duplicates_whether_next_to_each_other_or_not(tmp_path: Path, shared):
    """A registry of distinct codes keys on run numbers (a repeat is a run longer than one row); codes that
    repeat further apart take the hashed path. Either way every copy is quarantined, and so are repeated
    (code, year) pairs of the headcount table, whose key is the registry number and the year."""
    codes = [make_credit_code("91", "150502", f"MA{i:07d}") for i in range(1, 7)]
    C, D, E = codes[:3]
    units = tmp_path / "u.parquet"
    pl.DataFrame(
        {
            "credit_code": [C, D, D, E, C, *codes[3:]],  # D twice together, C twice apart
            "name": list("abcdefgh"),
            "region_code": ["150502"] * 8,
            "org_type": ["enterprise"] * 8,
        }
    ).write_parquet(units)
    cache: dict | None = {} if shared else None
    res = validate_table(read_table(units, "units"), registry=True, key_out="__k", shared=cache)
    dup = res.quarantine.filter(pl.col("reason_en").str.contains("duplicate key"))["source_row"].to_list()
    assert dup == [1, 2, 3, 5] and res.report.accepted == 4

    in_runs = tmp_path / "u2.parquet"  # long runs of one code: checked run by run, keyed on run numbers
    pl.DataFrame(
        {
            "credit_code": [C] * 5 + [D] * 6 + [E],
            "name": list("abcdefghijkl"),
            "region_code": ["150502"] * 12,
            "org_type": ["enterprise"] * 12,
        }
    ).write_parquet(in_runs)
    res = validate_table(read_table(in_runs, "units"), registry=True, key_out="__k", shared={})
    assert res.quarantine["source_row"].to_list() == list(range(1, 12)) and res.report.accepted == 1

    hc = tmp_path / "h.parquet"
    pl.DataFrame(
        {
            "credit_code": [C, C, C, D, E, E],
            "year": [2023, 2024, 2024, 2024, 2024, 2023],
            "insured_headcount": [5] * 6,
            "layoffs": [0] * 6,
        }
    ).write_parquet(hc)
    res = validate_table(read_table(hc, "headcount"), key_out="__k", shared=cache)
    dup = res.quarantine.filter(pl.col("reason_en").str.contains("duplicate key"))["source_row"].to_list()
    assert dup == [2, 3] and res.report.accepted == 4


def test_headcount_pairs_repeat_only_within_a_code_run(tmp_path: Path):
    """The headcount's key is (code, year). With one row per code no pair can repeat and none is hashed; with a
    code's rows in a run, a repeated year inside the run is still found (both copies quarantined)."""
    codes = [make_credit_code("91", "150502", f"MA{i:07d}") for i in range(1, 5)]
    one_each = tmp_path / "h1.parquet"
    pl.DataFrame(
        {"credit_code": codes, "year": [2024] * 4, "insured_headcount": [5] * 4, "layoffs": [0] * 4}
    ).write_parquet(one_each)
    res = validate_table(read_table(one_each, "headcount"), key_out="__k", shared={})
    assert res.report.accepted == 4 and res.quarantine.height == 0

    C, D = codes[:2]
    in_runs = tmp_path / "h2.parquet"
    pl.DataFrame(
        {
            "credit_code": [C] * 4 + [D] * 4,
            "year": [2020, 2021, 2022, 2023, 2021, 2024, 2022, 2024],
            "insured_headcount": [5] * 8,
            "layoffs": [0] * 8,
        }
    ).write_parquet(in_runs)
    res = validate_table(read_table(in_runs, "headcount"), key_out="__k", shared={})
    dup = res.quarantine.filter(pl.col("reason_en").str.contains("duplicate key"))["source_row"].to_list()
    assert dup == [6, 8] and res.report.accepted == 6


@pytest.mark.parametrize("bad_rows", [True, False])
def test_lazy_accepted_rows_keep_only_what_they_read(tmp_path: Path, bad_rows: bool):
    # validate_table(lazy=True) hands back a plan over the validated rows, kept until the caller aggregates: it
    # must give the eager result, and hold neither the raw values nor the flags (10^7 rows of them, s23-mem)
    rows = ROWS if bad_rows else [r for i, r in enumerate(ROWS) if i in (0, 7)]
    p = _write(tmp_path, rows)
    kw = dict(key_out="__k", month_index_out="__mi", without=("credit_code", "month"))
    eager = validate_table(read_table(p, "contributions"), **kw)
    lazy = validate_table(read_table(p, "contributions"), lazy=True, **kw)
    assert isinstance(lazy.accepted, pl.LazyFrame)
    assert_frame_equal(lazy.accepted.collect(), eager.accepted)
    assert_frame_equal(lazy.quarantine, eager.quarantine)
    assert lazy.report == eager.report
    plan = lazy.accepted.explain(optimized=False)
    for held in ("__raw__", "source_row", "__f", "__di__"):
        assert held not in plan, plan

# a value read once per distinct value (few values: size classes, region codes, 是/否) must read, check and
# quarantine as row by row does — with faulty values (the row-wise expressions then stand) or without
_cell = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "enterprise", "ENTERPRISE", "individual_business", "个体工商户", "bogus", " law_firm "]),
)
_region = st.one_of(st.none(), st.sampled_from(["150502", " 150502", "110101", "15050", "", "１５０５０２"]))
_yesno = st.one_of(st.none(), st.sampled_from(["是", "否", "yes", "N", "", "maybe", "TRUE"]))


@given(
    st.lists(st.tuples(_cell, _region, _yesno, st.sampled_from(["甲", "乙 ", "", None])), min_size=1, max_size=10),
    st.integers(1, 6),
    st.booleans(),
)
def test_values_read_once_per_distinct_value_agree_with_row_by_row(tmp_path_factory, rows, repeat, allowed):
    import wengang.screening.quarantine as Q

    rows = rows * repeat  # values repeat (read by value) or not (row by row)
    p = tmp_path_factory.mktemp("by_value") / "u.csv"
    codes = [make_credit_code("91", "150502", f"MA{i:07d}") for i in range(len(rows))]
    pl.DataFrame(
        {
            "credit_code": codes,
            "name": [r[3] for r in rows],
            "region_code": [r[1] for r in rows],
            "org_type": [r[0] for r in rows],
            "is_dispatch_firm": [r[2] for r in rows],
        }
    ).write_csv(p)
    regions = {"150502"} if allowed else None

    def run():
        res = validate_table(read_table(p, "units"), allowed_regions=regions)
        return res.accepted, res.quarantine, res.report

    by_value = run()
    saved, as_written = Q._BY_VALUE_KINDS, Q._reads_as_written
    Q._BY_VALUE_KINDS = ()
    Q._reads_as_written = lambda col, masked: False  # the expressions over every row
    try:
        row_wise = run()
    finally:
        Q._BY_VALUE_KINDS, Q._reads_as_written = saved, as_written
    assert by_value[0].equals(row_wise[0])
    assert by_value[1].equals(row_wise[1])
    assert by_value[2] == row_wise[2]


def test_a_column_of_few_sound_values_is_read_by_value(tmp_path: Path, monkeypatch):
    import wengang.screening.quarantine as Q

    p = tmp_path / "u.parquet"
    n = 400
    pl.DataFrame(
        {
            "credit_code": [make_credit_code("91", "150502", f"MA{i:07d}") for i in range(n)],
            "name": [f"单位{i}" for i in range(n)],
            "region_code": ["150502"] * n,
            "org_type": ["enterprise", "个体工商户"] * (n // 2),
        }
    ).write_parquet(p)
    seen = []
    real = Q._by_value
    monkeypatch.setattr(Q, "_by_value", lambda d, *a: seen.append(d.name) or real(d, *a))
    res = validate_table(read_table(p, "units"))
    assert sorted(seen) == ["org_type", "region_code"]  # the names are all distinct: read row by row
    assert res.accepted["org_type"].to_list() == ["enterprise", "individual_business"] * (n // 2)
    assert res.accepted["region_code"].unique().to_list() == ["150502"]


# a required text column's "empty" check reads the parsed value's nulls instead of stripping the text again: the
# same rows as `null or blank after a strip` whatever the blanks (a full-width space, \x1c, which Polars' strip
# keeps), read by value or row by row
_blankish = st.one_of(st.none(), st.sampled_from(["", " ", "\u3000", "\x1c", "\t甲\t", "乙", " 150502 ", "150502"]))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_blankish, _blankish), min_size=1, max_size=8), st.integers(1, 6))
def test_required_text_is_empty_exactly_where_blank(tmp_path_factory, rows, repeat):
    rows = rows * repeat
    p = tmp_path_factory.mktemp("blank") / "u.parquet"
    names, regions = [r[0] for r in rows], [r[1] for r in rows]
    pl.DataFrame(
        {
            "credit_code": [make_credit_code("91", "150502", f"MA{i:07d}") for i in range(len(rows))],
            "name": names,
            "region_code": regions,
            "org_type": ["enterprise"] * len(rows),
        },
        schema_overrides={"name": pl.String, "region_code": pl.String},
    ).write_parquet(p)
    res = validate_table(read_table(p, "units"))
    q = res.quarantine

    def blank(values):
        s = pl.Series(values, dtype=pl.String)
        return (s.is_null() | (s.str.strip_chars() == "")).to_list()

    for field, values in (("name", names), ("region_code", regions)):
        empty = q.filter(pl.col("reason_en").str.contains(f"{field}: required field is empty", literal=True))
        expected = [i + 1 for i, b in enumerate(blank(values)) if b]
        assert empty["source_row"].to_list() == expected, field

@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 5), min_size=1, max_size=40), st.integers(1, 4))
def test_runs_of_a_chunked_column_are_those_of_one_chunk(runs, chunks):
    """A column in several chunks (as a streaming read leaves it) gives the same distinct values, run numbers and
    per-value table as the same column in one chunk (the run mask is put in one chunk before filtering)."""
    from wengang.screening.quarantine import _per_distinct

    values = [f"C{i:03d}" for i, n in enumerate(runs) for _ in range(n)] * 4  # run-heavy: the run path is taken
    step = -(-len(values) // chunks)
    parts = [pl.Series("code", values[i : i + step]) for i in range(0, len(values), step)]
    chunked = pl.concat([p.to_frame() for p in parts], rechunk=False)

    def build(d: pl.LazyFrame) -> pl.LazyFrame:
        return d.with_columns(pl.col("code").str.to_lowercase().alias("low"))

    got = _per_distinct(chunked, "code", build, few_values=False)
    want = _per_distinct(chunked.rechunk(), "code", build, few_values=False)
    assert_frame_equal(got[0], want[0])
    assert got[1].equals(want[1]) and got[2] == want[2]


# a text column none of whose values stripping, the blank test or (a name) the masking would change is taken as
# written; any other column is read row by row. Either way: the same accepted rows, quarantine and report
_name = st.one_of(
    st.none(),
    st.sampled_from(["甲", "乙 ", "", " ", "\u3000丙", "\x1c丁", "电话13812345678", "电话138 1234 5678", "1234 5678号", "１２３４５６７８", "戊"]),
)
_plain = st.one_of(st.none(), st.sampled_from(["C1311", " C1311", "", "E4710\t", "A0111"]))


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(_name, _plain, _region), min_size=1, max_size=12), st.booleans())
@example([("甲", "C1311", "150502"), ("电话138 1234 5678", "A0111", "150502")], True)  # only the masking differs
@example([("甲", "C1311", "150502"), ("", "A0111", "150502")], True)  # only the blank test differs
def test_text_read_as_written_agrees_with_row_by_row(tmp_path_factory, rows, allowed):
    import wengang.screening.quarantine as Q

    p = tmp_path_factory.mktemp("as_written") / "u.parquet"
    pl.DataFrame(
        {
            "credit_code": [make_credit_code("91", "150502", f"MA{i:07d}") for i in range(len(rows))],
            "name": [r[0] for r in rows],
            "industry_code": [r[1] for r in rows],
            "region_code": [r[2] for r in rows],
            "org_type": ["enterprise"] * len(rows),
        },
        schema_overrides={"name": pl.String, "industry_code": pl.String, "region_code": pl.String},
    ).write_parquet(p)
    regions = {"150502"} if allowed else None

    def run():
        saved = Q._BY_VALUE_KINDS
        Q._BY_VALUE_KINDS = ()  # every column row by row or as written (not by value)
        try:
            res = validate_table(read_table(p, "units"), allowed_regions=regions)
        finally:
            Q._BY_VALUE_KINDS = saved
        return res.accepted, res.quarantine, res.report

    taken = []
    real = Q._reads_as_written
    Q._reads_as_written = lambda col, masked: taken.append(col.name) or real(col, masked)
    try:
        as_written = run()
        Q._reads_as_written = lambda col, masked: False
        row_wise = run()
    finally:
        Q._reads_as_written = real
    assert sorted(taken) == ["industry_code", "name", "region_code"]
    assert_frame_equal(as_written[0], row_wise[0])
    assert_frame_equal(as_written[1], row_wise[1])
    assert as_written[2] == row_wise[2]


def test_a_column_of_sound_values_written_as_read_is_the_column(tmp_path: Path):
    """Values that read as themselves (codes written as codes) need no lookup: the parsed column is the one read."""
    from wengang.screening.quarantine import _by_value

    domain = pl.Series("org_type", ["enterprise", "law_firm", None])
    assert str(_by_value(domain, pl.col("org_type").str.strip_chars(), [], [0, 0, 0])) == str(pl.col("org_type"))
    looked_up = _by_value(domain, pl.col("org_type").str.to_uppercase(), [], [0, 0, 0])
    assert looked_up is not None and "replace_strict" in str(looked_up)


_codes = st.sampled_from([make_credit_code("91", "150502", f"MA{i:07d}") for i in range(6)] + [None])


@settings(max_examples=150, deadline=None)
@given(
    st.lists(_codes, min_size=1, max_size=12),
    st.lists(st.one_of(_codes, st.just("X" * 18)), min_size=1, max_size=12),
    st.sampled_from([1, 2, 3, 1 << 20]),
    st.booleans(),
)
def test_registry_numbers_of_another_table_are_each_codes_first_registry_row(registry_codes, codes, buckets, indexed):
    """Another table's code is numbered as the registry's first row of that code, null for a code the registry does
    not have (or a missing one) — with the registry's codes distinct (a join on their hashes, or ``indexed``: a
    search of their sorted hashes) or repeated, and however many registry rows share a bucket of hashes with a
    wanted code (one bucket: every row a candidate)."""
    import wengang.screening.quarantine as Q

    def frame(values):
        return pl.DataFrame({"__p__c": pl.Series(values, dtype=pl.String)})

    reg = frame(registry_codes)
    pv = reg.get_column("__p__c")
    distinct = not pv.null_count() and pv.n_unique() == pv.len()
    hashes = pv.hash(seed=Q._CODE_HASH_SEED) if distinct else None
    saved = Q._HASH_BUCKETS
    Q._HASH_BUCKETS = buckets
    try:
        shared: dict = {}
        idx = pl.int_range(0, reg.height, dtype=pl.UInt32, eager=True)
        index = Q._hash_index(hashes) if indexed and hashes is not None else None
        Q._registry_key(reg, idx, "c", shared, True, "", {}, hashes, index)
        table = frame(codes)
        got = Q._registry_key(table, pl.int_range(0, table.height, dtype=pl.UInt32, eager=True), "c", shared, False, "", {})
    finally:
        Q._HASH_BUCKETS = saved
    expected = [None if c is None or c not in registry_codes else registry_codes.index(c) for c in codes]
    assert got.to_list() == expected


_TOPS = st.integers(0, 7).map(lambda t: t << 61)  # few high bits: hashes that agree there are likely
_LOWS = st.integers(0, 2**61 - 1) | st.integers(0, 3)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.builds(int.__or__, _TOPS, _LOWS), max_size=40) | st.lists(st.integers(0, 2**64 - 1), max_size=40)
)
def test_hash_index_is_each_hashs_high_bits_and_row_sorted(values):
    """``_hash_index``: None exactly when two hashes agree in their high bits (every bit but those the row numbers
    take); otherwise each row once, with its hash's high bits, sorted — and then the hashes are distinct."""
    import wengang.screening.quarantine as Q

    hashes = pl.Series("h", values, dtype=pl.UInt64)
    n = hashes.len()
    bits = max(1, (n - 1).bit_length())
    tops = [h >> bits for h in hashes.to_list()]
    got = Q._hash_index(hashes)
    if n == 0 or len(set(tops)) < n:
        assert got is None
        return
    assert got is not None and got[1] == bits
    entries = got[0].to_list()
    assert entries == sorted(entries)
    rows = [e & ((1 << bits) - 1) for e in entries]
    assert sorted(rows) == list(range(n))
    assert all(e >> bits == tops[r] for e, r in zip(entries, rows, strict=True))
    assert _all_distinct(hashes)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from("ABCDEFGH"), unique=True, min_size=1, max_size=8),
    st.lists(st.sampled_from("ABCDEFGHIJ") | st.none(), max_size=12),
    st.dictionaries(st.sampled_from("ABCDEFGHIJ"), st.integers(0, 15), min_size=10),
    st.integers(0, 2**32 - 1),
)
def test_numbers_from_the_index_are_the_rows_whose_text_agrees(registry, codes, top, low):
    """``_numbers_from_index``: a code's registry row where the registry has that text, null elsewhere — also where
    a code's hash shares its high bits with a registry row's (a different text: the same high bits, or the same
    hash) and when a code's hash lies past every registry hash. The hashes here are made up: each text's high bits
    from ``top`` (few values, so they often agree), its low bits a function of the text too."""
    import wengang.screening.quarantine as Q

    def hashed(values):
        return pl.Series(
            [(top[v] << 60) | ((low * (ord(v) + 1)) % 8) if v is not None else 2**64 - 1 for v in values],
            dtype=pl.UInt64,
        )

    reg = pl.Series("r", registry, dtype=pl.String)
    index = Q._hash_index(hashed(registry))
    if index is None:  # two registry texts agree in their high bits: the caller takes the buckets
        return
    got = Q._numbers_from_index(index, reg, pl.Series("c", codes, dtype=pl.String), hashed(codes))
    assert got.to_list() == [registry.index(c) if c in registry else None for c in codes]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1) | st.integers(0, 5), max_size=40), st.integers(1, 4))
def test_distinct_hashes_told_by_neighbours_after_a_sort(values, chunks):
    # the verdict n_unique gives, for 64-bit values (hashes) with and without repeats, in one or several chunks
    s = pl.Series("h", values, dtype=pl.UInt64)
    step = max(1, len(values) // chunks)
    parts = [s.slice(i, step) for i in range(0, len(values), step)] or [s]
    chunked = pl.concat(parts, rechunk=False)
    assert _all_distinct(chunked) == (s.n_unique() == s.len())


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.one_of(st.none(), st.integers(-5, 5)), st.one_of(st.none(), st.text(max_size=20))), max_size=40),
    st.lists(st.booleans(), max_size=40),
    st.lists(st.integers(0, 40), max_size=3),
    st.booleans(),
)
def test_good_rows_are_the_filter_in_one_chunk(rows, bad, cuts, sliced):
    """The accepted rows, as stretches between the bad ones or as a filter, equal the frame filtered by the
    good rows, in order, each column in one chunk: bad rows first, last, side by side, every row or none."""
    import wengang.screening.quarantine as Q

    n = len(rows)
    mask = pl.Series("__bad", (bad + [False] * n)[:n], dtype=pl.Boolean)
    whole = pl.DataFrame({"i": [r[0] for r in rows], "t": [r[1] for r in rows]}, schema={"i": pl.Int64, "t": pl.String})
    edges = sorted({0, n, *(c % (n + 1) for c in cuts)})
    frame = pl.concat([whole.slice(a, b - a) for a, b in zip(edges, edges[1:], strict=False)] or [whole], rechunk=False)
    saved = Q._SLICED_BAD_ROWS
    Q._SLICED_BAD_ROWS = n if sliced else -1
    try:
        got = Q._good_rows(frame, mask, int(mask.sum()))
    finally:
        Q._SLICED_BAD_ROWS = saved
    kept = [r for r, b in zip(rows, mask.to_list(), strict=True) if not b]
    want = pl.DataFrame({"i": [r[0] for r in kept], "t": [r[1] for r in kept]}, schema={"i": pl.Int64, "t": pl.String})
    assert_frame_equal(got, want)
    assert got.height == 0 or got.n_chunks("all") == [1, 1]


@pytest.mark.parametrize("repeated", [False, True])
def test_other_tables_numbered_by_the_registry_through_its_sorted_hashes(tmp_path: Path, repeated):
    """A registry of distinct codes keeps its hashes sorted with their rows (the distinct verdict's sort) and numbers
    another table's codes by searching them: each code its registry row — a repeated or quarantined one's too — and
    null for a code the registry does not have; a registry with a repeated code keeps no index and numbers the same
    codes as its first row of each."""
    codes = [make_credit_code("91", "150502", f"MA{i:07d}") for i in range(1, 7)]
    bad = codes[1][:17] + ("0" if codes[1][17] != "0" else "1")  # a wrong check character
    registry = [codes[0], bad, codes[2], codes[3], codes[4], codes[0] if repeated else codes[5]]
    units = tmp_path / "u.parquet"
    n = len(registry)
    pl.DataFrame(
        {"credit_code": registry, "name": list("abcdef"), "region_code": ["150502"] * n, "org_type": ["enterprise"] * n}
    ).write_parquet(units)
    shared: dict = {}
    validate_table(read_table(units, "units"), registry=True, key_out="__k", shared=shared)
    assert (shared["__registry__"][3] is None) == repeated
    wanted = [codes[4], codes[5], codes[0], codes[2], codes[3]]  # in another order; codes[5] only if not repeated
    sizes = tmp_path / "s.parquet"
    pl.DataFrame({"credit_code": wanted, "size_class": ["small"] * len(wanted)}).write_parquet(sizes)
    res = validate_table(read_table(sizes, "stats_size"), key_out="__k", shared=shared)
    first = {c: registry.index(c) for c in reversed(registry)}
    assert res.accepted["__k"].to_list() == [first.get(c) for c in wanted]


_le = st.one_of(
    st.none(),
    st.sampled_from([make_credit_code("91", "150502", f"MA{i:07d}") for i in range(3)]),
    st.sampled_from([BAD, A.lower(), " " + A, "", "X" * 18]),  # a wrong check character, not formed, blank
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(_le, st.sampled_from([A, B, BAD, None, ""])), min_size=1, max_size=10))
@example([(None, A), (A, None), (None, B), (BAD, A)])  # missing codes in both columns, one a wrong check character
def test_missing_codes_beside_formed_ones_validate_as_by_the_full_checks(tmp_path_factory, rows):
    # a registry whose codes are formed or missing (its legal entities' mostly missing) takes the one-pass check:
    # the same accepted rows, quarantine and report as with every code column through the full checks
    import wengang.screening.quarantine as Q

    p = tmp_path_factory.mktemp("missing_codes") / "u.parquet"
    pl.DataFrame(
        {
            "credit_code": [r[1] if i % 2 else make_credit_code("91", "150502", f"MB{i:07d}") for i, r in enumerate(rows)],
            "name": ["甲"] * len(rows),
            "region_code": ["150502"] * len(rows),
            "org_type": ["enterprise"] * len(rows),
            "legal_entity_credit_code": [r[0] for r in rows],
        },
        schema_overrides={"credit_code": pl.String, "legal_entity_credit_code": pl.String},
    ).write_parquet(p)

    def run():
        res = validate_table(read_table(p, "units"), key_out="__k", registry=True, shared={})
        return res.accepted, res.quarantine, res.report

    taken = []
    real = Q.credit_code_reasons_if_formed_or_missing
    Q.credit_code_reasons_if_formed_or_missing = lambda values, *a: taken.append(values.null_count()) or real(values, *a)
    try:
        one_pass = run()
        Q.credit_code_reasons_if_formed_or_missing = lambda values, *a: None
        full = run()
    finally:
        Q.credit_code_reasons_if_formed_or_missing = real
    assert len(taken) == 2
    assert_frame_equal(one_pass[0], full[0])
    assert_frame_equal(one_pass[1], full[1])
    assert one_pass[2] == full[2]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-30, 10_000 * 12 + 30)), min_size=1, max_size=40))
def test_a_month_index_starts_its_month_whatever_the_year(indexes):
    """month_index_start looks the month's first day up in a table (not pl.date per row): the same date as
    pl.date(year, month, 1) for every month of a four-digit year, null outside them and for no month."""
    from wengang.screening.quarantine import month_index_start

    frame = pl.DataFrame({"mi": indexes}, schema={"mi": pl.Int32})
    # (compared as day numbers: Python's date has no year 0)
    got = frame.select(month_index_start(pl.col("mi")).to_physical()).to_series()
    built = frame.select(pl.date(pl.col("mi") // 12, pl.col("mi") % 12 + 1, 1).to_physical()).to_series()
    assert got.to_list() == [b if i is not None and 0 <= i < 120_000 else None for i, b in zip(indexes, built, strict=True)]

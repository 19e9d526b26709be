"""Result files written frame by frame: what is read back is exactly what was written, in order."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from wengang.rules.batch import STATUS_DTYPE
from wengang.screening.output import ParquetAppender


def _frame(start: int, n: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "credit_code": [f"CODE{i:014d}" for i in range(start, start + n)],  # > 12 bytes: not inline views
            "status": pl.Series(["eligible", "ineligible"] * (n // 2) + ["eligible"] * (n % 2), dtype=STATUS_DTYPE),
            "amount_fen": [i * 100 if i % 3 else None for i in range(start, start + n)],
            "note": [None] * n,
        },
        schema={"credit_code": pl.String, "status": STATUS_DTYPE, "amount_fen": pl.Int64, "note": pl.String},
    )


def test_one_frame(tmp_path):
    df = _frame(0, 5)
    with ParquetAppender(tmp_path / "r.parquet") as out:
        out.write(df)
    assert out.rows == 5
    assert_frame_equal(pl.read_parquet(tmp_path / "r.parquet"), df)


def test_several_frames_keep_their_order_and_types(tmp_path):
    frames = [_frame(0, 0), _frame(0, 7), _frame(7, 0), _frame(7, 4), _frame(11, 1)]
    with ParquetAppender(tmp_path / "r.parquet") as out:
        for f in frames:
            out.write(f)
    back = pl.read_parquet(tmp_path / "r.parquet")
    assert out.rows == 12
    assert back.schema == frames[1].schema  # the status stays the categorical it was
    assert_frame_equal(back, pl.concat(frames))


def test_a_column_of_another_arrow_type_is_cast_to_the_first(tmp_path):
    first = _frame(0, 2)
    later = _frame(2, 2).with_columns(pl.col("amount_fen").cast(pl.Int32))
    with ParquetAppender(tmp_path / "r.parquet") as out:
        out.write(first)
        out.write(later)
    back = pl.read_parquet(tmp_path / "r.parquet")
    assert back.schema["amount_fen"] == pl.Int64
    assert back["amount_fen"].to_list() == first["amount_fen"].to_list() + later["amount_fen"].cast(pl.Int64).to_list()


@pytest.mark.parametrize("frames_before", [1, 3])
def test_a_failed_run_leaves_no_file(tmp_path, frames_before):
    path = tmp_path / "r.parquet"
    with pytest.raises(RuntimeError):
        with ParquetAppender(path) as out:
            for i in range(frames_before):
                out.write(_frame(i * 2, 2))
            raise RuntimeError("partition failed")
    assert not path.exists()


@pytest.mark.parametrize("frames", [1, 3])
def test_close_behind_writes_the_file_once_on_its_thread(tmp_path, monkeypatch, frames):
    """close_behind hands what is left to write to a thread: the file is complete when its future is, and the
    appender itself is closed at once (its own close, as ``with`` runs it, writes nothing more)."""
    import pyarrow.parquet as pq

    import wengang.screening.output as output

    threads: list[str] = []  # the thread of each write of a one-frame file, and of each close of pyarrow's writer

    def counted(inner):
        def call(*args, **kwargs):
            threads.append(threading.current_thread().name)
            return inner(*args, **kwargs)

        return call

    monkeypatch.setattr(output, "write_parquet", counted(output.write_parquet))
    monkeypatch.setattr(pq.ParquetWriter, "close", counted(pq.ParquetWriter.close))
    path = tmp_path / "r.parquet"
    parts = [_frame(i * 3, 3) for i in range(frames)]
    with ParquetAppender(path) as out:
        for f in parts:
            out.write(f)
        written = out.close_behind()
    written.result(timeout=60)
    out.close()
    assert threads == ["wengang-features"]  # once, on its own thread
    assert_frame_equal(pl.read_parquet(path), pl.concat(parts))


def test_close_behind_that_fails_removes_the_file_and_says_so(tmp_path, monkeypatch):
    import wengang.screening.output as output

    def half_written(frame, path, **kwargs):
        path.write_bytes(b"PAR1")  # a start of a file, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output, "write_parquet", half_written)
    path = tmp_path / "r.parquet"
    out = ParquetAppender(path)
    out.write(_frame(0, 2))
    with pytest.raises(OSError, match="No space left"):
        out.close_behind().result(timeout=60)
    assert not path.exists()


def test_a_frame_with_other_columns_is_refused(tmp_path):
    path = tmp_path / "r.parquet"
    with pytest.raises(ValueError):
        with ParquetAppender(path) as out:
            out.write(_frame(0, 2))
            out.write(_frame(2, 2))
            out.write(_frame(4, 2).drop("note"))
    assert not path.exists()


@given(st.lists(st.one_of(st.none(), st.sampled_from(["", "a", "b", "a;b", "b;a", "a;a", "c;", ";c", "b;c;a"])), max_size=60))
def test_summary_counts_each_reason_of_each_unit(reasons):
    from collections import Counter

    from wengang.screening.output import summarise

    n = len(reasons)
    results = pl.DataFrame(
        {
            "credit_code": [str(i) for i in range(n)], "region_code": ["150502"] * n, "status": ["ineligible"] * n,
            "amount_fen": [None] * n, "reasons": reasons,
        },
        schema={"credit_code": pl.String, "region_code": pl.String, "status": pl.String, "amount_fen": pl.Int64,
                "reasons": pl.String},
    )  # fmt: skip
    counts = Counter(c for r in reasons if r for c in r.split(";") if c)
    want = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    got = summarise(results.lazy(), {"a": "甲"}).by_reason
    assert got == [(c, {"a": "甲"}.get(c, c), k) for c, k in want]


_ROW = st.tuples(
    st.sampled_from(["eligible", "ineligible", "needs_decision", "not_determinable"]),
    st.one_of(st.none(), st.integers(0, 10**9)),
    st.one_of(st.none(), st.booleans()),
    st.one_of(st.none(), st.booleans()),
)


@given(st.lists(_ROW, max_size=40))
def test_summary_is_the_same_for_the_status_as_enum_or_text(rows):
    """The held and capped counts compare the status in its Enum (screen_facts' results) as they compare its text (a
    results.parquet read back as text): the same payable rows, the same sums."""
    from wengang.screening.output import summarise

    n = len(rows)
    results = pl.DataFrame(
        {
            "credit_code": [str(i) for i in range(n)], "region_code": ["150502"] * n,
            "status": [r[0] for r in rows], "amount_fen": [r[1] for r in rows], "reasons": [""] * n,
            "payment_hold": [r[2] for r in rows], "amount_is_cap": [r[3] for r in rows],
        },
        schema={"credit_code": pl.String, "region_code": pl.String, "status": pl.String, "amount_fen": pl.Int64,
                "reasons": pl.String, "payment_hold": pl.Boolean, "amount_is_cap": pl.Boolean},
    )  # fmt: skip
    as_text = summarise(results.lazy(), {})
    as_enum = summarise(results.with_columns(pl.col("status").cast(STATUS_DTYPE)).lazy(), {})
    assert as_enum == as_text
    payable = [r for r in rows if r[0] in ("eligible", "needs_decision")]
    assert as_text.held == sum(1 for r in payable if r[2])
    assert as_text.capped_amount_fen == sum(r[1] or 0 for r in payable if r[3])
    assert as_text.refusals_to_verify == sum(1 for r in rows if r[2] and r not in payable)


# ---------------------------------------------------------------------------------------------------------------
# write_parquet: a text column of one value (a literal) or none handed to the writer as an Enum, the file as before

TEXT_KINDS = ("literal", "null literal", "one value", "nulls", "varied", "agree first")


def _text_column(kind: str, n: int, i: int) -> pl.Expr:
    name = f"t{i}"
    if kind == "literal":
        return pl.lit(f"政策文本 {i} " * 20).alias(name)  # a long text (views not inline)
    if kind == "null literal":
        return pl.lit(None, dtype=pl.String).alias(name)
    if kind == "one value":  # the same value on every row, held row by row
        return pl.lit(pl.Series([f"v{i}"] * n, dtype=pl.String)).alias(name)
    if kind == "nulls":
        return pl.lit(pl.Series([None] * n, dtype=pl.String)).alias(name)
    if kind == "varied":
        return pl.lit(pl.Series([f"v{j % 3}" if j % 5 else None for j in range(n)], dtype=pl.String)).alias(name)
    # the first rows agree, a later one does not
    return pl.lit(pl.Series(["same"] * (n - 1) + ["other"], dtype=pl.String)).alias(name)


@given(
    kinds=st.lists(st.sampled_from(TEXT_KINDS), min_size=1, max_size=6),
    n=st.sampled_from([1, 2, 300, 600]),
    constant_all=st.booleans(),
)
def test_written_cheaper_reads_back_as_the_plain_write(tmp_path_factory, kinds, n, constant_all):
    from wengang.screening.output import PARQUET_OPTIONS, write_parquet

    base = pl.DataFrame(
        {
            "credit_code": [f"CODE{i:014d}" for i in range(n)],
            "status": pl.Series(["eligible", "ineligible"] * (n // 2) + ["eligible"] * (n % 2), dtype=STATUS_DTYPE),
        }
    )
    frame = base.with_columns(_text_column(k, n, i) for i, k in enumerate(kinds))
    d = tmp_path_factory.mktemp("w")
    frame.write_parquet(d / "plain.parquet", **PARQUET_OPTIONS)
    constant = [c for c in frame.columns if c.startswith("t")] if constant_all else ["t0"]
    write_parquet(frame, d / "new.parquet", constant=constant)
    assert_frame_equal(pl.read_parquet(d / "new.parquet"), frame)
    # the same schema stored for other readers (text, not categories)
    assert pl.read_parquet_metadata(d / "new.parquet") == pl.read_parquet_metadata(d / "plain.parquet")


def _frames_handed_to_the_writer(monkeypatch) -> list[pl.DataFrame]:
    """The frames Polars' writer is given for x.parquet from now on (filled as they are written)."""
    written: list[pl.DataFrame] = []
    plain = pl.DataFrame.write_parquet

    def write(self, file, *a, **k):
        if str(file).endswith("x.parquet"):
            written.append(self)
        return plain(self, file, *a, **k)

    monkeypatch.setattr(pl.DataFrame, "write_parquet", write)
    return written


def test_literal_and_empty_texts_are_handed_over_as_enums(tmp_path, monkeypatch):
    """The columns worth it are recognised: literals named as constant, any column with no value; not a column
    whose first rows agree and a later one differs, nor one not named."""
    from wengang.screening import output

    n = 600
    frame = pl.DataFrame({"credit_code": [f"C{i}" for i in range(n)]}).with_columns(
        _text_column("literal", n, 0),
        _text_column("null literal", n, 1),
        _text_column("agree first", n, 2),
        _text_column("one value", n, 3),
        _text_column("literal", n, 4),
    )
    assert output._constant_texts(frame, ["t0", "t2", "t3"]) == {
        "t0": ["政策文本 0 " * 20],
        "t1": [],
        "t3": ["v3"],
    }
    written = _frames_handed_to_the_writer(monkeypatch)
    output.write_parquet(frame, tmp_path / "x.parquet", constant=["t0", "t2", "t3"])
    assert {c: str(t) for c, t in written[0].schema.items() if t != pl.String} == {
        "t0": str(pl.Enum(["政策文本 0 " * 20])),
        "t1": str(pl.Enum([])),
        "t3": str(pl.Enum(["v3"])),
    }
    assert_frame_equal(pl.read_parquet(tmp_path / "x.parquet"), frame)


# write_parquet: a text column of a known book handed over as an Enum of it, an Int64 column with no value or of money
# in fen as a Duration (written plainly) — the file as before for every reader

BOOK = ("large", "medium", "small", "micro")
INT_KINDS = ("no value", "null literal", "values", "values and nulls", "one value")


def _book_column(kind: str, n: int, i: int) -> pl.Series:
    name = f"b{i}"
    if kind == "in book":  # every book text and nulls, in an order of their own
        return pl.Series(name, [None if j % 7 == 3 else BOOK[(j * 5 + i) % 4] for j in range(n)], dtype=pl.String)
    if kind == "part of book":
        return pl.Series(name, [BOOK[j % 2] for j in range(n)], dtype=pl.String)
    if kind == "no value":
        return pl.Series(name, [None] * n, dtype=pl.String)
    # a text outside the book on one row (a spelling of the table's own, a blank, another case)
    outside = ("", "LARGE", "medium ", "中型")[i % 4]
    return pl.Series(name, [outside if j == n // 2 else BOOK[j % 4] for j in range(n)], dtype=pl.String)


def _int_column(kind: str, n: int, name: str) -> pl.Series | pl.Expr:
    if kind == "no value":
        return pl.Series(name, [None] * n, dtype=pl.Int64)
    if kind == "null literal":
        return pl.lit(None, dtype=pl.Int64).alias(name)
    if kind == "values":  # wide and narrow, negative
        return pl.Series(name, [(j * 7919) % 1000 * (10**12 if j % 3 else -1) for j in range(n)], dtype=pl.Int64)
    if kind == "values and nulls":
        return pl.Series(name, [None if j % 4 == 1 else j - n // 2 for j in range(n)], dtype=pl.Int64)
    return pl.Series(name, [2**62] * n, dtype=pl.Int64)


@given(
    books=st.lists(st.sampled_from(("in book", "part of book", "no value", "outside")), max_size=4),
    ints=st.lists(st.tuples(st.sampled_from(INT_KINDS), st.booleans()), max_size=4),
    n=st.sampled_from([1, 2, 300, 600]),
)
def test_books_and_plain_integers_read_back_as_the_plain_write(tmp_path_factory, books, ints, n):
    import pyarrow.parquet as pq

    from wengang.screening.output import PARQUET_OPTIONS, write_parquet

    frame = pl.DataFrame({"credit_code": [f"CODE{i:014d}" for i in range(n)]}).with_columns(
        *(_book_column(k, n, i) for i, k in enumerate(books)),
        *(_int_column(k, n, f"i{i}_fen" if fen else f"i{i}") for i, (k, fen) in enumerate(ints)),
        pl.lit(pl.Series([date(2025, 1, 1) + timedelta(days=j) for j in range(n)])).alias("day"),
    )
    d = tmp_path_factory.mktemp("w")
    frame.write_parquet(d / "plain.parquet", **PARQUET_OPTIONS)
    # a book also for a column that is not text, and one for a column not in the frame: both left alone
    given_books = {c: BOOK for c in frame.columns if c.startswith("b")} | {"i0": BOOK, "absent": BOOK}
    write_parquet(frame, d / "new.parquet", books=given_books)
    assert_frame_equal(pl.read_parquet(d / "new.parquet"), frame)
    assert pl.read_parquet_metadata(d / "new.parquet") == pl.read_parquet_metadata(d / "plain.parquet")
    # pyarrow (and any reader of Parquet's own schema): the same columns and types, the same values
    assert pq.ParquetFile(d / "new.parquet").schema == pq.ParquetFile(d / "plain.parquet").schema
    assert pq.read_table(d / "new.parquet").equals(pq.read_table(d / "plain.parquet"))


def test_books_and_plain_integers_are_handed_over(tmp_path, monkeypatch):
    """Book columns whose every value is in the book go over as Enums of it, others stay text; Int64 columns with no
    value, and money in fen, as Durations; other Int64 columns stay as they are."""
    from wengang.screening import output

    n = 600
    frame = pl.DataFrame({"credit_code": [f"C{i}" for i in range(n)]}).with_columns(
        _book_column("in book", n, 0),
        _book_column("outside", n, 1),
        _book_column("no value", n, 2),  # (an empty text column: the Enum of no value, as before)
        _book_column("part of book", n, 3),
        _book_column("in book", n, 4),  # no book given
        _int_column("no value", n, "i0"),
        _int_column("null literal", n, "i1"),
        _int_column("values", n, "i2"),
        _int_column("values and nulls", n, "paid_fen"),
        _int_column("values", n, "late_fee_fen"),
    )
    books = {"b0": BOOK, "b1": BOOK, "b2": BOOK, "b3": BOOK}
    written = _frames_handed_to_the_writer(monkeypatch)
    output.write_parquet(frame, tmp_path / "x.parquet", books=books)
    assert {c: str(t) for c, t in written[0].schema.items() if t != frame.schema[c]} == {
        "b0": str(pl.Enum(BOOK)),
        "b2": str(pl.Enum([])),
        "b3": str(pl.Enum(BOOK)),
        "i0": str(pl.Duration("us")),
        "i1": str(pl.Duration("us")),
        "paid_fen": str(pl.Duration("us")),
        "late_fee_fen": str(pl.Duration("us")),
    }
    assert_frame_equal(pl.read_parquet(tmp_path / "x.parquet"), frame)


def test_features_and_results_name_their_books():
    """The books the runs give: the classes' and the steps' texts, as the rules and the features write them."""
    from wengang.facts.size_class import STEPS
    from wengang.facts.unit import SizeClass
    from wengang.screening.features import FEATURE_SCHEMA
    from wengang.screening.pipeline import RESULT_BOOKS
    from wengang.screening.schemas import FEATURE_BOOKS

    classes = {s.value for s in SizeClass}
    assert set(FEATURE_BOOKS) - {"size_class_step"} <= set(FEATURE_SCHEMA)
    assert all(set(b) == classes for c, b in FEATURE_BOOKS.items() if c != "size_class_step")
    assert set(FEATURE_BOOKS["size_class_step"]) == set(STEPS)
    assert RESULT_BOOKS == {"size_class": FEATURE_BOOKS["size_class"]}


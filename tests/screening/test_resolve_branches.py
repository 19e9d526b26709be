"""One partition resolves branches by joining only the rows that name a legal entity, on the columns the step reads,
and writing the results into place (``features._resolve_branches``). It must give what ``apply_legal_entity`` gives
over every row, with the frame's chunks as they were."""

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from wengang.facts.identifiers import make_credit_code
from wengang.screening.features import _resolve_branches, apply_legal_entity

CLASSES = [None, "large", "medium", "small", "micro"]
STEPS = [None, "stats", "standard_2017"]
CHANGED = ("size_class", "size_class_step", "legal_entity_size_class", "legal_entity_avg_contributors_12m")


@st.composite
def frames(draw):
    n = draw(st.integers(1, 40))
    codes = [f"C{i:03d}" for i in range(n)]
    # a legal entity among the units, one the registry does not have, or none
    le = st.one_of(st.none(), st.sampled_from(codes), st.just("UNKNOWN"))
    frame = pl.DataFrame(
        {
            "credit_code": codes,
            "legal_entity_credit_code": draw(st.lists(le, min_size=n, max_size=n)),
            "size_class": draw(st.lists(st.sampled_from(CLASSES), min_size=n, max_size=n)),
            "size_class_step": draw(st.lists(st.sampled_from(STEPS), min_size=n, max_size=n)),
            "legal_entity_size_class": [None] * n,
            "legal_entity_avg_contributors_12m": pl.Series([None] * n, dtype=pl.Int64),
            "avg_contributors_12m": draw(
                st.lists(st.one_of(st.none(), st.integers(0, 999)), min_size=n, max_size=n)
            ),
        },
        schema_overrides={
            **dict.fromkeys(
                ("legal_entity_credit_code", "size_class", "size_class_step", "legal_entity_size_class"),
                pl.String,
            ),
            "avg_contributors_12m": pl.Int64,
        },
    )
    cuts = sorted(draw(st.sets(st.integers(1, max(1, n - 1)), max_size=3)))
    if cuts and cuts[-1] < n:  # the frame in several chunks, as the streaming engine leaves it
        bounds = [0, *cuts, n]
        frame = pl.concat(
            [frame.slice(a, b - a) for a, b in zip(bounds, bounds[1:], strict=False)], rechunk=False
        )
    return frame


@settings(max_examples=300, deadline=None)
@given(frame=frames())
def test_branches_resolved_in_place_are_the_join_over_every_row(frame):
    named = frame.select(pl.col("legal_entity_credit_code").drop_nulls().alias("credit_code")).unique()
    parents = frame.select("credit_code", "size_class", "avg_contributors_12m").join(
        named, on="credit_code", how="semi"
    )
    got = _resolve_branches(frame, parents)
    want = apply_legal_entity(frame.lazy(), parents.lazy()).collect()
    assert_frame_equal(got, want)
    named_by = frame.get_column("legal_entity_credit_code")
    if named_by.null_count():  # (every row a branch: joined whole, as before)
        # the columns written are chunked as the frame is (zero-copy slices), the others untouched
        for c in got.columns:
            like = named_by if c in CHANGED else frame.get_column(c)
            assert got.get_column(c).chunk_lengths() == like.chunk_lengths(), c


def test_no_branch_in_a_chunked_frame_keeps_its_chunks():
    one = pl.DataFrame(
        {
            "credit_code": ["A"],
            "legal_entity_credit_code": [None],
            "size_class": ["small"],
            "size_class_step": [None],
        },
        schema_overrides={"legal_entity_credit_code": pl.String, "size_class_step": pl.String},
    ).with_columns(
        pl.lit(None, dtype=pl.String).alias("legal_entity_size_class"),
        pl.lit(None, dtype=pl.Int64).alias("legal_entity_avg_contributors_12m"),
        pl.lit(7, dtype=pl.Int64).alias("avg_contributors_12m"),
    )
    frame = pl.concat([one, one.with_columns(pl.lit("B").alias("credit_code"))], rechunk=False)
    got = _resolve_branches(frame, frame.clear().select("credit_code", "size_class", "avg_contributors_12m"))
    assert_frame_equal(got, frame)
    assert got.n_chunks("all") == frame.n_chunks("all")


@settings(max_examples=300, deadline=None)
@given(frame=frames())
def test_branches_found_by_position_are_the_join_over_every_row(frame):
    """One partition: each branch's legal entity found by position beside the monthly rows, its class taken then
    (``_with_legal_entity_classes``) and its average once the monthly rows are in (``_with_legal_entity_averages``):
    what ``apply_legal_entity`` gives over every row, the columns written chunked as the frame."""
    from wengang.screening.features import (
        _legal_entity_rows,
        _with_legal_entity_averages,
        _with_legal_entity_classes,
    )

    want = apply_legal_entity(frame.lazy(), frame.lazy().select("credit_code", "size_class", "avg_contributors_12m"))
    rows, parents = _legal_entity_rows(frame)
    # (the classes are taken before the average is known: they do not read it)
    early = _with_legal_entity_classes(frame.with_columns(pl.lit(-1).alias("avg_contributors_12m")), rows, parents)
    got = _with_legal_entity_averages(early.with_columns(frame.get_column("avg_contributors_12m")), rows, parents)
    assert_frame_equal(got, want.collect())
    chunked = {tuple(frame.get_column(c).chunk_lengths()) for c in frame.columns}
    if len(chunked) == 1:  # (a frame whose columns are chunked alike, as a partition's features are)
        for c in CHANGED:  # the columns written are chunked as the frame (not left in one chunk)
            assert tuple(got.get_column(c).chunk_lengths()) in chunked, c


_CODES = [make_credit_code("91", "150502", f"MA{i:07d}") for i in range(12)]


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 8),
    st.lists(st.booleans(), min_size=8, max_size=8),
    st.lists(st.one_of(st.none(), st.integers(0, 11)), min_size=8, max_size=8),
)
def test_legal_entities_numbered_by_the_registry_are_found_as_by_the_join(tmp_path_factory, n, unnamed, named):
    """One partition: a branch's legal entity found through the registry's numbering (``registry_numbers``: the
    code's registry row, then that row among the accepted units) is the row the join finds — also for a legal entity
    whose registry row was quarantined (no name), one the registry does not have, and a unit naming itself."""
    import functools

    from wengang.screening.features import CODE_KEY, _legal_entity_rows
    from wengang.screening.ingest import read_table
    from wengang.screening.quarantine import registry_numbers, validate_table

    units = tmp_path_factory.mktemp("le") / "u.parquet"
    pl.DataFrame(
        {
            "credit_code": _CODES[:n],
            "name": [None if unnamed[i] and i else f"unit {i}" for i in range(n)],  # (the first always accepted)
            "region_code": ["150502"] * n,
            "org_type": ["enterprise"] * n,
            "legal_entity_credit_code": [None if j is None else _CODES[j] for j in named[:n]],
        },
        schema_overrides={"name": pl.String, "legal_entity_credit_code": pl.String},
    ).write_parquet(units)
    shared: dict = {}
    frame = validate_table(read_table(units, "units"), registry=True, key_out=CODE_KEY, shared=shared).accepted
    numbered = functools.partial(registry_numbers, shared)
    assert numbered(frame.get_column("credit_code")) is not None  # (distinct codes: the registry kept its index)
    got = _legal_entity_rows(frame, numbered)
    want = _legal_entity_rows(frame)
    assert got[0].to_list() == want[0].to_list() and got[1].to_list() == want[1].to_list()

"""A partitioned risk run finds exactly the flags of the unpartitioned one: same rows, same evidence, same order
(check, region, subject, record), whatever the number of partitions — with people whose rows span several
tables and an evaluation-body cluster whose holders fall in different partitions."""

from __future__ import annotations

import json
from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wengang.programs.skill_subsidy import evaluation_body_days
from wengang.risk import batch, demo

PARTITIONS = (2, 3, 5, 8)


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    return demo.generate(3000, planted=3)


@pytest.fixture(scope="module")
def whole(tables):
    run = batch.screen(tables, on=demo.EVALUATION_DATE, settings=demo.DEMO_SETTINGS, partitions=1)
    assert run.counts == demo.expected_counts(3)
    return run


def _part(ids: list[str], n: int) -> list[int]:
    return pl.DataFrame({"id_number": ids}).select(batch.partition_of("id_number", n))["id_number"].to_list()


@pytest.mark.parametrize("n", PARTITIONS)
def test_partitioned_run_equals_the_whole_run(tables, whole, n, tmp_path):
    run = batch.screen(
        tables, on=demo.EVALUATION_DATE, settings=demo.DEMO_SETTINGS, partitions=n, workdir=tmp_path
    )
    assert run.counts == whole.counts and run.skipped == whole.skipped
    assert run.not_applicable == whole.not_applicable
    assert run.flags.to_dicts() == whole.flags.to_dicts()  # rows, evidence and order
    assert list(tmp_path.iterdir()) == []  # the partitions are removed

    # the cluster: its five holders are spread over partitions, and each is still counted with the other four
    cluster = run.flags.filter(pl.col("check_id") == "evaluation_body_cluster")
    assert len(set(_part(cluster["subject_id"].to_list(), n))) > 1
    assert {json.loads(e)["evaluation_body_batch_count"] for e in cluster["evidence"]} == {5}
    # people whose rows span tables: a death (claim + registry), duplicate subsidies (certificate + two
    # subsidies), a claim in two places, a claim with a flexible-employment subsidy
    for check, tables_spanned in (
        ("ui_status_anomaly", ("ui_claims", "registry")),
        ("skill_training_same_certificate", ("certificates", "subsidies")),
        ("ui_cross_region", ("ui_claims",)),
        ("ui_with_flexible_subsidy", ("ui_claims", "flexible_subsidies")),
    ):
        ids = run.flags.filter(pl.col("check_id") == check)["subject_id"].unique().to_list()
        assert ids, check
        for name in ("persons", *tables_spanned):
            assert tables[name].filter(pl.col("id_number").is_in(ids))["id_number"].n_unique() >= 1, (check, name)


def test_a_cluster_split_by_holder_is_found_only_when_counted_over_all_holders(tables):
    # the cluster's certificates alone, each holder in the persons table: the counts must cross partitions
    certs = tables["certificates"].filter(pl.col("issuer") == "集中发证机构")
    holders = certs["id_number"].to_list()
    persons = tables["persons"].filter(pl.col("id_number").is_in(holders))
    for n in (1, 4, 16):
        run = batch.screen({"persons": persons, "certificates": certs}, on=demo.EVALUATION_DATE,
                           settings=demo.DEMO_SETTINGS, partitions=n)  # fmt: skip
        assert run.counts["evaluation_body_cluster"] == 5, n
    assert len(set(_part(holders, 16))) >= 3


def test_rows_per_partition_follows_the_memory_limit():
    assert batch.rows_per_partition(None) == batch.ROWS_PER_PARTITION
    small = batch.rows_per_partition(2)
    assert batch.MIN_ROWS_PER_PARTITION <= small < batch.rows_per_partition(3) <= batch.ROWS_PER_PARTITION
    assert batch.rows_per_partition(4096) == batch.ROWS_PER_PARTITION
    with pytest.raises(batch.RiskInputError) as e:
        batch.rows_per_partition(0.5)
    assert "内存上限" in e.value.zh


_day = st.integers(0, 120).map(lambda d: date(2024, 1, 1) + timedelta(days=d))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["甲", "乙", ""]), _day, st.integers(0, 3)), max_size=30))
def test_body_counts_by_holder_partition_are_the_whole_counts(certs):
    # what the partitioned run sends each partition: every (body, day, partition) row carries the body's count
    frame = pl.LazyFrame(certs, schema={"evaluation_body": pl.String, "certificate_issue_date": pl.Date,
                                        "part": pl.Int64}, orient="row")  # fmt: skip
    whole = evaluation_body_days(frame, window_days=7).collect()
    split = evaluation_body_days(frame, window_days=7, by=["part"]).collect()
    keys = ["evaluation_body", "certificate_issue_date"]
    assert split.select(*keys, "part").sort(pl.all()).rows() == frame.filter(pl.col("evaluation_body") != "").unique(
        keys + ["part"]).sort(pl.all()).collect().rows()  # fmt: skip
    assert split.join(whole, on=keys, how="left", suffix="_whole").filter(
        pl.col("evaluation_body_batch_count") != pl.col("evaluation_body_batch_count_whole")
    ).height == 0


def test_only_the_flagging_body_days_are_sent_to_the_partitions(tables):
    # the cluster rule reads only the count and flags no missing one, so only the flagging (body, day) rows
    # are joined to the applications: the five of the planted cluster
    check = batch.CHECKS["evaluation_body_cluster"]
    days = batch._body_days(tables["certificates"].lazy(), 30)
    kept = batch._flagging_days(days, demo.DEMO_SETTINGS, check).collect()
    assert days.collect().height > 1000 and kept["evaluation_body"].to_list() == ["集中发证机构"] * 5
    assert set(kept["evaluation_body_batch_count"]) == {5}

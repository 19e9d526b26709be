import hashlib
from datetime import date
from pathlib import Path

import polars as pl

from wengang.facts.identifiers import check_credit_codes, check_id_numbers
from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.features import derive_features, derive_features_partitioned
from wengang.screening.ingest import read_table
from wengang.screening.quarantine import validate_table

SIDE = ("headcount", "exclusions", "stats_size", "deferrals", "dispatch")


def _digest(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*.parquet"))
    }


def test_same_seed_same_bytes_and_chunking_does_not_matter(tmp_path: Path):
    generate_region(tmp_path / "a", n_units=3000, seed=7, chunk_units=1000)
    generate_region(tmp_path / "b", n_units=3000, seed=7, chunk_units=1000)
    assert _digest(tmp_path / "a") == _digest(tmp_path / "b")
    generate_region(tmp_path / "c", n_units=3000, seed=7, chunk_units=3000)
    u1 = pl.read_parquet(tmp_path / "a" / "units" / "*.parquet")
    u3 = pl.read_parquet(tmp_path / "c" / "units" / "*.parquet")
    assert u1.equals(u3)
    generate_region(tmp_path / "d", n_units=3000, seed=8, chunk_units=1000)
    assert _digest(tmp_path / "a") != _digest(tmp_path / "d")


def test_shape_and_validity(tmp_path: Path):
    paths = generate_region(tmp_path, n_units=5000, seed=1, chunk_units=2000)
    units = pl.read_parquet(paths["units"] / "*.parquet")
    cc = check_credit_codes(units)
    bad = cc.filter(~pl.col("credit_code_valid"))
    assert 0 < bad.height < 20 and set(bad["credit_code_reason"]) == {"check"}
    assert units["region_code"].str.starts_with("1505").all()
    assert units["legal_entity_credit_code"].is_not_null().mean() > 0.01
    assert units["is_dispatch_firm"].sum() > 0
    assert (units["employees"] < 20).mean() > 0.7 and units["employees"].max() >= 300  # heavy tail
    persons = pl.read_parquet(paths["persons"])
    assert check_id_numbers(persons)["id_number_valid"].all()
    for nm in ("certificates", "subsidies", "ui_claims"):
        assert pl.read_parquet(paths[nm]).height > 0
    # GBK and XLSX samples read back through ingest
    for key in ("registry_sample_gbk", "registry_sample_xlsx"):
        res = validate_table(
            read_table(paths[key], "units"), allowed_regions=allowed_regions_for("150500", 2024)
        )
        assert res.report.reconciles and res.report.accepted > 150


def test_pipeline_and_partitioned_path_agree(tmp_path: Path):
    paths = generate_region(tmp_path / "d", n_units=4000, seed=2, chunk_units=1500)
    allowed = allowed_regions_for("150500", 2024)
    raws = {nm: read_table(paths[nm], nm) for nm in ("units", "contributions", *SIDE)}
    acc, quarantined = {}, 0
    for nm, raw in raws.items():
        res = validate_table(raw, allowed_regions=allowed)
        assert res.report.reconciles
        quarantined += res.report.quarantined
        acc[nm] = res.accepted
    assert quarantined > 0  # the deliberately bad rows show up
    d = date(2024, 1, 15)
    whole = derive_features(
        acc.pop("units"), acc.pop("contributions"), policy_year=2024, evaluation_date=d, **acc
    )
    whole = whole.collect(engine="streaming").sort("credit_code")
    raws = {nm: read_table(paths[nm], nm) for nm in ("units", "contributions", *SIDE)}
    run = derive_features_partitioned(
        raws.pop("units"),
        raws.pop("contributions"),
        tmp_path / "out",
        policy_year=2024,
        evaluation_date=d,
        partitions=3,
        allowed_regions=allowed,
        others=raws,
    )
    parted = pl.read_parquet(run.features_path).sort("credit_code")
    assert parted.equals(whole)
    assert all(r.reconciles for r in run.reports.values())
    assert pl.read_parquet(run.quarantine_path).height == sum(r.quarantined for r in run.reports.values())
    assert whole["backpay_other_years_fen"].gt(0).any() and whole["late_fee_fen"].gt(0).any()
    assert whole["serious_dishonesty"].any() or whole["abnormal_operations"].any()

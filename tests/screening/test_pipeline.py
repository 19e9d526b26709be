"""The 免申即享 run end to end: raw tables → quarantine → features → decisions → files, counts reconcile."""

from __future__ import annotations

import json
from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from wengang.cli import app
from wengang.evaluate import evaluate
from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.pipeline import StrictRefusal, run_screening

TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")
runner = CliRunner()


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    root = tmp_path_factory.mktemp("region")
    paths = generate_region(root / "data", region_code="150500", n_units=3000, year=2025, seed=3)
    return root, paths


@pytest.fixture(scope="module")
def screened(region):
    root, paths = region
    report = run_screening(
        root / "out",
        program="fanhuan",
        evaluation_date=date(2025, 8, 1),
        policy_year=2025,
        tables={k: paths[k] for k in TABLES},
        allowed_regions=allowed_regions_for("150500", 2025) | {"150500"},
    )
    return root, report


def test_counts_reconcile_and_bad_rows_are_quarantined(screened):
    root, report = screened
    assert report.reconciles
    units = next(r for r in report.reports if r.table == "units")
    assert units.quarantined > 0  # the generator plants bad check characters
    results = pl.read_parquet(root / "out" / "results.parquet")
    assert results.height == units.accepted
    q = pl.read_parquet(root / "out" / "quarantine.parquet")
    assert {"source_file", "source_row", "field", "reason_zh", "reason_en"} <= set(q.columns)
    assert q.filter(pl.col("reason_zh").is_null()).height == 0


def test_results_are_the_policy_in_force_and_amounts_add_up(screened):
    root, report = screened
    assert report.policies == ["内人社发〔2025〕18号"]
    results = pl.read_parquet(root / "out" / "results.parquet")
    statuses = set(results["status"].cast(pl.String).unique())
    assert {"eligible", "ineligible"} <= statuses
    assert results.filter(pl.col("status") != "eligible")["amount_fen"].null_count() == results.filter(pl.col("status") != "eligible").height
    total = results["amount_fen"].sum()
    assert report.summary.total_amount_fen == total
    publicity = pl.read_excel(root / "out" / "publicity.xlsx")
    # the 拟公示 list holds the eligible units not held for payment (a held unit is not published: session 41)
    listed = results.filter((pl.col("status") == "eligible") & ~pl.col("payment_hold").fill_null(False))
    assert publicity.height == listed.height < results.filter(pl.col("status") == "eligible").height
    yuan = publicity.get_column(publicity.columns[-1]).cast(pl.String)
    fen = sum(int(v.replace(".", "")) for v in yuan)
    assert fen == listed["amount_fen"].sum()  # the 公示 list shows exactly the amounts decided, to the fen


def test_each_result_is_the_one_case_decision(screened):
    root, _ = screened
    feats = pl.read_parquet(root / "out" / "features.parquet")
    results = pl.read_parquet(root / "out" / "results.parquet").select("credit_code", "status", "amount_fen")
    sample = feats.sample(60, seed=1).join(results, on="credit_code")
    for row in sample.iter_rows(named=True):
        facts = {k: v for k, v in row.items() if k not in ("status", "amount_fen") and v is not None}
        d = evaluate("fanhuan", row["region_code"], date(2025, 8, 1), facts)
        assert (d.status, d.amount_fen) == (str(row["status"]), row["amount_fen"]), row["credit_code"]


def test_strict_refuses_the_whole_input(region, tmp_path):
    _, paths = region
    with pytest.raises(StrictRefusal):
        run_screening(
            tmp_path, program="fanhuan", evaluation_date=date(2025, 8, 1), policy_year=2025,
            tables={k: paths[k] for k in TABLES}, strict=True, excel=False,
        )
    assert not (tmp_path / "results.parquet").exists()


def test_no_policy_in_force_is_said_not_guessed(region, tmp_path):
    root, _ = region
    feats = root / "out" / "features.parquet"
    if not feats.exists():
        pytest.skip("needs the screened fixture")
    report = run_screening(tmp_path, program="fanhuan", evaluation_date=date(2026, 11, 23), facts=feats, excel=False)
    results = pl.read_parquet(tmp_path / "results.parquet")
    assert set(results["status"].cast(pl.String).unique()) == {"not_determinable"}
    assert any("内人社发〔2025〕18号" in text and "2025-12-31" in text for _, text, _ in report.summary.by_reason)


def test_cli_screen_from_a_gbk_facts_csv(screened, tmp_path):
    root, _ = screened
    feats = pl.read_parquet(root / "out" / "features.parquet").head(200)
    csv = tmp_path / "facts.csv"
    csv.write_bytes(feats.write_csv().encode("gbk"))
    bad = feats.head(1).with_columns(pl.lit("91150502MA0000000A").alias("credit_code"))
    csv_bad = tmp_path / "facts_bad.csv"
    csv_bad.write_bytes(pl.concat([feats.head(5), bad]).write_csv().encode("gbk"))
    result = runner.invoke(app, ["screen", "--facts", str(csv_bad), "--date", "2025-08-01", "--out", str(tmp_path / "o"), "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["input"][0] == {"table": "facts", "source": str(csv_bad), "in": 6, "accepted": 5, "quarantined": 1}
    strict = runner.invoke(app, ["screen", "--facts", str(csv_bad), "--date", "2025-08-01", "--out", str(tmp_path / "s"), "--strict"])
    assert strict.exit_code == 2 and "严格模式" in strict.output


def test_cli_screen_malformed_file_is_a_clear_error(tmp_path):
    junk = tmp_path / "units.csv"
    junk.write_bytes("名称,金额\n甲,1\n".encode("gbk"))
    contributions = tmp_path / "contributions.csv"
    contributions.write_text("x\n1\n", encoding="utf-8")
    result = runner.invoke(
        app,
        ["screen", "--units", str(junk), "--contributions", str(contributions), "--date", "2025-08-01", "--out", str(tmp_path / "o")],
    )
    assert result.exit_code == 2
    assert "错误" in result.output and "Traceback" not in result.output


def test_unknown_region_is_reported_not_a_crash(screened, tmp_path):
    root, _ = screened
    feats = pl.read_parquet(root / "out" / "features.parquet").head(20)
    # 159900 is no division of GB/T 2260 (内蒙古 has no prefecture 99): unknown whatever the registry adds
    # (150200 包头 was used here until prefecture cities became known regions)
    feats = feats.with_columns(pl.when(pl.int_range(pl.len()) < 5).then(pl.lit("159900")).otherwise(pl.col("region_code")).alias("region_code"))
    path = tmp_path / "facts.parquet"
    feats.write_parquet(path)
    report = run_screening(tmp_path / "o", program="fanhuan", evaluation_date=date(2025, 8, 1), facts=path, excel=False)
    results = pl.read_parquet(tmp_path / "o" / "results.parquet")
    unknown = results.filter(pl.col("region_code") == "159900")
    assert unknown.height == 5 and set(unknown["reasons"]) == {"unknown_region"}
    assert results.filter(pl.col("region_code") != "159900")["policy_number"].drop_nulls().len() == 15
    assert any("159900" in text for code, text, _ in report.summary.by_reason if code == "unknown_region")


def _sorted_results(out) -> pl.DataFrame:
    return pl.read_parquet(out / "results.parquet").sort("credit_code")


def test_partitions_give_the_same_results_and_summary(screened, region, tmp_path):
    """Several partitions: units that are not branches are decided partition by partition, branches last
    (their legal entity may be in another partition); the results and the summary are the same."""
    root, one = screened
    _, paths = region
    three = run_screening(
        tmp_path, program="fanhuan", evaluation_date=date(2025, 8, 1), policy_year=2025,
        tables={k: paths[k] for k in TABLES}, allowed_regions=allowed_regions_for("150500", 2025) | {"150500"},
        partitions=3, excel=False,
    )
    assert three.reconciles
    assert_frame_equal(_sorted_results(tmp_path), _sorted_results(root / "out"))
    feats = pl.read_parquet(tmp_path / "features.parquet")
    assert feats.height == three.summary.total
    assert pl.read_parquet(root / "out" / "features.parquet").filter(pl.col("size_class_step") == "legal_entity").height > 0
    for part in ("total", "by_status", "by_reason", "by_size", "by_region", "total_amount_fen"):
        assert getattr(three.summary, part) == getattr(one.summary, part), part
    assert three.policies == one.policies


def test_quarantined_rows_count_as_absent_and_strict_takes_a_clean_input(screened, region, tmp_path):
    """Dropping the quarantined rows from the input gives the same decisions, and --strict then accepts it
    (its results are written only after the whole input is known to be clean)."""
    root, _ = screened
    _, paths = region
    q = pl.read_parquet(root / "out" / "quarantine.parquet").select("source_file", "source_row")
    clean = {}
    (tmp_path / "clean").mkdir()
    for name in TABLES:
        src = paths[name]  # a directory of chunks reads as one table: source_row counts across its files
        bad = q.filter(pl.col("source_file") == str(src))["source_row"]
        df = pl.read_parquet(src / "*.parquet" if src.is_dir() else src).with_row_index("__r", offset=1)
        df.filter(~pl.col("__r").is_in(bad.implode())).drop("__r").write_parquet(tmp_path / "clean" / f"{name}.parquet")
        clean[name] = tmp_path / "clean" / f"{name}.parquet"
    report = run_screening(
        tmp_path / "out", program="fanhuan", evaluation_date=date(2025, 8, 1), policy_year=2025,
        tables=clean, allowed_regions=allowed_regions_for("150500", 2025) | {"150500"},
        partitions=2, strict=True, excel=False,
    )
    assert all(r.quarantined == 0 for r in report.reports)
    clean_results, results = _sorted_results(tmp_path / "out"), _sorted_results(root / "out")
    hold = ["payment_hold", "payment_hold_reason"]
    assert_frame_equal(clean_results.drop(hold), results.drop(hold))
    # fail closed: a quarantined row that could stop a payment is not the same as no row — it held the payments
    # it may concern (screening.holds); taking it out of the input lifts those holds and changes nothing else
    by_quarantine = pl.col("payment_hold_reason").str.contains("格式有误|无法识别").fill_null(False)
    assert clean_results.filter(by_quarantine).height == 0
    assert_frame_equal(clean_results.filter(~results.select(by_quarantine).to_series()), results.filter(~by_quarantine))


def test_facts_run_writes_the_facts_it_decided_on(screened, tmp_path):
    """`screen --facts`: features.parquet holds the accepted facts,
    row for row, and results.parquet decides each of them."""
    root, _ = screened
    feats = pl.read_parquet(root / "out" / "features.parquet").head(40)
    path = tmp_path / "facts.parquet"
    feats.write_parquet(path)
    report = run_screening(tmp_path / "o", program="fanhuan", evaluation_date=date(2025, 8, 1), facts=path, excel=False)
    written = pl.read_parquet(tmp_path / "o" / "features.parquet")
    assert report.reconciles and written.height == report.reports[0].accepted == 40
    assert written.get_column("credit_code").to_list() == feats.get_column("credit_code").to_list()
    for name in ("avg_insured_last_year", "paid_premium_last_year_fen", "size_class"):
        assert written.get_column(name).to_list() == feats.get_column(name).to_list()
    results = pl.read_parquet(tmp_path / "o" / "results.parquet")
    assert results.get_column("credit_code").to_list() == feats.get_column("credit_code").to_list()


def test_features_and_results_are_written_with_their_books(region, screened, tmp_path, monkeypatch):
    """features.parquet and results.parquet are handed to output.write_parquet with the size classes' and steps' books
    (raw tables and a facts table), and read back as the frames written."""
    from wengang.screening import output
    from wengang.screening.pipeline import RESULT_BOOKS
    from wengang.screening.schemas import FEATURE_BOOKS

    root, paths = region
    calls: dict[str, tuple[pl.DataFrame, dict]] = {}
    plain = output.write_parquet

    def write(frame, path, **k):
        calls[path.name] = (frame, k.get("books"))
        return plain(frame, path, **k)

    monkeypatch.setattr(output, "write_parquet", write)
    run_screening(
        tmp_path / "raw", program="fanhuan", evaluation_date=date(2025, 8, 1), policy_year=2025,
        tables={k: paths[k] for k in TABLES}, allowed_regions=allowed_regions_for("150500", 2025) | {"150500"},
        excel=False,
    )  # fmt: skip
    assert calls["features.parquet"][1] == FEATURE_BOOKS and calls["results.parquet"][1] == RESULT_BOOKS
    for name, (frame, _) in calls.items():
        assert_frame_equal(pl.read_parquet(tmp_path / "raw" / name), frame)
    # the books' columns hold their texts: handed over as Enums, not written the usual way
    features = calls["features.parquet"][0]
    for c, book in FEATURE_BOOKS.items():
        assert features.select(output._coded(c, book)).null_count().item() == features.get_column(c).null_count()
    calls.clear()
    facts = tmp_path / "facts.parquet"
    pl.read_parquet(root / "out" / "features.parquet").head(50).write_parquet(facts)
    run_screening(tmp_path / "facts", program="fanhuan", evaluation_date=date(2025, 8, 1), facts=facts, excel=False)
    assert calls["features.parquet"][1] == FEATURE_BOOKS and calls["results.parquet"][1] == RESULT_BOOKS
    for name, (frame, _) in calls.items():
        assert_frame_equal(pl.read_parquet(tmp_path / "facts" / name), frame)


def test_features_schema_worked_out_before_its_write_thread(region, tmp_path, monkeypatch):
    """features.parquet's stored Arrow schema (a query on Polars' streaming engine) is worked out on the screening
    thread before the file is closed on a thread of its own beside the rules: asked for there, it waited for the
    rules' whole query (decisions §71). The file still reads back as the features written."""
    import threading

    from wengang.screening import output

    seen: list[tuple[str, bool]] = []
    inner = output._arrow_schema

    def recorded(schema):
        seen.append((threading.current_thread().name, any(name == "size_class_step" for name, _ in schema)))
        return inner(schema)

    monkeypatch.setattr(output, "_arrow_schema", recorded)
    _, paths = region
    run_screening(
        tmp_path / "out", program="fanhuan", evaluation_date=date(2025, 8, 1), policy_year=2025,
        tables={k: paths[k] for k in TABLES}, allowed_regions=allowed_regions_for("150500", 2025) | {"150500"},
    )  # fmt: skip
    features = [thread for thread, is_features in seen if is_features]
    assert features and features[0] == threading.main_thread().name
    assert pl.read_parquet(tmp_path / "out" / "features.parquet").height > 0

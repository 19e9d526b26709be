"""The Spark backend checks a facts table as ``wengang screen --facts`` does, and fails closed on payment holds
(outside audit of the Spark backend, session 38: F1 bad rows decided, E1 a unit twice, F2 holds lost, F3
--region-data, F4 tracebacks). Tiny tables (≤ 3,000 rows), one Spark session for the module."""

from __future__ import annotations

import shutil
from datetime import date

import polars as pl
import pytest

pytestmark = pytest.mark.spark

ON = date(2025, 8, 1)
DECIDED = ["status", "amount_fen", "reasons", "flags", "readings", "outcomes", "policy_id", "policy_number",
           "policy_clause", "ruleset"]  # fmt: skip


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java (apt-get install openjdk-17-jre-headless)")
    from wengang.screening.spark import local_session

    session = local_session("wengang-s38", cores=2, memory="1g")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def raw_run(tmp_path_factory):
    """A raw screen of 1,000 demo units (its features, results with holds)."""
    from wengang.screening.demo_data import allowed_regions_for, generate_region
    from wengang.screening.pipeline import run_screening

    root = tmp_path_factory.mktemp("s38spark")
    paths = generate_region(root / "data", region_code="150500", n_units=1000, year=2025, seed=3)
    tables = {k: paths[k] for k in ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")}
    run_screening(
        root / "embedded", program="fanhuan", evaluation_date=ON, policy_year=2025, tables=tables,
        allowed_regions=allowed_regions_for("150500", 2025) | {"150500"}, excel=False,
    )  # fmt: skip
    return root


def _bad_facts(root):
    """The raw run's features with the audit's bad rows: a wrong check character, a negative premium, a null
    region, a negative head count — each on an eligible unit — and an eligible unit written twice."""
    f = pl.read_parquet(root / "embedded" / "features.parquet")
    e = pl.read_parquet(root / "embedded" / "results.parquet").with_columns(pl.col("status").cast(pl.String))
    elig = e.filter(pl.col("status") == "eligible")["credit_code"].to_list()
    assert len(elig) >= 6

    def on(i, col, value):
        return pl.when(pl.col("credit_code") == elig[i]).then(value).otherwise(pl.col(col)).alias(col)

    wrong = elig[0][:-1] + ("0" if elig[0][-1] != "0" else "1")
    f = f.with_columns(
        on(0, "credit_code", pl.lit(wrong)),
        on(1, "paid_premium_last_year_fen", -pl.col("paid_premium_last_year_fen")),
        on(2, "region_code", pl.lit(None, pl.String)),
        on(3, "avg_contributors_12m", pl.lit(-5)),
    )
    return pl.concat([f, f.filter(pl.col("credit_code") == elig[4])]), elig[:5], wrong


def _embedded_facts_run(root, facts_path, name, **kw):
    from wengang.screening.pipeline import run_screening

    report = run_screening(root / name, program="fanhuan", evaluation_date=ON, facts=facts_path, excel=False, **kw)
    return report, pl.read_parquet(root / name / "results.parquet"), pl.read_parquet(root / name / "quarantine.parquet")


def test_embedded_facts_quarantines_a_unit_written_twice(raw_run):
    """E1: a facts table with one unit twice: both rows quarantined (键重复), as the raw units table does; the summary
    does not count its money twice."""
    facts, elig, _ = _bad_facts(raw_run)
    facts.write_parquet(raw_run / "bad_facts.parquet")
    report, results, quarantine = _embedded_facts_run(raw_run, raw_run / "bad_facts.parquet", "emb_bad")
    r = report.reports[0]
    assert (r.rows_in, r.quarantined) == (facts.height, 6) and r.reconciles
    assert elig[4] not in results["credit_code"].to_list()
    dup = quarantine.filter(pl.col("reason_zh").str.contains("键重复"))
    assert dup.height == 2 and dup["reason_zh"].str.contains(elig[4]).all()
    assert results["credit_code"].is_duplicated().sum() == 0


def test_spark_quarantines_as_embedded(spark, raw_run):
    """F1 + E1: Spark validates each partition with the embedded facts check: the same rows quarantined with the same
    reasons, only accepted rows decided (no negative grant), and the counts reconcile."""
    from wengang.screening.spark import screen_facts_spark_checked

    facts, elig, wrong = _bad_facts(raw_run)
    path = raw_run / "bad_facts_spark.parquet"
    facts.write_parquet(path)
    _, emb, emb_q = _embedded_facts_run(raw_run, path, "emb_bad_spark")
    run = screen_facts_spark_checked(spark, spark.read.parquet(str(path)), "fanhuan", ON, source=str(path))
    results = pl.from_arrow(run.results.toArrow())
    quarantine = pl.from_arrow(run.quarantine.toArrow())
    assert run.counts() == (facts.height, facts.height - 6, 6)
    assert sorted(quarantine["reason_zh"].to_list()) == sorted(emb_q["reason_zh"].to_list())
    assert sorted(quarantine["source_row"].to_list()) == sorted(emb_q["source_row"].to_list())
    assert quarantine["source_file"].str.ends_with("bad_facts_spark.parquet").all()
    codes = results["credit_code"].to_list()
    assert wrong not in codes and not set(elig[1:5]) & set(codes)
    assert (results["amount_fen"].drop_nulls() >= 0).all()
    a = emb.with_columns(pl.col("status").cast(pl.String)).select("credit_code", *DECIDED).sort("credit_code")
    b = results.select("credit_code", *DECIDED).sort("credit_code")
    assert a.equals(b)


def test_spark_finds_a_key_repeated_across_files(spark, raw_run, tmp_path):
    """E1 on Spark: a unit written in two files (two partitions, read without a shuffle) is still seen twice."""
    from wengang.screening.spark import screen_facts_spark_checked

    f = pl.read_parquet(raw_run / "embedded" / "features.parquet").head(400)
    folder = tmp_path / "split"
    folder.mkdir()
    f.head(200).write_parquet(folder / "part-0.parquet")
    pl.concat([f.tail(200), f.head(1)]).write_parquet(folder / "part-1.parquet")
    facts = spark.read.parquet(str(folder))
    assert facts.rdd.getNumPartitions() >= 2
    run = screen_facts_spark_checked(spark, facts, "fanhuan", ON)
    q = pl.from_arrow(run.quarantine.toArrow())
    assert q.height == 2 and q["reason_zh"].str.contains("键重复").all()
    assert sorted(q["source_file"].str.extract(r"(part-\d)").to_list()) == ["part-0", "part-1"]
    assert run.counts() == (401, 399, 2)


def test_people_facts_keyed_by_their_program(spark, tmp_path):
    """E1 for a people program: one row per person and month (BenefitMonthFacts); a person's two months are both
    kept, the same month twice is quarantined; the rows are spread by the person (no credit_code column needed)."""
    from wengang.facts.identifiers import ric_check_character
    from wengang.screening.pipeline import facts_key, read_facts_table
    from wengang.screening.spark import partition_key, screen_facts_spark_checked

    def pid(n):
        first = f"150102198501010{n:02d}"
        return first + ric_check_character(first)

    assert facts_key("ui_medical_premium") == ("id_number", "benefit_month")
    df = pl.DataFrame({
        "id_number": [pid(1), pid(1), pid(2), pid(2), pid(3)],
        "name": ["甲", "甲", "乙", "乙", "丙"],
        "region_code": ["150102"] * 5,
        "benefit_month": ["2025-03-01", "2025-04-01", "2025-03-01", "2025-03-01", "2025-03-01"],
        "receiving_ui_benefit": [True] * 5,
    })  # fmt: skip
    path = tmp_path / "people.parquet"
    df.write_parquet(path)
    _, emb_q, report = read_facts_table(path, "ui_medical_premium")
    assert (report.accepted, report.quarantined) == (3, 2)
    facts = spark.read.parquet(str(path))
    assert partition_key("ui_medical_premium", facts.columns) == "id_number"
    run = screen_facts_spark_checked(spark, facts, "ui_medical_premium", ON, partitions=2)
    q = pl.from_arrow(run.quarantine.toArrow())
    assert sorted(q["reason_zh"].to_list()) == sorted(emb_q["reason_zh"].to_list())
    assert run.counts() == (5, 3, 2)
    results = pl.from_arrow(run.results.toArrow())
    assert sorted(results["id_number"].to_list()) == sorted([pid(1), pid(1), pid(3)])


def _main(args, capsys):
    from wengang.screening.spark import main

    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def test_cli_holds_fail_closed(spark, raw_run, tmp_path, capsys):
    """F2: with --holds, the raw screen's holds are carried (by unit); without, no row claims payment_hold=false:
    eligible rows are held with a reason, the others null (casework reads null as not held, so eligible rows
    must be true). The quarantine is written beside the results and the counts printed."""
    emb = pl.read_parquet(raw_run / "embedded" / "results.parquet").with_columns(pl.col("status").cast(pl.String))
    facts = raw_run / "embedded" / "features.parquet"
    code, out, _ = _main(["--facts", facts, "--out", tmp_path / "held", "--date", "2025-08-01", "--results-only",
                          "--holds", raw_run / "embedded" / "results.parquet"], capsys)  # fmt: skip
    assert code == 0
    n = emb.height
    assert f"读入 {n:,} = 接受 {n:,} + 隔离 0" in out
    held = pl.read_parquet(tmp_path / "held" / "*.parquet")
    j = emb.join(held, on="credit_code", suffix="_s")
    assert j.height == n
    assert j.filter(pl.col("payment_hold") != pl.col("payment_hold_s")).height == 0
    assert j.filter(pl.col("payment_hold")).height == emb["payment_hold"].sum()
    assert j.filter(pl.col("payment_hold_reason").ne_missing(pl.col("payment_hold_reason_s"))).height == 0
    assert (tmp_path / "held" / "_quarantine").is_dir()

    code, out, err = _main(["--facts", facts, "--out", tmp_path / "open", "--date", "2025-08-01", "--results-only"], capsys)
    assert code == 0 and "未给出 --holds" in err
    s = pl.read_parquet(tmp_path / "open" / "*.parquet")
    eligible = s.filter(pl.col("status") == "eligible")
    assert eligible.height and eligible["payment_hold"].all()
    assert eligible["payment_hold_reason"].is_not_null().all()
    assert not s.filter(pl.col("status") != "eligible")["payment_hold"].eq(False).any()


def test_cli_region_data_passed_through(spark, tmp_path, capsys):
    """F3: --region-data reaches the rules on Spark as in `wengang screen --region-data`."""
    from wengang.screening.demo_data import generate_region
    from wengang.screening.evaluate import screen_facts
    from wengang.screening.pipeline import run_screening

    paths = generate_region(tmp_path / "data", region_code="140300", n_units=600, year=2024, seed=5)
    tables = {k: paths[k] for k in ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")}
    rd = tmp_path / "rd.yaml"
    rd.write_text(
        'region: "140000"\nversion: "test-1"\nvalues:\n  - name: max_layoff_rate\n    value: "5.5"\n'
        '    unit: percent\n    year: 2024\n    source: "测试用"\n',
        encoding="utf-8",
    )
    day = date(2024, 8, 1)
    run_screening(tmp_path / "emb", program="fanhuan", evaluation_date=day, tables=tables, excel=False,
                  region_data=(str(rd),))  # fmt: skip
    emb = pl.read_parquet(tmp_path / "emb" / "results.parquet").with_columns(pl.col("status").cast(pl.String))
    features = pl.read_parquet(tmp_path / "emb" / "features.parquet")
    without, _ = screen_facts(features, "fanhuan", day)
    without = without.select("credit_code", "status").collect().with_columns(pl.col("status").cast(pl.String))
    assert emb.join(without, on="credit_code").filter(pl.col("status") != pl.col("status_right")).height  # it matters
    code, _, _ = _main(["--facts", tmp_path / "emb" / "features.parquet", "--out", tmp_path / "s", "--date", "2024-08-01",
                        "--results-only", "--region-data", rd, "--holds", tmp_path / "emb" / "results.parquet"], capsys)  # fmt: skip
    assert code == 0
    s = pl.read_parquet(tmp_path / "s" / "*.parquet")
    a = emb.select("credit_code", *DECIDED).sort("credit_code")
    assert a.equals(s.select("credit_code", *DECIDED).sort("credit_code"))


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--setting", "foo"], "地区设置应写作 名称=取值：foo"),
        (["--date", "2025-02-30"], "审核日期 --date“2025-02-30”不是有效日期"),
        (["--reading", "fanhuan.months_fully_paid=weekly"], "没有取值“weekly”"),
        (["--program", "nosuch"], "未知的项目“nosuch”"),
    ],
)
def test_cli_bad_input_exit_2_chinese(raw_run, tmp_path, capsys, args, expected):
    """F4: bad input ends with exit 2 and the message `wengang screen` gives, Chinese first; no traceback."""
    base = {"--facts": raw_run / "embedded" / "features.parquet", "--out": tmp_path / "x", "--date": "2025-08-01"}
    given = dict(zip(args[::2], args[1::2], strict=True))
    argv = [x for k, v in {**base, **given}.items() for x in (k, v)]
    code, _, err = _main(argv, capsys)
    assert code == 2
    assert err.startswith("错误 / error: ") and expected in err and "Traceback" not in err


def test_cli_missing_facts_as_embedded(tmp_path, capsys):
    code, _, err = _main(["--facts", tmp_path / "none.parquet", "--out", tmp_path / "x", "--date", "2025-08-01"], capsys)
    assert code == 2
    assert f"找不到事实表 {tmp_path / 'none.parquet'}" in err and "Traceback" not in err

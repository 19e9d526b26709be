"""The Spark backend decides as the embedded engine, row for row (outside audit of the Spark backend, session 41:
D1 a key with a non-ASCII space decided twice, D2 no amount_is_cap and no ceiling hold, D3 people programs taken,
R1 a Spark output folder not importable, R2 a zone-aware timestamp crashed, R3 --header-map offered, R4 no --region).
Tiny tables (≤ 1,000 rows), one Spark session for the module."""

from __future__ import annotations

import shutil
from datetime import date, datetime

import polars as pl
import pytest

pytestmark = pytest.mark.spark

ON = date(2025, 8, 1)
DECIDED = ["status", "amount_fen", "reasons", "flags", "readings", "outcomes", "policy_id", "policy_number",
           "policy_clause", "ruleset", "amount_is_cap", "payment_hold", "payment_hold_reason"]  # fmt: skip


@pytest.fixture(scope="module")
def spark():
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs Java (apt-get install openjdk-17-jre-headless)")
    from wengang.screening.spark import local_session

    session = local_session("wengang-s41", cores=2, memory="1g")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def raw_run(tmp_path_factory):
    """A raw screen of 600 demo units (its features, results with holds)."""
    from wengang.screening.demo_data import allowed_regions_for, generate_region
    from wengang.screening.pipeline import run_screening

    root = tmp_path_factory.mktemp("s41spark")
    paths = generate_region(root / "data", region_code="150500", n_units=600, year=2025, seed=7)
    tables = {k: paths[k] for k in ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")}
    run_screening(
        root / "embedded", program="fanhuan", evaluation_date=ON, policy_year=2025, tables=tables,
        allowed_regions=allowed_regions_for("150500", 2025) | {"150500"}, excel=False,
    )  # fmt: skip
    return root


def _main(args, capsys):
    from wengang.screening.spark import main

    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in args])
    out = capsys.readouterr()
    return exc.value.code, out.out, out.err


def _same(a: pl.DataFrame, b: pl.DataFrame, key: str) -> None:
    cols = [c for c in DECIDED if c in a.columns]
    assert [c for c in cols if c not in b.columns] == []
    a = a.with_columns(pl.col("status").cast(pl.String)).select(key, *cols).sort(key)
    b = b.with_columns(pl.col("status").cast(pl.String)).select(key, *cols).sort(key)
    assert a.equals(b)


def test_partition_key_reads_codes_as_validation():
    """D1: the partition key is validation's reading (NFKC, Unicode white space, ="…", upper case), not Java's \\s."""
    from wengang.screening.spark import partition_key_values

    code = "91150502MA0ABCDE1X"
    got = partition_key_values(pl.Series([code + "\u00a0", code.lower() + "\u2002", "\u3000" + code, f'="{code}"',
                                          "９１１５０５０２ＭＡ０ＡＢＣＤＥ１Ｘ", " ", None]))  # fmt: skip
    assert got.to_list() == [code] * 5 + [None, None]


def test_key_with_a_non_ascii_space_is_quarantined_as_embedded(spark, raw_run, tmp_path, capsys):
    """D1 (money-wrong): 10 eligible units written again with a trailing U+00A0 / U+2002 are 键重复 on Spark as in the
    embedded run — not decided (and paid) twice — whether Spark shuffles the table or reads it as split in files."""
    from wengang.screening.pipeline import run_screening

    f = pl.read_parquet(raw_run / "embedded" / "features.parquet")
    e = pl.read_parquet(raw_run / "embedded" / "results.parquet").with_columns(pl.col("status").cast(pl.String))
    elig = e.filter(pl.col("status") == "eligible")["credit_code"].head(10).to_list()
    assert len(elig) == 10
    again = f.filter(pl.col("credit_code").is_in(elig)).with_columns(
        pl.concat_str("credit_code", pl.when(pl.int_range(pl.len()) % 2 == 0).then(pl.lit("\u00a0")).otherwise(pl.lit("\u2002")))
    )
    path = tmp_path / "nbsp.parquet"
    pl.concat([f, again]).write_parquet(path)
    run_screening(tmp_path / "emb", program="fanhuan", evaluation_date=ON, facts=path, excel=False,
                  holds_from=raw_run / "embedded" / "results.parquet")  # fmt: skip
    emb = pl.read_parquet(tmp_path / "emb" / "results.parquet")
    emb_q = pl.read_parquet(tmp_path / "emb" / "quarantine.parquet")
    assert emb_q.filter(pl.col("reason_zh").str.contains("键重复")).height == 20
    code, out, _ = _main(["--facts", path, "--out", tmp_path / "s", "--date", ON, "--results-only", "--partitions", 4,
                          "--holds", raw_run / "embedded" / "results.parquet"], capsys)  # fmt: skip
    assert code == 0 and f"读入 {f.height + 10:,} = 接受 {f.height - 10:,} + 隔离 20" in out
    s = pl.read_parquet(tmp_path / "s" / "*.parquet")
    q = pl.read_parquet(tmp_path / "s" / "_quarantine" / "*.parquet")
    assert sorted(q["reason_zh"].to_list()) == sorted(emb_q["reason_zh"].to_list())
    assert not set(elig) & set(s["credit_code"].to_list())
    _same(emb, s, "credit_code")

    # the same table split in two files, read without a shuffle: the repeated keys are still found
    from wengang.screening.spark import screen_facts_spark_checked

    folder = tmp_path / "split"
    folder.mkdir()
    f.write_parquet(folder / "part-0.parquet")
    again.write_parquet(folder / "part-1.parquet")
    run = screen_facts_spark_checked(spark, spark.read.parquet(str(folder)), "fanhuan", ON)
    assert run.counts() == (f.height + 10, f.height - 10, 20)


_LOAN = {
    "applicant": ["individual"] * 3,
    "name": ["张某"] * 3,
    "group": ["graduate"] * 3,
    "requested_term_months": [36] * 3,
    "region_code": ["150502"] * 3,
    "application_date": [date(2022, 7, 1)] * 3,
    "id_number": ["152301199803150001", "15230119980315001X", "152301199803150028"],
    "申请贷款金额（元）": [None, "100000", "123456.78"],
    "credit_code": ["92150502MA0000000M", "92150502MA0000001Q", "92150502MA0000002U"],
}
LOAN_DAY = date(2022, 8, 1)


def test_amount_cap_carried_and_held_as_embedded(spark, tmp_path, capsys):
    """D2 (fail-open): a 创业担保贷款 without an amount is only a ceiling (不超过): amount_is_cap true and held, on Spark as
    in the embedded run; with --holds the raw screen's holds and the ceiling's combine as the embedded run combines them."""
    from wengang.screening.pipeline import run_screening

    path = tmp_path / "loan.parquet"
    pl.DataFrame(_LOAN).write_parquet(path)
    run_screening(tmp_path / "emb", program="startup_loan", evaluation_date=LOAN_DAY, facts=path, excel=False)
    emb = pl.read_parquet(tmp_path / "emb" / "results.parquet")
    assert emb["amount_is_cap"].any() and emb.filter(pl.col("amount_is_cap"))["payment_hold"].all()
    # the holds of a raw screen that held the second applicant, left out the third
    holds = tmp_path / "holds.parquet"
    pl.DataFrame({"credit_code": _LOAN["credit_code"][:2], "id_number": _LOAN["id_number"][:2], "payment_hold": [False, True],
                  "payment_hold_reason": [None, "原始数据有误，待核实后发放"]}).write_parquet(holds)  # fmt: skip
    run_screening(tmp_path / "emb_h", program="startup_loan", evaluation_date=LOAN_DAY, facts=path, excel=False,
                  holds_from=holds)  # fmt: skip
    emb_h = pl.read_parquet(tmp_path / "emb_h" / "results.parquet")
    code, _, _ = _main(["--facts", path, "--out", tmp_path / "s", "--date", LOAN_DAY, "--program", "startup_loan",
                        "--results-only", "--holds", holds], capsys)  # fmt: skip
    assert code == 0
    _same(emb_h, pl.read_parquet(tmp_path / "s" / "*.parquet"), "id_number")
    code, _, _ = _main(["--facts", path, "--out", tmp_path / "open", "--date", LOAN_DAY, "--program", "startup_loan"], capsys)
    assert code == 0
    s = pl.read_parquet(tmp_path / "open" / "*.parquet")
    cap = s.filter(pl.col("amount_is_cap"))
    assert cap.height == emb["amount_is_cap"].sum() and cap["payment_hold"].all()
    assert cap["payment_hold_reason"].to_list() == emb.filter(pl.col("amount_is_cap"))["payment_hold_reason"].to_list()


@pytest.mark.parametrize("program", ["skill_subsidy", "ui_benefit"])
def test_people_programs_refused_as_wengang_screen_facts(tmp_path, capsys, program):
    """D3: the programs `wengang screen --facts` refuses (screened from the people tables) are refused on Spark with
    the same words, exit 2 — not decided another way."""
    from typer.testing import CliRunner

    from wengang.cli import app

    path = tmp_path / "f.parquet"
    pl.DataFrame({"id_number": ["152301199803150001"]}).write_parquet(path)
    emb = CliRunner().invoke(app, ["screen", "--facts", str(path), "-p", program, "-d", "2025-08-01", "-o", str(tmp_path / "e")])
    assert emb.exit_code == 2
    code, _, err = _main(["--facts", path, "--out", tmp_path / "s", "--date", "2025-08-01", "--program", program], capsys)
    assert code == 2 and err.startswith("错误 / error: ") and "Traceback" not in err
    zh = err.removeprefix("错误 / error: ").split(" / ")[0]
    assert "不接受 --facts 事实表" in zh and zh in " ".join(emb.output.split())


def test_zoned_timestamp_read_as_the_beijing_date(spark, tmp_path, capsys):
    """R2: application_date as a UTC timestamp (Parquet timestamp[UTC]) is the Beijing date on Spark as in the
    embedded run (2022-06-30 16:30 UTC is 2022-07-01 in Beijing) — no AssertionError traceback."""
    from wengang.screening.pipeline import run_screening

    path = tmp_path / "loan_tz.parquet"
    zoned = [datetime(2022, 6, 30, 16, 30), datetime(2022, 7, 1, 2, 0), datetime(2022, 6, 30, 15, 59)]
    pl.DataFrame(_LOAN).with_columns(
        pl.Series("application_date", zoned, pl.Datetime("us")).dt.replace_time_zone("UTC")
    ).write_parquet(path)
    holds = tmp_path / "holds.parquet"  # a raw screen that held no one, given to both
    pl.DataFrame({"credit_code": _LOAN["credit_code"], "payment_hold": [False] * 3,
                  "payment_hold_reason": [None] * 3}, schema_overrides={"payment_hold_reason": pl.String}).write_parquet(holds)
    run_screening(tmp_path / "emb", program="startup_loan", evaluation_date=LOAN_DAY, facts=path, excel=False,
                  holds_from=holds)  # fmt: skip
    emb = pl.read_parquet(tmp_path / "emb" / "results.parquet")
    code, _, err = _main(["--facts", path, "--out", tmp_path / "s", "--date", LOAN_DAY, "--program", "startup_loan",
                          "--holds", holds], capsys)  # fmt: skip
    assert code == 0, err
    s = pl.read_parquet(tmp_path / "s" / "*.parquet")
    assert s.sort("id_number")["application_date"].to_list() == [date(2022, 7, 1), date(2022, 7, 1), date(2022, 6, 30)]
    _same(emb, s, "id_number")


def test_missing_column_says_rename_not_header_map(tmp_path, capsys):
    """R3: the Spark job has no --header-map: a missing required column says to rename it in the facts table."""
    path = tmp_path / "loan.parquet"
    pl.DataFrame(_LOAN).rename({"region_code": "region_codex"}).write_parquet(path)
    code, _, err = _main(["--facts", path, "--out", tmp_path / "s", "--date", LOAN_DAY, "--program", "startup_loan"], capsys)
    assert code == 2 and err.startswith("错误 / error: ") and "Traceback" not in err
    assert "缺少必填列" in err and "--header-map 指定" not in err and "改名" in err


def test_region_quarantines_other_regions_as_embedded(spark, raw_run, tmp_path, capsys):
    """R4: --region on Spark: rows of other regions quarantined, as `wengang screen --facts --region`."""
    from wengang.screening.pipeline import run_screening
    from wengang.screening.spark import _region_and_descendants

    facts = raw_run / "embedded" / "features.parquet"
    regions = pl.read_parquet(facts)["region_code"].value_counts(sort=True)
    region = regions["region_code"][0]
    allowed = _region_and_descendants(region)
    run_screening(tmp_path / "emb", program="fanhuan", evaluation_date=ON, facts=facts, excel=False,
                  allowed_regions=allowed, holds_from=raw_run / "embedded" / "results.parquet")  # fmt: skip
    emb = pl.read_parquet(tmp_path / "emb" / "results.parquet")
    emb_q = pl.read_parquet(tmp_path / "emb" / "quarantine.parquet")
    assert emb_q.height and emb.height
    code, _, _ = _main(["--facts", facts, "--out", tmp_path / "s", "--date", ON, "--results-only", "--region", region,
                        "--holds", raw_run / "embedded" / "results.parquet"], capsys)  # fmt: skip
    assert code == 0
    q = pl.read_parquet(tmp_path / "s" / "_quarantine" / "*.parquet")
    assert sorted(q["reason_zh"].to_list()) == sorted(emb_q["reason_zh"].to_list())
    _same(emb, pl.read_parquet(tmp_path / "s" / "*.parquet"), "credit_code")
    code, _, err = _main(["--facts", facts, "--out", tmp_path / "x", "--date", ON, "--region", "火星"], capsys)
    assert code == 2 and "未知地区“火星”" in err


def test_case_import_reads_a_spark_output_folder_held(spark, raw_run, tmp_path, capsys):
    """R1: `wengang case import <Spark out folder>` reads its part files (not _SUCCESS, .crc, _quarantine) as one
    results table, also when the folder is named results.parquet; with no run.json and no facts beside them the rows
    cannot be decided again and are imported held (fail closed)."""
    from wengang.casework.intake import is_screening_output, read_screening_output

    facts = raw_run / "embedded" / "features.parquet"
    out = tmp_path / "spark_out"
    code, _, _ = _main(["--facts", facts, "--out", out, "--date", ON, "--results-only", "--partitions", 2,
                        "--holds", raw_run / "embedded" / "results.parquet"], capsys)  # fmt: skip
    assert code == 0 and any(out.glob(".*.crc")) and (out / "_SUCCESS").exists()
    n = pl.read_parquet(out / "*.parquet").height
    shutil.copytree(out, tmp_path / "o2" / "results.parquet")
    for given in (out, tmp_path / "o2" / "results.parquet", tmp_path / "o2"):
        assert is_screening_output(given)
        si = read_screening_output(given, program="fanhuan", year=2025)
        assert si.frame.height == n
        eligible = si.frame.filter(pl.col("status").cast(pl.String) == "eligible")
        assert eligible.height and eligible["payment_hold"].all()
        assert si.unconfirmed == n

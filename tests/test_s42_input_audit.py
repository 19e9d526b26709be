"""Outside bad-input audit, session 42 (docs/decisions.md §126): input read whole or refused, round four.

1. a JSON true/false where a number or 分 is expected is refused (it was read as 1 or 0: 1 分 of premium); 1/0 for a
   yes/no reads as a screening table's 1/0 does;
2. a 分 column with amounts written as 元 (a decimal point) is in doubt as a whole: its whole-number rows are
   quarantined too, so every unit with rows in it is held, not decided on the rows that happened to be whole;
3. a 滞纳金 beyond 2‰ a day of the month's premium is quarantined (分 under a header read as 元);
4. a dictionary-encoded (categorical) Parquet column is read as text;
5. zero-width characters inside a credit code are dropped (the code the operator sees), one case and screening alike;
6. a CSV facts file with no data rows, or with a misspelt required header, says so, naming the column."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from wengang.evaluate import InvalidFacts, evaluate, program_model
from wengang.facts.identifiers import make_credit_code
from wengang.ingest import IngestError
from wengang.ingest import values as V
from wengang.ingest.record import normalise_record, read_record
from wengang.screening.ingest import read_table
from wengang.screening.quarantine import validate_table

ROOT = Path(__file__).resolve().parents[1]
SME = json.loads((ROOT / "examples" / "fanhuan" / "eligible_sme.json").read_text("utf-8"))
DAY = SME["_case"]["date"]
C1 = make_credit_code("91", "150502", "MA0000001")
C2 = make_credit_code("91", "150502", "MA0000002")


def _facts(**change) -> dict:
    facts = {k: v for k, v in SME.items() if k != "_case"}
    for k, v in change.items():
        if v is None:
            facts.pop(k, None)
        else:
            facts[k] = v
    return facts


def _evaluate(facts: dict):
    from datetime import date

    return evaluate("fanhuan", "150502", date.fromisoformat(DAY), facts)


# --- 1. a boolean where a number is expected -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change, field",
    [
        ({"paid_premium_last_year_yuan": None, "paid_premium_last_year_fen": True}, "paid_premium_last_year_fen"),
        ({"layoffs_last_year": False}, "layoffs_last_year"),
        ({"insured_headcount": True}, "insured_headcount"),
        ({"months_fully_paid": True}, "months_fully_paid"),
        ({"paid_premium_last_year_yuan": True}, "paid_premium_last_year_yuan"),
    ],
)
def test_json_boolean_in_a_number_field_is_refused_naming_it(change, field):
    with pytest.raises(InvalidFacts) as e:
        _evaluate(_facts(**change))
    text = e.value.text()
    target = field.replace("_yuan", "_fen")
    assert any(f.startswith(target) for f, _, _ in e.value.problems), text
    assert "是/否值" in text and "boolean" in text


def test_the_sound_case_still_decides():
    assert _evaluate(_facts()).amount_fen > 0


@pytest.mark.parametrize("value, expect", [(1, True), (0, False), (True, True), ("是", True)])
def test_yes_no_reads_one_and_zero_as_a_table_does(value, expect):
    out = normalise_record(program_model("fanhuan"), _facts(has_corporate_account=value))
    assert not out.problems and out.data["has_corporate_account"] is expect


@pytest.mark.parametrize("value", [2, -1])
def test_yes_no_refuses_other_numbers(value):
    out = normalise_record(program_model("fanhuan"), _facts(has_corporate_account=value))
    assert [f for f, _, _ in out.problems] == ["has_corporate_account"]
    assert "不是是/否值" in out.problems[0][1]


# --- 2, 3. a contributions table: a 分 column with 元 in it, an implausible 滞纳金 ---------------------------------------

HEAD = "统一社会信用代码,费款所属期,应缴金额（元）,{paid},缴费日期,{late},缴费人数\n"


def _contrib(tmp_path: Path, rows: list[str], paid: str = "实缴金额（分）", late: str = "滞纳金（分）") -> Path:
    p = tmp_path / "contributions.csv"
    p.write_text(HEAD.format(paid=paid, late=late) + "".join(r + "\n" for r in rows), "utf-8")
    return p


def test_a_fen_column_with_yuan_in_it_is_in_doubt_as_a_whole(tmp_path):
    rows = [f"{C1},2024-0{m},192.48,192.48,2024-0{m}-15,0,3" for m in range(1, 4)]  # 元 with a decimal point
    rows += [f"{C2},2024-0{m},89,89,2024-0{m}-15,0,1" for m in range(1, 4)]  # whole 元: would read as 89 分
    res = validate_table(read_table(_contrib(tmp_path, rows), "contributions"))
    rep = res.report
    assert (rep.rows_in, rep.accepted, rep.quarantined) == (6, 0, 6)
    q = res.quarantine.sort("source_row")
    doubt = q.filter(pl.col("value") == "89")
    assert doubt.height == 3
    assert all("整列单位存疑" in r and r.startswith("实缴金额（分）：") for r in doubt["reason_zh"])
    assert all("'实缴金额（分）'" in r and "in doubt" in r for r in doubt["reason_en"])
    # every unit with rows in the column is held (hold_key), not decided on the rows that happened to be whole
    held = set(res.held_keys["code"].to_list()) if res.held_keys is not None else set()
    assert {C1, C2} <= held


def test_a_fen_column_of_whole_numbers_is_read(tmp_path):
    rows = [f"{C1},2024-0{m},192.48,19248,2024-0{m}-15,0,3" for m in range(1, 4)]
    res = validate_table(read_table(_contrib(tmp_path, rows), "contributions"))
    assert res.report.quarantined == 0
    assert res.accepted["paid_fen"].to_list() == [19248] * 3


def test_a_late_fee_in_fen_under_a_yuan_header_is_quarantined(tmp_path):
    rows = [
        f"{C1},2024-03,174.66,174.66,2025-01-20,1379,3",  # 13.79 元 written in 分, read as 1,379 元
        f"{C2},2024-03,174.66,174.66,2025-01-20,13.79,3",  # the same fee in 元: 0.05 % a day is about 28 元
    ]
    res = validate_table(read_table(_contrib(tmp_path, rows, paid="实缴金额（元）", late="滞纳金"), "contributions"))
    assert (res.report.accepted, res.report.quarantined) == (1, 1)
    (reason,) = res.quarantine["reason_zh"].to_list()
    assert reason.startswith("滞纳金：1,379.00 元超过该月保险费 174.66 元按日千分之二") and "以分计的金额写在以元计的列中" in reason
    assert res.accepted["late_fee_fen"].to_list() == [1379]
    assert C1 in set(res.held_keys["code"].to_list())


# --- 4. a dictionary-encoded Parquet column ---------------------------------------------------------------------------


def test_categorical_parquet_columns_are_read_as_text(tmp_path):
    p = tmp_path / "contributions.parquet"
    pl.DataFrame(
        {
            "credit_code": [C1, C1, C2],
            "month": ["2024-01", "2024-02", "2024-01"],
            "due_fen": [19248, 19248, 8900],
            "paid_fen": [19248, 19248, 8900],
            "paid_date": ["2024-01-15", "2024-02-15", "2024-01-15"],
            "insured_persons": [3, 3, 1],
        }
    ).with_columns(pl.col("credit_code", "month", "paid_date").cast(pl.Categorical)).write_parquet(p)
    res = validate_table(read_table(p, "contributions"))
    assert (res.report.accepted, res.report.quarantined) == (3, 0)
    assert sorted(res.accepted["credit_code"].to_list()) == sorted([C1, C1, C2])


# --- 5. zero-width characters in a credit code ------------------------------------------------------------------------


@pytest.mark.parametrize("mark", ["\u200b", "\ufeff", "\u200d", "\u2060"])
def test_zero_width_characters_in_a_credit_code_are_dropped(tmp_path, mark):
    written = C1[:5] + mark + C1[5:]
    assert V.identifier_text(mark + written) == C1
    rows = [f"{mark}{C1},2024-01,192.48,19248,2024-01-15,0,3", f"{written},2024-02,192.48,19248,2024-02-15,0,3"]
    res = validate_table(read_table(_contrib(tmp_path, rows), "contributions"))
    assert res.report.quarantined == 0 and res.accepted["credit_code"].to_list() == [C1, C1]
    out = normalise_record(program_model("fanhuan"), _facts(credit_code=written))
    assert not out.problems and out.data["credit_code"] == C1


def test_a_wrong_code_with_a_zero_width_character_is_still_refused(tmp_path):
    bad = C1[:-1] + ("0" if C1[-1] != "0" else "1")
    res = validate_table(read_table(_contrib(tmp_path, [f"\u200b{bad},2024-01,192.48,19248,2024-01-15,0,3"]),
                                    "contributions"))
    assert res.report.quarantined == 1 and "校验码错误" in res.quarantine["reason_zh"][0]


# --- 6. a CSV facts file: no data rows, a misspelt required header ----------------------------------------------------


def test_header_only_facts_file_says_it_has_no_data_rows(tmp_path):
    p = tmp_path / "facts.csv"
    p.write_text("统一社会信用代码,单位名称,企业规模\n", "utf-8")
    with pytest.raises(IngestError) as e:
        read_record(p)
    assert "没有数据行" in e.value.message_zh and "--row" not in e.value.message_zh
    assert "no data rows" in e.value.message_en


def test_misspelt_required_header_names_the_column_not_read(tmp_path):
    p = tmp_path / "facts.csv"
    p.write_text(
        "统一社会信用代码号,单位名称,参保地行政区划代码,单位类型,企业规模\n"
        f"{C1},通辽市某公司,150502,企业,小型\n",
        "utf-8",
    )
    out = normalise_record(program_model("fanhuan"), read_record(p))
    hints = [zh for f, zh, _ in out.problems if "统一社会信用代码号" in zh]
    assert hints and "credit_code" in hints[0] and "--header-map" in hints[0]
    assert any("'统一社会信用代码号'" in en and "credit_code" in en for _, _, en in out.problems)


def test_a_float_fen_column_with_fractions_is_in_doubt_as_a_whole(tmp_path):
    p = tmp_path / "contributions.parquet"
    pl.DataFrame(
        {
            "credit_code": [C1, C2],
            "month": ["2024-01", "2024-01"],
            "due_fen": [19248, 8900],
            "paid_fen": [192.48, 89.0],  # 元 in a float column under a 分 name: 89.0 would read as 89 分
            "paid_date": ["2024-01-15", "2024-01-15"],
            "insured_persons": [3, 1],
        }
    ).write_parquet(p)
    res = validate_table(read_table(p, "contributions"))
    assert (res.report.accepted, res.report.quarantined) == (0, 2)
    assert "整列单位存疑" in res.quarantine.filter(pl.col("source_row") == 2)["reason_zh"][0]


@pytest.mark.parametrize("partitions", [1, 4])
def test_a_partitioned_run_with_a_fen_column_in_doubt_decides_nothing_on_it(tmp_path, partitions):
    # the column-wide doubt sees one partition's rows: a run of several partitions is refused whole, never decided on
    # the other partitions' whole numbers read as 分 (outside second look, session 42); one partition quarantines it
    from wengang.screening.demo_data import generate_region
    from wengang.screening.pipeline import run_screening

    region = tmp_path / "region"
    generate_region(region, region_code="150500", n_units=60, year=2024, seed=5)
    src = pl.concat([pl.read_parquet(f) for f in sorted((region / "contributions").rglob("*.parquet"))])
    paid = src["paid_fen"].cast(pl.String).to_list()
    paid[0] = paid[0][:-2] + "." + paid[0][-2:]  # one row written in 元
    csv = tmp_path / "contributions.csv"
    src.with_columns(pl.Series("paid_fen", paid)).write_csv(csv)
    out = tmp_path / "out"
    def run():
        return run_screening(out, tables={"units": region / "units", "contributions": csv},
                             evaluation_date=date(2025, 8, 1), partitions=partitions, excel=False)

    if partitions == 1:
        report = run()
        contrib = next(r for r in report.reports if r.table == "contributions")
        assert contrib.accepted == 0 and contrib.quarantined == src.height
    else:
        with pytest.raises(IngestError) as e:
            run()
        assert "整列单位存疑" in e.value.message_zh and "4 个分区" in e.value.message_zh, e.value.message_zh
        assert not (out / "results.parquet").exists()

"""The usability defects an outside (blind) tester met mapping agency records onto the schema, as classes:
nested lists read like records and documented, one date reader everywhere, 元 pasted into a 分 field refused,
missing settings say how to supply them, statuses and amount_fen mapped in the data dictionary."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wengang.evaluate import InvalidFacts, evaluate
from wengang.facts.person import PastTrainingSubsidy, SkillSubsidyFacts
from wengang.inputs import InputError, parse_date
from wengang.rules.engine import ELIGIBLE, NOT_DETERMINABLE, STATUS_ZH

ROOT = Path(__file__).resolve().parents[2]
UNIT_EXAMPLE = ROOT / "examples" / "fanhuan" / "eligible_sme.json"
ON = date(2025, 9, 1)

PERSON = {
    "id_number": "152301199001010015",
    "name": "张三",
    "application_date": "2025-08-01",
    "person_status": "employed_worker",
    "insured_months_cumulative": 30,
    "insured_months_continuous": 30,
    "insured_months_cumulative_at_certificate": 28,
    "insured_months_continuous_at_certificate": 28,
    "insured_region": "150502",
    "occupation_code": "6-31-01-03",
    "level": 5,
    "certificate_type": "skill_level",
    "certificate_issue_date": "2025-06-01",
    "certificate_region": "150500",
    "urgent_occupation": False,
    "past_subsidies": [],
    "held_certificates": [],
}
TRAINING = {"occupation_code": "6-31-01-03", "level": 5, "received_date": "2025-05-01"}


def _skill(**over):
    return evaluate("skill_subsidy", "150500", ON, {**PERSON, **over})


def _same(a, b) -> None:
    assert (a.status, a.amount_fen, [c.passed for c in a.checks], a.reasons) == (
        b.status,
        b.amount_fen,
        [c.passed for c in b.checks],
        b.reasons,
    )


# ------------------------------------------------------------------------------------------- 1. nested lists


def test_a_training_subsidy_item_takes_the_screening_tables_paid_date_as_received_date():
    canonical = _skill(training_subsidies=[TRAINING])
    assert (
        canonical.status != ELIGIBLE
    )  # a training subsidy for the same occupation matters: the fact is read
    alias = {k: v for k, v in TRAINING.items() if k != "received_date"} | {"paid_date": "2025-05-01"}
    _same(_skill(training_subsidies=[alias]), canonical)
    # the model itself accepts the alias (Python API), from the one declaration on the field
    assert PastTrainingSubsidy.model_validate(alias).received_date == date(2025, 5, 1)


def test_nested_items_read_chinese_headers_date_forms_and_ignore_the_tables_other_columns():
    canonical = _skill(
        training_subsidies=[TRAINING],
        held_certificates=[{"occupation_code": "6-31-01-03", "level": 3, "issue_date": "2024-03-01"}],
    )
    exported = _skill(
        training_subsidies=[
            {
                "职业（工种）代码": "6-31-01-03",
                "等级": "5",
                "发放日期": "2025年5月1日",
                "id_number": "152301199001010015",
                "kind": "training",
                "amount_fen": 100000,
            }
        ],
        held_certificates=[{"职业（工种）代码": "6-31-01-03", "等级": 3, "发证日期": "2024/3/1"}],
    )
    _same(exported, canonical)
    assert any("training_subsidies[0]" in n and "amount_fen" in n for n in exported.notes)


def test_a_bad_nested_value_or_unknown_key_names_the_item_and_the_right_field():
    with pytest.raises(InvalidFacts) as e:
        _skill(training_subsidies=[{**TRAINING, "received_date": "2025/15/01"}])
    assert e.value.problems[0][0] == "training_subsidies.0.received_date"
    with pytest.raises(InvalidFacts) as e:
        _skill(training_subsidies=[{"occupation_code": "6-31-01-03", "paid_dat": "2025-05-01"}])
    text = e.value.text()
    assert "training_subsidies.0.paid_dat" in text and "是否为：paid_date" in text


def test_certificate_fields_take_the_certificates_tables_names():
    renamed = {k: v for k, v in PERSON.items() if k not in ("certificate_issue_date", "certificate_region")}
    renamed |= {
        "issue_date": "2025-06-01",
        "issuing_region": "150500",
        "certificate_no": "S0001",
        "issuer": "某机构",
    }
    facts = SkillSubsidyFacts.model_validate({**renamed, "level": 5})
    assert (facts.certificate_issue_date, facts.certificate_region) == (date(2025, 6, 1), "150500")
    assert (facts.certificate_number, facts.evaluation_body) == ("S0001", "某机构")
    _same(evaluate("skill_subsidy", "150500", ON, renamed), _skill())


# --------------------------------------------------------------------------------------------------- 2. dates


@pytest.mark.parametrize(
    "text", ["2025-08-01", "2025/08/01", "2025/8/1", "2025.8.1", "2025年8月1日", "20250801"]
)
def test_an_operators_date_reads_every_form_the_facts_read(text):
    assert parse_date(text, "审核日期 --date", "--date") == date(2025, 8, 1)


def test_an_operators_bad_date_names_the_option_and_the_forms():
    with pytest.raises(InputError) as e:
        parse_date("2025年13月1日", "审核日期 --date", "--date")
    assert "--date" in e.value.zh and "2025年8月1日" in e.value.zh and "--date" in e.value.en
    with pytest.raises(InputError, match="超出合理范围"):
        parse_date("2999/1/1")


@pytest.mark.parametrize(
    ("case_date", "option"), [("2025年8月1日", None), ("2025-08-01", "2025/08/01"), (20250801, None)]
)
def test_evaluate_takes_chinese_and_slash_dates_in_case_date_and_the_date_option(tmp_path, case_date, option):
    from wengang.cli import app

    facts = json.loads(UNIT_EXAMPLE.read_text(encoding="utf-8"))
    facts["_case"]["date"] = case_date
    path = tmp_path / "case.json"
    path.write_text(json.dumps(facts, ensure_ascii=False), encoding="utf-8")
    r = CliRunner().invoke(app, ["evaluate", str(path), "--json", *(["--date", option] if option else [])])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["date"] == "2025-08-01"


def test_ledger_filters_and_region_data_files_read_the_same_forms(tmp_path):
    from wengang.casework.query import parse_day
    from wengang.settings import load_region_data

    assert parse_day("2025年8月1日", "--date-from") == date(2025, 8, 1)
    path = tmp_path / "rd.yaml"
    path.write_text(
        "region: '140000'\nversion: t1\nvalues:\n  - {name: fund_reserve_years, value: 1.5, unit: year,"
        " valid_from: '2024/1/1', valid_to: '2024年12月31日', source: 测试}\n",
        encoding="utf-8",
    )
    (datum,) = [
        d for d in load_region_data((str(path),))[("140000", "fund_reserve_years")] if d.file == path.name
    ]
    assert (datum.valid_from, datum.valid_to) == (date(2024, 1, 1), date(2024, 12, 31))


# ------------------------------------------------------------------------------------------------- 3. 元 vs 分


def _unit(**over):
    facts = json.loads(UNIT_EXAMPLE.read_text(encoding="utf-8"))
    facts.pop("_case")
    facts.pop("paid_premium_last_year_yuan")
    return evaluate("fanhuan", "150502", date(2025, 8, 1), {**facts, **over})


def test_a_fen_field_reads_integers_and_written_units_exactly():
    want = _unit(paid_premium_last_year_fen=1864050)
    assert want.status == ELIGIBLE and want.amount_fen is not None
    for value in (
        "1864050",
        "1864050分",
        "18640.50元",
        "¥18640.50",
        1864050.0,
    ):  # a whole float: read (Python API)
        assert _unit(paid_premium_last_year_fen=value).amount_fen == want.amount_fen, value


@pytest.mark.parametrize("value", ["18640.50", "1864050.00", 1864050.5])
def test_a_decimal_in_a_fen_field_is_refused_naming_the_field(value):
    with pytest.raises(InvalidFacts) as e:
        _unit(paid_premium_last_year_fen=value)
    field, zh, _ = e.value.problems[0]
    assert field == "paid_premium_last_year_fen"
    assert "整数" in zh  # a text with a point: "以分为单位…"; a fractional float: the model's "不能带小数"
    if isinstance(value, str):
        assert f"“{value}元”" in zh and "paid_premium_last_year_yuan" in zh


# -------------------------------------------------------------------------------------- 4. missing settings


def test_a_missing_setting_says_how_to_supply_it():
    unit = {
        "credit_code": "91140300MA0K1234XK",
        "name": "阳泉测试有限公司",
        "org_type": "enterprise",
        "size_class": "small",
        "months_fully_paid": 24,
        "paid_premium_last_year_fen": 10000000,
        "insured_headcount": 400,
        "avg_insured_last_year": 400,
        "layoffs_last_year": 0,
        "has_corporate_account": True,
    }
    # 内蒙古 in 2024 is under 人社部发〔2024〕40号 alone (no provincial notice of its own in the corpus), so the
    # province's reserve is one region-level question; 山西 has 晋28号, whose 顶格执行 confirms the precondition
    d = evaluate("fanhuan", "150502", date(2024, 8, 1), unit)
    assert d.status == NOT_DETERMINABLE
    line = d.reasons[0]
    assert (
        "--setting fund_reserve_years=1.5" in line
        and "--region-data" in line
        and "examples/region-data.yaml" in line
    )
    assert "年数写数字即可" in line
    # and the way it names is the way that works
    assert (
        evaluate("fanhuan", "150502", date(2024, 8, 1), unit, settings={"fund_reserve_years": "1.5"}).status
        == ELIGIBLE
    )


# ---------------------------------------------------------------------------------------- 5–7. the dictionary


def test_the_dictionary_documents_nested_models_statuses_and_amounts():
    from wengang.dictionary import markdown
    from wengang.programs import load_all
    from wengang.rules.engine import RULESETS

    load_all()

    md = markdown()
    for model in ("PastSkillSubsidy", "HeldCertificate", "PastTrainingSubsidy"):
        assert f"#### `{model}`" in md
    training = md[md.index("#### `PastTrainingSubsidy`") :]
    assert (
        "| `received_date` |" in training.split("\n\n###")[0]
        and "`paid_date` |" in training.split("\n\n###")[0]
    )
    for code, zh in STATUS_ZH.items():
        assert f"| `{code}` | {zh} |" in md
    amounts = md[md.index("`amount_fen` 的含义") :]
    rows = {line.split(" | ")[0]: line for line in amounts.splitlines() if line.startswith("| `")}
    for program, name in RULESETS:  # one row per program, naming each of its rulesets
        row = next(v for k, v in rows.items() if k.startswith(f"| `{program}`"))
        assert name in row.split(" | ")[1].split(", ")
    unit = md[md.index("### `UnitFacts`") :]
    headcount = next(line for line in unit.splitlines() if line.startswith("| `insured_headcount`"))
    assert "fanhuan.small_unit_rule=workforce" in headcount and "layoffs_last_year" in headcount
    premium = next(line for line in unit.splitlines() if line.startswith("| `paid_premium_last_year_fen`"))
    assert "净额" in premium and "fanhuan.base_other_year_arrears" in premium


def test_the_longer_descriptions_keep_their_chinese_headers():
    from wengang.facts.unit import UnitFacts
    from wengang.ingest.headers import model_scope

    heads = {f.name: f.headers for f in model_scope(UnitFacts).fields}
    assert heads["insured_headcount"][0] == "参保职工总数（上年末）"
    assert heads["backpay_other_years_fen"][0] == "上年度补缴的其他年度欠费（分）"
    assert heads["late_fee_fen"][0] == "上年度缴纳的滞纳金（分）"

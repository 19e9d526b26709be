"""The working-day calendar (wengang.workdays) and the time limits (wengang.deadlines).

Real holidays and 调休 days of 2024/2025 (国务院办公厅 放假安排, as chinese-calendar 1.11.0 has them), the
counting convention (the day of receipt not counted), the override file and the refusal to guess a year.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from wengang import workdays
from wengang.deadlines import TIME_LIMITS, due_date
from wengang.policies import load_policy_set
from wengang.policies.loader import normalize
from wengang.workdays import WorkdayCalendar, WorkdayError, calendar_for, parse_overrides

CAL = WorkdayCalendar()


def test_2024_make_up_sunday_and_national_day() -> None:
    assert date(2024, 2, 4).weekday() == 6 and CAL.is_working_day(date(2024, 2, 4))  # 调休上班的星期日
    assert all(not CAL.is_working_day(date(2024, 10, d)) for d in range(1, 8))  # 国庆 10-01..07
    assert CAL.is_working_day(date(2024, 9, 29)) and CAL.is_working_day(date(2024, 10, 12))  # 调休上班（周日、周六）
    assert CAL.is_working_day(date(2024, 10, 8))
    assert not CAL.is_working_day(date(2024, 2, 10))  # 春节
    assert not CAL.is_working_day(date(2024, 6, 1))  # an ordinary Saturday


def test_2025_spring_festival_and_make_up_days() -> None:
    assert CAL.is_working_day(date(2025, 1, 26)) and CAL.is_working_day(date(2025, 2, 8))  # 调休上班
    assert all(not CAL.is_working_day(date(2025, 1, 28) + timedelta(days=i)) for i in range(7))  # 01-28..02-03
    assert CAL.is_working_day(date(2025, 2, 5))


def test_receipt_day_not_counted() -> None:
    # received Monday 2025-03-03: 10 working days end on Monday 2025-03-17
    assert CAL.add_working_days(date(2025, 3, 3), 10) == date(2025, 3, 17)
    # counted as day 1 under the other reading
    assert CAL.add_working_days(date(2025, 3, 3), 10, count_start=True) == date(2025, 3, 14)
    # a receipt on a rest day: both readings start on the next working day
    assert CAL.add_working_days(date(2025, 3, 1), 1) == CAL.add_working_days(date(2025, 3, 1), 1, count_start=True) == date(2025, 3, 3)
    assert CAL.add_working_days(date(2025, 3, 3), 0) == date(2025, 3, 3)
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2025, 3, 3), -1)


def test_deadline_across_national_day_and_make_up_saturday() -> None:
    # received Friday 2024-09-27; 09-29 (Sunday) is a working day, 10-01..07 are not
    # working days after: 09-29(1) 09-30(2) 10-08(3) 10-09(4) 10-10(5) 10-11(6) 10-12 Saturday 调休(7)
    assert CAL.add_working_days(date(2024, 9, 27), 7) == date(2024, 10, 12)
    assert CAL.working_days_between(date(2024, 9, 27), date(2024, 10, 12)) == 7
    assert CAL.working_days_between(date(2024, 10, 12), date(2024, 9, 27)) == -7
    assert CAL.working_days_between(date(2024, 10, 1), date(2024, 10, 7)) == 0


def test_year_the_library_lacks_is_an_error_not_a_weekday_guess() -> None:
    with pytest.raises(WorkdayError) as exc:
        CAL.is_working_day(date(2027, 3, 1))
    assert "2027" in exc.value.message_zh and "chinese-calendar" in exc.value.message_zh
    with pytest.raises(WorkdayError):
        CAL.add_working_days(date(2026, 12, 30), 5)  # runs into 2027


YAML_2027 = """
source: 国务院办公厅关于2027年部分节假日安排的通知（示例）
years: [2027]
days:
  - {date: 2027-01-01, type: 休息日, source: 国务院办公厅关于2027年部分节假日安排的通知（示例）}
  - {date: 2027-01-02, type: 工作日, source: 国务院办公厅关于2027年部分节假日安排的通知（示例）}
"""


def test_override_file_covers_a_year(tmp_path: Path) -> None:
    cal = parse_overrides(YAML_2027, "2027.yaml", ".yaml")
    assert not cal.is_working_day(date(2027, 1, 1))  # a Friday made a rest day
    assert cal.is_working_day(date(2027, 1, 2))  # a Saturday made a working day
    assert cal.is_working_day(date(2027, 3, 1)) and not cal.is_working_day(date(2027, 3, 6))
    assert cal.add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 2)
    # the same through a CSV file and the environment variable
    csv = tmp_path / "2027.csv"
    csv.write_text("日期,类型,来源\n2027,全年,通知\n2027-01-01,休息日,通知\n2027-01-02,工作日,通知\n", encoding="utf-8")
    assert calendar_for(csv).add_working_days(date(2026, 12, 31), 1) == date(2027, 1, 2)


def test_override_wins_over_the_library_day() -> None:
    cal = parse_overrides("days:\n  - {date: 2025-03-03, type: 休息日, source: 某通知}\n", "x.yaml", ".yaml")
    assert not cal.is_working_day(date(2025, 3, 3)) and cal.is_working_day(date(2025, 3, 4))


def test_environment_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "o.yaml"
    f.write_text(YAML_2027, encoding="utf-8")
    monkeypatch.setenv(workdays.ENV_VAR, str(f))
    assert workdays.is_working_day(date(2027, 1, 2))
    monkeypatch.delenv(workdays.ENV_VAR)
    with pytest.raises(WorkdayError):
        workdays.is_working_day(date(2027, 1, 2))


@pytest.mark.parametrize(
    ("text", "suffix", "says"),
    [
        ("days:\n  - {date: 2027-01-01, type: 休息日, source: 通知}\n", ".yaml", "未声明 2027 年已完整列明"),
        ("days:\n  - {date: 2025-13-01, type: 休息日, source: 通知}\n", ".yaml", "应写作 YYYY-MM-DD"),
        ("days:\n  - {date: 2025-03-03, type: 放假, source: 通知}\n", ".yaml", "应为“工作日”或“休息日”"),
        ("days:\n  - {date: 2025-03-03, type: 休息日}\n", ".yaml", "须注明来源"),
        ("years: [2027]\ndays: []\n", ".yaml", "须注明来源"),
        ("date,type,source\n2025-03-03,休息日,a\n2025-03-03,工作日,b\n", ".csv", "重复且类型矛盾"),
        ("day,kind\n", ".csv", "表头应为"),
        ("date,type,source\n2027,休息日,a\n", ".csv", "年份行的类型应为"),
        ("x", ".txt", "只支持"),
    ],
)
def test_override_file_errors_in_chinese(text: str, suffix: str, says: str) -> None:
    with pytest.raises(WorkdayError) as exc:
        parse_overrides(text, "f" + suffix, suffix)
    assert says in exc.value.message_zh and "工作日覆盖文件" in exc.value.message_zh


def test_missing_override_file() -> None:
    with pytest.raises(WorkdayError) as exc:
        calendar_for("/nonexistent/overrides.yaml")
    assert "找不到工作日覆盖文件" in exc.value.message_zh


def test_every_time_limit_quote_is_in_its_document_and_parameter() -> None:
    ps = load_policy_set()
    for t in TIME_LIMITS:
        doc = ps.get(t.doc_id)
        assert normalize(t.quote) in normalize(doc.clauses[t.clause]), t
        if t.param:
            param = doc.programs[t.program].params[t.param]
            assert param.value == t.working_days and "工作日" in param.quote, t


def test_due_date_from_a_cited_parameter() -> None:
    doc = load_policy_set().get("im-2022-86")
    param = doc.programs["training_subsidy"].params["approval_working_days"]
    d = due_date(param, date(2022, 9, 29))  # 09-30, then 国庆 10-01..07; 10-08/09 are 调休 working days
    assert d.due == date(2022, 10, 11) and d.line() == "办结期限：2022-10-11（5个工作日）"
    assert d.citation == "内人社办发〔2022〕86号 （三）10"
    with pytest.raises(ValueError):
        due_date(doc.programs["deferral"].params["hardship_max_deferral_years"], date(2022, 9, 29))


def test_cli_due_date_and_the_refusal_to_guess(tmp_path: Path) -> None:
    import json

    from typer.testing import CliRunner

    from wengang.cli import app

    runner = CliRunner()
    ok = runner.invoke(app, ["workdays", "due", "2024-09-27", "7"])
    assert ok.exit_code == 0 and "办结期限：2024-10-12（7个工作日）" in ok.output
    lacking = runner.invoke(app, ["workdays", "due", "2026-12-28", "5"])
    assert lacking.exit_code == 2 and "2027" in lacking.output
    f = tmp_path / "o.yaml"
    f.write_text(YAML_2027, encoding="utf-8")
    covered = runner.invoke(app, ["workdays", "due", "2026-12-28", "5", "--overrides", str(f)])
    # 12-29, 12-30, 12-31, (2027-01-01 rest), 01-02 (调休 working Saturday in the example file), 01-04
    assert covered.exit_code == 0 and "2027-01-04" in covered.output
    # a decision's 办结期限 in a year only the override file covers
    facts = tmp_path / "t.json"
    facts.write_text(
        json.dumps({"applicant": "individual", "id_number": "152301199803151231", "trainee_eligible": True,
                    "class_applied_before_training": True, "certificate_type": "skill_level", "class_application_received_on": "2026-12-28"}),
        encoding="utf-8",
    )
    base = ["evaluate", str(facts), "-p", "training_subsidy", "-r", "150500", "-d", "2022-11-01", "--json"]
    without = json.loads(runner.invoke(app, base).output)
    line = next(o["value"] for o in without["outputs"] if o["id"] == "due_approval_working_days")
    assert line.startswith("无法计算：") and "2027" in line
    with_file = json.loads(runner.invoke(app, base + ["--workday-overrides", str(f)]).output)
    line = next(o["value"] for o in with_file["outputs"] if o["id"] == "due_approval_working_days")
    assert line == "2027-01-04（5个工作日）"

"""The reason rows with no policy in force share names the area they share (web and story audits, session 39): every
unit of 通辽 had read “科尔沁区 在 2026-12-06 没有有效的稳岗返还政策”, 科左后旗's and 开鲁's included."""

from __future__ import annotations

from datetime import date

from wengang.screening.evaluate import plan_regions


def test_a_group_without_a_policy_is_named_by_the_area_it_shares():
    (plan,) = plan_regions("fanhuan", ["150502", "150522", "150523"], date(2026, 12, 6))
    assert plan.resolution is None and plan.no_policy_reason.startswith("通辽市 在 2026-12-06 没有有效的稳岗返还政策")
    (alone,) = plan_regions("fanhuan", ["150522"], date(2026, 12, 6))
    assert alone.no_policy_reason.startswith("科尔沁左翼后旗 在 2026-12-06")


def test_a_people_program_screened_from_facts_is_refused_saying_which_tables_it_takes(tmp_path):
    # it had said only “缺少数据表：persons、certificates”, as if --facts had not been given
    from typer.testing import CliRunner

    from wengang.cli import app

    facts = tmp_path / "facts.parquet"
    facts.write_bytes(b"")
    r = CliRunner().invoke(app, ["screen", "-p", "skill_subsidy", "--facts", str(facts), "--date", "2025-08-01",
                                 "--out", str(tmp_path / "out")])
    assert r.exit_code == 2, r.output
    assert "按人员数据表筛查" in r.output and "不接受 --facts" in r.output


def test_a_policy_year_other_than_the_dates_is_refused(tmp_path):
    # story audit: `--date 2024-12-01 --year 2025` derived 2025's features, decided them under the document of
    # 2024-12-01 (whose 上年度 is 2023) and was imported as 2024, without a word
    from typer.testing import CliRunner

    from wengang.cli import app

    r = CliRunner().invoke(app, ["screen", "--date", "2024-12-01", "--year", "2025", "--facts", str(tmp_path / "f.parquet"),
                                 "--out", str(tmp_path / "out")])
    assert r.exit_code == 2, r.output
    assert "政策年度 --year 2025 与审核日期 2024-12-01 所在年度不同" in r.output

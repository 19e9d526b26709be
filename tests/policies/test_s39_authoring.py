"""Audit 7 (policy authoring): a misspelt parameter name is refused at its line (it would silently turn its rule
off), a what-if above a national ceiling is refused for a document whose ceiling comes from the latest national
document in the library, and a draft says it is a draft where it decides."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wengang.cli import app
from wengang.policies.drafting import draft_next
from wengang.policies.errors import PolicyError
from wengang.policies.loader import load_with_files, packaged_root
from wengang.policies.names import names_read

IM = "150000/nrsf-2025-18.yaml"
EXAMPLE = Path(__file__).parents[2] / "examples" / "fanhuan" / "eligible_sme.json"
DISHONEST = {
    "credit_code": "91150502MA0N1234XN", "name": "通辽市科尔沁区顺达商贸有限公司", "region_code": "150502",
    "org_type": "enterprise", "size_class": "small", "months_fully_paid": 36, "paid_premium_last_year_yuan": "18640.50",
    "backpay_other_years_fen": 0, "insured_headcount": 42, "avg_insured_last_year": 43, "layoffs_last_year": 0,
    "normal_attrition_last_year": 2, "has_corporate_account": True, "serious_dishonesty": True,
}  # fmt: skip


def _draft() -> str:
    text = draft_next(packaged_root().joinpath(*IM.split("/")).read_text(encoding="utf-8"))
    return text.replace("执行期限至2025年12月31日。", "执行期限至2026年12月31日。")


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "im-2026-draft.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def _line(p: Path, needle: str) -> int:
    return next(i for i, s in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if needle in s)


def _evaluate(tmp_path: Path, policy: Path, *extra: str):
    case = tmp_path / "dish.json"
    case.write_text(json.dumps(DISHONEST, ensure_ascii=False), encoding="utf-8")
    return CliRunner().invoke(app, ["evaluate", str(case), "-p", "fanhuan", "-r", "150502", "-d", "2026-08-01",
                                    "--policy-path", str(policy), *extra])


# F1: a misspelt optional name would turn the exclusion of 严重违法失信企业 off


def test_the_correct_draft_refuses_a_seriously_dishonest_firm(tmp_path: Path) -> None:
    res = _evaluate(tmp_path, _write(tmp_path, _draft()))
    assert res.exit_code == 3, res.output  # 3: the case is refused
    assert "不符合条件" in res.output and "严重违法失信" in res.output


def test_a_misspelt_optional_name_is_refused_at_its_line_with_the_nearest_name(tmp_path: Path) -> None:
    p = _write(tmp_path, _draft().replace("      excluded_units:", "      excluded_unitz:"))
    with pytest.raises(PolicyError) as info:
        load_with_files([p])
    e = info.value.all_errors[0]
    assert e.file == str(p) and e.line == _line(p, "excluded_unitz:")
    assert "未知的参数名“excluded_unitz”" in e.message_zh and "excluded_units" in e.message_zh
    res = _evaluate(tmp_path, p)
    assert res.exit_code == 2 and "excluded_unitz" in res.output and "9,320.25" not in res.output
    check = CliRunner().invoke(app, ["policy", "check", "--path", str(tmp_path)])
    assert check.exit_code != 0 and f"第 {e.line} 行" in check.output


def test_a_misspelt_required_name_is_reported_at_the_misspelt_line(tmp_path: Path) -> None:
    p = _write(tmp_path, _draft().replace("      refund_rate_sme:", "      refund_rate_smee:"))
    with pytest.raises(PolicyError) as info:
        load_with_files([p])
    errors = info.value.all_errors
    assert [e.line for e in errors] == [_line(p, "refund_rate_smee:")]
    assert "refund_rate_sme" in errors[0].message_zh and "误写" in errors[0].message_zh
    assert not any("缺失" in e.message_zh for e in errors)


def test_a_misspelt_region_setting_is_refused(tmp_path: Path) -> None:
    text = _draft()
    assert "parameters:" in text
    text = text.replace("    parameters:\n      min_months_fully_paid", "    region_settings:\n      max_layof_rate: "
                        "{unit: percent, clause: 一, quote: 裁员率不高于上年度全国城镇调查失业率控制目标（5.5%）, "
                        "description: x}\n    parameters:\n      min_months_fully_paid", 1)
    p = _write(tmp_path, text)
    with pytest.raises(PolicyError) as info:
        load_with_files([p])
    assert any("max_layof_rate" in e.message_zh and "max_layoff_rate" in e.message_zh for e in info.value.all_errors)


def test_names_read_come_from_the_rules() -> None:
    read = names_read("fanhuan")
    # read by an expression, a check's citation, a reading fixed by a parameter, and REQUIRED_PARAMS
    assert {"refund_rate_sme", "excluded_units", "reference_orgs_rate", "min_months_fully_paid"} <= read
    assert "excluded_unitz" not in read


def test_every_shipped_file_given_as_a_draft_still_checks(tmp_path: Path) -> None:
    # a shipped file given with --policy-path (an edited copy) sets only names the rules read or the set records
    for rel in (IM, "140000/jrstf-2024-28.yaml"):
        p = tmp_path / rel.replace("/", "_")
        p.write_text(packaged_root().joinpath(*rel.split("/")).read_text(encoding="utf-8"), encoding="utf-8")
        load_with_files([p])


# F2: a what-if above the national ceiling is refused for 2025 as for 2024


@pytest.mark.parametrize("day", ["2024-08-01", "2025-08-01"])
def test_a_what_if_above_the_national_ceiling_is_refused_every_year(day: str) -> None:
    res = CliRunner().invoke(app, ["evaluate", str(EXAMPLE), "-d", day, "--setting", "refund_rate_sme=70%"])
    assert res.exit_code != 0
    assert "假设值不予采用" in res.output and "60%" in res.output and "13,048.35" not in res.output


def test_a_what_if_under_the_ceiling_still_runs_for_2025() -> None:
    res = CliRunner().invoke(app, ["evaluate", str(EXAMPLE), "-d", "2025-08-01", "--setting", "refund_rate_sme=50%"])
    assert res.exit_code == 0, res.output
    assert "假设分析" in res.output


# F4: a decision on an uninstalled draft says so where it is read (notes, the letter)


def test_a_decision_on_an_uninstalled_draft_says_it_is_no_basis_for_payment(tmp_path: Path) -> None:
    p = _write(tmp_path, _draft())
    res = CliRunner().invoke(app, ["evaluate", str(EXAMPLE), "-d", "2026-08-01", "--policy-path", str(p)])
    assert res.exit_code == 0, res.output
    out = res.output.replace("\n", "")
    assert "未安装的草稿（征求意见稿），文号待定" in out and "不作发放依据" in out
    letter = CliRunner().invoke(app, ["evaluate", str(EXAMPLE), "-d", "2026-08-01", "--policy-path", str(p), "--explain"])
    assert "文号待定，结果不作发放依据】" in letter.output.replace("\n", "")
    installed = CliRunner().invoke(app, ["evaluate", str(EXAMPLE), "-d", "2025-08-01"])
    assert "不作发放依据" not in installed.output


# F5: policy new flags notes that still name last year's dates; F6: diff shows where a changed clause differs


def test_policy_new_marks_notes_naming_a_year_for_checking() -> None:
    lines = _draft().splitlines()
    # the 稳岗返还 block's note (a block scalar) still says “执行期限至2025年12月31日” beside valid_from 2026-01-01
    i = next(n for n, s in enumerate(lines) if "起始日为解读" in s)
    key = next(j for j in range(i, 0, -1) if lines[j].strip().startswith("note:"))
    assert lines[key - 1].lstrip().startswith("# 待核：下行说明") and "2025" in lines[key - 1]
    # every program or parameter note naming a year has the mark right above it
    marked = 0
    for n, s in enumerate(lines):
        if s.startswith(" ") and "note:" in s and not s.rstrip().endswith((">-", ">", "|")):
            if re.search(r"(19|20)\d\d", s.split("note:", 1)[1]):
                assert lines[n - 1].lstrip().startswith("# 待核："), s
                marked += 1
    assert marked >= 1


def test_policy_diff_shows_the_differing_part_of_a_changed_clause(tmp_path: Path) -> None:
    text = _draft().replace("补贴标准在原标准基础上上浮 10%。", "补贴标准在原标准基础上上浮 15%。").replace(
        "urgent_uplift_rate: {value: 10, unit: percent, clause: 二, quote: 补贴标准在原标准基础上上浮 10%}",
        "urgent_uplift_rate: {value: 15, unit: percent, clause: 二, quote: 补贴标准在原标准基础上上浮 15%}",
    )
    p = _write(tmp_path, text)
    res = CliRunner().invoke(app, ["policy", "diff", "im-2025-18", str(p)])
    assert res.exit_code == 0, res.output
    line = next(s for s in res.output.splitlines() if s.strip().startswith("条款 二"))
    before, after = line.split("：", 1)[1].split(" → ")
    assert before != after and "10%" in before and "15%" in after


def test_the_casework_procedures_names_are_known_to_every_program():
    # second look (session 39): a new skill_subsidy notice with `publicity_before_payment: true` was refused as an
    # unknown name “该项规定将不起作用”, though casework.procedure reads it for any program
    import re
    from pathlib import Path

    from wengang.policies.names import PROCEDURE_PARAMS, names_read

    src = (Path(__file__).resolve().parents[2] / "src" / "wengang" / "casework" / "procedure.py").read_text("utf-8")
    read = set(re.findall(r'(?:params\.get|flag)\("([a-z_]+)"\)', src))
    assert read and read <= PROCEDURE_PARAMS, read - PROCEDURE_PARAMS
    for program in ("skill_subsidy", "internship", "fanhuan"):
        assert PROCEDURE_PARAMS <= names_read(program)

"""`wengang policy …` commands."""

from __future__ import annotations

from typer.testing import CliRunner

from tests.policies.test_broken_files import NATIONAL, PROVINCE
from wengang.policies.cli import policy_app

runner = CliRunner()


def test_check_ok():
    result = runner.invoke(policy_app, ["check"])
    assert result.exit_code == 0, result.output
    assert "校验通过：9 份文件" in result.output


def test_check_extra_directory_ok(tmp_path):
    nxt = PROVINCE.replace("id: prov", "id: test-next").replace("内测发〔2099〕2号", "内测发〔2099〕8号")
    nxt = nxt.replace("implements: [nat]\n", "implements: [national-2024-40]\n")
    (tmp_path / "next.yaml").write_text(nxt, encoding="utf-8")
    result = runner.invoke(policy_app, ["check", "--path", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "10 份文件" in result.output


def test_check_extra_directory_with_a_bad_file_exits_2(tmp_path):
    bad = NATIONAL.replace("quote: 单位费率0.5%", "quote: 单位费率0.6%")
    (tmp_path / "bad.yaml").write_text(bad, encoding="utf-8")
    result = runner.invoke(policy_app, ["check", "--path", str(tmp_path)])
    assert result.exit_code == 2
    assert "bad.yaml 第" in result.output and "单位费率0.6%" in result.output


def test_list_show_timeline():
    assert runner.invoke(policy_app, ["list"]).exit_code == 0
    shown = runner.invoke(policy_app, ["show", "内人社发〔2025〕18号"])
    assert shown.exit_code == 0 and "refund_rate_sme" in shown.output
    assert runner.invoke(policy_app, ["show", "no-such"]).exit_code == 2
    tl = runner.invoke(policy_app, ["timeline", "refund_rate_sme", "--region", "内蒙古"])
    assert tl.exit_code == 0 and "90%" in tl.output
    assert runner.invoke(policy_app, ["timeline", "refund_rate_sme", "--region", "火星"]).exit_code == 2

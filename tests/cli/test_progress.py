"""Long steps: plain timestamped lines (Beijing time) when stderr is not a terminal, nothing when quick."""

from __future__ import annotations

import re
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from tests.casework.ledger_helpers import decision
from wengang import progress
from wengang.casework import Ledger
from wengang.casework.operators import add_operator
from wengang.cli import app
from wengang.progress import step

LINE = re.compile(r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\] (.+)$")
runner = CliRunner()


@pytest.fixture
def show_all(monkeypatch):
    """Every step shows (not only those over a second)."""
    monkeypatch.setattr(progress, "SHOW_AFTER", 0.0)


def lines(text: str) -> list[str]:
    return [m.group(2) for m in map(LINE.match, text.splitlines()) if m]


def test_plain_lines_carry_counts_and_beijing_time(show_all, monkeypatch, capsys) -> None:
    monkeypatch.setattr(progress, "LOG_EVERY", 0.01)
    with step("筛查 第2步", total=500, enabled=True) as s:
        for _ in range(5):
            s.advance(100)
            progress.time.sleep(0.02)
    err = capsys.readouterr().err
    assert "\x1b" not in err
    shown = lines(err)
    assert any(re.fullmatch(r"筛查 第2步 \d+/500 行（\d+%，\d+ 行/秒.*）", t) for t in shown), err
    assert re.fullmatch(r"筛查 第2步 完成：500 行，用时 \d+\.\d秒（\d+ 行/秒）", shown[-1]), err
    stamp = datetime.strptime(LINE.match(err.splitlines()[-1]).group(1), "%Y-%m-%d %H:%M:%S")
    beijing = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=8)
    assert abs(beijing - stamp) < timedelta(minutes=1)


def test_quiet_unless_enabled_and_long(capsys) -> None:
    with step("库内调用", total=3) as s:  # not enabled: library callers and tests stay quiet
        s.advance(3)
    with step("很快的步骤", total=3, enabled=True) as s:  # enabled, but over within a second
        s.advance(3)
    assert capsys.readouterr().err == ""


def test_a_failed_step_says_so(show_all, capsys) -> None:
    with pytest.raises(RuntimeError), step("写出", total=10, enabled=True) as s:
        s.advance(4)
        raise RuntimeError("disk full")
    assert lines(capsys.readouterr().err)[-1].startswith("写出 中断：4 行")


def test_screen_piped_shows_each_step_as_plain_lines(show_all, tmp_path: Path) -> None:
    data = tmp_path / "data"
    made = runner.invoke(app, ["demo-data", "--out", str(data), "--units", "300", "--year", "2025"])
    assert made.exit_code == 0, made.output
    assert "生成模拟数据 完成：300 个单位" in lines(made.output)[-1]
    r = runner.invoke(app, [
        "screen", "--out", str(tmp_path / "out"), "--date", "2025-08-01", "--year", "2025",
        "--units", str(data / "units"), "--contributions", str(data / "contributions"),
    ])
    assert r.exit_code == 0, r.output
    assert "\x1b" not in r.output  # no Rich control sequences when not on a terminal
    shown = lines(r.output)
    for n in (1, 2, 3):
        assert any(t.startswith(f"筛查 第{n}步/共3步") and "完成" in t for t in shown), r.output
    monthly = next(t for t in shown if t.startswith("筛查 第2步/共3步") and "完成" in t)
    assert re.search(r"完成：\d+ 行缴费记录", monthly)
    assert any(t.startswith("写出 results.xlsx 完成") for t in shown)
    assert progress._enabled is False  # the command line turned it on for the command only


def test_case_commands_show_progress_through_the_main_app(show_all, tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path}/cli.db"
    pq = tmp_path / "screen.parquet"
    pl.DataFrame([asdict(decision(i)) for i in range(4)]).write_parquet(pq)
    led = Ledger.open(db)
    add_operator(led, "admin", roles=["管理员"], bootstrap=True)
    add_operator(led, "cw", roles=["经办"], actor="admin")
    add_operator(led, "fh", roles=["复核"], actor="admin")
    led.close()

    def case(*args: str) -> list[str]:
        r = runner.invoke(app, ["case", *args, "--db", db, "--user", "cw"])
        assert r.exit_code == 0, r.output
        assert "\x1b" not in r.output
        return lines(r.output)

    assert "导入筛查结果 完成：4 条" in case("import", str(pq), "--program", "fanhuan", "--year", "2025",
                                           "--region", "150000")[-1]
    assert runner.invoke(app, ["case", "release", "--state", "暂缓发放", "--reason", "已核实原始数据与决定一致", "--yes", "--db", db,
                               "--user", "fh"]).exit_code == 0
    assert "推送告知 完成：4 个单位" in case("notify", "fanhuan", "2025", "--channel", "sms")[-1]
    assert "发送消息 完成：4 条" in case("send", "--out", str(tmp_path / "sms.jsonl"))[-1]

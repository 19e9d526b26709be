"""The coverage register (src/wengang/policies/coverage/*.yaml) and `wengang policy coverage`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wengang.cli import app
from wengang.policies import coverage

REPO = Path(__file__).resolve().parents[2]
SHARED = next(
    (p for p in (Path(os.environ.get("WENGANG_SHARED_DIR", "/nonexistent")), REPO.parent / "shared", Path("/work/shared"))
     if (p / "policy-texts").is_dir()),
    None,
)
TEXTS = SHARED / "policy-texts" if SHARED else None
# the legal review's §3 counts per seed
REVIEW_COUNTS = {"000": 47, "001": 41, "002": 74, "003": 62, "004": 44}


@pytest.fixture(scope="module")
def register():
    return coverage.validate(coverage.load(), texts=TEXTS)


def test_every_review_provision_is_listed_once(register):
    assert {s: len(register.of_seed(s)) for s in coverage.SEEDS} == REVIEW_COUNTS
    assert {s: m["count"] for s, m in register.seeds.items()} == REVIEW_COUNTS
    assert register.unlisted() == []
    ids = [p.id for p in register.provisions]
    assert len(ids) == len(set(ids)) == 268


def test_the_shipped_register_checks(register):
    assert register.problems == []


@pytest.mark.skipif(TEXTS is None, reason="policy texts not available")
def test_quotes_checked_against_the_seeds(register):
    assert not register.warnings


def _write(tmp_path: Path, entry: str, count: int = 1) -> Path:
    (tmp_path / "002.yaml").write_text(
        f'seed: "002"\ntitle: t\ncount: {count}\nprovisions:\n' + entry, encoding="utf-8"
    )
    return tmp_path


GOOD = """- id: "002-17"
  document: 内人社办发〔2022〕86号
  clause: （三）6
  description: 稳岗返还：裁员率不高于5.5%
  quote: 裁员率不高于上年度全国城镇调查失业率控制目标（5.5%）
  coverage: {status: encoded, rules: [fanhuan:layoff], tests: ["tests/programs/cases/fanhuan.yaml#@NAME@"]}
"""


def _fanhuan_case_name() -> str:
    import yaml

    data = yaml.safe_load((REPO / "tests/programs/cases/fanhuan.yaml").read_text(encoding="utf-8"))
    return data["cases"][0]["name"]


def _problems(tmp_path: Path, entry: str, count: int = 1) -> list[str]:
    reg = coverage.load(_write(tmp_path, entry, count))
    return coverage.validate(reg, texts=TEXTS).problems


def test_a_good_entry_passes(tmp_path):
    assert _problems(tmp_path, GOOD.replace("@NAME@", _fanhuan_case_name())) == []


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("裁员率不高于上年度", "裁员率低于上年度", "引文"),
        ("fanhuan:layoff", "fanhuan:no_such_check", "规则引用"),
        ("fanhuan:layoff", "no_such_program", "规则引用"),
        ("fanhuan:layoff", "wengang.casework.ledger:Ledger.no_such_method", "规则引用"),
        ("#@NAME@", "#没有这个案例", "测试引用"),
        ('"tests/programs/cases/fanhuan.yaml#@NAME@"', "002-no-such-acceptance-case", "测试引用"),
        ("{status: encoded, rules: [fanhuan:layoff], tests", "{status: encoded, rules: [], tests", "规则 rules"),
        ("{status: encoded, rules: [fanhuan:layoff], tests: [\"tests/programs/cases/fanhuan.yaml#@NAME@\"]}",
         "{status: out_of_scope}", "理由"),
        ("{status: encoded, rules: [fanhuan:layoff], tests: [\"tests/programs/cases/fanhuan.yaml#@NAME@\"]}",
         "{status: recorded, reason: \"  \"}", "理由"),
        ("{status: encoded, rules: [fanhuan:layoff], tests: [\"tests/programs/cases/fanhuan.yaml#@NAME@\"]}",
         "{status: setting, settings: [fanhuan.no_such_switch]}", "设置或开关"),
        ("{status: encoded, rules: [fanhuan:layoff], tests: [\"tests/programs/cases/fanhuan.yaml#@NAME@\"]}",
         "{status: done}", "状态"),
        ("document: 内人社办发〔2022〕86号", "document: 内政发〔2019〕4号", "不出自原文"),
        ('id: "002-17"', 'id: "003-17"', "编号"),
    ],
)
def test_defects_are_reported(tmp_path, old, new, message):
    entry = GOOD.replace(old, new).replace("@NAME@", _fanhuan_case_name())
    assert entry != GOOD.replace("@NAME@", _fanhuan_case_name())
    problems = _problems(tmp_path, entry)
    assert any(message in p for p in problems), problems


def test_duplicate_ids_are_reported(tmp_path):
    entry = GOOD.replace("@NAME@", _fanhuan_case_name())
    problems = _problems(tmp_path, entry + entry)
    assert any("重复" in p for p in problems), problems


def test_unlisted_ids_are_counted(tmp_path):
    reg = coverage.load(_write(tmp_path, GOOD.replace("@NAME@", _fanhuan_case_name()), count=18))
    assert reg.unlisted() == [f"002-{i:02d}" for i in range(1, 17)] + ["002-18"]


def test_cli_json_totals_and_strict(monkeypatch):
    if TEXTS is not None:
        monkeypatch.setenv("WENGANG_SHARED_DIR", str(TEXTS.parent))
    runner = CliRunner()
    result = runner.invoke(app, ["policy", "coverage", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert sum(data["totals"].values()) == 268
    assert data["seeds"]["002"]["totals"] == dict(coverage.load().totals("002"))
    first = data["seeds"]["002"]["provisions"][0]
    assert first["id"] == "002-01" and first["status_zh"] == coverage.STATUS_ZH[first["status"]]
    strict = runner.invoke(app, ["policy", "coverage", "--strict"])
    assert strict.exit_code == (1 if data["totals"]["missing"] else 0)
    table = runner.invoke(app, ["policy", "coverage"])
    assert table.exit_code == 0 and "合计" in table.stdout and "002-74" in table.stdout


def test_coverage_files_are_not_read_as_policy_documents():
    from wengang.policies.loader import load_policy_set

    assert all("coverage" not in d.file for d in load_policy_set().documents)

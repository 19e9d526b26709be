"""Next year's notice: `policy new` drafts it, `policy diff` shows the changes, `--policy-path` runs on it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wengang.cli import app
from wengang.policies.drafting import MARKER, diff_documents, draft_next
from wengang.policies.errors import PolicyError
from wengang.policies.loader import load_policy_set, load_with_files, packaged_root, use_policy_set

SHANXI = "140000/jrstf-2024-28.yaml"
IM = "150000/nrsf-2025-18.yaml"


def _text(rel: str) -> str:
    return packaged_root().joinpath(*rel.split("/")).read_text(encoding="utf-8")


def _draft(tmp_path: Path, rel: str = SHANXI, edit=None) -> Path:
    text = draft_next(_text(rel))
    if edit is not None:
        text = edit(text)
    p = tmp_path / "draft.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_draft_shifts_dates_and_marks_every_clause(tmp_path: Path) -> None:
    p = _draft(tmp_path, IM)
    ps = load_with_files([p])  # the loader's checks pass on the draft
    new = next(d for d in ps.documents if d.file == str(p))
    old = load_policy_set().get("im-2025-18")
    assert new.status == "draft" and new.id == "im-2026-draft" and new.number == "内人社发〔2026〕□号"
    assert new.issued is not None and old.issued is not None and new.issued.year == old.issued.year + 1
    for pid, block in old.programs.items():
        assert new.programs[pid].valid_from == block.valid_from.replace(year=block.valid_from.year + 1)
    assert new.clauses == old.clauses  # kept verbatim
    text = p.read_text(encoding="utf-8")
    assert len(re.findall(rf"^  # {MARKER}：条款", text, flags=re.M)) == len(old.clauses)
    assert new.note is not None and "须对照新文件原文" in new.note


def test_diff_lists_parameter_and_date_changes(tmp_path: Path) -> None:
    p = _draft(
        tmp_path, SHANXI, lambda t: t.replace("中小微企业按60%返还", "中小微企业按55%返还").replace("refund_rate_sme: {value: 60,", "refund_rate_sme: {value: 55,")
    )
    new = next(d for d in load_with_files([p]).documents if d.file == str(p))
    d = diff_documents(load_policy_set().get("shanxi-2024-28"), new)
    assert [(c.where, c.before, c.after) for c in d.parameters] == [
        ("参数 fanhuan.refund_rate_sme", "60%", "55%"),
        ("参数 fanhuan.refund_rate_sme 引文", "中小微企业按60%返还", "中小微企业按55%返还"),
    ]
    assert any(c.where == "项目 稳岗返还 起始日期" for c in d.dates)
    assert [c.where for c in d.clauses] == ["条款 二"]
    res = CliRunner().invoke(app, ["policy", "diff", "shanxi-2024-28", str(p), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["parameters"][0]["after"] == "55%"


def test_a_draft_over_the_national_ceiling_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    p = _draft(
        tmp_path, SHANXI, lambda t: t.replace("refund_rate_sme: {value: 60,", "refund_rate_sme: {value: 70,")
    )
    line = next(
        i for i, s in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if "refund_rate_sme" in s
    )
    with pytest.raises(PolicyError) as e:
        load_with_files([p])
    assert e.value.file == str(p) and e.value.line == line and "超过国家上限" in str(e.value)
    facts = Path("examples/fanhuan/eligible_sme.json")
    for cmd in (
        ["evaluate", str(facts), "--region", "140300", "--date", "2025-08-01"],
        [
            "screen",
            "--out",
            str(tmp_path / "o"),
            "--date",
            "2025-08-01",
            "--facts",
            str(tmp_path / "none.parquet"),
        ],
        ["simulate", str(tmp_path), "--set", "refund_rate_sme=50%"],
    ):
        res = CliRunner().invoke(app, [*cmd, "--policy-path", str(p)])
        assert res.exit_code == 2, (cmd, res.output)
        assert f"文件 {p} 第 {line} 行" in res.output and "超过国家上限 60%" in res.output


def test_policy_path_uses_the_draft_for_that_run_only(tmp_path: Path) -> None:
    p = _draft(
        tmp_path, SHANXI, lambda t: t.replace("中小微企业按60%返还", "中小微企业按55%返还").replace("refund_rate_sme: {value: 60,", "refund_rate_sme: {value: 55,")
    )
    f = tmp_path / "yq.json"  # the example as a 阳泉 unit: a case is decided in its own region (session 40)
    f.write_text(json.dumps(json.loads(Path("examples/fanhuan/eligible_sme.json").read_text(encoding="utf-8"))
                            | {"region_code": "140302"}, ensure_ascii=False), encoding="utf-8")
    args = ["evaluate", str(f), "--region", "140300", "--date", "2025-08-01", "--json"]
    with_draft = CliRunner().invoke(app, [*args, "--policy-path", str(p)])
    without = CliRunner().invoke(app, args)
    assert json.loads(with_draft.stdout)["policy"]["number"] == "晋人社厅发〔2025〕□号"
    assert json.loads(without.stdout)["policy"]["number"] != "晋人社厅发〔2025〕□号"
    shipped = load_policy_set()
    with use_policy_set(load_with_files([p])) as ps:
        assert load_policy_set() is ps
        assert ps.resolve("140300", __import__("datetime").date(2025, 8, 1), "fanhuan").params[
            "refund_rate_sme"
        ].value == __import__("fractions").Fraction(55, 100)
    assert load_policy_set() is shipped


def test_policy_new_cli(tmp_path: Path) -> None:
    out = tmp_path / "next.yaml"
    res = CliRunner().invoke(app, ["policy", "new", "--from", "im-2025-18", "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "校验通过" in res.output and out.is_file()
    bad = CliRunner().invoke(app, ["policy", "new", "--from", "no-such-doc", "--out", str(out)])
    assert bad.exit_code == 2

"""Audit s41 (the new-notice path, decisions §118): a city or province figure above the one set above it (D1); a
figure taken from a quote that gives it to another parameter (D2); a forward of another province's or another year's
notice (D3); a draft forwarding notice applied silently (D4); a draft switched to in_force with its draft marks (D5);
a screening run on an uninstalled draft without a word (D6). Each is refused, or said, naming file and line."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wengang.cli import app
from wengang.evaluate import uninstalled_note
from wengang.policies.drafting import draft_next
from wengang.policies.errors import PolicyError
from wengang.policies.loader import load_dirs, load_with_files, packaged_root
from wengang.policies.quotes import tie_problem
from wengang.settings import SettingError, parse_settings, split_overrides

IM = "150000/nrsf-2025-18.yaml"
EXAMPLE = Path(__file__).parents[2] / "examples" / "fanhuan" / "eligible_sme.json"


def _text(rel: str) -> str:
    return packaged_root().joinpath(*rel.split("/")).read_text(encoding="utf-8")


def _fanhuan_only(text: str) -> str:
    """The document with its 稳岗返还 block only (fanhuan is its first program)."""
    return text[: text.index("\n  skill_subsidy:\n") + 1]


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / name
    p.write_text(text, encoding="utf-8")
    return p


def _line(p: Path, needle: str) -> int:
    return next(i for i, s in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if needle in s)


def _errors(*files: Path) -> list[PolicyError]:
    with pytest.raises(PolicyError) as info:
        load_with_files(list(files))
    return info.value.all_errors


def _city_2025(sme: int, *, implements: bool) -> str:
    """A 通辽 notice of 2025 setting its own 稳岗返还 rates (made from 内人社发〔2025〕18号)."""
    text = _fanhuan_only(_text(IM))
    text = re.sub(r"^number: .*$", "number: 通人社发〔2025〕9号", text.replace("id: im-2025-18", "id: tongliao-2025-9"), flags=re.M)
    text = text.replace('jurisdiction: "150000"', 'jurisdiction: "150500"').replace("issued: 2025-05-27", "issued: 2025-06-20")
    text = re.sub(r"^implements_external: .*\n", "implements: [im-2025-18]\n" if implements else "", text, flags=re.M)
    return text.replace("中小微企业按 60% 返还", f"中小微企业按 {sme} % 返还".replace(" %", "%")).replace(
        "refund_rate_sme: {value: 60,", f"refund_rate_sme: {{value: {sme},")


def _province_draft_2026(sme: int = 60) -> str:
    text = draft_next(_text(IM)).replace("执行期限至2025年12月31日。", "执行期限至2026年12月31日。")
    return text.replace("中小微企业按 60% 返还", f"中小微企业按 {sme}% 返还").replace(
        "refund_rate_sme: {value: 60,", f"refund_rate_sme: {{value: {sme},")


def _city_draft_2026(sme: int) -> str:
    text = _fanhuan_only(_province_draft_2026(sme))
    text = re.sub(r"^number: .*$", 'number: "通人社发〔2026〕□号"', text.replace("id: im-2026-draft", "id: tongliao-2026-draft"), flags=re.M)
    text = text.replace('jurisdiction: "150000"', 'jurisdiction: "150500"')
    return re.sub(r"^implements_external: .*\n", "implements: [im-2026-draft]\n", text, flags=re.M)


# D1: a figure above the one set above it


@pytest.mark.parametrize("implements", [True, False])
def test_a_city_rate_above_its_provinces_is_refused(tmp_path: Path, implements: bool) -> None:
    p = _write(tmp_path, "tl.yaml", _city_2025(65, implements=implements))
    errors = _errors(p)
    hit = [e for e in errors if e.file == str(p) and "上级文件" in e.message_zh and "内人社发〔2025〕18号 一" in e.message_zh]
    assert hit and hit[0].line == _line(p, "refund_rate_sme: {value: 65"), [str(e) for e in errors]
    assert "65%" in hit[0].message_zh and "60%" in hit[0].message_zh


def test_a_city_rate_at_or_below_its_provinces_loads(tmp_path: Path) -> None:
    for sme in (60, 55):
        p = _write(tmp_path / str(sme), "tl.yaml", _city_2025(sme, implements=False))
        ps = load_with_files([p])
        res = ps.resolve("150500", date(2025, 8, 1), "fanhuan")
        assert res.document.id == "tongliao-2025-9" and res.params["refund_rate_sme"].ceiling_param is not None


def test_a_city_under_a_province_draft_is_held_to_its_rate_and_so_is_a_what_if(tmp_path: Path) -> None:
    prov = _write(tmp_path / "d", "im-2026.yaml", _province_draft_2026(50))
    bad = _write(tmp_path / "bad", "tl-2026.yaml", _city_draft_2026(65))
    errors = _errors(prov, bad)
    assert any(e.file == str(bad) and "上级文件" in e.message_zh and "50%" in e.message_zh for e in errors), [
        str(e) for e in errors]
    ok = _write(tmp_path / "ok", "tl-2026.yaml", _city_draft_2026(50))
    ps = load_with_files([prov, ok])
    res = ps.resolve("150500", date(2026, 8, 1), "fanhuan")
    assert res.document.id == "tongliao-2026-draft"
    # the province's 50% binds the what-if, not only the national 60%
    with pytest.raises(SettingError, match="50%"):
        split_overrides(res, parse_settings({"refund_rate_sme": "55%"}))
    split_overrides(res, parse_settings({"refund_rate_sme": "50%"}))


def test_a_province_rate_above_the_national_ceiling_of_its_period_is_refused(tmp_path: Path) -> None:
    text = _fanhuan_only(_text(IM)).replace("2025-01-01", "2024-01-01").replace("2025-12-31", "2024-12-31")
    text = text.replace("执行期限至2025年12月31日", "执行期限至2024年12月31日").replace("issued: 2025-05-27", "issued: 2024-05-27")
    text = re.sub(r"^implements_external: .*\n", "", text, flags=re.M)
    text = re.sub(r"^number: .*$", "number: 内人社发〔2024〕99号", text.replace("id: im-2025-18", "id: im-2024-x"), flags=re.M)
    text = text.replace("中小微企业按 60% 返还", "中小微企业按 65% 返还").replace("refund_rate_sme: {value: 60,", "refund_rate_sme: {value: 65,")
    p = _write(tmp_path, "im-2024.yaml", text)
    errors = _errors(p)
    hit = [e for e in errors if e.file == str(p) and "人社部发〔2024〕40号 二" in e.message_zh]
    assert hit and "适用于本期间" in hit[0].message_zh and hit[0].line == _line(p, "refund_rate_sme: {value: 65")


def test_a_province_rate_above_the_last_known_national_ceiling_is_refused_naming_it(tmp_path: Path) -> None:
    text = _fanhuan_only(_province_draft_2026(65))
    text = re.sub(r"^implements_external: .*\n", "", text, flags=re.M)
    p = _write(tmp_path, "im-2026.yaml", text)
    errors = _errors(p)
    hit = [e for e in errors if e.file == str(p) and "最近已知的国家上限（人社部发〔2024〕40号 二）" in e.message_zh]
    assert hit and "60%" in hit[0].message_zh, [str(e) for e in errors]


# D2: the figure must be the one its quote gives the parameter


def test_a_figure_the_quote_gives_another_parameter_is_refused(tmp_path: Path) -> None:
    text = _province_draft_2026().replace(
        "refund_rate_sme: {value: 60, unit: percent, clause: 一, quote: 中小微企业按 60% 返还}",
        "refund_rate_sme: {value: 30, unit: percent, clause: 一, quote: 大型企业按企业及其职工上年度实际缴纳当年度失业保险费的 30% 返还}",
    )
    p = _write(tmp_path, "im-2026.yaml", text)
    errors = _errors(p)
    hit = [e for e in errors if "refund_rate_sme" in e.message_zh and "大型" in e.message_zh]
    assert hit and hit[0].line == _line(p, "refund_rate_sme: {value: 30"), [str(e) for e in errors]


def test_a_figure_at_the_wrong_place_of_an_enumeration_is_refused(tmp_path: Path) -> None:
    text = _province_draft_2026()
    old = "amount_level3: {value: 2000, unit: yuan"
    assert old in text
    p = _write(tmp_path, "im-2026.yaml", text.replace(old, "amount_level3: {value: 1000, unit: yuan"))
    errors = _errors(p)
    hit = [e for e in errors if "amount_level3" in e.message_zh and "第 3 个" in e.message_zh]
    assert hit and hit[0].line == _line(p, "amount_level3: {value: 1000"), [str(e) for e in errors]


@pytest.mark.parametrize(
    ("name", "value", "quote", "bad"),
    [
        ("refund_rate_sme", 60, "中小微企业按 60% 返还", False),
        ("refund_rate_sme", 25, "大型企业按…的 25% 返还", True),
        ("refund_rate_sme", 30, "大型企业按30%返还，中小微企业按60%返还", True),
        ("refund_rate_sme", 60, "大型企业按30%返还，中小微企业按60%返还", False),
        ("refund_rate_large", 30, "大型企业按30%返还，中小微企业按60%返还", False),
        ("amount_level3", 2000, "初级（五级）、中级（四级）、高级（三级）分别为1000元、1500元、2000元", False),
        ("amount_level3", 1000, "初级（五级）、中级（四级）、高级（三级）分别为1000元、1500元、2000元", True),
        ("amount_level4", 1500, "中级（四级）1500 元", False),
        ("amount_level4", 1000, "初级（五级）1000 元", True),
        ("refund_rate_sme", 50, "可返还其上年度实际缴纳失业保险费的 50%", False),  # 内政发〔2019〕4号: no size named
    ],
)
def test_tie_problem(name: str, value: int, quote: str, bad: bool) -> None:
    unit = "yuan" if name.startswith("amount") else "percent"
    assert (tie_problem(name, value, unit, quote, quote) is not None) is bad


def test_every_installed_file_ties_its_figures() -> None:
    load_dirs([], include_packaged=True)  # the installed set loads under the check (none needed changing)


# D3: a forward names a document of its own chain, and attributes only the cases it covers


def _forward(target: str, *, status: str = "in_force", issued: str = "2026-06-10", jur: str = "150500") -> str:
    return f"""\
id: tongliao-fwd
number: 通人社办发〔{issued[:4]}〕5号
title: 关于转发的通知
issuers: [通辽市人力资源和社会保障局]
jurisdiction: "{jur}"
issued: {issued}
status: {status}
forwards: {target}
source: 000_03e6609c80fa8d4c.txt
clauses:
  正文: 现将有关通知转发给你们，请认真贯彻落实。
"""


def test_a_forward_of_another_provinces_notice_is_refused(tmp_path: Path) -> None:
    p = _write(tmp_path, "fwd.yaml", _forward("shanxi-2024-28", issued="2024-06-10"))
    errors = _errors(p)
    hit = [e for e in errors if "晋人社厅发〔2024〕28号" in e.message_zh and "上级" in e.message_zh]
    assert hit and hit[0].file == str(p) and hit[0].line == _line(p, "forwards:"), [str(e) for e in errors]


def test_a_forward_of_a_province_draft_cannot_be_in_force(tmp_path: Path) -> None:
    prov = _write(tmp_path / "d", "im-2026.yaml", _province_draft_2026())
    fwd = _write(tmp_path / "f", "fwd.yaml", _forward("im-2026-draft"))
    assert any("不能转发征求意见稿" in e.message_zh for e in _errors(prov, fwd))


def test_a_forward_does_not_decide_cases_before_its_year(tmp_path: Path) -> None:
    fwd = _write(tmp_path, "fwd.yaml", _forward("im-2025-18"))
    ps = load_with_files([fwd])
    assert any("已到期" in w.message_zh for w in ps.warnings)
    res = ps.resolve("150500", date(2025, 8, 1), "fanhuan")
    assert res.document.id == "im-2025-18" and res.via == []
    assert ps.resolve("150500", date(2025, 8, 1), "ui_benefit").via == []
    assert [d.id for d in ps.resolve("150500", date(2026, 8, 1), "ui_benefit").via] == ["tongliao-fwd"]
    # the installed forward of 2022 still attributes its year's cases
    installed = load_dirs([], include_packaged=True)
    assert [d.id for d in installed.resolve("150500", date(2022, 3, 1), "fanhuan").via] == ["tongliao-2022-139"]


# D4: a draft forwarding notice is a draft


def test_a_draft_forwarding_notice_is_skipped_unless_asked_for(tmp_path: Path) -> None:
    folder = tmp_path / "fwd"
    _write(folder, "fwd.yaml", _forward("im-2025-18", status="draft", issued="2025-06-10"))
    ps = load_dirs([folder])  # installed beside the shipped set, not asked for
    res = ps.resolve("150500", date(2025, 8, 1), "fanhuan")
    assert res.via == [] and [d.id for d in res.draft_skipped] == ["tongliao-fwd"]
    assert uninstalled_note(res, ps) is None
    res2 = ps.resolve("150500", date(2025, 8, 1), "fanhuan", include_drafts=True)
    assert [d.id for d in res2.via] == ["tongliao-fwd"]
    note = uninstalled_note(res2, ps)
    assert note and "通人社办发〔2025〕5号（转发文件）" in note and "不作发放依据" in note


def test_evaluate_on_a_draft_forward_says_it_is_no_basis_for_payment(tmp_path: Path) -> None:
    p = _write(tmp_path, "fwd.yaml", _forward("im-2025-18", status="draft", issued="2025-06-10"))
    res = CliRunner().invoke(app, ["evaluate", str(EXAMPLE), "-p", "fanhuan", "-r", "通辽", "-d", "2025-08-01",
                                   "--policy-path", str(p)])
    assert res.exit_code in (0, 1), res.output
    assert "通人社办发〔2025〕5号" in res.output and "不作发放依据" in res.output


# D5: a draft switched to in_force keeps nothing of a draft


def _switched(text: str) -> str:
    return re.sub(r"^status: draft", "status: in_force", text, flags=re.M)


def _clean(text: str) -> str:
    """The draft as checked: 待核 marks and the draft note gone, the number filled in."""
    text = "\n".join(line for line in text.splitlines() if not (line.lstrip().startswith("#") and "待核" in line)) + "\n"
    text = re.sub(r"^note: .*$", "note: 已对照原文核对。", text, flags=re.M)
    return text.replace("内人社发〔2026〕□号", "内人社发〔2026〕7号")


@pytest.mark.parametrize(
    ("change", "needle", "words"),
    [
        (lambda t: _switched(t).replace("内人社发〔2026〕7号", "内人社发〔2026〕□号"), "number:", "□"),
        (lambda t: _switched(t).replace("  一: >-\n", "  # 待核：条款“一”原文沿用\n  一: >-\n", 1), "# 待核", "待核"),
        (lambda t: _switched(t).replace("issued: 2026-05-27", f"issued: {date.today().year + 1}-03-01"), "issued:",
         "晚于今天"),
    ],
)
def test_a_draft_switched_to_in_force_with_its_marks_is_refused(tmp_path: Path, change, needle: str, words: str) -> None:
    p = _write(tmp_path, "im-2026.yaml", change(_clean(_province_draft_2026())))
    errors = _errors(p)
    hit = [e for e in errors if e.file == str(p) and words in e.message_zh and "in_force" in e.message_zh]
    assert hit and hit[0].line == _line(p, needle), [str(e) for e in errors]


def test_the_draft_note_and_marks_as_written_by_policy_new_are_refused(tmp_path: Path) -> None:
    p = _write(tmp_path, "im-2026.yaml", _switched(_province_draft_2026()).replace("内人社发〔2026〕□号", "内人社发〔2026〕7号"))
    text = " ".join(e.message_zh for e in _errors(p))
    assert "待核" in text and "note 仍是草稿的说明" in text


def test_the_checked_draft_switched_to_in_force_loads(tmp_path: Path) -> None:
    p = _write(tmp_path, "im-2026.yaml", _switched(_clean(_province_draft_2026())))
    ps = load_with_files([p])
    assert ps.get("im-2026-draft").status == "in_force"


# D6: a screening run on an uninstalled draft says so on stdout and in run.json


@pytest.fixture(scope="module")
def screened_on_draft(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    from wengang.screening.demo_data import generate_region

    root = tmp_path_factory.mktemp("s41screen")
    data = root / "data"
    generate_region(data, region_code="150500", n_units=60, year=2026, seed=11)
    draft = _write(root / "d", "im-2026.yaml", _province_draft_2026())
    out = root / "out"
    args = ["screen", "--out", str(out), "--date", "2026-08-01", "-r", "150500", "--no-excel",
            "--policy-path", str(draft)]
    for k in ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch"):
        if (data / k).exists():
            args += [f"--{k.replace('_', '-')}", str(data / k)]
    from wengang.screening.demo_readings import DEMO_READINGS

    for k, v in DEMO_READINGS.items():
        args += ["--reading", f"{k}={v}"]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 0, res.output
    return out, res.output


def test_screen_on_an_uninstalled_draft_says_so(screened_on_draft: tuple[Path, str]) -> None:
    out, output = screened_on_draft
    assert "不作发放依据" in output and "内人社发〔2026〕□号" in output
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert "不作发放依据" in run["policy_note"]
    assert [f["id"] for f in run["policy_files"]] == ["im-2026-draft"] and run["policy_files"][0]["sha256"]

"""Audit s38 (policy authoring): a value its quote does not state (unit or scale slips), ceilings of a national
document not in the library, a draft overlapping an installed notice, a date that does not exist, a valid_to its
validity clause contradicts. Each is refused (or warned about) naming the file and the line."""

from __future__ import annotations

import json
import re
from datetime import date
from fractions import Fraction
from pathlib import Path

import pytest
from typer.testing import CliRunner

from wengang.cli import app
from wengang.policies.drafting import draft_next
from wengang.policies.errors import PolicyError
from wengang.policies.loader import load_dirs, load_with_files, packaged_root

IM = "150000/nrsf-2025-18.yaml"
SHANXI = "140000/jrstf-2024-28.yaml"
EXAMPLE = Path(__file__).parents[2] / "examples" / "fanhuan" / "eligible_sme.json"
BLOCK_DATES = "valid_from: 2026-01-01\n    valid_to: 2026-12-31\n    validity_clause: 末段"


def _text(rel: str) -> str:
    return packaged_root().joinpath(*rel.split("/")).read_text(encoding="utf-8")


def _ok_draft() -> str:
    """A correct next-year draft of 内人社发〔2025〕18号 (the audit's mk.py ``ok``): 末段 and the uplift updated."""
    text = draft_next(_text(IM))
    text = text.replace("执行期限至2025年12月31日。", "执行期限至2026年12月31日。")
    text = text.replace("补贴标准在原标准基础上上浮 10%。", "补贴标准在原标准基础上上浮 15%。")
    text = text.replace(
        "urgent_uplift_rate: {value: 10, unit: percent, clause: 二, quote: 补贴标准在原标准基础上上浮 10%}",
        "urgent_uplift_rate: {value: 15, unit: percent, clause: 二, quote: 补贴标准在原标准基础上上浮 15%}",
    )
    assert text.count("上浮 15%") == 2
    return text


def _write(tmp_path: Path, text: str, name: str = "im-2026-draft.yaml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def _line(p: Path, needle: str) -> int:
    return next(i for i, s in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if needle in s)


def _errors(p: Path) -> list[PolicyError]:
    with pytest.raises(PolicyError) as info:
        load_with_files([p])
    return info.value.all_errors


# F1 / F2: the value, in its unit, must be what the quote says


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("refund_rate_sme: {value: 60, unit: percent,", "refund_rate_sme: {value: 60, unit: yuan,", "refund_rate_sme"),
        ("refund_rate_sme: {value: 60,", "refund_rate_sme: {value: 0.6,", "refund_rate_sme"),
        ("amount_level4: {value: 1500, unit: yuan,", "amount_level4: {value: 1500, unit: yuan_10k,", "amount_level4"),
        ("min_months_fully_paid: {value: 12, unit: month,", "min_months_fully_paid: {value: 12, unit: year,",
         "min_months_fully_paid"),
        ("urgent_uplift_rate: {value: 15, unit: percent,", "urgent_uplift_rate: {value: 0.15, unit: percent,",
         "urgent_uplift_rate"),
    ],
)
def test_a_value_its_quote_does_not_state_is_refused_naming_file_and_line(
    tmp_path: Path, old: str, new: str, needle: str
) -> None:
    text = _ok_draft()
    assert old in text
    p = _write(tmp_path, text.replace(old, new, 1))
    errors = _errors(p)
    line = _line(p, needle + ":")
    hit = [e for e in errors if e.file == str(p) and e.line == line and "未出现在引文" in e.message_zh]
    assert hit, [str(e) for e in errors]
    assert str(hit[0]).startswith(f"文件 {p} 第 {line} 行：参数“{needle}”的取值")
    # evaluate and policy check refuse it too, naming file and line (exit 2), instead of paying 100× or 0.01×
    res = CliRunner().invoke(app, ["evaluate", str(EXAMPLE), "-p", "fanhuan", "-r", "通辽", "-d", "2026-08-01",
                                   "--policy-path", str(p)])
    assert res.exit_code == 2 and f"文件 {p} 第 {line} 行" in res.output and "结论" not in res.output
    chk = CliRunner().invoke(app, ["policy", "check", "--path", str(tmp_path)])
    assert chk.exit_code == 2 and f"第 {line} 行" in chk.output


def test_the_correct_draft_checks_and_pays_as_the_text_says(tmp_path: Path) -> None:
    p = _write(tmp_path, _ok_draft())
    ps = load_with_files([p])
    res = ps.resolve("150500", date(2026, 8, 1), "fanhuan")
    assert res.document.file == str(p) and res.params["refund_rate_sme"].value == Fraction(3, 5)


@pytest.mark.parametrize(
    ("raw", "unit", "quote", "expected"),
    [
        (60, "percent", "中小微企业按 60% 返还", True),
        (60, "percent", "按百分之六十返还", True),
        (60, "percent", "按６０％返还", True),
        ("5.5", "percent", "裁员率不高于上年度全国城镇调查失业率控制目标（5.5%）", True),
        (Fraction(6, 10), "percent", "中小微企业按 60% 返还", False),
        (60, "yuan", "中小微企业按 60% 返还", False),
        (1500, "yuan", "可按规定相应领取 1000 元、1500 元、2000 元的技能提升补贴", True),
        (1500, "yuan", "中级不超过1,500元", True),
        (1500, "yuan", "1000、1500、2000元", True),
        (1500, "yuan", "补贴1500万元", False),
        (1500, "yuan_10k", "可按规定相应领取 1000 元、1500 元、2000 元的技能提升补贴", False),
        (20, "yuan_10k", "最高不超过20万元", True),
        (12, "month", "参保企业足额缴纳失业保险费 12 个月以上", True),
        (12, "month", "参加失业保险 1 年以上", True),
        (12, "year", "参保企业足额缴纳失业保险费 12 个月以上", False),
        (3, "count", "每人每年享受补贴次数最多不超过三次", True),
        (300, "person", "上年度12个月平均缴费人数 $\\geq 300$ 人的按大型企业认定标识", True),
        (10, "working_day", "做到在收到申请之日起10个工作日内办结", True),
        (10, "day", "做到在收到申请之日起10个工作日内办结", False),
        (True, "bool", "任何文字", None),
    ],
)
def test_value_in_quote(raw, unit, quote, expected) -> None:
    from wengang.policies.quotes import value_in_quote

    if isinstance(raw, Fraction):
        raw = "0.6"
    assert value_in_quote(raw, unit, quote) is expected


def test_every_shipped_policy_file_still_checks() -> None:
    ps = load_dirs([], include_packaged=True)
    assert len(ps.documents) >= 9
    # no shipped value needs the derived-value exemption (it would be a warning naming it)
    assert not [w for w in ps.warnings if "未在引文中写明" in w.message_zh]


def test_a_derived_value_is_exempt_only_when_its_note_says_so(tmp_path: Path) -> None:
    text = _ok_draft()
    old = "amount_level5: {value: 1000, unit: yuan, clause: 二, quote: 可按规定相应领取 1000 元、1500 元、2000 元的技能提升补贴, note: 初级（五级）}"
    assert old in text
    slipped = text.replace(old, old.replace("value: 1000", "value: 900"))
    assert any("未出现在引文" in e.message_zh for e in _errors(_write(tmp_path, slipped)))
    derived = text.replace(old, old.replace("value: 1000", "value: 900").replace("note: 初级（五级）",
                                                                                "note: 推算：初级标准下调10%"))
    ps = load_with_files([_write(tmp_path, derived)])
    assert any("未在引文中写明" in w.message_zh and "推算" in w.message_zh for w in ps.warnings)


# F4: a province document whose national document is not in the library


@pytest.mark.parametrize(
    ("edit", "needle", "words"),
    [
        (lambda t: t.replace("中小微企业按 60% 返还", "中小微企业按 70% 返还")
         .replace("refund_rate_sme: {value: 60,", "refund_rate_sme: {value: 70,"), "refund_rate_sme:",
         ("超过国家上限 60%", "人社部发〔2024〕40号", "人社部发〔2025〕18号")),
        (lambda t: t.replace("失业保险费的 30% 返还", "失业保险费的 35% 返还")
         .replace("refund_rate_large: {value: 30,", "refund_rate_large: {value: 35,"), "refund_rate_large:",
         ("超过国家上限 30%", "人社部发〔2024〕40号")),
        (lambda t: t.replace("1000 元、1500 元、2000 元", "1000 元、1500 元、2500 元")
         .replace("amount_level3: {value: 2000,", "amount_level3: {value: 2500,"), "amount_level3:",
         ("超过国家上限 2,000元", "人社部发〔2024〕40号")),
    ],
)
def test_a_draft_above_the_latest_national_ceiling_in_the_library_is_refused(tmp_path, edit, needle, words) -> None:
    p = _write(tmp_path, edit(_ok_draft()))
    errors = _errors(p)
    line = _line(p, needle)
    hit = [e for e in errors if e.file == str(p) and e.line == line and "超过国家上限" in e.message_zh]
    assert hit, [str(e) for e in errors]
    for w in words:
        assert w in hit[0].message_zh, (w, str(hit[0]))


def test_the_ceiling_check_against_another_document_is_said_never_silent(tmp_path: Path) -> None:
    ps = load_dirs([], include_packaged=True)
    im = [w for w in ps.warnings if w.file.endswith("nrsf-2025-18.yaml")]
    assert any("人社部发〔2025〕18号 不在本库" in w.message_zh and "人社部发〔2024〕40号" in w.message_zh
               and "refund_rate_sme≤60%" in w.message_zh for w in im), [str(w) for w in im]
    # a document whose national document is not in the library and which no national ceiling covers
    assert any(w.file.endswith("nzf-2019-4.yaml") and "未能核对国家上限" in w.message_zh for w in ps.warnings)
    res = CliRunner().invoke(app, ["policy", "check"])
    assert res.exit_code == 0 and "未能核对国家上限" in res.output and "人社部发〔2024〕40号 的上限核对" in res.output


# F5: a draft overlapping an installed notice; `policy new` drafts without the open-ended trap


def test_a_draft_overlapping_the_installed_notice_is_refused(tmp_path: Path) -> None:
    text = _ok_draft().replace(BLOCK_DATES, BLOCK_DATES.replace("2026-01-01", "2025-07-01"), 1)
    p = _write(tmp_path, text)
    errors = _errors(p)
    assert any(e.file == str(p) and "重叠" in e.message_zh and "内人社发〔2025〕18号" in e.message_zh
               and "valid_from" in e.message_zh for e in errors), [str(e) for e in errors]
    res = CliRunner().invoke(app, ["evaluate", str(EXAMPLE), "-p", "fanhuan", "-r", "通辽", "-d", "2025-08-01",
                                   "--policy-path", str(p)])
    assert res.exit_code == 2 and "内人社发〔2026〕□号" not in res.output.split("政策文件校验失败")[-1]
    assert "依据：内人社发〔2026〕" not in res.output


def test_policy_new_gives_open_ended_blocks_a_base_so_the_issued_notice_checks(tmp_path: Path) -> None:
    out = tmp_path / "draft" / "next.yaml"
    out.parent.mkdir()
    res = CliRunner().invoke(app, ["policy", "new", "--from", "im-2025-18", "--out", str(out)])
    assert res.exit_code == 0, res.output
    text = out.read_text(encoding="utf-8")
    for pid in ("ui_benefit", "ui_medical_premium", "ui_price_subsidy"):
        block = re.search(rf"^  {pid}:\n((?:    .*\n|\n)*)", text, flags=re.M)
        assert block is not None and "    base: im-2025-18" in block.group(1), pid
    # the correct draft, checked (its 待核 marks and draft note gone: an in-force notice with them is refused, session
    # 41), switched to in_force checks (no overlap errors on the open-ended blocks)
    inforce = tmp_path / "inforce"
    inforce.mkdir()
    checked = "\n".join(line for line in _ok_draft().splitlines() if not (line.lstrip().startswith("#") and "待核" in line))
    checked = re.sub(r"^note: .*$", "note: 已对照原文核对。", checked + "\n", flags=re.M)
    (inforce / "im-2026.yaml").write_text(
        re.sub(r"^status: draft", "status: in_force", checked, flags=re.M).replace(
            'number: "内人社发〔2026〕□号"', 'number: "内人社发〔2026〕1号"').replace(
            "id: im-2026-draft", "id: im-2026-1"),
        encoding="utf-8",
    )
    ps = load_dirs([inforce])
    doc = ps.get("im-2026-1")
    res2 = ps.resolve("150500", date(2026, 8, 1), "ui_benefit")
    assert res2.document.id == "im-2026-1" and doc.status == "in_force"
    # without the base the message says what to do
    bare = (inforce / "im-2026.yaml").read_text(encoding="utf-8").replace("    base: im-2025-18\n", "", 1)
    (inforce / "im-2026.yaml").write_text(bare, encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_dirs([inforce])
    assert any("base: im-2025-18" in e.message_zh and "valid_to" in e.message_zh for e in info.value.all_errors)


# F9: a date that does not exist; a valid_to its clause contradicts


def test_a_date_that_does_not_exist_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    p = _write(tmp_path, _ok_draft().replace(BLOCK_DATES, BLOCK_DATES.replace("2026-01-01", "2026-02-30"), 1))
    errors = _errors(p)
    line = _line(p, "2026-02-30")
    assert any(e.file == str(p) and e.line == line and "2026-02-30" in e.message_zh and "日期" in e.message_zh
               for e in errors)
    res = CliRunner().invoke(app, ["policy", "check", "--path", str(tmp_path)])
    assert res.exit_code == 2 and "内部错误" not in res.output and f"第 {line} 行" in res.output
    ev = CliRunner().invoke(app, ["evaluate", str(EXAMPLE), "-d", "2026-08-01", "--policy-path", str(p)])
    assert ev.exit_code == 2 and "内部错误" not in ev.output


def test_a_valid_to_past_the_date_its_clause_states_is_flagged(tmp_path: Path) -> None:
    from wengang.policies.quotes import stated_end_dates

    assert stated_end_dates("上述政策执行期限至2026年12月31日。") == [date(2026, 12, 31)]
    p = _write(tmp_path, _ok_draft().replace(BLOCK_DATES, BLOCK_DATES.replace("2026-12-31", "2027-06-30"), 1))
    ps = load_with_files([p])
    line = _line(p, "valid_to: 2027-06-30")
    hit = [w for w in ps.warnings if w.file == str(p) and w.line == line]
    assert hit and "2026-12-31" in hit[0].message_zh and "末段" in hit[0].message_zh
    res = CliRunner().invoke(app, ["policy", "check", "--path", str(tmp_path)])
    assert res.exit_code == 0 and "晚于有效期条款“末段”写明的截止日期 2026-12-31" in res.output
    # the untouched generated draft: 末段 still says 2025, the dates say 2026
    raw = _write(tmp_path, draft_next(_text(IM)), "raw.yaml")
    assert any("2025-12-31" in w.message_zh for w in load_with_files([raw]).warnings if w.file == str(raw))


def test_diff_and_policy_path_with_a_consistent_edit(tmp_path: Path) -> None:
    """The value and the text it quotes changed together (55%), as next year's notice would."""
    text = draft_next(_text(SHANXI)).replace("中小微企业按60%返还", "中小微企业按55%返还").replace(
        "refund_rate_sme: {value: 60,", "refund_rate_sme: {value: 55,")
    p = _write(tmp_path, text, "sx.yaml")
    yq = tmp_path / "yq.json"  # the example as a 阳泉 unit: a case is decided in its own region (session 40)
    yq.write_text(json.dumps(json.loads(EXAMPLE.read_text(encoding="utf-8")) | {"region_code": "140302"},
                             ensure_ascii=False), encoding="utf-8")
    out = CliRunner().invoke(app, ["evaluate", str(yq), "--region", "140300", "--date", "2025-08-01", "--json",
                                   "--policy-path", str(p)])
    assert out.exit_code == 0, out.output
    # warnings about the file go to stderr, the JSON to stdout
    assert json.loads(out.stdout)["policy"]["number"] == "晋人社厅发〔2025〕□号"

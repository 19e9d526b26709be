"""No internal codes in what people read: screen's results.xlsx, ``wengang evaluate``'s text, ``policy diff``.
(Letters and ``case show``: tests/casework/test_user_facing_case_text.py.)"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from tests.docs.text_checks import codes_in, screen_small_region
from wengang.cli import app
from wengang.policies.drafting import draft_next
from wengang.policies.loader import packaged_root
from wengang.screening.demo_data import allowed_regions_for, generate_region

runner = CliRunner()


@pytest.fixture(scope="module")
def screened(tmp_path_factory) -> Path:
    """A small generated 通辽 region screened for 稳岗返还 (the real pipeline, XLSX written)."""
    return screen_small_region(tmp_path_factory.mktemp("screen"), excel=True)


def test_results_xlsx_says_readings_and_outcomes_in_chinese(screened):
    ws = load_workbook(screened / "results.xlsx", read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    head, body = rows[0], rows[1:]
    readings, outcomes = head.index("采用的政策理解"), head.index("各种理解下的结果")
    cells = [str(v) for row in body for v in row if isinstance(v, str)]
    assert [c for c in cells if codes_in(c)] == []
    # every reading by its description (the switch's question, then the reading)
    assert any(
        "计算裁员率时是否扣除正常减员（文件未写明时）：扣除劳动合同期满" in (r[readings] or "") for r in body
    )
    open_rows = [r for r in body if r[outcomes]]
    assert open_rows, "the generated region has 待认定 units"
    for r in open_rows:  # a 待认定 row names the open readings as open, not as adopted
        assert r[readings].startswith("尚待认定的政策理解："), r[readings]
        assert re.search(r"(符合条件|不符合条件|无法判定|待认定)", r[outcomes])
    amounts = [m for r in open_rows for m in re.findall(r"，(\d+\.\d{2})元", r[outcomes])]
    assert amounts  # in 元 with two decimals
    # the Parquet file keeps the machine text `case import` reads
    raw = pl.read_parquet(screened / "results.parquet")
    assert raw["readings"].str.contains("fanhuan.normal_attrition=excluded", literal=True).all()
    assert (
        raw.filter(pl.col("outcomes") != "")["outcomes"].str.contains(r":(eligible|not_determinable):").all()
    )
    # the amounts are the Parquet's fen, exactly
    fen = raw.filter(pl.col("outcomes") != "")["outcomes"].str.extract_all(r":(\d+)$|:(\d+)\|").explode()
    yuan = {f"{int(x.strip(':|')) // 100}.{int(x.strip(':|')) % 100:02d}" for x in fen.drop_nulls().to_list()}
    assert set(amounts) <= yuan


def test_evaluate_text_names_readings_in_chinese_and_each_reason_once():
    r = runner.invoke(
        app, ["evaluate", "examples/fanhuan/eligible_sme.json", "--setting", "max_layoff_rate=3.6%"]
    )
    out = r.output
    assert "待认定" in out
    assert codes_in(out) == [], codes_in(out)
    lines = [line.strip() for line in out.splitlines() if line.strip().startswith("理由：若")]
    assert lines and len(lines) == len(set(lines)), lines
    assert "若计算裁员率时是否扣除正常减员（文件未写明时）按“正常减员也计入裁员人数”" in out
    assert "符合条件" in out and "11,184.30元" in out


def test_policy_diff_prints_status_and_program_labels(tmp_path):
    text = draft_next(packaged_root().joinpath("150000", "nrsf-2025-18.yaml").read_text(encoding="utf-8"))
    p = tmp_path / "draft.yaml"
    p.write_text(text, encoding="utf-8")
    r = runner.invoke(app, ["policy", "diff", "im-2025-18", str(p)])
    assert r.exit_code == 0, r.output
    out = r.output
    assert "状态：有效 → 征求意见稿" in out and "项目 稳岗返还 起始日期" in out
    assert "in_force" not in out and "draft" not in out.replace("im-2026-draft", "")
    assert "项目 fanhuan" not in out and codes_in(out) == []


# ------------------------------------------------------------------------------------------ 需核查 in Chinese
FLAG_CODE = re.compile(r"^[?a-z_]+$")


def _flag_cells(out: Path) -> list[str]:
    rows = list(load_workbook(out / "results.xlsx", read_only=True).active.iter_rows(values_only=True))
    column = rows[0].index("需核查")
    return [r[column] for r in rows[1:] if r[column]]


def _raw_codes(cells: list[str]) -> list[str]:
    return [c for c in cells if FLAG_CODE.match(c) or any(FLAG_CODE.match(part) for part in c.split("；"))]


def test_units_xlsx_says_each_flag_in_chinese(screened):
    cells = _flag_cells(screened)
    assert cells, "the generated region has units to verify"
    assert _raw_codes(cells) == []
    assert (
        "无可用收款账户：非小微企业须补充对公账户信息，小微企业须取得税务部门协助提供的社会保险费缴费账户"
        in cells
    )
    # the Parquet keeps the codes `case import` reads
    assert (
        "payment_account" in pl.read_parquet(screened / "results.parquet")["flags"].cast(pl.String).to_list()
    )


def _pid(n: int) -> str:
    from wengang.facts.identifiers import ric_check_character

    first17 = f"15010219850101{n:03d}"  # born 1985-01-01
    return first17 + ric_check_character(first17)


@pytest.fixture(scope="module")
def people_screened(tmp_path_factory) -> dict[str, Path]:
    """技能提升补贴 on a generated region; 失业保险金 of one person drawing in 通辽 and 阳泉 at once (异地重复领取)."""
    from wengang.screening.people import run_people_screening

    root = tmp_path_factory.mktemp("people_flags")
    on = date(2025, 9, 1)
    paths = generate_region(root / "data", n_units=300, year=2025)
    skill = run_people_screening(
        root / "skill", program="skill_subsidy", evaluation_date=on,
        tables={k: paths[k] for k in ("persons", "certificates", "subsidies", "ui_claims")},
        allowed_regions=allowed_regions_for("150500", 2025) | {"150500"}, urgent_occupations=["6-31-01-03"],
    )  # fmt: skip
    who = [_pid(1), _pid(2)]
    persons, claims = root / "persons.parquet", root / "claims.parquet"
    pl.DataFrame(
        {
            "id_number": who,
            "name": ["失业人员甲", "失业人员乙"],
            "region_code": ["150500"] * 2,
            "insured_months": [40, 40],
        }
    ).write_parquet(persons)
    pl.DataFrame(
        {
            "id_number": [who[0], who[0], who[1]],
            "region_code": ["150500", "140300", "150500"],
            "start_month": ["2025-01", "2025-03", "2025-01"],
            "months": [12, 12, 12],
            "monthly_fen": [180000] * 3,
            "involuntary_separation": ["是"] * 3,
        }
    ).write_parquet(claims)
    ui = run_people_screening(
        root / "ui",
        program="ui_benefit",
        evaluation_date=on,
        tables={"persons": persons, "ui_claims": claims},
    )
    return {"skill_subsidy": skill.out_dir, "ui_benefit": ui.out_dir}


@pytest.mark.parametrize(
    "program,code,text",
    [
        (
            "skill_subsidy",
            "fit_commitment",
            "需核查：非急需紧缺职业（工种）证书申领，未见企业提供的证岗相适承诺书",
        ),
        ("ui_benefit", "cross_region", "疑点：异地重复领取，需排查"),
    ],
)
def test_people_xlsx_says_each_flag_in_chinese(people_screened, program, code, text):
    out = people_screened[program]
    cells = _flag_cells(out)
    assert _raw_codes(cells) == []
    assert any(text in c for c in cells), cells[:5]
    # the Parquet keeps the codes `case import` reads
    raw = pl.read_parquet(out / "results.parquet")["flags"].cast(pl.String).fill_null("")
    assert raw.str.split(";").explode().is_in([code]).any()

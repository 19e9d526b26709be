"""Certificates as agencies write them (outside bad-input audit F6, session 37): 等级 by its name (三级, 高级工,
三级/高级工, 三级（高级工）) and 公民身份号码 in full-width digits are read as the number they are — the same results as the
plain file —, a level outside 1–5 is quarantined saying what a level is. Before, every named level was quarantined as
“不是整数” and a full-width ID number as “格式不符”."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from wengang.ingest.values import ValueProblem, parse_skill_level
from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.people import run_people_screening

ON = date(2025, 9, 1)
NAMES = {1: "一级/高级技师", 2: "技师", 3: "三级（高级工）", 4: "中级工", 5: "五级"}


@pytest.mark.parametrize(
    ("written", "level"),
    [("3", 3), (3, 3), (3.0, 3), ("３", 3), ("三级", 3), ("高级工", 3), ("三级/高级工", 3), ("三级（高级工）", 3),
     ("一级", 1), ("高级技师", 1), ("二级", 2), ("技师", 2), ("四级 / 中级工", 4), ("初级工", 5), ("五级", 5)],
)  # fmt: skip
def test_a_level_as_written(written: object, level: int) -> None:
    assert parse_skill_level(written) == level


@pytest.mark.parametrize("written", ["0", "6", "六级", "特级技师", "三级/中级工", "高级工程师", "3.5"])
def test_not_a_level(written: str) -> None:
    with pytest.raises(ValueProblem, match="职业技能等级应为1至5"):
        parse_skill_level(written)


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)


def test_named_levels_and_full_width_ids_screen_as_the_plain_file(tmp_path: Path) -> None:
    paths = generate_region(tmp_path / "data", n_units=300, year=2025)
    certs = pl.read_parquet(paths["certificates"])
    assert certs.height > 3
    named = certs.with_columns(
        pl.col("level").replace_strict(NAMES, return_dtype=pl.String),
        pl.col("id_number").map_elements(_full_width, return_dtype=pl.String),
    )
    named.write_csv(tmp_path / "certificates.csv")
    # one more row, its level no level: quarantined (a new certificate number, so no repeated key)
    bad = named.head(1).with_columns(pl.lit("六级").alias("level"), pl.lit("CERT-X").alias("certificate_no"))
    pl.concat([named, bad]).write_csv(tmp_path / "with_bad.csv")
    allowed = allowed_regions_for("150500", 2025) | {"150500"}

    def screen(name: str, certificates: Path) -> pl.DataFrame:
        tables = {k: paths[k] for k in ("persons", "subsidies", "ui_claims")} | {"certificates": certificates}
        rep = run_people_screening(tmp_path / name, program="skill_subsidy", evaluation_date=ON, tables=tables,
                                   allowed_regions=allowed)  # fmt: skip
        return pl.read_parquet(rep.out_dir / "results.parquet").sort("application_id")

    plain = screen("plain", paths["certificates"])
    as_written = screen("named", tmp_path / "certificates.csv")
    assert as_written.select("application_id", "id_number", "level", "status", "amount_fen").equals(
        plain.select("application_id", "id_number", "level", "status", "amount_fen")
    )
    rep = run_people_screening(
        tmp_path / "with_bad", program="skill_subsidy", evaluation_date=ON, allowed_regions=allowed,
        tables={k: paths[k] for k in ("persons", "subsidies", "ui_claims")} | {"certificates": tmp_path / "with_bad.csv"},
    )  # fmt: skip
    q = pl.read_parquet(rep.out_dir / "quarantine.parquet")
    assert q.height == 1 and "职业技能等级应为1至5" in q.item(0, "reason_zh")

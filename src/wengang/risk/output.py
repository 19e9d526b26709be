"""Flags out: ``flags.parquet`` (every column, full identifiers: the file ``wengang risk import`` reads, kept
like ``results.parquet``) and ``flags.xlsx`` (the 稽核's list: ID numbers and unit codes masked — first 4 and
last 4 — also inside the record and the evidence), ``summary.json`` (counts per check, what was skipped or
not checked), ``unchecked.parquet`` (rows a check could not decide, with the reason: never a pass) and
``quarantine.parquet`` (rows with a value that cannot be read: table, row, field, reason)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from .batch import RiskRun
from .registry import CHECKS


def readable(flags: pl.DataFrame) -> pl.DataFrame:
    from wengang.documents.masking import mask_id_number_expr
    from wengang.screening.output import _yuan_column

    masked = mask_id_number_expr("subject_id")

    # an 18-character ID number or credit code inside a record or the evidence: first 4 and last 4 kept
    def hide(col: str) -> pl.Expr:
        return pl.col(col).str.replace_all(r"\b([0-9A-Z]{4})[0-9A-Z]{10}([0-9A-Z]{4})\b", "$1**********$2")

    return flags.select(
        pl.int_range(1, pl.len() + 1).alias("序号"),
        pl.col("check_id").alias("核查项"),
        pl.col("label").alias("疑点"),
        pl.col("severity").alias("风险等级"),
        masked.alias("公民身份号码/统一社会信用代码"),
        pl.col("subject_name").alias("姓名/单位名称"),
        pl.col("region_code").alias("地区代码"),
        pl.col("year").alias("年度"),
        hide("record").alias("记录"),
        _yuan_column("amount_fen").alias("涉及金额（元）"),
        pl.col("citation").alias("依据"),
        pl.col("quote").alias("原文"),
        hide("evidence").alias("证据"),
    )


def summary(run: RiskRun) -> dict[str, Any]:
    return {
        "flags": run.flags.height,
        "by_check": {
            cid: {
                "label": CHECKS[cid].label,
                "severity": CHECKS[cid].severity,
                "flags": run.counts.get(cid),
                "skipped": run.skipped.get(cid),
                "not_applicable_regions": run.not_applicable.get(cid, []),
                "unchecked": run.unchecked_counts.get(cid, 0),
                "unknown_regions": run.unknown_regions.get(cid, {}),
            }
            for cid in CHECKS
        },
        "unchecked": run.unchecked.height,
        # in = accepted + quarantined, per table
        "tables": {
            name: {
                "rows": rows,
                "quarantined": run.quarantine.filter(pl.col("table") == name).get_column("row").n_unique(),
            }
            for name, rows in run.rows_in.items()
        },
        "amount_fen": int(run.flags.get_column("amount_fen").sum() or 0),
    }


def write(run: RiskRun, out_dir: str | Path, *, excel: bool = True) -> dict[str, Path]:
    from wengang.screening.output import write_excel_sheets

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {"flags.parquet": out / "flags.parquet", "summary.json": out / "summary.json",
             "unchecked.parquet": out / "unchecked.parquet", "quarantine.parquet": out / "quarantine.parquet"}  # fmt: skip
    run.flags.write_parquet(files["flags.parquet"])
    run.unchecked.write_parquet(files["unchecked.parquet"])
    run.quarantine.write_parquet(files["quarantine.parquet"])
    files["summary.json"].write_text(
        json.dumps(summary(run), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    if excel:
        files["flags.xlsx"] = out / "flags.xlsx"
        write_excel_sheets(readable(run.flags), files["flags.xlsx"], "风险疑点")
    return files

"""One case through the same definitions: a JSON file's rows become one-row (or few-row) tables for
:func:`wengang.risk.batch.screen`, so a case and a whole region are judged by the same compiled rules.

The file (see ``examples/risk-case.json``)::

    {"date": "2025-07-01",
     "settings": {"short_term_insured_months": 12},
     "person": {"id_number": "...", "name": "...", "region_code": "150502", "insured_months": 30},
     "certificates": [...], "subsidies": [...], "ui_claims": [...], "registry": [...],
     "flexible_subsidies": [...], "dispatch_refunds": [...], "dispatch_allocations": [...]}

``person`` (or ``persons``, a list) and each table's rows use the columns of the batch tables. What the case
does not include is not known: the evaluation-body cluster sees only the certificates in the file, a claim
elsewhere only the claims in it (the national comparison's results are such rows).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from wengang.beijing import beijing_today

from .batch import OPTIONAL, REQUIRED, TABLES, RiskInputError, RiskRun, read_table, screen


def tables_of(case: Mapping[str, Any]) -> dict[str, pl.DataFrame]:
    rows: dict[str, list[dict[str, Any]]] = {}
    if "person" in case:
        rows["persons"] = [dict(case["person"])]
    for name in TABLES:
        if name in case:
            value = case[name]
            if not isinstance(value, list):
                raise RiskInputError(f"{name} 应为列表", f"{name} must be a list of rows")
            rows[name] = rows.get(name, []) + [dict(r) for r in value]
    unknown = sorted(set(case) - set(TABLES) - {"person", "date", "settings", "checks"})
    if unknown:
        raise RiskInputError(
            f"案例文件中有未知字段：{'、'.join(unknown)}", f"unknown keys in the case: {', '.join(unknown)}"
        )
    out = {}
    for name, items in rows.items():
        schema = {**REQUIRED[name], **OPTIONAL[name]}
        cols = {c for r in items for c in r}
        extra = sorted(cols - set(schema))
        if extra:
            raise RiskInputError(
                f"{name} 中有未知字段：{'、'.join(extra)}", f"unknown columns in {name}: {', '.join(extra)}"
            )
        # every value as text, read by the batch's readers (the ingest layer's: a month 2025/4, a date
        # 2025年3月15日, an amount, 是/否): one case reads as a table does; a value they refuse is an input error
        texts = {
            c: pl.Series(c, [_text(r.get(c)) for r in items], dtype=pl.String) for c in schema if c in cols
        }
        frame, bad = read_table(name, pl.DataFrame(texts))
        faults = bad.collect()
        if faults.height:
            r = faults.row(0, named=True)
            raise RiskInputError(
                f"{name} 第 {r['row']} 行 {r['field']}：{r['reason_zh']}",
                f"{name} row {r['row']} {r['field']}: {r['reason_en']}",
            )
        out[name] = frame.collect()
    return out


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def _day(text: str, what: str) -> date:
    """A date in any form the ingest layer reads (``2025-07-01``, ``2025/7/1``, ``2025年7月1日``, ``20250701``)."""
    from wengang.ingest.values import ValueProblem, parse_date

    try:
        return parse_date(text)
    except ValueProblem as exc:
        raise RiskInputError(f"{what}：{exc.zh}", f"{what}: {exc.en}") from None


def check_case(
    case: Mapping[str, Any], *, on: date | None = None, settings: Mapping[str, Any] | None = None
) -> RiskRun:
    """The flags of one case (``on`` and ``settings`` default to the file's ``date`` and ``settings``)."""
    day = on or (_day(str(case["date"]), "date") if case.get("date") else beijing_today())
    merged = {**dict(case.get("settings") or {}), **dict(settings or {})}
    return screen(tables_of(case), on=day, settings=merged, checks=case.get("checks"))


def load_case(path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RiskInputError(
            f"无法读取案例文件 {path}：{exc}", f"cannot read the case file {path}: {exc}"
        ) from None
    if not isinstance(data, dict):
        raise RiskInputError("案例文件应为 JSON 对象", "the case file must be a JSON object")
    return data

"""Shared helpers for the people-screening tests: valid ID numbers, and one case rebuilt from the tables."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from wengang.evaluate import evaluate
from wengang.facts.identifiers import make_credit_code, ric_check_character
from wengang.facts.person import SkillSubsidyFacts, UnemployedPersonFacts
from wengang.screening.ingest import read_table
from wengang.screening.people import OCCUPATION_RE, SkillInputs, skill_inputs
from wengang.screening.quarantine import validate_table


def pid(n: int, year: int = 1985) -> str:
    """A valid 公民身份号码 (birthplace 150102, born ``year``-01-01, sequence ``n``)."""
    first17 = f"150102{year}0101{n:03d}"
    return first17 + ric_check_character(first17)


def employer(n: int = 1) -> str:
    return make_credit_code("91", "150102", f"MA{n:06d}1")


def write_gbk_csv(df: pl.DataFrame, path: Path, headers: dict[str, str]) -> Path:
    text = df.rename(headers).write_csv()
    path.write_bytes(text.encode("gbk"))
    return path


def validated(tables: dict[str, Any]) -> dict[str, pl.LazyFrame]:
    return {k: validate_table(read_table(v, k)).accepted.lazy() for k, v in tables.items()}


def inputs_from(tables: dict[str, Any], urgent: list[str] | None = None) -> SkillInputs:
    f = validated(tables)
    certs = f["certificates"].filter(pl.col("occupation_code").str.contains(OCCUPATION_RE))  # as the run
    certs = certs.join(f["persons"].select("id_number"), on="id_number", how="semi")
    return skill_inputs(
        f["persons"],
        certs,
        f.get("subsidies"),
        f.get("held_certificates"),
        f.get("ui_claims"),
        urgent_occupations=urgent,
    )


def _rows_by_person(frame: pl.LazyFrame) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for row in frame.collect().iter_rows(named=True):
        out.setdefault(row["id_number"], []).append(row)
    return out


def one_case_skill(inputs: SkillInputs) -> dict[str, dict]:
    """Application id → the facts of one case (the application and its person's histories), in Python."""
    apps = inputs.apps.collect().sort("application_date", "application_id")
    history = _rows_by_person(inputs.history)
    held = _rows_by_person(inputs.held)
    training = _rows_by_person(inputs.training)
    fields = set(SkillSubsidyFacts.model_fields)
    seen: dict[str, list[dict]] = {}
    out: dict[str, dict] = {}
    for row in apps.iter_rows(named=True):
        me = row["id_number"]
        past = [
            {k: h[k] for k in ("occupation_code", "work_type", "level", "application_date",
                               "certificate_issue_date", "paid_date", "urgent")}
            for h in history.get(me, [])
        ]  # fmt: skip
        past += [
            {
                "occupation_code": e["occupation_code"],
                "work_type": e["work_type"],
                "level": e["level"],
                "application_date": e["application_date"],
                "certificate_issue_date": e["certificate_issue_date"],
                "paid_date": None,
                "urgent": bool(e["urgent_occupation"]),
            }
            for e in seen.get(me, [])
        ]
        case = {k: v for k, v in row.items() if k in fields and v is not None}
        case["past_subsidies"] = past
        case["held_certificates"] = [
            {k: h[k] for k in ("occupation_code", "work_type", "level", "issue_date")} for h in held.get(me, [])
        ]
        case["training_subsidies"] = [
            {k: t[k] for k in ("occupation_code", "work_type", "level", "received_date")} for t in training.get(me, [])
        ]
        out[row["application_id"]] = {**case, "_region": row["region_code"]}
        seen.setdefault(me, []).append(row)
    return out


def assert_rows_equal_one_case(
    results: pl.DataFrame, cases: dict[str, dict], key: str, program: str, on: date, readings=None, settings=None
) -> int:
    """Each result row has the status and amount of evaluating its case alone; returns rows compared."""
    n = 0
    for row in results.iter_rows(named=True):
        case = dict(cases[row[key]])
        region = case.pop("_region")
        fixed = dict(readings or {})
        if row.get("application_date_given") is False:
            # 免申即享: the issue date stands in for an application date, which places no earlier period
            fixed.setdefault("policy.period_date", "review")
        d = evaluate(program, region, on, case, readings=fixed, settings=settings)
        assert (row["status"], row["amount_fen"]) == (d.status, d.amount_fen), (case, row["reasons"], d.reasons)
        n += 1
    return n


def one_case_ui(facts: pl.DataFrame) -> dict[str, dict]:
    fields = set(UnemployedPersonFacts.model_fields)
    return {
        r["claim_id"]: {**{k: v for k, v in r.items() if k in fields and v is not None}, "_region": r["region_code"]}
        for r in facts.iter_rows(named=True)
    }

"""Screening people in bulk: 技能提升补贴 applications and 失业保险金 claims from the agencies' tables.

    persons + certificates + subsidies (+ held certificates, benefit claims) ──► validate / quarantine
        ──► applications and histories ──► derive_skill_features_frame ──► screen_facts ──► write
    persons + ui_claims ──► validate / quarantine ──► UnemployedPersonFacts columns ──► screen_facts ──► write

Nothing here decides eligibility: the rules are the programs' rulesets compiled by
:func:`wengang.screening.evaluate.screen_facts`, and a person's skill history is turned into the rules'
flat facts by :func:`wengang.programs.skill_subsidy.derive_skill_features_frame` (the per-year caps in
application-date order within the batch, once per occupation and level across years, no lower level after
a higher one, 职业培训补贴 overlap). This module only maps the raw tables onto those inputs — every choice
of that mapping is listed here, and every step is a Polars expression over whole tables.

How the tables map (choices, also in docs/decisions.md material)
----------------------------------------------------------------

技能提升补贴 (``program="skill_subsidy"``; tables ``persons``, ``certificates``, ``subsidies``, optional
``held_certificates`` and ``ui_claims``):

* **An application is a certificate** (免申即享: the agency matches the certificate registry against the
  insured, nobody files a form). ``application_id`` = ``certificate_no``.
* **Application date** = the certificate's optional ``application_date`` column; when empty, its
  ``issue_date`` (the day the entitlement arises). Caps are therefore applied in issue-date order within
  the batch, ties by certificate number.
* **A certificate already paid for is not an application.** A past skill subsidy pays for a certificate
  when its ``certificate_no`` names it, or — when the subsidy row has no certificate number — when it is
  the same person, occupation, work type and level and was paid on or after the certificate's issue
  date. Such certificates go to ``already_paid.parquet`` (with the subsidy's paid date), not to the
  results; they still count as held certificates. Counting them as applications as well would count the
  same subsidy twice against the year's cap.
* **History** = ``subsidies`` of kind ``skill`` (application date = its optional ``application_date``,
  else the paid date; certificate issue date = its optional column, else the matched certificate's;
  ``urgent`` empty = no). ``kind = training`` rows are the 职业培训补贴 received (received = paid date;
  their ``level``, when given, serves the same-occupation-and-level reading of the overlap rule).
  **Held certificates** = the ``held_certificates`` table plus every certificate in ``certificates``.
* **Person status**: the persons table's optional ``person_status``; else 领取失业保险金人员 when a
  ``ui_claims`` row covers the application month (its region is the 领金地); else 企业在职职工 when the
  person has an employer (``employer_credit_code``); else unknown (the rules then say 缺少数据, never
  a guessed refusal). **Status at the certificate date** (``person_status_at_certificate``, for the reading
  ``at_certificate`` of ``skill_subsidy.status_date``): 领取失业保险金人员 when a ``ui_claims`` row covers the
  certificate's issue date; else empty, and the rules take the status at the application when the application date is
  the issue date (免申即享: always), or 企业在职职工 when the person is one now and has been with the same employer
  (``employer_since``) since on or before the issue date — without that date, when ``insured_months_continuous``
  reaches back to the certificate's month; otherwise unknown (待认定 where that reading could change the result).
* **Insured months**: ``insured_months`` (cumulative) and the optional ``insured_months_continuous``
  of the persons table, taken as at the application date; the same figures stand "at the certificate
  date" only when the application date is the issue date, otherwise those two facts are unknown.
  Without ``insured_months_continuous`` the continuous readings of ``skill_subsidy.insured_period`` are
  unknown, so a case they could change is 待认定 unless the operator fixes the reading.
* **Certificate type** = the optional ``certificate_type`` column, empty = 职业技能等级证书 (the
  certificates table holds only 职业资格 and 职业技能等级 certificates). **Urgently-needed occupation**
  = the optional ``urgent_occupation`` column, else membership of ``urgent_occupations`` (the region's
  list, supplied by the operator), else unknown.
* **Certificate in the policy period** (``skill_subsidy.certificate_window`` = ``policy_period``): against
  the period of the document each row is judged under, as one case's ``prepare`` derives it — the row placed
  by its filed application date (``policy.period_date``) as the rules place it, not by the review date.
* Screening region = the person's 参保地 (``persons.region_code``). A certificate whose holder is not in
  the persons table, or whose occupation code is not ``D-DD-DD-DD``, is quarantined (the certificates
  report still reconciles: in = accepted + quarantined).

失业保险金 (``program="ui_benefit"``; tables ``persons`` and ``ui_claims``): one row per claim.
Application date = the first day of ``start_month``; screening region = the claim's region (领金地);
``paid_months`` = the claim's optional ``paid_months``, else the person's ``insured_months``;
``unclaimed_previous_months`` empty = 0; ``paid_months_transferred_in`` and ``months_already_drawn`` (兵团 二（四）: the
period recounted after a transfer, where the document in force sets ``recompute_duration_after_transfer``) as given,
empty = 0 as the rules read them; ``registered_unemployed`` and ``seeking_work`` empty = yes (a
claim is recorded only after 失业登记); ``involuntary_separation`` empty = unknown; ``reemployed`` empty
= no; ``claimed_elsewhere`` = another claim of the same person in another region over overlapping
months. Results carry the rules' outputs (``out_duration_months``, ``out_entitled_months`` …) beside
the claim's granted ``claim_months``, and ``months_over_entitlement`` (granted − entitled, when positive).

A ceiling (``amount_is_cap``, as one case: 内政发〔2019〕4号 八 and 人社部发〔2024〕40号 三 “不超过”): the results carry
the column; an eligible row whose amount is only a ceiling is held (``payment_hold``, the 统筹地区 sets the standard)
unless the operator's ``--setting`` fixes the parameter; the XLSX views and the summary say 不超过.

Left out: the re-count after removing applications refused for other reasons (an earlier application
counts against a later one whether or not it is granted — the conservative count of
``derive_skill_features_frame``); the partitioned/Spark path (person tables are small beside the
monthly contribution ledger).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from wengang.documents.masking import mask_id_number_expr, mask_loose_expr
from wengang.screening.holds import HELD_KEYS_SCHEMA, apply_holds, held_keys
from wengang.screening.ingest import IngestError, RawTable
from wengang.screening.pipeline import (
    ScreeningReport,
    StrictRefusal,
    TableSource,
    _input_errors_named,
    _read,
    refuse_empty_tables,
)
from wengang.screening.quarantine import QUARANTINE_SCHEMA, ValidationReport, mask_quarantine, validate_table

PERSON_PROGRAMS = {
    "skill_subsidy": ("persons", "certificates", "subsidies", "held_certificates", "ui_claims"),
    "ui_benefit": ("persons", "ui_claims"),
}
REQUIRED = {"skill_subsidy": ("persons", "certificates"), "ui_benefit": ("persons", "ui_claims")}
OCCUPATION_RE = r"^[1-8]-[0-9]{2}-[0-9]{2}-[0-9]{2}$"  # ASCII digits: Polars' \d matches any Unicode digit


@dataclass
class SkillInputs:
    """What ``derive_skill_features_frame`` reads, mapped from the raw tables (all lazy)."""

    apps: pl.LazyFrame
    history: pl.LazyFrame
    held: pl.LazyFrame
    training: pl.LazyFrame
    already_paid: pl.LazyFrame


@dataclass
class _Validated:
    frames: dict[str, pl.LazyFrame]
    reports: dict[str, ValidationReport]
    quarantine: list[pl.DataFrame]
    raws: dict[str, RawTable]
    held_keys: list[pl.DataFrame] = field(default_factory=list)  # quarantined rows that may stop a payment


def _month_date(col: str) -> pl.Expr:
    """The month's first day, the month read as the ingest layer reads one (``2025-04``, ``2025/4``, ``2025年4月``,
    ``202504`` …: :func:`wengang.ingest.values.parse_month`). A value it refuses (``2024.1``, ``abc``) is null:
    validation has quarantined such rows before they get here."""
    from wengang.ingest.columns import months

    value, _ = months(pl.col(col), col, pl.String())
    return (value + "-01").str.to_date("%Y-%m-%d")


def _months_after(start: pl.Expr, months: pl.Expr) -> pl.Expr:
    return start.dt.offset_by(pl.format("{}mo", months.fill_null(0)))


def _work_type(col: str = "work_type") -> pl.Expr:
    return pl.col(col).fill_null("").str.strip_chars()


def _validate(
    tables: Mapping[str, TableSource | str | Path],
    names: Iterable[str],
    allowed_regions: set[str] | None,
    as_of: date,
    screened: tuple[str, ...],
) -> _Validated:
    """Validate each table; ``allowed_regions`` limits only the tables whose region decides the policy
    (``screened``): a certificate issued elsewhere is a risk flag, not a bad row."""
    frames: dict[str, pl.LazyFrame] = {}
    reports: dict[str, ValidationReport] = {}
    quarantine: list[pl.DataFrame] = []
    raws: dict[str, RawTable] = {}
    held: list[pl.DataFrame] = []
    for name in names:
        if name not in tables or tables[name] is None:
            continue
        raw = _read(name, tables[name])
        allowed = allowed_regions if name in screened else None
        # the persons table's quarantined IDs are kept too: those people are not screened (screening.holds)
        res = validate_table(
            raw, allowed_regions=allowed, as_of=as_of, bad_keys="id_number" if name == "persons" else None
        )
        raws[name] = raw
        frames[name] = res.accepted.lazy()
        reports[name] = res.report
        if res.quarantine.height:
            quarantine.append(res.quarantine)
        if res.held_keys is not None and res.held_keys.height:
            held.append(res.held_keys)
    return _Validated(frames, reports, quarantine, raws, held)


def _quarantine_more(
    v: _Validated, table: str, bad: pl.DataFrame, key: str, field: str, zh: str, en: str
) -> None:
    """Move accepted rows of ``table`` that fail a cross-table check to the quarantine (counts reconcile)."""
    if bad.height == 0:
        return
    raw = v.raws[table]
    hold_key = raw.schema.hold_key
    rows = (
        raw.frame.select("source_row", pl.col(key).cast(pl.String).str.strip_chars().alias(key))
        .join(
            bad.lazy().select(
                key,
                pl.col(field).cast(pl.String).alias("_value"),
                *([pl.col(hold_key).cast(pl.String).alias("_hold")] if hold_key in bad.columns else []),
            ),
            on=key,
            how="inner",
        )
        .collect()
    )
    if hold_key in bad.columns:  # a row that may stop a payment: its person's payments wait (screening.holds)
        v.held_keys.append(held_keys(table, rows, "_hold"))
    v.quarantine.append(
        mask_quarantine(rows.select(
            pl.lit(raw.source_file).alias("source_file"),
            pl.col("source_row").cast(pl.Int64),
            pl.lit(field).alias("field"),
            # a 公民身份号码 only masked (row number + masked value find the row)
            (mask_loose_expr("_value") if raw.schema.column(field).kind == "id_number" else pl.col("_value"))
            .fill_null("")
            .alias("value"),
            pl.lit(f"{field}：{zh}").alias("reason_zh"),
            pl.lit(f"{field}: {en}").alias("reason_en"),
        ))
    )
    keep = bad.select(key)
    v.frames[table] = v.frames[table].join(keep.lazy(), on=key, how="anti")
    r = v.reports[table]
    r.accepted -= bad.height
    r.quarantined += bad.height
    r.by_reason[f"{field}: {en}"] = r.by_reason.get(f"{field}: {en}", 0) + bad.height


# --- 技能提升补贴 ------------------------------------------------------------------------------


def skill_inputs(
    persons: pl.LazyFrame,
    certificates: pl.LazyFrame,
    subsidies: pl.LazyFrame | None = None,
    held_certificates: pl.LazyFrame | None = None,
    ui_claims: pl.LazyFrame | None = None,
    *,
    urgent_occupations: Iterable[str] | None = None,
) -> SkillInputs:
    """Map validated tables (the schemas' columns) onto applications and histories. See the module doc."""
    from wengang.programs.skill_subsidy import HELD_SCHEMA, HISTORY_SCHEMA, TRAINING_SCHEMA

    empty_subs = pl.LazyFrame(
        schema={
            "id_number": pl.String, "kind": pl.String, "occupation_code": pl.String, "level": pl.Int64,
            "paid_date": pl.Date, "work_type": pl.String, "certificate_no": pl.String,
            "application_date": pl.Date, "certificate_issue_date": pl.Date, "urgent": pl.Boolean,
        }
    )  # fmt: skip
    subsidies = subsidies if subsidies is not None else empty_subs
    if "employer_since" not in persons.collect_schema().names():  # optional: a table validated without it (risk)
        persons = persons.with_columns(pl.lit(None, dtype=pl.Date).alias("employer_since"))
    certs = certificates.with_columns(_work_type().alias("work_type"))
    skill = subsidies.filter(pl.col("kind") == "skill").with_columns(
        _work_type().alias("work_type"), pl.int_range(pl.len(), dtype=pl.Int64).alias("_sid")
    )

    # which certificate each past skill subsidy paid for
    cert_keys = certs.select(
        "certificate_no",
        "id_number",
        "occupation_code",
        "work_type",
        "level",
        pl.col("issue_date").alias("_issue"),
    )
    by_number = (
        skill.filter(pl.col("certificate_no").is_not_null())
        .join(cert_keys, on=["certificate_no", "id_number"], how="inner", suffix="_c")
        .select("_sid", "certificate_no", "_issue", "paid_date")
    )
    by_match = (
        skill.filter(pl.col("certificate_no").is_null())
        .drop("certificate_no")
        .join(cert_keys, on=["id_number", "occupation_code", "work_type", "level"], how="inner")
        .filter(pl.col("_issue") <= pl.col("paid_date"))
        .select("_sid", "certificate_no", "_issue", "paid_date")
    )
    matches = pl.concat([by_number, by_match], how="vertical_relaxed")
    already_paid = matches.group_by("certificate_no").agg(pl.col("paid_date").min().alias("paid_date"))
    matched_issue = matches.group_by("_sid").agg(pl.col("_issue").max().alias("_matched_issue"))

    history = (
        skill.join(matched_issue, on="_sid", how="left")
        .select(
            "id_number",
            "occupation_code",
            "work_type",
            pl.col("level").cast(pl.Int64),
            pl.coalesce("application_date", "paid_date").alias("application_date"),
            pl.coalesce("certificate_issue_date", "_matched_issue").alias("certificate_issue_date"),
            "paid_date",
            pl.col("urgent").fill_null(False),
        )
        .cast(HISTORY_SCHEMA)  # type: ignore[arg-type]
    )
    training = (
        subsidies.filter(pl.col("kind") == "training")
        .select(
            "id_number",
            "occupation_code",
            _work_type().alias("work_type"),
            pl.col("level").cast(pl.Int64),
            pl.col("paid_date").alias("received_date"),
        )
        .cast(TRAINING_SCHEMA)
    )  # type: ignore[arg-type]
    held_parts = [certs.select("id_number", "occupation_code", "work_type", "level", "issue_date")]
    if held_certificates is not None:
        held_parts.append(
            held_certificates.select(
                "id_number", "occupation_code", _work_type().alias("work_type"), "level", "issue_date"
            )
        )
    held = pl.concat(held_parts, how="vertical_relaxed").cast(HELD_SCHEMA)  # type: ignore[arg-type]

    apps = certs.join(already_paid.select("certificate_no"), on="certificate_no", how="anti").with_columns(
        pl.coalesce("application_date", "issue_date").alias("_app_date")
    )
    # 正在领取失业保险金: a claim covering the application month (its region is the 领金地)
    if ui_claims is not None:
        on_benefit = (
            apps.select("certificate_no", "id_number", "_app_date")
            .join(
                ui_claims.select(
                    "id_number",
                    pl.col("region_code").alias("_benefit_region"),
                    _month_date("start_month").alias("_from"),
                    "months",
                ),
                on="id_number",
                how="inner",
            )  # fmt: skip
            .filter(
                (pl.col("_from") <= pl.col("_app_date"))
                & (pl.col("_app_date") < _months_after(pl.col("_from"), pl.col("months")))
            )
            .group_by("certificate_no")
            .agg(pl.col("_benefit_region").sort().first())
        )
        apps = apps.join(on_benefit, on="certificate_no", how="left")
        # and one covering the certificate's issue date: 正在领取失业保险金 when the certificate was issued
        # (skill_subsidy.status_date, the reading at the certificate date)
        on_benefit_at_cert = (
            apps.select("certificate_no", "id_number", "issue_date")
            .join(
                ui_claims.select("id_number", _month_date("start_month").alias("_from"), "months"),
                on="id_number",
                how="inner",
            )  # fmt: skip
            .filter(
                (pl.col("_from") <= pl.col("issue_date"))
                & (pl.col("issue_date") < _months_after(pl.col("_from"), pl.col("months")))
            )
            .group_by("certificate_no")
            .agg(pl.lit(True).alias("_benefit_at_cert"))
        )
        apps = apps.join(on_benefit_at_cert, on="certificate_no", how="left")
    else:
        apps = apps.with_columns(
            pl.lit(None, dtype=pl.String).alias("_benefit_region"), pl.lit(None, dtype=pl.Boolean).alias("_benefit_at_cert")
        )
    p = persons.select(
        "id_number",
        pl.col("name").alias("_name"),
        pl.col("region_code").alias("_insured_region"),
        "employer_credit_code",
        "employer_since",
        "insured_months",
        "insured_months_continuous",
        pl.col("person_status").alias("_status"),
    )
    apps = apps.join(p, on="id_number", how="inner")
    same_day = pl.col("_app_date") == pl.col("issue_date")
    urgent = pl.col("urgent_occupation")
    if urgent_occupations is not None:
        urgent = pl.coalesce(urgent, pl.col("occupation_code").is_in(sorted(set(urgent_occupations))))
    status = (
        pl.when(pl.col("_status").is_not_null())
        .then(pl.col("_status"))
        .when(pl.col("_benefit_region").is_not_null())
        .then(pl.lit("benefit_recipient"))
        .when(pl.col("employer_credit_code").is_not_null())
        .then(pl.lit("employed_worker"))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    apps = apps.select(
        pl.col("certificate_no").alias("application_id"),
        "id_number",
        pl.col("_name").fill_null("").alias("name"),
        pl.col("_insured_region").alias("region_code"),
        pl.col("_app_date").alias("application_date"),
        # only a filed application places the case in an earlier policy period (policy.period_date);
        # an issue date standing in for it (免申即享) does not
        pl.col("application_date").is_not_null().alias("application_date_given"),
        status.alias("person_status"),
        # the status at the certificate's issue date: a benefit claim covering it; else the rules derive it where the
        # dates allow (the same day; employed now and insured in every month since) and leave it unknown otherwise
        pl.when(pl.col("_benefit_at_cert").fill_null(False))
        .then(pl.lit("benefit_recipient"))
        .otherwise(pl.lit(None, dtype=pl.String))
        .alias("person_status_at_certificate"),
        # with the same employer since: 企业在职职工 at the certificate date where the person is one now (the rules)
        pl.when(pl.col("employer_credit_code").is_not_null()).then(pl.col("employer_since")).alias("employer_since"),
        pl.col("insured_months").alias("insured_months_cumulative"),
        pl.col("insured_months_continuous"),
        pl.when(same_day).then(pl.col("insured_months")).alias("insured_months_cumulative_at_certificate"),
        pl.when(same_day)
        .then(pl.col("insured_months_continuous"))
        .alias("insured_months_continuous_at_certificate"),
        pl.col("_insured_region").alias("insured_region"),
        pl.col("_benefit_region").alias("benefit_region"),
        "occupation_code",
        "work_type",
        pl.col("level").cast(pl.Int64),
        pl.col("certificate_type").fill_null("skill_level"),
        pl.col("certificate_no").alias("certificate_number"),
        pl.col("issue_date").alias("certificate_issue_date"),
        pl.col("issuing_region").alias("certificate_region"),
        pl.col("issuer").fill_null("").alias("evaluation_body"),
        urgent.alias("urgent_occupation"),
    )
    return SkillInputs(apps, history, held, training, already_paid)


def with_policy_period(
    facts: pl.LazyFrame,
    on: date,
    *,
    include_drafts: bool = False,
    region_column: str = "region_code",
    readings: Mapping[str, str] | None = None,
) -> pl.LazyFrame:
    """``certificate_in_policy_period`` from the period of the document each row is judged under, and
    ``insured_outside_applied_region`` against the row's screening region (as ``skill_subsidy.prepare``
    derives both for one case); a given value is kept.

    Each row is placed in a policy period as :func:`wengang.screening.evaluate.screen_facts` places it and
    as one case is (:func:`wengang.evaluate.period_date`, switch ``policy.period_date``): by its filed
    application date (or, under that switch's ``certificate`` reading, its certificate date) when that date
    fell in a document's 执行期限 that has ended by the review, else by the review date ``on``. Placing every
    row by ``on`` had judged a 2024 application reviewed in 2025 against the 2025 document's period (and left
    the fact unknown where no document is in force on ``on``)."""
    from wengang.evaluate import period_date
    from wengang.programs.skill_subsidy import _related_expr
    from wengang.regions import RegionError
    from wengang.rules.engine import PERIOD_DATE
    from wengang.screening.evaluate import _period_expr, plan_regions

    reading = (readings or {}).get(PERIOD_DATE.name, PERIOD_DATE.default)
    columns = tuple(facts.collect_schema().names())
    candidate = _period_expr("skill_subsidy", readings, columns)
    if candidate is None:
        candidate = pl.lit(None, dtype=pl.Date)
    facts = facts.with_columns(candidate.alias("_period_candidate"))
    pairs = (
        facts.select(pl.col(region_column).cast(pl.String).alias("r"), pl.col("_period_candidate").alias("d"))
        .unique()
        .collect()
    )
    placed: dict[date, dict[str, list[date | None]]] = {}  # placed date -> region -> candidate dates
    for code, d in pairs.iter_rows():
        if code is None:
            continue
        try:
            when, _ = period_date("skill_subsidy", code, d, on, include_drafts=include_drafts, reading=reading)
        except RegionError:
            when = on
        placed.setdefault(when, {}).setdefault(code, []).append(d)
    rows = [
        (code, d, plan.resolution.valid_from, plan.resolution.valid_to)
        for when, by_region in sorted(placed.items())
        for plan in plan_regions("skill_subsidy", sorted(by_region), when, include_drafts=include_drafts)
        if plan.resolution is not None
        for code in plan.regions
        for d in by_region[code]
    ]
    periods = pl.LazyFrame(
        rows,
        schema={"_r": pl.String, "_period_candidate": pl.Date, "_period_from": pl.Date, "_period_to": pl.Date},
        orient="row",
    )
    facts = facts.with_columns(pl.col(region_column).cast(pl.String).alias("_r")).join(
        periods, on=["_r", "_period_candidate"], how="left", nulls_equal=True
    )
    cert = pl.col("certificate_issue_date")
    derived = (
        pl.when(cert.is_null() | pl.col("_period_from").is_null())
        .then(None)
        .otherwise(
            (pl.col("_period_from") <= cert)
            & (pl.col("_period_to").is_null() | (cert <= pl.col("_period_to")))
        )
    )
    return (
        facts.with_columns(
            pl.coalesce("certificate_in_policy_period", derived).alias("certificate_in_policy_period"),
            pl.coalesce(
                "insured_outside_applied_region",
                pl.when(pl.col("insured_region").is_null() | ~pl.col(region_column).str.contains(r"^[0-9]+$"))
                .then(None)
                .otherwise(~_related_expr("insured_region", region_column)),
            ).alias("insured_outside_applied_region"),
        )
        .drop("_period_from", "_period_to", "_period_candidate", "_r")
    )


def _check_certificates(v: _Validated) -> None:
    certs = v.frames["certificates"]
    unknown = certs.join(v.frames["persons"].select("id_number"), on="id_number", how="anti").collect()
    _quarantine_more(
        v, "certificates", unknown, "certificate_no", "id_number",
        "人员信息表中无此人（无参保地，不能判定）", "holder not in the persons table (no insured place)",
    )  # fmt: skip
    bad_occ = (
        v.frames["certificates"].filter(~pl.col("occupation_code").str.contains(OCCUPATION_RE)).collect()
    )
    _quarantine_more(
        v, "certificates", bad_occ, "certificate_no", "occupation_code",
        "职业编码格式不符，应为 D-DD-DD-DD", "occupation code must look like D-DD-DD-DD",
    )  # fmt: skip


# --- 失业保险金 ---------------------------------------------------------------------------------


def claim_periods(ui_claims: pl.LazyFrame) -> pl.LazyFrame:
    """Each claim with ``claim_id`` (``<公民身份号码>/<起始月份>``) and its months as dates ``[_from, _to)``."""
    return ui_claims.with_columns(
        _month_date("start_month").alias("_from"),
        pl.concat_str("id_number", pl.lit("/"), "start_month").alias("claim_id"),
    ).with_columns(_months_after(pl.col("_from"), pl.col("months")).alias("_to"))


def claims_elsewhere(claims: pl.LazyFrame, all_claims: pl.LazyFrame) -> pl.LazyFrame:
    """异地重复领取: the claims of ``claims`` (from :func:`claim_periods`) that another claim of the same person
    in another region overlaps by at least one month, one row per claim with the first such claim's
    region, start month and the overlapping months (``other_region``, ``other_start_month``,
    ``overlap_months``). The fact ``claimed_elsewhere`` of ``ui_benefit`` (check ``cross_region``)."""
    other = all_claims.select(
        "id_number", pl.col("start_month").alias("_other"), pl.col("region_code").alias("_r"),
        _month_date("start_month").alias("_f"),
        _months_after(_month_date("start_month"), pl.col("months")).alias("_t"),
    )  # fmt: skip
    start = pl.max_horizontal("_from", "_f")
    end = pl.min_horizontal("_to", "_t")
    return (
        claims.select("claim_id", "id_number", "start_month", "region_code", "_from", "_to")
        .join(other, on="id_number", how="inner")
        .filter(
            (pl.col("_other") != pl.col("start_month"))
            & (pl.col("_r") != pl.col("region_code"))
            & (pl.col("_f") < pl.col("_to"))
            & (pl.col("_from") < pl.col("_t"))
        )
        .with_columns(
            ((end.dt.year() - start.dt.year()) * 12 + end.dt.month() - start.dt.month())
            .cast(pl.Int64)
            .alias("overlap_months")
        )
        .group_by("claim_id")
        .agg(
            pl.col("_r").sort_by("_r", "_other").first().alias("other_region"),
            pl.col("_other").sort_by("_r", "_other").first().alias("other_start_month"),
            pl.col("overlap_months").sort_by("_r", "_other").first(),
        )
    )


def ui_facts(
    persons: pl.LazyFrame, ui_claims: pl.LazyFrame, all_claims: pl.LazyFrame | None = None
) -> pl.LazyFrame:
    """UnemployedPersonFacts columns, one row per claim of ``ui_claims``. See the module doc.

    ``all_claims`` (default ``ui_claims``): the claims a duplicate elsewhere is looked for in — every
    valid claim, also those of regions outside the run's allowed set.
    """
    all_claims = ui_claims if all_claims is None else all_claims
    claims = claim_periods(ui_claims)
    # the transfer's months are optional columns: a claims table read without them (the risk checks' own reader)
    # has them unknown
    have = claims.collect_schema().names()
    claims = claims.with_columns(pl.lit(None, dtype=pl.Int64).alias(c) for c in ("paid_months_transferred_in",
                                                                               "months_already_drawn") if c not in have)
    elsewhere = claims_elsewhere(claims, all_claims).select("claim_id", pl.lit(True).alias("_elsewhere"))
    p = persons.select(
        "id_number",
        pl.col("name").alias("_name"),
        pl.col("region_code").alias("_insured_region"),
        "insured_months",
        "insured_months_continuous",
    )
    return (
        claims.join(elsewhere, on="claim_id", how="left")
        .join(p, on="id_number", how="left")
        .select(
            "claim_id",
            "id_number",
            pl.col("_name").fill_null("").alias("name"),
            "region_code",
            pl.col("_from").alias("application_date"),
            pl.col("_insured_region").alias("insured_region"),
            pl.coalesce(pl.col("paid_months"), pl.col("insured_months")).alias("paid_months"),
            pl.col("unclaimed_previous_months").fill_null(0),
            # 兵团 二（四）: the recount after a transfer (empty: 0, as the rules read an absent fact)
            "paid_months_transferred_in",
            "months_already_drawn",
            "insured_months",
            "insured_months_continuous",
            "involuntary_separation",
            pl.col("registered_unemployed").fill_null(True),
            pl.col("seeking_work").fill_null(True),
            pl.col("reemployed").fill_null(False),
            pl.col("_elsewhere").fill_null(False).alias("claimed_elsewhere"),
            pl.col("months").alias("claim_months"),
            pl.col("monthly_fen").alias("claim_monthly_fen"),
            "last_employer_credit_code",
        )
    )


# --- the run ----------------------------------------------------------------------------------


def _with_outputs(
    results: pl.LazyFrame,
    plans: list[Any],
    *,
    settings: Mapping[str, Any] | None,
    readings: Mapping[str, str] | None,
    region_column: str = "region_code",
) -> pl.LazyFrame:
    """The rulesets' own outputs (``out_<id>``), compiled under each region group's policy.

    Outputs reading a switch use the reading the decision reports (the fixed one, else the default).
    """
    from wengang.rules.batch import _default_literal
    from wengang.rules.engine import reading_combinations
    from wengang.rules.expr import CompileContext, switches_in

    names = set(results.collect_schema().names())
    by_id: dict[str, list[tuple[list[str], pl.Expr]]] = {}
    for plan in plans:
        if plan.ruleset is None:
            continue
        params = plan.resolution.params
        # a fact the table lacks takes the model's default, as in the decision itself (e.g. death_date)
        absent = {m: _default_literal(plan.ruleset, m) for m in plan.ruleset.facts.model_fields if m not in names}
        for o in plan.ruleset.outputs:
            combo = reading_combinations(switches_in([o.expr], params), dict(readings or {}))[0]
            expr = o.expr.to_polars(CompileContext(params, plan.settings, combo, absent))
            by_id.setdefault(o.id, []).append((plan.rows(region_column), expr))
    cols = []
    for oid, parts in by_id.items():
        e: Any = pl
        for rows, expr in parts:
            e = e.when(rows).then(expr)
        cols.append(e.otherwise(None).alias(f"out_{oid}"))
    return results.with_columns(cols) if cols else results


def _mask_id(col: str = "id_number") -> pl.Expr:
    return mask_id_number_expr(col)  # the rule of every list: first 4 and last 4 (documents.masking)


def _write_people_excel(
    out: Path, program: str, label: str, texts: dict[str, str], progress: bool = False
) -> dict[str, str]:
    from wengang.screening.output import (
        CAP_NOTE_ZH,
        STATUS_ZH,
        _yuan_column,
        flags_zh,
        outcomes_zh,
        readings_zh,
        write_excel_sheets,
    )

    scanned = pl.scan_parquet(out / "results.parquet")
    names = scanned.collect_schema().names()
    # readings and outcomes as the caseworker reads them (the Parquet keeps the machine text)
    machine = scanned.select("readings", "outcomes").collect()
    chinese = machine.select(
        readings_zh(machine, "readings", "outcomes").alias("采用的政策理解"),
        outcomes_zh(machine, "readings", "outcomes").alias("各种理解下的结果"),
    )
    subject = [
        _mask_id().alias("公民身份号码"),
        pl.col("name").alias("姓名"),
        pl.col("region_code").alias("地区代码"),
    ]
    if program == "skill_subsidy":
        detail = [
            pl.col("application_id").alias("证书编号"),
            pl.col("occupation_code").alias("职业编码"),
            pl.col("level").alias("等级"),
            pl.col("application_date").cast(pl.String).alias("申领日期"),
        ]
    else:
        detail = [
            pl.col("application_date").cast(pl.String).alias("起始日期"),
            pl.col("claim_months").alias("已核定月数"),
            (pl.col("out_entitled_months") if "out_entitled_months" in names else pl.lit(None)).alias(
                "应享受月数"
            ),
        ]
    # a ceiling (“不超过”) is never shown as a fixed amount (人社部发〔2024〕40号 三; 内政发〔2019〕4号 八)
    capped = pl.col("amount_is_cap").fill_null(False) if "amount_is_cap" in names else pl.lit(False)
    amount = pl.when(capped).then(pl.lit("不超过") + _yuan_column()).otherwise(_yuan_column())
    readable = scanned.select(
        *subject,
        *detail,
        pl.col("status").cast(pl.String).replace(STATUS_ZH).alias("结论"),
        amount.alias("金额（元）"),
        pl.col("reasons")
        .str.split(";")
        .list.eval(pl.element().replace(texts).filter(pl.element() != ""))
        .list.join("；")
        .alias("原因"),
        flags_zh(texts).alias("需核查"),  # each flag by its Chinese text; the Parquet keeps the codes
        pl.col("policy_number").alias("依据文件"),
    ).collect()
    readable = pl.concat([readable, chinese], how="horizontal")
    files: dict[str, str] = {}
    write_excel_sheets(readable, out / "results.xlsx", "结果", progress=progress)
    files["结果（Excel）"] = str(out / "results.xlsx")
    if program == "skill_subsidy":
        listing = (
            # held rows (a ceiling the 统筹地区 has still to set, a quarantined record) are not published (session 41)
            scanned.filter((pl.col("status") == "eligible") & ~pl.col("payment_hold").fill_null(False))
            .sort("region_code", "id_number", "application_date", "application_id")
            .select(
                pl.col("name").alias("姓名"),
                _mask_id().alias("公民身份号码"),
                pl.col("occupation_code").alias("职业编码"),
                pl.col("level").alias("等级"),
                amount.alias(f"{label}金额（元）"),
                pl.when(capped).then(pl.lit(CAP_NOTE_ZH)).otherwise(pl.lit("")).alias("备注"),
            )
            .collect()
            .with_row_index("序号", offset=1)
        )
        write_excel_sheets(listing, out / "publicity.xlsx", "公示名单", progress=progress)
        files["公示名单（Excel）"] = str(out / "publicity.xlsx")
    return files


@_input_errors_named  # a CSV row Polars cannot read: IngestError naming file and line, as run_screening
def run_people_screening(
    out_dir: str | Path,
    *,
    program: str,
    evaluation_date: date,
    tables: Mapping[str, TableSource | str | Path],
    readings: Mapping[str, str] | None = None,
    settings: Mapping[str, Any] | None = None,
    include_drafts: bool = False,
    region_data: tuple[str, ...] = (),
    allowed_regions: set[str] | None = None,
    strict: bool = False,
    excel: bool = True,
    urgent_occupations: Iterable[str] | None = None,
    progress: bool = False,
    signing_key: str | Path | None = None,
) -> ScreeningReport:
    """Screen every 技能提升补贴 application (certificate) or 失业保险金 claim in the tables.

    Writes ``results.parquet`` (every row, its facts and decision), ``quarantine.parquet`` (bad rows with
    reasons), for skill subsidies ``already_paid.parquet``, and with ``excel`` the XLSX views (ID numbers
    masked). Returns the same report as :func:`wengang.screening.pipeline.run_screening`. With ``progress``,
    steps over a second show on stderr (wengang.progress).
    """
    from wengang.programs.skill_subsidy import derive_skill_features_frame
    from wengang.progress import step
    from wengang.screening.evaluate import program_label, reason_text, screen_facts
    from wengang.screening.output import (
        PEOPLE_CHECK_LISTS,
        lists_not_provided,
        summarise,
        write_excel_sheets,
        write_results,
    )

    if program not in PERSON_PROGRAMS:
        raise IngestError(
            f"人员筛查只支持 {'、'.join(PERSON_PROGRAMS)}：{program}",
            f"people screening supports {', '.join(PERSON_PROGRAMS)}, not {program}",
        )
    unknown = sorted(set(tables) - set(PERSON_PROGRAMS[program]))
    if unknown:
        raise IngestError(
            f"项目 {program} 不使用这些数据表：{'、'.join(unknown)}",
            f"program {program} does not use the tables: {', '.join(unknown)}",
        )
    missing = [t for t in REQUIRED[program] if not tables.get(t)]
    if missing:
        raise IngestError(f"缺少数据表：{'、'.join(missing)}", f"missing tables: {', '.join(missing)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()

    screened = ("persons", "ui_claims") if program == "ui_benefit" else ("persons",)
    with step("人员筛查 第1步/共3步 读取并校验", enabled=progress):
        v = _validate(tables, PERSON_PROGRAMS[program], allowed_regions, evaluation_date, screened)
    refuse_empty_tables(v.reports.values(), required=REQUIRED[program])
    f = v.frames
    if program == "skill_subsidy":
        _check_certificates(v)
    reports = list(v.reports.values())
    if strict and any(r.quarantined for r in reports):
        raise StrictRefusal(reports)
    quarantine = (
        pl.concat(v.quarantine, how="vertical_relaxed").cast(QUARANTINE_SCHEMA)  # type: ignore[arg-type]
        if v.quarantine
        else pl.DataFrame(schema=QUARANTINE_SCHEMA)
    )
    quarantine.write_parquet(out / "quarantine.parquet")
    seconds["读取与校验"] = time.perf_counter() - t0
    keys = pl.concat(v.held_keys) if v.held_keys else pl.DataFrame(schema=HELD_KEYS_SCHEMA)
    unscreened = pl.col("table") == "persons"

    t1 = time.perf_counter()
    extra_files: dict[str, str] = {}
    if program == "skill_subsidy":
        inputs = skill_inputs(
            f["persons"], f["certificates"], f.get("subsidies"), f.get("held_certificates"), f.get("ui_claims"),
            urgent_occupations=urgent_occupations,
        )  # fmt: skip
        window = (settings or {}).get("evaluation_body_batch_window_days")
        facts = derive_skill_features_frame(
            inputs.apps, inputs.history, inputs.held, inputs.training,
            evaluation_body_window_days=None if window is None else int(window),
        )  # fmt: skip
        facts = with_policy_period(
            facts, evaluation_date, include_drafts=include_drafts, readings=readings
        ).with_columns(
            # the review date places a row no application was filed for (policy.period_date); the ledger years
            # such a claim by it, as the screening placed it (casework.intake)
            pl.lit(evaluation_date).alias("evaluation_date")
        )
        inputs.already_paid.sink_parquet(out / "already_paid.parquet")
        extra_files["已享受补贴的证书（Parquet）"] = str(out / "already_paid.parquet")
        order = ["region_code", "id_number", "application_date", "application_id"]
    else:
        every_claim = f["ui_claims"]
        if allowed_regions is not None:  # duplicates elsewhere are looked for among every valid claim
            every_claim = validate_table(
                _read("ui_claims", tables["ui_claims"]), as_of=evaluation_date
            ).accepted.lazy()
        facts = ui_facts(f["persons"], f["ui_claims"], every_claim)
        order = ["region_code", "id_number", "application_date"]
    # materialise the derived facts once: the rules then run region group by region group over a file
    facts_path = out / "facts.parquet"
    with step("人员筛查 第2步/共3步 生成特征", enabled=progress):  # the lazy derivation runs here
        facts.sort(order).sink_parquet(facts_path)
    seconds["特征"] = time.perf_counter() - t1

    t2 = time.perf_counter()
    with step("人员筛查 第3步/共3步 判定与写出", enabled=progress):
        results, plans = screen_facts(
            pl.scan_parquet(facts_path), program, evaluation_date,
            readings=readings, settings=settings, include_drafts=include_drafts, region_data=region_data,
        )  # fmt: skip
        results = _with_outputs(results, plans, settings=settings, readings=readings)
        from wengang.rules.batch import with_amount_cap  # (one rule for units, persons and Spark)

        results = with_amount_cap(results, plans, settings=settings, readings=readings)
        if program == "ui_benefit" and "out_entitled_months" in results.collect_schema().names():
            over = pl.col("claim_months") - pl.col("out_entitled_months")
            results = results.with_columns(pl.when(over > 0).then(over).alias("months_over_entitlement"))
        texts = reason_text(plans)
        label = program_label(program)
        files = write_results(results, out, program_label=label, reason_text=texts, excel=False)
        # fail closed: a quarantined row that could stop a payment holds the payments of the person it may concern
        holds = apply_holds(
            out / "results.parquet", keys.filter(~unscreened), key_column="id_number", kind="id_number",
            unscreened=keys.filter(unscreened).get_column("code"),
        )  # fmt: skip
        if excel:
            files.update(_write_people_excel(out, program, label, texts, progress))
    seconds["判定与写出"] = time.perf_counter() - t2
    summary = summarise(pl.scan_parquet(out / "results.parquet"), texts)
    summary.hold_notes = holds.notes
    from wengang.screening.output import document_reading_lines

    summary.readings_by_document = document_reading_lines(plans, readings)
    summary.lists_not_provided = lists_not_provided(
        [t for t, src in tables.items() if src], PEOPLE_CHECK_LISTS.get(program, ())
    )
    from wengang.screening.manifest import sha256_of, write_run_manifest

    files.update(extra_files)
    files["隔离记录（Parquet）"] = str(out / "quarantine.parquet")
    files["运行记录（JSON）"] = str(write_run_manifest(
        out, program=program, evaluation_date=evaluation_date, policy_year=evaluation_date.year, readings=readings,
        settings=settings, include_drafts=include_drafts, region_data=region_data,
        results_sha256=sha256_of(out / "results.parquet"), facts_sha256=sha256_of(out / "facts.parquet"),
        signing_key=signing_key,
    ))  # fmt: skip
    if excel and 0 < quarantine.height <= 1_000_000:
        write_excel_sheets(quarantine, out / "quarantine.xlsx", "隔离记录", progress=progress)
        files["隔离记录（Excel）"] = str(out / "quarantine.xlsx")
    summary.files = files
    seconds["合计"] = time.perf_counter() - t0
    policies = sorted({p.resolution.document.display_number for p in plans if p.resolution is not None})
    return ScreeningReport(
        program, evaluation_date, evaluation_date.year, out, reports, summary, seconds, policies
    )

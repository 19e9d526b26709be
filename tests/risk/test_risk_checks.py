"""The risk checks find exactly what was planted (and nothing in the clean population); their citations are the
texts' own words; one case and the batch agree; the cluster check's properties (hypothesis)."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wengang.facts.identifiers import is_valid_id_number
from wengang.programs import skill_subsidy, ui_benefit
from wengang.programs.skill_subsidy import with_evaluation_body_count
from wengang.risk import batch, demo
from wengang.risk.case import check_case
from wengang.risk.registry import CHECKS, LETTERS, SEVERITIES

TEXTS = Path("/work/shared/policy-texts")
if not TEXTS.is_dir():  # the lead's copy of the texts, else the repository's
    TEXTS = Path(__file__).resolve().parents[2] / "shared" / "policy-texts"


@pytest.fixture(scope="module")
def tables() -> dict[str, pl.DataFrame]:
    return demo.generate(3000, planted=3)


@pytest.fixture(scope="module")
def run(tables):
    return batch.screen(tables, on=demo.EVALUATION_DATE, settings=demo.DEMO_SETTINGS)


def test_each_planted_anomaly_is_found_and_nothing_else(run):
    assert run.skipped == {} and run.not_applicable == {}
    assert run.counts == demo.expected_counts(3)
    assert run.flags.height == sum(demo.expected_counts(3).values())
    assert run.flags["flag_key"].n_unique() == run.flags.height
    records = {c: sorted(run.flags.filter(pl.col("check_id") == c)["record"].to_list()) for c in CHECKS}
    assert records["certificate_outside_place"] == ["PA0", "PA1", "PA2"]
    assert records["evaluation_body_cluster"] == [
        f"PB-集中发证机构-{j}" for j in range(5)
    ]  # 以上: 5 of 5 flagged
    assert [r[8:17] + r[18:] for r in records["dispatch_allocation_mismatch"]] == [f"PX{j:07d}/2024" for j in range(4)]


def test_clean_population_raises_nothing(tables):
    clean = {
        "persons": tables["persons"], "certificates": tables["certificates"].filter(pl.col("certificate_no").str.starts_with("C")),
        "subsidies": tables["subsidies"].filter(~pl.col("occupation_code").eq(demo.PLANTED_OCCUPATION)),
    }  # fmt: skip
    res = batch.screen(clean, on=demo.EVALUATION_DATE, settings=demo.DEMO_SETTINGS)
    assert res.flags.height == 0 and set(res.counts) == {
        "certificate_outside_place", "evaluation_body_cluster", "skill_training_same_certificate"}  # fmt: skip


def test_evidence_and_amounts(run):
    f = {r["record"]: r for r in run.flags.to_dicts()}
    dup = [r for r in f.values() if r["check_id"] == "skill_training_same_certificate"]
    # the later one (training, paid 2024-07-01 after the skill subsidy of 2024-05-01) is to be repaid
    assert {(r["program"], r["amount_fen"], json.loads(r["evidence"])["later"]) for r in dup} == {
        ("training_subsidy", 90_000, "training")
    }
    deaths = [r for r in f.values() if r["check_id"] == "ui_status_anomaly" and '"deceased"' in r["evidence"]]
    # claim 2024-01 for 8 months, death 2024-04-10: May–August paid after death
    assert [json.loads(r["evidence"])["months_after_death"] for r in deaths] == [4, 4, 4]
    assert {r["amount_fen"] for r in deaths} == {4 * 180_000}
    bad_ids = [
        r for r in f.values() if r["check_id"] == "ui_status_anomaly" and "校验码错误" in r["evidence"]
    ]
    assert len(bad_ids) == 3 and not any(
        is_valid_id_number(r["subject_id"]) for r in bad_ids
    )  # stdnum agrees
    cross = sorted(
        (r["region_code"], r["citation"]) for r in f.values() if r["check_id"] == "ui_cross_region"
    )
    # each claim cites the document in force where it was paid
    assert {c for _, c in cross} == {"内人社发〔2025〕18号 五", "晋人社厅发〔2024〕28号 六"}
    flex = [r for r in f.values() if r["check_id"] == "ui_with_flexible_subsidy"]
    assert {(json.loads(r["evidence"])["overlap_months"], r["amount_fen"]) for r in flex} == {(3, 540_000)}
    short = [json.loads(r["evidence"]) for r in f.values() if r["check_id"] == "ui_short_term_insured"]
    assert {(e["paid_months"], e["threshold"]) for e in short} == {
        (11, 12)
    }  # 12 (on the line) is not flagged


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_every_citation_is_quoted_verbatim_and_labelled():
    corpus = _flat("".join(p.read_text(encoding="utf-8") for p in TEXTS.glob("*.txt")))
    assert set(LETTERS.values()) == set(CHECKS)
    for c in CHECKS.values():
        assert c.severity in SEVERITIES and c.label and c.evidence
        for cit in c.citations:
            assert _flat(cit.quote) in corpus, (c.id, cit.quote)
    # the programs' own rules decide: one definition per check
    assert CHECKS["ui_cross_region"].rule is next(
        x for x in ui_benefit.PERSON_RISKS if x.id == "cross_region"
    )
    assert CHECKS["certificate_outside_place"].rule is skill_subsidy.RISK_CHECKS[0]
    assert CHECKS["evaluation_body_cluster"].rule is skill_subsidy.RISK_CHECKS[1]


def test_checks_apply_only_where_the_document_lists_them(tables):
    # 晋人社厅发〔2024〕28号 六 lists the comparison checks but not 短期参保 nor the flexible subsidy bar
    sx = tables["ui_claims"].with_columns(pl.lit("140302").alias("region_code"))
    res = batch.screen({"persons": tables["persons"], "ui_claims": sx, "flexible_subsidies": tables["flexible_subsidies"]},
                       on=demo.EVALUATION_DATE, settings=demo.DEMO_SETTINGS)  # fmt: skip
    assert res.counts["ui_short_term_insured"] == 0 and res.not_applicable["ui_short_term_insured"] == [
        "140302"
    ]
    assert res.counts["ui_with_flexible_subsidy"] == 0
    # in 2024 Inner Mongolia's skill subsidy was 人社部发〔2024〕40号 三, which lists neither skill-subsidy check
    early = batch.screen(tables, on=date(2024, 7, 1), settings=demo.DEMO_SETTINGS)
    assert early.counts["certificate_outside_place"] == early.counts["evaluation_body_cluster"] == 0
    assert early.not_applicable["certificate_outside_place"] == list(
        demo.COUNTIES[3:6]
    )  # the holders of PA0–PA2


def test_missing_settings_and_tables_are_said_not_guessed(tables):
    res = batch.screen(
        {"persons": tables["persons"], "certificates": tables["certificates"]}, on=demo.EVALUATION_DATE
    )
    assert "evaluation_body_batch_threshold" in res.skipped["evaluation_body_cluster"]
    assert "ui_claims" in res.skipped["ui_cross_region"]
    with pytest.raises(batch.RiskInputError) as e:
        batch.screen({"persons": tables["persons"].drop("region_code")}, on=demo.EVALUATION_DATE)
    assert "region_code" in e.value.zh


def test_one_case_runs_the_same_definitions(run, tables):
    pid = demo._person_id(400)  # a planted death
    case = {
        "date": demo.EVALUATION_DATE.isoformat(), "settings": demo.DEMO_SETTINGS,
        "persons": tables["persons"].filter(pl.col("id_number") == pid).with_columns(pl.col("insured_months")).to_dicts(),
        "ui_claims": [{k: (v if not isinstance(v, date) else v.isoformat()) for k, v in r.items()}
                      for r in tables["ui_claims"].filter(pl.col("id_number") == pid).to_dicts()],
        "registry": [{**r, "date": r["date"].isoformat()} for r in tables["registry"].filter(pl.col("id_number") == pid).to_dicts()],
    }  # fmt: skip
    one = check_case(case)
    assert one.flags.to_dicts() == run.flags.filter(pl.col("subject_id") == pid).to_dicts()
    example = json.loads(
        (Path(__file__).resolve().parents[2] / "examples" / "risk-case.json").read_text("utf-8")
    )
    assert sorted(check_case(example).counts.items()) == sorted({
        "certificate_outside_place": 1, "ui_cross_region": 2, "ui_status_anomaly": 2, "ui_short_term_insured": 0,
        "ui_with_flexible_subsidy": 1}.items())  # fmt: skip


# ---------------------------------------------------------------------------------- the cluster (hypothesis)

WINDOW, THRESHOLD = 30, 4
_day = st.integers(0, 200).map(lambda d: date(2024, 1, 1) + timedelta(days=d))
_cert = st.tuples(st.sampled_from(["甲", "乙", "丙"]), _day)


def _flagged(certs: list[tuple[str, date]]) -> set[int]:
    frame = pl.LazyFrame(
        {"i": list(range(len(certs))), "evaluation_body": [b for b, _ in certs],
         "certificate_issue_date": [d for _, d in certs]},
        schema={"i": pl.Int64, "evaluation_body": pl.String, "certificate_issue_date": pl.Date},
    )  # fmt: skip
    out = with_evaluation_body_count(frame, window_days=WINDOW).collect()
    return set(out.filter(pl.col("evaluation_body_batch_count") >= THRESHOLD)["i"].to_list())


def _brute(certs: list[tuple[str, date]]) -> set[int]:
    flagged = set()
    for i, (b, d) in enumerate(certs):
        for start in range(-WINDOW + 1, 1):  # every window of WINDOW days containing d
            lo = d + timedelta(days=start)
            hi = lo + timedelta(days=WINDOW - 1)
            if sum(1 for bb, dd in certs if bb == b and lo <= dd <= hi) >= THRESHOLD:
                flagged.add(i)
                break
    return flagged


@settings(max_examples=60)
@given(st.lists(_cert, max_size=25))
def test_cluster_is_the_busiest_window_containing_the_certificate(certs):
    assert _flagged(certs) == _brute(certs)


@settings(max_examples=60)
@given(st.lists(_cert, max_size=20), st.lists(_cert, max_size=10))
def test_adding_certificates_never_removes_a_flag(certs, more):
    assert _flagged(certs) <= _flagged(certs + more)


@given(_day, st.integers(0, WINDOW + 5))
def test_threshold_and_window_boundaries(first, span):
    # THRESHOLD certificates of one body, the first and last ``span`` days apart: flagged (以上, 含本数) only when
    # all fit in one window of WINDOW consecutive days (span ≤ WINDOW − 1); THRESHOLD − 1 never
    days = [first + timedelta(days=(span * j) // (THRESHOLD - 1)) for j in range(THRESHOLD)]
    assert _flagged([("甲", d) for d in days]) == (set(range(THRESHOLD)) if span <= WINDOW - 1 else set())
    assert _flagged([("甲", d) for d in days[:-1]]) == set()

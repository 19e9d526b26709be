"""Payment holds applied chunk by chunk (screening.holds.ChunkHolds, issue 13): a run of several partitions
holds each chunk's results while they are in memory instead of rewriting results.parquet afterwards. Every
file and the hold report must be those of the rewrite (``apply_holds``), whatever the quarantined rows are:
valid codes (held in the chunks), branches of a quarantined legal entity, a mistyped code (one edit away,
maybe in another partition), a missing code (everyone), a valid code written with a tab inside (not in its
unit's partition). The last three make the run fall back to the rewrite, after taking off what the chunks
added.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

import wengang.screening.pipeline as pipeline
from wengang.facts.identifiers import USCC_ALPHABET
from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.holds import ChunkHolds, HoldReport

TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")
ON = date(2025, 8, 1)
ALLOWED = allowed_regions_for("150500", 2025) | {"150500"}


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    root = tmp_path_factory.mktemp("chunkholds")
    paths = generate_region(root / "data", region_code="150500", n_units=400, year=2025, seed=5)
    tables = {k: paths[k] for k in TABLES}
    units = pl.read_parquet(tables["units"] / "*.parquet")
    branches = units.filter(pl.col("legal_entity_credit_code").is_not_null())
    assert branches.height >= 2
    return tables, units, branches


def _csv(src: Path, dst: Path, rows: list[dict[str, str | None]]) -> Path:
    frame = pl.read_parquet(src / "*.parquet").select(pl.all().cast(pl.String))
    pl.concat([frame, pl.DataFrame(rows, schema=dict.fromkeys(frame.columns, pl.String))]).write_csv(dst)
    return dst


def _mistype(code: str) -> str:
    return code[:17] + next(c for c in USCC_ALPHABET if c != code[17])


def _exclusion(code: str, date_from: str = "2024-13-45") -> dict[str, str | None]:
    return {"credit_code": code, "list_type": "deregistered", "date_from": date_from, "date_to": None}


def _screen(
    out: Path, tables: dict[str, Path], monkeypatch, *, chunks: bool
) -> tuple[object, HoldReport, bool]:
    """Screen in 3 partitions, with the holds in the chunks or (``chunks=False``) as before: the whole file
    rewritten. Returns the run's report, the hold report and whether the file was rewritten."""
    seen: dict[str, object] = {"rewritten": False}
    apply_holds, finish = pipeline.apply_holds, ChunkHolds.finish

    def rewrite(*a, **kw):
        seen["rewritten"] = True
        seen["holds"] = apply_holds(*a, **kw)
        return seen["holds"]

    def finished(self, *a, **kw):
        seen["holds"] = finish(self, *a, **kw)
        return seen["holds"]

    with monkeypatch.context() as m:
        m.setattr("wengang.screening.holds.apply_holds", rewrite)
        m.setattr(pipeline, "apply_holds", rewrite)
        m.setattr(ChunkHolds, "finish", finished)
        if not chunks:
            m.setattr(pipeline, "ChunkHolds", lambda **kw: None)
        report = pipeline.run_screening(
            out, program="fanhuan", evaluation_date=ON, policy_year=2025, tables=tables, allowed_regions=ALLOWED,
            excel=False, partitions=3,
        )  # fmt: skip
    holds = seen.get("holds", HoldReport())
    assert isinstance(holds, HoldReport)
    return report, holds, bool(seen["rewritten"])


def _same_as_rewrite(
    tmp_path: Path, tables: dict[str, Path], monkeypatch
) -> tuple[pl.DataFrame, HoldReport, bool]:
    report, holds, rewritten = _screen(tmp_path / "chunks", tables, monkeypatch, chunks=True)
    base_report, base_holds, base_rewritten = _screen(tmp_path / "rewrite", tables, monkeypatch, chunks=False)
    assert base_rewritten or base_holds == HoldReport()
    results = pl.read_parquet(tmp_path / "chunks" / "results.parquet")
    for name in ("results", "features", "quarantine"):
        key = "credit_code" if name != "quarantine" else ["source_file", "source_row", "field"]
        assert_frame_equal(
            pl.read_parquet(tmp_path / "chunks" / f"{name}.parquet").sort(key, maintain_order=True),
            pl.read_parquet(tmp_path / "rewrite" / f"{name}.parquet").sort(key, maintain_order=True),
        )
    assert holds == base_holds
    s, b = report.summary, base_report.summary  # type: ignore[attr-defined]
    assert (s.held, s.held_amount_fen, s.hold_notes) == (b.held, b.held_amount_fen, b.hold_notes)
    return results, holds, rewritten


def _payable(results: pl.DataFrame) -> pl.DataFrame:
    return results.filter(pl.col("status").cast(pl.String).is_in(["eligible", "needs_decision"]))


def test_valid_codes_and_branches_are_held_in_the_chunks(region, tmp_path, monkeypatch):
    tables, units, branches = region
    # a legal entity listed twice (its registry rows quarantined: its branches held), a branch and another unit
    # with an unreadable exclusion row each (the branch then has two reasons)
    entity = branches.get_column("legal_entity_credit_code")[0]
    branch = branches.get_column("credit_code")[0]
    twice = units.filter(pl.col("credit_code") == entity).select(pl.all().cast(pl.String)).to_dicts()
    assert twice
    other = units.filter(pl.col("legal_entity_credit_code").is_null()).get_column("credit_code")[7]
    changed = {
        "units": _csv(tables["units"], tmp_path / "units.csv", twice),
        "exclusions": _csv(
            tables["exclusions"], tmp_path / "ex.csv", [_exclusion(branch), _exclusion(other)]
        ),
    }
    results, holds, rewritten = _same_as_rewrite(tmp_path, {**tables, **changed}, monkeypatch)
    assert not rewritten and holds.held > 0 and not holds.hold_all
    assert any("分支机构" in n for n in holds.notes) and any(n.startswith("排除名单") for n in holds.notes)
    reason = results.filter(pl.col("credit_code") == branch).get_column("payment_hold_reason").item()
    if reason is not None:  # payable
        assert "排除名单" in reason and "所属独立法人" in reason


def test_the_data_as_generated_is_held_in_the_chunks(region, tmp_path, monkeypatch):
    tables, _, _ = region
    _, holds, rewritten = _same_as_rewrite(tmp_path, tables, monkeypatch)
    assert holds.notes and not rewritten  # the planted bad monthly rows (valid codes)


def test_mistyped_codes_fall_back_to_the_rewrite(region, tmp_path, monkeypatch):
    """Units held both by their own row (in the chunk) and by a mistyped row in some partition: the reasons
    come out in the order of the rows, as the rewrite gives them."""
    tables, units, _ = region
    codes = (
        units.filter(pl.col("legal_entity_credit_code").is_null()).get_column("credit_code").to_list()[20:32]
    )
    rows = [_exclusion(c) for c in codes]
    headcount = [
        {
            "credit_code": _mistype(c),
            "year": "2024",
            "insured_headcount": "10",
            "layoffs": "0",
            "normal_attrition": None,
        }
        for c in codes
    ]
    changed = {
        "exclusions": _csv(tables["exclusions"], tmp_path / "ex.csv", rows),
        "headcount": _csv(tables["headcount"], tmp_path / "hc.csv", headcount),
    }
    results, holds, rewritten = _same_as_rewrite(tmp_path, {**tables, **changed}, monkeypatch)
    assert rewritten and not holds.hold_all
    held = _payable(results).filter(pl.col("credit_code").is_in(codes)).get_column("payment_hold_reason")
    assert held.len() and held.str.contains("仅差一位").all() and held.str.contains("排除名单").all()


def test_a_missing_code_falls_back_to_the_rewrite(region, tmp_path, monkeypatch):
    tables, units, _ = region
    code = units.get_column("credit_code")[3]
    deferral = {"credit_code": None, "period_from": "2024-01", "period_to": "2024-06", "deferred_fen": "100000",
                "paid_up_date": None}  # fmt: skip
    changed = {
        "deferrals": _csv(tables["deferrals"], tmp_path / "d.csv", [deferral]),
        "exclusions": _csv(tables["exclusions"], tmp_path / "ex.csv", [_exclusion(code)]),
    }
    results, holds, rewritten = _same_as_rewrite(tmp_path, {**tables, **changed}, monkeypatch)
    assert rewritten and holds.hold_all
    payable = _payable(results)
    assert payable.get_column("payment_hold").all()
    # the chunk's own reason was taken off again: everyone has the one reason of the missing code only
    assert not payable.get_column("payment_hold_reason").str.contains("排除名单第").any()


def test_a_valid_code_outside_its_partition_falls_back_to_the_rewrite(region, tmp_path, monkeypatch):
    """A tab inside a code: validation (spaces and hyphens only) quarantines it and partitions it by the text
    as written, while the holds read the code through it."""
    tables, units, _ = region
    code = units.filter(pl.col("legal_entity_credit_code").is_null()).get_column("credit_code")[11]
    changed = {
        "exclusions": _csv(
            tables["exclusions"], tmp_path / "ex.csv", [_exclusion(code[:6] + "\t" + code[6:])]
        )
    }
    results, holds, rewritten = _same_as_rewrite(tmp_path, {**tables, **changed}, monkeypatch)
    assert rewritten and not holds.hold_all
    assert any(n.startswith("排除名单") for n in holds.notes)


def test_chunk_holds_on_results_that_had_a_hold_reason(tmp_path):
    """A result held by its own rules (缓缴未补足) keeps that reason first; taking off what a chunk added before
    the rewrite gives it back exactly (with and without a reason of its own)."""
    from wengang.facts.identifiers import make_credit_code
    from wengang.screening.holds import apply_holds

    codes = [make_credit_code("91", "150502", f"MA0YYY{i:03d}") for i in range(8)]
    own = [None, "缓缴未补足", None, "缓缴未补足", None, "", None, "缓缴未补足"]
    results = pl.DataFrame({
        "credit_code": codes,
        "status": ["eligible", "eligible", "needs_decision", "eligible", "ineligible", "eligible", "eligible",
                   "needs_decision"],
        "amount_fen": [100, 200, 300, 400, 0, 600, 700, None],
        "payment_hold": [r is not None for r in own],
        "payment_hold_reason": own,
    })  # fmt: skip
    blocked = pl.DataFrame(
        [("exclusions", 3, codes[0]), ("headcount", 9, _mistype(codes[1])), ("exclusions", 5, codes[1]),
         ("deferrals", 2, codes[5].lower()), ("exclusions", 7, codes[3]), ("exclusions", 8, codes[7]),
         ("headcount", 4, codes[7]), ("exclusions", 9, codes[4])],
        schema={"table": pl.String, "source_row": pl.Int64, "code": pl.String}, orient="row",
    )  # fmt: skip
    for rows in (blocked.filter(pl.col("table") != "headcount"), blocked):
        (tmp_path / "base").mkdir(exist_ok=True)
        results.write_parquet(tmp_path / "base" / "results.parquet")
        want = apply_holds(
            tmp_path / "base" / "results.parquet", rows, key_column="credit_code", kind="credit_code"
        )
        holds = ChunkHolds()
        holds.add(rows.head(4))  # the first partition's rows, then its chunk; the second's
        first = holds.apply(results.head(4))
        holds.add(rows.slice(4))
        pl.concat([first, holds.apply(results.slice(4))]).write_parquet(tmp_path / "results.parquet")
        got = holds.finish(tmp_path / "results.parquet", rows)
        assert got == want and want.held > 0
        assert_frame_equal(
            pl.read_parquet(tmp_path / "results.parquet"),
            pl.read_parquet(tmp_path / "base" / "results.parquet"),
        )


def test_one_partition_holds_the_branches_as_several_do(region, tmp_path, monkeypatch):
    """One partition holds the results in memory and finds the branches of a quarantined legal entity among the
    features it decided (not read back from features.parquet): the same holds as three partitions."""
    tables, units, branches = region
    entity = branches.get_column("legal_entity_credit_code")[0]
    twice = units.filter(pl.col("credit_code") == entity).select(pl.all().cast(pl.String)).to_dicts()
    changed = {**tables, "units": _csv(tables["units"], tmp_path / "units.csv", twice)}
    three, holds, _ = _screen(tmp_path / "three", changed, monkeypatch, chunks=True)
    one = pipeline.run_screening(
        tmp_path / "one", program="fanhuan", evaluation_date=ON, policy_year=2025, tables=changed,
        allowed_regions=ALLOWED, excel=False, partitions=1,
    )  # fmt: skip
    assert any("分支机构" in n for n in holds.notes)
    assert_frame_equal(
        pl.read_parquet(tmp_path / "one" / "results.parquet").sort("credit_code"),
        pl.read_parquet(tmp_path / "three" / "results.parquet").sort("credit_code"),
    )
    s, t = one.summary, three.summary  # type: ignore[attr-defined]
    assert (s.held, s.held_amount_fen, s.hold_notes) == (t.held, t.held_amount_fen, t.hold_notes)

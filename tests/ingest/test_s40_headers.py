"""Headers one table or facts model shares between fields, and one source of headers for screen and evaluate
(outside input audit, session 40).

* Every ``wengang screen --facts`` table of a person program was refused (exit 2, English only: "header
  '参保地行政区划代码' names both 'insured_region' and 'region_code'"), because the facts table adds ``region_code``
  whose header was the model's ``insured_region``'s. A field's own header now wins over another field's agency
  header, a tie is a conflict said in Chinese first, and every table and program's facts table is checked here.
* ``wengang evaluate --row`` ignored ``有税务社保缴费账户``, which ``wengang demo-data`` writes and ``wengang screen``
  reads: a facts field now answers to the headers the case's own screening tables give it.
* ``wengang risk screen`` refused a folder of ``.pq`` parts by a check of its own: the ingest folder rule decides.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from wengang.ingest import IngestError
from wengang.ingest import headers as H
from wengang.ingest.record import APPLICATION_DATE, _scope, normalise_record


def _programs() -> list[str]:
    from wengang.programs import load_all
    from wengang.rules.engine import RULESETS

    load_all()
    return sorted({program for program, _ in RULESETS})


def _models() -> list[type]:
    from wengang.programs import load_all
    from wengang.rules.engine import RULESETS

    load_all()
    return list({rs.facts.__name__: rs.facts for rs in RULESETS.values()}.values())


def _owned(scope: H.Scope) -> None:
    """The scope's lookup builds (no conflict) and every field's standard header and name name that field."""
    lookup = H._build_lookup(scope)
    for spec in scope.fields:
        assert lookup[H.normalise_header(spec.name)][0] == spec.name, (scope.name, spec.name)
        if spec.headers:
            head = H.normalise_header(spec.headers[0])
            m = H._UNIT_SUFFIX.fullmatch(head)
            assert lookup.get(head, lookup.get(m.group(1) if m else head, ("",)))[0] == spec.name, (
                scope.name, spec.name, spec.headers[0]
            )


@pytest.mark.parametrize("program", _programs())
def test_every_program_facts_table_has_no_header_conflict(program):
    """The facts table ``wengang screen --facts`` reads for EVERY program: no two fields claim one header with the
    same standing, and each field's standard header is its own (the next conflict fails here, not at an agency)."""
    from wengang.screening.pipeline import facts_table_schema

    _owned(facts_table_schema(program).scope())


def test_every_table_and_evaluate_scope_has_no_header_conflict():
    for scope in H.all_scopes():
        _owned(scope)
    for model in _models():
        _owned(_scope(model, (APPLICATION_DATE,)))


def test_own_header_wins_over_another_fields_agency_header():
    region = H.FieldSpec("region_code", H.field_headers("region_code", ["判定地区行政区划代码"], person=True))
    insured = H.FieldSpec("insured_region", ("参保地行政区划代码",))
    for fields in ((region, insured), (insured, region)):
        lookup = H._build_lookup(H.Scope("facts", fields))
        assert lookup[H.normalise_header("参保地行政区划代码")][0] == "insured_region"
        assert lookup[H.normalise_header("判定地区行政区划代码")][0] == "region_code"
        assert lookup["region_code"][0] == "region_code"


def test_a_tie_is_a_conflict_said_in_chinese_first():
    scope = H.Scope("facts_tie", (H.FieldSpec("a", ("参保地行政区划代码",)), H.FieldSpec("b", ("参保地行政区划代码",))))
    with pytest.raises(IngestError) as exc:
        H._build_lookup(scope)
    assert isinstance(exc.value, ValueError)  # callers catching the old ValueError still do
    text = str(exc.value)
    assert text.startswith("表头“参保地行政区划代码”") and "/ header" in text


@pytest.mark.parametrize("program", ["temp_living_allowance", "unemployment_subsidy", "one_off_living_allowance"])
def test_person_facts_table_with_region_code_reads(tmp_path, program):
    from wengang.screening.pipeline import read_facts_table

    p = tmp_path / "g3.csv"
    p.write_text(
        "id_number,name,rural_hukou,rural_contract_worker,insurance_stopped_on,insured_months,"
        "insured_months_continuous,region_code\n152301199001010015,赵六,true,true,2021-03-01,10,10,150500\n",
        encoding="utf-8",
    )
    _, quarantine, report = read_facts_table(p, program)
    assert report.rows_in == 1 and quarantine.height == 0


# ------------------------------------------------------------------------ one source of headers


def _case_tables(person: bool):
    from wengang.screening.schemas import ALL_TABLES

    return [ALL_TABLES[t] for t in H.CASE_TABLES[person]]


@pytest.mark.parametrize("model", _models(), ids=lambda m: m.__name__)
def test_screening_headers_resolve_in_evaluate_row(model):
    """For every field: each Chinese header a screening table of the case's own record accepts for it (standard,
    ``also`` and agency headers, as ``wengang screen`` reads it), and each header of the program's facts table,
    resolves to the same field in the header lookup of ``wengang evaluate`` (JSON or ``--row``)."""
    from wengang.screening.schemas import facts_schema

    fields = model.model_fields
    lookup = H._lookup(_scope(model, (APPLICATION_DATE,)), copy=False)
    person = "id_number" in fields
    claimed = [(t.name, spec) for t in _case_tables(person) for spec in t.scope().fields]
    claimed += [("facts", spec) for spec in facts_schema(model).scope().fields]
    missing = []
    for table, spec in claimed:
        if spec.name not in fields:
            continue
        for h in spec.headers:
            key = H.normalise_header(h)
            m = H._UNIT_SUFFIX.fullmatch(key)
            hit = lookup.get(key) or (lookup.get(m.group(1)) if m else None)
            if hit is None or hit[0] != spec.name:
                missing.append((table, spec.name, h, hit and hit[0]))
    assert not missing, missing


def test_registry_tax_account_header_read_by_evaluate_row(tmp_path):
    from wengang.facts.unit import UnitFacts
    from wengang.ingest.record import read_record

    p = tmp_path / "registry.csv"
    p.write_text(
        "统一社会信用代码,单位名称,参保地行政区划代码,有对公账户,有税务社保缴费账户\n"
        "91150502MA0N4XYZ1A,示范单位,150502,否,是\n",
        encoding="utf-8",
    )
    out = normalise_record(UnitFacts, read_record(p, row=1))
    assert out.data["has_tax_payment_account"] is True
    assert out.data["has_corporate_account"] is False
    assert not any("有税务社保缴费账户" in n for n in out.notes)


# ------------------------------------------------------------------------ risk screen folders


def _part(path: Path) -> None:
    pl.DataFrame({"id_number": ["152301199001010015"], "kind": ["死亡"]}).write_parquet(path)


def test_risk_scan_reads_a_folder_of_pq_parts(tmp_path):
    from wengang.risk.cli import _scan

    folder = tmp_path / "registry"
    folder.mkdir()
    _part(folder / "part-0.pq")
    (folder / "_SUCCESS").write_bytes(b"")
    frame = _scan("registry", str(folder))
    assert "id_number" in frame.columns


def test_risk_scan_refuses_a_folder_by_the_ingest_rule(tmp_path, capsys):
    import typer

    from wengang.risk.cli import _scan

    folder = tmp_path / "registry"
    folder.mkdir()
    _part(folder / "part-0.pq")
    (folder / "extra.csv").write_text("id_number,kind\n", encoding="utf-8")
    with pytest.raises(typer.Exit):
        _scan("registry", str(folder))
    assert "extra.csv" in capsys.readouterr().out

"""No full personal identifier in anything a run leaves behind (issue 12 item 5).

Inputs carry 公民身份号码, mobile numbers and bank accounts where agencies' files really do: typed into the
wrong column, in a name, as a person's key. A unit screening run, a people screening run and the outbox are
driven through the CLI; then every artefact — results, quarantine (Parquet, XLSX), lists, the JSON summary,
the console output, the outbox table, the file sender's record, stored errors — is scanned by
:func:`tests.privacy.identifier_scan.scan_for_identifiers`, which must find nothing.

The one exemption is machine data keyed by the identifier: the people results, facts and already-paid tables
are ``case import``'s input and must hold each person's ID number in the ``id_number`` column.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from wengang.casework import DecisionIn, Ledger, RunIn
from wengang.casework.cli import case_app
from wengang.casework.operators import add_operator
from wengang.cli import app
from wengang.facts.identifiers import make_credit_code, ric_check_character
from wengang.screening.demo_data import generate_region

from .identifier_scan import scan_for_identifiers, scan_text

runner = CliRunner()
UNIT_TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")
PEOPLE_TABLES = ("persons", "certificates", "subsidies", "ui_claims")
MACHINE_DATA = {name: {"id_number"} for name in ("results.parquet", "facts.parquet", "already_paid.parquet")}


def _id(n: int) -> str:
    first17 = f"15010219850101{n:03d}"
    return first17 + ric_check_character(first17)


ID_A, ID_B, ID_C = _id(11), _id(12), _id(13)
MOBILE = "13912345678"
ACCOUNT = "6222021234567891234"


def test_the_scanner_finds_what_it_must():
    """The oracle itself: every kind found in plain text, nothing in look-alikes."""
    found = scan_text(f"身份证{ID_A}，电话{MOBILE}、138 1234 5678，账户{ACCOUNT} 或 6222 0212 3456 7891 234")
    assert [k for k, _ in found] == ["id_number", "mobile", "mobile", "bank_account", "bank_account"]
    bad_check = ID_A[:17] + ("0" if ID_A[17] != "0" else "1")
    assert scan_text(bad_check) == [("bank_account", bad_check)]  # not an ID, but 18 digits are personal all the same
    for miss in ("91150502MA0N1234XN", "0.12345678901234567", "a3f9" + "1234567890123456" + "be",
                 "1502**********1234", "138****5678", "金额 1234567890123 分"):  # fmt: skip
        assert scan_text(miss) == [], miss


def _as_csv(src: Path, dst: Path, extra: list[dict[str, str | None]], edit=None) -> Path:
    frame = pl.read_parquet(src / "*.parquet" if src.is_dir() else src).select(pl.all().cast(pl.String))
    if edit is not None:
        frame = edit(frame)
    pl.concat([frame, pl.DataFrame(extra, schema=dict.fromkeys(frame.columns, pl.String))]).write_csv(dst)
    return dst


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    root = tmp_path_factory.mktemp("privacy")
    return root, generate_region(root / "data", region_code="150500", n_units=300, year=2025, seed=9)


def _invoke(args: list[str], log: Path) -> str:
    r = runner.invoke(app, args)
    assert r.exit_code == 0, r.output
    log.write_text(r.output, encoding="utf-8")
    return r.output


def test_unit_screening_leaves_no_full_identifier(region, tmp_path):
    root, paths = region
    data = tmp_path / "in"
    data.mkdir()
    units = pl.read_parquet(paths["units"] / "*.parquet")
    named = units.item(0, "credit_code")
    tables = {k: paths[k] for k in UNIT_TABLES}
    tables["units"] = _as_csv(
        paths["units"], data / "units.csv",
        # a sole trader's ID number typed into the code column, with a phone and an account in the name
        [{"credit_code": ID_A, "name": f"个体户（{ID_A}）{MOBILE}", "region_code": "150502", "org_type": "enterprise"}],
        # a registered unit whose name carries its contact's mobile and account
        edit=lambda f: f.with_columns(
            pl.when(pl.col("credit_code") == named).then(pl.col("name") + f"（联系人{MOBILE}，账号{ACCOUNT}）")
            .otherwise(pl.col("name")).alias("name")
        ),
    )  # fmt: skip
    tables["exclusions"] = _as_csv(
        paths["exclusions"], data / "exclusions.csv",
        [{"credit_code": ID_B, "list_type": "serious_dishonesty", "date_from": "2024-01-01", "date_to": None}],
    )  # fmt: skip
    tables["contributions"] = _as_csv(
        paths["contributions"], data / "contributions.csv",
        [{"credit_code": MOBILE, "month": "2024-03", "due_fen": "100", "paid_fen": "100", "paid_date": "2024-03-10",
          "late_fee_fen": "0", "insured_persons": "1"},
         {"credit_code": named, "month": "2024-13", "due_fen": ACCOUNT, "paid_fen": "100", "paid_date": None,
          "late_fee_fen": "0", "insured_persons": "1"}],
    )  # fmt: skip
    tables["headcount"] = _as_csv(
        paths["headcount"], data / "headcount.csv",
        [{"credit_code": ACCOUNT, "year": "2024", "insured_headcount": "3", "layoffs": "0", "normal_attrition": None}],
    )  # fmt: skip
    out = tmp_path / "out"
    args = ["screen", "--out", str(out), "--date", "2025-08-01", "--year", "2025", "--region", "150500"]
    for name, path in tables.items():
        args += [f"--{name.replace('_', '-')}", str(path)]
    summary = json.loads(_invoke([*args, "--json"], tmp_path / "summary.json"))
    assert summary["input"][0]["quarantined"] >= 1  # the sole trader's row
    _invoke(args, tmp_path / "console.log")
    q = pl.read_parquet(out / "quarantine.parquet")
    assert q.height >= 5 and (out / "quarantine.xlsx").exists() and (out / "results.xlsx").exists()
    # the quarantine still finds the rows: file, row number and the value masked
    assert q.filter(pl.col("value").str.contains("1501**********", literal=True)).height >= 2

    findings = scan_for_identifiers([out, tmp_path / "summary.json", tmp_path / "console.log"])
    assert findings == [], "\n".join(map(str, findings))
    # and the scan is not vacuous: the inputs do hold them
    assert {f.kind for f in scan_for_identifiers([data])} == {"id_number", "mobile", "bank_account"}


def test_people_screening_leaves_no_full_identifier(region, tmp_path):
    root, paths = region
    data = tmp_path / "in"
    data.mkdir()
    persons = pl.read_parquet(paths["persons"])
    someone = persons.item(0, "id_number")
    tables = {k: paths[k] for k in PEOPLE_TABLES}
    tables["persons"] = _as_csv(
        paths["persons"], data / "persons.csv",
        [{"id_number": ID_C[:17] + ("0" if ID_C[17] != "0" else "1"), "name": f"王五{MOBILE}", "region_code": "150502"},
         {"id_number": ID_C[:16], "name": "赵六", "region_code": "150502"}],  # a wrong check character; a digit short
        edit=lambda f: f.with_columns(
            pl.when(pl.col("id_number") == someone).then(pl.col("name") + f"（{MOBILE}）").otherwise(pl.col("name"))
            .alias("name")
        ),
    )  # fmt: skip
    certs = pl.read_parquet(paths["certificates"])
    row = {c: None for c in certs.columns} | {
        "id_number": ID_A, "certificate_no": f"Z{ID_A}", "occupation_code": "6-31-01-03", "level": "4",
        "issue_date": "2024-06-01", "issuer": "某评价机构", "issuing_region": "150502",
    }  # fmt: skip
    tables["certificates"] = _as_csv(paths["certificates"], data / "certificates.csv", [row])  # holder unknown
    out = tmp_path / "out"
    args = ["screen", "--program", "skill_subsidy", "--out", str(out), "--date", "2025-09-01", "--region", "150500",
            "--reading", "skill_subsidy.insured_period=cumulative_at_application",
            "--reading", "skill_subsidy.certificate_window=any_date", "--urgent-occupations", "6-31-01-03"]  # fmt: skip
    for name, path in tables.items():
        args += [f"--{name.replace('_', '-')}", str(path)]
    _invoke([*args, "--json"], tmp_path / "summary.json")
    _invoke(args, tmp_path / "console.log")
    assert pl.read_parquet(out / "quarantine.parquet").height >= 3

    findings = scan_for_identifiers([out, tmp_path / "summary.json", tmp_path / "console.log"], allow=MACHINE_DATA)
    assert findings == [], "\n".join(map(str, findings))
    # the exemption is exactly the key column of the machine data: without it the scan finds the IDs there
    keyed = {(Path(f.path).name, f.where) for f in scan_for_identifiers([out])}
    assert keyed and {w for _, w in keyed} == {"id_number"} and {n for n, _ in keyed} <= set(MACHINE_DATA)


@pytest.fixture
def refusing_gateway():
    """A gateway that refuses everything with 503 (so every send fails and stores its error)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(503)
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()


def test_outbox_leaves_no_full_identifier(tmp_path, refusing_gateway):
    db = tmp_path / "ledger.db"
    url = f"sqlite:///{db}"
    run = RunIn("fanhuan", 2025, "150000", {"results.parquet": "c" * 64}, {"内人社发〔2025〕18号": "2025-05-27"})
    base = dict(region_code="150502", program="fanhuan", policy_doc="内人社发〔2025〕18号", clause="一",
                status="eligible", amount_fen=120_000, reasons=["✔ 足额缴纳"], explanation="✔ 足额缴纳",
                readings={}, payment_channel="corporate_account", size_class="small", year=2025)  # fmt: skip
    led = Ledger.open(url)
    try:
        add_operator(led, "admin", roles=["管理员"], bootstrap=True)
        add_operator(led, "cw", roles=["经办"], actor="admin")
        led.import_decisions(run, [
            DecisionIn(unit_id=make_credit_code("91", "150502", "MA0000771"), unit_name=f"个体户（{ID_A}）",
                       contact=MOBILE, account_no=ACCOUNT, **base),
            DecisionIn(unit_id=ID_B, unit_name=ID_B, **base),  # a person whose name is missing
        ], "cw")  # fmt: skip
    finally:
        led.close()
    logs = []
    for args in (["notify", "fanhuan", "2025", "--channel", "sms", "--channel", "portal"],
                 ["send", "--gateway", f"http://gw-user:gw-secret@{refusing_gateway}/v1?token=TK123456"],
                 ["send", "--out", str(tmp_path / "outbox.jsonl")]):  # fmt: skip
        r = runner.invoke(case_app, [*args, "--db", url, "-u", "cw"])
        # the refusing gateway leaves every message due: send says how many remain and exits 1
        assert r.exit_code == (1 if "--gateway" in args else 0), r.output
        logs.append(r.output)
    (tmp_path / "console.log").write_text("\n".join(logs), encoding="utf-8")
    led = Ledger.open(url)
    try:
        with led.engine.connect() as c:
            sent, errors = c.exec_driver_sql(
                "select count(*) filter (where state = 'sent'), count(last_error) from case_outbox"
            ).one()
    finally:
        led.close()
    assert sent == 4 and errors == 4  # each failed once at the gateway, then went to the file
    text = (tmp_path / "outbox.jsonl").read_text("utf-8")
    assert "1501**********" in text and "139****5678" in text

    findings = scan_for_identifiers([db, tmp_path / "outbox.jsonl", tmp_path / "console.log"], tables=["case_outbox"])
    assert findings == [], "\n".join(map(str, findings))
    with pytest.raises(AssertionError):  # the ledger's register itself holds them (as it must)
        assert scan_for_identifiers([db], tables=["case_decisions"]) == []
    stored = sqlite_errors(db)
    assert all("gw-secret" not in e and "TK123456" not in e and "gw-user" not in e for e in stored)


def sqlite_errors(db: Path) -> list[str]:
    import sqlite3

    con = sqlite3.connect(db)
    try:
        return [r[0] for r in con.execute("select last_error from case_outbox")]
    finally:
        con.close()


def test_scan_reads_every_kind_of_file(tmp_path):
    """Parquet columns, XLSX cells, SQLite tables, GB18030 text: a full identifier is found in each."""
    pl.DataFrame({"a": [f"x {MOBILE}"], "n": [1]}).write_parquet(tmp_path / "a.parquet")
    from wengang.screening.output import write_excel_sheets

    write_excel_sheets(pl.DataFrame({"身份证": [ID_A]}), tmp_path / "b.xlsx", "s")
    (tmp_path / "c.csv").write_bytes(f"名称,账号\n某某,{ACCOUNT}\n".encode("gb18030"))
    import sqlite3

    con = sqlite3.connect(tmp_path / "d.db")
    con.execute("create table t (v text)")
    con.execute("insert into t values (?)", (ID_B,))
    con.commit()
    con.close()
    kinds = {(Path(f.path).suffix, f.kind) for f in scan_for_identifiers([tmp_path])}
    assert kinds == {(".parquet", "mobile"), (".xlsx", "id_number"), (".csv", "bank_account"), (".db", "id_number")}
    assert ID_A not in " ".join(str(f) for f in scan_for_identifiers([tmp_path]))  # findings print masked

"""The caseworker's whole story (issue 11 item 8), on SQLite and on PostgreSQL, and ``wengang demo story``.

One run of ``wengang.story.run_story`` walks: demo region → screen → import (as written, twice: stored once) →
notify/send → 初审/复审 by two people → 公示 → payee accounts approved by a second person → payment batch → bank
file → the bank's return with bounces → corrected accounts → re-payment → letters → 多退少补 → recovery received →
reconciliation and the signed audit chain. The assertions below check what an office would check in the
artefacts it leaves, not the run's own report alone.
"""

from __future__ import annotations

import uuid

import polars as pl
import pytest
from openpyxl import load_workbook
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from tests.documents.pdfread import pdf_text
from tests.privacy.identifier_scan import scan_for_identifiers
from wengang.casework import Ledger
from wengang.documents.bank import read_bank_file
from wengang.story import run_story

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
UNITS = 300


def _pg_ok() -> bool:
    try:
        with create_engine(PG_URL, connect_args={"connect_timeout": 3}).connect() as c:
            c.execute(text("select 1"))
        return True
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def story(request, tmp_path_factory):
    out = tmp_path_factory.mktemp(f"story-{request.param}")
    schema = None
    if request.param == "postgres":
        if not _pg_ok():
            pytest.skip("PostgreSQL 不可用 / PostgreSQL at 127.0.0.1:5432 is unreachable")
        schema = f"story_{uuid.uuid4().hex[:10]}"
        with create_engine(PG_URL).begin() as c:
            c.execute(text(f'CREATE SCHEMA "{schema}"'))
    rep = run_story(out, db_url=PG_URL if schema else None, units=UNITS, schema=schema, say=lambda _: None)
    led = Ledger.open(rep.db_url, schema=schema)
    yield out, rep, led
    led.close()
    if schema:
        with create_engine(PG_URL).begin() as c:
            c.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


def _payments(led: Ledger) -> pl.DataFrame:
    with led.engine.connect() as c:
        rows = c.exec_driver_sql(
            "select p.id, p.decision_id, p.kind, p.seq, p.amount_fen, p.account_no, b.batch_key "
            "from case_payments p left join case_payment_batches b on b.id = p.batch_id").all()
    return pl.DataFrame([tuple(r) for r in rows], orient="row",
                        schema=["id", "decision_id", "kind", "seq", "amount_fen", "account_no", "batch_key"])


def test_the_money_reconciles_to_the_fen(story):
    out, rep, led = story
    assert rep.reconciled and rep.audit_ok
    pays = _payments(led)
    # each bank file's control total is the sum of the payments it carries, and of those the batch paid
    for f, key in zip(rep.bank_files, ("P2025-01", "P2025-02", "P2025-03"), strict=False):
        sent = read_bank_file(f["file"])
        in_batch = pays.filter(pl.col("batch_key") == key)
        assert sent.total_fen == sum(p.amount_fen for p in sent.payments) == in_batch["amount_fen"].sum()
        assert sent.count == in_batch.height == f["count"]
    # nobody is paid twice: one initial payment per decision and seq, re-payments only after a bounce
    initial = pays.filter(pl.col("kind") == "initial")
    assert initial.select("decision_id", "seq").is_unique().all()
    repaid = initial.filter(pl.col("seq") > 0)["decision_id"].to_list()
    assert len(repaid) == rep.bounced == rep.repaid > 0
    # balances: paid − returned − recovered, per unit and in total, against the tables themselves
    bal = led.balances(program="fanhuan")
    assert all(r["net_fen"] == r["paid_fen"] - r["returned_fen"] - r["recovered_fen"] for r in bal)
    assert sum(r["paid_fen"] for r in bal) == pays["amount_fen"].sum() == rep.balances["paid_fen"]
    assert led.reconcile()["ok"] and led.verify_audit().ok


def test_the_bounced_are_paid_again_to_the_corrected_account_only(story):
    out, rep, led = story
    pays = _payments(led)
    for did in pays.filter((pl.col("kind") == "initial") & (pl.col("seq") == 1))["decision_id"].to_list():
        first, second = pays.filter((pl.col("decision_id") == did) & (pl.col("kind") == "initial")).sort("seq")[
            "account_no"].to_list()
        assert first != second
        d = led.decision(did)
        assert d["state"] == "paid" and d["account_no"] == second
        acts = [h["action"] for h in d["history"]]
        # the first account approved by a 复核, the bank's bounce, the corrected account approved by a 复核
        assert acts.index("approve_account") < acts.index("bounce") < acts.index("fix_account")
        fix = next(h for h in d["history"] if h["action"] == "fix_account")
        assert fix["actor"] == "li"  # the approver (复核), not the 出纳 who asked for it


def test_settlement_after_a_size_class_change(story):
    out, rep, led = story
    up, down = led.decision(rep.resize["supplement_decision"]), led.decision(rep.resize["recovery_decision"])
    assert [p["kind"] for p in up["payments"]].count("supplement") == 1
    # paid at the provisional 大型 rate (30%), then the official class's 60%: the rules' difference, no free amount
    top_up = up["entitlement"]["amount_fen"] - up["payments"][0]["amount_fen"]
    assert up["payments"][-1]["amount_fen"] == rep.resize["supplement_fen"] == top_up > 0
    # the top-up was paid by the 出纳 in its own batch and went to the bank in that batch's file (P2025-03)
    sup = up["payments"][-1]
    assert sup["kind"] == "supplement" and sup["batch_id"] is not None
    top = read_bank_file(rep.bank_files[-1]["file"])
    assert [(p.reference, p.amount_fen) for p in top.payments] == [(f"{up['id']}-S0", top_up)]
    assert sum(f["total_fen"] for f in rep.bank_files) == rep.balances["paid_fen"]
    back = down["payments"][-1]["amount_fen"] - down["entitlement"]["amount_fen"]  # 大型: 30% instead of 60%
    assert [r["amount_fen"] for r in down["recoveries"]] == [rep.resize["recovered_fen"]] == [back]
    row = next(b for b in led.balances(unit_id=down["unit_id"], program="fanhuan"))
    assert row["recovery_outstanding_fen"] == 0 and row["recovered_fen"] == back


def test_the_publicity_list_is_what_an_office_publishes(story):
    out, rep, led = story
    ws = load_workbook(next((out / "publicity").glob("*.xlsx"))).active
    cells = [[c.value for c in row] for row in ws.iter_rows()]
    flat = " ".join(str(v) for row in cells for v in row if v is not None)
    assert "通辽市人力资源和社会保障局" in flat and "2025年度稳岗返还" in flat and "公示" in flat
    header = next(i for i, row in enumerate(cells) if "单位名称" in row)
    amount_col = next(j for j, v in enumerate(cells[header]) if v and "元" in str(v))
    code_col = next(j for j, v in enumerate(cells[header]) if v and "信用代码" in str(v))
    body = [row for row in cells[header + 1:] if row[amount_col] is not None and row[code_col]]
    assert len(body) == rep.publicized
    assert all(isinstance(row[amount_col], int | float) for row in body)  # numbers, in 元
    assert all("*" in row[code_col] for row in body)  # masked credit codes
    assert ws.freeze_panes is not None and ws.auto_filter.ref
    pdf = pdf_text(next((out / "publicity").glob("*.pdf")))
    assert "自2025年9月1日至2025年9月7日" in pdf and "内人社发〔2025〕18号" in pdf


def test_letters_name_the_remedies_and_the_amount(story):
    out, rep, led = story
    paid = pdf_text(next((out / "letters" / "发放").glob("*.pdf")))
    assert "行政复议" in paid and "行政诉讼" in paid and "通辽市人力资源和社会保障局" in paid
    assert "元" in paid and "大写" in paid or "人民币" in paid
    refused = list((out / "letters" / "不予发放").glob("*.pdf"))
    if refused:
        assert "行政复议" in pdf_text(refused[0])


def test_signed_checkpoints_cover_the_run(story):
    out, rep, led = story
    lines = (out / "checkpoints.jsonl").read_text("utf-8").splitlines()
    assert len(lines) == rep.checkpoints >= 10  # one per step that appended events


def test_no_full_identifier_outside_the_ledger_and_the_bank_files(story):
    """Issue 12 item 5: every artefact a person opens shows identifiers masked. Exempt, because the next machine
    step needs the full value: the raw inputs (data/), the account register and the bank files (the bank pays
    to the full account), the screening results and facts (the ledger's input), the ledger itself."""
    out, rep, led = story
    keep = [p for p in out.rglob("*") if p.is_file() and not (
        p.is_relative_to(out / "data") or p.is_relative_to(out / "bank") or p.is_relative_to(out / "keys")
        or p.name in ("ledger.db", "results.parquet", "features.parquet"))]
    assert any(p.suffix == ".pdf" for p in keep) and any(p.name == "outbox.jsonl" for p in keep)
    findings = scan_for_identifiers(keep)
    assert findings == [], "\n".join(map(str, findings[:20]))


def test_demo_story_command_leaves_every_artefact(tmp_path):
    from wengang.cli import app

    r = CliRunner().invoke(app, ["demo", "story", "--out", str(tmp_path / "s"), "--units", "120"])
    assert r.exit_code == 0, r.output
    said = " ".join(r.output.split())
    assert "对账到分、审计链与签名检查点校验通过" in said
    for part in ("story.json", "results/results.parquet", "outbox.jsonl", "checkpoints.jsonl", "bank/P2025-01.txt",
                 "bank/P2025-01.xlsx", "bank/P2025-01-回盘.txt"):
        assert (tmp_path / "s" / part).exists(), part
    assert list((tmp_path / "s" / "publicity").glob("*.pdf")) and list((tmp_path / "s" / "letters").rglob("*.pdf"))
    bad = CliRunner().invoke(app, ["demo", "story", "--out", str(tmp_path / "t"), "--units", "5"])
    assert bad.exit_code == 2 and "至少 50" in bad.output

"""A ledger-format table (DecisionIn columns) imported by ``wengang case import FILE --program --year --region`` carries
amounts no rule here decided: its eligible rows come in held (session 40; they had come in ready to notify and pay,
999,999元 for a unit, while a screening run's rows are decided again before they are taken in)."""

from __future__ import annotations

import polars as pl
from sqlalchemy import text
from typer.testing import CliRunner

from wengang.casework import Ledger
from wengang.casework.cli import UNCHECKED_TABLE
from wengang.cli import app

ROW = dict(unit_id="911505027014598813", unit_name="测试企业", region_code="150502", program="fanhuan",
           policy_doc="内人社发〔2025〕18号", clause="一", amount_fen=99_999_900, reasons="[]", explanation="x",
           readings="{}", payment_channel="corporate_account", size_class="small", year=2025)


def test_a_ledger_format_tables_eligible_rows_are_held(tmp_path):
    db = f"sqlite:///{tmp_path / 'l.db'}"
    runner = CliRunner()
    for args in (["user", "add", "admin", "--role", "管理员", "--bootstrap", "--db", db],
                 ["user", "add", "clerk", "--role", "经办", "-u", "admin", "--db", db]):
        assert runner.invoke(app, args).exit_code == 0
    pl.DataFrame([{**ROW, "status": "eligible"},
                  {**ROW, "unit_id": "91150502MA0000001X", "status": "ineligible", "amount_fen": None}]
                 ).write_parquet(tmp_path / "d.parquet")
    r = runner.invoke(app, ["case", "import", str(tmp_path / "d.parquet"), "--program", "fanhuan", "--year", "2025",
                            "--region", "150502", "-u", "clerk", "--db", db])
    assert r.exit_code == 0, r.output
    assert "其中暂缓发放 1 条" in r.output and "未经本系统按政策规则判定" in r.output
    led = Ledger.open(db)
    try:
        with led.engine.connect() as c:
            rows = dict(c.execute(text("select status, state || '|' || coalesce(hold_reason, '') from case_decisions")).all())
    finally:
        led.close()
    assert rows["eligible"] == f"held|{UNCHECKED_TABLE}"
    assert not rows["ineligible"].startswith("held")


def test_fen_options_take_yuan_written_with_its_unit_and_refuse_it_without():
    """README: a _fen field takes a whole number of 分, or 元 written with its unit; 148450.00 alone is refused."""
    import pytest

    from wengang.casework.cli import _fen
    from wengang.inputs import InputError

    assert _fen("1484.50元") == 148450 and _fen("1,484.50元") == 148450 and _fen("148450") == 148450
    for bad in ("148450.00", "1484.505元", "元"):
        with pytest.raises(InputError):
            _fen(bad)

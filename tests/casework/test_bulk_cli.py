"""``wengang case list`` and the bulk actions, through the CLI (typer's CliRunner), on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from datetime import date
from urllib.parse import quote

import pytest
from ledger_helpers import DEADLINE, MORE_STAFF, RUN, STAFF, decision, register_staff, snapshot, to_payable
from openpyxl import load_workbook
from typer.testing import CliRunner

import wengang.casework.cli as cli
from wengang.casework.cli import case_app
from wengang.casework.query import local_time

runner = CliRunner()


def url(db) -> str:
    """The database as the CLI takes it: PostgreSQL's per-test schema goes in the connection options."""
    return db.url if db.schema is None else f"{db.url}?options={quote(f'-csearch_path={db.schema}')}"


@pytest.fixture
def led(db):
    ledger = register_staff(db.open(), STAFF | MORE_STAFF)
    yield ledger
    ledger.close()


def case(db, *args: str, code: int = 0, stdin: str | None = None) -> str:
    if "-u" not in args:  # reads: the auditor (稽核) may read everything
        args = (*args, "-u", "auditor")
    r = runner.invoke(case_app, [*args, "--db", url(db)], input=stdin)
    assert r.exit_code == code, r.output
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception  # never a traceback
    return r.output


def states(led, ids) -> list[str]:
    return [led.decision(i)["state"] for i in ids]


def notified(led, n: int, **kw) -> list[int]:
    """n decisions (region 150102 for odd i, 150203 for even), imported and notified."""
    rows = [decision(i, region_code="150102" if i % 2 else "150203", **kw) for i in range(n)]
    led.import_decisions(RUN, rows, "screener")
    led.notify("fanhuan", 2025, "cw", deadline=DEADLINE, channels=("sms",))
    return [led.find(program="fanhuan", year=2025, unit_id=decision(i).unit_id) for i in range(n)]


# ------------------------------------------------------------------ case list
def test_list_shows_chinese_states_yuan_masked_codes_and_beijing_time(db, led):
    ids = notified(led, 4)
    out = case(db, "list", "--region", "1501")
    assert "已告知（无需确认）" in out and "失业保险稳岗返还" in out
    for i in (1, 3):
        uid = decision(i).unit_id
        assert uid not in out and f"{uid[:6]}**********{uid[-2:]}" in out  # masked as on a 公示 list
        assert f"{(120_000 + i) // 100:,}.{(120_000 + i) % 100:02d}" in out  # 1,200.01 元
    assert "测试企业0" not in out and "测试企业2" not in out
    changed = led.decision(ids[1])["history"][-1]["at"]
    assert local_time(changed)[:16] in out  # minutes: the stamp is written just before its audit event
    assert "共 2 个决定，应发合计 2,400.04 元" in out
    assert "共 0 个决定" in case(db, "find", "--state", "复审通过")  # the alias


def test_list_exports_json_csv_and_xlsx(db, led, tmp_path):
    ids = notified(led, 3)
    rows = json.loads(case(db, "list", "--format", "json", "--state", "已告知", "--min-amount", "1200.01"))
    assert [r["decision_id"] for r in rows] == ids[1:]
    assert rows[0]["amount_fen"] == 120_001 and rows[0]["amount_yuan"] == "1200.01"
    assert rows[0]["state_zh"] == "已告知（无需确认）" and decision(1).unit_id not in json.dumps(rows)

    case(db, "list", "--format", "csv", "--out", str(tmp_path / "l.csv"))
    text = (tmp_path / "l.csv").read_text("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert [int(r["决定号"]) for r in table] == ids
    assert table[2]["应发金额（元）"] == "1200.02" and table[2]["状态"] == "已告知（无需确认）"

    x = tmp_path / "l.xlsx"
    assert "3 个决定已写入" in case(db, "list", "--format", "xlsx", "--out", str(x))
    ws = load_workbook(x).worksheets[0]
    assert [c.value for c in ws[1]] == ["决定号", "单位名称", "统一社会信用代码", "项目", "年度", "状态",
                                        "应发金额（元）", "最近变更"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:H4"
    assert ws["A2"].value == ids[0] and ws["G3"].value == pytest.approx(1200.01) and ws["G3"].number_format == "#,##0.00"
    out = case(db, "list", "--format", "xlsx", code=2)
    assert "--out" in out


@pytest.mark.parametrize(("args", "says"), [
    (["--min-amount", "1000.001"], "超过两位小数"), (["--max-amount", "1e5"], "不是金额"),
    (["--state", "审"], "可指"), (["--size-class", "巨型"], "企业划型"), (["--date-from", "12/04"], "YYYY-MM-DD"),
    (["--min-amount", "2000", "--max-amount", "1000"], "大于"), (["--format", "pdf"], "--format"),
    (["--format", "csv", "--out", "/nonexistent-dir/l.csv"], "无法写入"), (["--ids", "/nonexistent.txt"], "找不到文件"),
])
def test_list_refuses_bad_options_with_exit_2(db, led, args, says):
    assert says in case(db, "list", *args, code=2)


# ------------------------------------------------------------------ confirmation
def test_a_bulk_action_without_yes_and_no_terminal_does_nothing_and_exits_2(db, led):
    ids = notified(led, 4)
    before = snapshot(led)
    out = case(db, "confirm", "--region", "1501", "-u", "portal", code=2)
    assert "将确认 2 个决定，应发合计 2,400.04 元" in out  # what it would touch, first
    assert "未执行" in out and "--yes" in out
    assert snapshot(led) == before
    assert states(led, ids) == ["notified"] * 4


def test_a_caseworker_at_a_terminal_is_asked(db, led, monkeypatch):
    ids = notified(led, 4)
    monkeypatch.setattr(cli, "_interactive", lambda: True)
    before = snapshot(led)
    out = case(db, "confirm", "--region", "1501", "-u", "portal", stdin="n\n", code=1)
    assert "确认执行" in out and "未执行" in out
    assert snapshot(led) == before
    out = case(db, "confirm", "--region", "1501", "-u", "portal", stdin="y\n")
    assert "成功 2，跳过 0，失败 0" in out
    assert states(led, ids) == ["notified", "confirmed", "notified", "confirmed"]


# ------------------------------------------------------------------ bulk actions
def test_bulk_review_keeps_the_two_person_rule(db, led):
    ids = notified(led, 4)
    led.confirm_many(ids, "portal", today=date(2025, 7, 1))
    out = case(db, "review", "--state", "已确认", "--stage", "1", "--approve", "--reason", "材料齐全", "-u", "alice", "-y")
    assert "成功 4，跳过 0，失败 0" in out
    before = snapshot(led)
    out = case(db, "review", "--state", "待复审", "--stage", "2", "--approve", "--reason", "同意", "-u", "alice", "-y")
    assert "成功 0，跳过 4" in out and "复审须由初审人（alice）以外的人员进行" in out
    assert snapshot(led) == before and states(led, ids) == ["first_reviewed"] * 4
    out = case(db, "review", "--state", "待复审", "--region", "1501", "--stage", "2", "--approve", "--reason", "同意",
               "-u", "bob", "-y")
    assert "成功 2，跳过 0，失败 0" in out
    assert states(led, ids) == ["first_reviewed", "approved", "first_reviewed", "approved"]
    history = led.decision(ids[1])["history"]
    assert [(h["action"], h["actor"]) for h in history][-2:] == [("first_review", "alice"), ("second_review", "bob")]
    assert led.verify_audit().ok


def test_decisions_in_other_states_are_skipped_with_their_state_not_aborting_the_batch(db, led):
    ids = notified(led, 5)
    led.confirm(ids[0], "unit")
    led.decline(ids[1], "unit")
    out = case(db, "confirm", "--year", "2025", "-u", "portal", "-y")
    assert "成功 3，跳过 2" in out and "失败 0" in out
    assert "状态为“已确认”，不能确认接受：1 个（决定 " + str(ids[0]) in out
    assert "状态为“已放弃（本年内可申领）”" in out
    assert states(led, ids) == ["confirmed", "declined", "confirmed", "confirmed", "confirmed"]


def test_ids_file_and_list_export_round_trip_and_an_unknown_id_fails(db, led, tmp_path):
    ids = notified(led, 4)
    x = tmp_path / "to_decline.xlsx"
    case(db, "list", "--unit", "测试企业2", "--format", "xlsx", "--out", str(x))
    out = case(db, "decline", "--ids", str(x), "--reason", "单位电话告知放弃", "-u", "cw", "-y")
    assert "成功 1，跳过 0，失败 0" in out
    assert states(led, ids) == ["notified", "notified", "declined", "notified"]
    f = tmp_path / "ids.txt"
    f.write_text(f"{ids[0]}\n{ids[2]}\n999999\n", "utf-8")
    out = case(db, "decline", "--ids", str(f), "-u", "cw", "-y", code=1)
    assert "成功 1，跳过 1" in out and "失败 1" in out and "找不到该决定" in out and "999999" in out
    assert states(led, ids) == ["declined", "notified", "declined", "notified"]


def test_amount_bounds_are_inclusive_through_the_cli(db, led):
    ids = notified(led, 5)  # 1200.00 … 1200.04 元
    out = case(db, "confirm", "--min-amount", "1200.01", "--max-amount", "1200.03元", "-u", "portal", "-y")
    assert "将确认 3 个决定，应发合计 3,600.06 元" in out and "成功 3" in out
    assert states(led, ids) == ["notified", "confirmed", "confirmed", "confirmed", "notified"]


def test_hold_and_release_a_selection_by_reason(db, led):
    ids = to_payable(led, 4)  # all 公示 (publicized)
    out = case(db, "hold", "--unit", "测试企业1", "--reason", "缓缴的失业保险费尚未补足", "-u", "cw", "-y")
    assert "成功 1" in out
    case(db, "hold", "--unit", "测试企业3", "--reason", "账户待核实", "-u", "cw", "-y")
    out = case(db, "release", "--match-reason", "缓缴", "-u", "cw", "-y")
    assert "将解除暂缓 1 个决定" in out and "成功 1，跳过 0，失败 0" in out
    assert states(led, ids) == ["publicized", "approved", "publicized", "held"]


def test_pay_only_the_selection_and_say_why_the_rest_waits(db, led):
    # one unit without a payee account (imported without one: editing the column would be tampering now)
    led.import_decisions(RUN, [decision(1, account_no=None)], "clerk")
    ids = to_payable(led, 4)  # 1200.00 … 1200.03 元
    assert led.decision(ids[1])["account_no"] is None
    pay = ("pay", "b-1", "fanhuan", "2025", "--max-amount", "1200.01", "--today", "2025-11-01", "-u", "cashier", "-y")
    out = case(db, *pay)
    assert "将发放（批次 b-1） 2 个决定" in out
    assert "成功 1，跳过 1（暂不能发放：缺少收款账户：1 个（决定 " in out and "失败 0" in out
    assert states(led, ids) == ["paid", "publicized", "publicized", "publicized"]
    out = case(db, *pay)
    assert "成功 0，跳过 2" in out and "状态为“已发放”，不能发放" in out  # paid once only
    assert len(led.decision(ids[0])["payments"]) == 1
    assert led.reconcile()["ok"] and led.verify_audit().ok


def test_notify_and_publicize_a_selection(db, led):
    rows = [decision(i, region_code="150102" if i % 2 else "150203") for i in range(4)]
    led.import_decisions(RUN, rows, "screener")
    ids = [led.find(program="fanhuan", year=2025, unit_id=r.unit_id) for r in rows]
    out = case(db, "notify", "--region", "1502", "--deadline", "2025-09-30", "-u", "cw", "-y")  # no PROGRAM YEAR
    assert "成功 2" in out
    assert states(led, ids) == ["notified", "screened", "notified", "screened"]
    led.confirm_many(ids[::2], "portal", today=date(2025, 7, 1))
    led.review_many(ids[::2], "alice", stage=1, approve=True, reason="初审")
    led.review_many(ids[::2], "bob", stage=2, approve=True, reason="复审")
    from wengang.casework.ledger import _beijing_today

    # since session 39 a 公示 cannot start before the 复审 (made just now): it starts today (test_s39_story)
    out = case(db, "publicize", "gs-1", "fanhuan", "2025", "--starts", _beijing_today().isoformat(), "--ids",
               _file(led, ids[:1]), "-u", "cw", "-y")
    assert "成功 1，跳过 0，失败 0" in out
    assert states(led, ids) == ["publicized", "screened", "approved", "screened"]


def _file(led, ids) -> str:
    import tempfile

    f = tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8")
    f.write("\n".join(map(str, ids)))
    f.close()
    return f.name


def test_bulk_resolve_ineligible(db, led):
    rows = [decision(i, status="needs_decision", amount_fen=None) for i in range(3)]
    led.import_decisions(RUN, rows, "screener")
    ids = [led.find(program="fanhuan", year=2025, unit_id=r.unit_id) for r in rows]
    out = case(db, "resolve", "--state", "待认定", "--limit", "2", "--ineligible", "--reason", "裁员率超标", "-u", "cw", "-y")
    assert "成功 2" in out
    assert states(led, ids) == ["not_eligible", "not_eligible", "pending_determination"]
    out = case(db, "resolve", "--state", "待认定", "--eligible", "--reason", "认定符合", "-u", "cw", "-y", code=1)
    assert "没有金额" in out  # an amount is decided one by one
    assert case(db, "resolve", "--state", "待认定", "--eligible", "--amount-fen", "100", "--reason", "x", "-u", "cw",
                "-y", code=2)


def test_existing_single_decision_invocations_still_work_and_mixing_is_refused(db, led):
    ids = notified(led, 2)
    assert "已确认" in case(db, "confirm", str(ids[0]), "--amount-fen", "120000", "-u", "unit")
    out = case(db, "confirm", str(ids[1]), "--region", "1501", "-u", "unit", code=2)
    assert "只能给出一种" in out
    assert "请给出决定号" in case(db, "hold", "--reason", "账户待核实", "-u", "cw", code=2)
    assert "请给出项目和年度" in case(db, "notify", "-u", "cw", code=2)
    assert states(led, ids) == ["confirmed", "notified"]


# ------------------------------------------------------------------ case show
def test_show_in_yuan_beijing_time_chinese_actions_and_masked(db, led):
    ids = to_payable(led, 1)
    led.run_payment_batch("b1", "fanhuan", 2025, "cashier", today=date(2025, 11, 1))
    out = case(db, "show", str(ids[0]))
    d = led.decision(ids[0])
    assert "1,200.00 元（120000 分）" in out and "已发放" in out
    assert d["unit_id"] not in out and d["account_no"] not in out and "6222 **** **** 0000" in out
    for zh in ("筛查结果入库", "推送告知", "确认接受", "初审", "复审", "公示", "发放"):
        assert zh in out
    assert "已告知（无需确认） → 已确认" in out
    for h in d["history"]:
        assert local_time(h["at"]) in out


def test_a_selected_batch_counts_only_what_it_paid_itself(db, led, monkeypatch):
    """Outside audit F2 (session 37): two `case pay` runs from two shells over overlapping selections each said
    “成功” for every decision that ended up paid, 22 reported for 16 payments. The other batch pays two of the
    selection between this one's selection and its run: they are said to be paid by another batch, not counted."""
    from wengang.casework.ledger import Ledger

    ids = to_payable(led, 4)
    run = Ledger.run_payment_batch

    def meanwhile(self, batch_key, *a, **kw):
        if batch_key == "b-2":  # the other shell's batch lands first
            run(self, "other", "fanhuan", 2025, "cashier", today=date(2025, 11, 1), decision_ids=ids[:2])
        return run(self, batch_key, *a, **kw)

    monkeypatch.setattr(Ledger, "run_payment_batch", meanwhile)
    out = case(db, "pay", "b-2", "fanhuan", "2025", "--max-amount", "99999", "--today", "2025-11-01", "-u", "cashier", "-y")
    assert "成功 2，" in out and "已由另一批次发放（本批未重复发放）：2 个" in out
    assert all(len(led.decision(i)["payments"]) == 1 for i in ids)
    assert led.reconcile()["ok"] and led.verify_audit().ok

"""Finding decisions (casework/query.py): parsing what a caseworker types, and the SELECT on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ledger_helpers import MORE_STAFF, RUN, STAFF, decision, register_staff, to_payable
from sqlalchemy import update

from wengang.casework import LedgerError
from wengang.casework.models import Decision
from wengang.casework.query import (
    Filter,
    find,
    local_time,
    parse_day,
    parse_size_class,
    parse_states,
    parse_yuan,
    read_ids,
    select_decisions,
    select_summary,
)
from wengang.money import fen_to_yuan

D = Decision.__table__.c


@pytest.fixture
def ledger(db):
    led = register_staff(db.open(), STAFF | MORE_STAFF)
    yield led
    led.close()


# ------------------------------------------------------------------ parsing
def test_states_by_code_chinese_name_short_name_or_unique_part():
    assert parse_states(["confirmed"]) == ("confirmed",)
    assert parse_states(["已确认"]) == ("confirmed",)
    assert parse_states(["暂缓发放"]) == ("held",)  # the name without its bracketed note
    assert parse_states(["暂缓发放（缓缴待补足）"]) == ("held",)
    assert parse_states(["待复审"]) == ("first_reviewed",)  # a part only one name has
    assert parse_states(["已确认,已申请待初审，复审通过", "已确认"]) == ("confirmed", "applied", "approved")


@pytest.mark.parametrize(("text", "says"), [("审", "可指"), ("已付款", "无法识别"), ("paidd", "无法识别")])
def test_an_ambiguous_or_unknown_state_is_refused_naming_the_option(text, says):
    with pytest.raises(LedgerError) as e:
        parse_states([text])
    assert e.value.code == "bad_input" and "--state" in e.value.zh and says in e.value.zh


def test_size_class_labels():
    for text, code in [("中型", "medium"), ("小型企业", "small"), ("微型", "micro"), ("大型", "large"), ("SMALL", "small")]:
        assert parse_size_class(text) == code
    with pytest.raises(LedgerError, match="企业划型"):
        parse_size_class("特大型")


@pytest.mark.parametrize(("text", "fen"), [
    ("1000", 100_000), ("1000.5", 100_050), ("1000.50", 100_050), ("1000元", 100_000), (" 1,000.01 元", 100_001),
    ("0", 0), ("0.01", 1), ("12345678901.99", 1_234_567_890_199),
])
def test_amounts_in_yuan_are_read_exactly(text, fen):
    assert parse_yuan(text, "--min-amount") == fen


@pytest.mark.parametrize(("text", "says"), [
    ("1000.505", "超过两位小数"), ("0.001", "超过两位小数"), ("1e3", "不是金额"), ("-5", "不是金额"), ("", "不是金额"),
    ("1000分", "不是金额"), ("1,00", "不是金额"), ("NaN", "不是金额"),
])
def test_amounts_that_are_not_exact_yuan_are_refused(text, says):
    with pytest.raises(LedgerError) as e:
        parse_yuan(text, "--max-amount")
    assert "--max-amount" in e.value.zh and says in e.value.zh


@given(st.integers(min_value=0, max_value=10**15))
def test_any_amount_shown_in_yuan_reads_back_to_the_same_fen(fen):
    shown = fen_to_yuan(fen)
    assert parse_yuan(str(shown), "--min-amount") == fen
    assert parse_yuan(f"{shown:,}元", "--min-amount") == fen


def test_times_are_shown_in_beijing_time():
    assert local_time("2026-12-04T13:35:10.123456+00:00") == "2026-12-04 21:35:10"
    assert local_time("2026-12-04T16:00:00.000000+00:00") == "2026-12-05 00:00:00"
    assert local_time(None) == "—"
    # the one date reader of the input layer: the forms facts accept (docs/decisions.md §39)
    assert parse_day("2026/12/04", "--date-from") == parse_day("2026年12月4日", "--date-from") == date(2026, 12, 4)
    with pytest.raises(LedgerError, match="YYYY-MM-DD"):
        parse_day("2026/13/04", "--date-from")


# ------------------------------------------------------------------ ids files
def test_ids_from_lines_csv_and_xlsx(tmp_path):
    p = tmp_path / "ids.txt"
    p.write_text("决定号\n3\n\n# a comment\n1\n3\n", "utf-8")
    assert read_ids(p) == (3, 1)
    c = tmp_path / "ids.csv"
    c.write_bytes("单位名称,决定号\n甲公司,7\n乙公司,5\n".encode("gbk"))  # GBK, as Excel saves it in China
    assert read_ids(c) == (7, 5)
    from wengang.documents.xlsx import INT, Column, Table, write_xlsx

    x = write_xlsx(tmp_path / "ids.xlsx", Table([Column("decision_id", "决定号", INT), Column("n", "单位名称")],
                                                [{"decision_id": 9, "n": "甲"}, {"decision_id": 2, "n": "乙"}],
                                                title="待复审名单"))
    assert read_ids(x) == (9, 2)  # the title row, and the writer's 合计 / 控制数 rows, are not ids


@pytest.mark.parametrize(("name", "body", "says"), [
    ("a.txt", "1\nx2\n", "第 2 行"), ("b.txt", "1\n-4\n", "第 2 行"), ("c.csv", "名称,金额\n甲,1\n", "没有“决定号”"),
    ("d.txt", "\n\n", "没有决定号"), ("e.csv", "决定号\n1.5\n", "第 2 行"),
])
def test_a_bad_ids_file_is_refused_naming_the_line(tmp_path, name, body, says):
    p = tmp_path / name
    p.write_text(body, "utf-8")
    with pytest.raises(LedgerError) as e:
        read_ids(p)
    assert "--ids" in e.value.zh and says in e.value.zh
    with pytest.raises(LedgerError, match="找不到文件"):
        read_ids(tmp_path / "missing.txt")


# ------------------------------------------------------------------ the SELECT, on both databases
def _ids(ledger, f: Filter) -> list[int]:
    return [r["id"] for r in find(ledger.read, f)]


@pytest.fixture
def stocked(ledger):
    """8 decisions: regions 150102 / 150203 alternate, amounts 1000.00 元 + i × 0.50 元, sizes small/medium."""
    rows = [decision(i, region_code="150102" if i % 2 else "150203", amount_fen=100_000 + 50 * i,
                     size_class="medium" if i < 3 else "small",
                     explanation="✔ 足额缴纳\n裁员率 0.5%" if i != 5 else "✔ 足额缴纳\n稳岗特别说明",
                     payment_hold=i == 7, payment_hold_reason="缓缴的失业保险费尚未补足" if i == 7 else None)
            for i in range(8)]
    res = ledger.import_decisions(RUN, rows, "screener")
    ids = [ledger.find(program="fanhuan", year=2025, unit_id=decision(i).unit_id) for i in range(8)]
    return ledger, ids, res.run_id


def test_each_criterion_selects_what_it_says(stocked):
    ledger, ids, run_id = stocked
    everything = _ids(ledger, Filter())
    assert everything == ids
    assert _ids(ledger, Filter(region="1501")) == ids[1::2]
    assert _ids(ledger, Filter(region="150203")) == ids[0::2]
    assert _ids(ledger, Filter(region="15")) == ids
    assert _ids(ledger, Filter(region="14")) == []
    assert _ids(ledger, Filter(size_class="medium")) == ids[:3]
    assert _ids(ledger, Filter(states=("held",))) == [ids[7]]
    assert _ids(ledger, Filter(states=("held", "screened"), region="1501")) == ids[1::2]
    assert _ids(ledger, Filter(run_id=run_id)) == ids and _ids(ledger, Filter(run_id=run_id + 1)) == []
    assert _ids(ledger, Filter(program="fanhuan", year=2025)) == ids
    assert _ids(ledger, Filter(year=2024)) == [] and _ids(ledger, Filter(program="skill_subsidy")) == []
    assert _ids(ledger, Filter(reason="特别说明")) == [ids[5]]  # the explanation
    assert _ids(ledger, Filter(reason="缓缴")) == [ids[7]]  # the hold reason
    assert _ids(ledger, Filter(reason="100%")) == []  # LIKE wildcards are text here
    assert _ids(ledger, Filter(unit=decision(4).unit_id)) == [ids[4]]
    assert _ids(ledger, Filter(unit=decision(4).unit_id.lower())) == [ids[4]]
    assert _ids(ledger, Filter(unit="测试企业6")) == [ids[6]]
    assert _ids(ledger, Filter(ids=(ids[5], ids[2], 999_999))) == [ids[2], ids[5]]
    assert _ids(ledger, Filter(limit=3)) == ids[:3]
    assert _ids(ledger, Filter(region="1501", limit=2)) == ids[1:4:2]


def test_amount_bounds_include_the_number_itself(stocked):
    ledger, ids, _ = stocked
    # decision i is entitled to 100000 + 50 i fen
    assert _ids(ledger, Filter(min_fen=100_100)) == ids[2:]  # 以上: 1001.00 元 itself included
    assert _ids(ledger, Filter(min_fen=100_101)) == ids[3:]
    assert _ids(ledger, Filter(max_fen=100_100)) == ids[:3]  # 以下: included
    assert _ids(ledger, Filter(max_fen=100_099)) == ids[:2]
    assert _ids(ledger, Filter(min_fen=100_150, max_fen=100_150)) == [ids[3]]
    count, total = ledger.read(select_summary(Filter(min_fen=100_100, max_fen=100_200)))[0].values()
    assert (count, total) == (3, 100_100 + 100_150 + 100_200)


def test_amount_and_size_class_are_the_current_entitlement(stocked):
    ledger, ids, _ = stocked
    ledger.change_size_class(ids[0], "checker", new_size_class="large", reason="划型变更")  # 30% instead of 60%
    assert _ids(ledger, Filter(size_class="large")) == [ids[0]]
    assert ids[0] not in _ids(ledger, Filter(size_class="medium"))
    assert _ids(ledger, Filter(max_fen=50_000)) == [ids[0]]
    row = ledger.read(select_decisions(Filter(ids=(ids[0],))))[0]
    assert (row["amount_fen"], row["size_class"]) == (50_000, "large")


def test_dates_are_beijing_days_of_the_last_change(stocked):
    ledger, ids, _ = stocked
    stamps = {  # UTC; Beijing is 8 hours ahead
        ids[0]: "2026-12-03T15:59:59.999999+00:00",  # 12-03 23:59:59 Beijing
        ids[1]: "2026-12-03T16:00:00.000000+00:00",  # 12-04 00:00:00 Beijing
        ids[2]: "2026-12-04T15:59:59.000000+00:00",  # 12-04 23:59:59 Beijing
        ids[3]: "2026-12-04T16:00:00.000000+00:00",  # 12-05 00:00:00 Beijing
    }
    with ledger.engine.begin() as c:  # changed_at is a finding aid outside the audit hashes
        for i, at in stamps.items():
            c.execute(update(Decision.__table__).where(D.id == i).values(changed_at=at))
    day = date(2026, 12, 4)
    # (the others were imported today, whatever day that is: look at the four stamped ones)
    assert _ids(ledger, Filter(ids=tuple(stamps), date_from=day, date_to=day)) == [ids[1], ids[2]]
    assert _ids(ledger, Filter(ids=tuple(stamps), date_to=date(2026, 12, 3))) == [ids[0]]
    assert _ids(ledger, Filter(ids=tuple(stamps), date_from=date(2026, 12, 5))) == [ids[3]]
    assert ledger.verify_audit().ok


def test_every_change_stamps_changed_at_and_the_history_lists_set_based_steps(ledger):
    paid = to_payable(ledger, 2)
    ledger.run_payment_batch("b1", "fanhuan", 2025, "cashier", today=date(2025, 11, 1))
    ledger.import_decisions(RUN, [decision(9)], "screener")
    rows = {r["id"]: r for r in ledger.read(select_decisions(Filter()))}
    for i in paid:
        h = ledger.decision(i)["history"]
        assert [e["action"] for e in h] == ["import", "notify", "confirm", "first_review", "second_review",
                                            "publicize", "pay"]
        assert rows[i]["state"] == "paid"
        # stamped by the last change (its row is written just before its audit event), not by an earlier one
        assert h[-2]["at"] < rows[i]["changed_at"] <= h[-1]["at"]
    new = ledger.find(program="fanhuan", year=2025, unit_id=decision(9).unit_id)
    assert rows[new]["changed_at"] > rows[paid[0]]["changed_at"]


def test_the_migration_stamps_existing_decisions_from_the_audit_trail(ledger):
    import importlib

    backfill = importlib.import_module("wengang.casework.migrations.versions.0003_h1_changed_at").backfill
    ids = to_payable(ledger, 3)
    ledger.run_payment_batch("b1", "fanhuan", 2025, "cashier", today=date(2025, 11, 1), decision_ids=ids[:1])
    ledger.hold(ids[1], "cw", reason="缓缴未补足")
    ledger.import_decisions(RUN, [decision(7)], "screener")
    everyone = [r["id"] for r in ledger.read(select_decisions(Filter()))]
    with ledger.engine.begin() as c:
        c.execute(update(Decision.__table__).values(changed_at=None))
        backfill(c)
    stamped = {r["id"]: r["changed_at"] for r in ledger.read(select_decisions(Filter()))}
    for i in everyone:
        assert stamped[i] == ledger.decision(i)["history"][-1]["at"], i
    assert ledger.verify_audit().ok


def test_a_selection_of_many_ids_is_read_in_pieces(ledger, monkeypatch):
    import wengang.casework.query as q

    monkeypatch.setattr(q, "ID_CHUNK", 3)
    ledger.import_decisions(RUN, [decision(i) for i in range(8)], "screener")
    ids = [r["id"] for r in ledger.read(select_decisions(Filter()))]
    wanted = tuple(reversed(ids[1:]))
    assert [r["id"] for r in find(ledger.read, Filter(ids=wanted))] == ids[1:]
    assert [r["id"] for r in find(ledger.read, Filter(ids=wanted, limit=4))] == ids[1:5]

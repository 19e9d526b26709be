"""Session 49: after a bulk write (an import, the notices, a list's review) PostgreSQL's planner statistics of the
tables written are refreshed, so the next steps read a chunk of ids by the key, not by the state index the stale
statistics favoured (0.55 s against 7 ms a query at 1 M decisions). Below the threshold, and on SQLite, nothing."""

from __future__ import annotations

from ledger_helpers import DEADLINE, RUN, TODAY, decision
from sqlalchemy import event, text

from wengang.casework import ledger as ledger_module


def _analysed(led, table: str) -> bool:
    with led.engine.connect() as c:
        return c.execute(text("select last_analyze is not null from pg_stat_user_tables "
                              "where relname = :t and schemaname = current_schema()"), {"t": table}).scalar_one()


def test_bulk_writes_refresh_the_statistics_on_postgresql(pg_db, monkeypatch):
    from ledger_helpers import register_staff

    led = register_staff(pg_db.open())
    try:
        monkeypatch.setattr(ledger_module, "_ANALYZE_AFTER", 3)
        led.import_decisions(RUN, [decision(i) for i in range(2)], "clerk")
        assert not _analysed(led, "case_decisions")  # two rows: below the threshold
        led.import_decisions(RUN, [decision(i) for i in range(2, 6)], "clerk")
        assert _analysed(led, "case_decisions")
        assert not _analysed(led, "case_outbox")
        led.notify("fanhuan", 2025, "clerk", deadline=DEADLINE, channels=("sms",))
        assert _analysed(led, "case_outbox")
        ids = [led.find(program="fanhuan", year=2025, unit_id=decision(i).unit_id) for i in range(6)]
        assert led.confirm_many(ids, "clerk", today=TODAY) == 6
        assert not _analysed(led, "case_reviews")
        assert led.review_many(ids, "clerk", stage=1, approve=True, reason="初审通过") == 6
        assert _analysed(led, "case_reviews")
    finally:
        led.close()


def test_sqlite_is_left_alone(tmp_path, monkeypatch):
    from ledger_helpers import register_staff

    from wengang.casework import Ledger

    led = register_staff(Ledger.open(f"sqlite:///{tmp_path / 'l.db'}"))
    try:
        monkeypatch.setattr(ledger_module, "_ANALYZE_AFTER", 1)
        ran: list[str] = []

        def record(conn, cursor, statement, *a):
            ran.append(statement)

        event.listen(led.engine, "before_cursor_execute", record)
        try:
            assert led.import_decisions(RUN, [decision(i) for i in range(3)], "clerk").inserted == 3
        finally:
            event.remove(led.engine, "before_cursor_execute", record)
        assert ran and not any("ANALYZE" in s.upper() for s in ran)
    finally:
        led.close()

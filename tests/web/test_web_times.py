"""Times on the pages are Beijing wall time, whatever the ledger stores (UTC ISO text)."""

from wengang.web.pages.common import beijing_time


def test_utc_ledger_time_shown_as_beijing_time() -> None:
    assert beijing_time("2026-12-04T17:15:50+00:00") == "2026-12-05 01:15:50"
    assert beijing_time("2026-12-04T17:15:50") == "2026-12-05 01:15:50"  # naive ledger text is UTC
    assert beijing_time("2026-12-05T01:15:50+08:00") == "2026-12-05 01:15:50"


def test_unreadable_time_is_shown_as_given() -> None:
    assert beijing_time("not a time") == "not a time"
    assert beijing_time(None) == ""

"""Today's date in Beijing: the date every form default, deadline, letter and report of the product uses.

A server or a job runs on UTC; between 00:00 and 08:00 Beijing its ``date.today()`` is yesterday here, which had
dated forms a day early and let a 公示 posted with the default start end a day short (web audit, session 39)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

BEIJING = timezone(timedelta(hours=8))  # China has had no daylight saving since 1991


def beijing_today() -> date:
    return datetime.now(BEIJING).date()

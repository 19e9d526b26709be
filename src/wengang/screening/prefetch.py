"""The monthly rows read while the command line is still being parsed: `wengang screen`'s first read, started early.

A screen's first read waited for ≈ 0.13 s of Python on the main thread after Polars' import: Typer's import and parse
(with pydantic's import), the program's module, the policy set's paths, the readings checked. Polars releases the GIL
while it reads, so that Python costs almost nothing when it runs beside a read. ``wengang.cli`` therefore calls
:func:`start` as it is imported, before Typer: when the command line plainly asks for a one-partition screen of a
Parquet monthly file, the file is opened as the run opens it (``pipeline._read``), counted and read on a thread of
its own. The run takes what was read only if it opens the very same source (:func:`take`, by the source Typer
parsed) and reads it in one partition (:func:`rows`); otherwise it is let go and the run reads as it always did.
The early read reports nothing: a bad file, a refusal of the command line, a failure of any kind is met again, and
reported, where the run meets it. See docs/decisions.md, "`wengang screen`'s edges" (session 28).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import Future
from typing import Any

OPTION = "--contributions"
# options that make the run read the monthly rows otherwise (several partitions, another table, another program):
# a command line with any of them is left alone
DECLINE = ("--help", "--facts", "--header-map", "--encoding", "--partitions", "--memory-limit", "--program", "-p", "--")

_lock = threading.Lock()
# "raw": the RawTable opened early; "counted", "rows": Futures of its count and its rows (None when not read whole);
# "taken": the run took the RawTable
_early: dict[str, Any] = {}


def _source(argv: Sequence[str]) -> str | None:
    """The monthly rows' source on a command line that plainly asks for a screen of raw tables for the default program
    in one partition, else None."""
    if len(argv) < 3 or argv[1] != "screen":
        return None
    found: list[str] = []
    args = list(argv[2:])
    for i, a in enumerate(args):
        if any(a == d or a.startswith(d + "=") or (d == "-p" and a.startswith("-p")) for d in DECLINE):
            return None
        if a == OPTION and i + 1 < len(args):
            found.append(args[i + 1])
        elif a.startswith(OPTION + "="):
            found.append(a[len(OPTION) + 1 :])
    return found[0] if len(found) == 1 and found[0] and not found[0].startswith("-") else None


def start(argv: Sequence[str]) -> bool:
    """Open the monthly rows named by ``argv`` and start reading them on a thread; True when started."""
    path = _source(argv)
    if path is None:
        return False
    from wengang.ingest.files import is_parquet

    if not is_parquet(path):  # a CSV or workbook is transcoded or split first; a database URL is left alone
        return False
    from wengang.screening import pipeline

    try:
        raw = pipeline._read("contributions", pipeline.TableSource(path))
    except Exception:  # noqa: BLE001 - the run opens it again and reports what is wrong
        return False
    counted: Future[int] = Future()
    rows: Future[Any] = Future()

    def read() -> None:
        for future, work in ((counted, lambda: pipeline._count(raw)), (rows, lambda: _whole(raw, counted.result()))):
            try:
                future.set_result(work())
            except BaseException as exc:  # noqa: BLE001 - raised again where the run counts or reads
                future.set_exception(exc)

    with _lock:
        _early.update(raw=raw, counted=counted, rows=rows)
    threading.Thread(target=read, name="wengang-prefetch", daemon=True).start()
    return True


def _whole(raw: Any, n: int) -> Any:
    from wengang.screening.pipeline import ROWS_PER_PARTITION

    # more rows than one partition holds: the run reads them partition by partition, not whole
    return raw.frame.collect(engine="streaming") if n <= ROWS_PER_PARTITION else None


def take(source: Any) -> Any:
    """The monthly rows' RawTable opened early, if ``source`` (a ``TableSource``) names what was opened, else None;
    once only."""
    with _lock:
        raw = _early.get("raw")
        same = (
            raw is not None
            and not _early.get("taken")
            and getattr(source, "path", None) == raw.source_file
            and all(getattr(source, k, None) is None for k in ("encoding", "sheet", "table", "query", "header_map"))
        )
        if not same:
            _early.clear()
            return None
        _early["taken"] = True
        return raw


def count(raw: Any) -> int | None:
    """The number of rows of ``raw`` if it is the table opened early (waits for its count), else None."""
    with _lock:
        counted = _early.get("counted") if _early.get("raw") is raw and _early.get("taken") else None
    return None if counted is None else counted.result()


def rows(raw: Any) -> Any:
    """The rows of ``raw`` as read early (a DataFrame; waits for them), or None when ``raw`` is not the table opened
    early or it was not read whole. Once only: what was read is not kept here."""
    with _lock:
        future = _early.get("rows") if _early.get("raw") is raw and _early.get("taken") else None
        _early.clear()
    return None if future is None else future.result()

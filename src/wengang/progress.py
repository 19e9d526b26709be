"""Progress of long steps: a Rich bar on a terminal, plain timestamped lines in logs.

    with step("筛查 第2步/共3步 校验与特征", total=n_rows, unit="行") as s:
        for part in parts:
            ...
            s.advance(part.height)

A step that is over within ``SHOW_AFTER`` seconds leaves no trace. A longer one shows, on stderr:

* when stderr is a terminal, a Rich progress bar with counts, rate, time used and time left;
* otherwise (a pipe, a log file, cron) plain lines, one every ``LOG_EVERY`` seconds and one at the end::

    [2025-08-01 14:03:05] 筛查 第2步/共3步 校验与特征 120000/500000 行（24%，40000 行/秒，预计还需 10秒）
    [2025-08-01 14:03:15] 筛查 第2步/共3步 校验与特征 完成：500000 行，用时 12秒（41667 行/秒）

Times are Beijing time (Asia/Shanghai), whatever the server's zone. Steps show only where the command line
turned progress on (:func:`enable`, done for every ``wengang`` command): library callers and tests stay quiet
unless they pass ``enabled=True``. Nothing here imports Rich until a bar is actually shown.

A caller that is not a terminal (the web service's screening jobs) follows the steps opened in its thread
with :func:`observe`: the callback gets the innermost open step's label, count and total when a step opens or
closes, and at most every ``every`` seconds in between — shown or not.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import IO, Any

SHOW_AFTER = 1.0  # seconds: quicker steps show nothing
LOG_EVERY = 10.0  # seconds between plain lines

_enabled = False
_lock = threading.RLock()
_bar: Any = None  # the one Rich Progress shown while any step is open (steps may nest)
_open_steps = 0
_local = threading.local()  # .observer: the Observer of steps opened in this thread (``observe``)


def _beijing() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("Asia/Shanghai")
    except Exception:  # noqa: BLE001 - no tz database (Windows without tzdata): China has kept UTC+8 since 1991
        return timezone(timedelta(hours=8), "CST")


BEIJING = _beijing()


def enable(on: bool = True) -> None:
    """Show steps from now on (the CLI does this for each command and turns it off afterwards)."""
    global _enabled
    _enabled = on


def now_text() -> str:
    return datetime.now(UTC).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def duration_text(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{max(seconds, 0):.1f}秒" if seconds < 10 else f"{s}秒"
    if s < 3600:
        return f"{s // 60}分{s % 60:02d}秒"
    return f"{s // 3600}小时{s % 3600 // 60:02d}分"


class Step:
    """One step in progress: ``advance`` and ``update`` are cheap, call them as often as you like."""

    def __init__(self, label: str, total: int | None, unit: str, stream: IO[str], terminal: bool):
        self.label, self.total, self.unit = label, total, unit
        self.done = 0
        self._stream, self._terminal = stream, terminal
        self._t0 = time.monotonic()
        self._task: Any = None  # the Rich task, once shown
        self._printed = False
        self._finished = threading.Event()
        self._ticker = threading.Thread(target=self._tick, name="wengang-progress", daemon=True)
        self._observer: Observer | None = getattr(_local, "observer", None)  # kept: updates may come from threads

    # --------------------------------------------------------------- caller
    def advance(self, n: int = 1) -> None:
        self.done += n
        self._refresh()

    def update(self, *, done: int | None = None, total: int | None = None, label: str | None = None) -> None:
        if done is not None:
            self.done = done
        if total is not None:
            self.total = total
        if label is not None:
            self.label = label
        self._refresh()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._t0

    # ------------------------------------------------------------- internal
    def _refresh(self) -> None:
        if self._observer is not None:
            self._observer.report(self)
        task = self._task
        if task is not None:
            _bar.update(task, completed=self.done, total=self.total, description=self.label,
                        known_total=self.total is not None, count=self.done)

    def _tick(self) -> None:
        if self._finished.wait(SHOW_AFTER):
            return
        if self._terminal:
            self._show_bar()
            return
        while True:
            self._line(self._status())
            if self._finished.wait(LOG_EVERY):
                return

    def _show_bar(self) -> None:
        global _bar
        with _lock:
            if self._finished.is_set():
                return
            if _bar is None:
                _bar = _new_bar(self._stream)
                _bar.start()
            self._task = _bar.add_task(
                self.label, total=self.total, completed=self.done, unit=self.unit, t0=self._t0, end=None,
                ok=True, known_total=self.total is not None, count=self.done,
            )

    def _line(self, text: str) -> None:
        with _lock:
            self._stream.write(f"[{now_text()}] {self.label} {text}\n")
            self._stream.flush()
            self._printed = True

    def _status(self) -> str:
        elapsed, u = self.elapsed, self.unit
        rate = self.done / elapsed if elapsed > 0 else 0.0
        if self.total:
            left = f"，预计还需 {duration_text((self.total - self.done) / rate)}" if rate > 0 else ""
            pct = 100 * self.done // self.total
            return f"{self.done}/{self.total} {u}（{pct}%，{rate:.0f} {u}/秒{left}）"
        if self.done:
            return f"已处理 {self.done} {u}（{rate:.0f} {u}/秒，已用 {duration_text(elapsed)}）"
        return f"进行中（已用 {duration_text(elapsed)}）"

    def _close(self, ok: bool) -> None:
        self._finished.set()
        self._ticker.join()
        elapsed = self.elapsed
        if self._task is not None:
            # a step of unknown size shows a full bar once it is over
            total = self.total if self.total is not None else max(self.done, 1)
            _bar.update(self._task, completed=self.done if self.total is not None else total, total=total,
                        end=time.monotonic(), ok=ok, count=self.done)
            _bar.stop_task(self._task)
        elif not self._terminal and (self._printed or elapsed >= SHOW_AFTER):
            if not ok:
                self._line(f"中断：{self.done} {self.unit}，用时 {duration_text(elapsed)}")
            elif self.done:
                rate = f"（{self.done / elapsed:.0f} {self.unit}/秒）" if elapsed > 0 else ""
                self._line(f"完成：{self.done} {self.unit}，用时 {duration_text(elapsed)}{rate}")
            else:
                self._line(f"完成，用时 {duration_text(elapsed)}")


class Observer:
    """Reports the innermost open step to ``callback(snapshot)`` (see ``snapshot``); see :func:`observe`."""

    def __init__(self, callback: Any, every: float):
        self.callback, self.every = callback, every
        self._open: list[Step] = []
        self._last = 0.0
        self._lock = threading.Lock()

    @staticmethod
    def snapshot(s: Step) -> dict[str, Any]:
        elapsed = s.elapsed
        return {"label": s.label, "done": s.done, "total": s.total, "unit": s.unit,
                "percent": (100 * s.done // s.total) if s.total else None,
                "rate_per_s": round(s.done / elapsed) if elapsed > 0 and s.done else None,
                "elapsed_s": round(elapsed, 1)}

    def report(self, s: Step | None = None, *, force: bool = False) -> None:
        with self._lock:
            now = time.monotonic()
            if not force and now - self._last < self.every:
                return
            top = self._open[-1] if self._open else s
            if top is None or (s is not None and s is not top and not force):
                return  # an outer step's count while an inner one runs: the inner one is shown
            self._last = now
        self.callback(self.snapshot(top))

    def opened(self, s: Step) -> None:
        with self._lock:
            self._open.append(s)
        self.report(s, force=True)

    def closed(self, s: Step) -> None:
        with self._lock:
            if s in self._open:
                self._open.remove(s)
        self.report(s, force=True)


@contextmanager
def observe(callback: Any, *, every: float = 1.0) -> Iterator[Observer]:
    """Within the block, steps opened in this thread report to ``callback(snapshot)``: ``snapshot`` is a dict
    with ``label``, ``done``, ``total``, ``unit``, ``percent``, ``rate_per_s`` and ``elapsed_s``."""
    before = getattr(_local, "observer", None)
    obs = Observer(callback, every)
    _local.observer = obs
    try:
        yield obs
    finally:
        _local.observer = before


@contextmanager
def _observed(s: Step) -> Iterator[None]:
    if s._observer is None:
        yield
        return
    s._observer.opened(s)
    try:
        yield
    finally:
        s._observer.closed(s)


@contextmanager
def step(label: str, *, total: int | None = None, unit: str = "行", enabled: bool | None = None) -> Iterator[Step]:
    """A long step; shown (on stderr) only when enabled and still running after ``SHOW_AFTER`` seconds."""
    with _observed(s := Step(label, total, unit, sys.stderr, terminal=_is_terminal(sys.stderr))):
        with _shown(s, enabled) as shown:
            yield shown


@contextmanager
def _shown(s: Step, enabled: bool | None) -> Iterator[Step]:
    global _bar, _open_steps
    if not (_enabled if enabled is None else enabled):
        yield s
        return
    with _lock:
        _open_steps += 1
    s._ticker.start()
    ok = False
    try:
        yield s
        ok = True
    finally:
        s._close(ok)
        with _lock:
            _open_steps -= 1
            if _open_steps == 0 and _bar is not None:
                _bar.stop()
                _bar = None


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _new_bar(stream: IO[str]) -> Any:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, ProgressColumn, SpinnerColumn, TextColumn
    from rich.text import Text

    class Mark(SpinnerColumn):
        def render(self, task: Any) -> Any:
            if task.fields["end"] is None:
                return super().render(task)
            return Text("✔", style="green") if task.fields["ok"] else Text("✘", style="red")

    class Count(ProgressColumn):
        def render(self, task: Any) -> Text:
            unit, done = task.fields["unit"], task.fields["count"]
            if task.fields["known_total"]:
                return Text(f"{done:,}/{int(task.total):,} {unit}")
            return Text(f"{done:,} {unit}" if done else "")

    class Rate(ProgressColumn):
        def render(self, task: Any) -> Text:
            speed = (task.finished_speed or task.speed) if task.fields["count"] else None
            return Text(f"{speed:,.0f} {task.fields['unit']}/秒" if speed else "", style="cyan")

    class Times(ProgressColumn):
        def render(self, task: Any) -> Text:
            # from the step's start, not from when the bar appeared
            used = f"用时 {duration_text((task.fields['end'] or time.monotonic()) - task.fields['t0'])}"
            if task.fields["end"] or not task.fields["known_total"] or not task.speed:
                return Text(used, style="dim")
            return Text(f"{used}，剩余 {duration_text(task.time_remaining or 0)}", style="dim")

    return Progress(
        Mark(), TextColumn("{task.description}"), BarColumn(), Count(), Rate(), Times(), console=Console(file=stream),
        # stdout that goes to a file or a pipe stays there (Rich would route it through the bar's terminal)
        redirect_stdout=_is_terminal(sys.stdout),
    )

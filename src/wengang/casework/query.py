"""Finding decisions: one ``Filter`` → one SQLAlchemy SELECT, used by ``case list`` and by every bulk action.

The criteria are read from what a caseworker types (Chinese state and size-class names, amounts in 元,
dates in Beijing time) by the ``parse_*`` functions, which refuse anything they cannot read exactly with a
``LedgerError`` naming the option. ``select_decisions`` is pure: it builds the statement, the ledger runs it
(``Ledger.read``).

Amounts are the decision's current entitlement (the latest recomputation, else the rules' amount), in fen.
"最近变更" is ``case_decisions.changed_at`` (UTC, ISO 8601), shown and filtered in Asia/Shanghai time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Select, func, or_, select

from .errors import LedgerError
from .models import Decision, Recomputation
from .states import STATE_ZH

# Asia/Shanghai: UTC+8 without daylight saving since 1991, so a fixed offset is exact for every ledger date
# (and needs no tz database on the machine).
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")
SIZE_CLASS_ZH = {"large": "大型企业", "medium": "中型企业", "small": "小型企业", "micro": "微型企业"}
ID_CHUNK = 5000  # ids per IN (…): below SQLite's and PostgreSQL's bound-parameter limits

D = Decision.__table__.c
R = Recomputation.__table__.c


def _bad(option: str, zh: str, en: str) -> LedgerError:
    return LedgerError("bad_input", f"{option}：{zh}", f"{option}: {en}")


@dataclass(frozen=True)
class Filter:
    """Which decisions. Every criterion given must hold (AND); several states are alternatives (OR)."""

    states: tuple[str, ...] = ()
    program: str | None = None
    year: int | None = None
    region: str | None = None  # region code prefix: 15 → all of 内蒙古, 1501 → 呼和浩特
    size_class: str | None = None
    run_id: int | None = None
    reason: str | None = None  # substring of the explanation or of the hold reason
    min_fen: int | None = None  # inclusive (以上)
    max_fen: int | None = None  # inclusive (以下)
    date_from: date | None = None  # last change on or after this Beijing-time day
    date_to: date | None = None  # last change on or before this Beijing-time day
    unit: str | None = None  # a unit id, or part of the unit's name
    ids: tuple[int, ...] | None = None  # only these decisions (from --ids or a decision id)
    limit: int | None = None

    def criteria(self) -> bool:
        """Whether anything narrows the selection (besides the limit)."""
        return any(getattr(self, f.name) not in (None, ()) for f in fields(self) if f.name != "limit")


# ------------------------------------------------------------------ parsing what people type
def parse_states(values: Iterable[str]) -> tuple[str, ...]:
    """State codes or Chinese names (``已确认``, ``暂缓发放``, ``待复审``), several per option separated by commas."""
    out: list[str] = []
    for value in values:
        for part in re.split(r"[,，、]", value):
            part = part.strip()
            if part:
                code = _state(part)
                if code not in out:
                    out.append(code)
    return tuple(out)


def _state(text: str) -> str:
    if text in STATE_ZH:
        return text
    for code, zh in STATE_ZH.items():
        # a held decision is shown with why it is held (states.held_zh: 暂缓发放（缓缴待补足）…): its name is the part
        # before the bracket
        if text in (zh, zh.split("（")[0]) or text.split("（")[0] == zh:
            return code
    hits = [code for code, zh in STATE_ZH.items() if text in zh]
    if len(hits) == 1:
        return hits[0]
    known = "、".join(STATE_ZH.values())
    if hits:
        which = "、".join(STATE_ZH[c] for c in hits)
        raise _bad("--state", f"“{text}”可指 {which}，请写完整", f"{text!r} is ambiguous: {hits}")
    raise _bad("--state", f"无法识别的状态“{text}”（可用：{known}，或英文代码）",
               f"unknown state {text!r}; one of {list(STATE_ZH)}")


def parse_size_class(text: str | None) -> str | None:
    """``small`` / ``小型`` / ``小型企业`` → ``small``."""
    if text is None:
        return None
    t = text.strip()
    for code, zh in SIZE_CLASS_ZH.items():
        if t.lower() == code or t in (zh, zh[:2], zh[:1]):
            return code
    raise _bad("--size-class", f"无法识别的企业划型“{text}”（可用：大型、中型、小型、微型）",
               f"unknown size class {text!r}; one of {list(SIZE_CLASS_ZH)}")


_YUAN = re.compile(r"\d{1,3}(,\d{3})+(\.\d+)?|\d+(\.\d+)?")


def parse_yuan(text: str | None, option: str) -> int | None:
    """``1000`` / ``1000.50`` / ``1,000.5元`` → fen, exactly (Decimal); more than two decimals is refused."""
    if text is None:
        return None
    t = text.strip()
    t = t[:-1].strip() if t.endswith("元") else t
    if not _YUAN.fullmatch(t):
        raise _bad(option, f"“{text}”不是金额，应写作元，如 1000、1000.50 或 1000元",
                   f"{text!r} is not an amount in yuan (e.g. 1000, 1000.50, 1000元)")
    d = Decimal(t.replace(",", ""))
    fen = d * 100
    if fen != fen.to_integral_value():
        raise _bad(option, f"“{text}”超过两位小数（金额精确到分）", f"{text!r} has more than two decimal places")
    return int(fen)


def parse_day(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    from wengang.inputs import InputError, parse_date

    try:
        return parse_date(text, option, option)  # the one date reader: 2025-08-01, 2025/8/1, 2025年8月1日 …
    except InputError as exc:
        raise _bad(option, exc.zh, exc.en) from None


def day_start_utc(day: date) -> str:
    """The UTC ISO text of 00:00 Beijing time on ``day``, in ``changed_at``'s format (so texts compare as times)."""
    return datetime.combine(day, time(), SHANGHAI).astimezone(UTC).isoformat(timespec="microseconds")


def local_time(iso: str | None) -> str:
    """``2026-12-04T13:35:10.123456+00:00`` → ``2026-12-04 21:35:10`` (Beijing time)."""
    if not iso:
        return "—"
    return datetime.fromisoformat(iso).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")


ID_COLUMNS = ("决定号", "decision_id")
# the XLSX writer's own 合计 / 控制数 rows below the data (documents/xlsx.py): not ids, skipped when read back
_CONTROL_ROW = ("合计", "控制数")


def read_ids(path: Path) -> tuple[int, ...]:
    """Decision ids from a file: one per line, or a CSV / XLSX with a 决定号 (or decision_id) column.

    Blank cells and ``#`` comment lines are skipped; anything else that is not a positive integer is refused,
    naming the line or row. Repeated ids count once; the order of the file is kept."""
    path = Path(path)
    if not path.is_file():
        raise _bad("--ids", f"找不到文件 {path}", f"no such file: {path}")
    kind = path.suffix.lower()
    cells = _xlsx_cells(path) if kind in (".xlsx", ".xlsm") else _csv_cells(path) if kind == ".csv" else _line_cells(path)
    out: dict[int, None] = {}
    for where, value in cells:
        if value is None or (isinstance(value, str) and (not value.strip() or value.strip().startswith(_CONTROL_ROW))):
            continue
        out.setdefault(_id(value, path, where), None)
    if not out:
        raise _bad("--ids", f"文件 {path.name} 中没有决定号", f"{path.name} holds no decision id")
    return tuple(out)


def _id(value: Any, path: Path, where: str) -> int:
    v: Any = value
    if isinstance(v, float) and v.is_integer():  # a spreadsheet's number cell
        v = int(v)
    if isinstance(v, str) and v.strip().isdigit():
        v = int(v.strip())
    if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
        raise _bad("--ids", f"{path.name} {where}：“{str(value)[:20]}”不是决定号（应为正整数）",
                   f"{path.name} {where}: {str(value)[:20]!r} is not a decision id (a positive integer)")
    return v


def _header_index(header: Sequence[Any]) -> int | None:
    names = [str(h).strip() if h is not None else "" for h in header]
    for name in ID_COLUMNS:
        if name in names:
            return names.index(name)
    return None


def _line_cells(path: Path) -> list[tuple[str, Any]]:
    lines = _text(path).splitlines()
    out: list[tuple[str, Any]] = []
    for n, line in enumerate(lines, start=1):
        t = line.strip()
        if t.startswith("#") or (not out and t in ID_COLUMNS):
            continue
        out.append((f"第 {n} 行", t))
    return out


def _csv_cells(path: Path) -> list[tuple[str, Any]]:
    """The 决定号 (decision_id) column of a CSV file, or each row of a one-column list without that header, read
    by the shared reader (:func:`wengang.ingest.files.read_frame`): UTF-8, GBK or GB18030 detected, a file of two
    encodings, a row with more or fewer fields than the header or a stray quote refused naming file and line
    (never a missing field read as empty), blank rows skipped. A row's line is its record number + 1."""
    from wengang.ingest import IngestError
    from wengang.ingest.files import named_read_errors, read_frame

    if not path.read_bytes().strip():
        return []
    try:
        frame = read_frame(path)
        col = _header_index(frame.columns)
        if col is None and len(frame.columns) > 1:
            raise _bad("--ids", f"{path.name} 没有“决定号”或 decision_id 列", f"{path.name} has no 决定号 / decision_id column")
        name = frame.columns[0 if col is None else col]
        with named_read_errors([frame.source]):
            df = frame.lf.select("source_row", name).collect()
    except IngestError as exc:
        raise _bad("--ids", exc.message_zh, exc.message_en) from None
    cells = [(f"第 {int(n) + 1} 行", v) for n, v in df.iter_rows()]
    if col is None:  # a one-column list without a header: its first line is an id too
        cells.insert(0, ("第 1 行", name))
    return cells


def _xlsx_cells(path: Path) -> list[tuple[str, Any]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook is the same input error
        raise _bad("--ids", f"无法读取 {path.name}（{type(exc).__name__}）", f"cannot read {path.name}: {exc}") from None
    try:
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
    finally:
        wb.close()
    for h, header in enumerate(rows[:10]):  # a title row may stand above the header
        col = _header_index(header)
        if col is not None:
            return [(f"第 {n} 行", r[col] if col < len(r) else None)
                    for n, r in enumerate(rows[h + 1:], start=h + 2)]
    raise _bad("--ids", f"{path.name} 没有“决定号”或 decision_id 列", f"{path.name} has no 决定号 / decision_id column")


def _text(path: Path) -> str:
    data = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise _bad("--ids", f"{path.name} 不是 UTF-8 或 GB18030 文本", f"{path.name} is neither UTF-8 nor GB18030 text")


# ------------------------------------------------------------------ the statement
def amount_sql() -> Any:
    """The entitlement in fen: the latest recomputation's amount, else the rules' amount."""
    latest = select(R.new_amount_fen).where(R.decision_id == D.id).order_by(R.seq.desc()).limit(1).scalar_subquery()
    return func.coalesce(latest, D.amount_fen)


def size_class_sql() -> Any:
    latest = select(R.new_size_class).where(R.decision_id == D.id).order_by(R.seq.desc()).limit(1).scalar_subquery()
    return func.coalesce(latest, D.size_class)


def conditions(f: Filter) -> list[Any]:
    c: list[Any] = []
    if f.states:
        c.append(D.state.in_(list(f.states)))
    if f.program is not None:
        c.append(D.program == f.program)
    if f.year is not None:
        c.append(D.year == f.year)
    if f.region:
        c.append(D.region_code.startswith(f.region, autoescape=True))
    if f.size_class is not None:
        c.append(size_class_sql() == f.size_class)
    if f.run_id is not None:
        c.append(D.run_id == f.run_id)
    if f.reason:
        c.append(or_(D.explanation.contains(f.reason, autoescape=True),
                     D.hold_reason.contains(f.reason, autoescape=True)))
    if f.min_fen is not None:
        c.append(amount_sql() >= f.min_fen)
    if f.max_fen is not None:
        c.append(amount_sql() <= f.max_fen)
    if f.date_from is not None:
        c.append(D.changed_at >= day_start_utc(f.date_from))
    if f.date_to is not None:
        c.append(D.changed_at < day_start_utc(f.date_to + timedelta(days=1)))
    if f.unit:
        c.append(or_(D.unit_id == f.unit.strip().upper(), D.unit_name.contains(f.unit.strip(), autoescape=True)))
    if f.ids is not None:
        c.append(D.id.in_(list(f.ids)))
    return c


def select_decisions(f: Filter) -> Select:
    """The decisions ``f`` selects, in id order, with what a list shows and a bulk action needs."""
    q = select(
        D.id, D.unit_id, D.unit_name, D.program, D.year, D.state, amount_sql().label("amount_fen"),
        size_class_sql().label("size_class"), D.region_code, D.run_id, D.policy_doc, D.origin,
        D.changed_at, D.hold_reason, D.account_no.is_not(None).label("has_account"),
    ).where(*conditions(f)).order_by(D.id)
    return q.limit(f.limit) if f.limit is not None else q


def select_summary(f: Filter) -> Select:
    """(count, total fen) of the decisions ``f`` selects (the limit applied)."""
    sub = select_decisions(f).subquery()
    return select(func.count(), func.coalesce(func.sum(sub.c.amount_fen), 0))


def chunks(f: Filter) -> list[Filter]:
    """``f`` split so that no statement carries more than ``ID_CHUNK`` ids (the limit left to the caller)."""
    if f.ids is None or len(f.ids) <= ID_CHUNK:
        return [f]
    ids = sorted(set(f.ids))
    return [replace(f, ids=tuple(ids[i:i + ID_CHUNK]), limit=None) for i in range(0, len(ids), ID_CHUNK)]


def find(read: Any, f: Filter) -> list[dict[str, Any]]:
    """Run the selection with ``read`` (``Ledger.read``), however many ids it names; rows in id order."""
    parts = chunks(f)
    if len(parts) == 1:
        return read(select_decisions(f))
    rows = [r for p in parts for r in read(select_decisions(p))]
    rows.sort(key=lambda r: r["id"])
    return rows[: f.limit] if f.limit is not None else rows


def total_fen(rows: Sequence[dict[str, Any]]) -> int:
    return sum(r["amount_fen"] or 0 for r in rows)

"""Screening runs started from the web: ``screening.pipeline.run_screening`` in a background thread.

A run reads a *registered* data folder (``WebConfig.data_folders``, by name) or one uploaded through the API
(kept under ``<work_dir>/uploads``); the browser never names a server path. The job's state, stage and summary
are rows of ``web_screening_jobs``, so any worker process can report a run another one started. While it runs,
the pipeline's steps (``wengang.progress``) are followed with ``progress.observe``: the job's ``stage`` is the
running step's label and ``progress`` its count (rows or units processed of how many, percent, rate), written at
most every ``PROGRESS_EVERY`` seconds. A server that stops mid-run leaves the job ``running``; ``recover`` marks
such jobs failed at start-up.
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import insert, select, update

from wengang.casework.errors import LedgerError
from wengang.casework.models import Base

from .accounts import iso

_T = Base.metadata.tables  # the tables, typed (mypy)

J = _T["web_screening_jobs"].c
UNIT_TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")
FILES = {"results.parquet", "results.xlsx", "quarantine.xlsx", "quarantine.parquet", "publicity.xlsx"}
SUFFIXES = (".parquet", ".csv", ".xlsx")
PROGRESS_EVERY = 1.0  # seconds between progress writes


def folders(cfg: Any) -> dict[str, str]:
    """The data folders a run may read: the registered ones and the uploads."""
    out = dict(cfg.data_folders)
    up = cfg.work_path / "uploads"
    if up.is_dir():
        out |= {f"upload-{p.name}": str(p) for p in sorted(up.iterdir()) if p.is_dir()}
    return out


def tables_in(folder: Path) -> dict[str, str]:
    """The unit tables a folder holds: ``units/`` (a folder of parts) or ``units.parquet|csv|xlsx``."""
    found = {}
    for name in UNIT_TABLES:
        if (folder / name).is_dir():
            found[name] = str(folder / name)
        else:
            for suf in SUFFIXES:
                if (folder / f"{name}{suf}").is_file():
                    found[name] = str(folder / f"{name}{suf}")
                    break
    return found


def save_upload(cfg: Any, files: dict[str, tuple[str, Any]]) -> str:
    """Keep uploaded tables (field name = table name; the content as bytes or a file object, copied in chunks) in a
    new folder; its registered name. Every name and file type is checked before the folder is made, and a copy that
    fails removes the folder, so a refused upload leaves nothing in the list of data folders."""
    import shutil

    bad = [k for k in files if k not in UNIT_TABLES]
    if bad or not files:
        raise LedgerError("bad_input", f"上传的表名应为：{'、'.join(UNIT_TABLES)}（收到：{'、'.join(bad) or '无'}）",
                          f"upload fields must be table names {UNIT_TABLES}; got {bad or 'none'}")
    for name, (filename, _data) in files.items():
        if Path(filename).suffix.lower() not in SUFFIXES:
            raise LedgerError("bad_input", f"{name} 的文件类型应为 parquet、csv 或 xlsx：{Path(filename).name}",
                              f"{name}: file type must be parquet, csv or xlsx: {Path(filename).name}")
    folder = cfg.work_path / "uploads" / uuid.uuid4().hex[:12]
    folder.mkdir(parents=True)
    try:
        for name, (filename, data) in files.items():
            with (folder / f"{name}{Path(filename).suffix.lower()}").open("wb") as out:
                if isinstance(data, bytes | bytearray):
                    out.write(data)
                else:
                    shutil.copyfileobj(data, out, 1024 * 1024)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return f"upload-{folder.name}"


def check_settings(settings: dict[str, Any]) -> None:
    """Refuse a setting the CLI's ``--setting`` would refuse (unknown name, value without its unit) before a job
    is recorded, rather than as a failed run (the run parses them again, ``_run``)."""
    from wengang.settings import SettingError, parse_settings

    try:
        parse_settings(settings)
    except SettingError as exc:
        zh, _, en = str(exc).partition(" / ")
        raise LedgerError("bad_input", f"地区设置有误：{zh}", f"bad region setting: {en or zh}") from None


def start(ledger: Any, cfg: Any, params: dict[str, Any], actor: str, *, wait: bool = False) -> int:
    """Record a job and run it in a thread (``wait``: run it here, for tests and the demo)."""
    known = folders(cfg)
    if params["folder"] not in known:
        raise LedgerError("not_found", f"找不到数据目录 {params['folder']}（可用：{'、'.join(known) or '无'}）",
                          f"no data folder {params['folder']!r}")
    src = Path(known[params["folder"]])
    if "units" not in tables_in(src):
        raise LedgerError("bad_input", f"数据目录 {params['folder']} 中没有参保单位表 units",
                          f"data folder {params['folder']} has no units table")
    check_settings(params.get("settings") or {})
    out = cfg.work_path / "runs" / uuid.uuid4().hex[:12]
    with ledger.engine.connect() as conn:
        conn = conn.execution_options(write=True)
        with conn.begin():
            jid = conn.execute(insert(_T["web_screening_jobs"]).values(
                state="queued", params=json.dumps(params, ensure_ascii=False), stage="排队中", out_dir=str(out),
                created_by=actor, created_at=iso(cfg.clock()))).inserted_primary_key[0]
    if wait:
        _run(ledger, cfg, int(jid), src, out, params)
    else:
        threading.Thread(target=_run, args=(ledger, cfg, int(jid), src, out, params), daemon=True,
                         name=f"wengang-screen-{jid}").start()
    return int(jid)


def _set(ledger: Any, jid: int, **values: Any) -> None:
    with ledger.engine.connect() as conn:
        conn = conn.execution_options(write=True)
        with conn.begin():
            conn.execute(update(_T["web_screening_jobs"]).where(J.id == jid).values(**values))


def _run(ledger: Any, cfg: Any, jid: int, src: Path, out: Path, params: dict[str, Any]) -> None:
    from wengang import progress
    from wengang.cli import _region_and_descendants
    from wengang.evaluate import parse_settings
    from wengang.programs import load_all
    from wengang.screening.pipeline import run_screening

    load_all()  # registers the interpretation switches

    _set(ledger, jid, state="running", stage="筛查中：校验、派生特征、判定")

    def follow(snap: dict[str, Any]) -> None:
        _set(ledger, jid, stage=str(snap["label"])[:200], progress=json.dumps(snap, ensure_ascii=False))

    try:
        day = date.fromisoformat(params["date"])
        region = params.get("region")
        with progress.observe(follow, every=PROGRESS_EVERY):
            report = run_screening(
                out, program=params.get("program", "fanhuan"), evaluation_date=day, policy_year=params.get("year"),
                tables=tables_in(src), readings=params.get("readings") or {},
                settings=parse_settings(params.get("settings") or {}),
                allowed_regions=_region_and_descendants(region) if region else None, excel=True,
                signing_key=cfg.signing_key)
    except Exception as exc:  # noqa: BLE001 - any failure is the job's result, shown to the caseworker
        from .errors import scrub_paths

        msg = str(exc.args[0]) if isinstance(exc, KeyError) and exc.args else str(exc)
        msg = scrub_paths(msg, str(cfg.work_path))  # the page shows ``uploads/…/units.csv``, not the server's path
        _set(ledger, jid, state="failed", stage="失败", error=msg[:2000] or type(exc).__name__,
             finished_at=iso(cfg.clock()))
        return
    summary = {"policies": report.policies, "summary": report.summary.to_dict(),
               "input": [{"table": r.table, "in": r.rows_in, "accepted": r.accepted, "quarantined": r.quarantined}
                         for r in report.reports]}
    _set(ledger, jid, state="done", stage="完成", summary=json.dumps(summary, ensure_ascii=False, default=str),
         finished_at=iso(cfg.clock()))


def recover(ledger: Any, cfg: Any) -> None:
    """Jobs a stopped server left queued or running are failed (their thread is gone)."""
    with ledger.engine.connect() as conn:
        conn = conn.execution_options(write=True)
        with conn.begin():
            conn.execute(update(_T["web_screening_jobs"]).where(J.state.in_(("queued", "running")))
                         .values(state="failed", stage="失败", error="服务重启，筛查中断，请重新发起",
                                 finished_at=iso(cfg.clock())))


def _size_classes(summary: Any) -> Any:
    """A run summary's units without a size class (未划型) under ``size_class: null``, never the text ``"None"`` the
    screening's summary wrote for them before session 42 (``str(None)``; outside web audit). Read back so that runs
    stored before say it too."""
    rows = ((summary or {}).get("summary") or {}).get("by_size_class") or []
    for r in rows:
        if isinstance(r, dict) and r.get("size_class") in ("None", "null", ""):
            r["size_class"] = None
    return summary


def job(ledger: Any, jid: int) -> dict[str, Any]:
    with ledger.engine.connect() as conn:
        row = conn.execute(select(_T["web_screening_jobs"]).where(J.id == jid)).mappings().first()
    if row is None:
        raise LedgerError("not_found", f"找不到筛查任务 {jid}", f"screening run {jid} not found")
    d = dict(row)
    d["params"] = json.loads(d["params"])
    d["summary"] = _size_classes(json.loads(d["summary"])) if d["summary"] else None
    d["progress"] = json.loads(d["progress"]) if d["progress"] else None
    d.pop("out_dir")
    return d


def jobs(ledger: Any, limit: int = 100) -> list[dict[str, Any]]:
    with ledger.engine.connect() as conn:
        ids = conn.execute(select(J.id).order_by(J.id.desc()).limit(limit)).scalars().all()
    return [job(ledger, i) for i in ids]


def out_dir(ledger: Any, jid: int) -> Path:
    with ledger.engine.connect() as conn:
        row = conn.execute(select(J.out_dir, J.state).where(J.id == jid)).first()
    if row is None:
        raise LedgerError("not_found", f"找不到筛查任务 {jid}", f"screening run {jid} not found")
    if row.state != "done":
        raise LedgerError("not_ready", f"筛查任务 {jid} 尚未完成（{row.state}）", f"screening run {jid} is not done ({row.state})")
    return Path(row.out_dir)


STATUSES = ("eligible", "ineligible", "needs_decision", "not_determinable")
PAGE_COLUMNS = ("credit_code", "name", "region_code", "size_class", "status", "amount_fen", "reasons", "policy_number",
                "policy_clause", "payment_hold")
# the rows a filter combination selects, by (results file, its size and time, filters): a run's results.parquet
# is written once, so they stay right; the file's size and time in the key retire them should it be replaced
_MATCHES: dict[tuple[Any, ...], Any] = {}  # key -> row numbers (pl.Series, UInt32), or None for every row
_MATCHES_MAX = 64
SLICE_GAP = 16_384  # rows: reading across a gap this long costs about as much as a second slice
MAX_SLICES = 4  # a page in more pieces than this is read by filtering again


def clear_cache() -> None:
    """Forget the cached matches (benchmarks: the first time a filter is asked for)."""
    _MATCHES.clear()


def _rows(path: Path, numbers: Any, conds: list[Any], lo: int, size: int) -> pl.DataFrame:
    """The page's columns of the given row numbers (ascending; rows ``lo`` to ``lo + size`` of the filtered
    results). Rows close together are read as slices of the file (Polars pushes a slice into the Parquet reader:
    a few milliseconds each); a page whose rows lie far apart (a rare filter) is read by scanning again with the
    filter pushed down and the page sliced off (the streaming engine stops when it has the page)."""
    import numpy as np

    nums = np.asarray(numbers, dtype=np.int64)
    if len(nums) == 0:
        return pl.DataFrame(schema={c: pl.String for c in PAGE_COLUMNS})
    cuts = np.flatnonzero(np.diff(nums) > SLICE_GAP) + 1
    scan = pl.scan_parquet(path)
    if len(cuts) >= MAX_SLICES and conds:
        frame = (scan.filter(pl.all_horizontal(conds)).select(*PAGE_COLUMNS).slice(lo, size)
                 .collect(engine="streaming"))
    else:
        groups = np.split(nums, cuts)
        parts = pl.collect_all([scan.select(*PAGE_COLUMNS).slice(int(g[0]), int(g[-1] - g[0] + 1)) for g in groups])
        frame = pl.concat([part[(g - g[0]).tolist()] for part, g in zip(parts, groups, strict=True)])
    return frame.with_columns(pl.col("status").cast(pl.String))


def reason_matches(reason: str | list[str] | tuple[str, ...]) -> Any:
    """The filter for a reason code, or for any of several codes sharing one text (``?layoff`` and
    ``?fund_reserve`` both say which region figures are missing: the page lists that text once)."""
    codes = [reason] if isinstance(reason, str) else list(reason)
    return pl.any_horizontal([pl.col("reasons").str.contains(c, literal=True) for c in codes])


def results(ledger: Any, jid: int, *, status: str | None, reason: str | list[str] | tuple[str, ...] | None,
            size_class: str | None,
            region: str | None, page: int, page_size: int) -> dict[str, Any]:
    """One page of a run's results, filtered; identifiers masked.

    The first time a filter combination is asked for, the row numbers it selects are found by a scan that reads
    only the filtered columns (a few tens of milliseconds for a million rows) and cached; its total is their
    count. A page is then those of its rows, read as slices of the file or by filtering again (``_rows``). No
    filter: every row,
    counted from the file's metadata."""
    from .auth import mask_id

    if status is not None and status not in STATUSES:
        raise LedgerError("bad_input", f"筛查结论应为：{'、'.join(STATUSES)}（收到：{status}）",
                          f"status must be one of {', '.join(STATUSES)}")
    path = out_dir(ledger, jid) / "results.parquet"
    st = path.stat()
    stamp = (str(path), st.st_size, st.st_mtime_ns)
    key = (*stamp, status, reason if reason is None or isinstance(reason, str) else tuple(reason), size_class, region)
    conds = []
    if status:
        conds.append(pl.col("status") == status)
    if size_class:
        conds.append(pl.col("size_class") == size_class)
    if region:
        conds.append(pl.col("region_code").str.starts_with(region))
    if reason:
        conds.append(reason_matches(reason))
    if key not in _MATCHES:
        if len(_MATCHES) >= _MATCHES_MAX:
            _MATCHES.clear()
        _MATCHES[key] = (pl.scan_parquet(path).with_row_index("row").filter(pl.all_horizontal(conds))
                         .select("row").collect().to_series()) if conds else None
    matches = _MATCHES[key]
    lo = (page - 1) * page_size
    if matches is None:
        total = pl.scan_parquet(path).select(pl.len()).collect().item()  # from the metadata
        numbers: Any = list(range(lo, min(lo + page_size, total)))
    else:
        total = len(matches)
        numbers = matches.slice(lo, page_size).to_numpy()
    rows = _rows(path, numbers, conds, lo, page_size).to_dicts()
    for r in rows:
        r["credit_code"] = mask_id(r["credit_code"])
        r["reasons"] = json.loads(r["reasons"]) if r["reasons"] and r["reasons"].startswith("[") else r["reasons"]
    return {"total": int(total), "page": page, "page_size": page_size, "items": rows}

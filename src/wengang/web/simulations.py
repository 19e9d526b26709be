"""Policy simulations started from the web: ``wengang simulate`` on a finished screening run, in a child process.

The population is a *done* screening run of this service (its ``features.parquet``; the run's own readings and
region settings hold for both sides, as ``--reading`` and ``--setting``); the change is parameters (``name=value``
with the unit, as ``--set``), an uploaded policy file not installed (a draft: ``--policy-path``, checked here first
by the loader, so a refused draft is refused at once with the loader's own messages), another evaluation date, or
several of these; the fund (balance and spending, with their unit) is optional (``--fund``).

Why a child process and not a thread: a policy file is put in place for a run by
``policies.loader.use_policy_set``, which swaps the *process's* policy set and empties caches keyed without it —
in a web worker every other request (an evaluation, a page citing a clause) would see the draft meanwhile. The
child is ``python -m wengang simulate … --out <folder> --json``: the CLI's own checks, messages and files
(``simulation.xlsx``, ``simulation.html``, ``simulation.json``), and its memory is given back when it ends.

A simulation is a folder ``<work_dir>/simulations/<id>/`` holding ``meta.json`` (state, parameters, who, when,
the child's pid) and, when done, the CLI's outputs, so any worker on the machine can show any run. One runs at a
time per service (``MAX_RUNNING``; the machine's cores are the screening's too). A worker that stops mid-run
leaves ``running`` in ``meta.json``; the state is then read from the child: gone with ``simulation.json``
written → done, gone without → failed.

Nothing here writes the ledger: no money moves and no decision changes; ``meta.json`` names who ran it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

from wengang.casework.errors import LedgerError

from . import jobs
from .accounts import iso

SIM_ID = re.compile(r"^[0-9a-f]{12}$")
MAX_RUNNING = 1
MAX_DRAFT_BYTES = 1024 * 1024
TIMEOUT_SECONDS = 3600
STARTING_SECONDS = 60  # a run recorded this recently without a child pid is still starting
FILES = {
    "xlsx": ("simulation.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "html": ("simulation.html", "text/html; charset=utf-8"),
}
_LOCK = threading.RLock()


def root(cfg: Any) -> Path:
    return cfg.work_path / "simulations"


def folder(cfg: Any, sid: str) -> Path:
    if not SIM_ID.fullmatch(sid or ""):
        raise LedgerError("not_found", f"找不到测算 {sid}", f"simulation {sid!r} not found")
    f = root(cfg) / sid
    if not (f / "meta.json").is_file():
        raise LedgerError("not_found", f"找不到测算 {sid}", f"simulation {sid!r} not found")
    return f


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - another user's process of that number
        return True
    return True


def _write_meta(f: Path, meta: dict[str, Any]) -> None:
    from wengang.atomic import atomic_path

    with atomic_path(f / "meta.json") as tmp:
        tmp.write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")


def get(cfg: Any, sid: str) -> dict[str, Any]:
    """The simulation's ``meta.json``, its state made current (a child gone without its thread: see module)."""
    f = folder(cfg, sid)
    meta = json.loads((f / "meta.json").read_text(encoding="utf-8"))
    if (
        meta["state"] == "running"
        and not _alive(meta.get("pid"))
        and not _thread_owns(sid)
        and not _starting(meta)
    ):
        done = (f / "simulation.json").is_file()
        meta |= {
            "state": "done" if done else "failed",
            "error": None if done else "测算进程已中断（服务重启？），请重新发起",
        }
    return meta


def _starting(meta: dict[str, Any]) -> bool:
    """Recorded but its child not yet started (another worker's thread is between the two writes)."""
    from datetime import UTC, datetime

    if meta.get("pid"):
        return False
    try:
        at = datetime.fromisoformat(meta["created_at"])
    except (KeyError, TypeError, ValueError):
        return False
    at = at if at.tzinfo else at.replace(tzinfo=UTC)
    return (datetime.now(UTC) - at).total_seconds() < STARTING_SECONDS


def result(cfg: Any, sid: str) -> dict[str, Any] | None:
    """The CLI's ``simulation.json`` of a finished simulation (None while it runs or when it failed)."""
    f = folder(cfg, sid) / "simulation.json"
    return json.loads(f.read_text(encoding="utf-8")) if f.is_file() else None


def listing(cfg: Any, limit: int = 50) -> list[dict[str, Any]]:
    r = root(cfg)
    if not r.is_dir():
        return []
    ids = [p.name for p in r.iterdir() if SIM_ID.fullmatch(p.name) and (p / "meta.json").is_file()]
    metas = [get(cfg, i) for i in ids]
    return sorted(metas, key=lambda m: m["created_at"], reverse=True)[:limit]


_RUNNING: set[str] = set()  # simulations this process's threads are waiting on


def _thread_owns(sid: str) -> bool:
    with _LOCK:
        return sid in _RUNNING


@contextlib.contextmanager
def _start_lock(cfg: Any) -> Iterator[None]:
    """An exclusive lock on ``simulations/.start.lock`` (the workers of a service share the work folder)."""
    import fcntl

    root(cfg).mkdir(parents=True, exist_ok=True)
    with open(root(cfg) / ".start.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _refuse(zh: str, en: str, code: str = "bad_input") -> LedgerError:
    return LedgerError(code, zh, en)


def parse_pairs(text: str, label: str) -> dict[str, str]:
    """``名称=取值`` lines (or ``；``-separated) → a mapping; a line without ``=`` is refused."""
    out: dict[str, str] = {}
    for line in (text or "").replace("；", "\n").replace(";", "\n").splitlines():
        if not line.strip():
            continue
        k, eq, v = line.partition("=")
        if not eq or not k.strip() or not v.strip():
            raise _refuse(
                f"{label}应写成“名称=取值”，每行一个：{line.strip()}",
                f"{label}: write name=value, one per line: {line.strip()!r}",
            )
        out[k.strip()] = v.strip()
    return out


def check_settings(pairs: dict[str, str]) -> None:
    """Refuse an unknown parameter or a value without its unit now, with the CLI's message."""
    from wengang.settings import SettingError, parse_settings

    try:
        parse_settings(pairs)
    except (SettingError, ValueError, KeyError, LookupError) as exc:
        raise _refuse(str(exc).strip("'\"").partition(" / ")[0], str(exc).strip("'\"")) from None


def check_draft(path: Path, shown: str) -> None:
    """The loader's checks on the uploaded policy file (with the shipped set): refused with its own messages."""
    from wengang.policies.errors import PolicyError
    from wengang.policies.loader import load_with_files

    try:
        load_with_files([path])
    except PolicyError as exc:
        msgs = [str(e).replace(str(path), shown) for e in exc.all_errors]
        zh = "；".join(m.partition(" / ")[0] for m in msgs)
        en = "; ".join(m.partition(" / ")[2] or m for m in msgs)
        raise LedgerError(
            "policy_refused", f"政策文件未通过校验：{zh}", f"the policy file does not check: {en}"
        ) from None


def fund_yaml(fund: dict[str, str]) -> str | None:
    """The fund fields (region, year, balance, spending with their unit, months) checked as ``FundInput.read``
    checks them; the YAML the CLI's ``--fund`` reads, or None when no field is given."""
    from wengang.regions import resolve_region
    from wengang.simulate import SimulationError, money

    given = {k: v for k, v in fund.items() if v}
    if not given:
        return None
    missing = [
        zh
        for k, zh in (
            ("region", "基金地区"),
            ("year", "基金年度"),
            ("balance", "滚存结余"),
            ("spending", "年度支出"),
        )
        if not fund.get(k)
    ]
    if missing:
        raise _refuse(
            f"基金数据须填全：缺少{'、'.join(missing)}",
            "fund: region, year, balance and spending are all needed",
        )
    try:
        region = resolve_region(fund["region"]).key
        money(fund["balance"], "滚存结余")
        money(fund["spending"], "年度支出")
    except LookupError as exc:
        raise _refuse(f"基金地区：{exc}", f"fund region: {exc}") from None
    except SimulationError as exc:
        zh, _, en = str(exc).partition(" / ")
        raise _refuse(zh, en or zh) from None
    year = int(fund["year"]) if str(fund["year"]).isdigit() else 0
    months = int(fund.get("months") or 12) if str(fund.get("months") or 12).isdigit() else 0
    if not 2000 <= year <= 2100 or not 1 <= months <= 12:
        raise _refuse(
            "基金年度应为 2000～2100 的年份，支出月数应为 1～12", "fund year: 2000..2100; months: 1..12"
        )
    return json.dumps(
        {
            "region": region,
            "year": year,
            "balance": fund["balance"],
            "spending": fund["spending"],
            "months": months,
            "source": "网页录入",
        },
        ensure_ascii=False,
    )


def population(ledger: Any, job_id: int) -> tuple[Path, dict[str, Any]]:
    """A done screening run's ``features.parquet`` and its parameters."""
    job = jobs.job(ledger, job_id)
    out = jobs.out_dir(ledger, job_id)  # refuses a run not done
    features = out / "features.parquet"
    if not features.is_file():
        raise LedgerError(
            "not_ready",
            f"第 {job_id} 次筛查没有派生特征（features.parquet），不能用作测算人群",
            f"screening run {job_id} kept no features.parquet",
        )
    return features, job["params"]


def start(
    ledger: Any,
    cfg: Any,
    *,
    job_id: int,
    settings: dict[str, str],
    variant_date: date | None,
    fund: dict[str, str],
    draft: tuple[str, bytes] | None,
    actor: str,
    wait: bool = False,
) -> str:
    """Check the inputs, keep them in a new simulation folder and run ``wengang simulate`` on them."""
    features, params = population(ledger, job_id)
    program = params.get("program") or "fanhuan"
    readings = dict(params.get("readings") or {})
    if not settings and draft is None and variant_date is None:
        raise _refuse(
            "请给出方案：改变的参数、政策文件（草稿）或方案审核日期",
            "give the variant: parameters, a policy file or a variant date",
        )
    check_settings(settings)
    fund_text = fund_yaml(fund)
    sid = uuid.uuid4().hex[:12]
    f = root(cfg) / sid
    f.mkdir(parents=True)
    draft_path = None
    draft_name = None
    try:
        if draft is not None:
            name, data = draft
            draft_name = re.sub(r"[^\w.\-]", "_", Path(name or "draft.yaml").name)[:80] or "draft.yaml"
            if not draft_name.lower().endswith((".yaml", ".yml")):
                raise _refuse(f"政策文件应为 YAML（.yaml）：{name}", f"the policy file must be YAML: {name}")
            if not data or len(data) > MAX_DRAFT_BYTES:
                raise _refuse("政策文件为空或超过 1 MB", "the policy file is empty or over 1 MB")
            draft_path = f / "policy" / draft_name
            draft_path.parent.mkdir()
            draft_path.write_bytes(data)
            check_draft(draft_path, draft_name)
        if fund_text is not None:
            (f / "fund.yaml").write_text(fund_text, encoding="utf-8")
    except BaseException:
        import shutil

        shutil.rmtree(f, ignore_errors=True)
        raise
    with _LOCK, _start_lock(cfg):  # the check and the record together, across this machine's workers
        busy = [m for m in listing(cfg) if m["state"] == "running"]
        if len(busy) >= MAX_RUNNING:
            import shutil

            shutil.rmtree(f, ignore_errors=True)
            raise LedgerError(
                "busy",
                "已有测算在运行，请等它完成后再发起（本机算力由筛查与测算共用）",
                "a simulation is already running; start another when it is done",
            )
        meta = {
            "id": sid,
            "state": "running",
            "job_id": job_id,
            "program": program,
            "date": params.get("date"),
            "variant_date": variant_date.isoformat() if variant_date else None,
            "settings": settings,
            "readings": readings,
            "draft": draft_name,
            "fund": fund_text is not None,
            "created_by": actor,
            "created_at": iso(cfg.clock()),
            "finished_at": None,
            "error": None,
            "pid": None,
        }
        _write_meta(f, meta)
        _RUNNING.add(sid)
    args = _command(features, f, program, params, settings, readings, variant_date, draft_path, fund_text)
    if wait:
        _run(cfg, f, meta, args)
    else:
        threading.Thread(
            target=_run, args=(cfg, f, meta, args), daemon=True, name=f"wengang-sim-{sid}"
        ).start()
    return sid


def _command(
    features: Path,
    f: Path,
    program: str,
    params: dict[str, Any],
    settings: dict[str, str],
    readings: dict[str, str],
    variant_date: date | None,
    draft: Path | None,
    fund: str | None,
) -> list[str]:
    """The CLI's arguments, every path absolute (the work folder may be given relative to the server's)."""
    features, f = features.resolve(), f.resolve()
    draft = draft.resolve() if draft is not None else None
    args = [
        sys.executable,
        "-m",
        "wengang",
        "simulate",
        str(features),
        "--out",
        str(f),
        "--program",
        program,
        "--json",
    ]
    if params.get("date"):
        args += ["--date", str(params["date"])]
    if variant_date is not None:
        args += ["--variant-date", variant_date.isoformat()]
    for k, v in settings.items():
        args += ["--set", f"{k}={v}"]
    for k, v in readings.items():
        args += ["--reading", f"{k}={v}"]
    for k, v in (params.get("settings") or {}).items():  # the run's region settings: the same for both sides
        args += ["--setting", f"{k}={v}"]
    if draft is not None:
        args += ["--policy-path", str(draft)]
    if fund is not None:
        args += ["--fund", str(f / "fund.yaml")]
    return args


def _env() -> dict[str, str]:
    """The child finds this very package (a source checkout on PYTHONPATH as well as an installed one)."""
    import wengang

    env = dict(os.environ)
    here = str(Path(wengang.__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH", "")) if p)
    env.setdefault("PYTHONIOENCODING", "utf-8")
    return env


def _run(cfg: Any, f: Path, meta: dict[str, Any], args: list[str]) -> None:
    try:
        proc = subprocess.Popen(
            args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(), cwd=str(f.resolve())
        )
        _write_meta(f, meta | {"pid": proc.pid})
        try:
            _, err = proc.communicate(timeout=TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
            _write_meta(
                f,
                meta
                | {
                    "state": "failed",
                    "finished_at": iso(cfg.clock()),
                    "error": f"测算超过 {TIMEOUT_SECONDS // 60} 分钟未完成，已停止；请在服务器上用 wengang simulate",
                },
            )
            return
        if proc.returncode == 0 and (f / "simulation.json").is_file():
            _write_meta(f, meta | {"state": "done", "finished_at": iso(cfg.clock())})
        else:
            _write_meta(
                f,
                meta
                | {
                    "state": "failed",
                    "finished_at": iso(cfg.clock()),
                    "error": _message(err.decode("utf-8", "replace"), f)
                    or f"测算失败（退出码 {proc.returncode}）",
                },
            )
    except Exception as exc:  # noqa: BLE001 - any failure is the simulation's result, shown to the operator
        _write_meta(f, meta | {"state": "failed", "finished_at": iso(cfg.clock()), "error": f"测算未能完成（{type(exc).__name__}）：{exc}"[:2000]})
    finally:
        with _LOCK:
            _RUNNING.discard(meta["id"])


def _message(stderr: str, f: Path) -> str:
    """The CLI's refusal (``错误 / error: …`` lines), server paths shortened to the folder's own names."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    said = [ln.split(":", 1)[1].strip() for ln in lines if ln.startswith("错误 / error:")]
    text = "；".join(said[-5:] or lines[-3:])
    return text.replace(str(f.resolve()) + os.sep, "").replace(str(f) + os.sep, "")[:2000]

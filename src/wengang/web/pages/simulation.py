"""The policy simulation pages (政策模拟测算): a change tried on a screened population, before it is adopted.

The form takes a finished screening run (the population), parameters (``名称=取值``, as ``wengang simulate
--set``), an uploaded policy file not installed (a draft, checked by the loader at once), another evaluation date,
and optionally the fund's balance and spending; ``web.simulations`` runs ``wengang simulate`` on them in a child
process and the result page renders the CLI's ``simulation.json``: totals (元), who gains, loses or changes
status, by size class and region, the fund's reserve, charts (``reports.charts`` SVG), and the CLI's XLSX and
HTML for download. Nothing is written to the ledger.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, Response

from wengang.reports.charts import MONEY, count, hbar_chart, line_chart

from .. import jobs, simulations
from ..auth import current_principal
from ..errors import ApiError
from . import router
from .common import STATUS_ZH, as_date, as_int, back, cfg, led, need, page

FUND_FIELDS = ("region", "year", "balance", "spending", "months")
MET = {True: "满足", False: "不满足", None: "无法计算"}


def _done_runs(request: Request) -> list[dict[str, Any]]:
    return [j for j in jobs.jobs(led(request)) if j["state"] == "done"]


@router.get("/simulations", include_in_schema=False)
def simulation_list(request: Request) -> Response:
    return page(
        request,
        "simulations.html",
        runs=_done_runs(request),
        sims=simulations.listing(cfg(request)),
        chosen=as_int(request.query_params.get("job_id"), "job_id", "筛查任务", lo=1),
        state_zh=STATE_ZH,
    )


STATE_ZH = {"running": "测算中", "done": "已完成", "failed": "失败"}


@router.post("/simulations", include_in_schema=False)
async def simulation_start(request: Request) -> Response:
    p = current_principal(request)
    data = await request.form()
    f = {k: v.strip() for k, v in data.items() if isinstance(v, str) and k != "csrf_token"}
    job_id = as_int(need(f, "job_id", "测算人群（筛查任务）"), "job_id", "测算人群（筛查任务）", lo=1)
    assert job_id is not None
    settings = simulations.parse_pairs(f.get("settings", ""), "方案参数")
    variant_date = as_date(f.get("variant_date"), "variant_date", "方案审核日期")
    upload = data.get("draft")
    draft = None
    if upload is not None and not isinstance(upload, str) and upload.filename:
        content = await upload.read(simulations.MAX_DRAFT_BYTES + 1)
        draft = (upload.filename, content)
    fund = {k: f.get(f"fund_{k}", "") for k in FUND_FIELDS}
    sid = await run_in_threadpool(
        lambda: simulations.start(
            led(request),
            cfg(request),
            job_id=job_id,
            settings=settings,
            variant_date=variant_date,
            fund=fund,
            draft=draft,
            actor=p.login,
        )
    )
    return back(f"/simulations/{sid}")


def _charts(r: dict[str, Any]) -> list[Any]:
    hist = r["histogram"]
    size = r["by_size_class"]
    out = [
        line_chart(
            "符合条件单位的金额分布（基线与方案）",
            [h["bin"] for h in hist],
            [("基线", [h["baseline"] for h in hist]), ("方案", [h["variant"] for h in hist])],
            measure=count("个"),
            x_label="金额区间",
            y_label="单位数",
            chart_id="chart-sim-histogram",
        ),
    ]
    if size:
        out += [
            hbar_chart(
                "金额增加的单位数（按企业划型）",
                [(g["label"], g["gained"]) for g in size],
                measure=count("个"),
                chart_id="chart-sim-gained",
            ),
            hbar_chart(
                "金额减少的单位数（按企业划型）",
                [(g["label"], g["lost"]) for g in size],
                measure=count("个"),
                chart_id="chart-sim-lost",
            ),
        ]
    out.append(
        hbar_chart(
            "方案拟发放金额（按地区）",
            [(g["label"], g["variant_fen"]) for g in r["by_region"]],
            measure=MONEY,
            chart_id="chart-sim-region",
        )
    )
    return out


def _years(text: str | None) -> str:
    return "—（支出为零）" if text is None else f"{float(text):.2f}年"


@router.get("/simulations/{sim_id}", include_in_schema=False)
def simulation_page(sim_id: str, request: Request) -> Response:
    meta = simulations.get(cfg(request), sim_id)
    r = simulations.result(cfg(request), sim_id) if meta["state"] == "done" else None
    reserve = None
    if r is not None and r.get("reserve"):
        x = r["reserve"]
        reserve = x | {
            "before": _years(x["before_years"]),
            "after": _years(x["after_years"]),
            "rows": [
                row | {"before_zh": MET[row["before"]], "after_zh": MET[row["after"]]}
                for row in x["preconditions"]
            ],
        }
    return page(
        request,
        "simulation.html",
        meta=meta,
        r=r,
        charts=_charts(r) if r is not None else [],
        reserve=reserve,
        statuses=STATUS_ZH,
        state_zh=STATE_ZH,
        refresh=meta["state"] == "running",
    )


def _file(request: Request, sim_id: str, kind: str) -> FileResponse:
    name, media = simulations.FILES[kind]
    path = simulations.folder(cfg(request), sim_id) / name
    if not path.is_file():
        raise ApiError(
            404,
            "not_found",
            f"测算 {sim_id} 尚无{name}（未完成或失败）",
            f"simulation {sim_id} has no {name}",
        )
    # the HTML report is self-contained (its own styles): a download, never shown under this site's CSP
    return FileResponse(path, media_type=media, filename=f"测算{sim_id}-{name}")


@router.get("/simulations/{sim_id}/xlsx", include_in_schema=False)
def simulation_xlsx(sim_id: str, request: Request) -> FileResponse:
    return _file(request, sim_id, "xlsx")


@router.get("/simulations/{sim_id}/html", include_in_schema=False)
def simulation_html(sim_id: str, request: Request) -> FileResponse:
    return _file(request, sim_id, "html")

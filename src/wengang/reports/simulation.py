"""A simulation's result as files: an XLSX (summary, by size class, by region, status changes, the changed
units) and a self-contained HTML report with the distribution charts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wengang.documents.xlsx import INT, MONEY, TEXT, Column, Table, write_xlsx
from wengang.money import format_yuan
from wengang.policies.required import PROGRAM_LABELS
from wengang.reports import charts
from wengang.reports.html import HtmlTable, Section, write_html
from wengang.simulate import Group, SimulationResult, fmt_years

STATUS_ZH = {
    "eligible": "符合条件",
    "ineligible": "不符合条件",
    "needs_decision": "待认定",
    "not_determinable": "无法判定",
}
SIMULATION_OUTPUTS = ("simulation.xlsx", "simulation.html", "simulation.json")
PENDING = {"needs_decision", "not_determinable"}
UNKNOWN_AMOUNT = "待认定，金额未定"


def _signed(fen: int) -> str:
    return ("+" if fen > 0 else "−" if fen < 0 else "") + format_yuan(abs(fen))


def _met(value: bool | None) -> str:
    return {True: "满足", False: "不满足", None: "无法计算"}[value]


def summary_lines(r: SimulationResult) -> list[tuple[str, str]]:
    lines = [
        ("人群", f"{r.population}（{r.units:,} 个）"),
        ("基线", r.baseline.describe() + "；依据 " + ("、".join(r.base_policies) or "无有效政策")),
        ("方案", r.variant.describe() + "；依据 " + ("、".join(r.variant_policies) or "无有效政策")),
        ("基线拟发放（符合条件）", format_yuan(r.base_total_fen)),
        ("方案拟发放（符合条件）", format_yuan(r.variant_total_fen)),
        ("变化（两次均已判定的单位）", _signed(r.delta_fen)),
        ("金额增加的单位", f"{r.gained:,}"),
        ("金额减少的单位", f"{r.lost:,}"),
        ("结论改变的单位", f"{r.status_changed:,}"),
        (
            "转为待认定/无法判定（另计，不计入变化）",
            f"{r.pending_in:,} 个：基线金额 {format_yuan(r.pending_in_base_fen)}，方案{UNKNOWN_AMOUNT}",
        ),
        (
            "由待认定/无法判定转为已判定（另计，不计入变化）",
            f"{r.pending_out:,} 个：方案金额 {format_yuan(r.pending_out_variant_fen)}，基线{UNKNOWN_AMOUNT}",
        ),
        (
            "两次拟发放之差",
            f"{_signed(r.total_change_fen)} = 变化 {_signed(r.delta_fen)} − 转为待认定单位的基线金额 "
            f"{format_yuan(r.pending_in_base_fen)} + 转出待认定单位的方案金额 {format_yuan(r.pending_out_variant_fen)}",
        ),
        (
            "待认定（基线 / 方案，金额未计入）",
            f"{r.base_status.get('needs_decision', 0):,} / {r.variant_status.get('needs_decision', 0):,}",
        ),
        (
            "无法判定（基线 / 方案，金额未计入）",
            f"{r.base_status.get('not_determinable', 0):,} / {r.variant_status.get('not_determinable', 0):,}",
        ),
    ]
    if r.reserve is not None:
        f = r.reserve.fund
        lines += [
            (
                "基金（地区、年度）",
                f"{f.region}，{f.year}年：结余 {format_yuan(f.balance_fen)}，"
                f"{f.months}个月支出 {format_yuan(f.spending_fen)}",
            ),
            (
                "备付期限（现状 → 方案，两位小数舍去）",
                f"{fmt_years(r.reserve.before_years)} → {fmt_years(r.reserve.after_years)}"
                f"（方案增支按两次均已判定的单位计 {_signed(r.reserve.extra_fen)}）",
            ),
        ]
        if not r.reserve.preconditions:
            lines.append(("备付期限前提", "测算期间适用的文件未规定备付期限前提"))
        lines.append(("基金年度", r.reserve.basis_zh()))
    return lines


def summary_numbers(r: SimulationResult) -> dict[str, tuple[int | None, int | None]]:
    """The summary rows that are one amount (fen) or one count of units, as numbers for the XLSX (a text cell
    cannot be summed or compared): item → (amount in fen, units)."""
    return {
        "人群": (None, r.units),
        "基线拟发放（符合条件）": (r.base_total_fen, None),
        "方案拟发放（符合条件）": (r.variant_total_fen, None),
        "变化（两次均已判定的单位）": (r.delta_fen, None),
        "金额增加的单位": (None, r.gained),
        "金额减少的单位": (None, r.lost),
        "结论改变的单位": (None, r.status_changed),
        "转为待认定/无法判定（另计，不计入变化）": (r.pending_in_base_fen, r.pending_in),
        "由待认定/无法判定转为已判定（另计，不计入变化）": (r.pending_out_variant_fen, r.pending_out),
        "两次拟发放之差": (r.total_change_fen, None),
    }


def _group_rows(groups: list[Group]) -> list[dict[str, Any]]:
    return [
        {
            "label": g.label,
            "units": g.units,
            "base": g.base_fen,
            "variant": g.variant_fen,
            "delta": g.delta_fen,
            "gained": g.gained,
            "lost": g.lost,
            "changed": g.status_changed,
            "pin": g.pending_in,
            "pin_fen": g.pending_in_base_fen,
            "pout": g.pending_out,
            "pout_fen": g.pending_out_variant_fen,
        }
        for g in groups
    ]


GROUP_COLUMNS = (
    Column("units", "单位数", INT),
    Column("base", "基线金额（元）", MONEY),
    Column("variant", "方案金额（元）", MONEY),
    Column("delta", "变化（元，两次均已判定）", MONEY),
    Column("gained", "增加", INT),
    Column("lost", "减少", INT),
    Column("changed", "结论改变", INT),
    Column("pin", "转为待认定/无法判定", INT),
    Column("pin_fen", "其基线金额（元）", MONEY),
    Column("pout", "由待认定/无法判定转出", INT),
    Column("pout_fen", "其方案金额（元）", MONEY),
)


def write_simulation_xlsx(r: SimulationResult, path: str | Path) -> Path:
    from wengang.documents.masking import mask_credit_code

    tables = [
        Table(
            [Column("item", "项目"), Column("value", "内容"), Column("fen", "金额（元）", MONEY),
             Column("units", "单位数", INT)],
            [
                {"item": a, "value": b, "fen": numbers.get(a, (None, None))[0], "units": numbers.get(a, (None, None))[1]}
                for numbers in (summary_numbers(r),)
                for a, b in summary_lines(r)
            ],
            sheet="汇总",
            title="政策模拟测算汇总",
            control=False,
            footer=r.notes,
        ),
        Table(
            [Column("label", "企业划型"), *GROUP_COLUMNS],
            _group_rows(r.by_size),
            sheet="按企业划型",
            title="按企业划型",
            meta=("单位：元",),
            total_counts=True,  # 单位数, 增加, 减少, 结论改变 … add up across the groups, as the HTML's 合计 row has them
        ),
        Table(
            [Column("label", "地区"), *GROUP_COLUMNS],
            _group_rows(r.by_region),
            sheet="按地区",
            title="按地区",
            meta=("单位：元",),
            total_counts=True,  # 单位数, 增加, 减少, 结论改变 … add up across the groups, as the HTML's 合计 row has them
        ),
        Table(
            [Column("from", "基线结论"), Column("to", "方案结论"), Column("n", "单位数", INT)],
            [{"from": STATUS_ZH.get(a, a), "to": STATUS_ZH.get(b, b), "n": n} for a, b, n in r.transitions],
            sheet="结论变化",
            title="结论改变的单位",
        ),
        Table(
            [Column("bin", "金额区间"), Column("b", "基线单位数", INT), Column("v", "方案单位数", INT)],
            [{"bin": a, "b": b, "v": v} for a, b, v in r.histogram],
            sheet="金额分布",
            title="符合条件单位的金额分布",
            control=False,
        ),
    ]
    if r.reserve is not None:
        tables.append(
            Table(
                [
                    Column(k, h, TEXT)
                    for k, h in (
                        ("program", "项目"),
                        ("document", "文件"),
                        ("required", "备付期限要求"),
                        ("period", "政策期间"),
                        ("before", "现状"),
                        ("after", "方案实施后"),
                        ("citation", "依据"),
                        ("quote", "原文"),
                    )
                ],
                [
                    row | {"before": _met(row["before"]), "after": _met(row["after"])}
                    for row in r.reserve.rows()
                ],
                sheet="基金备付",
                title="失业保险基金备付期限与政策前提",
                control=False,
                meta=(
                    f"备付期限：现状 {fmt_years(r.reserve.before_years)}，方案实施后 {fmt_years(r.reserve.after_years)}"
                    f"（两位小数，舍去；方案增支 {_signed(r.reserve.extra_fen)}，按两次均已判定的单位计，"
                    f"计入当年支出并从结余中扣除）",
                    *(() if r.reserve.preconditions else ("测算期间适用的文件未规定备付期限前提",)),
                ),
            )
        )
    if r.changes is not None:
        rows = []
        for row in r.changes.iter_rows(named=True):
            note = "；".join(
                f"{run}{STATUS_ZH.get(row[s], row[s])}，金额未定"
                for run, s in (("基线", "s0"), ("方案", "s1"))
                if row[s] in PENDING
            )
            rows.append(
                {
                    "code": mask_credit_code(row["credit_code"]) if row.get("credit_code") else "",
                    "name": row.get("name") or "",
                    "region": row["region"] or "",
                    "s0": STATUS_ZH.get(row["s0"], row["s0"]),
                    "s1": STATUS_ZH.get(row["s1"], row["s1"]),
                    # an undecided run's amount is not known: left empty (its status says 待认定), not 0
                    "a0": None if row["a0_shown"] is None else int(row["a0_shown"]),
                    "a1": None if row["a1_shown"] is None else int(row["a1_shown"]),
                    "d": None if row["delta"] is None else int(row["delta"]),
                    "note": (note + "（不计入变化）") if note else "",
                }
            )
        listed, ct = len(rows), r.change_totals
        total = ct.units if ct is not None else listed
        meta = [
            f"共 {total:,} 个单位金额或结论改变，本表列出 {listed:,} 个"
            + ("（全部）" if listed >= total else "（按变化绝对值最大者，其余未列出）")
        ]
        if ct is not None and listed < total:
            meta.append(
                f"全部 {total:,} 个的合计：基线 {format_yuan(ct.base_fen)}，方案 {format_yuan(ct.variant_fen)}，"
                f"变化 {_signed(ct.delta_fen)}；表末合计行只是本表所列 {listed:,} 个的合计"
            )
        tables.append(
            Table(
                [
                    Column("code", "统一社会信用代码（脱敏）"),
                    Column("name", "单位名称"),
                    Column("region", "地区代码"),
                    Column("s0", "基线结论"),
                    Column("s1", "方案结论"),
                    Column("a0", "基线金额（元）", MONEY),
                    Column("a1", "方案金额（元）", MONEY),
                    Column("d", "变化（元）", MONEY),
                    Column("note", "说明"),
                ],
                rows,
                sheet="变化明细",
                title="金额或结论改变的单位（按变化绝对值排序）",
                meta=tuple(meta),
            )
        )
    return write_xlsx(path, *tables)


def simulation_sections(r: SimulationResult) -> list[Section]:
    size = [(g.label, g) for g in r.by_size]
    region = [(g.label, g) for g in r.by_region]
    summary = Section(
        "汇总", tables=[HtmlTable("测算结果", ("项目", "内容"), summary_lines(r))], notes=r.notes
    )
    dist = Section(
        "金额分布",
        charts=[
            charts.line_chart(
                "符合条件单位的金额分布（基线与方案）",
                [b for b, _, _ in r.histogram],
                [("基线", [x for _, x, _ in r.histogram]), ("方案", [y for _, _, y in r.histogram])],
                measure=charts.count("个"),
                x_label="金额区间",
                y_label="单位数",
            ),
            charts.hbar_chart(
                "金额增加的单位数（按企业划型）", [(k, g.gained) for k, g in size], measure=charts.count("个")
            ),
            charts.hbar_chart(
                "金额减少的单位数（按企业划型）", [(k, g.lost) for k, g in size], measure=charts.count("个")
            ),
            charts.hbar_chart(
                "方案拟发放金额（按地区）", [(k, g.variant_fen) for k, g in region], measure=charts.MONEY
            ),
        ],
    )

    def group_table(caption: str, groups: list[tuple[str, Group]], head: str) -> HtmlTable:
        return HtmlTable(
            caption,
            (
                head,
                "单位数",
                "基线",
                "方案",
                "变化（两次均已判定）",
                "增加",
                "减少",
                "结论改变",
                "转为待认定",
                "转出待认定",
            ),
            [
                (
                    k,
                    f"{g.units:,}",
                    format_yuan(g.base_fen),
                    format_yuan(g.variant_fen),
                    _signed(g.delta_fen),
                    f"{g.gained:,}",
                    f"{g.lost:,}",
                    f"{g.status_changed:,}",
                    f"{g.pending_in:,}（基线 {format_yuan(g.pending_in_base_fen)}）",
                    f"{g.pending_out:,}（方案 {format_yuan(g.pending_out_variant_fen)}）",
                )
                for k, g in groups
            ],
            numeric=(1, 2, 3, 4, 5, 6, 7),
            total=(
                "合计",
                f"{r.units:,}",
                format_yuan(r.base_total_fen),
                format_yuan(r.variant_total_fen),
                _signed(r.delta_fen),
                f"{r.gained:,}",
                f"{r.lost:,}",
                f"{r.status_changed:,}",
                f"{r.pending_in:,}（基线 {format_yuan(r.pending_in_base_fen)}）",
                f"{r.pending_out:,}（方案 {format_yuan(r.pending_out_variant_fen)}）",
            ),
        )

    groups = Section("分组", tables=[group_table("按企业划型", size, "企业划型")] if size else [])
    groups.tables = [*groups.tables, group_table("按地区", region, "地区")]
    trans = Section(
        "结论改变",
        tables=[
            HtmlTable(
                "结论改变的单位",
                ("基线结论", "方案结论", "单位数"),
                [(STATUS_ZH.get(a, a), STATUS_ZH.get(b, b), f"{n:,}") for a, b, n in r.transitions],
                numeric=(2,),
            )
        ],
    )
    out = [summary, dist, groups, trans]
    if r.reserve is not None:
        out.append(
            Section(
                "基金备付期限",
                paragraphs=[
                    f"备付期限 = 滚存结余 ÷ 月均支出。现状 {fmt_years(r.reserve.before_years)}，方案实施后 {fmt_years(r.reserve.after_years)}"
                    "（两位小数，舍去）。"
                    + ("" if r.reserve.preconditions else "测算期间适用的文件未规定备付期限前提。")
                ],
                tables=[
                    HtmlTable(
                        "政策前提",
                        ("项目", "文件", "要求", "政策期间", "现状", "方案实施后", "依据"),
                        [
                            (
                                x["program"],
                                x["document"],
                                x["required"],
                                x["period"],
                                _met(x["before"]),
                                _met(x["after"]),
                                f"{x['citation']}：“{x['quote']}”",
                            )
                            for x in r.reserve.rows()
                        ],
                    )
                ],
            )
        )
    return out


def write_simulation(r: SimulationResult, out_dir: str | Path) -> dict[str, str]:
    import json

    from wengang.atomic import atomic_path

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    files = {
        "测算表（Excel）": str(write_simulation_xlsx(r, out / "simulation.xlsx")),
        "测算报告（HTML）": str(
            write_html(
                out / "simulation.html",
                "政策模拟测算报告",
                simulation_sections(r),
                meta=[f"项目：{PROGRAM_LABELS.get(r.program, r.program)}（{r.program}）", r.variant.describe()],
            )
        ),
    }
    with atomic_path(out / "simulation.json") as tmp:
        tmp.write_text(json.dumps(r.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    files["测算结果（JSON）"] = str(out / "simulation.json")
    return files

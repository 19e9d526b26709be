"""`wengang policy …`: check, list, show and trace the policy documents.

Mounted by the main CLI as ``app.add_typer(policy_app, name="policy")``. Exit codes: 0 ok, 2 a policy
file does not check (or an unknown document / region).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from wengang.inputs import InputError, known_name, os_error
from wengang.regions import REGIONS, RegionError, resolve_region

# the loader (pydantic, YAML) is imported inside the commands: start-up time (docs/performance.md)

policy_app = typer.Typer(help="政策文件：校验、列表、查看、参数时间线 / policy documents: check, list, show, timeline.", no_args_is_help=True, add_completion=False)
# piped output (files, CI logs) is not squeezed into 80 columns
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True)
EXIT_INVALID = 2


def _region_name(key: str) -> str:
    r = REGIONS.get(key)
    return r.name if r else key


def _date(d) -> str:
    return d.isoformat() if d else "—"


def _load(paths: list[Path] | None):
    from wengang.policies.errors import PolicyError
    from wengang.policies.loader import load_dirs, load_policy_set

    for p in paths or []:
        try:
            empty = p.is_dir() and not any(p.rglob("*.y*ml"))
        except OSError as exc:  # a name too long, a path through a file …
            err.print(str(os_error(exc, p, "政策文件目录 --path", "policy folder --path")), highlight=False, markup=False)
            raise typer.Exit(EXIT_INVALID) from None
        if empty:
            err.print(f"目录 {p} 中没有政策文件（*.yaml） / {p} holds no policy file (*.yaml)", highlight=False, markup=False)
            raise typer.Exit(EXIT_INVALID)
    try:
        return load_dirs(paths or []) if paths else load_policy_set()
    except PolicyError as exc:
        for e in exc.all_errors:
            err.print(str(e), highlight=False, markup=False, soft_wrap=True)
        err.print(f"[bold red]校验失败：{len(exc.all_errors)} 处错误 / check failed: {len(exc.all_errors)} error(s)[/]")
        raise typer.Exit(EXIT_INVALID) from None


@policy_app.command("check")
def check(
    path: Annotated[
        list[Path] | None, typer.Option("--path", help="另外校验的 YAML 目录（可多次） / extra directory of YAML files")
    ] = None,
) -> None:
    """校验全部政策文件（及 --path 目录）。 / Check every policy file."""
    ps = _load(path)
    n_prog = sum(len(d.programs) for d in ps.documents)
    n_param = sum(len(b.params) for d in ps.documents for b in d.programs.values())
    n_set = sum(len(b.region_settings) for d in ps.documents for b in d.programs.values())
    n_clause = sum(len(d.clauses) for d in ps.documents)
    console.print(
        f"校验通过：{len(ps.documents)} 份文件，{n_clause} 条条款，{n_prog} 个项目块，{n_param} 个参数，{n_set} 个地区设置。"
        f" / OK: {len(ps.documents)} documents, {n_clause} clauses, {n_prog} program blocks, {n_param} parameters,"
        f" {n_set} region settings.",
        highlight=False,
    )


@policy_app.command("list")
def list_(
    path: Annotated[list[Path] | None, typer.Option("--path", help="另外加载的 YAML 目录")] = None,
) -> None:
    """列出全部政策文件。 / List the documents."""
    from wengang.policies.model import STATUS_ZH

    ps = _load(path)
    t = Table(title="政策文件")
    for col in ("id", "文号", "地区", "印发日期", "状态", "项目", "执行/转发"):
        t.add_column(col)
    for d in ps.documents:
        rel = []
        if d.implements:
            rel.append("执行 " + "、".join(ps.get(i).display_number for i in d.implements))
        if d.implements_external:
            rel.append("执行（库外）" + "、".join(d.implements_external))
        if d.forwards:
            rel.append("转发 " + ps.get(d.forwards).display_number)
        t.add_row(
            d.id,
            d.display_number,
            _region_name(d.jurisdiction),
            _date(d.issued),
            STATUS_ZH.get(d.status, d.status),
            "、".join(d.programs) or "—",
            "；".join(rel) or "—",
        )
    console.print(t)


@policy_app.command("show")
def show(
    doc: Annotated[str, typer.Argument(help="文件 id 或文号")],
    path: Annotated[list[Path] | None, typer.Option("--path", help="另外加载的 YAML 目录")] = None,
) -> None:
    """查看一份文件的项目与参数。 / Show one document."""
    from wengang.policies.model import STATUS_ZH

    ps = _load(path)
    try:
        d = ps.get(doc)
    except KeyError as exc:
        err.print(f"[bold red]{exc.args[0]}[/]")
        raise typer.Exit(EXIT_INVALID) from None
    console.print(f"[bold]{d.display_number}[/]  {d.title}", highlight=False)
    console.print(
        f"地区：{_region_name(d.jurisdiction)}（{d.jurisdiction}）  印发：{_date(d.issued)}  状态：{STATUS_ZH.get(d.status)}"
        f"  来源：{d.source}（{d.source_kind}）  文件：{d.file}",
        highlight=False,
    )
    if d.forwards:
        console.print(f"转发：{ps.get(d.forwards).display_number}（项目见被转发文件）", highlight=False)
    if d.note:
        console.print(f"说明：{d.note}", highlight=False)
    for pid, block in d.programs.items():
        params, settings = ps.effective(d, pid)
        to = _date(block.valid_to) if block.valid_to else "不定"
        t = Table(title=f"{block.label}（{pid}/{block.ruleset}）  {block.valid_from} ～ {to}  主条款 {block.clause}")
        for col in ("参数", "取值", "边界", "出处", "引文"):
            t.add_column(col)
        for name, p in params.items():
            where = p.citation() + ("（继承）" if p.inherited else "")
            t.add_row(name, p.formatted(), p.boundary or "", where, p.quote)
        for name, s in settings.items():
            t.add_row(name, "[地区设置]", s.boundary or "", s.citation(), f"{s.description}｜{s.quote}")
        console.print(t)
        if block.note:
            console.print(f"  说明：{block.note}", highlight=False)


@policy_app.command("timeline")
def timeline(
    param: Annotated[str, typer.Argument(help="参数名，如 refund_rate_sme")],
    region: Annotated[str | None, typer.Option("--region", "-r", help="地区（名称或代码）")] = None,
    program: Annotated[str | None, typer.Option("--program", "-p", help="只看某项目")] = None,
    drafts: Annotated[bool, typer.Option("--drafts", help="包括征求意见稿")] = False,
    path: Annotated[list[Path] | None, typer.Option("--path", help="另外加载的 YAML 目录")] = None,
) -> None:
    """某参数在各文件中的取值时间线。 / A parameter's values over time."""
    from wengang.policies.units import format_value

    ps = _load(path)
    names = {n for d in ps.documents for b in d.programs.values() for n in b.params}
    try:
        known_name(param, names, "政策参数", "policy parameter")
        if program is not None:
            known_name(program, {p for d in ps.documents for p in d.programs}, "项目", "program")
    except InputError as exc:
        err.print(str(exc), highlight=False, markup=False)
        raise typer.Exit(EXIT_INVALID) from None
    try:
        entries = ps.timeline(param, region, program=program, include_drafts=drafts)
    except RegionError as exc:
        err.print(f"[bold red]{exc}[/]")
        raise typer.Exit(EXIT_INVALID) from None
    title = f"参数 {param} 时间线" + (f"（{resolve_region(region).name}）" if region else "")
    t = Table(title=title)
    for col in ("起", "止", "文号", "地区", "项目", "取值", "出处"):
        t.add_column(col)
    for e in entries:
        value = format_value(e.value, e.unit)
        t.add_row(
            _date(e.valid_from),
            _date(e.valid_to) if e.valid_to else "不定",
            e.number + ("（征求意见稿）" if e.status == "draft" and "征求意见稿" not in e.number else ""),
            _region_name(e.jurisdiction),
            e.program,
            f"不超过{value}" if e.ceiling else value,
            e.citation,
        )
    if not entries:
        console.print(f"没有文件设置参数 {param} / no document sets {param}", highlight=False)
        return
    console.print(t)


@policy_app.command("coverage")
def coverage(
    markdown: Annotated[bool, typer.Option("--markdown", help="输出 Markdown（docs/coverage.md）")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    strict: Annotated[bool, typer.Option("--strict", help="有未编码（missing）或未列出的条款时退出码为 1")] = False,
    texts: Annotated[Path | None, typer.Option("--texts", help="政策原文目录（policy-texts）")] = None,
) -> None:
    """各文件每一条款的覆盖情况（已编码、设置、仅记录、不在范围、未编码）。 / Coverage of every provision."""
    import json

    from wengang.policies import coverage as cov

    if texts is not None and not texts.is_dir():
        err.print(f"政策原文目录 --texts {texts} 不存在或不是目录 / --texts {texts} is not a folder", highlight=False, markup=False)
        raise typer.Exit(EXIT_INVALID)
    reg = cov.validate(cov.load(), texts=texts)
    if reg.problems:
        for p in reg.problems:
            err.print(p, highlight=False, markup=False, soft_wrap=True)
        err.print(f"[bold red]覆盖登记校验失败：{len(reg.problems)} 处错误 / coverage register: {len(reg.problems)} error(s)[/]")
        raise typer.Exit(EXIT_INVALID)
    for w in reg.warnings:
        err.print(f"[yellow]{w}[/]", highlight=False)
    unlisted = reg.unlisted()
    if as_json:
        sys.stdout.write(json.dumps(cov.as_json(reg), ensure_ascii=False, indent=2) + "\n")
    elif markdown:
        sys.stdout.write(cov.markdown(reg))
    else:
        colour = {"encoded": "green", "setting": "cyan", "recorded": "yellow", "out_of_scope": "dim", "missing": "bold red"}
        for seed, meta in sorted(reg.seeds.items()):
            t = Table(title=f"{seed} {meta['title']}")
            for col in ("编号", "文件 条款", "内容", "状态", "规则、测试或理由"):
                t.add_column(col)
            for p in reg.of_seed(seed):
                c = colour.get(p.status, "")
                t.add_row(p.id, f"{p.document} {p.clause}", p.description, f"[{c}]{cov.STATUS_ZH[p.status]}[/]", cov.refs_text(p))
            console.print(t)
        totals = Table(title="合计 / Totals")
        for col in ("原文", "条款数", *(cov.STATUS_ZH[s] for s in cov.STATUSES)):
            totals.add_column(col)
        for seed in sorted(reg.seeds):
            n = reg.totals(seed)
            totals.add_row(seed, str(sum(n.values())), *(str(n[s]) for s in cov.STATUSES[:-1]), f"[bold red]{n['missing']}[/]")
        n = reg.totals()
        totals.add_row("合计", str(sum(n.values())), *(str(n[s]) for s in cov.STATUSES[:-1]), f"[bold red]{n['missing']}[/]")
        console.print(totals)
        if unlisted:
            console.print(f"[bold red]未列出的条款 / unlisted: {'、'.join(unlisted)}[/]", highlight=False)
    if strict and (reg.totals()["missing"] or unlisted):
        raise typer.Exit(1)

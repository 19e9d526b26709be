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
    for w in getattr(ps, "warnings", ()):
        err.print(f"警告 / warning: {w}", highlight=False, markup=False, soft_wrap=True)
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


def _print_policy_errors(exc) -> None:
    for e in exc.all_errors:
        err.print(str(e), highlight=False, markup=False, soft_wrap=True)
    err.print(f"[bold red]校验失败：{len(exc.all_errors)} 处错误 / check failed: {len(exc.all_errors)} error(s)[/]")


def _document(ref: str):
    """A document named by a file path (loaded with the shipped set, checked) or by id / 文号 of a shipped one;
    returns (document, file to pass as --policy-path or None for a shipped document)."""
    from wengang.policies.errors import PolicyError
    from wengang.policies.loader import load_policy_set, load_with_files

    p = Path(ref)
    try:
        if p.is_file():
            ps = load_with_files([p])
            return next(d for d in ps.documents if d.file == str(p)), str(p)
        return load_policy_set().get(ref), None
    except PolicyError as exc:
        _print_policy_errors(exc)
        raise typer.Exit(EXIT_INVALID) from None
    except KeyError as exc:
        err.print(f"{exc.args[0]}（也不是存在的文件）/ not a file either", highlight=False, markup=False)
        raise typer.Exit(EXIT_INVALID) from None


@policy_app.command("new")
def new(
    source: Annotated[str, typer.Option("--from", help="上一年度文件：YAML 路径，或已安装文件的 id / 文号 / this year's file")],
    out: Annotated[Path, typer.Option("--out", "-o", help="草稿输出路径（.yaml）/ where to write the draft")],
    years: Annotated[int, typer.Option("--years", min=1, max=10, help="日期顺延年数（默认 1）/ years to shift the dates")] = 1,
) -> None:
    """由本年度文件起草下一年度文件：日期顺延、状态为征求意见稿、文号待定，条款保留并标注“待核”；写出后按加载规则校验。

    Draft next year's file from this year's: dates shifted, status draft, number placeholder, clauses marked for checking.
    """
    from wengang.atomic import atomic_path
    from wengang.policies.drafting import draft_next
    from wengang.policies.errors import PolicyError
    from wengang.policies.loader import load_with_files, packaged_root

    p = Path(source)
    if p.is_file():
        text = p.read_text(encoding="utf-8")
    else:
        doc, _ = _document(source)
        rel = doc.file.split("/", 1)[1]  # "policies/150000/x.yaml" → "150000/x.yaml"
        text = packaged_root().joinpath(*rel.split("/")).read_text(encoding="utf-8")
    if out.suffix.lower() not in (".yaml", ".yml"):
        err.print(f"--out 须为 .yaml 文件：{out} / --out must be a .yaml file", highlight=False, markup=False)
        raise typer.Exit(EXIT_INVALID)
    draft = draft_next(text, years=years)
    with atomic_path(out, "草稿文件 --out", "draft file --out") as tmp:
        tmp.write_text(draft, encoding="utf-8")
    console.print(f"已写出草稿：{out} / draft written", highlight=False)
    try:
        ps = load_with_files([out])
    except PolicyError as exc:
        _print_policy_errors(exc)
        raise typer.Exit(EXIT_INVALID) from None
    d = next(x for x in ps.documents if x.file == str(out))
    for w in ps.warnings:  # e.g. the clauses still state last year's end date: to check before it is used
        err.print(f"警告 / warning: {w}", highlight=False, markup=False, soft_wrap=True)
    console.print(
        f"校验通过：{d.display_number}（{d.id}，征求意见稿），{len(d.clauses)} 条条款待核，"
        f"{sum(len(b.params) for b in d.programs.values())} 个参数 / the draft checks",
        highlight=False,
    )


@policy_app.command("diff")
def diff(
    a: Annotated[str, typer.Argument(help="原文件：YAML 路径，或已安装文件的 id / 文号 / the old file")],
    b: Annotated[str, typer.Argument(help="新文件：YAML 路径，或已安装文件的 id / 文号 / the new file")],
    population: Annotated[Path | None, typer.Option("--population", help="人群（同 wengang simulate）：给出则测算受影响的单位 / population to assess")] = None,
    program: Annotated[str | None, typer.Option("--program", "-p", help="测算的项目（默认两文件共有的第一个）/ program to simulate")] = None,
    on: Annotated[str | None, typer.Option("--date", "-d", help="按原文件测算的审核日期（默认取人群数据的）/ evaluation date under A")] = None,
    variant_date: Annotated[str | None, typer.Option("--variant-date", help="按新文件测算的审核日期（默认顺延两文件相差的年数）/ evaluation date under B")] = None,
    reading: Annotated[list[str] | None, typer.Option("--reading", help="认定政策解释：名称=取值 / fix a reading")] = None,
    fund: Annotated[Path | None, typer.Option("--fund", help="基金数据（YAML），测算备付期限 / fund input")] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="测算输出目录（simulation.xlsx/html/json）/ output folder")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON / print JSON")] = False,
) -> None:
    """两份政策文件的差异：参数、日期、条款；给出 --population 时按两文件各测算一次，列出受影响的单位。

    What changed between two policy files (parameters, dates, clauses) and, with --population, whom it affects.
    """
    import json

    from wengang.policies.drafting import diff_documents, shift_years

    doc_a, file_a = _document(a)
    doc_b, file_b = _document(b)
    d = diff_documents(doc_a, doc_b)
    payload = d.to_dict()
    if not as_json:
        console.print(f"[bold]{doc_a.display_number} → {doc_b.display_number}[/]", highlight=False)
        for title, items in (("文件", d.metadata), ("日期", d.dates), ("参数", d.parameters), ("条款", d.clauses)):
            if items:
                console.print(f"[bold]{title}（{len(items)}）[/]", highlight=False)
                for c in items:
                    console.print(f"  {c.text()}", highlight=False, markup=False)
        if d.empty:
            console.print("两文件的参数、日期与条款相同 / no differences", highlight=False)
    if population is not None:
        from wengang.cli_errors import say
        from wengang.inputs import parse_date
        from wengang.policies.errors import PolicyError
        from wengang.programs import load_all
        from wengang.rules import interpretations
        from wengang.simulate import FundInput, Scenario, SimulationError, load_population, simulate

        load_all()  # registers the interpretation switches

        common = [p for p in doc_a.programs if p in doc_b.programs]
        prog = program or (common[0] if common else None)
        if prog is None:
            say("两文件没有共同的项目，无法测算；请用 --program 指定", "the files share no program; give --program")
            raise typer.Exit(EXIT_INVALID)
        try:
            fixed = interpretations.parse_fixed(reading)
            day = parse_date(on, "审核日期 --date", "--date") if on else None
            pop = load_population(population, on=day)
            base_day = day or pop.on
            if base_day is None:
                raise SimulationError("人群数据没有审核日期，请给出 --date / give --date")
            shift = shift_years(doc_a, doc_b)
            vday = parse_date(variant_date, "--variant-date", "--variant-date") if variant_date else _shift_date(base_day, shift)
            result = simulate(
                pop, program=prog, on=base_day, fund=FundInput.read(fund) if fund else None,
                baseline=Scenario(doc_a.display_number, base_day, {}, (file_a,) if file_a else (), fixed),
                variant=Scenario(doc_b.display_number, vday, {}, (file_b,) if file_b else (), fixed),
            )
        except PolicyError as exc:
            _print_policy_errors(exc)
            raise typer.Exit(EXIT_INVALID) from None
        except (SimulationError, ValueError, KeyError, LookupError) as exc:
            say(str(exc).strip("'\""))
            raise typer.Exit(EXIT_INVALID) from None
        payload["simulation"] = result.to_dict()
        if out is not None:
            from wengang.reports.simulation import write_simulation

            payload["files"] = write_simulation(result, out)
        if not as_json:
            from wengang.reports.simulation import summary_lines

            console.print("[bold]受影响的单位[/]", highlight=False)
            for k, v in summary_lines(result):
                console.print(f"  {k}：{v}", highlight=False, markup=False)
            for k, v in (payload.get("files") or {}).items():
                console.print(f"  [dim]{k}：{v}[/]", highlight=False)
    if as_json:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")


def _shift_date(d, years: int):
    from datetime import date

    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return date(d.year + years, d.month, d.day - 1)

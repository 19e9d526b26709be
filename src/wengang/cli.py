"""`wengang`: the command line.

Exit codes (stable, documented in README):
  0  success / eligible            3  ineligible (不符合条件)
  2  invalid input (bad facts, unknown region or program, bad policy file)
  4  needs decision (待认定)       5  not determinable (无法判定, incl. no policy in force)
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from wengang.rules.engine import ELIGIBLE, INELIGIBLE, NEEDS_DECISION, NOT_DETERMINABLE

app = typer.Typer(
    help="稳岗：失业保险援企稳岗、稳岗惠民政策的判定、免申即享筛查与经办台账。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
err = Console(stderr=True)

EXIT_OK, EXIT_INVALID, EXIT_INELIGIBLE, EXIT_NEEDS_DECISION, EXIT_NOT_DETERMINABLE = 0, 2, 3, 4, 5
EXIT_BY_STATUS = {
    ELIGIBLE: EXIT_OK,
    INELIGIBLE: EXIT_INELIGIBLE,
    NEEDS_DECISION: EXIT_NEEDS_DECISION,
    NOT_DETERMINABLE: EXIT_NOT_DETERMINABLE,
}


def fail(message: str) -> None:
    err.print(f"[bold red]错误 / error:[/] {message}", highlight=False)
    raise typer.Exit(EXIT_INVALID)


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for v in values or []:
        k, sep, val = v.partition("=")
        if not sep:
            fail(f"{what}应写作 名称=取值：{v} / {what} must be name=value: {v}")
        out[k.strip()] = val.strip()
    return out


def _read_json(path: Path) -> Any:
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except FileNotFoundError:
        fail(f"找不到文件 {path} / file not found: {path}")
    except UnicodeDecodeError:
        fail(f"文件 {path} 不是 UTF-8 编码 / {path} is not UTF-8")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        fail(f"文件 {path} 不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）/ invalid JSON in {path}")


@app.command("evaluate")
def evaluate_cmd(
    facts_file: Annotated[Path, typer.Argument(help="事实文件（JSON；- 表示标准输入）/ facts JSON")],
    program: Annotated[str | None, typer.Option("--program", "-p", help="项目，如 fanhuan、skill_subsidy")] = None,
    region: Annotated[str | None, typer.Option("--region", "-r", help="地区：行政区划代码或名称，如 150500、通辽")] = None,
    on: Annotated[str | None, typer.Option("--date", "-d", help="审核日期 YYYY-MM-DD")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    explain_: Annotated[bool, typer.Option("--explain", help="输出告知书文字")] = False,
    reading: Annotated[list[str] | None, typer.Option("--reading", help="认定政策解释：名称=取值（可多次）")] = None,
    setting: Annotated[list[str] | None, typer.Option("--setting", help="地区设置：名称=取值（可多次），如 registered_unemployment_rate=3.6%")] = None,
    drafts: Annotated[bool, typer.Option("--drafts", help="允许使用征求意见稿")] = False,
) -> None:
    """判定一个单位或个人的一个项目，给出结论、金额、依据与理由。"""
    from wengang.evaluate import InvalidFacts, evaluate
    from wengang.explain import explain
    from wengang.rules import interpretations

    facts = _read_json(facts_file)
    if not isinstance(facts, dict):
        fail("事实文件应为一个 JSON 对象 / the facts file must hold one JSON object")
    # an example file may carry its own program, region and date; options given on the line win
    case = facts.pop("_case", {}) or {}
    program = program or case.get("program")
    region = region or case.get("region")
    on = on or case.get("date")
    if not (program and region and on):
        fail("请给出 --program、--region 和 --date / give --program, --region and --date")
    try:
        day = date.fromisoformat(str(on))
    except ValueError:
        fail(f"日期格式应为 YYYY-MM-DD：{on} / date must be YYYY-MM-DD: {on}")
    try:
        fixed = interpretations.parse_fixed(reading)
        decision = evaluate(program, region, day, facts, readings=fixed, settings=_pairs(setting, "地区设置"), include_drafts=drafts)
    except InvalidFacts as exc:
        fail("输入有误 / invalid input\n" + exc.text())
    except (ValueError, KeyError, LookupError) as exc:
        fail(str(exc).strip("'\""))
    if as_json:
        typer.echo(json.dumps(decision.to_dict(), ensure_ascii=False, indent=2))
    elif explain_:
        typer.echo(explain(decision))
    else:
        _print_decision(decision)
    raise typer.Exit(EXIT_BY_STATUS[decision.status])


def _print_decision(d: Any) -> None:
    from wengang.money import format_yuan

    color = {ELIGIBLE: "green", INELIGIBLE: "red", NEEDS_DECISION: "yellow", NOT_DETERMINABLE: "magenta"}[d.status]
    amount = ""
    if d.amount_fen is not None:
        amount = f"  {'不超过' if d.amount_is_cap else ''}{format_yuan(d.amount_fen)}"
    console.print(f"[bold]{d.program_label}[/]  {d.subject_name} {d.subject_id}  {d.region_name}  {d.on}")
    console.print(f"结论：[bold {color}]{d.status_zh}[/]{amount}", highlight=False)
    if d.policy_number:
        via = f"（经{'、'.join(d.policy_via)}转发）" if d.policy_via else ""
        console.print(f"依据：{d.policy_citation}{via}", highlight=False)
    for c in d.checks:
        mark = {True: "[green]✔[/]", False: "[red]✘[/]", None: "[yellow]？[/]"}[c.passed]
        cite = f"  [dim]〔{'；'.join(c.citations)}〕[/]" if c.citations else ""
        console.print(f"  {mark} {c.label}  [dim]{c.detail}[/]{cite}", highlight=False)
    for r in d.reasons:
        console.print(f"  [red]理由：[/]{r}", highlight=False)
    for f in d.flags:
        console.print(f"  [yellow]核查：[/]{f}", highlight=False)
    for o in d.outcomes:
        tag = "，".join(f"{k}={v}" for k, v in o.readings.items())
        am = format_yuan(o.amount_fen) if o.amount_fen is not None else ""
        console.print(f"  [yellow]若[/] {tag}：{o.status} {am}", highlight=False)


@app.command("interpretations")
def interpretations_cmd(
    markdown: Annotated[bool, typer.Option("--markdown", help="输出 docs/interpretations.md 的内容")] = False,
) -> None:
    """列出所有政策解释开关（条款、两种理解、默认值与理由）。"""
    import wengang.programs  # noqa: F401
    from wengang.rules import interpretations

    if markdown:
        typer.echo(interpretations.markdown())
        return
    for s in sorted(interpretations.REGISTRY.values(), key=lambda s: s.name):
        console.print(f"[bold]{s.name}[/]  {s.title}  [dim]默认：{s.default}[/]", highlight=False)
        for k, v in s.readings.items():
            console.print(f"    {k}: {v}", highlight=False)


@app.command("data-dictionary")
def data_dictionary_cmd() -> None:
    """输出数据字典（docs/data-dictionary.md 的内容）。"""
    from wengang.dictionary import markdown

    typer.echo(markdown(), nl=False)


@app.command("programs")
def programs_cmd() -> None:
    """列出已实现的项目与规则集。"""
    import wengang.programs  # noqa: F401
    from wengang.rules.engine import RULESETS

    for (program, name), rs in sorted(RULESETS.items()):
        console.print(f"{program:26} {name:14} {rs.label}", highlight=False)


def _mount_subcommands() -> None:
    """Sub-apps live beside the code they drive (policies, casework, screening)."""
    mounts = [
        ("wengang.policies.cli", "policy_app", "policy"),
        ("wengang.casework.cli", "case_app", "case"),
        ("wengang.casework.cli", "audit_app", "audit"),
    ]
    import importlib

    for module, attr, name in mounts:
        try:
            sub = getattr(importlib.import_module(module), attr)
        except (ImportError, AttributeError):
            continue
        app.add_typer(sub, name=name)


_mount_subcommands()


def main() -> None:  # pragma: no cover
    app()


if __name__ == "__main__":  # pragma: no cover
    main()

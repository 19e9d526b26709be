"""How the command line ends on an error: exit 2 with a Chinese message for bad input, exit 1 and a log file
for anything unexpected; never a Python traceback on the console (docs/decisions.md, "Errors and exit codes").

* ``WengangGroup`` (the root command's class) refuses empty or NUL values on the command line, prints
  Typer's usage errors (unknown option, missing argument, a value out of range …) Chinese first, and turns
  an :class:`~wengang.inputs.InputError` raised anywhere in a command into its message and exit 2.
* ``run(app)`` is the ``wengang`` entry point's last resort: an exception nobody expected is written with its
  traceback to a log file under the user's state folder, and the console gets one Chinese line naming it.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from typer._click import exceptions as click_exc  # typer vendors click; its usage errors come from here
from typer.core import TyperGroup

from wengang.inputs import InputError

EXIT_INTERNAL, EXIT_INVALID = 1, 2


def say(zh: str, en: str = "") -> None:
    """One refusal on stderr: ``错误 / error: 中文 / English``."""
    typer.echo(f"错误 / error: {zh}" + (f" / {en}" if en else ""), err=True)


def _hint(e: Any) -> str:
    param = getattr(e, "param", None)
    if param is not None:
        opts = getattr(param, "opts", None) or [param.name]
        return opts[0] if opts[0].startswith("-") else str(param.name).upper()
    return str(getattr(e, "param_hint", "") or "")


def usage_zh(e: click_exc.UsageError) -> str:
    """Typer's usage error in Chinese (its English message follows it)."""
    if isinstance(e, click_exc.MissingParameter):
        kind = "参数" if getattr(e.param, "param_type_name", "") == "argument" else "选项"
        return f"缺少{kind} {_hint(e)}"
    if isinstance(e, click_exc.NoSuchOption):
        near = f"；是否为：{'、'.join(sorted(e.possibilities))}" if e.possibilities else ""
        negative = "（负数不是有效的编号或金额）" if e.option_name.lstrip("-").isdigit() else ""
        return f"没有选项 {e.option_name}{negative}{near}"
    if isinstance(e, click_exc.BadParameter):
        param = e.param
        lo, hi = getattr(param, "min", None), getattr(param, "max", None)
        # a bound that is not whole (--memory-limit's 0.5) belongs to an option that takes fractions
        number = "数" if any(isinstance(b, float) for b in (lo, hi)) else "整数"
        if lo is not None and hi is not None and hi < 2**31:
            return f"{_hint(e)} 的取值无效，应为 {lo} 到 {hi} 之间的{number}"
        if lo is not None:
            return f"{_hint(e)} 的取值无效，应为不小于 {lo} 的{number}"
        return f"{_hint(e)} 的取值无效"
    text = e.format_message()
    if text.startswith("No such command"):
        return "没有这个命令"
    if "unexpected extra argument" in text:
        return "多余的参数"
    return "命令行有误"


def check_argv(args: list[str]) -> None:
    """Empty, blank or NUL values are never meant: refuse them before any parsing."""
    for i, a in enumerate(args):
        opt = a[: a.index("=")] if a.startswith("--") and "=" in a else None
        value = a[len(opt) + 1 :] if opt else a
        if opt is None and i and args[i - 1].startswith("-") and not args[i - 1].lstrip("-").isdigit():
            opt = args[i - 1]
        after = f"（在“{args[i - 1]}”之后）" if i else ""
        where_zh = f"选项 {opt} 的取值" if opt else f"命令行第 {i + 1} 项{after}"
        where_en = f"the value of {opt}" if opt else f"item {i + 1} of the command line"
        if "\x00" in a:
            raise InputError(f"{where_zh}含有空字符（NUL）", f"{where_en} contains a NUL character")
        if not value.strip():
            raise InputError(f"{where_zh}为空", f"{where_en} is empty")


@contextmanager
def _refusals() -> Iterator[None]:
    try:
        yield
    except click_exc.NoArgsIsHelpError:
        raise
    except click_exc.UsageError as e:
        say(usage_zh(e), e.format_message())
        if e.ctx is not None:
            typer.echo(f"用法 / usage: {e.ctx.get_usage().removeprefix('Usage: ')}", err=True)
            typer.echo(f"（{e.ctx.command_path} --help 查看帮助 / for help）", err=True)
        raise typer.Exit(EXIT_INVALID) from None
    except InputError as e:
        say(e.zh, e.en)
        raise typer.Exit(EXIT_INVALID) from None


class WengangGroup(TyperGroup):
    """The root command: every subcommand runs inside it, so one place sees every usage error."""

    # adds commands left out at start-up to the group; True when it added any (wengang.cli sets it)
    late_commands: Callable[[WengangGroup], bool] | None = None

    def _add_late(self) -> bool:
        return WengangGroup.late_commands is not None and WengangGroup.late_commands(self)

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is None and self._add_late():
            command = super().get_command(ctx, cmd_name)
        return command

    def list_commands(self, ctx: Any) -> list[str]:
        self._add_late()
        return super().list_commands(ctx)

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        with _refusals():
            if parent is None:
                check_argv(list(args))
            return super().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx: Any) -> Any:
        with _refusals():
            return super().invoke(ctx)


def state_dir() -> Path:
    """``$WENGANG_STATE_DIR``, else ``$XDG_STATE_HOME/wengang``, else ``~/.local/state/wengang``."""
    if os.environ.get("WENGANG_STATE_DIR"):
        return Path(os.environ["WENGANG_STATE_DIR"])
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "wengang"


def write_error_log(exc: BaseException) -> Path:
    """The full traceback, the command line and the version, in a new file; its path."""
    from wengang import __version__

    text = (f"wengang {__version__}\n命令 / argv: {sys.argv!r}\n时间 / at: {time.strftime('%Y-%m-%d %H:%M:%S')}\n\n"
            + "".join(traceback.format_exception(exc)))
    name = f"error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    for folder in (state_dir(), Path(tempfile.gettempdir()) / "wengang"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / name
            path.write_text(text, encoding="utf-8")
            return path
        except OSError:
            continue
    raise exc  # nowhere to write: the traceback itself is the only record left


def run(app: Any) -> None:
    """Run the Typer app; an unexpected exception becomes "内部错误" with a log file and exit code 1."""
    try:
        app()
    except Exception as exc:  # noqa: BLE001 - the last resort: everything expected was handled before
        path = write_error_log(exc)
        typer.echo(
            f"内部错误（{type(exc).__name__}）：这不是输入错误，完整的错误信息已写入 {path}，请将该文件交给系统维护人员 / "
            f"internal error ({type(exc).__name__}); the full traceback is in {path}",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)

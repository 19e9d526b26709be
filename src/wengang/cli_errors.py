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


def _masked(text: str) -> str:
    """``text`` with secrets and identifiers masked (``documents.masking.scrub_secrets``, which ends with
    ``mask_text``: decisions §28). Should that module itself fail to load, every run of 8 or more digits is
    starred: the log must not be where a 公民身份号码 or an account survives in full."""
    try:
        from wengang.documents.masking import scrub_secrets

        return scrub_secrets(text)
    except Exception:  # noqa: BLE001 - the last resort must still write a (masked) log
        import re

        return re.sub(r"\d{8,}", lambda m: "*" * len(m.group(0)), text)


def _private_folder(folder: Path, *, shared_parent: bool = False) -> None:
    """``folder``, created 0700 when missing (its parents as ``mkdir -p`` makes them); an existing one is left as it
    is (the state folder may be shared on purpose; the file's own mode protects the log). ``shared_parent``: the
    folder is in the temporary folder everyone writes to, so one that another user made first is refused."""
    if not folder.is_dir():
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(folder, 0o700)  # mkdir's mode is narrowed by the umask, never widened: say it exactly
    getuid = getattr(os, "getuid", None)
    if shared_parent and getuid is not None and (folder.is_symlink() or folder.stat().st_uid != getuid()):
        raise PermissionError(f"{folder} belongs to another user")


def write_error_log(exc: BaseException) -> Path:
    """The full traceback, the command line and the version, in a new file readable by its owner only (0600); its
    path. Identifiers and secrets in all of it are masked (``_masked``): the file is meant to be handed on."""
    from wengang import __version__

    text = (f"wengang {__version__}\n命令 / argv: {sys.argv!r}\n时间 / at: {time.strftime('%Y-%m-%d %H:%M:%S')}\n\n"
            + "".join(traceback.format_exception(exc)))
    text = _masked(text)
    name = f"error-{time.strftime('%Y%m%d-%H%M%S')}-{os.getpid()}.log"
    fallback = Path(tempfile.gettempdir()) / f"wengang-{_user_tag()}"
    for folder in (state_dir(), fallback):
        try:
            _private_folder(folder, shared_parent=folder == fallback)
            path = folder / name
            # O_EXCL: never write through a file or link someone else put there first
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            return path
        except OSError:
            continue
    raise exc  # nowhere to write: the traceback itself is the only record left


def _user_tag() -> str:
    """The fallback folder's suffix, one per user (``/tmp/wengang-1000``): another user's folder is not ours."""
    getuid = getattr(os, "getuid", None)
    return str(getuid()) if getuid is not None else (os.environ.get("USERNAME") or "user")


def run(app: Any) -> None:
    """Run the Typer app; an unexpected exception becomes "内部错误" with a log file and exit code 1."""
    try:
        app()
    except Exception as exc:  # noqa: BLE001 - the last resort: everything expected was handled before
        path = write_error_log(exc)
        typer.echo(
            f"内部错误（{type(exc).__name__}）：这不是输入错误，错误信息（证件号、账号等已脱敏）已写入 {path}，"
            f"仅本人可读；请将该文件交给系统维护人员 / internal error ({type(exc).__name__}); the traceback (identifiers "
            f"masked, readable by you only) is in {path}",
            err=True,
        )
        sys.exit(EXIT_INTERNAL)

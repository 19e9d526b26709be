"""README.md's commands run as written: the example files they name exist, and every ``wengang …`` line in its fenced
blocks parses with the CLI's own parser (the subcommand exists, its required options are there), so a ``case
publicity`` without ``-u`` or a renamed example file fails here before a reader finds it.

The casework block is also run end to end (screen → import → … → audit verify), as written but with ``--units 300``
(about a minute on two cores): what one command writes, the next accepts."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

try:  # Typer vendors its own click: its commands, groups and errors are not the ``click`` package's
    from typer import _click as click
except ImportError:  # pragma: no cover - an older Typer on the real click
    import click  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = [README, *sorted((ROOT / "docs").glob("*.md"))]


def fenced_blocks(text: str) -> list[str]:
    return re.findall(r"^```[a-z]*\n(.*?)^```", text, flags=re.S | re.M)


def command_lines(block: str) -> list[str]:
    """Shell lines of a block, continuation lines joined, comments dropped."""
    joined = re.sub(r"\\\n\s*", " ", block)
    out = []
    for line in joined.splitlines():
        if line.strip().startswith("#") or not line.strip():
            continue
        out.extend(part.strip() for part in re.split(r" && | ; ", line))
    return out


def wengang_args(line: str) -> list[str] | None:
    """The arguments after ``wengang`` (redirections dropped), or None for another program."""
    words = shlex.split(line, comments=True)
    if not words or not words[0].endswith("wengang") or words[0].endswith(".py"):
        return None
    args = []
    skip = False
    for w in words[1:]:
        if skip:
            skip = False
            continue
        if w in ("<", ">", "2>", ">>"):
            skip = True
            continue
        args.append(w)
    return args


def parse(args: list[str]) -> None:
    """Parse ``args`` as the shell would hand them to ``wengang``, descending through the command groups."""
    from wengang.cli import app

    cmd: Any = typer.main.get_command(app)
    parent: Any = None
    name = "wengang"
    while True:
        try:
            ctx = cmd.make_context(name, list(args), parent=parent, resilient_parsing=False)
        except typer.Exit as exc:  # --help
            assert exc.exit_code == 0
            return
        if not hasattr(cmd, "resolve_command"):  # a command, not a group
            return
        rest = [*ctx._protected_args, *ctx.args]
        if not rest:
            return
        sub_name, sub, args = cmd.resolve_command(ctx, rest)
        assert sub is not None, f"no command {rest[0]!r}"
        cmd, parent, name = sub, ctx, sub_name or rest[0]


def readme_commands() -> list[str]:
    lines = [ln for b in fenced_blocks(README.read_text(encoding="utf-8")) for ln in command_lines(b)]
    return [ln for ln in lines if wengang_args(ln) is not None]


def test_example_files_named_in_the_docs_exist():
    missing = []
    for doc in DOCS:
        for ref in re.findall(r"examples/[A-Za-z0-9_.\-/]+", doc.read_text(encoding="utf-8")):
            ref = ref.rstrip(".,/")
            if not (ROOT / ref).exists():
                missing.append(f"{doc.relative_to(ROOT)}: {ref}")
    assert not missing, missing


def test_the_readme_has_commands_to_check():
    cmds = readme_commands()
    assert len(cmds) > 40
    assert any("case publicity" in c for c in cmds) and any("user add" in c for c in cmds)


@pytest.mark.parametrize("line", readme_commands())
def test_each_readme_command_parses(line):
    args = wengang_args(line)
    assert args is not None
    placeholders = [a for a in args if "…" in a or re.fullmatch(r"<[^>]+>", a)]
    assert not placeholders, f"placeholder in a command README shows: {line}"
    try:
        parse(args)
    except click.exceptions.UsageError as exc:
        pytest.fail(f"{line}\n→ {exc.format_message()}")


def test_a_missing_acting_user_is_caught():
    with pytest.raises(click.exceptions.UsageError, match="user"):
        parse(["case", "publicity", "GS-2025-01", "--out", "publicity"])
    with pytest.raises(click.exceptions.UsageError):
        parse(["case", "no-such-command"])


def casework_walk() -> list[str]:
    """The Ledger operators block and the Casework block, in order, as shell lines."""
    text = README.read_text(encoding="utf-8")
    blocks = fenced_blocks(text)
    ops = next(b for b in blocks if "audit keygen" in b)
    walk = next(b for b in blocks if "case import out/2025" in b and "demo-data" in b)
    return command_lines(ops) + command_lines(walk)


def test_the_casework_walk_runs_end_to_end(tmp_path):
    (tmp_path / ".venv").symlink_to(Path(sys.prefix))  # the README runs .venv/bin/wengang: this interpreter's
    script = "set -e\n" + "\n".join(ln.replace("--units 50000", "--units 300") for ln in casework_walk())
    env = {k: v for k, v in os.environ.items() if not k.startswith("WENGANG_")}
    r = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900
    )
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert "审计链完整" in r.stdout
    assert (tmp_path / "bank" / "P2025-01.txt").is_file() and (tmp_path / "letters" / "letters.pdf").is_file()

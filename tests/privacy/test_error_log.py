"""The internal-error log (exit 1, ``cli_errors.run``) holds no full identifier and is readable by its owner only
(outside trust audit D9; decisions §28: logs are masked with ``mask_text``, secrets scrubbed).

Before, it held ``sys.argv`` as typed — ``case set-account 51 6222000011115151`` kept the account in full —
and the exception's text (a database error quotes its parameters), in a file created 0644, in a folder that in the
fallback was the shared ``/tmp/wengang``; and the console asked the user to hand the file on."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

import pytest
import typer

from wengang import cli_errors

from .identifier_scan import scan_text

ACCOUNT = "6222000011115151"
PERSON = "152301199001010015"
MOBILE = "13800001234"
POSIX = hasattr(os, "getuid")


def _app() -> typer.Typer:
    app = typer.Typer()

    @app.command()
    def set_account(decision: int, account: str, contact: str = typer.Option("", "--contact")) -> None:
        # an unexpected error whose message quotes what it was given, as a database error quotes its parameters
        raise RuntimeError(f"[parameters: ({decision}, '{account}', '{PERSON}', '{contact}')]")

    return app


@pytest.fixture
def umask_022():
    old = os.umask(0o022)  # the usual umask: a plain open() makes 0644 files and 0755 folders
    yield
    os.umask(old)


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def _fail(monkeypatch, capsys) -> tuple[Path, str]:
    monkeypatch.setattr(sys, "argv", ["wengang", "51", ACCOUNT, "--contact", MOBILE])
    with pytest.raises(SystemExit) as exc:
        cli_errors.run(_app())
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("内部错误（RuntimeError）") and "Traceback" not in err
    path = Path(err.split("已写入 ")[1].split("，")[0])
    assert path.is_file() and str(path) in err
    return path, err


def test_the_log_masks_argv_and_the_error(monkeypatch, tmp_path, capsys, umask_022):
    monkeypatch.setenv("WENGANG_STATE_DIR", str(tmp_path / "state" / "wengang"))
    path, err = _fail(monkeypatch, capsys)
    text = path.read_text("utf-8")
    assert scan_text(text) == [], [k for k, _ in scan_text(text)]
    for full in (ACCOUNT, PERSON, MOBILE):
        assert full not in text and full not in err
    # masked as every list shows them (documents.masking), the traceback itself still there for the maintainer
    assert "6222 **** **** 5151" in text and "1523**********0015" in text and "138****1234" in text
    assert "Traceback" in text and "RuntimeError" in text and "--contact" in text
    assert "已脱敏" in err and "仅本人可读" in err
    if POSIX:
        assert _mode(path) == 0o600
        assert _mode(path.parent) == 0o700  # the folder it created


def test_an_existing_state_folder_is_left_as_it_is_but_the_file_is_private(monkeypatch, tmp_path, capsys, umask_022):
    folder = tmp_path / "shared-state"
    folder.mkdir(mode=0o755)
    monkeypatch.setenv("WENGANG_STATE_DIR", str(folder))
    path, _ = _fail(monkeypatch, capsys)
    assert path.parent == folder
    if POSIX:
        assert _mode(path) == 0o600 and _mode(folder) == 0o755


@pytest.mark.skipif(not POSIX, reason="file modes and owners are POSIX")
def test_the_fallback_folder_is_the_users_own(monkeypatch, tmp_path, capsys, umask_022):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("x")
    monkeypatch.setenv("WENGANG_STATE_DIR", str(blocked / "state"))  # cannot be made: falls back
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    path, _ = _fail(monkeypatch, capsys)
    assert path.parent == tmp_path / "tmp" / f"wengang-{os.getuid()}"  # not the shared /tmp/wengang
    assert _mode(path) == 0o600 and _mode(path.parent) == 0o700
    assert scan_text(path.read_text("utf-8")) == []


@pytest.mark.skipif(not POSIX, reason="symbolic links and owners are POSIX")
def test_a_fallback_folder_planted_by_someone_else_is_not_used(monkeypatch, tmp_path, capsys):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("x")
    monkeypatch.setenv("WENGANG_STATE_DIR", str(blocked / "state"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    theirs = tmp_path / "theirs"
    theirs.mkdir()
    (tmp_path / "tmp" / f"wengang-{os.getuid()}").symlink_to(theirs)  # a link to a folder another user reads
    monkeypatch.setattr(sys, "argv", ["wengang", "51", ACCOUNT])
    with pytest.raises(RuntimeError):  # nowhere safe to write: the exception itself is the only record
        cli_errors.run(_app())
    assert list(theirs.iterdir()) == []

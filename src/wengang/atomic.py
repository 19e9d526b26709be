"""Outputs appear whole or not at all: write under a temporary name beside the target, rename on success.

* ``atomic_path(path)`` — one file (a 公示 XLSX, a letter PDF, a bank file): the block writes the
  temporary path it is given; on success it replaces ``path`` (``os.replace``, atomic on one file system),
  on failure it is deleted and ``path`` is as it was.
* ``atomic_dir(path, owned)`` — an output folder (``wengang screen --out``): the block writes into an empty
  staging folder inside it (``.tmp-wengang-…``); on success each entry is moved into ``path`` and the
  ``owned`` names the run did not write this time (a quarantine list from the previous run, say) are
  removed, so the folder holds one run; on failure the staging folder is deleted and the previous run's
  outputs are untouched.

A target that cannot be written (a directory where a file should be, a file where a folder should be, a
parent that is a file) is an :class:`~wengang.inputs.InputError` before anything is written.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from wengang.inputs import InputError, os_error


def _temp_name(target: Path) -> Path:
    # hidden, unique, and with the target's suffix (some writers choose the format by it)
    return target.with_name(f".{target.stem}.tmp-{uuid.uuid4().hex[:8]}{target.suffix}")


def _parent(target: Path, what_zh: str, what_en: str) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except (OSError, ValueError) as exc:
        raise os_error(exc, target.parent, f"{what_zh}的上级目录", f"the folder of {what_en}") from None


@contextmanager
def atomic_path(path: str | Path, what_zh: str = "输出文件", what_en: str = "output file") -> Iterator[Path]:
    target = Path(path)
    tmp = _temp_name(target)
    try:
        if target.is_dir():
            raise InputError(f"{what_zh} {target} 是一个目录，应为文件路径", f"{what_en} {target} is a directory, not a file path")
        _parent(target, what_zh, what_en)
        tmp.touch()  # can we write there at all? (before any work is done)
    except InputError:
        raise
    except (OSError, ValueError) as exc:
        raise os_error(exc, target, what_zh, what_en) from None
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def atomic_dir(path: str | Path, owned: Iterable[str] = (), what_zh: str = "输出目录", what_en: str = "output folder") -> Iterator[Path]:
    target = Path(path)
    # the staging folder lives inside the target: same file system, and nothing is written outside --out
    stage = target / f".tmp-wengang-{uuid.uuid4().hex[:8]}"
    try:
        if target.exists() and not target.is_dir():
            raise InputError(f"{what_zh} {target} 是一个文件，应为目录", f"{what_en} {target} is a file, not a folder")
        _parent(target, what_zh, what_en)
        created = not target.exists()
        target.mkdir(exist_ok=True)
        stage.mkdir()
    except InputError:
        raise
    except (OSError, ValueError) as exc:
        raise os_error(exc, target, what_zh, what_en) from None
    done = False
    try:
        yield stage
        written = {p.name for p in stage.iterdir()}
        for name in sorted(set(owned) - written):  # the previous run's, not written by this one
            old = target / name
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old)
            else:
                old.unlink(missing_ok=True)
        for name in sorted(written):
            new, old = stage / name, target / name
            if old.is_dir() and not old.is_symlink():
                shutil.rmtree(old)
            os.replace(new, old)
        done = True
    finally:
        shutil.rmtree(stage, ignore_errors=True)
        if created and not done:
            with contextlib.suppress(OSError):
                target.rmdir()  # only if still empty: the folder this run made and never filled

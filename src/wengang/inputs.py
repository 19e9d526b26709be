"""Bad input, in one place: the error every command turns into exit code 2, and the readers and parsers
that raise it (files, dates, years, names).

A bad input is refused with a message that names the file, option or record and says what was expected,
Chinese first, English after; never a Python traceback (docs/decisions.md, "Errors and exit codes").
``InputError`` is a ``ValueError`` so the existing ``except ValueError`` refusals keep working, and the
command line (``wengang.cli_errors``) prints any that reaches it and exits 2.
"""

from __future__ import annotations

import errno
import json
import re
import types
import typing
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

# operational dates and policy years: a typo such as 0225 or 20255 is refused rather than screened
YEAR_MIN, YEAR_MAX = 2000, 2100


class InputError(ValueError):
    """Input that cannot be used. ``zh`` and ``en`` say which and why; ``str()`` is ``zh / en``."""

    def __init__(self, zh: str, en: str):
        self.zh = zh
        self.en = en
        super().__init__(f"{zh} / {en}")


def os_error(exc: BaseException, path: str | Path, what_zh: str = "文件", what_en: str = "file") -> InputError:
    """An ``OSError`` (or a path ``ValueError``) met while opening ``path``, as a refusal naming it."""
    code = getattr(exc, "errno", None)
    if code == errno.ENOENT:
        return InputError(f"找不到{what_zh} {path}", f"{what_en} not found: {path}")
    reasons = {
        errno.EISDIR: ("是一个目录，应为文件", "is a directory, not a file"),
        errno.ENOTDIR: ("的路径中有一段不是目录", "has a path part that is not a directory"),
        errno.EACCES: ("无权访问", "is not accessible (permission denied)"),
        errno.EPERM: ("无权访问", "is not accessible (operation not permitted)"),
        errno.ENAMETOOLONG: ("的文件名过长", "has too long a name"),
        errno.ELOOP: ("的符号链接形成循环", "is a symbolic-link loop"),
        errno.EEXIST: ("已存在，且不是目录", "exists and is not a folder"),
    }
    if isinstance(exc, ValueError):  # "embedded null byte"
        zh, en = "的路径含有无效字符", f"is not a valid path ({exc})"
    else:
        zh, en = reasons.get(code, (f"无法读写（{getattr(exc, 'strerror', None) or exc}）", f"cannot be used ({exc})"))
    return InputError(f"{what_zh} {path} {zh}", f"{what_en} {path} {en}")


def read_bytes(path: str | Path, what_zh: str = "文件", what_en: str = "file") -> bytes:
    try:
        return Path(path).read_bytes()
    except (OSError, ValueError) as exc:
        raise os_error(exc, path, what_zh, what_en) from None


def read_text(path: str | Path, what_zh: str = "文件", what_en: str = "file", encoding: str = "utf-8") -> str:
    data = read_bytes(path, what_zh, what_en)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{what_zh} {path} 不是 {encoding.upper()} 编码的文本（第 {exc.start} 字节）",
            f"{what_en} {path} is not {encoding.upper()} text (byte {exc.start})",
        ) from None


_SHAPES = {dict: ("一个 JSON 对象 {…}", "a JSON object {...}"), list: ("一个 JSON 列表 […]", "a JSON list [...]")}


def expect_shape(value: Any, shape: type | tuple[type, ...], where_zh: str, where_en: str) -> Any:
    """``value`` if it is a ``dict``/``list`` as expected, else a refusal saying what was found."""
    if isinstance(value, shape):
        return value
    shapes = shape if isinstance(shape, tuple) else (shape,)
    zh = "或".join(_SHAPES[s][0] for s in shapes)
    en = " or ".join(_SHAPES[s][1] for s in shapes)
    found = {dict: "对象", list: "列表", str: "字符串", int: "整数", float: "数", bool: "布尔值", type(None): "null"}
    got = found.get(type(value), type(value).__name__)
    raise InputError(f"{where_zh}应为{zh}，而不是{got}", f"{where_en} must be {en}, not {type(value).__name__}")


def fits(value: Any, hint: Any) -> bool:
    """Whether a JSON value has the Python type ``hint`` (``str``, ``int | None``, ``list[str]`` …); JSON's
    ``true`` is not an integer."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return True
    if origin in (typing.Union, types.UnionType):
        return any(fits(value, a) for a in args)
    if hint is None or hint is type(None):
        return value is None
    if origin is list:
        return isinstance(value, list) and all(fits(v, args[0]) for v in value) if args else isinstance(value, list)
    if origin is dict:
        return isinstance(value, dict) and (not args or all(isinstance(k, str) and fits(v, args[1]) for k, v in value.items()))
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, hint)


def _hint_zh(hint: Any) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return "或".join(_hint_zh(a) for a in args)
    if origin is list:
        return f"{_hint_zh(args[0])}的列表" if args else "列表"
    if origin is dict or hint is dict:
        return "JSON 对象"
    return {str: "字符串", int: "整数", bool: "true/false", type(None): "null", list: "列表"}.get(hint, str(hint))


def check_fields(obj: Mapping[str, Any], spec: Mapping[str, Any], where_zh: str, where_en: str) -> None:
    """Every key of ``spec`` present in ``obj`` has the JSON type given, else a refusal naming the field."""
    for key, hint in spec.items():
        if key in obj and not fits(obj[key], hint):
            got = json.dumps(obj[key], ensure_ascii=False, default=str)[:40]
            raise InputError(f"{where_zh}的“{key}”应为{_hint_zh(hint)}，而不是 {got}",
                             f"{where_en}: {key!r} must be {str(hint).replace('typing.', '')}, not {got}")


def read_json(path: str | Path, what_zh: str = "文件", what_en: str = "file", shape: type | tuple[type, ...] | None = None,
              parse_float: Any = None) -> Any:
    """A UTF-8 JSON file; ``shape`` (``dict``, ``list`` or both) is what the top level must be; ``parse_float``
    as ``json.loads`` takes it (``Decimal``: an amount written 18640.5 stays exact)."""
    text = read_text(path, what_zh, what_en)
    try:
        value = json.loads(text, parse_float=parse_float)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{what_zh} {path} 不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）",
            f"{what_en} {path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
        ) from None
    if shape is not None:
        expect_shape(value, shape, f"{what_zh} {path} ", f"{what_en} {path}")
    return value


def check_year(year: int, what_zh: str = "年度", what_en: str = "year") -> int:
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise InputError(f"{what_zh}“{year}”超出合理范围（{YEAR_MIN}–{YEAR_MAX}）",
                         f"{what_en} {year} is out of range ({YEAR_MIN}-{YEAR_MAX})")
    return year


def parse_date(text: Any, what_zh: str = "日期", what_en: str = "date") -> date:
    """An operator's date (an option such as ``--date``, ``_case.date`` in a facts file, a ledger filter), read
    by the one date reader of the input layer (:func:`wengang.ingest.values.parse_date`: ``2025-08-01``,
    ``2025/8/1``, ``2025.8.1``, ``2025年8月1日``, ``20250801``), in a year from ``YEAR_MIN`` to ``YEAR_MAX``."""
    from wengang.ingest.values import ValueProblem
    from wengang.ingest.values import parse_date as read_date

    try:
        day = read_date(text)
    except ValueProblem:
        year = re.match(r"\s*([0-9]{4})(?![0-9]{4}$)", str(text))
        if year:  # a well-formed date in a year far out: say so rather than "not a date"
            check_year(int(year.group(1)), f"{what_zh} {text} 的年份", f"the year of {what_en} {text}")
        raise InputError(
            f"{what_zh}“{text}”不是有效日期，应写作 YYYY-MM-DD（如 2025-08-01），也可写 2025/8/1、2025年8月1日",
            f"{what_en} {text!r} is not a valid date; write YYYY-MM-DD (e.g. 2025-08-01), 2025/8/1 or 2025年8月1日",
        ) from None
    check_year(day.year, f"{what_zh} {day.isoformat()} 的年份", f"the year of {what_en} {day.isoformat()}")
    return day


def known_name(name: str, known: Iterable[str], what_zh: str, what_en: str) -> str:
    """``name`` if it is one of ``known``; otherwise a refusal naming the nearest valid names."""
    known = list(known)
    if name in known:
        return name
    from wengang.settings import unknown_name_message

    msg = unknown_name_message(name, known, what_zh, what_en)
    zh, _, en = msg.partition(" / ")
    raise InputError(zh, en)


def check_program(name: str) -> str:
    """A program name the rules know (``fanhuan``, ``skill_subsidy`` …), else the nearest ones."""
    from wengang.policies.required import PROGRAM_LABELS

    return known_name(name, PROGRAM_LABELS, "项目", "program")

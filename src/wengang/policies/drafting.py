"""Authoring next year's notice: a draft from this year's file, and what changed between two files.

:func:`draft_next` works on the YAML text, line by line, so the file keeps its layout, comments and quotes:

* ``id`` takes the new year (``im-2025-18`` → ``im-2026-draft``), ``status`` becomes ``draft``;
* the 文号 becomes a placeholder (``内人社发〔2025〕18号`` → ``内人社发〔2026〕□号``) to fill in when it is issued;
* every ``issued``, ``valid_from`` and ``valid_to`` moves by the years asked (29 February → 28 February);
* every clause is kept, each with a comment ``# 待核`` above it: the clause texts and the quotes citing them are
  last year's words and must be checked against the new text (the loader checks that each quote is in its
  clause, not that the clause is the new notice's); the document ``note`` says the same.

* a program block without ``valid_to`` (a standing measure, e.g. 失业保险金 经办要求) gets ``base: <this year's id>``
  with a ``# 待核`` comment: the draft supplements this year's open-ended block instead of overlapping it (the loader
  refuses a draft or a new notice that overlaps an installed one); if the new notice replaces the measure, drop the
  ``base`` and give this year's block a ``valid_to``.

The loader runs on the draft (ceilings, overlaps, citations) before it is written.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from wengang.policies.model import STATUS_ZH, Document
from wengang.policies.required import PROGRAM_LABELS

_DATE_KEY = re.compile(r"\b(issued|valid_from|valid_to):(\s*)[\"']?(\d{4})-(\d{2})-(\d{2})[\"']?")
_NUMBER_YEAR = re.compile(r"〔(\d{4})〕[^〔〕]*?号")
MARKER = "待核"
NOTE = (
    "草稿（由 wengang policy new 生成）：日期已顺延，文号待定；条款原文与各参数引文沿用上一年度文件 {old}，"
    "须对照新文件原文逐条核对后再改为有效（in_force）。"
)


def _shift(y: int, m: int, d: int, years: int) -> date:
    try:
        return date(y + years, m, d)
    except ValueError:  # 29 February into a common year
        return date(y + years, m, d - 1)


def _yaml_str(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _base_open_ended(lines: list[str], old_id: str, old_label: str) -> list[str]:
    """``base: old_id`` on every program block without ``valid_to`` (see the module docstring)."""
    out: list[str] = []
    in_programs = False
    block: list[str] = []

    def flush() -> None:
        if not block:
            return
        keys = [b for b in block if re.match(r"^    [a-z_]+:", b)]
        if any(k.startswith("    valid_to:") for k in keys):
            out.extend(block)
        else:
            comment = (f"    # {MARKER}：未定期限的常设项目，草稿以 base 补充并沿用 {old_label}（不与之重叠）；"
                       f"若新文件取代此项目，删去 base 并为 {old_label} 的此项目加 valid_to")
            done = False
            for b in block:
                if b.startswith("    base:"):
                    out.extend([comment, f"    base: {old_id}"])
                    done = True
                    continue
                out.append(b)
                if b.startswith("    valid_from:") and not any(k.startswith("    base:") for k in keys):
                    out.extend([comment, f"    base: {old_id}"])
                    done = True
            if not done:
                out.extend([comment, f"    base: {old_id}"])
        block.clear()

    for line in lines:
        top = bool(line) and not line[0].isspace() and not line.startswith("#")
        if top:
            flush()
            in_programs = line.startswith("programs:")
            out.append(line)
        elif in_programs and re.match(r"^  [a-z_][a-z0-9_]*:\s*$", line):
            flush()
            block.append(line)
        elif block:
            block.append(line)
        else:
            out.append(line)
    flush()
    return out


def draft_next(text: str, *, years: int = 1) -> str:
    """Next year's draft of one policy file's YAML ``text`` (see the module docstring)."""
    if years < 1:
        raise ValueError("years must be ≥ 1")
    lines = text.splitlines()
    old_id = old_number = None
    issued_year: int | None = None
    for line in lines:
        if line.startswith("id:"):
            old_id = line.split(":", 1)[1].strip().strip("'\"")
        elif line.startswith("number:"):
            old_number = line.split(":", 1)[1].strip().strip("'\"") or None
        elif line.startswith("issued:"):
            m = re.search(r"(\d{4})-", line)
            issued_year = int(m.group(1)) if m else None
    year_from = issued_year
    if year_from is None and old_number:
        m = _NUMBER_YEAR.search(old_number)
        year_from = int(m.group(1)) if m else None
    out: list[str] = []
    in_clauses = False
    has_note = any(line.startswith("note:") for line in lines)
    old_label = old_number or old_id or "上一年度文件"
    note_line = "note: " + _yaml_str(NOTE.format(old=old_label))
    i = 0
    while i < len(lines):
        line = lines[i]
        top = bool(line) and not line[0].isspace() and not line.startswith("#")
        if top:
            in_clauses = line.startswith("clauses:")
        if line.startswith("id:") and old_id:
            out.append(f"id: {_new_id(old_id, year_from, years)}")
        elif line.startswith("number:") and old_number and old_number.lower() not in ("null", "~"):
            out.append("number: " + _yaml_str(_new_number(old_number, years)))
        elif line.startswith("status:"):
            out.append("status: draft")
            if not has_note:
                out.append(note_line)
        elif line.startswith("note:"):
            rest = line.split(":", 1)[1].strip()
            if rest and rest[0] in ">|":  # a block scalar: keep it as a second paragraph after ours
                j = i + 1
                block: list[str] = []
                while j < len(lines) and (not lines[j].strip() or lines[j][0].isspace()):
                    block.append(lines[j].strip())
                    j += 1
                old = " ".join(b for b in block if b)
                out.append("note: " + _yaml_str(NOTE.format(old=old_label) + "原说明：" + old))
                i = j
                continue
            old = rest.strip("'\"")
            out.append("note: " + _yaml_str(NOTE.format(old=old_label) + ("原说明：" + old if old else "")))
        elif in_clauses and not top and re.match(r"^  [^\s#][^:]*:", line):
            key = line.strip().split(":", 1)[0]
            out.append(
                f"  # {MARKER}：条款“{key}”原文沿用 {old_label}，须对照新文件原文核对；引用本条的 quote 同样须核对"
            )
            out.append(line)
        else:
            out.append(_DATE_KEY.sub(lambda m: _date_sub(m, years), line))
        i += 1
    if old_id:
        out = _base_open_ended(out, old_id, old_label)
    out = _flag_dated_notes(out, old_label)
    header = (
        f"# 草稿：由 {old_label} 生成（wengang policy new），日期顺延 {years} 年；文号待定；"
        f"标有“{MARKER}”的条款及其引文须对照新文件原文核对。"
    )
    return header + "\n" + "\n".join(out) + ("\n" if text.endswith("\n") else "")


_NOTE_KEY = re.compile(r"^(\s+)(?:note:|[a-z_][a-z0-9_]*:\s*\{.*\bnote:)")
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")


def _flag_dated_notes(lines: list[str], old_label: str) -> list[str]:
    """A ``# 待核`` comment above every program or parameter note that names a year or date: the note is last year's
    words (“执行期限至2025年12月31日…” beside a valid_from of 2026) and is not shifted with the dates."""
    out: list[str] = []
    for i, line in enumerate(lines):
        m = _NOTE_KEY.match(line)
        if m and not line.lstrip().startswith("#"):
            text = line
            if re.search(r"note:\s*[>|][-+]?\s*$", line):  # a block scalar: its more-indented lines
                for nxt in lines[i + 1 :]:
                    if nxt.strip() and len(nxt) - len(nxt.lstrip()) <= len(m.group(1)):
                        break
                    text += nxt
            note = text.split("note:", 1)[1]
            years = list(dict.fromkeys(_YEAR.findall(note)))
            if years:
                out.append(
                    f"{m.group(1)}# {MARKER}：下行说明（note）沿用 {old_label}，其中的年份/日期（{'、'.join(years)}）"
                    "未随日期顺延，须对照新文件核对改写"
                )
        out.append(line)
    return out


def _date_sub(m: re.Match[str], years: int) -> str:
    d = _shift(int(m.group(3)), int(m.group(4)), int(m.group(5)), years)
    return f"{m.group(1)}:{m.group(2)}{d.isoformat()}"


def _new_id(old: str, year: int | None, years: int) -> str:
    if year is not None and str(year) in old:
        head = old.split(str(year), 1)[0]
        return f"{head}{year + years}-draft"
    return f"{old}-{(year + years) if year else 'next'}-draft"


def _new_number(old: str, years: int) -> str:
    m = _NUMBER_YEAR.search(old)
    if m is None:
        return f"{old}（下一年度，文号待定）"
    return old[: m.start()] + f"〔{int(m.group(1)) + years}〕□号" + old[m.end() :]


# -------------------------------------------------------------------------------------------------------------
# diff


@dataclass
class Change:
    where: str  # "文件" | "项目 fanhuan" | "参数 fanhuan.refund_rate_sme" | "条款 一"
    what: str  # Chinese: 新增 / 删除 / 改变
    before: str = ""
    after: str = ""

    def text(self) -> str:
        if self.what == "改变":
            return f"{self.where}：{self.before} → {self.after}"
        return f"{self.where}：{self.what}" + (
            f"（{self.after or self.before}）" if (self.after or self.before) else ""
        )


@dataclass
class PolicyDiff:
    a: Document
    b: Document
    metadata: list[Change] = field(default_factory=list)
    dates: list[Change] = field(default_factory=list)
    parameters: list[Change] = field(default_factory=list)
    clauses: list[Change] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.metadata or self.dates or self.parameters or self.clauses)

    def to_dict(self) -> dict[str, Any]:
        def rows(cs: list[Change]) -> list[dict[str, str]]:
            return [{"where": c.where, "what": c.what, "before": c.before, "after": c.after} for c in cs]

        return {
            "a": self.a.display_number,
            "b": self.b.display_number,
            "metadata": rows(self.metadata),
            "dates": rows(self.dates),
            "parameters": rows(self.parameters),
            "clauses": rows(self.clauses),
        }


def _fmt(v: Any) -> str:
    return "、".join(v) if isinstance(v, tuple) else ("—" if v is None else str(v))


def _d(x: date | None) -> str:
    return x.isoformat() if x else "不定"


def _short(text: str, n: int = 60) -> str:
    t = " ".join(text.split())
    return t if len(t) <= n else t[: n - 1] + "…"


def _differing(a: str, b: str, n: int = 60, context: int = 12) -> tuple[str, str]:
    """The part of two texts that differs, with a little context either side (“…上浮 10%。” → “…上浮 15%。”): two
    long texts cut to their first ``n`` characters read the same when they differ further on."""
    ta, tb = " ".join(a.split()), " ".join(b.split())
    if len(ta) <= n and len(tb) <= n:
        return ta, tb
    head = 0
    while head < min(len(ta), len(tb)) and ta[head] == tb[head]:
        head += 1
    tail = 0
    while tail < min(len(ta), len(tb)) - head and ta[-1 - tail] == tb[-1 - tail]:
        tail += 1
    start = max(0, head - context)

    def cut(t: str) -> str:
        end = min(len(t), len(t) - tail + context)
        part = t[start:end]
        if len(part) > n:
            part = part[: n - 1] + "…"
        return ("…" if start else "") + part + ("…" if end < len(t) and not part.endswith("…") else "")

    return cut(ta), cut(tb)


def diff_documents(a: Document, b: Document) -> PolicyDiff:
    """What changed from ``a`` to ``b``: metadata, program dates, parameters (value, unit, clause, quote,
    boundary, own dates), clause texts."""
    out = PolicyDiff(a, b)
    for name, label in (
        ("id", "文件 id"),
        ("number", "文号"),
        ("title", "标题"),
        ("status", "状态"),
        ("jurisdiction", "地区"),
        ("issued", "印发日期"),
        ("implements", "执行文件"),
        ("forwards", "转发"),
    ):
        va, vb = getattr(a, name), getattr(b, name)
        if name == "status":  # 有效 / 征求意见稿, not the codes
            va, vb = STATUS_ZH.get(va, va), STATUS_ZH.get(vb, vb)
        if va != vb:
            (out.dates if name == "issued" else out.metadata).append(
                Change(label, "改变", _fmt(va), _fmt(vb))
            )
    for pid in sorted(set(a.programs) | set(b.programs)):
        pa, pb = a.programs.get(pid), b.programs.get(pid)
        program = PROGRAM_LABELS.get(pid, pid)  # 稳岗返还, not the program's id
        if pa is None or pb is None:
            block = pb if pa is None else pa
            assert block is not None
            out.metadata.append(Change(f"项目 {program}", "新增" if pa is None else "删除", after=block.label))
            continue
        for name, label in (("valid_from", "起始日期"), ("valid_to", "截止日期")):
            va, vb = getattr(pa, name), getattr(pb, name)
            if va != vb:
                out.dates.append(Change(f"项目 {program} {label}", "改变", _d(va), _d(vb)))
        for name, label in (("ruleset", "规则集"), ("clause", "主条款"), ("base", "沿用的文件")):
            va, vb = getattr(pa, name), getattr(pb, name)
            if va != vb:  # (an absent value in words, not Python's None: README audit, session 40)
                out.metadata.append(Change(f"项目 {program} {label}", "改变", str(va or "（无）"), str(vb or "（无）")))
        for name in sorted(set(pa.params) | set(pb.params)):
            xa, xb = pa.params.get(name), pb.params.get(name)
            where = f"参数 {pid}.{name}"
            if xa is None or xb is None:
                x = xb or xa
                assert x is not None
                out.parameters.append(
                    Change(where, "新增" if xa is None else "删除", after=f"{x.formatted()}〔{x.clause}〕")
                )
                continue
            if (xa.value, xa.unit) != (xb.value, xb.unit) or xa.ceiling != xb.ceiling:
                out.parameters.append(Change(where, "改变", xa.formatted(), xb.formatted()))
            if xa.boundary != xb.boundary:
                out.parameters.append(
                    Change(where + " 边界词", "改变", xa.boundary or "—", xb.boundary or "—")
                )
            if xa.clause != xb.clause:
                out.parameters.append(Change(where + " 条款", "改变", xa.clause, xb.clause))
            if xa.quote != xb.quote:
                out.parameters.append(Change(where + " 引文", "改变", *_differing(xa.quote, xb.quote)))
            if (xa.valid_from, xa.valid_to) != (xb.valid_from, xb.valid_to):
                out.dates.append(
                    Change(
                        where + " 期间",
                        "改变",
                        f"{_d(xa.valid_from)}～{_d(xa.valid_to)}",
                        f"{_d(xb.valid_from)}～{_d(xb.valid_to)}",
                    )
                )
        for name in sorted(set(pa.region_settings) | set(pb.region_settings)):
            sa, sb = pa.region_settings.get(name), pb.region_settings.get(name)
            if (sa is None) != (sb is None):
                out.parameters.append(Change(f"地区设置 {pid}.{name}", "新增" if sa is None else "删除"))
    from wengang.policies.loader import normalize

    for key in list(a.clauses) + [k for k in b.clauses if k not in a.clauses]:
        ca, cb = a.clauses.get(key), b.clauses.get(key)
        if ca is None or cb is None:
            out.clauses.append(
                Change(f"条款 {key}", "新增" if ca is None else "删除", after=_short(cb or ca or ""))
            )
        elif normalize(ca) != normalize(cb):
            out.clauses.append(Change(f"条款 {key}", "改变", *_differing(ca, cb)))
    return out


def shift_years(a: Document, b: Document) -> int:
    """How many years ``b``'s programs start after ``a``'s (to place the population in ``b``'s period)."""
    common = [p for p in a.programs if p in b.programs]
    if common:
        return b.programs[common[0]].valid_from.year - a.programs[common[0]].valid_from.year
    if a.issued and b.issued:
        return b.issued.year - a.issued.year
    return 0

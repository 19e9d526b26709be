"""The Chinese letter a caseworker sends (审核不通过的要准确告知原因), rendered from a decision."""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

from wengang.money import format_yuan
from wengang.rules import interpretations
from wengang.rules.engine import ELIGIBLE, INELIGIBLE, NEEDS_DECISION, NOT_DETERMINABLE, STATUS_ZH, Decision

# a switch's name after its reading's description, as evaluate's period basis gives it
# (``（按申领（申请）日期：…；解释开关 policy.period_date）``): for the caseworker's screens, not for a letter
_SWITCH_NAME_AFTER_READING = re.compile(r"；解释开关 [A-Za-z0-9_]+\.[A-Za-z0-9_]+(?=）)")
_READING_TAG = re.compile(r"；解释开关 ([A-Za-z0-9_]+\.[A-Za-z0-9_]+)）")


def without_switch_names(text: str) -> str:
    """``text`` as a letter says it: a reading by its description only (``（…；解释开关 name）`` → ``（…）``)."""
    return _SWITCH_NAME_AFTER_READING.sub("", text)


def _reading_as_adopted(text: str) -> str:
    """A reading quoted after a conclusion (the period basis: ``按审核日期 … 确定适用的政策（按申领（申请）日期：…；解释开关
    policy.period_date）``) said as the reading the conclusion follows from, so that “按审核日期” beside “按申领（申请）日期”
    reads as that reading's rule for the case, not as a second reading (outside explanation audit, session 41: S25-17)."""
    for name in dict.fromkeys(_READING_TAG.findall(text)):
        try:
            sw = interpretations.get(name)
        except KeyError:
            continue
        for key in sw.readings:
            desc = sw.describe(key)
            head, sep, tail = desc.partition("：")
            said = f"（依本次采用的政策理解“{head}”：{tail}）" if sep else f"（依本次采用的政策理解“{desc}”）"
            text = text.replace(f"（{desc}；解释开关 {name}）", said)
    return text


# ---------------------------------------------------------------------------------------------
# the documents a letter may cite, and the switches' titles as such a letter gives them

# a document as a title or a citation names it: a 文号, a draft by its title, the 条例 by its 国务院令
_DOC_NUMBER = re.compile(r"《[^》]*》|[\u4e00-\u9fff]+〔\d{4}〕\d+号|国务院令第\d+号")

# a switch whose registered title quotes several documents' words, as a letter under one of them says it (outside
# explanation audit, session 41: a 2019 and a 阳泉 letter quoted “12 个月以上”（内人社发〔2025〕18号 二） as their
# rule): per document the case rests on, that document's own words and clause
_TITLE_PER_DOCUMENT: dict[str, dict[str, str]] = {
    "skill_subsidy.insured_period": {
        "内政发〔2019〕4号": "“参加失业保险 1 年（含 1年）以上”（内政发〔2019〕4号 八）的计算口径",
        "内人社发〔2025〕18号": "“参加失业保险 12 个月以上”（内人社发〔2025〕18号 二）的计算口径",
        "晋人社厅发〔2024〕28号": "“参加失业保险 1 年以上”（晋人社厅发〔2024〕28号 三）的计算口径",
        interpretations.BINGTUAN_DRAFT: f"“参加失业保险1年以上”（{interpretations.BINGTUAN_DRAFT} 一（三））的计算口径",
        "人社部发〔2024〕40号": "“参加失业保险 1 年以上”（人社部发〔2024〕40号 三）的计算口径",
    },
}
# a switch whose title names documents by region or year (not by 文号): in a letter, its question without them, with
# the clauses of the case's documents that it reads
_NEUTRAL_TITLES: dict[str, str] = {
    "skill_subsidy.insured_period": "参加失业保险时长的计算口径",
    "fanhuan.size_class_where_silent": "文件未规定划型办法时采用哪些划型依据",
}


def _doc_of(citation: str) -> str:
    """The document of a citation (``内人社发〔2025〕18号 二`` → ``内人社发〔2025〕18号``)."""
    return citation.strip().split(" ", 1)[0]


def case_documents(
    policy_number: str | None, via: Iterable[str] = (), citations: Iterable[str] = ()
) -> tuple[str, ...]:
    """The documents a case rests on: the one in force, the notices forwarding it, every document a check or figure of
    the decision cites (a national notice a province implements); in that order."""
    docs = [policy_number or "", *via, *(_doc_of(c) for c in citations)]
    return tuple(dict.fromkeys(d for d in docs if d))


def decision_documents(d: Decision) -> tuple[str, ...]:
    cites = [c for ch in d.checks for c in ch.citations] + [c for cs in d.output_citations.values() for c in cs]
    return case_documents(d.policy_number, d.policy_via, cites)


def _in_case(named: str, docs: Sequence[str]) -> bool:
    return any(named.endswith(doc) for doc in docs)


def _registry_key() -> tuple[object, ...]:
    """What the registered switches are, told apart cheaply: programs register theirs as they are imported (and a test
    may remove one), so a text cached from the titles is cached under this key."""
    reg = interpretations.REGISTRY
    if not reg:
        return ()
    last = next(reversed(reg))
    return (len(reg), last, id(reg[last]))


def letter_title(name: str, docs: Sequence[str]) -> str:
    """Switch ``name``'s question as a letter resting on ``docs`` says it: a title that quotes or names documents the
    case does not rest on is said in the words of the case's document (:data:`_TITLE_PER_DOCUMENT`), or without them,
    citing the clauses of the case's documents the switch reads (a 2019 letter cited 人社部发〔2024〕40号 and
    内人社发〔2025〕18号 for its “1 年（含 1年）以上”). Without ``docs`` (no document in force), the registered title."""
    return _letter_title(name, tuple(docs), _registry_key())


@functools.lru_cache(maxsize=4096)
def _letter_title(name: str, docs: tuple[str, ...], _registry: tuple[object, ...]) -> str:
    sw = interpretations.get(name)
    if not docs:
        return sw.title
    own = _TITLE_PER_DOCUMENT.get(name) or {}
    for doc in docs:
        if doc in own:
            return own[doc]
    foreign = [t for t in dict.fromkeys(_DOC_NUMBER.findall(sw.title)) if not _in_case(t, docs)]
    if not foreign and name not in _NEUTRAL_TITLES:
        return sw.title
    title = _NEUTRAL_TITLES.get(name)
    if title is None:
        title = sw.title
        for doc in foreign:  # a quoted phrase with the foreign document's citation after it, and that citation alone
            cite = "（" + re.escape(doc) + r"(?: [^（）]*)?）"  # (a bracket saying more, “（…40号印发前）”, is no citation)
            title = re.sub(r"[、，]?“[^”]*”" + cite, "", title)
            title = re.sub(cite, "", title)
        title = title.strip("、，；")
        if any(not _in_case(t, docs) for t in _DOC_NUMBER.findall(title)):
            return sw.title  # the question is about that document itself (86号 after 2022): said as registered
    cites = [c for c in sw.clauses if _doc_of(c) in docs and c not in title]
    return title + (f"（{'；'.join(cites)}）" if cites else "")


def with_letter_titles(text: str, docs: Sequence[str]) -> str:
    """``text`` (a reason or note quoting switches' titles, as the engine writes them) with each title as
    :func:`letter_title` says it for ``docs``."""
    if not docs or not text:
        return text
    key = _registry_key()
    docs = tuple(docs)
    for name, title in _titles_longest_first(key):
        if title in text:
            text = text.replace(title, _letter_title(name, docs, key))
    return text


@functools.lru_cache(maxsize=8)
def _titles_longest_first(_registry: tuple[object, ...]) -> tuple[tuple[str, str], ...]:
    """Each registered switch's (name, title), the longest title first (a title that holds a shorter one is replaced
    whole)."""
    return tuple((n, sw.title) for n, sw in sorted(interpretations.REGISTRY.items(), key=lambda kv: -len(kv[1].title)))


# Each pattern starts at a literal character (“-”, a space, “日 ”), which the regular-expression engine finds by a
# fast search, and looks behind it for the rest: a letter is a thousand characters, mostly Chinese, and a pattern that
# starts with a lookbehind or a digit is tried at each of them (60 µs a letter, an eighth of one case's time).
# An ISO date: the hyphen after a year of four digits (no digit or hyphen before it), then ``MM-DD`` (none after)
_ISO_DATE_AFTER_YEAR = re.compile(r"-(?<=(?<![\d-])\d{4}-)(\d{2})-(\d{2})(?![\d-])")
# a space between a Chinese character and a date in Chinese
_SPACE_BEFORE_DATE = re.compile(r" (?<=[^\x00-\x7f] )(?=\d{4}年\d{1,2}月\d{1,2}日)")
# the day of a date in Chinese (``年/月`` after a digit, then one or two digits) and a space before a Chinese character
_DAY_THEN_SPACE = re.compile(r"日 (?=[^\x00-\x7f])")
_BEFORE_DAY = re.compile(r"\d[年月]\d{1,2}\Z")


def zh_dates(text: str) -> str:
    """ISO dates (``2026-01-10``) as a letter writes them (``2026年1月10日``), with no space between them and the
    Chinese around them (outside explanation audit, session 41: ``通辽市 在 2026-01-10 没有有效的…政策``)."""
    if "-" in text:
        parts: list[str] = []
        last = 0
        for m in _ISO_DATE_AFTER_YEAR.finditer(text):
            year = m.start() - 4
            parts += [text[last:year], f"{int(text[year:m.start()])}年{int(m.group(1))}月{int(m.group(2))}日"]
            last = m.end()
        text = "".join(parts) + text[last:] if parts else text
    if " " not in text:
        return text
    text = _SPACE_BEFORE_DATE.sub("", text)
    return _DAY_THEN_SPACE.sub(_day_said_close, text)


def _day_said_close(m: re.Match[str]) -> str:
    """``日 `` of a date in Chinese without its space; any other ``日 `` as it is."""
    return "日" if _BEFORE_DAY.search(m.string, max(0, m.start() - 4), m.start()) else m.group(0)


# ---------------------------------------------------------------------------------------------
# who a letter is addressed to

# programs paid to someone other than the person the facts describe: the letter is addressed to them, not to the
# person (失业保险条例 第二十条: 丧葬补助金和抚恤金 are paid to the family of a person who died while drawing benefit;
# outside audit F5, session 41: “您的丧葬补助金…” addressed the dead). program → (after the person's name in the
# greeting, how the body names the addressee)
PAYEES: dict[str, tuple[str, str]] = {
    "ui_death_benefits": ("的家属", "死者家属"),
}


# ---------------------------------------------------------------------------------------------
# the readings behind each result of a 待认定 decision

Cube = list[tuple[str, tuple[str, ...]]]
R = TypeVar("R", bound=Hashable)  # a result: (status, amount), say


def _merge(cubes: list[tuple[tuple[str, ...], ...]], options: Sequence[Sequence[str]]) -> list[tuple[tuple[str, ...], ...]]:
    """Disjoint cubes of one result, two joined where they differ in one switch only (their union is then a cube)."""
    cubes = list(dict.fromkeys(cubes))
    merged = True
    while merged:
        merged = False
        for i, j in itertools.combinations(range(len(cubes)), 2):
            a, b = cubes[i], cubes[j]
            diff = [k for k in range(len(a)) if set(a[k]) != set(b[k])]
            if len(diff) == 1:
                k = diff[0]
                union = tuple(v for v in options[k] if v in a[k] or v in b[k])
                cubes[i] = (*a[:k], union, *a[k + 1 :])
                del cubes[j]
                merged = True
                break
    return cubes


def reading_conditions(outcomes: Sequence[tuple[Mapping[str, str], R]], fixed: Iterable[str] = ()) -> list[tuple[R, Cube]]:
    """For each result of a 待认定 decision, the combinations of readings that lead to it: a list of (result, condition),
    a condition being the switches it restricts with the readings each may take (a switch not named: any reading).

    ``outcomes``: (the readings an outcome lists, its result). An outcome lists the switches live on its branch; one it
    does not list gives its result under each of its readings (engine.material_switches). Only the switches whose
    reading alone changes a result are named, and every one of them a result rests on is (outside explanation audit,
    session 41: a line named the first outcome's switch only, and its 1,500.00元 rested on another switch unnamed)."""
    fixed = set(fixed)
    names: list[str] = []
    options: dict[str, list[str]] = {}
    for readings, _ in outcomes:
        for s in readings:
            if s in fixed or s in options or s in names:
                continue
            listed = list(dict.fromkeys(str(r[s]) for r, _ in outcomes if s in r))
            if len(listed) < 2:
                continue
            try:
                known = list(interpretations.get(s).readings)
            except KeyError:
                continue
            names.append(s)
            options[s] = known + [v for v in listed if v not in known]
    rows: list[tuple[dict[str, str], R]] = []
    for readings, result in outcomes:
        unlisted = [s for s in names if s not in readings]
        for combo in itertools.product(*(options[s] for s in unlisted)):
            point = {s: str(readings[s]) for s in names if s in readings}
            point.update(zip(unlisted, combo, strict=True))
            rows.append((point, result))
    material = []
    for s in names:
        seen: dict[tuple[str, ...], set[R]] = {}
        for point, result in rows:
            seen.setdefault(tuple(point[k] for k in names if k != s), set()).add(result)
        if any(len(found) > 1 for found in seen.values()):
            material.append(s)
    if not material:  # no switch named: one line per result (an outcome's readings not listed)
        return [(result, []) for result in dict.fromkeys(result for _, result in outcomes)]
    results: dict[tuple[str, ...], R] = {}
    for point, result in rows:
        results.setdefault(tuple(point[s] for s in material), result)
    groups: dict[R, list[tuple[tuple[str, ...], ...]]] = {}
    for key, result in results.items():
        groups.setdefault(result, []).append(tuple((v,) for v in key))
    out: list[tuple[R, Cube]] = []
    for result, cubes in groups.items():
        for cube in _merge(cubes, [options[s] for s in material]):
            out.append((result, [(s, vals) for s, vals in zip(material, cube, strict=True) if set(vals) != set(options[s])]))
    return out


def _outcome_text(status: str, amount_fen: int | None, amount_label: str) -> str:
    if status == ELIGIBLE and amount_fen is not None:
        return f"{STATUS_ZH[status]}，{amount_label}{format_yuan(amount_fen)}"
    return STATUS_ZH[status]


def outcome_lines(d: Decision) -> list[str]:
    """One line per combination of readings that leads to a result, naming every reading it rests on."""
    docs = decision_documents(d)
    conditions = reading_conditions([(o.readings, (o.status, o.amount_fen)) for o in d.outcomes], d.readings_fixed)
    out = []
    for (status, amount), cube in conditions:
        parts = []
        for name, values in cube:
            switch = interpretations.get(name)
            # each reading that leads here, named: several of one switch are listed with “或” (a line once read
            # just “其他理解”, outside fidelity audit, session 39)
            parts.append(f"{letter_title(name, docs)}按" + "或".join(f"“{switch.describe(v)}”" for v in values))
        condition = "；".join(parts) or "其他理解"
        # refusal lines belong to the readings that produce them, not to the notice as a whole
        # (the reasons every outcome under these readings gives: one a reading this line leaves free adds is that
        # reading's, not the line's; with none in common, each outcome's, as “或”)
        allowed = dict(cube)
        given = [
            list(dict.fromkeys(o.reasons))
            for o in d.outcomes
            if (o.status, o.amount_fen) == (status, amount)
            and all(o.readings[s] in allowed[s] for s in allowed if s in o.readings)
            and o.reasons
        ]
        common = [r for r in given[0] if all(r in g for g in given)] if given else []
        said = "；".join(common) if common else "；或".join(dict.fromkeys("；".join(g) for g in given))
        why = f"（{said}）" if said else ""
        out.append(f"{condition}：{_outcome_text(status, amount, d.amount_label)}{why}")
    return out


def open_switches(d: Decision) -> list[str]:
    """The switches a 待认定 decision's result depends on that the agency has not fixed: left open, not adopted. A switch
    the outcomes vary over whose every reading gives the same result is not one of them: the decision says it does not
    affect the conclusion (``immaterial_readings``), and its letter had listed it as 尚待认定 as well, its checks as ？."""
    if d.status != NEEDS_DECISION or not d.outcomes:
        return []
    return varying_open(d.outcomes, d.readings_fixed, d.immaterial_readings)


def varying_open(outcomes: Sequence[Any], fixed: Mapping[str, str], immaterial: Sequence[str]) -> list[str]:
    """:func:`open_switches` of a decision's ``outcomes`` (``Outcome`` objects or their JSON), readings ``fixed`` and
    ``immaterial`` switch titles: shared with the ledger's explanation of an application (casework.intake)."""
    def readings(o: Any) -> Mapping[str, str]:
        return (o.get("readings") if isinstance(o, Mapping) else o.readings) or {}

    names = dict.fromkeys(k for o in outcomes for k in readings(o))
    return [
        s for s in names
        if s not in fixed and interpretations.get(s).title not in immaterial
        and len({readings(o).get(s) or interpretations.get(s).default for o in outcomes}) > 1
    ]


_AGENCY_CONFIG: Any = None


def _signature(d: Decision) -> str:
    """The letter's signature: the agency's name (the region's agency block, as the PDF letters sign) and the date
    in Chinese (audit of explanations, session 40: ``通辽市　2025-08-01``)."""
    global _AGENCY_CONFIG
    name = ""
    try:
        if _AGENCY_CONFIG is None:  # (bound once: the ledger's module is loaded only when a letter is first signed)
            from wengang.casework.outputs import agency_config

            _AGENCY_CONFIG = agency_config
        name = _AGENCY_CONFIG([d.region]).get("name") or ""
    except Exception:  # noqa: BLE001 - a region with no agency file: the region's agency, named generically
        name = ""
    name = name or f"{d.region_name}社会保险经办机构"
    return f"{name}　{d.on.year}年{d.on.month}月{d.on.day}日"


def _plain(text: str, program: str, docs: Sequence[str] = ()) -> str:
    """A text as the unit or person reads it: no operator's hints, no field names (documents.recipient); a reading
    quoted after a conclusion said as the one adopted; switches' titles as the case's documents say them."""
    return _plain_cached(text, program, tuple(docs), _registry_key())


# a function of its arguments and of tables fixed once loaded (the switches' titles, the labels of facts and settings):
# a check's label, said alike in every case of a ruleset, is worked out once (one case's explanation, issue 13)
@functools.lru_cache(maxsize=8192)
def _plain_cached(text: str, program: str, docs: tuple[str, ...], _registry: tuple[object, ...]) -> str:
    from wengang.documents.recipient import recipient_text

    text = with_letter_titles(_reading_as_adopted(text), docs)
    return recipient_text(without_switch_names(text), program)


# an output that states a number of working days in its label's words (ui_benefit ``processing_limit``:
# ``办结时限：收到申请之日起的工作日数`` → ``10``): said with its unit, ``收到申请之日起10个工作日``
_WORKING_DAYS_LABEL = "的工作日数"


def _output_line(label: str, value: str, d: Decision) -> str:
    if label.endswith(_WORKING_DAYS_LABEL) and value.strip().isdigit():
        return f"{label.removesuffix(_WORKING_DAYS_LABEL)}{value.strip()}个工作日"
    if d.amount_is_cap and d.amount_fen is not None and value == format_yuan(d.amount_fen):
        # the standard the amount is, where the document sets it as a ceiling: said as the ceiling, as the amount is
        # (outside explanation audit, session 41: “补贴金额：不超过1,500.00元” beside “本等级补贴标准：1,500.00元”)
        value = f"不超过{value}"
    return f"{label}：{value}"


def explain(d: Decision) -> str:
    greeting_suffix, addressee = PAYEES.get(d.program, ("", "贵单位" if d.subject == "单位" else "您"))
    own = "申领的" if d.program in PAYEES else "的"
    who = d.subject_name or d.subject_id or "申请人"
    ident = f"（{d.subject_id}）" if d.subject_name and d.subject_id else ""
    lines = [f"{who}{ident}{greeting_suffix}："]
    if d.policy_number is None:
        lines.append(f"　　经审核，{addressee}{own}{d.program_label}事项无法办理：")
        lines += [f"　　{t}" for t in (_plain(r, d.program) for r in d.reasons) if t]
        lines += ["", _signature(d)]
        return zh_dates(without_switch_names("\n".join(lines)))

    docs = decision_documents(d)
    key = _registry_key()  # worked out once for the letter's texts

    def plain(text: str) -> str:
        return _plain_cached(text, d.program, docs, key)

    basis = d.policy_citation
    if d.policy_via:
        basis += f"（经{'、'.join(d.policy_via)}转发）"
    if d.policy_status == "draft":
        pending = "，文号待定" if "□" in (d.policy_number or "") else ""
        basis += f"【草稿（征求意见稿）{pending}，结果不作发放依据】"
    lines.append(f"　　依据{basis}，经审核，{addressee}{own}{d.program_label}审核结果为：{d.status_zh}。")

    if d.status == ELIGIBLE:
        if d.amount_fen is not None:
            cap = "不超过" if d.amount_is_cap else ""
            lines.append(f"　　{d.amount_label}：{cap}{format_yuan(d.amount_fen)}。")
            if d.amount_is_cap:
                lines.append("　　（文件规定为“不超过”的上限标准，具体标准由统筹地区确定。）")
        for _, label, value in d.outputs:
            lines.append(f"　　{_output_line(plain(label), plain(value), d)}")
    elif d.status == INELIGIBLE:
        lead = "不予发放" if d.program in PAYEES else f"{addressee}不符合条件"
        lines.append(f"　　{lead}的原因如下：")
        reasons = [t for t in (plain(r) for r in d.reasons) if t]
        lines += [f"　　{i}. {r}" for i, r in enumerate(reasons, 1)]
    elif d.status == NEEDS_DECISION:
        lines.append("　　本事项的结果取决于政策条文的理解，需经办机构认定后办理：")
        lines += [f"　　· {plain(text)}" for text in outcome_lines(d)]
    elif d.status == NOT_DETERMINABLE:
        lines.append("　　目前无法作出判定，原因如下：")
        reasons = [t for t in (plain(r) for r in d.reasons) if t]
        lines += [f"　　{i}. {r}" for i, r in enumerate(reasons, 1)]

    left_open = open_switches(d)
    if d.checks:
        lines += ["", "审核要点："]
        for c in d.checks:
            detail = plain(c.detail) if c.detail else ""
            detail = f"（{detail}）" if detail else ""
            cite = f"〔{'；'.join(c.citations)}〕" if c.citations else ""
            kind = "【核查】" if c.kind == "flag" else ""
            mark = c.mark
            depends = [s for s in c.switches if s in left_open]
            if depends:
                # the trace is the default reading's: under a switch left open the check holds under one reading only
                mark = "？"
                titles = "；".join(letter_title(s, docs) for s in depends)
                detail += f"（结果取决于待认定的政策理解：{titles}；以上为按默认理解的审核情况）"
            lines.append(f"　{mark} {kind}{plain(c.label)}{detail}{cite}")
    if d.period_basis and d.period_date != d.on:
        lines += ["", f"适用政策期间：{plain(d.period_basis)}。"]
    notes = [t for t in (plain(n) for n in d.notes) if t]
    if notes:
        lines += ["", "说明："]
        lines += [f"　· {n}" for n in notes]
    flags = [t for t in (plain(f) for f in d.flags) if t]
    if flags:
        lines += ["", "需进一步核查（不影响本次审核结论）："]
        lines += [f"　· {f}" for f in flags]
    # a switch the result depends on and the agency has not fixed is open, not adopted (audit of explanations,
    # session 40: a 待认定 letter said the default reading of the very switch it asked about was adopted)
    used = [(k, v) for k, v in d.readings.items() if k not in left_open]
    if left_open:
        lines += ["", "尚待认定的政策理解（经办机构尚未认定）："]
        for k in left_open:
            sw = interpretations.get(k)
            options = "；或".join(f"“{sw.describe(v)}”" for v in sw.readings)
            lines.append(f"　· {_plain(letter_title(k, docs), d.program)}：{_plain(options, d.program)}")
    if used:
        lines += ["", "本次审核采用的政策理解："]
        for k, v in used:
            sw = interpretations.get(k)
            how = "经办机构认定" if k in d.readings_fixed else "默认"
            lines.append(f"　· {_plain(letter_title(k, docs), d.program)}：{_plain(sw.describe(v), d.program)}（{how}）")
    lines += ["", _signature(d)]
    # the period basis and a reason quoting it; dates as a letter writes them
    return zh_dates(without_switch_names("\n".join(lines)))

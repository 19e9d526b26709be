"""The coverage register: every operative provision of the five notices and what the project does with it.

One YAML per seed under ``policies/coverage/`` (``000.yaml`` … ``004.yaml``), ids kept from the legal review
(``/work/shared/reviews/legal-review-2026-12.md`` §3, e.g. ``002-17``). Each provision names its document and
clause, a short Chinese description, a verbatim quote and one ``coverage:`` line, so that changing what a
provision's status is stays a one-line edit::

    - id: "002-17"
      document: 内人社办发〔2022〕86号
      clause: （三）6
      description: 稳岗返还：裁员率不高于5.5%
      quote: 裁员率不高于上年度全国城镇调查失业率控制目标（5.5%）
      review: OK
      coverage: {status: encoded, rules: [fanhuan:layoff], tests: [002-fanhuan-layoff-eq]}

Statuses: ``encoded`` (rule + test), ``setting`` (a region setting or interpretation switch the operator decides),
``recorded`` (recorded only; reason required), ``out_of_scope`` (reason required), ``missing`` (not yet encoded).

References are checked by :func:`validate`:

* rules: ``program`` (any ruleset of it), ``program:check_or_output_id``, or code outside the rule programs as
  ``module:attribute`` (e.g. ``wengang.casework.ledger:Ledger.self_apply``);
* tests: an acceptance case id (``tests/acceptance/<seed>/*.yaml``), ``tests/programs/cases/<program>.yaml#<case
  name>``, or ``tests/<path>.py::<test function>``;
* settings: an interpretation switch, a region setting or parameter of a policy document, a ``Setting`` of a
  rule program, or ``<document id>/<program>`` where the period of a block is the project's reading of a text
  that gives none.

The quote must be verbatim (whitespace and markdown aside, :func:`wengang.policies.loader.normalize`) in the
document's clause text when the policy YAML records that clause, and in the seed text when it can be found
(``$WENGANG_SHARED_DIR/policy-texts`` or ``<repo>/../shared/policy-texts``).
"""

from __future__ import annotations

import importlib
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from wengang.policies.loader import normalize

STATUSES = ("encoded", "setting", "recorded", "out_of_scope", "missing")
STATUS_ZH = {
    "encoded": "已编码",
    "setting": "地区设置/解释开关",
    "recorded": "仅记录",
    "out_of_scope": "不在范围",
    "missing": "未编码",
}
NEEDS_REASON = frozenset({"recorded", "out_of_scope"})
SEEDS = ("000", "001", "002", "003", "004")
ENTRY_KEYS = frozenset({"id", "document", "clause", "description", "quote", "review", "coverage", "note"})
COVERAGE_KEYS = frozenset({"status", "rules", "tests", "settings", "reason"})
ID_RE = re.compile(r"^(\d{3})-(\d{2})$")
ACCEPTANCE_ID_RE = re.compile(r"^\d{3}-[A-Za-z0-9_.-]+$")
REPO = Path(__file__).resolve().parents[3]


@dataclass
class Provision:
    id: str
    seed: str
    document: str
    clause: str
    description: str
    quote: str
    status: str
    review: str = ""
    rules: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    settings: tuple[str, ...] = ()
    reason: str = ""
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "document": self.document,
            "clause": self.clause,
            "description": self.description,
            "quote": self.quote,
            "status": self.status,
            "status_zh": STATUS_ZH.get(self.status, self.status),
            "review": self.review,
            "rules": list(self.rules),
            "tests": list(self.tests),
            "settings": list(self.settings),
            "reason": self.reason,
            "note": self.note,
        }


@dataclass
class Register:
    """The provisions of every seed, plus what reading the files found wrong (problems) or could not check."""

    seeds: dict[str, dict[str, Any]] = field(default_factory=dict)  # seed -> {"title":…, "count":…}
    provisions: list[Provision] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def of_seed(self, seed: str) -> list[Provision]:
        return [p for p in self.provisions if p.seed == seed]

    def unlisted(self) -> list[str]:
        """Review ids a seed file declares (``count``) but does not list."""
        out = []
        for seed, meta in self.seeds.items():
            have = {p.id for p in self.of_seed(seed)}
            out += [f"{seed}-{i:02d}" for i in range(1, int(meta.get("count") or 0) + 1) if f"{seed}-{i:02d}" not in have]
        return out

    def totals(self, seed: str | None = None) -> Counter[str]:
        items = self.of_seed(seed) if seed else self.provisions
        c: Counter[str] = Counter({s: 0 for s in STATUSES})
        c.update(p.status for p in items)
        return c


def _str_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value)


def _files(root: Any) -> list[tuple[str, str]]:
    return sorted(
        (e.name, e.read_text(encoding="utf-8"))
        for e in root.iterdir()
        if e.name.endswith(".yaml") and not e.name.startswith(".")
    )


def load(root: Path | None = None) -> Register:
    """Read the register (the packaged ``coverage/`` folder unless ``root``); structural problems are collected."""
    src: Any = root if root is not None else resources.files("wengang.policies") / "coverage"
    reg = Register()
    seen: dict[str, str] = {}
    for name, text in _files(src):
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            reg.problems.append(f"{name}: YAML 无法解析 / not valid YAML: {exc}")
            continue
        seed = str(data.get("seed", ""))
        if seed not in SEEDS:
            reg.problems.append(f"{name}: seed 须为 {'、'.join(SEEDS)} / seed must be one of {SEEDS}")
            continue
        reg.seeds[seed] = {"title": str(data.get("title", "")), "count": data.get("count") or 0, "file": name}
        for i, raw in enumerate(data.get("provisions") or []):
            where = f"{name}[{i}]"
            if not isinstance(raw, dict):
                reg.problems.append(f"{where}: 须为映射 / must be a mapping")
                continue
            pid = str(raw.get("id", ""))
            where = f"{name} {pid or f'[{i}]'}"
            unknown = set(raw) - ENTRY_KEYS
            if unknown:
                reg.problems.append(f"{where}: 未知字段 {sorted(unknown)} / unknown keys")
            m = ID_RE.match(pid)
            if not m or m.group(1) != seed:
                reg.problems.append(f"{where}: 编号须为 {seed}-NN / id must look like {seed}-NN")
            if pid in seen:
                reg.problems.append(f"{where}: 编号重复（另见 {seen[pid]}） / duplicate id")
            seen[pid] = name
            cov = raw.get("coverage")
            if isinstance(cov, str):
                cov = {"status": cov}
            if not isinstance(cov, dict):
                reg.problems.append(f"{where}: 缺少 coverage / missing coverage")
                cov = {}
            if set(cov) - COVERAGE_KEYS:
                reg.problems.append(f"{where}: coverage 未知字段 {sorted(set(cov) - COVERAGE_KEYS)} / unknown keys")
            for key in ("document", "clause", "description", "quote"):
                if not str(raw.get(key) or "").strip():
                    reg.problems.append(f"{where}: 缺少 {key} / missing {key}")
            reg.provisions.append(
                Provision(
                    id=pid,
                    seed=seed,
                    document=str(raw.get("document") or ""),
                    clause=str(raw.get("clause") or ""),
                    description=str(raw.get("description") or ""),
                    quote=str(raw.get("quote") or ""),
                    review=str(raw.get("review") or ""),
                    status=str(cov.get("status") or ""),
                    rules=_str_tuple(cov.get("rules")),
                    tests=_str_tuple(cov.get("tests")),
                    settings=_str_tuple(cov.get("settings")),
                    reason=str(cov.get("reason") or "").strip(),
                    note=str(raw.get("note") or "").strip(),
                )
            )
    return reg


# --------------------------------------------------------------------------------------------------
# validation


def texts_dir(explicit: Path | None = None) -> Path | None:
    """Where the seed texts are: ``explicit``, ``$WENGANG_SHARED_DIR/policy-texts`` or ``<repo>/../shared``."""
    candidates = [explicit] if explicit else []
    if os.environ.get("WENGANG_SHARED_DIR"):
        candidates.append(Path(os.environ["WENGANG_SHARED_DIR"]) / "policy-texts")
    candidates.append(REPO.parent / "shared" / "policy-texts")
    return next((c for c in candidates if c is not None and c.is_dir()), None)


def _seed_texts(directory: Path | None) -> dict[str, str]:
    out: dict[str, str] = {}
    if directory is None:
        return out
    for seed in SEEDS:
        files = sorted(directory.glob(f"{seed}_*.txt"))
        if len(files) == 1:
            out[seed] = normalize(files[0].read_text(encoding="utf-8"))
    return out


def _rule_index() -> dict[str, set[str]]:
    from wengang.programs import load_all
    from wengang.rules.engine import RULESETS

    load_all()  # registers every ruleset

    ids: dict[str, set[str]] = {}
    for (program, _), rs in RULESETS.items():
        ids.setdefault(program, set()).update(c.id for c in rs.checks)
        ids[program].update(o.id for o in rs.outputs)
    return ids


def _code_ref_ok(ref: str) -> bool:
    module, _, attr = ref.partition(":")
    try:
        obj: Any = importlib.import_module(module)
        for part in attr.split(".") if attr else ():
            obj = getattr(obj, part)
    except (ImportError, AttributeError):
        return False
    return True


def _setting_names() -> set[str]:
    from wengang.policies.loader import load_policy_set
    from wengang.programs import load_all
    from wengang.rules import interpretations

    load_all()

    names = set(interpretations.REGISTRY)
    for d in load_policy_set().documents:
        for b in d.programs.values():
            names.update(b.region_settings)
            names.update(b.params)
    programs = resources.files("wengang.programs")
    for e in programs.iterdir():
        if e.name.endswith(".py"):
            names.update(re.findall(r'Setting\(\s*"([a-z_0-9]+)"', e.read_text(encoding="utf-8")))
    return names


def _test_index(tests_root: Path) -> tuple[set[str], dict[str, set[str]]]:
    """Acceptance case ids, and the case names of each ``tests/programs/cases/*.yaml``."""
    acceptance: set[str] = set()
    for path in sorted((tests_root / "acceptance").glob("*/*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        acceptance.update(str(c.get("id")) for c in data.get("cases") or [])
    cases: dict[str, set[str]] = {}
    for path in sorted((tests_root / "programs" / "cases").glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        cases[f"tests/programs/cases/{path.name}"] = {str(c.get("name")) for c in data.get("cases") or []}
    return acceptance, cases


def validate(reg: Register, *, texts: Path | None = None, tests_root: Path | None = None) -> Register:
    """Check quotes, references and reasons; append to ``reg.problems`` / ``reg.warnings``; return ``reg``."""
    from wengang.policies.loader import load_policy_set

    ps = load_policy_set()
    seeds = _seed_texts(texts_dir(texts))
    if len(seeds) < len(SEEDS):
        reg.warnings.append("未找到政策原文，引文只对照政策文件中记录的条款 / seed texts not found: quotes checked against recorded clauses only")
    rules = _rule_index()
    settings = _setting_names()
    tests_root = tests_root or REPO / "tests"
    have_tests = (tests_root / "programs" / "cases").is_dir()
    acceptance, cases = _test_index(tests_root) if have_tests else (set(), {})
    if not have_tests:
        reg.warnings.append(f"未找到测试目录 {tests_root}，测试引用未核对 / tests not found: test references not checked")

    for p in reg.provisions:
        where = p.id
        if p.status not in STATUSES:
            reg.problems.append(f"{where}: 状态“{p.status}”须为 {'、'.join(STATUSES)} / unknown status")
        # quote
        q = normalize(p.quote)
        try:
            doc = ps.get(p.document)
        except KeyError:
            reg.problems.append(f"{where}: 未知文件“{p.document}” / unknown document")
            doc = None
        if doc is not None and not doc.source.startswith(p.seed):
            reg.problems.append(f"{where}: 文件 {p.document} 不出自原文 {p.seed} / document is not from seed {p.seed}")
        if doc is not None and p.clause in doc.clauses and q not in normalize(doc.clauses[p.clause]):
            reg.problems.append(f"{where}: 引文不在 {p.document} {p.clause} 的条款原文中 / quote not in the clause text")
        if p.seed in seeds and q not in seeds[p.seed]:
            reg.problems.append(f"{where}: 引文不在原文 {p.seed} 中 / quote not verbatim in seed {p.seed}: {p.quote}")
        # what each status needs
        if p.status == "encoded":
            if not p.rules:
                reg.problems.append(f"{where}: 已编码须列出规则 rules / encoded needs rule references")
            if not p.tests:
                reg.problems.append(f"{where}: 已编码须列出测试 tests / encoded needs test references")
        if p.status == "setting" and not p.settings:
            reg.problems.append(f"{where}: 须列出地区设置或解释开关 settings / setting needs the setting or switch names")
        if p.status in NEEDS_REASON and not p.reason:
            reg.problems.append(f"{where}: 状态 {p.status} 须说明理由 reason / {p.status} needs a reason")
        for ref in p.rules:
            head, _, rest = ref.partition(":")
            if "." in head:
                ok = _code_ref_ok(ref)
            else:
                ok = head in rules and (not rest or rest in rules[head])
            if not ok:
                reg.problems.append(f"{where}: 规则引用 {ref} 不存在 / rule reference does not exist")
        for name in p.settings:
            doc_id, slash, program = name.partition("/")
            if slash:  # a period the project reads into a document that gives none: <document id>/<program>
                if not any(d.id == doc_id and program in d.programs for d in ps.documents):
                    reg.problems.append(f"{where}: 政策文件项目块 {name} 不存在 / no such document program block")
            elif name not in settings:
                reg.problems.append(f"{where}: 设置或开关 {name} 不存在 / no such setting or switch")
        if have_tests:
            for ref in p.tests:
                if not _test_ref_ok(ref, tests_root, acceptance, cases):
                    reg.problems.append(f"{where}: 测试引用 {ref} 不存在 / test reference does not exist")
    return reg


def _test_ref_ok(ref: str, tests_root: Path, acceptance: set[str], cases: dict[str, set[str]]) -> bool:
    if "#" in ref:
        path, _, name = ref.partition("#")
        return name in cases.get(path, set())
    if "::" in ref:
        path, _, func = ref.partition("::")
        file = tests_root.parent / path
        return file.is_file() and re.search(rf"^\s*def {re.escape(func)}\(", file.read_text(encoding="utf-8"), re.M) is not None
    return bool(ACCEPTANCE_ID_RE.match(ref)) and ref in acceptance


# --------------------------------------------------------------------------------------------------
# output


def refs_text(p: Provision) -> str:
    if p.status == "encoded":
        return "规则 " + "、".join(p.rules) + "；测试 " + "、".join(p.tests)
    if p.status == "setting":
        return "设置/开关 " + "、".join(p.settings) + (f"；{p.reason}" if p.reason else "")
    return p.reason


def markdown(reg: Register) -> str:
    """The register as docs/coverage.md."""

    def cell(text: str) -> str:
        return text.replace("|", "\\|").replace("\n", " ")

    out = [
        "# 政策条款覆盖情况 / Coverage of the notices",
        "",
        "Generated by `wengang policy coverage --markdown > docs/coverage.md` from `src/wengang/policies/coverage/*.yaml`;"
        " do not edit by hand.",
        "",
        "状态：已编码（encoded，规则 + 测试）；地区设置/解释开关（setting，由经办机构决定）；仅记录（recorded）；"
        "不在范围（out_of_scope）；未编码（missing）。编号沿用法律审查报告 §3。",
        "",
        "## 合计 / Totals",
        "",
        "| 原文 | 文件 | 条款数 | " + " | ".join(STATUS_ZH[s] for s in STATUSES) + " |",
        "|---|---|---|" + "---|" * len(STATUSES),
    ]
    for seed, meta in sorted(reg.seeds.items()):
        t = reg.totals(seed)
        out.append(f"| {seed} | {cell(meta['title'])} | {sum(t.values())} | " + " | ".join(str(t[s]) for s in STATUSES) + " |")
    t = reg.totals()
    out.append(f"| **合计** | | **{sum(t.values())}** | " + " | ".join(f"**{t[s]}**" for s in STATUSES) + " |")
    for seed, meta in sorted(reg.seeds.items()):
        out += ["", f"## {seed} {meta['title']}", "", "| 编号 | 文件 条款 | 内容 | 引文 | 状态 | 规则、测试或理由 |", "|---|---|---|---|---|---|"]
        for p in reg.of_seed(seed):
            status = STATUS_ZH.get(p.status, p.status)
            if p.status == "missing":
                status = f"**{status}**"
            # the review's verdict where it says more than the status (an error being fixed, a gap declared)
            shown = p.review.startswith("WRONG") or (p.review == "MISSING" and p.status != "missing")
            note = f"（审查：{p.review}）" if shown else ""
            out.append(
                f"| {p.id} | {cell(p.document)} {cell(p.clause)} | {cell(p.description)} | {cell(p.quote)} | {status}"
                f" | {cell(refs_text(p) + note + ('；' + p.note if p.note else ''))} |"
            )
    return "\n".join(out) + "\n"


def as_json(reg: Register) -> dict[str, Any]:
    return {
        "totals": dict(reg.totals()),
        "seeds": {
            seed: {**meta, "totals": dict(reg.totals(seed)), "provisions": [p.to_dict() for p in reg.of_seed(seed)]}
            for seed, meta in sorted(reg.seeds.items())
        },
        "unlisted": reg.unlisted(),
        "problems": reg.problems,
        "warnings": reg.warnings,
    }

"""(e) Wengang, our project (the adapter kept in the project: PEER_IMPL_WENGANG=bench/peer_wengang.py): its own compiled 稳岗返还 rules over the peer's table, in this process.

The project's public path for a table of pre-derived facts (the UnitFacts columns,
docs/data-dictionary.md; what `wengang screen --facts` reads) is
`wengang.screening.evaluate.screen_facts(facts, program, date, readings=...)`: it resolves
the document in force for the table's regions, compiles the ruleset to Polars once (cached)
and returns the facts with `status`, `amount_fen`, reasons, flags, readings and the policy
cited. Here: program `fanhuan`, region 150000 (内蒙古), date 2025-08-01 -> 内人社发〔2025〕18号 一,
ruleset v2024.

Peer column -> project fact (the rest of UnitFacts is absent and takes the model default):

    enterprise_id         enterprise_id (carried through, not a fact)
    org_type              org_type: social_organisation -> social_group,
                          social_service_agency -> social_service_org, others unchanged
    size_class            size_class (given; large/medium/small/micro)
    insured_employees     avg_insured_last_year
    months_paid_in_full   months_fully_paid_total
    layoffs_last_year     layoffs_last_year
    ui_contrib_paid_fen   paid_premium_last_year_fen
    excl_serious_illegal  serious_dishonesty
    excl_zombie           zombie_clearance
    excl_environment      env_noncompliant
    (constant)            region_code = "150000"

Readings fixed so that the project's rule is the peer's (`wengang interpretations`):

    fanhuan.layoff_rate_formula = average     layoffs / avg_insured_last_year (the default,
                                              year_end, is layoffs / (layoffs + year-end headcount))
    fanhuan.small_unit_rule     = average     <= 30 by the same headcount, layoffs <= 20 % of it
    fanhuan.normal_attrition    = excluded    layoffs only (the peer has no attrition column)
    fanhuan.months_fully_paid   = cumulative  months paid in full, not necessarily consecutive
The other fanhuan switches are fixed by the document's own parameters (reference orgs at the
SME rate, base excludes other years' arrears) or do not apply to it.

Where the two still differ in form, not in result: the project compares the layoff rate exactly
(layoffs * 200 <= 11 * headcount) where the peer divides in float64 (identical for integer
counts with headcount >= 1; the two Int32 columns' bounds are known (below), so the products are
computed in Int32 when none can overflow, and without the zero-headcount guard when every headcount
is >= 1: docs/decisions.md "Narrow integer columns' bounds"); the project's
"no layoffs" branch is implied by the peer's
0 / n <= 5.5 %. Amounts: the project's RateOf is (2 * base * n + d) // (2 * d) for rate n/d,
half-up in integers like the peer's (fen * bp + 5000) // 10000.

eligible = status == "eligible"; refund_fen = amount_fen where eligible, else 0. A row the
project left 待认定 (needs_decision) or 无法判定 (not_determinable) would come out here as not
eligible, which verify.py cannot tell from a refusal. Not every row is decided (checked at 1M,
s20-p5): 676,157 eligible, 118,685 ineligible and 205,158 无法判定 with reason ?months_paid -- the units
with fewer than 12 months paid in full. The table gives the cumulative count only
(months_fully_paid_total), and the rule's cumulative reading is `total >= 12 OR consecutive >= 12`, so
with the consecutive count absent (null) a unit under 12 cumulative months is unknown, not refused,
although consecutive months cannot exceed cumulative ones. The peer refuses those units; eligibility
and every amount agree, the status of those rows does not.

The parameters (P) are not used: the project reads its policy YAML; the first run checks that
the values it resolved equal P's and raises otherwise.

`wengang` vs `wengang_cli`:
  * `wengang`: the Python API in this process, the project loaded once and then frozen for the garbage collector
    (`wengang.runtime.freeze_loaded`, as `wengang serve` does: the runner collects before every timed call).
    *load* = the facts read into a Polars DataFrame
    (the hand Polars peer's dtypes: narrow ints; text codes as small integers: the size class a Categorical,
    the org type an Enum of the project's codes, ORG_ENUM) together with what the
    file's footer says of them (`parquet_facts_stats`: columns without null, integer minimum and
    maximum; metadata Polars itself trusts to skip row groups, no pass over the data). *compute* =
    screen_facts over that DataFrame, told the bounds (`ranges=`: without them it reads them, three
    passes over two 1 M-row columns, ≈ 0.45 ms), result (enterprise_id, eligible, refund_fen)
    collected. What the table's types and bounds tell the compiler (docs/decisions.md §131): every org type
    it can hold is one 稳岗返还 covers (no test per row), no premium is negative (no last guard against a
    negative amount). *e2e* = scan_parquet -> the column mapping above -> screen_facts (told the footer's
    non-null columns and bounds) -> sink_parquet, one lazy query.
  * `wengang_cli` (class Cli): the command a user runs. *load* = write the facts table the
    command reads (mapping above plus a valid 18-character 统一社会信用代码 made from
    enterprise_id, which `screen --facts` requires and checks); *compute* = one
    `wengang screen --facts ... --no-excel` process over that file (start-up, credit-code
    check, features.parquet copy, rules, results.parquet, summary); *e2e* = load + compute +
    reading results.parquet back into the peer's three columns. The executable is $WENGANG_CLI,
    else `wengang` on PATH.

Locating the project: $WENGANG_SRC (the checkout's src/; run.sh sets it to ./src of where it is run).
Its runtime dependencies must be installed in this venv (run.sh does it). The peer's own
OpenFisca system is also a package named `wengang` (bench/peer/wengang/); verify.py imports
both in one process, so the project's modules are kept in a separate sys.modules set and
swapped in only while its code runs (see _Project).
"""
from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from datetime import date
from fractions import Fraction

import common as C
import polars as pl

NAME = "wengang"
THREADS = pl.thread_pool_size()

PROGRAM = "fanhuan"
REGION = "150000"  # 内蒙古自治区
ON = date(2025, 8, 1)
READINGS = {
    "fanhuan.layoff_rate_formula": "average",
    "fanhuan.small_unit_rule": "average",
    "fanhuan.normal_attrition": "excluded",
    "fanhuan.months_fully_paid": "cumulative",
}
RENAME = {
    "insured_employees": "avg_insured_last_year",
    "months_paid_in_full": "months_fully_paid_total",
    "ui_contrib_paid_fen": "paid_premium_last_year_fen",
    "excl_serious_illegal": "serious_dishonesty",
    "excl_zombie": "zombie_clearance",
    "excl_environment": "env_noncompliant",
}
ORG_TYPES = {  # peer code -> project code (UnitFacts.org_type)
    "enterprise": "enterprise",
    "individual_business": "individual_business",
    "social_organisation": "social_group",
    "foundation": "foundation",
    "social_service_agency": "social_service_org",
    "law_firm": "law_firm",
    "accounting_firm": "accounting_firm",
}
assert set(ORG_TYPES) == set(C.ORG_TYPES)

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.abspath(os.environ.get("WENGANG_SRC") or os.path.join(os.getcwd(), "src"))


# --------------------------------------------------------------------------------------------
# the project's modules, kept apart from the peer's OpenFisca package of the same name


def _ours(name: str) -> bool:
    return name == "wengang" or name.startswith("wengang.")


class _Project:
    """Context in which `import wengang...` means the project (at SRC), not bench/peer/wengang.

    sys.modules is scanned only when it must be: on entry when the peer's package is loaded (our package is out of
    sys.modules between calls, so a `wengang` there is the peer's; else there is nothing to move aside), on exit
    when something was imported inside (else our modules are exactly those brought in). Scanning its ~1,500
    entries twice per call cost 0.4 ms of the 8 ms `compute` it wraps."""

    modules: dict = {}

    def __enter__(self):
        peer_loaded = "wengang" in sys.modules
        self.saved = {k: sys.modules.pop(k) for k in [k for k in sys.modules if _ours(k)]} if peer_loaded else {}
        sys.modules.update(_Project.modules)
        self.size = len(sys.modules)
        sys.path.insert(0, SRC)
        return self

    def __exit__(self, *exc):
        sys.path.remove(SRC)
        names = list(_Project.modules) if len(sys.modules) == self.size else [k for k in sys.modules if _ours(k)]
        _Project.modules = {k: m for k in names if (m := sys.modules.pop(k, None)) is not None}
        sys.modules.update(self.saved)
        return False


if not os.path.isfile(os.path.join(SRC, "wengang", "screening", "evaluate.py")):
    raise ImportError(f"the Wengang project is not at {SRC} (set WENGANG_SRC to its src/ folder)")

with _Project():
    import wengang.programs
    from wengang.rules import interpretations as _interpretations
    from wengang.screening.evaluate import parquet_facts_stats as _parquet_facts_stats
    from wengang.screening.evaluate import screen_facts as _screen_facts

    wengang.programs.load_all()  # registers the rulesets and interpretation switches
    from wengang.runtime import freeze_loaded

    # loaded once for many calls: frozen for the garbage collector, as the web service does once it has loaded
    # (the runner collects before every timed call; a collection then walks only what came after)
    freeze_loaded()

    if not os.path.samefile(os.path.dirname(wengang.programs.__file__), os.path.join(SRC, "wengang", "programs")):
        raise ImportError(f"imported wengang from {wengang.programs.__file__}, not from {SRC}")
    _READINGS = {**_interpretations.defaults(), **READINGS}
# The command is given every reading of the program, as the in-process run above: the peer's rule has no open
# readings. With only READINGS fixed, the size-class switches (size_class_existing, size_class_where_silent)
# stay open and the command branches on them (the same results: the table has no data that tells them apart).
# PEER_CLI_READINGS=peer gives the command only READINGS.
CLI_READINGS = (
    READINGS if os.environ.get("PEER_CLI_READINGS") == "peer"
    else {k: v for k, v in _READINGS.items() if k.startswith(PROGRAM + ".")}
)

_checked = False


def _check_params(plans, P: C.Params | None) -> None:
    """Once: the project resolved 内人社发〔2025〕18号 with the peer's thresholds and rates."""
    global _checked
    if _checked:
        return
    if len(plans) != 1 or plans[0].resolution is None:
        raise RuntimeError(f"expected one policy in force for region {REGION} on {ON}, got {plans}")
    res = plans[0].resolution
    if res.document.display_number != "内人社发〔2025〕18号" or res.ruleset != "v2024":
        raise RuntimeError(f"resolved {res.document.display_number} {res.ruleset}, expected 内人社发〔2025〕18号 v2024")
    if P is not None:
        got = [res.params[k].value for k in (
            "min_months_fully_paid", "max_layoff_rate", "small_unit_headcount",
            "small_unit_max_layoff_rate", "refund_rate_large", "refund_rate_sme")]
        want = [P.min_months_paid_in_full, P.max_layoff_rate, P.small_unit_max_insured_employees,
                P.small_unit_max_layoff_rate, P.refund_rate_large, P.refund_rate_sme]
        if [Fraction(x) for x in got] != [Fraction(str(x)) for x in want]:
            raise RuntimeError(f"project parameters {got} differ from the peer's {want}")
    _checked = True


# the project's org-type codes the peer's table holds: the type of the facts' org_type in memory
ORG_ENUM = pl.Enum(sorted(set(ORG_TYPES.values())))


def to_facts(lf: pl.LazyFrame, categorical: bool = True) -> pl.LazyFrame:
    """The peer's columns as the project's facts (see the module docstring).

    The org-type codes are renamed with when/then, which Polars' streaming engine runs chunk by
    chunk: `replace`/`replace_strict` run there as a whole-column function, which made the
    e2e query hold the column in memory (peak RSS 1.0 GiB instead of ~0.2 GiB at 10M).
    ``categorical``: the codes as an Enum of the project's codes the table holds (:data:`ORG_ENUM`, as the hand
    Polars peer holds the peer's codes as a Categorical: small integers, not text), else as text."""
    src = pl.col("org_type")
    org = src.cast(pl.String)
    for peer_code, our_code in ORG_TYPES.items():
        if peer_code != our_code:
            org = pl.when(src == peer_code).then(pl.lit(our_code)).otherwise(org)
    if categorical:
        org = org.cast(ORG_ENUM)
    return lf.rename(RENAME).with_columns(org.alias("org_type"), pl.lit(REGION).alias("region_code"))


def file_stats(path: str) -> tuple[frozenset[str], dict[str, tuple[int, int]]]:
    """The peer file's footer statistics (columns without null, integer bounds) under the project's names: what
    the project knows of the facts without reading them (``parquet_facts_stats``). ``region_code`` is a literal."""
    with _Project():
        no_null, bounds = _parquet_facts_stats(path)
    name = lambda c: RENAME.get(c, c)  # noqa: E731
    return frozenset({name(c) for c in no_null} | {"region_code"}), {name(c): b for c, b in bounds.items()}


def decide(
    facts: pl.LazyFrame | pl.DataFrame, P: C.Params | None = None,
    stats: tuple[frozenset[str], dict[str, tuple[int, int]]] | None = None,
) -> pl.LazyFrame:
    """The project's decision, reduced to the peer's three result columns.

    Given the table in memory (a DataFrame), screen_facts reads each column's null count (kept with the
    column: no pass over the data); ``stats`` (:func:`file_stats` of the file the table was read from) tells it
    the bounds of the narrow integer columns too (else it reads them, ≈ 0.45 ms at 1 M rows) and, for a lazy
    table, which columns hold no null. The rules are compiled without the unknown branches those exclude, and
    the layoff comparison runs in Int32."""
    non_null, ranges = stats or (None, None)
    with _Project():
        out, plans = _screen_facts(
            facts, PROGRAM, ON, readings=_READINGS, regions=[REGION], non_null=non_null, ranges=ranges
        )
    _check_params(plans, P)
    return out.select(_RESULT)


_OK = pl.col("status") == "eligible"
# the peer's three result columns, built once (a typed literal builds a Series: ≈ 0.05 ms a call)
_RESULT = [
    pl.col("enterprise_id"),
    _OK.alias("eligible"),
    pl.when(_OK).then(pl.col("amount_fen")).otherwise(pl.lit(0, pl.Int64)).alias("refund_fen"),
]


def load(path: str) -> tuple[pl.DataFrame, tuple[frozenset[str], dict[str, tuple[int, int]]]]:
    """The facts in memory, with the file's statistics (read from its footer: no pass over the data)."""
    return to_facts(pl.scan_parquet(path)).collect(), file_stats(path)


def compute(facts: tuple[pl.DataFrame, tuple[frozenset[str], dict[str, tuple[int, int]]]], P: C.Params) -> pl.DataFrame:
    frame, stats = facts
    return decide(frame, P, stats).collect()


def result_arrays(r: pl.DataFrame):
    return r["enterprise_id"].to_numpy(), r["eligible"].to_numpy(), r["refund_fen"].to_numpy()


def e2e(in_path: str, out_path: str, P: C.Params) -> None:
    decide(to_facts(pl.scan_parquet(in_path), categorical=False), P, file_stats(in_path)).sink_parquet(
        out_path, compression="snappy"
    )


# --------------------------------------------------------------------------------------------
# the command: wengang screen --facts

# GB 32100: 18 characters, the last a check character over the first 17
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_PREFIX = "91" + REGION  # 工商 / 企业, then the region; the 9-character body is enterprise_id


def credit_code(ids: pl.Expr) -> pl.Expr:
    """A valid 统一社会信用代码 for each enterprise_id (< 10**9): 91 150000 <id, 9 digits> <check>."""
    total = sum(int(c) * w for c, w in zip(_PREFIX, _USCC_WEIGHTS[:8], strict=True))
    expr = pl.lit(total, pl.Int64)
    for k in range(9):
        expr = expr + (ids // 10 ** (8 - k)) % 10 * _USCC_WEIGHTS[8 + k]
    check = ((31 - expr % 31) % 31).replace_strict(dict(enumerate(_USCC_ALPHABET)), return_dtype=pl.String)
    return pl.concat_str(pl.lit(_PREFIX), ids.cast(pl.String).str.zfill(9), check)


def cli_path() -> str:
    exe = os.environ.get("WENGANG_CLI") or shutil.which("wengang")
    if not exe:
        raise RuntimeError("no `wengang` command: set WENGANG_CLI or put the project's venv on PATH")
    return exe


_TEMP_DIRS: list[str] = []


@atexit.register
def _cleanup() -> None:
    for d in _TEMP_DIRS:
        shutil.rmtree(d, ignore_errors=True)


class Cli:
    """`wengang screen --facts FILE --no-excel` in a child process (see the module docstring)."""

    NAME = "wengang_cli"
    THREADS = pl.thread_pool_size()

    @staticmethod
    def load(path: str) -> str:
        """Write the facts table the command reads; returns its path."""
        d = tempfile.mkdtemp(prefix="wengang_facts_", dir=C.OUT_DIR if os.path.isdir(C.OUT_DIR) else None)
        _TEMP_DIRS.append(d)
        facts = os.path.join(d, "facts.parquet")
        lf = to_facts(pl.scan_parquet(path), categorical=False)
        lf.with_columns(
            credit_code(pl.col("enterprise_id")).alias("credit_code"),
            pl.format("单位{}", pl.col("enterprise_id")).alias("name"),
        ).drop("enterprise_id").sink_parquet(facts)
        return facts

    @staticmethod
    def compute(facts_path: str, P: C.Params | None = None) -> str:
        """Run the command over the facts file; returns its output folder."""
        out = facts_path[: -len(".parquet")] + "_out"
        shutil.rmtree(out, ignore_errors=True)
        cmd = [cli_path(), "screen", "--facts", facts_path, "--date", ON.isoformat(), "--program", PROGRAM,
               "--out", out, "--no-excel", "--json"]
        for k, v in CLI_READINGS.items():
            cmd += ["--reading", f"{k}={v}"]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr[-2000:]}{p.stdout[-2000:]}")
        return out

    @staticmethod
    def _results(out: str) -> pl.LazyFrame:
        ok = pl.col("status") == "eligible"
        return pl.scan_parquet(os.path.join(out, "results.parquet")).select(
            pl.col("credit_code").str.slice(8, 9).cast(pl.Int64).alias("enterprise_id"),
            ok.alias("eligible"),
            pl.when(ok).then(pl.col("amount_fen")).otherwise(pl.lit(0, pl.Int64)).alias("refund_fen"),
        )

    @staticmethod
    def result_arrays(out: str):
        return result_arrays(Cli._results(out).collect().sort("enterprise_id"))

    @staticmethod
    def e2e(in_path: str, out_path: str, P: C.Params | None = None) -> None:
        facts = Cli.load(in_path)
        try:
            Cli._results(Cli.compute(facts, P)).sink_parquet(out_path, compression="snappy")
        finally:
            shutil.rmtree(os.path.dirname(facts), ignore_errors=True)

"""Deterministic synthetic data for one region: registry, monthly contributions and the side tables.

``generate_region(out_dir, region_code="150500", n_units=50_000, year=2024, seed=0)`` writes Parquet
tables under ``out_dir`` (each a directory of chunk files, ``chunk_units`` units at a time, so 10 M units
and 120 M monthly rows never sit in memory at once), plus a small GBK CSV and an XLSX sample of the
registry for format tests. Same arguments → byte-identical files (same Polars version).

Randomness is a counter-based generator (SplitMix64 over ``(seed, stream, row)``) written as Polars
integer expressions: every value depends only on the unit's number, never on chunking or thread order
(a branch's legal entity and a dispatch firm's user units are recomputed from their own numbers).

Shape: heavy-tailed unit sizes (Pareto; most units micro, a few large), ~3 % branches with a legal entity,
~0.5 % dispatch firms with user-unit allocations, ~3 % back payments of the year before last made last year
with late fees, ~2 % on exclusion lists, ~5 % without a corporate account, ~1 % with an unpaid month,
~5 % in the statistics department's size list, ~1 % deferrals; credit codes with the real GB 32100 check
character over real county codes of the region; a few deliberately bad rows (wrong check character,
negative amount, month 13) so quarantine has something to show; people with certificates, subsidy
histories and benefit claims, with ID numbers over birthplace codes valid in their birth year.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from wengang.facts.identifiers import (
    RIC_CHECK,
    RIC_WEIGHTS,
    USCC_ALPHABET,
    USCC_WEIGHTS,
    region_code_years,
    region_codes,
)
from wengang.progress import Step
from wengang.screening.schemas import EXCLUSION_LIST_TYPES

U64 = pl.UInt64
_M = 0xFFFFFFFFFFFFFFFF

INDUSTRIES = (  # (2017 code, weight)
    ("C1311", 4), ("C1711", 3), ("C1810", 3), ("C2211", 2), ("C2710", 2), ("C3411", 3), ("C3611", 3),
    ("C3811", 3), ("E4710", 5), ("A0111", 5), ("F5111", 10), ("F5211", 14), ("G5411", 5), ("G5610", 1),
    ("G5990", 2), ("H6110", 4), ("H6210", 8), ("I6510", 4), ("K7010", 2), ("K7020", 3), ("L7211", 4),
    ("L7291", 2), ("M7320", 2), ("J6620", 1), ("Q8510", 1), ("R8810", 2), ("R9011", 1), ("O8010", 3),
)  # fmt: skip
ORG_TYPES = (  # (org_type, authority+category prefix, weight per 1000)
    ("enterprise", "91", 900), ("individual_business", "92", 30), ("social_group", "51", 15),
    ("social_service_org", "52", 15), ("foundation", "53", 5), ("law_firm", "31", 10),
    ("accounting_firm", "91", 10), ("other", "N2", 10), ("public_institution", "12", 5),
)  # fmt: skip
OCCUPATIONS = (
    "6-31-01-03",
    "6-18-02-04",
    "4-10-01-03",
    "4-03-02-01",
    "6-29-01-01",
    "4-14-01-01",
    "4-07-03-03",
)


def _rand(seed: int, stream: int, idx: pl.Expr) -> pl.Expr:
    """SplitMix64 of (seed, stream, idx) as UInt64 — wrapping arithmetic, stable across runs."""
    base = (seed * 0x9E3779B97F4A7C15 + stream * 0xD1B54A32D192ED03) & _M
    z = idx.cast(U64) * pl.lit(0x9E3779B97F4A7C15, dtype=U64) + pl.lit(base, dtype=U64)
    z = (z ^ (z // pl.lit(1 << 30, dtype=U64))) * pl.lit(0xBF58476D1CE4E5B9, dtype=U64)
    z = (z ^ (z // pl.lit(1 << 27, dtype=U64))) * pl.lit(0x94D049BB133111EB, dtype=U64)
    return z ^ (z // pl.lit(1 << 31, dtype=U64))


def _u(seed: int, stream: int, idx: pl.Expr) -> pl.Expr:
    """Uniform float in [0, 1)."""
    return (_rand(seed, stream, idx) // pl.lit(1 << 11, dtype=U64)).cast(pl.Float64) / float(1 << 53)


def _int(seed: int, stream: int, idx: pl.Expr, n: int) -> pl.Expr:
    return (_rand(seed, stream, idx) % pl.lit(n, dtype=U64)).cast(pl.Int64)


def _pick(seed: int, stream: int, idx: pl.Expr, items: tuple[tuple, ...]) -> pl.Expr:
    """Weighted choice of ``items[i][0]`` with weight ``items[i][-1]``."""
    total = sum(it[-1] for it in items)
    r = _int(seed, stream, idx, total)
    acc = 0
    expr = None
    for it in items[:-1]:
        acc += it[-1]
        expr = (pl.when(r < acc) if expr is None else expr.when(r < acc)).then(pl.lit(it[0]))
    return expr.otherwise(pl.lit(items[-1][0])) if expr is not None else pl.lit(items[-1][0])


def _uscc_from_values(vals: list[pl.Expr]) -> pl.Expr:
    """17 alphabet values → 18-character code with its GB 32100 check character."""
    total = pl.sum_horizontal([v * w for v, w in zip(vals, USCC_WEIGHTS, strict=True)])
    check = (31 - total % 31) % 31
    amap = dict(enumerate(USCC_ALPHABET))
    return pl.concat_str([v.replace_strict(amap, return_dtype=pl.String) for v in [*vals, check]])


_UV = {c: i for i, c in enumerate(USCC_ALPHABET)}


def _credit_codes(seed: int, idx: pl.Expr, prefix: pl.Expr, county: pl.Expr) -> pl.Expr:
    """Valid credit code: 2-char prefix, 6-digit county, 'MA' + 6 base-31 chars of idx + org-code check."""
    vals = [
        prefix.str.slice(0, 1).replace_strict(_UV, return_dtype=pl.Int64),
        prefix.str.slice(1, 1).replace_strict(_UV, return_dtype=pl.Int64),
    ]
    vals += [county.str.slice(i, 1).cast(pl.Int64) for i in range(6)]
    body = [pl.lit(_UV["M"], dtype=pl.Int64), pl.lit(_UV["A"], dtype=pl.Int64)]
    body += [(idx // (31**j)) % 31 for j in reversed(range(6))]
    # GB 11714 check character of the 8-character organisation body: weights 3,7,9,10,5,8,4,2, mod 11
    gb_val = {i: (i if i < 10 else ord(c) - 55) for i, c in enumerate(USCC_ALPHABET)}
    w = (3, 7, 9, 10, 5, 8, 4, 2)
    s = pl.sum_horizontal(
        [b.replace_strict(gb_val, return_dtype=pl.Int64) * wi for b, wi in zip(body, w, strict=True)]
    )
    c9 = 11 - s % 11
    c9 = pl.when(c9 == 11).then(0).when(c9 == 10).then(_UV["X"]).otherwise(c9)
    return _uscc_from_values(vals + body + [c9])


def _code_of(seed: int, idx: pl.Expr, counties: list[str]) -> pl.Expr:
    """The (valid) credit code of unit ``idx``, recomputed from its index alone (chunk-independent)."""
    org = _pick(seed, 2, idx, ORG_TYPES)
    prefix = org.replace_strict({o: p for o, p, _ in ORG_TYPES}, return_dtype=pl.String)
    county = _int(seed, 3, idx, len(counties)).replace_strict(
        dict(enumerate(counties)), return_dtype=pl.String
    )
    return _credit_codes(seed, idx, prefix, county)


def _break_check(code: pl.Expr) -> pl.Expr:
    """Replace the check character with the next one in the alphabet (always wrong)."""
    nxt = {c: USCC_ALPHABET[(i + 1) % 31] for i, c in enumerate(USCC_ALPHABET)}
    return code.str.slice(0, 17) + code.str.slice(17, 1).replace_strict(nxt, return_dtype=pl.String)


def _counties(region_code: str, year: int) -> list[str]:
    prefix = region_code[:4] if region_code.endswith("00") else region_code
    codes = [c for c in region_codes(prefix, year) if not c.endswith(("00", "01"))]
    return codes or [region_code]


def _units_chunk(start: int, end: int, region_code: str, year: int, seed: int) -> pl.DataFrame:
    counties = _counties(region_code, year)
    i = pl.col("i")
    emp = (2.0 * _u(seed, 1, i).clip(1e-9, 1.0).pow(-1.0 / 1.15)).floor().clip(1, 60_000).cast(pl.Int64)
    org = _pick(seed, 2, i, ORG_TYPES)
    prefix = pl.col("org_type").replace_strict({o: p for o, p, _ in ORG_TYPES}, return_dtype=pl.String)
    county = pl.col("_ci").replace_strict(dict(enumerate(counties)), return_dtype=pl.String)
    df = (
        pl.DataFrame({"i": pl.int_range(start, end, dtype=pl.Int64, eager=True)})
        .with_columns(
            org.alias("org_type"),
            _int(seed, 3, i, len(counties)).alias("_ci"),
            emp.alias("employees"),
            _pick(seed, 4, i, INDUSTRIES).alias("industry_code"),
        )
        .with_columns(_credit_codes(seed, i, prefix, county).alias("credit_code"), county.alias("_county"))
    )
    # branches: ~3 % take one of the 100 units before them as their legal entity
    is_branch = (_u(seed, 5, i) < 0.03) & (i > 0)
    parent = i - 1 - (_rand(seed, 6, i) % pl.min_horizontal(i, 100).clip(1, None).cast(U64)).cast(pl.Int64)
    df = df.with_columns(
        pl.when(is_branch)
        .then(_code_of(seed, parent, counties))
        .otherwise(None)
        .alias("legal_entity_credit_code")
    )
    rev_null = _u(seed, 7, i) < 0.1
    revenue = (pl.col("employees").cast(pl.Float64) * (20 + 200 * _u(seed, 8, i))).floor().cast(pl.Int64)
    assets = (pl.col("employees").cast(pl.Float64) * (10 + 300 * _u(seed, 9, i))).floor().cast(pl.Int64)
    acct = _u(seed, 10, i)
    df = df.with_columns(
        pl.format("{}{}号单位", pl.lit("通辽示范" if region_code.startswith("1505") else "示范"), i).alias(
            "name"
        ),
        pl.col("_county").alias("region_code"),
        pl.when(rev_null).then(None).otherwise(revenue).alias("revenue_10k_yuan"),
        pl.when(rev_null).then(None).otherwise(assets).alias("assets_10k_yuan"),
        pl.when(acct < 0.01).then(None).otherwise(acct >= 0.05).alias("has_corporate_account"),
        (_u(seed, 11, i) < 0.6).alias("has_tax_payment_account"),
        ((_u(seed, 12, i) < 0.005) & (pl.col("org_type") == "enterprise")).alias("is_dispatch_firm"),
        # deliberately bad rows: a wrong check character (~0.03 %)
        (_u(seed, 13, i) < 0.0003).alias("_bad_code"),
    ).with_columns(
        pl.when(pl.col("_bad_code"))
        .then(_break_check(pl.col("credit_code")))
        .otherwise(pl.col("credit_code"))
        .alias("credit_code")
    )
    return df


UNIT_COLUMNS = [
    "credit_code", "name", "region_code", "org_type", "legal_entity_credit_code", "industry_code", "employees",
    "revenue_10k_yuan", "assets_10k_yuan", "has_corporate_account", "has_tax_payment_account", "is_dispatch_firm",
]  # fmt: skip


def _contributions_chunk(
    units: pl.DataFrame, year: int, seed: int, months_through: str | None
) -> pl.DataFrame:
    y1 = year - 1
    last = months_through or f"{y1}-12"
    n_months = (int(last[:4]) * 12 + int(last[5:7])) - (y1 * 12 + 1) + 1
    months = pl.DataFrame({"mi": pl.int_range(0, n_months, dtype=pl.Int64, eager=True)})
    u = units.select("i", "credit_code", "employees")
    base = u.join(months, how="cross")
    r = pl.col("i") * 64 + pl.col("mi")  # row counter for randomness
    m_abs = pl.lit(y1 * 12) + pl.col("mi")  # month index, 0-based months since year 0
    yy = m_abs // 12
    mm = m_abs % 12 + 1
    persons = (
        (
            pl.col("employees").cast(pl.Float64)
            * (0.7 + 0.3 * _u(seed, 20, pl.col("i")))
            * (0.97 + 0.06 * _u(seed, 21, r))
        )
        .round()
        .clip(1, None)
        .cast(pl.Int64)
    )
    wage = 3000 + _int(
        seed, 22, pl.col("i"), 9000
    )  # monthly wage base, yuan; 1 % rate → base in fen per person
    unpaid_unit = _u(seed, 23, pl.col("i")) < 0.01
    unpaid_month = _int(seed, 24, pl.col("i"), n_months)
    late_dec_unit = _u(seed, 25, pl.col("i")) < 0.005
    late_unit = _u(seed, 26, pl.col("i")) < 0.01
    late_month = _int(seed, 27, pl.col("i"), n_months)
    df = base.with_columns(
        pl.format("{}-{}", yy, mm.cast(pl.String).str.zfill(2)).alias("month"),
        persons.alias("insured_persons"),
    ).with_columns((pl.col("insured_persons") * wage).alias("due_fen"))
    unpaid = unpaid_unit & (pl.col("mi") == unpaid_month)
    late = (late_unit & (pl.col("mi") == late_month)) | (late_dec_unit & (mm == 12))
    on_time = pl.date(yy, mm, 15)
    late_date = pl.date(yy + 1, 1, 20 + _int(seed, 28, r, 8))
    df = df.with_columns(
        pl.when(unpaid).then(pl.col("due_fen") // 2).otherwise(pl.col("due_fen")).alias("paid_fen"),
        pl.when(unpaid).then(None).when(late).then(late_date).otherwise(on_time).alias("paid_date"),
    ).with_columns(
        pl.when(late)
        .then(pl.col("due_fen") * (pl.col("paid_date") - on_time).dt.total_days() // 2000)
        .otherwise(0)
        .alias("late_fee_fen"),
        # a partial payment has a date (the instalment), so the row is valid but not fully paid
        pl.when(unpaid).then(pl.date(yy, mm, 15)).otherwise(pl.col("paid_date")).alias("paid_date"),
    )
    # back payments during y1 for 1–3 months of y1-1, with late fees (~3 % of units)
    bp_units = u.filter(_u(seed, 30, pl.col("i")) < 0.03)
    bp = (
        bp_units.join(pl.DataFrame({"k": [0, 1, 2]}), how="cross")
        .filter(pl.col("k") <= _int(seed, 31, pl.col("i"), 3))
        .with_columns(
            (pl.lit(10) + pl.col("k") - 2 * _int(seed, 32, pl.col("i"), 4)).alias("_m"),
        )
        .with_columns(
            pl.format("{}-{}", pl.lit(y1 - 1), pl.col("_m").cast(pl.String).str.zfill(2)).alias("month"),
            pl.col("employees").clip(1, None).alias("insured_persons"),
        )
        .with_columns(
            (pl.col("insured_persons") * (3000 + _int(seed, 22, pl.col("i"), 9000))).alias("due_fen"),
            pl.date(y1, 3 + _int(seed, 33, pl.col("i"), 6), 10).alias("paid_date"),
        )
        .with_columns(
            pl.col("due_fen").alias("paid_fen"),
            (
                pl.col("due_fen")
                * (pl.col("paid_date") - pl.date(y1 - 1, pl.col("_m"), 15)).dt.total_days()
                // 2000
            ).alias("late_fee_fen"),
        )
    )
    cols = ["credit_code", "month", "due_fen", "paid_fen", "paid_date", "late_fee_fen", "insured_persons"]
    out = pl.concat([df.select(["i", *cols]), bp.select(["i", *cols])]).sort("i", "month")
    # deliberately bad rows: negative due (~0.02 %), month 13 (~0.01 %)
    rr = pl.int_range(0, pl.len(), dtype=pl.Int64) + pl.col("i").first() * 64
    out = out.with_columns(
        pl.when(_u(seed, 34, rr) < 0.0002)
        .then(-pl.col("due_fen"))
        .otherwise(pl.col("due_fen"))
        .alias("due_fen"),
        pl.when(_u(seed, 35, rr) < 0.0001)
        .then(pl.format("{}-13", pl.lit(y1)))
        .otherwise(pl.col("month"))
        .alias("month"),
    )
    return out.select(cols)


def _side_tables(
    units: pl.DataFrame, contrib: pl.DataFrame, year: int, seed: int, n_units: int, counties: list[str]
) -> dict[str, pl.DataFrame]:
    y1 = year - 1
    i = pl.col("i")
    dec = contrib.filter(pl.col("month") == f"{y1}-12").select(
        "credit_code", pl.col("insured_persons").alias("hc")
    )
    hcu = (
        units.select("i", "credit_code")
        .join(dec, on="credit_code", how="left")
        .with_columns(pl.col("hc").fill_null(0))
    )
    lay = (
        pl.when(_u(seed, 40, i) < 0.2)
        .then((pl.col("hc").cast(pl.Float64) * 0.12 * _u(seed, 41, i)).floor())
        .otherwise(0)
    )
    headcount = hcu.select(
        "credit_code",
        pl.lit(y1, dtype=pl.Int64).alias("year"),
        pl.col("hc").cast(pl.Int64).alias("insured_headcount"),
        lay.cast(pl.Int64).alias("layoffs"),
        (pl.col("hc").cast(pl.Float64) * 0.08 * _u(seed, 42, i))
        .floor()
        .cast(pl.Int64)
        .alias("normal_attrition"),
    )
    ex_u = units.filter(_u(seed, 43, i) < 0.02)
    lt = tuple((t, w) for t, w in zip(EXCLUSION_LIST_TYPES, (20, 10, 10, 15, 5, 30, 3, 7), strict=True))
    start = pl.date(y1 - 1, 1, 1) + pl.duration(days=_int(seed, 45, i, 900))
    exclusions = ex_u.select(
        "credit_code",
        _pick(seed, 44, i, lt).alias("list_type"),
        start.alias("date_from"),
        pl.when(_u(seed, 46, i) < 0.25)
        .then(start + pl.duration(days=30 + _int(seed, 47, i, 200)))
        .otherwise(None)
        .alias("date_to"),
    )
    st_u = units.filter(_u(seed, 48, i) < 0.05)
    emp = pl.col("employees")
    stats = st_u.select(
        "credit_code",
        pl.when(emp >= 1000)
        .then(pl.lit("large"))
        .when(emp >= 300)
        .then(pl.lit("medium"))
        .when(emp >= 20)
        .then(pl.lit("small"))
        .otherwise(pl.lit("micro"))
        .alias("size_class"),
    )
    df_u = units.filter(_u(seed, 49, i) < 0.01)
    deferrals = df_u.select(
        "credit_code",
        pl.lit(f"{y1 - 1}-04").alias("period_from"),
        pl.lit(f"{y1}-03").alias("period_to"),
        (emp * 3000 * 12).cast(pl.Int64).alias("deferred_fen"),
        pl.when(_u(seed, 50, i) < 0.7).then(pl.date(y1, 6, 30)).otherwise(None).alias("paid_up_date"),
    )
    firms = units.filter(pl.col("is_dispatch_firm"))
    alloc = firms.select("i", pl.col("credit_code").alias("dispatch_credit_code")).join(
        pl.DataFrame({"k": [0, 1, 2, 3, 4]}), how="cross"
    )
    alloc = alloc.filter(pl.col("k") <= _int(seed, 51, pl.col("i"), 5)).with_columns(
        _int(seed, 52, pl.col("i") * 8 + pl.col("k"), max(n_units, 1)).alias("_pos")
    )
    dispatch = alloc.select(
        "dispatch_credit_code",
        _code_of(seed, pl.col("_pos"), counties).alias("user_credit_code"),
        (1 + _int(seed, 53, pl.col("i") * 8 + pl.col("k"), 50)).alias("workers"),
        (_u(seed, 54, pl.col("i") * 8 + pl.col("k")) < 0.1).alias("user_is_public_institution"),
    ).unique(["dispatch_credit_code", "user_credit_code"], keep="first", maintain_order=True)
    return {
        "headcount": headcount,
        "exclusions": exclusions,
        "stats_size": stats,
        "deferrals": deferrals,
        "dispatch": dispatch,
    }


def _birth_codes(province: str) -> list[str]:
    """County codes of the province valid over 1960–2010 (safe birthplaces for any birth year we draw)."""
    return sorted(
        c
        for c, ranges in region_code_years().items()
        if c.startswith(province)
        and not c.endswith("00")
        and any(r.start <= 1960 and r.end >= 2010 for r in ranges)
    )


def _people(
    n: int, region_code: str, year: int, seed: int, n_units: int = 0, counties: list[str] | None = None
) -> dict[str, pl.DataFrame]:
    codes = _birth_codes(region_code[:2]) or _birth_codes("11")
    j = pl.col("j")
    by = 1965 + _int(seed, 60, j, 40)
    bm = 1 + _int(seed, 61, j, 12)
    bd = 1 + _int(seed, 62, j, 28)
    seq = _int(seed, 63, j, 1000)
    first17 = pl.concat_str(
        _int(seed, 64, j, len(codes)).replace_strict(dict(enumerate(codes)), return_dtype=pl.String),
        by.cast(pl.String),
        bm.cast(pl.String).str.zfill(2),
        bd.cast(pl.String).str.zfill(2),
        seq.cast(pl.String).str.zfill(3),
    )
    persons = pl.DataFrame({"j": pl.int_range(0, n, dtype=pl.Int64, eager=True)}).with_columns(
        first17.alias("_f")
    )
    digits = [pl.col("_f").str.slice(k, 1).cast(pl.Int64) for k in range(17)]
    chk = (pl.sum_horizontal([d * w for d, w in zip(digits, RIC_WEIGHTS, strict=True)]) % 11).replace_strict(
        dict(enumerate(RIC_CHECK)), return_dtype=pl.String
    )
    persons = persons.with_columns((pl.col("_f") + chk).alias("id_number")).unique(
        "id_number", keep="first", maintain_order=True
    )
    persons = persons.with_columns(
        pl.format("人员{}", j).alias("name"),
        pl.lit(region_code).alias("region_code"),
        # ~85 % employed by one of the region's units (skill subsidies need 在职职工 or benefit recipients)
        (
            pl.when(_u(seed, 81, j) < 0.85)
            .then(_code_of(seed, _int(seed, 82, j, n_units), counties))
            .otherwise(None)
            if n_units and counties
            else pl.lit(None, dtype=pl.String)
        ).alias("employer_credit_code"),
        pl.format(
            "{}-{}", 2000 + _int(seed, 65, j, 24), (1 + _int(seed, 66, j, 12)).cast(pl.String).str.zfill(2)
        ).alias("insured_since"),
        (1 + _int(seed, 67, j, 240)).alias("insured_months"),
    )
    y1 = year - 1
    holders = (
        persons.filter(_u(seed, 68, j) < 0.3)
        .join(pl.DataFrame({"k": [0, 1]}), how="cross")
        .filter((pl.col("k") == 0) | (_u(seed, 69, j) < 0.3))
    )
    jk = pl.col("j") * 4 + pl.col("k")
    issuer = (
        pl.when(_u(seed, 70, jk) < 0.15)
        .then(pl.lit("某职业技能等级认定机构A"))
        .otherwise(pl.format("评价机构{}", _int(seed, 71, jk, 40)))
    )
    certs = holders.select(
        "id_number",
        pl.format("CERT{}-{}", pl.col("j"), pl.col("k")).alias("certificate_no"),
        _int(seed, 72, jk, len(OCCUPATIONS))
        .replace_strict(dict(enumerate(OCCUPATIONS)), return_dtype=pl.String)
        .alias("occupation_code"),
        (5 - _int(seed, 73, jk, 3) - pl.col("k")).clip(1, 5).alias("level"),
        (pl.date(y1, 1, 1) + pl.duration(days=_int(seed, 74, jk, 365))).alias("issue_date"),
        issuer.alias("issuer"),
        pl.when(_u(seed, 75, jk) < 0.05)
        .then(pl.lit("440106"))
        .otherwise(pl.lit(region_code))
        .alias("issuing_region"),
    )
    amount = pl.col("level").replace_strict(
        {5: 100000, 4: 150000, 3: 200000}, default=200000, return_dtype=pl.Int64
    )
    subs = certs.filter(
        _u(seed, 76, pl.col("level") * 7 + pl.col("issue_date").dt.ordinal_day()) < 0.4
    ).select(
        "id_number",
        pl.lit("skill").alias("kind"),
        "occupation_code",
        "level",
        (pl.col("issue_date") + pl.duration(days=45)).alias("paid_date"),
        amount.alias("amount_fen"),
    )
    training = persons.filter(_u(seed, 77, j) < 0.02).select(
        "id_number",
        pl.lit("training").alias("kind"),
        pl.lit(OCCUPATIONS[0]).alias("occupation_code"),
        pl.lit(5, dtype=pl.Int64).alias("level"),
        pl.lit(date(y1, 9, 1)).alias("paid_date"),
        pl.lit(80000, dtype=pl.Int64).alias("amount_fen"),
    )
    claims = persons.filter(_u(seed, 78, j) < 0.02).select(
        "id_number",
        pl.lit(region_code).alias("region_code"),
        pl.lit(None, dtype=pl.String).alias("last_employer_credit_code"),
        pl.format("{}-{}", pl.lit(y1), (1 + _int(seed, 79, j, 12)).cast(pl.String).str.zfill(2)).alias(
            "start_month"
        ),
        (3 + _int(seed, 80, j, 10)).alias("months"),
        pl.lit(180000, dtype=pl.Int64).alias("monthly_fen"),
        (_u(seed, 83, j) < 0.95).alias("involuntary_separation"),
    )
    return {
        "persons": persons.select(
            "id_number", "name", "region_code", "employer_credit_code", "insured_since", "insured_months"
        ),
        "certificates": certs,
        "subsidies": pl.concat([subs, training]).unique(
            ["id_number", "kind", "occupation_code", "level", "paid_date"], maintain_order=True
        ),
        "ui_claims": claims,
    }


REGISTRY_SAMPLE_HEADERS = {
    "credit_code": "统一社会信用代码",
    "name": "单位名称",
    "region_code": "参保地行政区划代码",
    "org_type": "单位类型",
    "legal_entity_credit_code": "所属独立法人统一社会信用代码",
    "industry_code": "国民经济行业代码",
    "employees": "从业人员数",
    "revenue_10k_yuan": "营业收入（万元）",
    "assets_10k_yuan": "资产总额（万元）",
    "has_corporate_account": "有对公账户",
    "has_tax_payment_account": "有税务社保缴费账户",
    "is_dispatch_firm": "是否劳务派遣单位",
}


def generate_region(
    out_dir: str | Path,
    region_code: str = "150500",
    n_units: int = 50_000,
    year: int = 2024,
    seed: int = 0,
    chunk_units: int = 500_000,
    months_through: str | None = None,
    sample_rows: int = 200,
    progress: Step | None = None,
) -> dict[str, Path]:
    """Write a synthetic region under ``out_dir``; return table name → path (directory or file).

    ``year`` is the policy year: monthly records cover ``year−1``-01 … ``months_through`` (default
    ``year−1``-12: 12 rows per unit), plus back payments of ``year−2`` months made in ``year−1``.
    ``progress`` (a :func:`wengang.progress.step`) counts the units written.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    names = ["units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch"]
    for nm in names:
        (out / nm).mkdir(exist_ok=True)
        for f in (out / nm).glob("*.parquet"):
            f.unlink()
    side_rows: dict[str, int] = {}
    side_schemas: dict[str, pl.Schema] = {}
    first_units = pl.DataFrame()
    for k, start in enumerate(range(0, n_units, chunk_units)):
        end = min(n_units, start + chunk_units)
        units = _units_chunk(start, end, region_code, year, seed)
        contrib = _contributions_chunk(units, year, seed, months_through)
        side = _side_tables(units, contrib, year, seed, n_units, _counties(region_code, year))
        part = f"part-{k:05d}.parquet"
        units.select(UNIT_COLUMNS).write_parquet(out / "units" / part)
        contrib.write_parquet(out / "contributions" / part, row_group_size=1_000_000)
        for nm, df in side.items():
            df.write_parquet(out / nm / part)
            side_rows[nm] = side_rows.get(nm, 0) + df.height
            side_schemas[nm] = df.schema
        if k == 0:
            first_units = units.select("credit_code", "employees", "is_dispatch_firm").head(2)
            sample = units.select(UNIT_COLUMNS).head(sample_rows).rename(REGISTRY_SAMPLE_HEADERS)
            sample.write_csv(out / "registry_sample.utf8.csv")
            text = (out / "registry_sample.utf8.csv").read_text(encoding="utf-8")
            (out / "registry_sample.gbk.csv").write_bytes(text.encode("gbk"))
            (out / "registry_sample.utf8.csv").unlink()
            sample.write_excel(out / "registry_sample.xlsx", worksheet="参保单位")
        del units, contrib, side
        if progress is not None:
            progress.update(done=end)
    # a table given with no data row is refused (decisions §102): a small region whose draw listed no unit gets one
    # row that decides nothing (an ended listing, a deferral paid up, no worker at a firm that dispatches none)
    for nm, rows in side_rows.items():
        if rows == 0 and first_units.height:
            _neutral_row(nm, first_units, year, side_schemas[nm]).write_parquet(
                out / nm / "part-99999.parquet"
            )
    people = _people(
        min(max(n_units // 10, 100), 1_000_000),
        region_code,
        year,
        seed,
        n_units,
        _counties(region_code, year),
    )
    if people["ui_claims"].height == 0 and people["persons"].height:
        people["ui_claims"] = _neutral_claim(people["persons"], region_code, year, people["ui_claims"].schema)
    for nm, df in people.items():
        df.write_parquet(out / f"{nm}.parquet")
    paths = {nm: out / nm for nm in names}
    paths.update({nm: out / f"{nm}.parquet" for nm in people})
    paths["registry_sample_gbk"] = out / "registry_sample.gbk.csv"
    paths["registry_sample_xlsx"] = out / "registry_sample.xlsx"
    return paths


def _neutral_row(name: str, units: pl.DataFrame, year: int, schema: pl.Schema) -> pl.DataFrame:
    """One row of side table ``name`` that changes no decision, for a region whose draw gave the table none."""
    first = units.row(0, named=True)
    long_ago = year - 6
    emp = first["employees"] or 0
    rows = {
        "exclusions": {"credit_code": first["credit_code"], "list_type": "abnormal_operations",
                       "date_from": date(long_ago, 1, 1), "date_to": date(long_ago, 6, 30)},
        "deferrals": {"credit_code": first["credit_code"], "period_from": f"{long_ago}-01",
                      "period_to": f"{long_ago}-03", "deferred_fen": 100_000, "paid_up_date": date(long_ago, 6, 30)},
        # the size class the registry's head count gives (the statistics list agrees with the registry)
        "stats_size": {"credit_code": first["credit_code"],
                       "size_class": "large" if emp >= 1000 else "medium" if emp >= 300 else "small" if emp >= 20
                       else "micro"},
        # no worker: a unit that reports dispatched workers is a dispatch firm (fanhuan.is_dispatch)
        "dispatch": {"dispatch_credit_code": first["credit_code"], "user_credit_code": units.row(-1)[0], "workers": 0,
                     "user_is_public_institution": False},
    }  # fmt: skip
    if name == "dispatch":  # at a unit that is no dispatch firm (a firm's share would change)
        plain = units.filter(~pl.col("is_dispatch_firm").fill_null(False))
        rows["dispatch"]["dispatch_credit_code"] = (plain if plain.height else units).item(0, "credit_code")
    return pl.DataFrame([rows[name]], schema=schema)


def _neutral_claim(persons: pl.DataFrame, region_code: str, year: int, schema: pl.Schema) -> pl.DataFrame:
    """One 失业保险金 claim that ended years ago, for a region whose draw gave none."""
    row = {
        "id_number": persons.item(0, "id_number"),
        "region_code": region_code,
        "last_employer_credit_code": None,
        "start_month": f"{year - 6}-01",
        "months": 3,
        "monthly_fen": 180_000,
        "involuntary_separation": True,
    }
    return pl.DataFrame([row], schema=schema)


def allowed_regions_for(region_code: str, year: int) -> set[str]:
    """The county codes a generated region uses (for validation's ``allowed_regions``)."""
    return set(_counties(region_code, year))

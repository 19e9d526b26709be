"""Synthetic tables for the risk checks: a clean population with a known number of planted anomalies of each kind.

The population (通辽 counties, 2024) raises no flag by construction: certificates are issued in the holder's
county by bodies that issue ``certs_per_body`` certificates evenly spread over the year; each claimant has one
claim, paid in their county, with at least 24 months of contributions; the registry lists deaths of people
without claims (or after their claim ended) and invalid IDs of people without claims; flexible-employment
subsidies do not overlap a claim; dispatch firms allocate exactly their dispatched share. Every column is a
Polars expression of the row index (deterministic, no Python per row), so 10 M people take seconds.

Then ``planted`` of each kind is added (:data:`PLANTED_DOC`), and :func:`expected_counts` says how many flags
each check must raise under :data:`DEMO_SETTINGS` — tests assert exactly those counts.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from wengang.facts.identifiers import RIC_CHECK, RIC_WEIGHTS, make_credit_code

COUNTIES = ("150502", "150521", "150522", "150523", "150524", "150525", "150581")  # 通辽市的县级区划
OTHER_PLACE = (
    "140302"  # 阳泉市城区 (山西): another pooling area, whose document (晋28号 六) lists the check too
)
OUTSIDE = "140302"  # 阳泉市城区 (山西): a certificate obtained outside the insured place
OCCUPATIONS = ("6-31-01-03", "6-18-02-04", "4-10-01-03", "4-03-02-01")
PLANTED_OCCUPATION = "4-07-05-02"  # used only by the planted duplicate subsidies
EVALUATION_DATE = date(2025, 7, 1)  # 内人社发〔2025〕18号 in force (from 2025-05-27)
DEMO_SETTINGS: dict[str, Any] = {
    "evaluation_body_batch_threshold": 5,
    "evaluation_body_batch_window_days": 30,
    "short_term_insured_months": 12,
}
PLANTED_DOC = {
    "certificate_outside_place": "k 张证书在山西（140302）取得，持证人在通辽参保",
    "evaluation_body_cluster": "一家机构在30天内（首尾含）发证5张（核查线5，含本数）→ 5 条；另有一家31天内发5张、一家1天内发4张，均不提示",
    "skill_training_same_certificate": "k 人同一证书先领技能提升补贴、后领职业培训补贴（一半按证书编号对上，一半按职业、等级对上）",
    "ui_cross_region": "k 人在通辽与阳泉同期领取（重叠4个月）→ 每人2条（两条领取记录，阳泉的一条引晋人社厅发〔2024〕28号 六）",
    "ui_status_anomaly": "k 人死亡后仍发放 + k 个校验码错误的身份证号码领取 + 1 个列入身份异常名单的号码领取",
    "ui_short_term_insured": "k 人缴费11个月领取（核查线12，低于才提示）；另1人缴费12个月不提示",
    "ui_with_flexible_subsidy": "k 人领取失业保险金期间同时领取灵活就业社保补贴（重叠3个月）；另1人不重叠",
    "dispatch_allocation_mismatch": "k 家派遣单位少分配（截留）+ 1 家多分配",
}


def expected_counts(planted: int) -> dict[str, int]:
    k = planted
    return {
        "certificate_outside_place": k,
        "evaluation_body_cluster": int(DEMO_SETTINGS["evaluation_body_batch_threshold"]),
        "skill_training_same_certificate": k,
        "ui_cross_region": 2 * k,
        "ui_status_anomaly": 2 * k + 1,
        "ui_short_term_insured": k,
        "ui_with_flexible_subsidy": k,
        "dispatch_allocation_mismatch": k + 1,
    }


def _id_numbers(idx: pl.Expr) -> pl.Expr:
    """A valid, unique 公民身份号码 for each index below 14.6 M × the number of birthplaces (GB 11643)."""
    from wengang.screening.demo_data import _birth_codes

    codes = _birth_codes("15")
    seq = idx % 1000
    day = (idx // 1000) % 14_600
    code = ((idx // 14_600_000) % len(codes)).replace_strict(dict(enumerate(codes)), return_dtype=pl.String)
    born = pl.lit(date(1965, 1, 1)) + pl.duration(days=day)
    first17 = pl.concat_str(code, born.dt.strftime("%Y%m%d"), seq.cast(pl.String).str.zfill(3))
    digits = [first17.str.slice(k, 1).cast(pl.Int64) for k in range(17)]
    check = (
        pl.sum_horizontal([d * w for d, w in zip(digits, RIC_WEIGHTS, strict=True)]) % 11
    ).replace_strict(dict(enumerate(RIC_CHECK)), return_dtype=pl.String)
    return first17 + check


def _county(idx: pl.Expr) -> pl.Expr:
    return (idx % len(COUNTIES)).replace_strict(dict(enumerate(COUNTIES)), return_dtype=pl.String)


def _claimant(i: pl.Expr) -> pl.Expr:
    return i % 50 == 7


def _person_id(i: int) -> str:
    return pl.select(_id_numbers(pl.lit(i, dtype=pl.Int64))).item()


def _county_of(i: int) -> str:
    return COUNTIES[i % len(COUNTIES)]


def generate(
    n_people: int = 2_000, *, certs_per_person: int = 3, certs_per_body: int = 3, planted: int = 3
) -> dict[str, pl.DataFrame]:
    """The tables (see the module doc). ``planted`` ≤ 5 and ``n_people`` ≥ 1000 keep the planted people apart."""
    if not 1 <= planted <= 5 or n_people < 1000:
        raise ValueError("planted must be 1..5 and n_people at least 1000")
    k = planted
    i = pl.col("i")
    persons = pl.DataFrame({"i": pl.int_range(0, n_people, dtype=pl.Int64, eager=True)}).with_columns(
        _id_numbers(i).alias("id_number"),
        pl.format("人员{}", i).alias("name"),
        _county(i).alias("region_code"),
        (24 + i % 200).alias("insured_months"),
    )
    n_certs = n_people * certs_per_person
    spacing = max(1, 365 // certs_per_body)
    c = pl.col("c")
    holder = c % n_people
    certs = pl.DataFrame({"c": pl.int_range(0, n_certs, dtype=pl.Int64, eager=True)}).with_columns(
        _id_numbers(holder).alias("id_number"),
        pl.format("C{}", c).alias("certificate_no"),
        (c % len(OCCUPATIONS)).replace_strict(dict(enumerate(OCCUPATIONS)), return_dtype=pl.String).alias("occupation_code"),
        (5 - c % 3).alias("level"),
        (pl.lit(date(2024, 1, 1)) + pl.duration(days=(c % certs_per_body) * spacing + (c // certs_per_body) % 7)).alias("issue_date"),
        pl.format("评价机构{}", c // certs_per_body).alias("issuer"),
        _county(holder).alias("issuing_region"),
    )  # fmt: skip
    amount = pl.col("level").replace_strict({5: 100_000, 4: 150_000, 3: 200_000}, return_dtype=pl.Int64)
    skill = certs.filter(c % 5 == 0).select(
        "id_number", pl.lit("skill").alias("kind"), "occupation_code", "level",
        (pl.col("issue_date") + pl.duration(days=45)).alias("paid_date"), amount.alias("amount_fen"),
        "certificate_no",
    )  # fmt: skip
    training = persons.filter(i % 97 == 3).select(
        "id_number", pl.lit("training").alias("kind"), pl.lit(OCCUPATIONS[0]).alias("occupation_code"),
        pl.lit(5, dtype=pl.Int64).alias("level"), pl.lit(date(2024, 9, 1)).alias("paid_date"),
        pl.lit(80_000, dtype=pl.Int64).alias("amount_fen"), pl.format("T{}", i).alias("certificate_no"),
    )  # fmt: skip
    claims = persons.filter(_claimant(i)).select(
        "id_number", "region_code",
        pl.format("2024-{}", (1 + i % 12).cast(pl.String).str.zfill(2)).alias("start_month"),
        (3 + i % 10).alias("months"), pl.lit(180_000, dtype=pl.Int64).alias("monthly_fen"),
        pl.lit(None, dtype=pl.Int64).alias("paid_months"),
    )  # fmt: skip
    registry = pl.concat(
        [
            # deaths of people without a claim, and of claimants after their claim ended (no month paid after death)
            persons.filter((i % 211 == 5) & ~_claimant(i)).select(
                "id_number", pl.lit("deceased").alias("kind"), pl.lit(date(2024, 3, 15)).alias("date")
            ),
            persons.filter(i % 300 == 57).select(
                "id_number", pl.lit("deceased").alias("kind"), pl.lit(date(2026, 1, 10)).alias("date")
            ),
            persons.filter((i % 223 == 9) & ~_claimant(i)).select(
                "id_number", pl.lit("invalid_id").alias("kind"), pl.lit(None, dtype=pl.Date).alias("date")
            ),
        ]
    )
    flexible = pl.concat(
        [
            persons.filter((i % 101 == 11) & ~_claimant(i)).select(
                "id_number", "region_code", pl.lit("2024-01").alias("start_month"), pl.lit(12, dtype=pl.Int64).alias("months")
            ),
            # claimants with a subsidy that ended before their claim began
            persons.filter(_claimant(i) & (i % 400 == 107)).select(
                "id_number", "region_code", pl.lit("2022-01").alias("start_month"), pl.lit(12, dtype=pl.Int64).alias("months")
            ),
        ]
    )  # fmt: skip
    n_firms = max(3, n_people // 1000)
    f = pl.col("f")
    firms = pl.DataFrame({"f": pl.int_range(0, n_firms, dtype=pl.Int64, eager=True)}).with_columns(
        pl.format("PQ{}", f).alias("firm_id"), pl.format("派遣公司{}", f).alias("firm_name"),
        _county(f).alias("region_code"), pl.lit(2024, dtype=pl.Int64).alias("year"),
        ((f + 1) * 100_000).alias("dispatch_share_fen"),
    )  # fmt: skip
    allocations = pl.concat(
        [
            firms.select("firm_id", "year", pl.format("U{}A", f).alias("user_unit_id"), ((f + 1) * 60_000).alias("allocated_fen")),
            firms.select("firm_id", "year", pl.format("U{}B", f).alias("user_unit_id"), ((f + 1) * 40_000).alias("allocated_fen")),
        ]
    )  # fmt: skip

    # ------------------------------------------------------------------ planted
    def person(j: int) -> tuple[str, str]:
        assert j % 50 != 7 and j < n_people, j  # a planted person is never a claimant of the clean population
        return _person_id(j), _county_of(j)

    threshold = int(DEMO_SETTINGS["evaluation_body_batch_threshold"])
    window = int(DEMO_SETTINGS["evaluation_body_batch_window_days"])
    extra_certs: list[dict[str, Any]] = []
    for j in range(k):  # (a)
        pid, _ = person(10 + j)
        extra_certs.append(
            dict(
                id_number=pid,
                certificate_no=f"PA{j}",
                occupation_code=OCCUPATIONS[1],
                level=4,
                issue_date=date(2024, 4, 1),
                issuer=f"外地评价机构{j}",
                issuing_region=OUTSIDE,
            )
        )
    holders = (h for h in range(100, 200) if h % 50 != 7)
    for body, span, count in (
        ("集中发证机构", window - 1, threshold),
        ("边界外机构", window, threshold),
        ("未达线机构", 0, threshold - 1),
    ):  # (b)
        for j in range(count):
            day = (span * j) // max(1, count - 1)
            pid, county = person(next(holders))
            extra_certs.append(
                dict(
                    id_number=pid,
                    certificate_no=f"PB-{body}-{j}",
                    occupation_code=OCCUPATIONS[2],
                    level=5,
                    issue_date=date(2024, 6, 1) + _days(day),
                    issuer=body,
                    issuing_region=county,
                )
            )
    extra_subs: list[dict[str, Any]] = []
    for j in range(k):  # (c)
        pid, county = person(200 + j)
        extra_certs.append(
            dict(
                id_number=pid,
                certificate_no=f"PC{j}",
                occupation_code=PLANTED_OCCUPATION,
                level=4,
                issue_date=date(2024, 3, 1),
                issuer=f"单独机构{j}",
                issuing_region=county,
            )
        )
        extra_subs.append(
            dict(
                id_number=pid,
                kind="skill",
                occupation_code=PLANTED_OCCUPATION,
                level=4,
                paid_date=date(2024, 5, 1),
                amount_fen=150_000,
                certificate_no=f"PC{j}",
            )
        )
        extra_subs.append(
            dict(
                id_number=pid,
                kind="training",
                occupation_code=PLANTED_OCCUPATION,
                level=4,
                paid_date=date(2024, 7, 1),
                amount_fen=90_000,
                certificate_no=f"PC{j}" if j % 2 == 0 else None,
            )
        )
    extra_claims: list[dict[str, Any]] = []
    extra_registry: list[dict[str, Any]] = []
    extra_flex: list[dict[str, Any]] = []
    for j in range(k):  # (d)
        pid, county = person(300 + j)
        extra_claims.append(
            dict(
                id_number=pid,
                region_code=county,
                start_month="2024-03",
                months=6,
                monthly_fen=180_000,
                paid_months=None,
            )
        )
        extra_claims.append(
            dict(
                id_number=pid,
                region_code=OTHER_PLACE,
                start_month="2024-05",
                months=6,
                monthly_fen=190_000,
                paid_months=None,
            )
        )
    for j in range(k):  # (e) deaths
        pid, county = person(400 + j)
        extra_claims.append(
            dict(
                id_number=pid,
                region_code=county,
                start_month="2024-01",
                months=8,
                monthly_fen=180_000,
                paid_months=None,
            )
        )
        extra_registry.append(dict(id_number=pid, kind="deceased", date=date(2024, 4, 10)))
    for j in range(k):  # (e) ID numbers failing the check digit
        good = _person_id(n_people + 1000 + j)
        bad = good[:17] + RIC_CHECK[(RIC_CHECK.index(good[17]) + 1) % 11]
        extra_claims.append(
            dict(
                id_number=bad,
                region_code=COUNTIES[0],
                start_month="2024-02",
                months=4,
                monthly_fen=180_000,
                paid_months=36,
            )
        )
    listed = _person_id(n_people + 2000)  # (e) a valid number the registry lists as an identity anomaly
    extra_claims.append(
        dict(
            id_number=listed,
            region_code=COUNTIES[1],
            start_month="2024-02",
            months=4,
            monthly_fen=180_000,
            paid_months=36,
        )
    )
    extra_registry.append(dict(id_number=listed, kind="invalid_id", date=None))
    short = int(DEMO_SETTINGS["short_term_insured_months"])
    for j in range(k + 1):  # (f): k below the line, one on it
        pid, county = person(500 + j)
        extra_claims.append(
            dict(
                id_number=pid,
                region_code=county,
                start_month="2024-06",
                months=3,
                monthly_fen=180_000,
                paid_months=short - 1 if j < k else short,
            )
        )
    for j in range(k + 1):  # (g): k overlapping, one not
        pid, county = person(600 + j)
        extra_claims.append(
            dict(
                id_number=pid,
                region_code=county,
                start_month="2024-04",
                months=6,
                monthly_fen=180_000,
                paid_months=None,
            )
        )
        extra_flex.append(
            dict(id_number=pid, region_code=county, start_month="2024-07" if j < k else "2024-10", months=6)
        )
    extra_refunds: list[dict[str, Any]] = []
    extra_alloc: list[dict[str, Any]] = []
    for j in range(k + 1):  # (h): k keep part of it, one allocates more than its share
        # real credit codes (the ledger takes no other unit id): 派遣 firms PX0…, their user units UX0A…
        fid = make_credit_code("91", COUNTIES[j % 7], f"PX{j:07d}")
        extra_refunds.append(
            dict(
                firm_id=fid,
                firm_name=f"截留测试派遣公司{j}",
                region_code=COUNTIES[j % 7],
                year=2024,
                dispatch_share_fen=500_000,
            )
        )
        extra_alloc.append(dict(firm_id=fid, year=2024, user_unit_id=make_credit_code("91", COUNTIES[j % 7], f"UX{j:06d}A"), allocated_fen=300_000))
        extra_alloc.append(
            dict(firm_id=fid, year=2024, user_unit_id=make_credit_code("91", COUNTIES[j % 7], f"UX{j:06d}B"), allocated_fen=150_000 if j < k else 250_000)
        )

    def add(base: pl.DataFrame, rows: list[dict[str, Any]]) -> pl.DataFrame:
        if not rows:
            return base
        return pl.concat([base, pl.DataFrame(rows, schema=base.schema, orient="row")], how="vertical")

    certs = certs.drop("c")
    subsidies = pl.concat([skill, training], how="vertical")
    return {
        "persons": persons.drop("i"),
        "certificates": add(certs, extra_certs),
        "subsidies": add(subsidies, extra_subs),
        "ui_claims": add(claims, extra_claims),
        "registry": add(registry, extra_registry),
        "flexible_subsidies": add(flexible, extra_flex),
        "dispatch_refunds": add(firms.drop("f"), extra_refunds),
        "dispatch_allocations": add(allocations, extra_alloc),
    }


def _days(n: int) -> Any:
    from datetime import timedelta

    return timedelta(days=n)


def write(out_dir: str | Path, tables: dict[str, pl.DataFrame]) -> dict[str, Path]:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, frame in tables.items():
        paths[name] = out / f"{name}.parquet"
        frame.write_parquet(paths[name])
    return paths

"""Fail closed: a quarantined row of a table that can stop or reduce a payment holds the payments it may concern.

The tables are those whose schema has a ``hold_key`` (docs/data-dictionary.md lists them and why): exclusion
lists (失信、注销、吊销 …), deferrals, headcount and layoffs, the statistics size list, dispatch allocations; for
people, certificates, past subsidies, held certificates and benefit claims. Such a row cannot be read, so what it
would have said is unknown — it may be the row that refuses the unit. Screening goes on (the rest of the input is
good), but the units it may concern are not paid until someone has looked at the row:

* the row's own identifier is valid → that unit (person) is held;
* it is present but invalid → every screened unit whose identifier is **one edit** away (one character wrong, two
  neighbours swapped, one missing or one extra: the usual typing errors, including a wrong check character) is held;
* it is missing, or no screened identifier is one edit away → it may concern any unit: every payable result of
  the run is held, the reason saying so — which row, that its identifier is missing (or what was written and that no
  unit's is one edit away), that the row could be any unit's, and what to do (complete or delete the row, screen
  again). Rows that are no record do not get here: a row blank in every column the table uses and a totals or
  sign-off row (合计, 制表人 …) are skipped when the table is read (``screening.ingest``), so such a row no longer
  holds a whole region; a row that is skipped cannot hide a payment-stopping fact (it has no identifier and, if
  blank, no value).

Held means ``payment_hold`` with a Chinese reason naming the table and row (``排除名单第 N 行格式有误，待核实后发放``)
on results that are payable (符合条件 or 待认定); the casework import stores them as 暂缓发放 (``held``). A refusal
(不符合条件, 无法判定) of a unit that a row names (its own code, or one edit away) may rest on what that row would
have said — a missing month makes "12个月以上" fail —, so it is not final either: it is marked the same way, its reason
prefixed with :data:`REFUSAL_TO_VERIFY`, and the casework import stores it as 待认定 (no refusal letter goes out
before someone has looked). A row that may concern anyone holds every payable result and marks every refusal of the
run the same way (it may be the row any of them rests on: decisions §102). See docs/decisions.md ("Fail closed on
quarantined rows", "A refusal that rests on a quarantined row").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from wengang.facts.identifiers import (
    USCC_ALPHABET,
    USCC_VALUE,
    is_valid_id_number,
    is_valid_normalised_credit_code,
    ric_check_character,
    uscc_check_character,
)
from wengang.screening.output import PARQUET_OPTIONS, PAYABLE
from wengang.screening.schemas import ALL_TABLES

HELD_KEYS_SCHEMA = pl.Schema({"table": pl.String, "source_row": pl.Int64, "code": pl.String})
_NO_KEYS = pl.Schema({"_key": pl.String, "_reason": pl.String})  # (unit, why it is held)
# short names for the reasons (the schemas' Chinese titles are long)
LABELS = {
    "units": "单位登记信息",
    "contributions": "月度缴费记录",
    "exclusions": "排除名单",
    "deferrals": "缓缴记录",
    "headcount": "年度参保人数与裁员表",
    "stats_size": "统计划型名单",
    "dispatch": "劳务派遣用工分配表",
    "certificates": "证书表",
    "held_certificates": "持有证书表",
    "subsidies": "已享受补贴表",
    "ui_claims": "失业保险金领取记录",
}
_MAX_ROWS_NAMED = 5


@dataclass
class HoldReport:
    """What the quarantine held: the notes (one per kind of row, Chinese) and how many results, how much."""

    notes: list[str] = field(default_factory=list)
    held: int = 0
    amount_fen: int = 0
    hold_all: bool = False
    refusals: int = 0  # refusals (不符合条件, 无法判定) that rest on a quarantined row: to be verified, not final


def held_keys(table: str, bad: pl.DataFrame, key: str) -> pl.DataFrame:
    """The quarantined rows of ``table`` as (table, source_row, code): the identifier as written."""
    code = pl.col(key).cast(pl.String) if key in bad.columns else pl.lit(None, dtype=pl.String)
    return bad.select(pl.lit(table).alias("table"), pl.col("source_row").cast(pl.Int64), code.alias("code"))


def _normalise(code: str | None) -> str:
    return "".join(ch for ch in (code or "") if not ch.isspace() and ch != "-").upper()


def _valid(code: str, kind: str) -> bool:
    """Is ``code`` (normalised: :func:`_normalise`) a valid identifier of its kind?"""
    return is_valid_normalised_credit_code(code) if kind == "credit_code" else is_valid_id_number(code)


def _check_character_ok(code: str, kind: str) -> bool:
    """The cheap part of :func:`_valid` (alphabet and check character), to thin out candidates first."""
    if kind == "credit_code":
        return all(ch in USCC_VALUE for ch in code) and code[17] == uscc_check_character(code[:17])
    return code[:17].isdigit() and code[17] == ric_check_character(code[:17])


def one_edit_away(code: str, kind: str) -> set[str]:
    """Every well-formed identifier one typing error away from ``code`` (substitution, adjacent swap,
    a character missing or extra); only those with a correct check character are kept."""
    alphabet = USCC_ALPHABET if kind == "credit_code" else "0123456789X"
    out: set[str] = set()
    if len(code) == 18:
        for i in range(18):
            out.update(code[:i] + ch + code[i + 1 :] for ch in alphabet)
        out.update(code[:i] + code[i + 1] + code[i] + code[i + 2 :] for i in range(17))
    elif len(code) == 17:
        out.update(code[:i] + ch + code[i:] for i in range(18) for ch in alphabet)
    elif len(code) == 19:
        out.update(code[:i] + code[i + 1 :] for i in range(19))
    out.discard(code)
    return {c for c in out if len(c) == 18 and _check_character_ok(c, kind) and _valid(c, kind)}


def _rows_text(rows: list[int]) -> str:
    rows = sorted(set(rows))
    shown = "、".join(str(r) for r in rows[:_MAX_ROWS_NAMED])
    return shown + (f" 等 {len(rows)} 行" if len(rows) > _MAX_ROWS_NAMED else " 行")


def _normalised(column: str) -> pl.Expr:
    """:func:`_normalise` as an expression (null → empty)."""
    return pl.col(column).cast(pl.String).fill_null("").str.replace_all(r"[\s\-]", "").str.to_uppercase()


def resolve(
    blocked: pl.DataFrame, subjects: pl.Series, kind: str, unscreened: pl.Series | None = None
) -> tuple[pl.DataFrame, list[str], list[str]]:
    """Who each quarantined row may concern.

    ``blocked``: (table, source_row, code) rows; ``subjects``: the screened identifiers; ``unscreened``: the
    identifiers, as written, of registry rows that were quarantined themselves (those units are not screened,
    so a row that names one — the same bad code in both files — concerns no payment). Returns (subject,
    reason) rows to hold, the reasons that hold every payable result, and the notes for the summary.
    Work is per distinct identifier (a unit's twelve monthly rows share one), so a large quarantine is cheap.
    """
    known = (
        pl.DataFrame({"code": unscreened if unscreened is not None else []}, schema={"code": pl.String})
        .select(_normalised("code"))
        .get_column("code")
    )
    subject = "单位" if kind == "credit_code" else "人员"
    who = "单位代码" if kind == "credit_code" else "公民身份号码"
    groups = (
        blocked.with_columns(_normalised("code"))
        .group_by("table", "code", maintain_order=True)
        .agg(pl.col("source_row"))
        .with_columns(pl.col("code").is_in(known.implode()).alias("unscreened"))
    )
    reasons: list[tuple[str, str]] = []
    by_table: dict[str, list[int]] = {}  # rows that hold named units, for the notes
    everyone: dict[str, list[int]] = {}
    unreadable: dict[str, list[str]] = {}  # table → the identifiers as written (normalised) that name no one
    missing: set[str] = set()  # tables with such a row without an identifier
    for table, code, rows, is_unscreened in groups.iter_rows():
        label = LABELS.get(table, table)
        if code and _valid(code, kind):
            reasons.append((code, f"{label}第 {_rows_text(rows)}格式有误，待核实后发放"))
            by_table.setdefault(table, []).extend(rows)
            continue
        if is_unscreened:
            continue  # the registry has the same (bad) code: that unit is quarantined, not screened
        candidates = pl.Series(sorted(one_edit_away(code, kind)) if code else [], dtype=pl.String)
        found = subjects.filter(subjects.is_in(candidates.implode())).unique(maintain_order=True)
        if found.len() == 0 and not known.is_in(candidates.implode()).any():
            everyone.setdefault(table, []).extend(rows)
            if code:
                unreadable.setdefault(table, []).append(code)
            else:
                missing.add(table)
            continue
        by_table.setdefault(table, []).extend(rows)
        mine = "本单位代码" if kind == "credit_code" else "本人公民身份号码"
        text = f"{label}第 {_rows_text(rows)}的{who}有误，与{mine}仅差一位，待核实后发放"
        reasons += [(c, text) for c in found]
    notes = [
        f"{LABELS.get(table, table)}第 {_rows_text(rows)}格式有误：所涉{subject}暂缓发放，不予发放的结论待核实后认定" for table, rows in by_table.items()
    ]
    hold_all = [
        _hold_all_reason(LABELS.get(table, table), rows, unreadable.get(table, []), table in missing, kind)
        for table, rows in everyone.items()
    ]
    frame = pl.DataFrame(reasons, schema={"_key": pl.String, "_reason": pl.String}, orient="row")
    frame = frame.group_by("_key", maintain_order=True).agg(pl.col("_reason").str.join("；"))
    return frame, hold_all, notes


def _hold_all_reason(label: str, rows: list[int], written: list[str], none: bool, kind: str) -> str:
    """Why every payable result is held: rows of ``label`` whose identifier is missing (``none``) or, as
    ``written``, names no one; that such a row may be any unit's (person's); and what to do."""
    subject = "单位" if kind == "credit_code" else "人员"
    who = "单位代码" if kind == "credit_code" else "公民身份号码"
    why = []
    if none:
        why.append("未填写")
    if written:
        from wengang.documents.masking import mask_loose, mask_text

        # a wrong code may be someone's ID number, mobile or account typed in the wrong column: masked (§28)
        shown = [mask_text(c[:30]) if kind == "credit_code" else mask_loose(c) for c in dict.fromkeys(written)]
        values = "、".join(f"“{c}”" for c in shown[:_MAX_ROWS_NAMED]) + ("等" if len(shown) > _MAX_ROWS_NAMED else "")
        why.append(f"{values}不是有效的{who}，与本批任何{subject}的{who}都不只差一位")
    it = "该行" if len(set(rows)) == 1 else "这些行"
    return (
        f"{label}第 {_rows_text(rows)}的{who}无法识别（{'；'.join(why)}）：{it}有误被隔离，又无法确定属于哪个{subject}，"
        f"可能涉及本批任一{subject}，因此本批全部待发放的{subject}暂缓发放、全部不予发放的结论待核实后认定；核实{it}（补全{who}，"
        f"或确认不是数据记录后从文件中删除）并重新筛查后发放"
    )


def branches_of_quarantined(features_path: Path, registry_rows: pl.DataFrame) -> pl.DataFrame:
    """(credit_code, reason) of the branches whose legal entity's registry row was quarantined: a branch takes
    its legal entity's size class, which is unknown now (its own class may be smaller, its refund higher)."""
    if registry_rows.height == 0 or not features_path.exists():
        return pl.DataFrame(schema=_NO_KEYS)
    return branches_of_quarantined_in(pl.scan_parquet(features_path), registry_rows)


def branches_of_quarantined_in(features: pl.LazyFrame | pl.DataFrame, registry_rows: pl.DataFrame) -> pl.DataFrame:
    """:func:`branches_of_quarantined` among ``features`` (a chunk of them: the one that has the branches)."""
    empty = pl.DataFrame(schema=_NO_KEYS)
    if registry_rows.height == 0:
        return empty
    parents = registry_rows.select(
        pl.col("code").map_elements(_normalise, return_dtype=pl.String).alias("_le"), "source_row"
    )
    branches = (
        features.lazy()
        .select("credit_code", "legal_entity_credit_code")
        .filter(pl.col("legal_entity_credit_code").is_not_null())
        .collect(engine="in-memory")
    )
    if branches.height == 0:
        return empty
    branches = branches.with_columns(
        pl.col("legal_entity_credit_code").str.replace_all(r"[\s\-]", "").str.to_uppercase().alias("_le")
    ).join(parents, on="_le", how="inner")
    return branches.group_by("credit_code", maintain_order=True).agg(
        pl.format(
            "所属独立法人的单位登记信息（第 {} 行）有误已被隔离，划型待核实后发放",
            pl.col("source_row").cast(pl.String).str.join("、"),
        ).first().alias("_reason")
    ).rename({"credit_code": "_key"})


def apply_holds(
    results_path: Path,
    blocked: pl.DataFrame,
    *,
    key_column: str,
    kind: str,
    unscreened: pl.Series | None = None,
    extra: pl.DataFrame | None = None,
    results: pl.LazyFrame | None = None,
) -> HoldReport:
    """Hold the payable results ``blocked`` may concern (see the module doc and :func:`resolve`), and those
    ``extra`` names ((_key, _reason) rows); rewrites ``results_path``, streamed: the file is never held whole
    in memory (10 M units with every reading open: GBs of outcome texts). ``results``: the file's rows as
    they are to be held, where not as written (:meth:`ChunkHolds.finish`)."""
    if (blocked.height == 0 and (extra is None or extra.height == 0)) or not results_path.exists():
        return HoldReport()
    subjects = pl.scan_parquet(results_path).select(key_column).collect().get_column(key_column)
    held, report = _holds(
        pl.scan_parquet(results_path) if results is None else results, subjects, blocked, key_column=key_column,
        kind=kind, unscreened=unscreened, extra=extra,
    )  # fmt: skip
    tmp = results_path.with_suffix(".holding.parquet")
    held.drop("_new", "_added").sink_parquet(tmp, **PARQUET_OPTIONS)
    _count_held(held, report)  # reads back the three columns it needs
    tmp.replace(results_path)
    return report


def hold_results(
    results: pl.DataFrame,
    blocked: pl.DataFrame,
    *,
    key_column: str,
    kind: str,
    unscreened: pl.Series | None = None,
    extra: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, HoldReport]:
    """:func:`apply_holds` on results in memory (a run whose results fit in memory writes them once). Its queries run on
    the in-memory engine: one partition's holds run beside features.parquet's write, a streaming sink, whose turn a
    query on the streaming engine would wait for (decisions §88)."""
    if blocked.height == 0 and (extra is None or extra.height == 0):
        return results, HoldReport()
    report, keys, hold_all = _resolved(
        results.get_column(key_column), blocked, kind=kind, unscreened=unscreened, extra=extra
    )
    if hold_all is None:
        # only the rows that keys name can change (a few hundred of a million): they are found by one membership
        # test, held on their own, and put back in place; joining every row rebuilt every row's hold columns
        rows = results.get_column(key_column).is_in(keys.get_column("_key").implode()).arg_true()
        part = _hold(results[rows].lazy(), keys, None, key_column).collect(engine="in-memory")
        _count_held(part.lazy(), report)
        hold = results.get_column("payment_hold")
        hold = hold.fill_null(False) if hold.null_count() else hold  # as _hold writes it for every row
        return results.with_columns(
            hold.scatter(rows, part.get_column("payment_hold")),
            results.get_column("payment_hold_reason").scatter(rows, part.get_column("payment_hold_reason")),
        ), report
    frame = _hold(results.lazy(), keys, hold_all, key_column).drop("_reason", strict=False).collect(engine="in-memory")
    _count_held(frame.lazy(), report)
    return frame.drop("_new", "_added"), report


def _holds(
    results: pl.LazyFrame,
    subjects: pl.Series,
    blocked: pl.DataFrame,
    *,
    key_column: str,
    kind: str,
    unscreened: pl.Series | None,
    extra: pl.DataFrame | None,
) -> tuple[pl.LazyFrame, HoldReport]:
    """The results with the holds added and ``_new`` (held by this step); the report without its counts."""
    report, keys, hold_all = _resolved(subjects, blocked, kind=kind, unscreened=unscreened, extra=extra)
    held = _hold(results, keys, hold_all, key_column)
    return held.drop("_reason", strict=False), report


def _resolved(
    subjects: pl.Series, blocked: pl.DataFrame, *, kind: str, unscreened: pl.Series | None, extra: pl.DataFrame | None
) -> tuple[HoldReport, pl.DataFrame, str | None]:
    """The report without its counts, the (_key, _reason) rows to hold and the reason that holds every payable
    result (None: only the named ones)."""
    report = HoldReport()
    keys, hold_all, notes = resolve(blocked, subjects.cast(pl.String).drop_nulls(), kind, unscreened)
    if extra is not None and extra.height:
        keys = _with_branches(keys, extra)
        notes.append(_branch_note(extra))
    report.hold_all = bool(hold_all)
    report.notes = notes + hold_all
    return report, keys, "；".join(hold_all) if hold_all else None


def _with_branches(keys: pl.DataFrame, extra: pl.DataFrame) -> pl.DataFrame:
    return pl.concat([keys, extra]).group_by("_key", maintain_order=True).agg(pl.col("_reason").str.join("；"))


def _branch_note(extra: pl.DataFrame) -> str:
    return f"单位登记信息有误被隔离的独立法人，其 {extra.height} 个分支机构暂缓发放"


# a refusal resting on a row that could not be read is not final: marked, and imported into the ledger as 待认定
REFUSAL_TO_VERIFY = "不予发放的结论所依据的数据有误，待核实后认定："


def _hold(results: pl.LazyFrame, keys: pl.DataFrame, hold_all: str | None, key_column: str) -> pl.LazyFrame:
    """The payable ``results`` that ``keys`` ((_key, _reason)) name held, or all of them (``hold_all``: the
    reason); a refusal (不符合条件, 无法判定) that ``keys`` name is marked too, its reason prefixed with
    :data:`REFUSAL_TO_VERIFY`. ``_new``: marked by this step; ``_added``: the text it added; ``_reason`` (from keys)."""
    payable = pl.col("status").cast(pl.String).is_in(PAYABLE)
    if keys.height:
        results = results.join(
            keys.lazy().rename({"_key": key_column}), on=key_column, how="left", maintain_order="left"
        )
        named = pl.col("_reason")
    else:
        named = pl.lit(None, dtype=pl.String)
    # a row that may concern anyone may be the one a refusal rests on, whichever it is: every refusal is marked too
    refused = (
        named if hold_all is None
        else pl.concat_str([named, pl.lit(hold_all)], separator="；", ignore_nulls=True)
    )  # fmt: skip
    add = pl.when(payable).then(pl.lit(hold_all) if hold_all is not None else named).otherwise(
        pl.lit(REFUSAL_TO_VERIFY) + refused
    )
    return results.with_columns(add.alias("_added")).with_columns(
        pl.col("_added").is_not_null().alias("_new")
    ).with_columns(
        pl.when(pl.col("_new"))
        .then(pl.concat_str([pl.col("payment_hold_reason"), pl.col("_added")], separator="；", ignore_nulls=True))
        .otherwise(pl.col("payment_hold_reason"))
        .alias("payment_hold_reason"),
        (pl.col("payment_hold").fill_null(False) | pl.col("_new")).alias("payment_hold"),
    )


class ChunkHolds:
    """The holds of a partitioned run applied to each chunk of results while it is in memory, so that
    ``results.parquet`` is written once (10 M units with every reading open: :func:`apply_holds` rewrote GBs
    of outcome texts, ~7 s).

    Exact for a quarantined row whose code is valid and written as its partition key (``features``): it holds
    that one unit, which is in the row's hash partition, so the row has been :meth:`add`-ed (its partition
    validated) before the unit's chunk is decided; branches, held also for a quarantined legal entity
    (:func:`branches_of_quarantined`), come in the last chunk, after every partition. A row with an invalid or
    missing code may concern units of any chunk: :meth:`finish` then rewrites the file as :func:`apply_holds`
    does, taking off first what the chunks added.
    """

    def __init__(self, *, key_column: str = "credit_code", kind: str = "credit_code"):
        self.key_column, self.kind = key_column, kind
        self._pending: list[pl.DataFrame] = []  # rows added since the last chunk (one partition's)
        self._keys = pl.DataFrame(schema=_NO_KEYS)  # (_key, _reason) of the partitions validated so far
        self._applied: list[pl.DataFrame] = []  # (_key, _reason): what the chunks added to payment_hold_reason
        self._held = 0
        self._refusals = 0
        self._amount_fen = 0

    def _valid_and_local(self, blocked: pl.DataFrame) -> tuple[pl.Series, pl.Series]:
        """Which rows of ``blocked`` have a valid code; which of those are in their unit's partition (the code
        as written is its partition key: not so for, say, a tab inside it, which only holds normalise away)."""
        from wengang.screening.features import partition_key

        code = blocked.select(_normalised("code")).get_column("code")
        valid_codes = pl.Series([c for c in code.unique() if c and _valid(c, self.kind)], dtype=pl.String)
        valid = code.is_in(valid_codes.implode())
        same = blocked.select((partition_key("code") == code).fill_null(False)).to_series()
        return valid, valid & same

    def add(self, blocked: pl.DataFrame) -> None:
        """Quarantined rows (table, source_row, code) of the partition being validated (registry rows
        excepted), in the order :meth:`finish` will be given them."""
        local = blocked.filter(self._valid_and_local(blocked)[1])
        if local.height:
            self._pending.append(local)

    def apply(self, results: pl.DataFrame, extra: pl.DataFrame | None = None) -> pl.DataFrame:
        """``results`` (one chunk) with the holds of its units' partitions; ``extra``: (_key, _reason) of
        branches, for the chunk that has them (a code's rows are all in one partition: that partition's rows
        give it its whole reason, in the order the whole run's rows would)."""
        if self._pending:
            keys, _, _ = resolve(pl.concat(self._pending), pl.Series([], dtype=pl.String), self.kind)
            self._keys = pl.concat([self._keys, keys])
            self._pending = []
        keys = _with_branches(self._keys, extra) if extra is not None and extra.height else self._keys
        if keys.height == 0:
            return results
        # only the columns the holds read or change: a join of the whole chunk would copy its texts (GBs)
        needed = (self.key_column, "status", "amount_fen", "payment_hold", "payment_hold_reason")
        frame = _hold(results.select(needed).lazy(), keys, None, self.key_column).collect()
        new = frame.filter(pl.col("_new"))
        payable = new.get_column("status").cast(pl.String).is_in(PAYABLE)
        self._held += int(payable.sum())
        self._refusals += new.height - int(payable.sum())
        self._amount_fen += int(new.get_column("amount_fen").filter(payable).cast(pl.Int128).sum() or 0)
        self._applied.append(
            new.select(pl.col(self.key_column).cast(pl.String).alias("_key"), pl.col("_added").alias("_reason"))
        )
        return results.with_columns(frame.get_column("payment_hold_reason"), frame.get_column("payment_hold"))

    def finish(
        self, results_path: Path, blocked: pl.DataFrame, *, unscreened: pl.Series | None = None,
        extra: pl.DataFrame | None = None,
    ) -> HoldReport:  # fmt: skip
        """What :func:`apply_holds` reports (and does) for the run's quarantined rows ``blocked`` (those given
        to :meth:`add`) and ``extra`` (those given to :meth:`apply`). The file is rewritten only if a row may
        concern units the chunks could not know of."""
        if blocked.height == 0 and (extra is None or extra.height == 0):
            return HoldReport()
        if self._chunks_did_all(blocked, unscreened):
            _, hold_all, notes = resolve(blocked, pl.Series([], dtype=pl.String), self.kind, unscreened)
            if extra is not None and extra.height:
                notes.append(_branch_note(extra))
            return HoldReport(
                notes=notes + hold_all, held=self._held, amount_fen=self._amount_fen, refusals=self._refusals
            )
        # the file as it was before the chunks' holds (payment_hold stays set: those rows are held again below)
        applied = (
            pl.concat(self._applied).unique("_key", keep="first", maintain_order=True)
            if self._applied
            else pl.DataFrame(schema=_NO_KEYS)
        )
        cur, added = pl.col("payment_hold_reason"), pl.col("_applied")
        before = (
            pl.scan_parquet(results_path)
            .join(
                applied.lazy().rename({"_key": self.key_column, "_reason": "_applied"}), on=self.key_column,
                how="left", maintain_order="left",
            )  # fmt: skip
            .with_columns(
                pl.when(added.is_null())
                .then(cur)
                .when(cur == added)  # it had no reason before
                .then(pl.lit(None, dtype=pl.String))
                .otherwise(cur.str.head(cur.str.len_chars() - added.str.len_chars() - 1))  # "…；<added>"
                .alias("payment_hold_reason")
            )
            .drop("_applied")
        )
        return apply_holds(
            results_path, blocked, key_column=self.key_column, kind=self.kind, unscreened=unscreened, extra=extra,
            results=before,
        )  # fmt: skip

    def _chunks_did_all(self, blocked: pl.DataFrame, unscreened: pl.Series | None) -> bool:
        """Every row held its own unit in the chunks, or concerns no payment (:func:`resolve`: an invalid code
        that a quarantined registry row has too — that unit was not screened)."""
        known = pl.Series("code", unscreened if unscreened is not None else [], dtype=pl.String)
        known = known.to_frame().select(_normalised("code")).get_column("code")
        code = blocked.select(_normalised("code")).get_column("code")
        valid, local = self._valid_and_local(blocked)
        return bool((local | (~valid & code.is_in(known.implode()))).all())


def _count_held(held: pl.LazyFrame, report: HoldReport) -> None:
    payable = pl.col("status").cast(pl.String).is_in(PAYABLE)
    stats = held.filter(pl.col("_new")).select(
        payable.sum().alias("n"), pl.col("amount_fen").cast(pl.Int128).filter(payable).sum().alias("a"),
        (~payable).sum().alias("r"),
    ).collect(engine="in-memory")
    report.held, report.amount_fen = int(stats.item(0, 0)), int(stats.item(0, 1) or 0)
    report.refusals = int(stats.item(0, 2))


def hold_kind(table: str) -> str:
    """``credit_code`` or ``id_number``: what the table's ``hold_key`` identifies."""
    schema = ALL_TABLES[table]
    assert schema.hold_key is not None
    return schema.column(schema.hold_key).kind or "credit_code"


CARRIED_UNKNOWN = "原筛查结果中没有该单位（人员），无法确认其暂缓情况：待核实后发放"


def carry_holds(results: pl.DataFrame, earlier: Path, key: str) -> tuple[pl.DataFrame, int]:
    """The payment holds of the run that derived a facts table (``earlier``: its results.parquet) on the results of
    screening that table again (``wengang screen --facts``): a row is held when the rules hold it or the earlier run
    held its unit — a hold from that run's quarantine is not the rules' to give again, and a facts run had written
    every one of them ``payment_hold=false`` (README audit, session 40). A row the earlier results do not have is
    held where it would pay (its holds are not known): fail closed. Returns the results and how many rows the
    earlier run's holds held."""
    try:
        given = pl.read_parquet(earlier, columns=[key, "payment_hold", "payment_hold_reason"])
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise ValueError(
            f"无法读取原筛查结果 {earlier} 的暂缓发放列（{type(exc).__name__}）/ cannot read the holds of {earlier}"
        ) from None
    from wengang.rules.batch import said_once

    given = given.group_by(pl.col(key).cast(pl.String)).agg(
        pl.col("payment_hold").cast(pl.Boolean).fill_null(False).any().alias("_h"),
        pl.col("payment_hold_reason").filter(pl.col("payment_hold").cast(pl.Boolean).fill_null(False)).first().alias("_r"),
    )
    joined = results.with_columns(pl.col(key).cast(pl.String).alias("_k")).join(
        given.rename({key: "_k"}), on="_k", how="left", maintain_order="left")
    rule = pl.col("payment_hold").cast(pl.Boolean).fill_null(False)
    unknown = pl.col("_h").is_null() & pl.col("status").cast(pl.String).is_in(PAYABLE)
    carried = pl.col("_h").fill_null(False)
    reason = pl.concat_str(
        [pl.when(rule).then(pl.col("payment_hold_reason")),
         pl.when(carried).then(pl.col("_r").fill_null("原筛查暂缓发放")),
         pl.when(unknown).then(pl.lit(CARRIED_UNKNOWN))],
        separator="；", ignore_nulls=True)
    out = joined.with_columns(
        (rule | carried | unknown).alias("payment_hold"),
        pl.when(rule | carried | unknown).then(said_once(reason)).otherwise(pl.col("payment_hold_reason"))
        .alias("payment_hold_reason"),
    )
    n = int(out.select((carried | unknown).sum()).item())
    return out.drop("_k", "_h", "_r"), n

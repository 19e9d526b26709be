"""Bulk import of screening results: list of ``DecisionIn``, a pyarrow Table or a polars DataFrame.

PostgreSQL: the stored keys of the (program, year) are anti-joined away, the rest is COPYed (psycopg ``cursor.copy``)
straight into ``case_decisions``, or via a temp table and ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` if a key was stored meanwhile.
SQLite: ``executemany`` of ``INSERT ... ON CONFLICT DO NOTHING``. Either way the natural key
(year, program, unit_id, claim_key) is UNIQUE, so a re-run or a resumed run writes nothing twice.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, is_dataclass
from pathlib import Path
from typing import Any

import polars as pl

from .errors import LedgerError
from .models import CHANNELS, STATUSES, utc_now_iso

IN_COLUMNS = (
    "unit_id", "unit_name", "region_code", "program", "policy_doc", "clause", "status", "amount_fen",
    "reasons", "explanation", "readings", "payment_channel", "size_class", "year", "claim_key",
    "account_no", "contact", "payment_hold", "payment_hold_reason", "base_fen", "outcomes",
)
# optional input columns and their defaults (a results file without the hold columns imports as before)
OPTIONAL = {"claim_key": "", "account_no": None, "contact": None, "size_class": None, "payment_hold": False,
            "payment_hold_reason": None, "base_fen": None, "outcomes": None}
HOLD_DEFAULT_REASON = "缓缴的失业保险费尚未补足，补足后再发放（兵团征求意见稿 二(一)）"
REQUIRED = ("unit_id", "unit_name", "region_code", "program", "policy_doc", "clause", "status",
            "explanation", "payment_channel", "year")
MAX_LEN = {"unit_id": 32, "claim_key": 64, "unit_name": 200, "region_code": 12, "policy_doc": 64,
           "clause": 64, "size_class": 16, "account_no": 64, "contact": 64, "program": 32}
# whole numbers (BIGINT): the amount and the 返还基数 in fen, the year
INTEGERS = ("amount_fen", "year", "base_fen")
_OPTIONAL_TYPES = {"payment_hold": pl.Boolean, "base_fen": pl.Int64}
KEY = ("unit_id", "claim_key")  # the natural key within one (program, year)
# decision row columns written by the import, in COPY order
DB_COLUMNS = (
    "run_id", "origin", "year", "program", "unit_id", "claim_key", "unit_name", "region_code",
    "policy_doc", "clause", "status", "amount_fen", "reasons", "explanation", "readings",
    "payment_channel", "size_class", "contact", "audit_ref", "state", "account_no", "hold_reason", "version",
    "changed_at",
    "init_state", "init_account_no", "init_hold_reason", "base_fen", "outcomes",
)


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _json_list(name: str) -> pl.Expr:
    esc = (
        pl.element().str.replace_all("\\", "\\\\", literal=True).str.replace_all('"', '\\"', literal=True)
        .str.replace_all("\n", "\\n", literal=True).str.replace_all("\r", "\\r", literal=True)
        .str.replace_all("\t", "\\t", literal=True)
    )
    col = pl.col(name)
    joined = pl.concat_str([pl.lit('["'), col.list.eval(esc).list.join('","'), pl.lit('"]')])
    return pl.when(col.is_null() | (col.list.len() == 0)).then(pl.lit("[]")).otherwise(joined).alias(name)


def to_frame(data: Any) -> pl.DataFrame:
    """Normalise any accepted input into a frame with ``IN_COLUMNS`` (reasons/readings as JSON text)."""
    try:
        import pyarrow as pa

        if isinstance(data, pa.Table | pa.RecordBatch):
            data = pl.from_arrow(data)
    except ImportError:  # pragma: no cover
        pass
    if isinstance(data, pl.DataFrame):
        df = data
        missing = [c for c in IN_COLUMNS if c not in df.columns and c not in OPTIONAL]
        if missing:
            raise LedgerError("bad_input", f"筛查结果缺少列：{', '.join(missing)}", f"missing columns: {missing}")
        exprs = []
        for c, default in OPTIONAL.items():
            if c not in df.columns:
                exprs.append(pl.lit(default, dtype=_OPTIONAL_TYPES.get(c, pl.String)).alias(c))
        if exprs:
            df = df.with_columns(exprs)
        rs = df.schema["reasons"]
        if rs == pl.Null:  # a column of empty values (a ledger-format Parquet with no reasons at all)
            df = df.with_columns(pl.lit("[]").alias("reasons"))
        elif isinstance(rs, pl.List):
            if rs.inner == pl.Null:  # empty lists only (list[null]): no reasons (outside audit, session 40)
                df = df.with_columns(pl.col("reasons").cast(pl.List(pl.String)))
            elif rs.inner != pl.String:
                raise LedgerError("bad_input", f"字段 reasons 应为文字列表，实为 {rs}：整批未入库",
                                  f"field reasons must be a list of texts, not {rs}; nothing imported")
            df = df.with_columns(_json_list("reasons"))
        elif rs != pl.String:
            raise LedgerError("bad_input", f"字段 reasons 应为文字列表，实为 {rs}：整批未入库",
                              f"field reasons must be a list of texts, not {rs}; nothing imported")
        df = _whole_numbers(df)
        rd = df.schema["readings"]
        if isinstance(rd, pl.Struct):
            df = df.with_columns(pl.col("readings").struct.json_encode())
        elif rd == pl.Null:
            df = df.with_columns(pl.lit("{}").alias("readings"))
        df = df.with_columns(pl.col("readings").fill_null("{}"), pl.col("claim_key").fill_null(""),
                             pl.col("payment_hold").cast(pl.Boolean).fill_null(False))
    else:
        cols: dict[str, list[Any]] = {c: [] for c in IN_COLUMNS}
        for i, d in enumerate(data if isinstance(data, Iterable) else []):
            row = asdict(d) if is_dataclass(d) else dict(d)
            for c in IN_COLUMNS:
                v = row.get(c, OPTIONAL.get(c))
                if c == "reasons":
                    v = dumps(list(v or []))
                elif c == "readings":
                    v = dumps(dict(v or {}))
                elif c in INTEGERS and v is not None and (not isinstance(v, int) or isinstance(v, bool)):
                    raise LedgerError("bad_input", f"第 {i + 1} 行 字段 {c}：必须是整数（分）",
                                      f"row {i + 1} field {c}: must be an integer (fen)")
                elif c in INTEGERS and v is not None and not -I64_MAX - 1 <= v <= I64_MAX:
                    raise _out_of_range(i, c)
                cols[c].append(v)
        schema = {c: pl.String for c in IN_COLUMNS} | {c: pl.Int64 for c in INTEGERS} | {"payment_hold": pl.Boolean}
        df = pl.DataFrame(cols, schema=schema)
    for c in ("amount_fen", "base_fen"):
        if df.schema[c].is_float():
            raise LedgerError("bad_input", f"{c} 必须是整数分，不接受浮点数", f"{c} must be integer fen, not float")
    for c in INTEGERS:  # a wider integer type (UInt64, Int128) must still fit BIGINT
        dtype = df.schema[c]
        if dtype.is_integer() and dtype != pl.Int64 and df.height:
            wide = df.get_column(c).cast(pl.Int128)
            bad = (wide > I64_MAX) | (wide < -I64_MAX - 1)
            if bad.any():
                raise _out_of_range(int(bad.arg_true()[0]), c)
    types = {**{c: pl.Int64 for c in INTEGERS}, "payment_hold": pl.Boolean}
    df = df.select([pl.col(c).cast(types.get(c, pl.String)) for c in IN_COLUMNS])
    return df.with_columns(unit_id_text(pl.col("unit_id")).alias("unit_id"))


def unit_id_text(c: pl.Expr) -> pl.Expr:
    """A unit's 统一社会信用代码 (or a person's 公民身份号码) as screening reads it: NFKC (full-width ``９２…ＭＡ…``),
    Excel's ``="…"`` unwrapped, spaces and hyphens dropped, upper case — one unit one key in the ledger (outside audit,
    session 40: ``92150526ma00000e10`` and `` 92150526MA00000E10 `` were two decisions for one unit)."""
    from wengang.ingest.columns import identifier

    return identifier(c).str.replace_all(r"[\s\-]", "").str.to_uppercase()


def _whole_numbers(df: pl.DataFrame) -> pl.DataFrame:
    """``amount_fen``, ``base_fen`` and ``year`` given as text or a decimal: whole numbers read exactly; any other value
    refused naming the row and field (not Polars' cast error; outside audit, session 40: ``"4359.74"`` in amount_fen)."""
    for c in INTEGERS:
        dtype = df.schema[c]
        if dtype.is_integer() or dtype == pl.Null:
            continue
        if dtype == pl.String:
            text = pl.col(c).str.strip_chars()
            ok = text.str.contains(r"^-?[0-9]{1,18}$")
            value = pl.when(ok).then(text).cast(pl.Int64, strict=False)
        elif isinstance(dtype, pl.Decimal):
            # a decimal with places (numeric(14,2)) is how 元 are kept: refused as "4359.00" written as text is
            # (a 元 figure had been taken as 分, 1/100 of it; outside audit, session 41); without places, whole 分
            value = pl.col(c).cast(pl.Int64, strict=False)
            ok = pl.lit(not dtype.scale) & value.is_not_null()
        else:
            if dtype.is_float():
                continue  # refused below, as before
            raise LedgerError("bad_input", f"字段 {c} 应为整数{'（分）' if c.endswith('_fen') else ''}，实为 {dtype}：整批未入库",
                              f"field {c} must be whole numbers, not {dtype}; nothing imported")
        bad = df.select((pl.col(c).is_not_null() & ~ok.fill_null(False)).arg_true()).to_series()
        if len(bad):
            shown = df.get_column(c).gather(bad.head(5)).cast(pl.String).to_list()
            unit = "整数（分），金额按分填写，不带小数点" if c.endswith("_fen") else "整数"
            zh = "；".join(f"第 {i + 1} 行 字段 {c}：“{v}”不是{unit}" for i, v in zip(bad.head(5), shown, strict=True))
            en = "; ".join(f"row {i + 1} field {c}: {v!r} is not a whole number" for i, v in zip(bad.head(5), shown,
                                                                                                   strict=True))
            raise LedgerError("bad_input", f"筛查结果有 {len(bad)} 行不合格，整批未入库。{zh}",
                              f"{len(bad)} bad rows, nothing imported. {en}")
        df = df.with_columns(value.alias(c))
    return df


I64_MAX = 2**63 - 1  # BIGINT


def _out_of_range(i: int, c: str) -> LedgerError:
    what = "金额超出范围（不超过 {} 分）" if c.endswith("_fen") else "数值超出范围（不超过 {}）"
    return LedgerError("bad_input", f"第 {i + 1} 行 字段 {c}：{what.format(I64_MAX)}",
                       f"row {i + 1} field {c}: out of range (at most {I64_MAX})")


# a 待认定 decision's results by reading, as rules.batch packs them (documents.letters.outcome_list reads them)
_OUTCOME = r"[^:|]*:(?:eligible|ineligible|needs_decision|not_determinable):(?:-?[0-9]{1,18})?"
OUTCOMES_FORM = rf"^{_OUTCOME}(?:\|{_OUTCOME})*$"
_UNIT_FORM = r"^(?:[0-9ANY][0-9]{7}[0-9A-HJ-NP-RTUW-Y]{10}|[0-9]{17}[0-9X])$"


def check_unit_ids(df: pl.DataFrame) -> pl.DataFrame:
    """A ledger-format table's ``unit_id`` read as :func:`unit_id_text` and checked as screening checks a code
    (GB 32100 check character, or GB 11643 for a 公民身份号码): a bad one refuses the whole batch naming the rows and
    the field. For a table from outside (``case import`` of a ledger-format Parquet); the screening's own results carry
    codes it checked."""
    from wengang.facts.identifiers import InvalidIdentifier, validate_credit_code, validate_id_number

    df = df.with_columns(unit_id_text(pl.col("unit_id")).alias("unit_id"))
    zh: list[str] = []
    en: list[str] = []
    n = 0
    for i, v in enumerate(df.get_column("unit_id").to_list()):
        if v is None:
            continue  # refused by validate (不能为空)
        errors: list[InvalidIdentifier] = []
        for fn in (validate_credit_code, validate_id_number):
            try:
                fn(v)
                break
            except InvalidIdentifier as e:
                errors.append(e)
        else:
            n += 1
            # the reason of the kind it looks like: 17 digits and a birth year 19xx/20xx read as a 公民身份号码
            e = errors[1] if re.fullmatch(r"[0-9]{6}(?:19|20)[0-9]{9}[0-9X]", v) else errors[0]
            if len(zh) < 5:
                zh.append(f"第 {i + 1} 行 字段 unit_id：{e.message_zh}")
                en.append(f"row {i + 1} field unit_id: {e.message_en}")
    if n:
        raise LedgerError("bad_input", f"筛查结果有 {n} 行不合格，整批未入库。" + "；".join(zh),
                          f"{n} bad rows, nothing imported. " + "; ".join(en))
    return df


def validate(df: pl.DataFrame, program: str, year: int) -> None:
    """Refuse the whole import if any row is bad, naming rows and fields (the ledger takes no partial run)."""
    checks: list[tuple[str, pl.Expr, str, str]] = []
    for c in REQUIRED:
        checks.append((c, pl.col(c).is_null() | (pl.col(c).cast(pl.String) == ""), "不能为空", "must not be empty"))
    checks += [
        ("status", ~pl.col("status").is_in(STATUSES), f"只能是 {'/'.join(STATUSES)}", f"must be one of {STATUSES}"),
        ("payment_channel", ~pl.col("payment_channel").is_in(CHANNELS), f"只能是 {'/'.join(CHANNELS)}",
         f"must be one of {CHANNELS}"),
        ("amount_fen", (pl.col("status") == "eligible") & pl.col("amount_fen").is_null(), "符合条件的决定必须有金额",
         "an eligible decision needs an amount"),
        ("amount_fen", pl.col("amount_fen") < 0, "金额不能为负", "amount must not be negative"),
        ("base_fen", pl.col("base_fen") < 0, "返还基数不能为负", "the refund base must not be negative"),
        # a blank cell is no outcomes (an optional column of a table from outside)
        ("outcomes", (pl.col("outcomes").str.strip_chars() != "") & ~pl.col("outcomes").str.contains(OUTCOMES_FORM),
         "不是各政策理解下结果的格式（如“默认:eligible:143844|开关=理解:ineligible:”）",
         "is not results by reading (``默认:eligible:143844|switch=reading:ineligible:``)"),
        ("program", pl.col("program") != program, f"与本次筛查的项目 {program} 不一致", f"differs from the run's {program}"),
        ("year", pl.col("year") != year, f"与本次筛查的年度 {year} 不一致", f"differs from the run's year {year}"),
        ("unit_id", pl.struct("unit_id", "claim_key").is_duplicated(), "同一单位在本次筛查中重复出现",
         "unit appears twice in this run"),
    ]
    for c, n in MAX_LEN.items():
        checks.append((c, pl.col(c).str.len_chars() > n, f"长度超过 {n}", f"longer than {n}"))
    # a unit's key is an 18-character 统一社会信用代码 (or 公民身份号码): a code of another length or with a character no
    # code has is refused, never a new unit (outside audit, session 40: a 19-character code was accepted)
    checks.append(("unit_id", pl.col("unit_id").is_not_null() & ~pl.col("unit_id").str.contains(_UNIT_FORM),
                   "不是18位的统一社会信用代码或公民身份号码", "is no 18-character credit code or ID number"))
    frame = df.with_row_index("_row").select(
        pl.col("_row"), *[e.fill_null(False).alias(f"_c{i}") for i, (_, e, _, _) in enumerate(checks)]
    )
    bad = frame.filter(pl.any_horizontal(pl.exclude("_row")))
    if bad.height == 0:
        return
    zh, en = [], []
    for r in bad.head(5).iter_rows(named=True):
        for i, (c, _, mzh, men) in enumerate(checks):
            if r[f"_c{i}"]:
                zh.append(f"第 {r['_row'] + 1} 行 字段 {c}：{mzh}")
                en.append(f"row {r['_row'] + 1} field {c}: {men}")
    raise LedgerError("bad_input", f"筛查结果有 {bad.height} 行不合格，整批未入库。" + "；".join(zh),
                      f"{bad.height} bad rows, nothing imported. " + "; ".join(en))


def db_frame(df: pl.DataFrame, run_id: int, ref: str, disqualified: set[str]) -> pl.DataFrame:
    hold = pl.col("payment_hold").fill_null(False)
    held = (pl.col("status") == "eligible") & hold
    # a 待认定 result with a hold keeps its reason: if the caseworker decides it eligible it is held (resolve). So does
    # a refusal with a hold (screening.holds: it rests on a quarantined row): 待认定, not a final 不符合条件
    pending_hold = (pl.col("status") != "eligible") & hold
    state = (
        pl.when(pl.col("unit_id").is_in(list(disqualified))).then(pl.lit("disqualified"))
        .when(held).then(pl.lit("held"))
        .when(pl.col("status") == "eligible").then(pl.lit("screened"))
        .when((pl.col("status") == "ineligible") & ~hold).then(pl.lit("not_eligible"))
        .otherwise(pl.lit("pending_determination"))
    )
    return df.with_columns(
        pl.lit(run_id, pl.Int64).alias("run_id"), pl.lit("screening").alias("origin"),
        pl.lit(ref).alias("audit_ref"), state.alias("state"), pl.lit(0, pl.Int64).alias("version"),
        pl.lit(utc_now_iso()).alias("changed_at"),
        pl.when(held | pending_hold).then(pl.coalesce(pl.col("payment_hold_reason"), pl.lit(HOLD_DEFAULT_REASON)))
        .otherwise(None).cast(pl.String).alias("hold_reason"),
    ).with_columns(  # where the projection of the workflow columns starts (hashed with the row)
        pl.col("state").alias("init_state"), pl.col("account_no").alias("init_account_no"),
        pl.col("hold_reason").alias("init_hold_reason"),
    ).select(DB_COLUMNS)


def csv_bytes(df: pl.DataFrame) -> bytes:
    """CSV for COPY: strings quoted, NULL unquoted ``\\N`` (so a text that reads ``\\N`` stays text)."""
    buf = io.BytesIO()
    df.write_csv(buf, include_header=False, null_value="\\N", quote_style="non_numeric")
    return buf.getvalue()


COPY_OPTS = "(FORMAT csv, NULL '\\N')"
COPY_SLICE = 50_000  # rows per COPY write: the server parses one slice while the next is encoded


# ------------------------------------------------------------ payee accounts from a file (免申即享)
@dataclass
class AccountRow:
    """One row of an account file as read (text, NFKC, stripped; None when empty). ``row``: the data row, 1 = the
    first row under the header (as the screening's quarantine counts); ``problem``: a cell that cannot be read."""

    row: int
    decision_id: str | None = None
    unit_id: str | None = None
    program: str | None = None
    year: str | None = None
    account_no: str | None = None
    account_name: str | None = None
    bank_code: str | None = None
    problem: tuple[str, str] | None = None


ACCOUNT_FIELDS = {  # field -> the headers agencies use (the first is the documented one, docs/casework.md)
    "decision_id": ("决定号", "决定编号"),
    "unit_id": ("统一社会信用代码", "单位统一社会信用代码", "社会信用代码", "信用代码", "统一信用代码"),
    "program": ("项目", "项目代码"),
    "year": ("年度", "政策年度"),
    "account_no": ("账号", "收款账号", "银行账号", "收款账户", "账户"),
    "account_name": ("户名", "账户名称", "收款户名", "开户名称"),
    "bank_code": ("开户行行号", "行号", "支付系统行号", "联行号"),
}


def program_of(value: str) -> str | None:
    """A program as an account file names it: its code (``fanhuan``), the label messages use (稳岗返还), or the one
    ``case list`` exports (失业保险稳岗返还) — what one command writes, the next accepts. None when it is none of them."""
    from wengang.policies.required import PROGRAM_LABELS

    from .notices import PROGRAM_ZH

    v = "".join(value.split())
    if v in PROGRAM_LABELS:
        return v
    for code in PROGRAM_LABELS:
        if v in (PROGRAM_LABELS[code], PROGRAM_ZH.get(code)):
            return code
    return None


def year_of(value: str) -> int | None:
    """A policy year as a file writes it: 2025, 2025年, 2025年度, or 2025.0 (an Excel number cell read as text). None
    when it is not a year."""
    m = re.fullmatch(r"(\d{4})(?:\.0+|年度?)?", "".join(value.split()))
    return int(m.group(1)) if m else None


def read_account_file(path: str | Path) -> list[AccountRow]:
    """The rows of a payee-account file (CSV in UTF-8/GBK/GB18030, or XLSX), read by the ingest readers: headers
    matched as for screening files (full-width, spaces, ``*`` markers), encodings detected. The file must have
    账号 and 决定号 or 统一社会信用代码; a bad file is an ``IngestError``, a bad cell marks its row only."""
    from wengang.ingest import IngestError
    from wengang.ingest.files import read_frame
    from wengang.ingest.headers import FieldSpec, Scope, resolve
    from wengang.ingest.values import text, unwrap_excel_text

    scope = Scope("payee_accounts", tuple(FieldSpec(f, h, required=f == "account_no") for f, h in ACCOUNT_FIELDS.items()))
    try:
        frame = read_frame(path)
        res = resolve(frame.columns, scope, source=str(path), table_zh="收款账户")
    except IngestError as e:
        raise LedgerError("bad_input", e.message_zh, e.message_en) from None
    if not {"decision_id", "unit_id"} & set(res.rename.values()):
        raise LedgerError("bad_input", f"文件 {path} 须有“决定号”或“统一社会信用代码”列；现有列：{'、'.join(frame.columns)}",
                          f"file {path} needs a 决定号 or 统一社会信用代码 column; columns: {', '.join(frame.columns)}")
    try:
        df = frame.lf.select("source_row", *res.rename).collect()
    except Exception:  # noqa: BLE001 - polars' parse errors: named by the ingest layer, as for screening files
        from wengang.ingest.files import explain_csv_error

        err = explain_csv_error(path)
        if err is None:
            raise
        raise LedgerError("bad_input", err.message_zh, err.message_en) from None
    out = []
    for rec in df.iter_rows(named=True):
        r = AccountRow(int(rec["source_row"]))
        for col, f in res.rename.items():
            v = rec[col]
            # ="6222…" (Excel's text-forcing export form) is the account inside (outside bad-input audit, session 38)
            setattr(r, f, unwrap_excel_text(text(v)) or None if v is not None else None)
            bad = frame.cell_errors.get(col, {}).get(r.row)
            if bad is not None and r.problem is None:
                r.problem = bad
        # a row the file itself puts in doubt (a CSV cut inside its last line: an account read short) whatever column
        # its cut falls in — not only when the file's last column is one this table reads
        if r.problem is None and r.row in frame.row_errors:
            r.problem = frame.row_errors[r.row]
        out.append(r)
    return out

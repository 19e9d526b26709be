"""What the ledger takes in from the rest of Wengang, unedited.

* ``read_screening_output`` — a ``wengang screen`` output folder (or its ``results.parquet``): the columns
  ``screening/output.py`` writes are mapped onto the ledger's input contract (``DecisionIn`` columns), the
  payee channel is read from ``features.parquet`` beside it, and the run's identity (the results file's
  SHA-256 and the run's parameters) goes into ``RunIn`` so the same run is recognised when offered again.
* ``decision_from_json`` — one application: either a ``DecisionIn`` JSON or what ``wengang evaluate --json``
  prints, completed from the facts file the evaluation read (the claim's occupation and level, the
  application date, the name).

Every refusal is a ``LedgerError``: Chinese first, English after; the CLI turns it into exit code 2.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import MISSING, dataclass, fields
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from ..money import format_yuan
from .errors import LedgerError
from .models import CHANNELS, CLAIM_KEYS, GRADUATE, STATUSES, DecisionIn, RunIn, canonical_claim_keys

RESULTS = "results.parquet"
FEATURES = "features.parquet"
# the screening's person programs: their identity columns, and how a claim is keyed
PERSON_PROGRAMS = {"skill_subsidy": ("id_number", "occupation_code", "level", "application_date")}
UNIT_ID_COLUMNS = ("credit_code", "name", "region_code")
DECISION_COLUMNS = ("status", "amount_fen", "reasons", "flags", "readings", "policy_id", "policy_number",
                    "policy_clause", "ruleset")
STATUS_ZH = {"eligible": "符合条件", "ineligible": "不符合条件", "needs_decision": "待认定", "not_determinable": "无法判定"}
NO_POLICY = "无有效政策"
# why an eligible result that does not say whether it is held is held (its payment_hold is empty)
UNSAID_HOLD = ("筛查结果未说明是否暂缓发放（payment_hold 为空或无此列，如 Spark 筛查未带 --holds）：暂缓发放，"
               "待核实原始数据的隔离记录后由复核人员解除")


def _bad(code: str, zh: str, en: str) -> LedgerError:
    return LedgerError(code, zh, en)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    # a Spark output folder's parts (``_locate``: folder/part-*.parquet) hashed in name order, each named
    files = _spark_parts(path.parent) if path.name == SPARK_PARTS else [path]
    for file in files:
        if len(files) > 1:
            h.update(file.name.encode() + b"\0")
        with file.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


# a Spark job's output folder (``python -m wengang.screening.spark --out``): its rows in part-*.parquet files, beside
# _SUCCESS, the .crc checksums and the _quarantine folder; read as one results table (outside audit R1)
SPARK_PARTS = "part-*.parquet"


def _spark_parts(folder: Path) -> list[Path]:
    """The part files of a Spark output folder, in name order (none: not one)."""
    try:
        return sorted(f for f in folder.glob(SPARK_PARTS) if f.is_file())
    except OSError:
        return []


@dataclass
class ScreeningImport:
    run: RunIn
    frame: pl.DataFrame  # bulk.IN_COLUMNS
    results: Path
    left_out: int = 0  # rows of other years (person programs, --year given)
    unconfirmed: int = 0  # rows the run's facts do not decide as the file says (imported held: _recheck)
    recheck_note: str = ""  # why the rows could not be decided again, if they could not


def _importable(results: Path, program: str, schema: Any) -> None:
    """Refuse, saying the real reason, a run of a program the ledger does not register: one applied for by a person
    under a 公民身份号码 other than 技能提升补贴 (its results list id_number: the ledger's units are 统一社会信用代码), or
    one whose decisions carry no amount (缓缴: the ledger registers payments). Before, such runs were refused as "人员项目
    （技能提升补贴等）" or with "符合条件的决定必须有金额" (outside differential audit, session 42)."""
    if program in PERSON_PROGRAMS:
        return
    if "id_number" in schema and "occupation_code" not in schema:
        raise _bad("unsupported",
                   f"台账不登记{_label(program)}（{program}）的筛查结果：该项目按个人（公民身份号码 id_number）申领，台账只登记"
                   f"以统一社会信用代码申领的单位项目和技能提升补贴（{results}）",
                   f"the ledger does not register {program} results: it is applied for by persons (id_number); the "
                   f"ledger takes unit programs (credit code) and skill_subsidy only ({results})")
    from wengang.programs import load
    from wengang.rules.engine import RULESETS

    try:
        load(program)
    except Exception:  # an unknown program: the document check below names it
        return
    own = [rs for (p, _), rs in RULESETS.items() if p == program]
    if own and all(rs.amount is None for rs in own):
        raise _bad("unsupported",
                   f"台账不登记{_label(program)}（{program}）的筛查结果：该项目的决定没有发放金额（台账登记的是发放资金的决定）"
                   f"（{results}）",
                   f"the ledger does not register {program} results: its decisions carry no amount (the ledger "
                   f"registers payments) ({results})")


def _label(program: str) -> str:
    from wengang.policies.required import PROGRAM_LABELS

    return PROGRAM_LABELS.get(program, program)


def _locate(path: Path) -> Path:
    if not _exists(path):
        raise _bad("not_found", f"找不到 {path}：请给出 wengang screen 的输出目录或其中的 {RESULTS}",
                   f"{path} does not exist: give a wengang screen output folder or its {RESULTS}")
    results = path / RESULTS if path.is_dir() else path
    if results.is_dir() and _spark_parts(results):  # a Spark output folder named results.parquet
        results = results / SPARK_PARTS
    elif not results.exists() and path.is_dir() and _spark_parts(path):
        # a Spark output folder: its parts as one results table. It has no run.json and no features.parquet, so its
        # rows cannot be decided again here and are imported held (_recheck: fail closed), as README says
        results = path / SPARK_PARTS
    if results.name != SPARK_PARTS and not results.exists():
        raise _bad("wrong_folder", f"目录 {path} 中没有 {RESULTS}，不是 wengang screen 的输出目录",
                   f"{path} holds no {RESULTS}; it is not a wengang screen output folder")
    try:
        pl.read_parquet_schema(results)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the same refusal
        raise _bad("bad_input", f"{results} 不是可读取的 Parquet 文件（{type(exc).__name__}）",
                   f"{results} is not a readable Parquet file: {exc}") from None
    return results


def is_screening_output(path: Path) -> bool:
    """A screening's results, not a table already in the ledger's input contract (``unit_id`` ...)."""
    return "unit_id" not in pl.read_parquet_schema(_locate(path))


def _documents_programs(pairs: list[tuple[str, str]]) -> tuple[dict[tuple[str, str], list[str]], bool]:
    """(policy_id, ruleset) → the programs of that document with that ruleset; and whether any is a draft."""
    from wengang.policies.loader import load_policy_set

    ps = load_policy_set()
    out: dict[tuple[str, str], list[str]] = {}
    drafts = False
    for pid, ruleset in pairs:
        try:
            doc = ps.get(pid)
        except KeyError:
            out[(pid, ruleset)] = []
            continue
        drafts |= doc.is_draft
        out[(pid, ruleset)] = [p for p, b in doc.programs.items() if b.ruleset == ruleset]
    return out, drafts


def _policy_periods(pairs: list[tuple[str, str]], program: str) -> list[tuple[str, date, date | None]]:
    """(文号, valid_from, valid_to) of the program block of each document the results cite (a document the policy
    set does not hold is left out: ``_documents_programs`` has refused it already)."""
    from wengang.policies.loader import load_policy_set

    ps = load_policy_set()
    out = []
    for pid, _ in pairs:
        try:
            doc = ps.get(pid)
        except KeyError:
            continue
        block = doc.programs.get(program)
        if block is not None:
            out.append((doc.number or doc.display_number or pid, block.valid_from, block.valid_to))
    return out


def _check_year(results: Path, program: str, year: int, on: date | None, pairs: list[tuple[str, str]]) -> None:
    """A screening run is imported under the year it was screened for, never another (D3: a 2025 run taken as
    2026 paid every unit a second time). That year is the year of its evaluation date (``features.parquet``;
    ``wengang screen`` takes the policy year from ``--date`` and its output records no other), and it lies in the
    period of each document its decisions cite (内人社发〔2025〕18号 末段 “上述稳岗返还和技能提升补贴政策执行期限至2025年12月31日”: no 2026
    decision rests on it)."""
    if on is not None and year != on.year:
        raise _bad("wrong_year",
                   f"{results.parent} 是 {on.year} 年度的筛查（审核日期 {on.isoformat()}），不能作为 {year} 年度导入："
                   f"{year} 年度的决定须按 {year} 年度的数据和政策另行筛查（wengang screen --date {year}-…）",
                   f"{results.parent} is the screening of {on.year} (evaluation date {on.isoformat()}); it cannot be "
                   f"imported as {year}: screen {year} with its own data and policy")
    label = _label(program)
    for number, start, end in _policy_periods(pairs, program):
        if year < start.year or (end is not None and year > end.year):
            period = f"{start.isoformat()} 至 {end.isoformat() if end else '今'}"
            raise _bad("wrong_year",
                       f"{results.parent} 的决定依据 {number}（{label}执行期限 {period}），不能作为 {year} 年度导入："
                       f"{year} 年度的决定须按当年有效的政策另行筛查",
                       f"the decisions in {results.parent} rest on {number} ({program} in force {start} to "
                       f"{end or 'now'}); they cannot be imported as {year}: screen {year} under the policy of {year}")


def _recheck(folder: Path, program: str, df: pl.DataFrame, person: bool, on: date | None,
             drafts: bool, results_sha: str, trusted_keys: Sequence[Any] | None = None) -> tuple[pl.DataFrame, str]:
    """``df`` with ``_recheck``: for each row the run's own facts do not decide as the file says, why (else null).

    Each row is decided again by the rules, on the facts the run wrote (``features.parquet``; a people run's
    ``facts.parquet``) and the question it recorded (``run.json``: date, readings, settings, drafts, region data).
    A status or amount edited in the results file between screen and import — an amount no rule decided — had been
    imported and paid (trust audit F1, session 39); a row that cannot be decided again (no facts file) is treated
    the same: held where it would pay, never paid on the file's word alone. The facts file must be the one the run
    recorded; a ledger with a signing key (``trusted_keys``) takes only a record signed by a key it trusts — else the
    results, the facts and the record edited together would be decided again as the editor wished."""
    from wengang.screening.manifest import RUN_MANIFEST, read_run_manifest, sha256_of

    key = "application_id" if person else "credit_code"
    # a people run writes its derived facts as facts.parquet; a facts table screened with --facts is features.parquet
    facts_file = folder / "facts.parquet" if person and (folder / "facts.parquet").exists() else folder / FEATURES
    manifest = read_run_manifest(folder)

    def unchecked(why_zh: str) -> tuple[pl.DataFrame, str]:
        # “待核实”: a hold of the quarantine's kind (states.hold_kinds), released only by a 复核 who did not do the
        # 初审 — the importing 经办 had released a row of an edited results file and it was paid (story walk, session 40)
        reason = f"筛查结果无法按本次筛查的事实数据重新判定核对（{why_zh}）：暂缓发放，待核实原始数据后由复核人员解除"
        return df.with_columns(pl.lit(reason).alias("_recheck"), pl.lit(None, dtype=pl.Boolean).alias("_cap_again")), why_zh

    if not facts_file.exists() or key not in df.columns:
        return unchecked(f"{folder} 中没有 {facts_file.name}")
    if manifest is not None and manifest.results_sha256 not in (None, results_sha):
        # any change to the file, a payment hold set false included (a hold from the run's quarantine is not
        # the rules' to give again): every row as one that cannot be trusted
        return unchecked(f"结果文件与 {RUN_MANIFEST} 记录的 SHA-256 不符，已在筛查之后被改动")
    if manifest is not None and manifest.facts_sha256 not in (None, sha256_of(facts_file)):
        return unchecked(f"{facts_file.name} 与 {RUN_MANIFEST} 记录的 SHA-256 不符，已在筛查之后被改动")
    if trusted_keys is not None and (manifest is None or not manifest.signature_valid(trusted_keys)):
        why = ("没有签名" if manifest is None or manifest.signed_by is None
               else f"签名（密钥 {manifest.signed_by}）不是本台账信任的签名密钥所签，或记录已被改动")
        return unchecked(f"本台账使用签名密钥，而运行记录 {RUN_MANIFEST} {why}；"
                         "请以本台账的签名密钥（--signing-key 或 WENGANG_SIGNING_KEY）重新筛查")
    day = manifest.evaluation_date if manifest is not None else on
    if day is None:
        try:
            days = pl.read_parquet(facts_file, columns=["evaluation_date"])["evaluation_date"].drop_nulls().unique()
            day = days[0] if days.len() == 1 else None
        except (pl.exceptions.PolarsError, OSError):
            day = None
    if day is None:
        return unchecked(f"不知道本次筛查的审核日期（缺少 {RUN_MANIFEST}）")
    region_data: tuple[str, ...] = ()
    note = "" if manifest is not None else f"缺少 {RUN_MANIFEST}：按默认的政策理解与地区设置重新判定"
    if manifest is not None:
        region_data, gone = manifest.region_data_at_hand()
        if gone:
            note = f"地区数据文件已不在原处或已改动：{'、'.join(gone)}"
    from wengang.rules.batch import CAP_HOLD_REASONS, with_amount_cap
    from wengang.screening.evaluate import screen_facts

    with_class = False  # the file's and the rules' 企业划型 both there to compare
    try:
        again, plans = screen_facts(
            pl.scan_parquet(facts_file), program, day,
            readings=manifest.readings if manifest else None, settings=manifest.settings if manifest else None,
            include_drafts=drafts or bool(manifest and manifest.include_drafts), region_data=region_data,
        )  # fmt: skip
        held_again = (pl.col("payment_hold").fill_null(False) if "payment_hold" in again.collect_schema().names()
                      else pl.lit(False))
        # the rules' own hold; then whether the amount is a 不超过 ceiling the run's settings did not fix (the
        # screening's hold of it, rules.batch.with_amount_cap: a results file written before it carried none)
        again = with_amount_cap(
            again.with_columns(held_again.alias("_held_again")), plans,
            settings=manifest.settings if manifest else None, readings=manifest.readings if manifest else None,
        )
        told = pl.col("payment_hold_reason").cast(pl.String)
        cap_again = pl.any_horizontal([told.str.contains(r, literal=True) for r in CAP_HOLD_REASONS])
        # the class the rules decided with (decisions §132): the one the 决定书 states and a 划型变更 rescales from
        names = again.collect_schema().names()
        with_class = "size_class" in df.columns and "size_class" in names
        class_again = pl.col("size_class").cast(pl.String) if with_class else pl.lit(None, dtype=pl.String)
        # the account the rules pay to (稳岗返还 2024: the 税务 account for 无对公账户的小微企业 only), for the route
        channel_again = pl.col("payment_channel") if "payment_channel" in names else pl.lit(None, dtype=pl.String)
        # the 返还基数 the amount was computed from (稳岗返还): the ledger keeps it for the 决定书 and a 划型变更
        base_again = pl.col("base_fen") if "base_fen" in names else pl.lit(None, dtype=pl.Int64)
        # a 待认定 row's result under each reading it depends on: the 告知书 lists them
        outcomes_again = (pl.when(pl.col("status").cast(pl.String) == "needs_decision").then(pl.col("outcomes").cast(pl.String))
                          if "outcomes" in names else pl.lit(None, dtype=pl.String))
        decided = again.select(key, pl.col("status").cast(pl.String).alias("_status_again"),
                               pl.col("amount_fen").alias("_amount_again"), "_held_again",
                               cap_again.fill_null(False).alias("_cap_again"), class_again.alias("_class_again"),
                               channel_again.alias("_channel_again"), base_again.alias("_base_again"),
                               outcomes_again.alias("_outcomes_again")).collect()
    except Exception as exc:  # noqa: BLE001 - any failure to decide again holds the rows; it never lets them pass
        return unchecked(f"重新判定未能完成：{type(exc).__name__}")
    joined = df.join(decided.unique(key, keep="none"), on=key, how="left")
    file_said = pl.col("status").cast(pl.String).replace(STATUS_ZH) + pl.col("amount_fen").map_elements(
        lambda f: f" {format_yuan(f)}", return_dtype=pl.String).fill_null("")
    again_said = pl.col("_status_again").replace(STATUS_ZH) + pl.col("_amount_again").map_elements(
        lambda f: f" {format_yuan(f)}", return_dtype=pl.String).fill_null("")
    # a hold the rules give again (兵团 缓缴未补足…) that the file does not carry differs too, and so does a 企业划型
    unheld = pl.col("_held_again") & ~pl.col("payment_hold").cast(pl.Boolean).fill_null(False)
    file_class = pl.col("size_class").cast(pl.String) if with_class else pl.lit(None, dtype=pl.String)
    reclassed = (~pl.col("_status_again").is_null() & file_class.ne_missing(pl.col("_class_again"))) if with_class else pl.lit(False)
    differs = (pl.col("_status_again").is_null() | (pl.col("status").cast(pl.String) != pl.col("_status_again"))
               | pl.col("amount_fen").ne_missing(pl.col("_amount_again")) | unheld.fill_null(False) | reclassed)
    from .ledger import SIZE_CLASS_ZH

    class_said = pl.when(reclassed).then(pl.concat_str([
        pl.lit("；企业划型：结果文件"), file_class.replace(SIZE_CLASS_ZH).fill_null("未划型"),
        pl.lit("，重新判定"), pl.col("_class_again").replace(SIZE_CLASS_ZH).fill_null("未划型"),
    ])).otherwise(pl.lit(""))
    reason = pl.concat_str([
        pl.lit("筛查结果与按本次筛查的事实数据重新判定的结论不一致（结果文件：") , file_said,
        pl.lit("；重新判定："), pl.coalesce(again_said, pl.lit("无此记录")),
        pl.when(unheld.fill_null(False)).then(pl.lit("，暂缓发放")).otherwise(pl.lit("")), class_said,
        pl.lit(f"{'；' + note if note else ''}）：暂缓发放，待核实结果文件是否被改动"),
    ])
    # the reason (its 元 figures formatted in Python) for the differing rows only, not for every row of a run
    joined = joined.with_row_index("_row").with_columns(differs.alias("_differs"))
    said = joined.filter(pl.col("_differs")).select("_row", reason.alias("_recheck"))
    out = joined.join(said, on="_row", how="left", maintain_order="left").drop(
        "_row", "_differs", "_status_again", "_amount_again", "_held_again", "_class_again")
    return out, note


def _common_region(codes: list[str]) -> str:
    from wengang.regions import chain

    common: list[str] | None = None
    for code in codes:
        try:
            keys = [r.key for r in chain(code)]
        except LookupError:
            continue
        common = keys if common is None else [k for k in common if k in keys]
    return common[0] if common else "national"


def _reason_texts(program: str, regions: list[str], dates: list[date], drafts: bool) -> dict[str, str]:
    """Reason code → text under the documents in force on ``dates`` (the first date's wording first)."""
    from wengang.screening.evaluate import plan_regions, reason_text

    texts: dict[str, str] = {}
    for on in dates:
        try:
            for code, text in reason_text(plan_regions(program, regions, on, include_drafts=drafts)).items():
                texts.setdefault(code, text)
        except Exception:  # noqa: BLE001 - texts are a courtesy; the codes are kept when they cannot be had
            continue
    return texts


def _codes_to_text(col: str, texts: dict[str, str]) -> pl.Expr:
    return (pl.col(col).fill_null("").str.split(";")
            .list.eval(pl.element().filter(pl.element() != "").replace(texts)))


# the column types the mapping below relies on (what screening/output.py writes); another type is an edited file
_TEXT_COLUMNS = ("credit_code", "id_number", "name", "region_code", "occupation_code", "reasons", "flags", "readings",
                 "policy_id", "policy_number", "policy_clause", "ruleset", "payment_hold_reason", "size_class")


def _check_types(results: Path, schema: Any) -> None:
    def kind_ok(col: str, dtype: Any) -> bool:
        if col in _TEXT_COLUMNS:
            return dtype in (pl.String, pl.Categorical, pl.Null) or isinstance(dtype, pl.Enum)
        if col == "status":
            return dtype == pl.String or isinstance(dtype, (pl.Enum, pl.Categorical))
        if col in ("amount_fen", "level"):
            return dtype.is_integer() or dtype == pl.Null
        if col == "payment_hold":
            return dtype in (pl.Boolean, pl.Null)
        if col in ("application_date", "evaluation_date"):
            return dtype in (pl.Date, pl.Datetime, pl.String)
        if col == "application_date_given":
            return dtype in (pl.Boolean, pl.Null)
        return True

    wrong = [f"{c}（{t}）" for c, t in schema.items() if not kind_ok(c, t)]
    if wrong:
        raise _bad("bad_input", f"{results} 中列的类型不符：{'、'.join(wrong)}（不是 wengang screen 写出的结果，或已被改动）",
                   f"{results} has columns of the wrong type: {', '.join(wrong)} (not written by wengang screen, or edited)")


def read_screening_output(path: Path, *, program: str | None = None, year: int | None = None,
                          region: str | None = None, trusted_keys: Sequence[Any] | None = None) -> ScreeningImport:
    """Read a ``wengang screen`` output folder (or its ``results.parquet``) as the ledger's input.

    ``trusted_keys``: the public keys of a ledger that signs (``trusted_keys_of``); its rows are then taken in unheld
    only when the run's ``run.json`` is signed by one of them."""
    results = _locate(path)
    try:
        return _read_screening_output(results, program, year, region, trusted_keys)
    except OSError as exc:  # a part file gone or unreadable while it was read
        raise _bad("bad_input", f"{results.parent} 中的筛查结果无法读取（{type(exc).__name__}）",
                   f"the screening output in {results.parent} cannot be read: {exc}") from None
    except pl.exceptions.PolarsError as exc:  # the files' content: damaged, or edited beyond what the checks see
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise _bad("bad_input", f"{results.parent} 中的筛查结果无法读取（{type(exc).__name__}：{first}）",
                   f"the screening output in {results.parent} cannot be read: {first}") from None


def trusted_keys_of(ledger: Any) -> list[Any] | None:
    """The public keys a signing ledger trusts a run's record from (its root and its current key); None without a key."""
    signer = getattr(ledger, "checkpointer", None)
    if signer is None:
        return None
    return [signer.trusted_root, signer.key.public_key()]


def _read_screening_output(results: Path, program: str | None, year: int | None, region: str | None,
                           trusted_keys: Sequence[Any] | None = None) -> ScreeningImport:
    folder = results.parent
    schema = pl.read_parquet_schema(results)
    _check_types(results, schema)
    person = "id_number" in schema
    from wengang.screening.manifest import read_run_manifest

    run_record = read_run_manifest(folder)  # the program the run screened, as its run.json says (session 42)
    if program is None:
        program = (run_record.program if run_record is not None
                   else "skill_subsidy" if person and "occupation_code" in schema else "fanhuan")
    _importable(results, run_record.program if run_record is not None else program, schema)
    if person and program not in PERSON_PROGRAMS and program in ("ui_benefit",):
        raise _bad("unsupported", f"台账不登记{_label(program)}（{program}）的筛查结果（只登记单位项目与技能提升补贴）",
                   f"the ledger does not take {program} results (unit programs and skill_subsidy only)")
    if person != (program in PERSON_PROGRAMS):
        kind_zh, kind_en = ("人员项目（技能提升补贴等）", "a person program") if person else ("单位项目（稳岗返还等）", "a unit program")
        raise _bad("wrong_program", f"{results} 是{kind_zh}的筛查结果，不是{_label(program)}（{program}）的",
                   f"{results} holds results of {kind_en}, not of {program}")
    need = (*(PERSON_PROGRAMS[program] if person else ("credit_code",)), "name", "region_code", *DECISION_COLUMNS)
    missing = [c for c in need if c not in schema]
    if missing:
        raise _bad("missing_column", f"{results} 缺少列：{'、'.join(missing)}（不是 wengang screen 写出的结果，或已被改动）",
                   f"{results} lacks columns {missing} (not written by wengang screen, or edited)")
    df = pl.read_parquet(results)
    # the file must be this program's: each (document, ruleset) it names has to carry the program
    pairs = [(p, r) for p, r in df.select("policy_id", "ruleset").unique().drop_nulls().sort("policy_id").iter_rows()]
    programs_of, drafts = _documents_programs(pairs)
    for (pid, ruleset), progs in programs_of.items():
        if program not in progs:
            from wengang.policies.loader import load_policy_set

            if not progs and pid not in {d.id for d in load_policy_set().documents}:
                # screened with --policy-path: a draft (征求意见稿/草稿) not installed, not an unknown program (audit 7 F3)
                raise _bad("wrong_program",
                           f"{results} 是用未安装的政策文件 {pid}（规则集 {ruleset}）筛查的结果：该文件是经 --policy-path 指定的"
                           "征求意见稿/草稿，不是已安装的政策，其结果不能登记入台账；文件审定安装后请重新筛查",
                           f"{results} was screened with {pid} ({ruleset}), a policy file not installed (a draft given "
                           "with --policy-path): its results cannot enter the ledger; screen again once it is installed")
            other = "、".join(f"{_label(p)}（{p}）" for p in progs) or "未知项目"
            raise _bad("wrong_program",
                       f"{results} 是{other}的筛查结果（{pid}，规则集 {ruleset}），不是{_label(program)}（{program}）的",
                       f"{results} holds results of {progs or 'an unknown program'} ({pid}, {ruleset}), not of {program}")
    on: date | None = None
    channel = pl.lit("personal_account" if person else "corporate_account")
    feats = folder / FEATURES
    if not person and feats.exists():
        fs = pl.read_parquet_schema(feats)
        cols: list[str] = [c for c in ("credit_code", "evaluation_date", "has_corporate_account",
                                       "has_tax_payment_account") if c in fs]
        if "credit_code" in cols:
            f = pl.read_parquet(feats, columns=cols)
            if "evaluation_date" in f.columns:
                days = f["evaluation_date"].drop_nulls().unique()
                on = days[0] if days.len() == 1 else None
            if {"has_corporate_account", "has_tax_payment_account"} <= set(f.columns):
                # 无对公账户的小微企业: the 税务 social-insurance payment account (内人社发〔2025〕18号 四)
                df = df.join(f.select("credit_code", "has_corporate_account", "has_tax_payment_account")
                             .unique("credit_code"), on="credit_code", how="left")
                # only for 小微企业 (人社部发〔2024〕40号 五、18号 四 "对无对公账户的小微企业"): the rules hold any other unit
                # without a corporate account with ACCOUNT_HOLD_REASON, and such a row stays off the tax channel
                # (outside held-out audit, session 42: a medium firm was routed to the tax account)
                from wengang.programs.fanhuan import ACCOUNT_HOLD_REASON

                not_small = pl.col("payment_hold_reason").cast(pl.String).str.contains(ACCOUNT_HOLD_REASON, literal=True)
                channel = (pl.when(pl.col("has_corporate_account").eq(False) & pl.col("has_tax_payment_account").eq(True)
                                   & ~not_small.fill_null(False))
                           .then(pl.lit("tax_payment_account")).otherwise(pl.lit("corporate_account")))
    if on is None and not person:  # a --facts run's features carry no evaluation date: the run's record does
        from wengang.screening.manifest import read_run_manifest

        manifest = read_run_manifest(folder)
        on = manifest.evaluation_date if manifest is not None and manifest.program == program else None
    left_out = 0
    if person:
        # a claim's year is the year of the date the screening placed it by (policy.period_date): its application
        # date when one was filed, else the review date — never the certificate's date standing in for an
        # application (免申即享: a 2024 certificate screened under the 2025 notice is a 2025 claim)
        placed = pl.col("application_date").cast(pl.Date)
        if "application_date_given" in schema and "evaluation_date" in schema:
            placed = (pl.when(pl.col("application_date_given").fill_null(True)).then(placed)
                      .otherwise(pl.col("evaluation_date").cast(pl.Date)))
        df = df.with_columns(placed.dt.year().alias("_year"), placed.alias("_placed"))
        years = sorted(y for y in df["_year"].unique().to_list() if y is not None)
        if year is None:
            if len(years) != 1:
                raise _bad("need_year", f"结果文件含多个申请年度（{'、'.join(map(str, years))}；未申请的按审核日期），请用 --year 指明导入哪一年度",
                           f"the results span application years {years} (the review date where none was filed); give --year")
            year = years[0]
        left_out = df.filter(pl.col("_year") != year).height
        df = df.filter(pl.col("_year") == year)
        if df.height == 0 and left_out:  # each row is its application's year: none is of this one
            raise _bad("wrong_year", f"{results} 中没有 {year} 年度的申请（申请年度：{'、'.join(map(str, years))}；未申请的按审核日期），"
                       f"不能作为 {year} 年度导入",
                       f"{results} holds no application of {year} (application years {years}; the review date where "
                       f"none was filed)")
        on = None
    if year is None:
        if on is None:
            raise _bad("need_year", f"无法从 {folder} 得知政策年度（缺少 {FEATURES} 的审核日期），请用 --year 指明",
                       f"cannot tell the policy year from {folder} (no evaluation date in {FEATURES}); give --year")
        year = on.year
    # the documents of the rows imported (a person program's rows of other application years are left out)
    _check_year(results, program, year, on,
                [(p, r) for p, r in df.select("policy_id", "ruleset").unique().drop_nulls().iter_rows()])
    regions = sorted(r for r in df["region_code"].unique().to_list() if r)
    if person:  # each document's reasons in its own words: a date each of the imported rows' documents placed
        text_dates = (df.filter(pl.col("_placed").is_not_null()).sort("_placed", descending=True)
                      .unique("policy_id", keep="first", maintain_order=True)["_placed"].to_list())
    else:
        text_dates = [on] if on is not None else []
    texts = _reason_texts(program, regions, text_dates, drafts)
    readings_json = pl.concat_str([
        pl.lit("{"),
        pl.col("readings").fill_null("").str.split(",").list.eval(
            pl.element().filter(pl.element().str.contains("=")).str.replace(r"^([^=]*)=(.*)$", '"$1":"$2"')
        ).list.join(","),
        pl.lit("}"),
    ])
    from wengang.screening.output import readings_zh

    reasons = _codes_to_text("reasons", texts)
    flags = _codes_to_text("flags", texts)
    status = pl.col("status").cast(pl.String)
    amount = pl.col("amount_fen")
    yuan = amount.map_elements(format_yuan, return_dtype=pl.String)
    # an amount that is only a 不超过 ceiling the run did not fix (人社部发〔2024〕40号 三、内政发〔2019〕4号 八): held, and
    # never written as a fixed amount. The file's own hold of it, or the rules' on the run's facts and settings (a file
    # written before results carried it); a row that cannot be decided again: whenever the file says it is a ceiling
    from wengang.rules.batch import CAP_HOLD_REASONS, cap_hold_reason

    cap_why = cap_hold_reason(program)
    file_cap = pl.col("amount_is_cap").cast(pl.Boolean).fill_null(False) if "amount_is_cap" in df.columns else pl.lit(False)
    file_told = pl.col("payment_hold_reason").cast(pl.String)
    file_cap_held = pl.any_horizontal([file_told.str.contains(r, literal=True) for r in CAP_HOLD_REASONS]).fill_null(False)
    capped = (status.is_in(("eligible", "needs_decision")) & amount.is_not_null()
              & (file_cap_held | pl.col("_cap_again").fill_null(False) | (file_cap & pl.col("_cap_again").is_null())))
    head = pl.concat_str([
        pl.lit("筛查结论："), status.replace(STATUS_ZH),
        pl.when(amount.is_not_null() & capped).then(pl.lit("，金额 不超过") + yuan)
        .when(amount.is_not_null()).then(pl.lit("，金额 ") + yuan).otherwise(pl.lit("")),
        pl.lit("（依据 "), pl.col("policy_number").fill_null(NO_POLICY), pl.lit(" "), pl.col("policy_clause").fill_null(""),
        pl.lit("）"),
    ])
    # each reading by its Chinese description, the switch's name in brackets for the caseworker (letters drop it);
    # a result that depends on open readings names them as open, not as adopted
    for col, dtype in (("payment_hold", pl.Boolean), ("payment_hold_reason", pl.String)):
        if col not in df.columns:  # not said: held where it would pay (below)
            df = df.with_columns(pl.lit(None, dtype=dtype).alias(col))
    results_sha = _sha256(results)
    df, recheck_note = _recheck(folder, program, df, person, on, drafts, results_sha, trusted_keys)
    if not person and "_channel_again" in df.columns:
        # the account the rules pay to on the run's own facts, decided again: the 税务 account only where they give it
        # (a unit without a corporate account screened under 内人社办发〔2022〕86号, which provides no such route, had
        # been routed to it by its two account facts alone); a row not decided again keeps the route said above
        channel = (pl.when(pl.col("_channel_again") == "tax_payment_account").then(pl.lit("tax_payment_account"))
                   .otherwise(pl.lit("corporate_account")))
    said = readings_zh(df, "readings", "outcomes" if "outcomes" in df.columns else None, code=True, sep="\n")
    explanation = pl.concat_str([
        head,
        pl.when(reasons.list.len() > 0).then(pl.lit("\n✘ ") + reasons.list.join("\n✘ ")).otherwise(pl.lit("")),
        pl.when(flags.list.len() > 0).then(pl.lit("\n核查：") + flags.list.join("；")).otherwise(pl.lit("")),
        pl.when(said != "").then(pl.lit("\n") + said).otherwise(pl.lit("")),
        pl.when(pl.col("payment_hold").fill_null(False)).then(
            pl.lit("\n暂缓发放：") + pl.col("payment_hold_reason").fill_null("")).otherwise(pl.lit("")),
    ])
    if person:
        ident = [pl.col("id_number").alias("unit_id"),
                 pl.concat_str([pl.col("occupation_code"), pl.lit(":"), pl.col("level").cast(pl.String)]).alias("claim_key"),
                 pl.lit(None, dtype=pl.String).alias("size_class")]
    else:
        # a program claimed once per graduate hired (models.CLAIM_KEYS): its claim key is the graduate's 公民身份号码,
        # which the results carry (graduate_id_number; the key had been empty and the run refused, session 42)
        per_graduate = CLAIM_KEYS.get(program) == GRADUATE and "graduate_id_number" in df.columns
        ident = [pl.col("credit_code").alias("unit_id"),
                 (pl.col("graduate_id_number").cast(pl.String) if per_graduate else pl.lit("")).alias("claim_key"),
                 (pl.col("size_class").cast(pl.String) if "size_class" in df.columns
                  else pl.lit(None, dtype=pl.String)).alias("size_class")]
    # a row that does not say whether it is held (null: a Spark run without the raw screen's holds; no column at
    # all: a file not written by wengang screen) is held when it would be paid — never paid by default (outside
    # Spark audit F2, session 38; the missing column, session 39: see above)
    eligible = pl.col("status").cast(pl.String) == "eligible"
    unsaid = pl.col("payment_hold").is_null() & eligible
    given_reason = pl.col("payment_hold_reason").cast(pl.String)
    # a row the run's own facts do not decide as the file says is held, its reason first (_recheck)
    unconfirmed = pl.col("_recheck").is_not_null() & eligible
    reason = (pl.when(unconfirmed).then(pl.col("_recheck"))
              .when(unsaid).then(pl.coalesce(given_reason, pl.lit(UNSAID_HOLD))).otherwise(given_reason))
    # a ceiling held with its own reason, once (the screening's reason already says it)
    cap_reason = (pl.when(capped & ~reason.str.contains(cap_why, literal=True).fill_null(False))
                  .then(pl.concat_str([reason, pl.lit(cap_why)], separator="；", ignore_nulls=True))
                  .otherwise(reason))
    hold = [(pl.col("payment_hold").cast(pl.Boolean).fill_null(unsaid) | unconfirmed | capped).alias("payment_hold"),
            cap_reason.alias("payment_hold_reason")]
    frame = df.select(
        *ident,
        pl.coalesce(pl.col("name").cast(pl.String), pl.col("credit_code" if not person else "id_number")).alias("unit_name"),
        pl.col("region_code").cast(pl.String),
        pl.lit(program).alias("program"),
        pl.col("policy_number").fill_null(NO_POLICY).alias("policy_doc"),
        pl.col("policy_clause").fill_null("—").alias("clause"),
        status.alias("status"),
        amount.cast(pl.Int64).alias("amount_fen"),
        reasons.alias("reasons"),
        explanation.alias("explanation"),
        readings_json.alias("readings"),
        channel.alias("payment_channel"),
        (pl.col("_base_again") if "_base_again" in df.columns else pl.lit(None, dtype=pl.Int64)).alias("base_fen"),
        (pl.col("_outcomes_again") if "_outcomes_again" in df.columns else pl.lit(None, dtype=pl.String)).alias("outcomes"),
        pl.lit(year, dtype=pl.Int64).alias("year"),
        pl.lit(None, dtype=pl.String).alias("account_no"),
        pl.lit(None, dtype=pl.String).alias("contact"),
        *hold,
    )
    # 职业编码:等级 in its one written form (models.canonical_claim_key), as every application's
    frame = canonical_claim_keys(frame)
    distinct_readings = sorted(r for r in df["readings"].unique().to_list() if r)
    readings: dict[str, str] = {}
    for text in distinct_readings:
        for part in text.split(","):
            k, _, v = part.partition("=")
            if k and v not in readings.get(k, "").split("|"):
                readings[k] = f"{readings[k]}|{v}" if k in readings else v
    inputs = {RESULTS: results_sha}
    if on is not None:
        inputs["evaluation_date"] = on.isoformat()
    run = RunIn(program=program, year=year, region_code=region or _common_region(regions), inputs=inputs,
                policy_versions={str(n): str(i) for i, n in df.select("policy_id", "policy_number").unique()
                                 .drop_nulls().sort("policy_id").iter_rows()},
                readings=readings)
    return ScreeningImport(run=run, frame=frame, results=results, left_out=left_out,
                           unconfirmed=df.filter(pl.col("_recheck").is_not_null()).height, recheck_note=recheck_note)


# --------------------------------------------------------------------------------------- applications
_DECISION_FIELDS = {f.name for f in fields(DecisionIn)}


def read_json(path: Path, what: str) -> Any:
    from wengang.inputs import InputError
    from wengang.inputs import read_json as read

    try:
        return read(path, what, {"申请文件": "application file", "事实文件": "facts file"}.get(what, "file"))
    except InputError as exc:
        raise _bad("not_found" if not _exists(path) else "bad_input", exc.zh, exc.en) from None


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _explain(ev: dict[str, Any]) -> str:
    mark = {True: "✔", False: "✘", None: "？"}
    amount = ev.get("amount_fen")
    head = f"判定结论：{ev.get('status_zh') or STATUS_ZH.get(ev.get('status', ''), '')}"
    if amount is not None:
        head += f"，金额{'不超过' if ev.get('amount_is_cap') else ''}{format_yuan(amount)}"
    pol = ev.get("policy") or {}
    lines = [head + f"（依据 {pol.get('number') or NO_POLICY} {pol.get('clause') or ''}，审核日期 {ev.get('date', '')}）"]
    # the switches the outcomes differ on are open: a check that reads one holds only under a reading (？), and a
    # check not applicable is no ✔ (as explain.explain marks them; audit of explanations, session 40)
    # (not one the decision names as not affecting its conclusion: explain.open_switches)
    from wengang.explain import varying_open

    outcomes = [o for o in ev.get("outcomes") or [] if isinstance(o, dict)]
    open_ = set(varying_open(outcomes, ev.get("readings_fixed") or {}, ev.get("immaterial_readings") or []))

    def marked(c: dict[str, Any]) -> str:
        if c.get("applicable") is False:
            detail = str(c.get("detail") or "")
            return f"— {c.get('label', '')}：{detail if detail.startswith('不适用') else '不适用：' + detail if detail else '不适用'}"
        sign = "？" if open_ & set(c.get("switches") or ()) else mark.get(c.get("passed"))
        return f"{sign} {c.get('label', '')}：{c.get('detail', '')}"

    lines += [marked(c) for c in ev.get("checks", [])]
    lines += [f"理由：{r}" for r in ev.get("reasons", [])]
    lines += [f"核查：{f}" for f in ev.get("flags", [])]
    return "\n".join(lines)


def decision_from_json(path: Path, *, facts: Path | None = None, **given: Any) -> DecisionIn:
    """One application's decision: a ``DecisionIn`` JSON, or ``wengang evaluate --json`` output.

    ``facts`` is the facts file the evaluation read: it gives what the evaluation's output does not carry
    (a skill claim's occupation and level, the application date, the name, the payee channel). Options in
    ``given`` (claim_key, year, unit_name, account_no, contact, payment_channel) win over both.
    """
    body = read_json(path, "申请文件")
    return decision_from_obj(body, facts=read_json(facts, "事实文件") if facts else None, **given)


def decision_from_obj(body: Any, *, facts: dict[str, Any] | None = None, **given: Any) -> DecisionIn:
    given = {k: v for k, v in given.items() if v is not None}
    if not isinstance(body, dict):
        raise _bad("bad_input", "申请文件应为一个 JSON 对象", "the application file must hold one JSON object")
    if facts is not None and not isinstance(facts, dict):
        raise _bad("bad_input", "事实文件应为一个 JSON 对象", "the facts file must hold one JSON object")
    if "subject_id" in body and "status" in body:  # wengang evaluate --json
        _check(body, _EVALUATION_FIELDS, "申请文件（判定结果）", "the evaluation")
        _check(facts or {}, _FACT_FIELDS, "事实文件", "the facts file")
        return _checked(_from_evaluation(body, facts or {}, given))
    unknown = sorted(set(body) - _DECISION_FIELDS)
    missing = sorted(f.name for f in fields(DecisionIn)
                     if f.name not in body and f.name not in given and f.default is MISSING
                     and f.default_factory is MISSING)
    if unknown or missing:
        raise _bad("bad_input",
                   "申请文件既不是 wengang evaluate --json 的输出，也不是台账决定格式（DecisionIn）："
                   + (f"多余字段 {'、'.join(unknown)}" if unknown else "") + ("；" if unknown and missing else "")
                   + (f"缺少字段 {'、'.join(missing)}" if missing else ""),
                   f"neither wengang evaluate --json output nor a DecisionIn: unknown {unknown}, missing {missing}")
    return _checked(DecisionIn(**{**body, **given}))


# what _from_evaluation reads from ``wengang evaluate --json`` and from the facts file, with their JSON types
_EVALUATION_FIELDS: dict[str, Any] = {
    "program": str, "subject_id": str | int, "subject_name": str | None, "status": str, "status_zh": str | None,
    "region": str | int, "amount_fen": int | None, "amount_is_cap": bool | None, "reasons": list[str],
    "readings": dict[str, Any], "policy": dict[str, Any] | None, "checks": list[dict[str, Any]],
    "flags": list[str], "outputs": list[dict[str, Any]], "date": str, "outcomes": list[Any] | None,
}
_FACT_FIELDS: dict[str, Any] = {
    "occupation_code": str | int | None, "level": str | int | None, "application_date": str | None,
    "has_corporate_account": bool | None, "has_tax_payment_account": bool | None, "size_class": str | None,
    "name": str | None, "graduate_id_number": str | None,
}


def _check(obj: dict[str, Any], spec: dict[str, Any], what_zh: str, what_en: str) -> None:
    from wengang.inputs import InputError, check_fields

    try:
        check_fields(obj, spec, what_zh, what_en)
    except InputError as exc:
        raise _bad("bad_input", exc.zh, exc.en) from None


def _checked(d: DecisionIn) -> DecisionIn:
    """A decision whose every field has its declared type (a JSON file can hold anything)."""
    import typing

    _check({f.name: getattr(d, f.name) for f in fields(DecisionIn)}, typing.get_type_hints(DecisionIn),
           "申请文件", "the application")
    return d


def _from_evaluation(ev: dict[str, Any], facts: dict[str, Any], given: dict[str, Any]) -> DecisionIn:
    program = ev.get("program", "")
    facts = {k: v for k, v in facts.items() if k != "_case"}
    pol = ev.get("policy") or {}
    # the key is put in its one written form by DecisionIn (models.canonical_claim_key); spaces alone are no key
    claim_key = given.get("claim_key", "")
    claim_key = claim_key.strip() if isinstance(claim_key, str) else claim_key
    if CLAIM_KEYS.get(program) == GRADUATE and not claim_key and facts.get("graduate_id_number"):
        claim_key = str(facts["graduate_id_number"])  # 一次性扩岗补助 / 吸纳就业补贴: the graduate hired
    if program in PERSON_PROGRAMS and not claim_key:
        occ, level = facts.get("occupation_code"), facts.get("level")
        if not occ or level is None:
            raise _bad("need_claim",
                       "技能提升补贴申请须注明职业（工种）与等级：请用 --facts 给出判定时读取的事实文件，或用 --claim-key 职业代码:等级",
                       "a skill-subsidy application needs its occupation and level: give --facts (the facts file "
                       "the evaluation read) or --claim-key occupation:level")
        claim_key = f"{occ}:{level}"
    year = given.get("year")
    if year is None:
        when = facts.get("application_date") or ev.get("date")
        try:
            year = date.fromisoformat(str(when)).year
        except ValueError:
            raise _bad("bad_input", f"无法读取申请日期 {when}", f"cannot read the application date {when!r}") from None
    channel = given.get("payment_channel")
    if channel is None:
        if program in PERSON_PROGRAMS:
            channel = "personal_account"
        elif facts.get("has_corporate_account") is False and facts.get("has_tax_payment_account") and _tax_route(ev):
            channel = "tax_payment_account"
        else:
            channel = "corporate_account"
    if channel not in CHANNELS or ev.get("status") not in STATUSES:
        raise _bad("bad_input", f"收款渠道 {channel} 或结论 {ev.get('status')} 无效", f"bad channel {channel} or status")
    name = given.get("unit_name") or ev.get("subject_name") or facts.get("name") or ev.get("subject_id", "")
    hold, hold_reason = _payment_hold(ev)
    return DecisionIn(
        unit_id=str(ev.get("subject_id", "")), unit_name=str(name), region_code=str(ev.get("region", "")),
        program=program, policy_doc=pol.get("number") or NO_POLICY, clause=pol.get("clause") or "—",
        status=ev["status"], amount_fen=ev.get("amount_fen"), reasons=list(ev.get("reasons", [])),
        explanation=_explain(ev), readings=dict(ev.get("readings", {})), payment_channel=channel,
        size_class=_decided_size_class(ev, facts), year=int(year), claim_key=claim_key,
        account_no=given.get("account_no"), contact=given.get("contact"),
        payment_hold=hold, payment_hold_reason=hold_reason, base_fen=decided_base(ev),
        outcomes=packed_outcomes(ev),
    )


def packed_outcomes(ev: dict[str, Any]) -> str | None:
    """A 待认定 evaluation's result under each reading its result depends on (``wengang evaluate --json``'s
    ``outcomes``) in the ledger's form, as a screening packs the same case (``bulk.OUTCOMES_FORM``:
    ``默认:eligible:1118430|fanhuan.months_fully_paid=consecutive:ineligible:``, each entry naming the readings that
    differ from the decision's ``readings``), so the application is settled as a screened 待认定 is (``case adopt``);
    None for any other status. The readings the decision says do not affect its conclusion are left out
    (:func:`wengang.explain.varying_open`): the agency is asked only what matters. An outcome that cannot be read is
    refused, naming it."""
    if ev.get("status") != "needs_decision":
        return None
    from wengang.explain import varying_open
    from wengang.rules.batch import shown_tag

    base = {str(k): str(v) for k, v in (ev.get("readings") or {}).items()}
    outcomes = ev.get("outcomes") or []
    for n, o in enumerate(outcomes, start=1):
        readings, status, amount = (o.get("readings"), o.get("status"), o.get("amount_fen")) if isinstance(o, dict) else (None,) * 3
        if (not isinstance(readings, dict) or status not in STATUS_ZH
                or not (amount is None or (isinstance(amount, int) and not isinstance(amount, bool)))):
            raise _bad("bad_input", f"判定结果的 outcomes 第 {n} 项无法读取（应有 readings、status、amount_fen）",
                       f"outcome {n} of the evaluation cannot be read (readings, status, amount_fen)")
    try:
        material = varying_open(outcomes, ev.get("readings_fixed") or {}, ev.get("immaterial_readings") or [])
    except KeyError as exc:  # a switch this system does not have
        raise _bad("bad_input", f"判定结果的 outcomes 含未知的解释开关：{exc}", f"outcomes name an unknown switch: {exc}") from None
    entries = dict.fromkeys(
        f"{shown_tag({k: str(o['readings'][k]) for k in material if k in o['readings']}, base)}:{o['status']}:"
        f"{'' if o['amount_fen'] is None else o['amount_fen']}"
        for o in outcomes
    )
    return "|".join(entries) or None


def decided_base(ev: dict[str, Any]) -> int | None:
    """The 返还基数 the decision states (稳岗返还's ``base`` output, ``18,640.50元``) in fen, read exactly; None where it
    states none or not as a whole number of fen (the 决定书 then states no base; nothing is guessed)."""
    from wengang.money import MoneyError, yuan_to_fen

    said = next((o.get("value") for o in ev.get("outputs", []) if isinstance(o, dict) and o.get("id") == "base"), None)
    if not isinstance(said, str) or not said.strip().endswith("元"):
        return None
    try:
        fen = yuan_to_fen(said.strip().removesuffix("元"))
    except MoneyError:
        return None
    return fen if fen >= 0 else None


def _decided_size_class(ev: dict[str, Any], facts: dict[str, Any]) -> str | None:
    """The class the rules decided with, where the decision states it (稳岗返还's 企业划型 output, ``大型企业``…; ``中小微企业``,
    only "not large" known, is no class), else the class the facts gave: the class a 划型变更 rescales from, as a
    screening's results carry it (a 兵团 unit paid by its 社保信息系统 class had been recorded with the facts' class)."""
    from wengang.programs.fanhuan import SIZE_ZH

    said = next((o.get("value") for o in ev.get("outputs", []) if isinstance(o, dict) and o.get("id") == "size_class"), None)
    if said is None:
        return facts.get("size_class")
    return next((code for code, text in SIZE_ZH.items() if text == str(said).strip()), None)


def _tax_route(ev: dict[str, Any]) -> bool:
    """Whether the decision routes the payment to the 税务 social-insurance account: only 无对公账户的小微企业 (人社部发
    〔2024〕40号 五、内人社发〔2025〕18号 四). The rules' ``payment_channel`` output says so where the ruleset has one;
    a decision held for want of an account (fanhuan.ACCOUNT_HOLD_REASON) never is (outside held-out audit, session 42)."""
    from wengang.programs.fanhuan import ACCOUNT_HOLD_REASON

    outs = {o.get("id"): o for o in ev.get("outputs", []) if isinstance(o, dict)}
    said = outs.get("payment_channel", {}).get("value")
    if said is not None and "税务" not in str(said):
        return False
    return ACCOUNT_HOLD_REASON not in (_rules_hold(ev)[1] or "")


def _payment_hold(ev: dict[str, Any]) -> tuple[bool, str | None]:
    """The evaluation's ``payment_hold`` output (entitled, payment waits: 兵团 draft 二(一) 缓缴未补足), if any; and an
    amount that is only a 不超过 ceiling (``amount_is_cap``: 人社部发〔2024〕40号 三、内政发〔2019〕4号 八, the standard is
    the 统筹地区's to set) held with :func:`wengang.rules.batch.cap_hold_reason`, as the screening holds it — one case
    cannot tell a ceiling the 统筹地区 fixed from the document's own (a parameter set is a what-if), so it is always held."""
    from wengang.rules.batch import cap_hold_reason

    held, reason = _rules_hold(ev)
    if ev.get("amount_is_cap") is True and ev.get("amount_fen") is not None and ev.get("status") in ("eligible", "needs_decision"):
        return True, "；".join(r for r in (reason, cap_hold_reason(str(ev.get("program", "")))) if r)
    return held, reason


def _rules_hold(ev: dict[str, Any]) -> tuple[bool, str | None]:
    outs = {o.get("id"): o for o in ev.get("outputs", []) if isinstance(o, dict)}
    o = outs.get("payment_hold")
    if o is None or o.get("value") in (None, False, "", "否", "false", "False"):
        return False, None
    reason = outs.get("payment_hold_reason", {}).get("value")
    value = o.get("value")
    if not reason and isinstance(value, str) and value not in ("是", "true", "True"):
        reason = value
    return True, reason or o.get("label") or None

"""Ledger → documents: the bank file of a payment batch and the bank's return, the 公示 list, the letters.

The ledger keeps the money and the states; ``wengang.documents`` lays the files out (pure functions). This module
reads the ledger's views, turns them into the documents' plain data, writes every file atomically (a temporary
name in the target folder, renamed when complete) and records in the ledger what left the office: a bank file is
the audit event ``bank_file`` with its sha256, and each payment goes to the bank in one file only.

The agency (name, 行政复议机关, 人民法院, phone, address, objection channel, the fund's payer account) comes from the
``agency:`` block of ``src/wengang/region_data/<region>.yaml`` — of the decisions' most specific common region that
has one — and the command's options override it.
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from wengang.documents.errors import DocumentError
from wengang.money import fen_to_yuan, format_yuan

from .ledger import BankReturnLine, BankReturnResult, Ledger
from .ledger import _beijing_today as beijing_today  # a bank file's value date, a letter's date
from .states import STATE_ZH

AGENCY_FIELDS = ("name", "review_body", "court", "phone", "address", "objection_channel", "payer_account", "seal")
# states in which a 复审 has approved the decision (and nothing has undone it)
PASSED_REVIEW = frozenset({"approved", "publicized", "held", "paid", "bounced", "account_fixed"})
REFUSED = frozenset({"not_eligible", "rejected", "disqualified"})
# an approval revoked after a confirmed risk flag (``Ledger.revoke``): a 决定书 不予发放, never the grant letter
REVOKED = "revoked"
REVOKE_BASIS = "人社部发〔2024〕40号 六“在待遇审核和发放环节加强数据比对，严防冒领、骗取基金和多发待遇风险”"
UNDECIDED = frozenset({"pending_determination"})
# a recovery asked for money not yet paid: what the ledger did instead (docs/casework.md "Money sent")
NOTHING_PAID_YET_ZH = "尚无已入账的款项可追回：未报盘的付款已撤回、不再发放；已报盘待回盘的，回盘后按实际入账金额追回（见 case show）"
NOTHING_PAID_YET_EN = ("nothing paid to recover yet: unsent payments were withdrawn; for payments with the bank, the "
                       "recovery follows its answer (see case show)")
# what a payment's ``fate`` (``Ledger._fate``, ``PAYMENT_FATES``; docs/casework.md "Money sent") reads in Chinese: the
# one place for the decision page, the API, `case show`; withdrawn is not sent, with the bank is not paid
FATE_ZH = {
    "withdrawn": "已撤回，未发放",  # a return row the ledger wrote as a withdrawal: it never went to the bank
    "credited": "已发放（银行已入账）",  # also when a bounce recorded by hand was found void
    "returned": "被退回",  # with the return's reason, as a letter says it
    "sent": "已报盘，待银行回盘",
    "paid_direct": "已发放",  # paid outside a batch, no bank file (``pay_decision``)
    "not_sent": "待报盘，尚未发放",
}
CHANNEL_ZH = {"corporate_account": "单位对公账户", "tax_payment_account": "税务部门协助提供的缴纳社会保险费账户",
              "personal_account": "本人银行账户"}


# ----------------------------------------------------------------------------------------------- agency
@functools.cache
def _agency_blocks() -> dict[str, dict[str, str]]:
    import yaml

    from wengang.regions import resolve_region
    from wengang.settings import REGION_DATA_DIR

    out: dict[str, dict[str, str]] = {}
    for f in sorted(REGION_DATA_DIR.glob("*.yaml")):
        doc = yaml.safe_load(f.read_text("utf-8")) or {}
        block = doc.get("agency")
        if not block:
            continue
        unknown = sorted(set(block) - set(AGENCY_FIELDS))
        if unknown:
            raise DocumentError(f"{f.name} 的 agency 中有未知字段 {'、'.join(unknown)}（可用：{'、'.join(AGENCY_FIELDS)}） / "
                                f"{f.name}: unknown agency fields {unknown}")
        out[resolve_region(str(doc["region"])).key] = {k: str(v) for k, v in block.items() if v is not None}
    return out


def agency_config(region_codes: Iterable[str], **given: str | None) -> dict[str, str]:
    """The agency block of the regions' most specific common region that has one, with ``given`` (not None) on top."""
    base = _agency_base(tuple(sorted({c for c in region_codes if c})))
    return {**base, **{k: v for k, v in given.items() if v}}


# per set of region codes, as the blocks are read once: every one-case letter signs with its region's agency
@functools.lru_cache(maxsize=256)
def _agency_base(codes: tuple[str, ...]) -> dict[str, str]:
    from wengang.regions import chain

    from .intake import _common_region

    region = _common_region(list(codes)) if codes else "national"
    if region == "national":
        return {}
    blocks = _agency_blocks()
    return next((blocks[r.key] for r in chain(region) if r.key in blocks), {})


def _need_agency(agency: dict[str, str], fields: dict[str, str]) -> None:
    missing = [f"--{opt}（{field}）" for field, opt in fields.items() if not agency.get(field)]
    if missing:
        raise DocumentError(f"缺少经办机构信息：请用 {'、'.join(missing)} 给出，或填入 region_data/<地区>.yaml 的 agency: / "
                            f"agency details missing: give {', '.join(missing)} or an agency block in the region data")


# ----------------------------------------------------------------------------------------------- files
def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@contextmanager
def _staged(*paths: Path) -> Iterator[list[Path]]:
    """Temporary names beside ``paths``: renamed onto them when the block completes, removed when it fails."""
    tmps = []
    for p in paths:
        p.parent.mkdir(parents=True, exist_ok=True)
        tmps.append(p.with_name(f".{p.name}.{os.getpid()}.tmp"))
    try:
        yield tmps
        for t, p in zip(tmps, paths, strict=True):
            os.replace(t, p)
    finally:
        for t in tmps:
            t.unlink(missing_ok=True)


def _safe(name: str) -> str:
    return re.sub(r"[^\w.-]", "_", name)


# ----------------------------------------------------------------------------------------------- bank file
@dataclass
class BankFileWritten:
    file_key: str  # the batch id in the file's header (the ledger's batch key; ``<key>-<n>`` for a later part)
    path: Path
    xlsx: Path
    count: int
    total_fen: int
    sha256: str


def hold_reasons(r: dict[str, Any]) -> list[dict[str, str]]:
    """Every reason a held row gives (``Ledger._to_send``: ``held_reasons``, else its one ``held_zh``/``held_en``)."""
    got = r.get("held_reasons") or [{"code": r.get("held_code") or "held", "zh": r.get("held_zh") or "",
                                     "en": r.get("held_en") or ""}]
    return [{"code": x.get("code") or "held", "zh": x.get("zh") or "须核实后再报盘",
             "en": x.get("en") or "to be checked first"} for x in got]


def held_notice(held: Sequence[dict[str, Any]]) -> str | None:
    """What ``bank-file`` says of the payments it held back (``bank_file_plan()["held"]``), grouped by their reasons:
    a credit after a bounce no 复核 has checked (sending could pay twice), a risk flag not cleared. Fail closed: a
    payment held for several reasons is shown with every one of them, numbered, so the caseworker knows that lifting
    one leaves the others. None when nothing was held."""
    if not held:
        return None
    groups: dict[tuple[tuple[str, str, str], ...], list[dict[str, Any]]] = {}
    for r in held:
        groups.setdefault(tuple((x["code"], x["zh"], x["en"]) for x in hold_reasons(r)), []).append(r)
    lines = []
    for reasons, rows in groups.items():
        ids = sorted({r["decision_id"] for r in rows})
        shown = "、".join(str(i) for i in ids[:20]) + (" …" if len(ids) > 20 else "")
        fen = sum(r["amount_fen"] for r in rows)
        head = (f"暂不报盘 {len(rows)} 笔（{format_yuan(fen)}），涉及决定 {shown}" + "，业务参考号 "
                + "、".join(r["reference"] for r in rows[:20] if r.get("reference")) + (" …" if len(rows) > 20 else ""))
        if len(reasons) == 1:
            (_, zh, en), = reasons
            lines.append(f"{head}：{zh} / {len(rows)} payments ({fen_to_yuan(fen)} yuan) held back, decisions {shown}: {en}")
            continue
        lines.append(f"{head}，原因 {len(reasons)} 项，须全部解除方可报盘 / {len(rows)} payments ({fen_to_yuan(fen)} yuan) held "
                     f"back, decisions {shown}, for {len(reasons)} reasons; each must be lifted before they are sent:")
        lines += [f"  {n}. {zh} / {en}" for n, (_, zh, en) in enumerate(reasons, 1)]
    return "\n".join(lines)


def counts_line(batch_key: str, counts: dict[str, Any]) -> str:
    """The batch's payments counted so they reconcile (``Ledger.batch_counts``), Chinese first."""
    c = counts
    line = (f"批次 {batch_key} 共 {c['payments']} 笔 = 已写入报盘文件 {c['in_files']} + 未报盘即撤回或退回 "
            f"{c['withdrawn']} + 暂不报盘 {c['held']} + 仍待报盘 {c['pending']} / batch {batch_key}: {c['payments']} "
            f"payments = {c['in_files']} in bank files + {c['withdrawn']} withdrawn or returned before sending + "
            f"{c['held']} held + {c['pending']} still to send")
    if not c["reconciles"]:
        line += "；笔数对不上，请重新查询或运行 wengang audit verify / the counts do not reconcile: look again"
    return line


def _bank_payments(rows: Sequence[dict[str, Any]]) -> list[Any]:
    from wengang.documents.bank import Payment

    return [Payment(r["unit_name"], r["account_no"], r["bank_code"], r["amount_fen"], r["reference"]) for r in rows]


def bank_batch(file_key: str, on: date, payer_account: str, rows: Sequence[dict[str, Any]]) -> Any:
    """The checked ``documents.bank.PaymentBatch`` of ledger payment rows; a refusal names the decision."""
    from wengang.documents.bank import _BATCH_ID, make_batch

    if not _BATCH_ID.fullmatch(file_key):
        raise DocumentError(f"批次号“{file_key}”不能用作报盘文件批次号（1至32位字母、数字、“-”或“_”）；请用这样的批次号发放 / "
                            f"batch key {file_key!r} cannot be a bank-file batch id (1-32 of [A-Za-z0-9_-])")
    payments = _bank_payments(rows)
    try:
        return make_batch(file_key, on, payer_account, payments)
    except DocumentError:
        for r, p in zip(rows, payments, strict=True):  # find the payment to name
            try:
                make_batch(file_key, on, payer_account, [p])
            except DocumentError as exc:
                raise DocumentError(f"决定 {r['decision_id']}（业务参考号 {r['reference']}）：{exc}") from None
        raise


def write_bank_file(led: Ledger, batch_key: str, out_dir: Path, actor: str, *, payer_account: str | None = None,
                    on: date | None = None) -> BankFileWritten | None:
    """The disbursement file and its XLSX twin for the batch's payments not yet sent (None: nothing to send).

    Refused whole (nothing written or recorded) when a payee account has no bank code, a field cannot be written,
    or the batch changed meanwhile. The control total is the sum of the payments, checked again by the ledger."""
    from wengang.documents.bank import read_bank_file, write_bank_xlsx
    from wengang.documents.bank import write_bank_file as write_txt
    from wengang.documents.masking import mask_bank_account

    plan = led.bank_file_plan(batch_key)
    rows = plan["payments"]
    if not rows:
        return None
    payer = payer_account or agency_config(r["region_code"] for r in rows).get("payer_account")
    if not payer:
        raise DocumentError("缺少付款账号（失业保险基金支出户）：请用 --payer-account 给出，或填入 region_data 的 agency: payer_account / "
                            "the fund's payer account is missing: give --payer-account")
    no_bank = [r for r in rows if not r["bank_code"]]
    if no_bank:
        shown = "；".join(f"决定 {r['decision_id']} 账号 {_masked(mask_bank_account, r['account_no'])}" for r in no_bank[:10])
        raise DocumentError(f"{len(no_bank)} 笔付款的收款账户没有登记开户行行号，报盘文件未生成：{shown}"
                            f"{' …' if len(no_bank) > 10 else ''}。请用 wengang case payee-bank 登记 / "
                            f"{len(no_bank)} payee accounts have no bank code; record them with `wengang case payee-bank`")
    n = len(plan["files"])
    file_key = batch_key if n == 0 else f"{batch_key}-{n + 1}"
    batch = bank_batch(file_key, on or beijing_today(), payer, rows)
    txt, xlsx = out_dir / f"{_safe(file_key)}.txt", out_dir / f"{_safe(file_key)}.xlsx"
    _writable(txt, xlsx)  # refused before anything is recorded, not after
    t_txt, t_xlsx = (p.with_name(f".{p.name}.{os.getpid()}.tmp") for p in (txt, xlsx))
    try:
        write_txt(batch, t_txt)
        if read_bank_file(t_txt) != batch:  # pragma: no cover - the layout round-trips (tests/documents)
            raise DocumentError("报盘文件读回与写出不一致 / the bank file does not read back as written")
        write_bank_xlsx(batch, t_xlsx)
        digest = _sha256(t_txt)
        led.record_bank_file(batch_key, actor, file_key=file_key, payment_ids=[r["id"] for r in rows], value_date=batch.on,
                             payer_account=batch.payer_account, total_fen=batch.total_fen, sha256=digest,
                             xlsx_sha256=_sha256(t_xlsx))
    except BaseException:
        for t in (t_txt, t_xlsx):
            t.unlink(missing_ok=True)
        raise
    # recorded: from here the written files are the ledger's, never removed. Should the rename fail (the disk, a kill
    # leaves them too), they stay under their temporary names, which the message gives, with the recorded digest
    try:
        os.replace(t_txt, txt)
        os.replace(t_xlsx, xlsx)
    except OSError as exc:
        raise DocumentError(
            f"报盘文件 {file_key} 已记入台账（sha256 {digest}），但未能改名为 {txt}（{exc.strerror}）。文件已保留为 {t_txt} 和 "
            f"{t_xlsx}：请核对 sha256 后改名使用，不要重新生成 / bank file {file_key} is recorded (sha256 {digest}) but could "
            f"not be renamed to {txt}; it is kept as {t_txt} and {t_xlsx}: check the digest and rename them"
        ) from None
    return BankFileWritten(file_key, txt, xlsx, batch.count, batch.total_fen, digest)


def _writable(*paths: Path) -> None:
    """Each path can be written as a file: its folder made and writable, nothing but a file in its place."""
    for p in paths:
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DocumentError(f"无法创建目录 {p.parent}（{exc.strerror}）/ cannot create folder {p.parent}") from None
        if p.exists() and not p.is_file():
            raise DocumentError(f"{p} 已存在且不是文件，报盘文件未生成 / {p} exists and is not a file: nothing written")
        if not os.access(p.parent, os.W_OK) or (p.exists() and not os.access(p, os.W_OK)):
            raise DocumentError(f"没有写入 {p} 的权限，报盘文件未生成 / no permission to write {p}: nothing written")


def _masked(mask: Callable[[str], str], value: str) -> str:
    try:
        return mask(value)
    except DocumentError:
        return "（无法脱敏）"


# ----------------------------------------------------------------------------------------------- bank return
@dataclass
class ReturnReport:
    result: BankReturnResult
    reroutable: dict[int, str]  # bounced decision id → the clause that allows paying it to the 税务 account


def apply_return_file(led: Ledger, path: Path, actor: str) -> ReturnReport:
    """Read the bank's return file (refused whole when its form or totals are wrong) and apply it to the ledger:
    confirmations, bounces, and lines set aside with their line number and reason."""
    from wengang.documents.bank import read_return_lines

    ret = read_return_lines(path)
    lines = [BankReturnLine(x.line, x.reference, x.paid, x.amount_fen, x.account, x.reason) for x in ret.lines]
    res = led.apply_bank_return(ret.batch_id, lines, actor, sha256=_sha256(Path(path)), bank_date=ret.on)
    reroutable = {}
    for b in res.bounced:
        basis = led.tax_account_basis(b["decision_id"])
        if basis:
            reroutable[b["decision_id"]] = basis
    return ReturnReport(res, reroutable)


# ----------------------------------------------------------------------------------------------- 公示
def _label(program: str) -> str:
    from wengang.policies.required import PROGRAM_LABELS

    return PROGRAM_LABELS.get(program, program)


# the head of an imported decision's explanation (casework.intake: “判定结论：符合条件，金额不超过…”, “筛查结论：符合条件，
# 金额 不超过…”) when its amount is only a 不超过 ceiling not fixed by the 统筹地区: the ledger keeps no other mark of it
_CAPPED_HEAD = re.compile(r"^(?:判定|筛查)结论：[^\n]*?，金额 ?不超过")


def capped_amount(explanation: str | None) -> bool:
    """Whether a ledger decision's amount was imported as only a 不超过 ceiling (its explanation's first line)."""
    return bool(explanation) and _CAPPED_HEAD.match(explanation or "") is not None


def _capped_ids(led: Ledger, ids: Sequence[int]) -> set[int]:
    """Of ``ids``, the decisions whose amount is only a ceiling (:func:`capped_amount`), read in one query."""
    from sqlalchemy import select

    from .models import Decision

    D = Decision.__table__.c
    with led._read() as conn:
        rows = conn.execute(select(D.id, D.explanation).where(D.id.in_(list(ids)))).all()
    return {int(i) for i, text in rows if capped_amount(text)}


def publicity_from_ledger(led: Ledger, list_key: str, *, agency: str | None = None, phone: str | None = None,
                          address: str | None = None, channel: str | None = None,
                          issued_on: date | None = None) -> Any:
    """The ``documents.publicity.Publicity`` of a ledger 公示 list. Every decision on it must have passed 复审
    (a stage-2 approval, and a state at or after 复审通过); otherwise the whole list is refused, naming them."""
    from wengang.documents.publicity import PublicityRecord, build_publicity

    view = led.publicity_view(list_key)
    entries = view["entries"]
    if not entries:
        raise DocumentError(f"公示名单 {list_key} 中没有单位 / publicity list {list_key} is empty")
    cfg = agency_config((e["region_code"] for e in entries), name=agency, phone=phone, address=address,
                        objection_channel=channel)
    _need_agency(cfg, {"name": "agency", "phone": "phone"})
    bad = [e for e in entries if not (e["second_review_passed"] and e["state"] in PASSED_REVIEW)]
    if bad:
        shown = "；".join(f"决定 {e['id']}（{e['unit_name']}，状态：{STATE_ZH.get(e['state'], e['state'])}）" for e in bad[:10])
        raise DocumentError(f"公示名单 {list_key} 中有 {len(bad)} 个决定未经复审通过，不能公示，整份公示未生成：{shown} / "
                            f"{len(bad)} decisions on list {list_key} have not passed the second review")
    name = cfg["name"]
    objection = cfg.get("objection_channel") or f"书面或当面向{name}"
    if cfg.get("address"):
        objection += f"（地址：{cfg['address']}）"
    # an amount imported as only a 不超过 ceiling is never published as the amount (documents.publicity refuses it,
    # naming the record): the 统筹地区's standard is screened again first (人社部发〔2024〕40号 三、内政发〔2019〕4号 八)
    capped = _capped_ids(led, [e["id"] for e in entries])
    records = [PublicityRecord(e["unit_name"], e["unit_id"], e["amount_fen"], True, str(e["id"]),
                               amount_is_cap=e["id"] in capped) for e in entries]
    docs = list(dict.fromkeys(e["policy_doc"] for e in entries))
    start, end = view["starts_on"], view["ends_on"]
    return build_publicity(
        records, agency=name, program=_label(view["program"]), year=view["year"], start=start,
        days=(end - start).days + 1, working_days=False, end=end, objection_channel=objection,
        objection_phone=cfg["phone"], basis="、".join(docs), issued_on=issued_on or start,
    )


def write_publicity(led: Ledger, list_key: str, out_dir: Path, **kw: Any) -> tuple[Path, Path, Any]:
    """公示 XLSX and PDF of a ledger list (``publicity_from_ledger``), written atomically into ``out_dir``."""
    from wengang.documents.publicity import write_publicity_pdf, write_publicity_xlsx

    p = publicity_from_ledger(led, list_key, **kw)
    xlsx, pdf = out_dir / f"公示_{_safe(list_key)}.xlsx", out_dir / f"公示_{_safe(list_key)}.pdf"
    with _staged(xlsx, pdf) as (t_xlsx, t_pdf):
        write_publicity_xlsx(p, t_xlsx)
        write_publicity_pdf(p, t_pdf)
    return xlsx, pdf, p


# ----------------------------------------------------------------------------------------------- letters
def _sentence(text: str) -> str:
    return text.strip().lstrip("✔✘？ ").rstrip("。；;")


# a switch's name in brackets, as the caseworker's screens show it (intake's explanation; evaluate's period basis as
# stored before it named the reading by its description): not for a letter to a unit or person. Today's period basis,
# ``（description；解释开关 name）``, keeps the description (explain.without_switch_names)
_SWITCH_CODE = re.compile(r"（(?:解释开关 ?)?[A-Za-z0-9_]+\.[A-Za-z0-9_]+(?:=[A-Za-z0-9_]+)?）")
# the readings line of a decision imported before readings were written in Chinese: raw ``switch=key`` pairs
_RAW_READINGS = re.compile(r"^采用的政策理解：((?:[A-Za-z0-9_]+\.[A-Za-z0-9_]+=[A-Za-z0-9_]+[，,]?)+)$")


def _letter_line(line: str, undecided: bool) -> str | None:
    """A line of the caseworker's text as a letter says it: readings by their Chinese description, no switch names;
    None for a line the letter leaves out (an older import's defaults listed as adopted for an undecided result)."""
    raw = _RAW_READINGS.match(line)
    if raw:
        if undecided:
            return None
        from wengang.screening.output import parse_readings, readings_lines

        return readings_lines(parse_readings(raw.group(1).replace("，", ",")), [])[0]
    from wengang.explain import without_switch_names

    return without_switch_names(_SWITCH_CODE.sub("", line))


def _letter_lines(lines: Iterable[str], undecided: bool = False) -> list[str]:
    return [t for t in (_letter_line(line, undecided) for line in lines) if t is not None]


# The explanation's lines are typed by their writers (casework.intake: ``_explain`` for one case, the screening
# import for a run; explain.explain for a rules decision): a verification flag (Decision.flags, the screening's
# flags) is a line of its own, ``核查：…``; a check is ``✔/✘/？ label：detail``, and a check of kind flag (a risk
# point to verify, never a refusal) may carry explain's tag ``【核查】`` before its label.
_FLAG_LINE = "核查："
_CHECK_LINE = re.compile(r"^[✔✘？—]\s*")  # — : a check not applicable to the case
_FLAG_TAG = "【核查】"


@functools.cache
def _flag_checks(program: str) -> re.Pattern[str] | None:
    """The check lines of ``program``'s flag checks (kind ``flag`` in every ruleset of the program that has the
    label): each label template with its ``{param}`` placeholders open, then the ``：`` before the detail."""
    from wengang.programs import load_all
    from wengang.rules.engine import FLAG, RULESETS

    load_all()
    kinds: dict[str, set[str]] = {}
    for (prog, _), ruleset in RULESETS.items():
        if prog == program:
            for check in ruleset.checks:
                kinds.setdefault(check.label, set()).add(check.kind)
    # a label that is a condition anywhere in the program stays: a condition's outcome is the recipient's
    flags = sorted((t for t, k in kinds.items() if k == {FLAG}), key=len, reverse=True)
    if not flags:
        return None
    alts = ("|".join(".+?".join(map(re.escape, re.split(r"\{[a-z0-9_]+\}", t))) for t in flags))
    return re.compile(rf"(?:{alts})：")


def _agency_only(line: str, program: str) -> bool:
    """Whether an explanation line is for the agency only: a verification flag, or a check of kind flag."""
    if line.startswith(_FLAG_LINE):
        return True
    mark = _CHECK_LINE.match(line)
    if mark is None:
        return False
    label = line[mark.end():]
    if label.startswith(_FLAG_TAG):
        return True
    flags = _flag_checks(program)
    return flags is not None and flags.match(label) is not None


def recipient_trace(explanation: str | None, program: str, undecided: bool = False) -> list[str]:
    """The lines of a decision's explanation (the rules' trace) a unit or person reads: the head, the checks'
    outcomes, the reasons, the readings; not the verification flags and flag checks, which tell the agency what to
    verify before paying (``case show`` and the caseworker's pages keep them)."""
    lines = (line.strip() for line in (explanation or "").splitlines() if line.strip())
    return _letter_lines((line for line in lines if not _agency_only(line, program)), undecided)


def _decided_line(line: str) -> str | None:
    """A line of a 待认定 decision's trace once the agency has decided it: the open question (“结果取决于尚未认定的政策
    解释…”, “尚待认定的政策理解…”) and each reading's result (“若…按…：不符合条件——…”) are left out, whether the screening
    wrote them as a reason (“✘ …”) or one case as one (“理由：…”, casework.intake._explain); a check ？ only because a
    reading was open is said without the mark. None for a line left out."""
    from wengang.screening.output import OPEN_READINGS_LINES

    body = _CHECK_LINE.sub("", line)
    reason = body.removeprefix(_REASON_LINE)
    if reason.startswith(OPEN_READINGS_LINES) or (body.startswith(_REASON_LINE) and reason.startswith("若")):
        return None
    return body if line.startswith("？") else line


_REASON_LINE = "理由："  # a reason in one case's explanation (casework.intake._explain)


def letter_input(d: dict[str, Any]) -> dict[str, Any] | None:
    """A ledger decision (``Ledger.letter_view``) as ``documents.letters`` input, or None while nothing is decided.

    复审通过 and later → 决定书 (符合, the amount); 不符合/审核未通过/取消资格 → 决定书 (不予核准, the reasons);
    撤销核准（不予发放） → 决定书 (不予发放, the revocation's reason and basis: :func:`revoked_reasons`);
    待认定/无法判定 → 告知书. The explanation (the rules' trace: :func:`recipient_trace`, without the agency's
    verification flags) and what happened to the money follow as notes."""
    from wengang.documents.masking import mask_bank_account

    from .intake import PERSON_PROGRAMS
    from .procedure import procedure

    state = d["state"]
    you = "你" if d["program"] in PERSON_PROGRAMS else "你单位"
    ent = d["entitlement"]
    out: dict[str, Any] = {
        "program": d["program"], "program_label": _label(d["program"]), "decision_id": str(d["id"]),
        "subject": "个人" if d["program"] in PERSON_PROGRAMS else "单位", "subject_id": d["unit_id"],
        "subject_name": d["unit_name"], "policy": {"number": d["policy_doc"], "clause": d["clause"]},
        "origin": d.get("origin"), "hold_reason": d.get("hold_reason"),
    }
    trace = recipient_trace(d["explanation"], d["program"], state in UNDECIDED)
    if d["status"] in ("needs_decision", "not_determinable") and state not in UNDECIDED:
        # the rules left it to the agency, which has decided (人工认定, or 认定政策理解 by ``case adopt``): the letter says
        # how, not that the question is still open
        trace = [t for t in (_decided_line(line) for line in trace) if t is not None]
        how = next((h["reason"] for h in reversed(d.get("history") or ()) if h["action"] == "resolve" and h["reason"]), "")
        if how and state in PASSED_REVIEW:  # a refusal states it among its reasons (below)
            trace.append("经办机构认定：" + how.rstrip("。"))
    notes = ["审核情况：" + "；".join(trace) + "。"] if trace else []
    if state in PASSED_REVIEW:
        out.update(status="eligible", amount_fen=ent["amount_fen"])
        out["size_class"] = ent.get("size_class") or d.get("size_class")  # after a 划型变更: the entitlement's class
        # the 返还基数 the rules computed the amount from, stated while the amount is still the rules' on it: as decided,
        # or rescaled by a 划型变更 (not a 人工认定 or a lowering, whose amount no longer rests on it alone)
        if d.get("base_fen") is not None and d["status"] == "eligible" and set(ent.get("kinds") or ()) <= {"size_class"}:
            out["base_fen"] = d["base_fen"]
        if capped_amount(d.get("explanation")):  # a 不超过 ceiling is never stated as a fixed amount (letters: 最高限额)
            out["amount_is_cap"] = True
        out["settlement"] = d.get("settlement") or []  # 多退少补: what changed, was paid, is due back or to come
        # what happened to each payment (``fate`` of ``Ledger.decision``; docs/casework.md "Money sent"): one
        # withdrawn before it was sent never left; one not in a bank file yet, or with the bank unanswered, is not
        # said to be paid
        returns = d.get("returns", {})
        for p in d["payments"]:
            fate = p.get("fate")
            if fate == "withdrawn":
                continue
            acc = _masked(mask_bank_account, p["account_no"])
            where = f"{CHANNEL_ZH.get(p['channel'], p['channel'])}（{acc}）"
            if p["id"] in returns:
                # the request for an account only while none was given since: not beside the re-payment to the
                # corrected account (outside audits, session 41)
                repaid = any(q["id"] > p["id"] and q["id"] not in returns for q in d["payments"])
                fixed = bool(d.get("account_no")) and d.get("account_no") != p["account_no"]
                then = ("" if repaid else "收款账户已更正，款项将重新发放。" if fixed
                        else "请尽快向本机构提供正确的收款账户。")
                notes.append(f"发往{where}的{_yuan(p['amount_fen'])}因“{returns[p['id']]}”被银行退回。{then}")
            elif fate == "not_sent":
                notes.append(f"{_yuan(p['amount_fen'])}将发放至{where}，尚未报送银行。")
            elif fate == "sent":
                notes.append(f"已将{_yuan(p['amount_fen'])}报送银行发放至{where}，待银行确认入账。")
            else:
                notes.append(f"已将{_yuan(p['amount_fen'])}发放至{where}。")
        if d.get("payee_channel") == "tax_payment_account":
            basis = procedure(d["policy_doc"], d["program"]).tax_account
            notes.append(f"{you}无对公账户，根据{basis}，资金返还至当地税务部门协助提供的缴纳社会保险费账户。")
        if state == "held" and d.get("hold_reason"):
            notes.append(f"暂缓发放：{d['hold_reason']}。")
    elif state in REFUSED:
        reasons = [f"{'初审' if r['stage'] == 1 else '复审'}未通过：{_sentence(r['reason'])}" for r in d["reviews"]
                   if not r["approve"]]
        if state == "disqualified":
            reasons.append(f"已被取消{d['year']}年度申领资格：{_sentence(d['disqualification'] or '')}")
        reasons += [_sentence(h["reason"]) for h in d["history"] if h["action"] == "resolve" and h["reason"]]
        if state == "not_eligible":
            reasons += [_sentence(r) for r in d["reasons"] if r.strip()]
        out.update(status="ineligible", amount_fen=None, reasons=[r for r in _letter_lines(reasons) if r] or ["不符合条件"])
    elif state == REVOKED:
        out.update(status="ineligible", amount_fen=None, reasons=revoked_reasons(d))
        # money the decision still owes back (a top-up credited before the revocation): the recovery ordered
        notes += [f"已发放的款项中{_yuan(r['amount_fen'])}应予退回，本机构将另行通知退回方式。" for r in d.get("recoveries") or ()
                  if r.get("amount_fen")]
    elif state in UNDECIDED:
        status = d["status"] if d["status"] in ("needs_decision", "not_determinable") else "needs_decision"
        out.update(status=status, amount_fen=None, reasons=_letter_lines(_sentence(r) for r in d["reasons"] if r.strip()))
        out["readings"] = d.get("readings") or {}
        if d.get("outcomes"):  # each reading's result (decisions §135); a decision imported before keeps none
            out["outcomes"] = d["outcomes"]
    else:
        return None
    out["notes"] = notes
    return out


def revoked_reasons(d: dict[str, Any]) -> list[str]:
    """The reasons of a 不予发放 决定书 for a revoked decision (``Ledger.revoke``): the revocation with the reason the
    复核 wrote for the recipient (the revoke event's), and its basis. The risk flag's own label and evidence are the
    agency's and are not named."""
    why = [_sentence(h["reason"]) for h in d.get("history") or () if h["action"] == "revoke" and h.get("reason")]
    text = "；".join(t for t in _letter_lines(why) if t) or "经核实不符合发放条件"
    return [f"经核实，撤销原复审通过的核准决定，不予发放：{text}",
            f"依据：{REVOKE_BASIS}，在待遇发放环节核实的，不予发放"]


def _yuan(fen: int) -> str:
    from wengang.money import fen_to_yuan

    return f"人民币{fen_to_yuan(fen):,}元"


@dataclass
class LettersWritten:
    paths: list[Path]
    letters: int
    skipped: list[tuple[int, str]]  # (decision id, state) with nothing decided yet


def write_letters(led: Ledger, decision_ids: Sequence[int], out_dir: Path, *, batch: bool = False,
                  issued_on: date | None = None, **agency_given: str | None) -> LettersWritten:
    """决定书/告知书 as PDF for the decisions (one file per case, or one file with ``batch``).

    Decisions with nothing decided yet (notified, awaiting review …) are skipped and reported."""
    from wengang.documents.letters import compose_letter, write_letters_pdf

    views = [led.letter_view(i) for i in decision_ids]
    items, skipped = [], []
    for v in views:
        item = letter_input(v)
        if item is None:
            skipped.append((v["id"], v["state"]))
        else:
            items.append((v, item))
    if not items:
        return LettersWritten([], 0, skipped)
    agency = agency_config((v["region_code"] for v, _ in items), **agency_given)
    need = {"name": "agency"}
    if any(item["status"] in ("eligible", "ineligible") for _, item in items):
        need |= {"review_body": "review-body", "court": "court"}
    _need_agency(agency, need)
    on = issued_on or beijing_today()
    for _, item in items:  # refuse before any file is written
        compose_letter(item, agency, issued_on=on)
    if batch:
        path = out_dir / "letters.pdf"
        with _staged(path) as (tmp,):
            write_letters_pdf([item for _, item in items], agency, tmp, issued_on=on)
        return LettersWritten([path], len(items), skipped)
    paths = []
    for n, (v, item) in enumerate(items, start=1):
        kind = compose_letter(item, agency, issued_on=on).kind
        path = out_dir / f"{n:04d}_{v['id']}_{kind}.pdf"
        with _staged(path) as (tmp,):
            write_letters_pdf([item], agency, tmp, issued_on=on)
        paths.append(path)
    return LettersWritten(paths, len(items), skipped)

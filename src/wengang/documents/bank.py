"""The bank disbursement file of a payment batch, its XLSX twin, and the bank's return file.

Layout: docs/bank-file.md (pipe-delimited, GB18030, CRLF; header / detail / trailer with count and control total
in fen). The disbursement file carries full account numbers (it goes to the bank); the XLSX twin for people shows
them masked. The reader of the return file refuses a file whose counts or totals do not reconcile — with the
header, the trailer and, when given, the batch sent — naming the line and the field.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from wengang.atomic import atomic_path
from wengang.inputs import read_bytes

from .errors import DocumentError
from .masking import mask_bank_account
from .xlsx import INT, MONEY, TEXT, Column, Table, write_xlsx

ENCODING = "gb18030"
EOL = b"\r\n"
SEP = "|"
PAY_TAG, RETURN_TAG, VERSION = "WGPAY", "WGRET", "1"
PAID, BOUNCED = "成功", "失败"
_BATCH_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_ACCOUNT = re.compile(r"\d{6,32}")
_BANK_CODE = re.compile(r"\d{12}")  # 12位支付系统行号 (CNAPS)
_AMOUNT = re.compile(r"[1-9]\d{0,17}|0")
_FORBIDDEN = re.compile(r"[|\r\n\t]")


@dataclass(frozen=True)
class Payment:
    payee_name: str
    account: str  # full account number (spaces allowed on input, removed)
    bank_code: str  # 12-digit 支付系统行号 of the payee's bank
    amount_fen: int
    reference: str  # the decision id; the bank echoes it in the return file


@dataclass(frozen=True)
class PaymentBatch:
    batch_id: str
    on: date
    payer_account: str  # the fund's 支出户
    payments: tuple[Payment, ...]

    @property
    def count(self) -> int:
        return len(self.payments)

    @property
    def total_fen(self) -> int:
        return sum(p.amount_fen for p in self.payments)


@dataclass(frozen=True)
class Paid:
    seq: int
    reference: str
    amount_fen: int
    account: str  # the account the bank credited
    account_matches: bool | None  # against the batch sent (None: no batch given)


@dataclass(frozen=True)
class Bounced:
    seq: int
    reference: str
    amount_fen: int
    reason: str
    account: str


@dataclass(frozen=True)
class ReturnFile:
    batch_id: str
    on: date
    paid: tuple[Paid, ...]
    bounced: tuple[Bounced, ...]

    @property
    def count(self) -> int:
        return len(self.paid) + len(self.bounced)

    @property
    def total_fen(self) -> int:
        return sum(p.amount_fen for p in self.paid) + sum(b.amount_fen for b in self.bounced)


@dataclass(frozen=True)
class ReturnRecord:
    """One line the bank writes (used to simulate the bank in tests and drills)."""

    reference: str
    paid: bool
    amount_fen: int
    account: str
    reason: str = ""


# ---------------------------------------------------------------------------------------------------
# validation


def _text(value: object, where: str, field: str) -> str:
    s = str(value).strip()
    if not s:
        raise DocumentError(f"{where}“{field}”为空 / {field} is empty")
    if _FORBIDDEN.search(s):
        raise DocumentError(f"{where}“{field}”含有分隔符“|”、制表符或换行 / {field} contains '|', a tab or a line break")
    try:
        s.encode(ENCODING)
    except UnicodeEncodeError as exc:
        raise DocumentError(f"{where}“{field}”含有无法按GB18030编码的字符 / not encodable in GB18030") from exc
    return s


def _account(value: object, where: str, field: str = "账号") -> str:
    s = re.sub(r"\s+", "", str(value))
    if not _ACCOUNT.fullmatch(s):
        raise DocumentError(f"{where}“{field}”应为6至32位数字 / {field} must be 6 to 32 digits")
    return s


def _fen(value: object, where: str, field: str = "金额（分）", positive: bool = True) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or (positive and value == 0):
        raise DocumentError(f"{where}“{field}”应为正整数分 / {field} must be a positive integer number of fen: {value!r}")
    return value


def make_batch(batch_id: str, on: date, payer_account: str, payments: Iterable[Payment]) -> PaymentBatch:
    """A checked batch: every field writable, amounts positive integer fen, references unique."""
    if not _BATCH_ID.fullmatch(str(batch_id)):
        raise DocumentError("批次号应为1至32位字母、数字、“-”或“_” / batch id: 1-32 of [A-Za-z0-9_-]")
    payer = _account(payer_account, "批次", "付款账号")
    out: list[Payment] = []
    seen: set[str] = set()
    for n, p in enumerate(payments, start=1):
        where = f"第{n}笔"
        code = str(p.bank_code).strip()
        if not _BANK_CODE.fullmatch(code):
            raise DocumentError(f"{where}“行号”应为12位数字 / bank code must be 12 digits")
        ref = _text(p.reference, where, "业务参考号")
        if ref in seen:
            raise DocumentError(f"{where}“业务参考号”{ref}重复 / duplicate reference {ref}")
        seen.add(ref)
        out.append(Payment(_text(p.payee_name, where, "收款人"), _account(p.account, where), code,
                           _fen(p.amount_fen, where), ref))
    if not out:
        raise DocumentError("批次中没有付款记录 / the batch has no payments")
    return PaymentBatch(str(batch_id), on, payer, tuple(out))


# ---------------------------------------------------------------------------------------------------
# writing


def _write_lines(path: str | Path, rows: Sequence[Sequence[object]]) -> Path:
    data = b"".join(SEP.join(str(x) for x in row).encode(ENCODING) + EOL for row in rows)
    path = Path(path)
    with atomic_path(path, "银行文件", "bank file") as tmp:  # never half a disbursement file
        tmp.write_bytes(data)
    return path


def write_bank_file(batch: PaymentBatch, path: str | Path) -> Path:
    """The disbursement file for the bank (full accounts)."""
    batch = make_batch(batch.batch_id, batch.on, batch.payer_account, batch.payments)
    rows: list[list[object]] = [
        ["H", PAY_TAG, VERSION, batch.batch_id, f"{batch.on:%Y%m%d}", batch.payer_account, batch.count, batch.total_fen]
    ]
    rows += [["D", n, p.payee_name, p.account, p.bank_code, p.amount_fen, p.reference]
             for n, p in enumerate(batch.payments, start=1)]
    rows.append(["T", batch.count, batch.total_fen])
    return _write_lines(path, rows)


def write_bank_xlsx(batch: PaymentBatch, path: str | Path) -> Path:
    """The XLSX twin for people: masked accounts, count and control total (in 元 and in fen)."""
    columns = [
        Column("seq", "序号", INT),
        Column("payee_name", "收款人"),
        Column("account", "收款账号（脱敏）"),
        Column("bank_code", "开户行行号", TEXT),
        Column("amount_fen", "金额（元）", MONEY),
        Column("reference", "业务参考号（决定编号）"),
    ]
    rows = [
        {"seq": n, "payee_name": p.payee_name, "account": mask_bank_account(p.account), "bank_code": p.bank_code,
         "amount_fen": p.amount_fen, "reference": p.reference}
        for n, p in enumerate(batch.payments, start=1)
    ]
    footer = [
        f"批次号：{batch.batch_id}",
        f"付款账号：{mask_bank_account(batch.payer_account)}",
        f"笔数：{batch.count}",
        f"控制总额（分）：{batch.total_fen}",
    ]
    title = f"付款批次 {batch.batch_id}（{batch.on:%Y-%m-%d}）"
    return write_xlsx(path, Table(columns, rows, sheet="付款明细", title=title, footer=footer))


def write_return_file(batch_id: str, on: date, records: Sequence[ReturnRecord], path: str | Path) -> Path:
    """A return file in the documented layout, as the bank would write it (simulation, tests, drills)."""
    total = sum(r.amount_fen for r in records)
    rows: list[list[object]] = [["H", RETURN_TAG, VERSION, batch_id, f"{on:%Y%m%d}", len(records), total]]
    rows += [["D", n, r.reference, PAID if r.paid else BOUNCED, r.reason, r.account, r.amount_fen]
             for n, r in enumerate(records, start=1)]
    rows.append(["T", len(records), total])
    return _write_lines(path, rows)


# ---------------------------------------------------------------------------------------------------
# reading


def _common_share(text: str) -> float:
    """The share of ``text``'s non-ASCII characters that are common Chinese text (CJK, punctuation and full-width
    forms GB2312 holds)."""
    wide = [ch for ch in text if not ch.isascii()]
    if not wide:
        return 0.0
    common = 0
    for ch in wide:
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common / len(wide)


def _reads_as_utf8(data: bytes) -> bool:
    """Whether ``data`` is UTF-8 text rather than GB18030. GB18030 reads almost any bytes, UTF-8 text as mojibake; but
    some GB18030 text is valid UTF-8 too (rarer characters: a property test found such names). So a file that decodes
    as UTF-8 is called UTF-8 unless its GB18030 reading is the more plausibly Chinese of the two (a larger share of
    common characters); on a tie it is UTF-8, as before (UTF-8 “失败” reads in GB18030 as “澶辫触”, common characters too)."""
    try:
        utf8 = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return _common_share(utf8) >= _common_share(data.decode("gb18030", errors="replace"))


def _lines(path: str | Path) -> list[list[str]]:
    data = read_bytes(path, "银行文件", "bank file")
    if not data.strip():
        raise DocumentError(f"银行文件 {path} 是空文件 / bank file {path} is empty")
    if not data.isascii() and _reads_as_utf8(data):  # said to be UTF-8, not read as GB18030 mojibake
        raise DocumentError(f"银行文件 {path} 是UTF-8编码，应为GB18030（docs/bank-file.md）/ bank file {path} is "
                            "UTF-8; it must be GB18030")
    if not data.endswith(EOL):
        raise DocumentError(f"银行文件 {path} 应以CRLF换行结束 / bank file {path} must end with CRLF")
    out = []
    for n, raw in enumerate(data[: -len(EOL)].split(EOL), start=1):
        if b"\r" in raw or b"\n" in raw:
            raise DocumentError(f"第{n}行：换行符应为CRLF / line {n}: line breaks must be CRLF")
        try:
            out.append(raw.decode(ENCODING).split(SEP))
        except UnicodeDecodeError as exc:
            raise DocumentError(f"第{n}行：无法按GB18030解码 / line {n}: not GB18030") from exc
    return out


# a number in exponent form, as a spreadsheet shows a long account number (6.22202123456789E+18)
_EXPONENT = re.compile(r"[0-9](?:\.[0-9]+)?[Ee][+-]?[0-9]+")


def _fields(n: int, row: list[str], tag: str, names: Sequence[str]) -> dict[str, str]:
    if row[0] != tag:
        raise DocumentError(f"第{n}行：记录类型应为“{tag}”，实为“{row[0]}” / line {n}: record type must be {tag}")
    if len(row) != len(names) + 1:
        raise DocumentError(f"第{n}行：应有{len(names) + 1}个字段，实有{len(row)}个 / line {n}: wrong number of fields")
    return dict(zip(names, row[1:], strict=True))


def _int(n: int, f: dict[str, str], name: str, zh: str) -> int:
    if not _AMOUNT.fullmatch(f[name]):
        raise DocumentError(f"第{n}行“{zh}”应为非负整数（不带前导零、小数点或分隔符），实为“{f[name]}” / line {n}: {name} "
                            "must be a whole number (no leading zero, point or separator)")
    return int(f[name])


def _date(n: int, value: str) -> date:
    try:
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError as exc:
        raise DocumentError(f"第{n}行“日期”应为YYYYMMDD，实为“{value}” / line {n}: date must be YYYYMMDD") from exc


def _frame(rows: list[list[str]], tag: str, header: Sequence[str]) -> tuple[dict[str, str], list[tuple[int, list[str]]]]:
    """Check header/trailer against the detail lines; return the header fields and numbered detail rows."""
    if len(rows) < 2:
        raise DocumentError("文件缺少首记录或尾记录 / header or trailer missing")
    h = _fields(1, rows[0], "H", header)
    if h["tag"] != tag or h["version"] != VERSION:
        raise DocumentError(f"第1行：文件标识应为“{tag}|{VERSION}” / line 1: expected {tag} version {VERSION}")
    last = len(rows)
    t = _fields(last, rows[-1], "T", ("count", "total_fen"))
    details = list(enumerate(rows[1:-1], start=2))
    for n, row in details:
        if row[0] != "D":
            raise DocumentError(f"第{n}行：记录类型应为“D”，实为“{row[0]}” / line {n}: detail record expected")
    for where, f, n in (("首记录", h, 1), ("尾记录", t, last)):
        if _int(n, f, "count", "笔数") != len(details):
            raise DocumentError(f"第{n}行{where}“笔数”为{f['count']}，明细实有{len(details)}笔 / line {n}: count mismatch")
    h["_trailer_total"] = t["total_fen"]
    _int(last, t, "total_fen", "控制总额")
    return h, details


def _check_total(h: dict[str, str], total: int, last: int) -> None:
    for where, value, n in (("首记录", h["total_fen"], 1), ("尾记录", h["_trailer_total"], last)):
        if int(value) != total:
            raise DocumentError(
                f"第{n}行{where}“控制总额”为{value}分，明细合计{total}分 / line {n}: control total {value} ≠ sum {total}"
            )


@contextmanager
def _file_named(path: str | Path) -> Iterator[None]:
    """A refusal of a line names the file too (outside audit F8, session 37: “第3行…” alone named no file)."""
    try:
        yield
    except DocumentError as exc:
        msg = str(exc)
        if str(path) in msg:
            raise
        zh, sep, en = msg.partition(" / ")
        raise DocumentError(f"银行文件 {path}：{zh} / bank file {path}: {en}" if sep else f"银行文件 {path}：{msg}") from exc


def read_bank_file(path: str | Path) -> PaymentBatch:
    """Read a disbursement file back (round trip; checking a file before it leaves)."""
    with _file_named(path):
        return _read_bank_file(path)


def _read_bank_file(path: str | Path) -> PaymentBatch:
    rows = _lines(path)
    header = ("tag", "version", "batch_id", "date", "payer_account", "count", "total_fen")
    h, details = _frame(rows, PAY_TAG, header)
    _int(1, h, "total_fen", "控制总额")
    names = ("seq", "payee_name", "account", "bank_code", "amount_fen", "reference")
    payments = []
    for i, (n, row) in enumerate(details, start=1):
        f = _fields(n, row, "D", names)
        if _int(n, f, "seq", "序号") != i:
            raise DocumentError(f"第{n}行“序号”应为{i}，实为“{f['seq']}” / line {n}: sequence must be {i}")
        payments.append(Payment(f["payee_name"], f["account"], f["bank_code"], _int(n, f, "amount_fen", "金额（分）"),
                                f["reference"]))
    _check_total(h, sum(p.amount_fen for p in payments), len(rows))
    return make_batch(h["batch_id"], _date(1, h["date"]), h["payer_account"], payments)


@dataclass(frozen=True)
class ReturnLine:
    """One detail record of a return file, with its line number (the header is line 1)."""

    line: int
    seq: int
    reference: str
    paid: bool
    reason: str
    account: str
    amount_fen: int


@dataclass(frozen=True)
class ReturnLines:
    batch_id: str
    on: date
    lines: tuple[ReturnLine, ...]


def read_return_lines(path: str | Path) -> ReturnLines:
    """Every detail record of a return file, checked for form only: CRLF and GB18030, record types, field counts,
    sequence, whole-number amounts, a non-empty reference, ``成功``/``失败`` and a reason for each 失败, and the
    header's and trailer's count and control total. Repeated or unknown references are left to the caller (the
    ledger sets such lines aside one by one); a file that fails these checks is refused whole."""
    with _file_named(path):
        return _read_return_lines(path)


def _read_return_lines(path: str | Path) -> ReturnLines:
    rows = _lines(path)
    h, details = _frame(rows, RETURN_TAG, ("tag", "version", "batch_id", "date", "count", "total_fen"))
    _int(1, h, "total_fen", "控制总额")
    names = ("seq", "reference", "result", "reason", "account", "amount_fen")
    out: list[ReturnLine] = []
    for i, (n, row) in enumerate(details, start=1):
        f = _fields(n, row, "D", names)
        if _int(n, f, "seq", "序号") != i:
            raise DocumentError(f"第{n}行“序号”应为{i}，实为“{f['seq']}” / line {n}: sequence must be {i}")
        amount = _int(n, f, "amount_fen", "金额（分）")
        # a reference and an account as the ledger writes them: surrounding spaces dropped, an account's inner spaces
        # and full-width digits read as its digits (ledger.account_digits); an account in a number's exponent form
        # (6.22202123456789E+18: the file went through a spreadsheet, its last digits lost) is refused (outside audit,
        # session 40)
        f["reference"], f["result"] = f["reference"].strip(), f["result"].strip()
        account = re.sub(r"\s+", "", unicodedata.normalize("NFKC", f["account"]))
        if _EXPONENT.fullmatch(account):
            raise DocumentError(
                f"第{n}行“账号”为“{f['account']}”，是数字的科学计数法形式：账号经电子表格打开后末几位已丢失，无法核对；请使用银行"
                f"原始回盘文件 / line {n}: the account {f['account']!r} is a number in exponent form (the file went "
                "through a spreadsheet and the account's last digits are lost); use the bank's original return file"
            )
        f["account"] = account
        if not f["reference"]:
            raise DocumentError(f"第{n}行“业务参考号”为空 / line {n}: reference is empty")
        if f["result"] == PAID and amount == 0:
            raise DocumentError(f"第{n}行“处理结果”为“成功”而“金额（分）”为0：付款成功的金额应大于0 / line {n}: a "
                                "payment reported 成功 must have an amount above 0")
        if f["result"] not in (PAID, BOUNCED):
            raise DocumentError(f"第{n}行“处理结果”应为“成功”或“失败”，实为“{f['result']}” / line {n}: result must be 成功 or 失败")
        if f["result"] == BOUNCED and not f["reason"].strip():
            raise DocumentError(f"第{n}行“失败原因”为空 / line {n}: a bounced payment needs a reason")
        out.append(ReturnLine(n, i, f["reference"], f["result"] == PAID, f["reason"].strip(), f["account"], amount))
    _check_total(h, sum(x.amount_fen for x in out), len(rows))
    return ReturnLines(h["batch_id"], _date(1, h["date"]), tuple(out))


def read_return_file(path: str | Path, batch: PaymentBatch | None = None) -> ReturnFile:
    """Read the bank's return file into paid and bounced records.

    Refused (:class:`DocumentError`, naming line and field) when the file's form is wrong (:func:`read_return_lines`),
    a reference repeats, or — with ``batch`` — the batch id, a reference, an amount, the count or the total differs
    from what was sent.
    """
    with _file_named(path):
        return _read_return_file(path, batch)


def _read_return_file(path: str | Path, batch: PaymentBatch | None) -> ReturnFile:
    ret = read_return_lines(path)
    sent = {p.reference: p for p in batch.payments} if batch else {}
    seen: set[str] = set()
    paid: list[Paid] = []
    bounced: list[Bounced] = []
    for x in ret.lines:
        n, ref, amount = x.line, x.reference, x.amount_fen
        if ref in seen:
            raise DocumentError(f"第{n}行“业务参考号”{ref}重复 / line {n}: duplicate reference {ref}")
        seen.add(ref)
        if batch is not None:
            if ref not in sent:
                raise DocumentError(f"第{n}行“业务参考号”{ref}不在批次{batch.batch_id}中 / line {n}: unknown reference")
            if sent[ref].amount_fen != amount:
                raise DocumentError(
                    f"第{n}行“金额（分）”为{amount}，批次中为{sent[ref].amount_fen} / line {n}: amount differs from the batch"
                )
        if x.paid:
            matches = None if batch is None else x.account == sent[ref].account
            paid.append(Paid(x.seq, ref, amount, x.account, matches))
        else:
            bounced.append(Bounced(x.seq, ref, amount, x.reason, x.account))
    total = sum(x.amount_fen for x in ret.lines)
    if batch is not None:
        if ret.batch_id != batch.batch_id:
            raise DocumentError(f"第1行“批次号”为{ret.batch_id}，应为{batch.batch_id} / line 1: batch id differs")
        if len(ret.lines) != batch.count or total != batch.total_fen:
            missing = sorted(set(sent) - seen)
            raise DocumentError(
                f"第1行：回盘{len(ret.lines)}笔{total}分，批次{batch.count}笔{batch.total_fen}分；未回盘：{'、'.join(missing)} / "
                "line 1: the return file does not cover the batch"
            )
    return ReturnFile(ret.batch_id, ret.on, tuple(paid), tuple(bounced))

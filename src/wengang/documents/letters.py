"""Letters to the applicant: 决定书 (符合 / 不符合) and 告知书 (待认定, 补正) as PDF, one per case or a batch.

Input: a plain dict shaped like :meth:`wengang.rules.engine.Decision.to_dict` (``program_label``, ``subject_id``,
``subject_name``, ``status``, ``amount_fen``, ``policy``, ``checks``, ``reasons``, ``outputs``, ``outcomes`` …; optional
extras: ``subject`` 单位/个人, ``decision_id``, ``quotes`` = {citation: verbatim clause text}, ``notes`` = further
paragraphs printed before the 救济途径, e.g. the review trace or the payment made; from the ledger: ``origin``
(``screening`` = 免申即享, the unit applied for nothing: a 无法判定 letter asks it for no materials), ``hold_reason`` (a
refusal held while its data is verified: a 数据核实告知书), ``outcomes`` also as the screening's packed text with
``readings`` (each reading's outcome in a 待认定 letter), ``size_class``, ``base_fen``, ``rate`` (what an eligible
amount rests on, stated in the 决定书)) and an agency dict:

* ``name`` (required) — the agency, printed in the 落款 with the seal line;
* ``review_body`` and ``court`` (required for a 决定书) — the 行政复议 body and the 人民法院 of the 救济途径;
* optional ``phone``, ``address``, ``correction_days`` (补正期限, days), ``seal`` (default “（盖章）”), ``doc_prefix``
  (the 文书编号's prefix, default the program's name: :func:`document_number`).

Every text a letter takes from the decision (reasons, check labels and details, notes) is said as the recipient reads it
(:func:`.recipient.recipient_text`): no command line, no field or switch name, no English code; a case that waits for a
region figure tells the recipient the agency supplies it, and asks the recipient only for what it can give.

救济途径 (决定书 only, an administrative act): 60 日 to apply for 行政复议 (《中华人民共和国行政复议法》), 6 个月 to sue
(《中华人民共和国行政诉讼法》第四十六条). A 告知书 is not a final decision and says so.
Identifiers are masked (:mod:`.masking`); the name is printed in full.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from reportlab.platypus import PageBreak, Paragraph, Spacer

from wengang.beijing import beijing_today
from wengang.inputs import os_error
from wengang.money import fen_to_yuan

from . import pdf
from .amounts import rmb_upper
from .errors import DocumentError
from .masking import mask_credit_code, mask_id_number
from .recipient import STATUS_ZH, missing_facts, recipient_text, region_wait

DECISION = "决定书"
NOTICE = "告知书"
KIND = {"eligible": DECISION, "ineligible": DECISION, "needs_decision": NOTICE, "not_determinable": NOTICE}
REVIEW_LAW = "《中华人民共和国行政复议法》"
LITIGATION_LAW = "《中华人民共和国行政诉讼法》第四十六条"
UI_PROGRAMS = ("ui_benefit",)  # 失业保险金: print the monthly amount and the months
_ID_NUMBER = re.compile(r"\d{17}[\dXx]|\d{15}")


@dataclass(frozen=True)
class Letter:
    kind: str  # 决定书 or 告知书
    title: str
    reference: str | None
    addressee: str
    paragraphs: tuple[str, ...]
    signatory: str
    seal: str
    issued_on: date
    meta: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """The whole letter as plain text (what the PDF shows, for tests and previews)."""
        head = [self.title] + ([f"编号：{self.reference}"] if self.reference else []) + [self.addressee]
        return "\n".join([*head, *self.paragraphs, f"{self.signatory}{self.seal}", _zh_date(self.issued_on)])


def _zh_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


# what the letters read from a decision (``wengang evaluate --json``) and from the agency file, with the JSON
# type each must have; a file of another shape is refused naming the field, not met half-way by a TypeError
_TEXT, _NUMBER = (str,), (int,)
_DECISION_FIELDS: dict[str, tuple[type, ...]] = {
    "status": _TEXT, "subject": _TEXT, "subject_id": (str, int), "subject_name": (str, int), "program": _TEXT,
    "program_label": _TEXT, "amount_label": _TEXT, "decision_id": (str, int), "date": _TEXT, "amount_fen": _NUMBER,
    "amount_is_cap": (bool,), "policy": (dict,), "quotes": (dict,), "outputs": (list,), "checks": (list,),
    "outcomes": (list, str), "reasons": (list,), "readings": (dict,), "origin": _TEXT, "hold_reason": _TEXT,
    "size_class": _TEXT, "base_fen": _NUMBER, "rate": _TEXT, "year": _NUMBER,
}
_ITEM_FIELDS: dict[str, dict[str, tuple[type, ...]]] = {  # the objects in a decision's lists
    "outputs": {"id": _TEXT, "label": _TEXT},
    "checks": {"kind": _TEXT, "passed": (bool,), "label": _TEXT, "citations": (list,)},
    "outcomes": {"amount_fen": _NUMBER, "status": _TEXT},
}
_AGENCY_FIELDS: dict[str, tuple[type, ...]] = {
    "name": _TEXT, "review_body": _TEXT, "court": _TEXT, "phone": (str, int), "address": _TEXT, "seal": _TEXT,
    "correction_days": _NUMBER, "doc_prefix": _TEXT,
}
_JSON_ZH = {str: "字符串", int: "整数", bool: "true/false", dict: "JSON 对象", list: "JSON 列表"}


def _check_fields(m: Mapping[str, Any], spec: Mapping[str, tuple[type, ...]], where: str) -> None:
    for key, kinds in spec.items():
        v = m.get(key)
        if v is None or (isinstance(v, kinds) and not (isinstance(v, bool) and bool not in kinds)):
            continue
        want = "或".join(_JSON_ZH[k] for k in kinds)
        raise DocumentError(f"{where}的“{key}”应为{want}，而不是 {json.dumps(v, ensure_ascii=False)[:40]} / "
                            f"{where}: {key!r} must be {' or '.join(k.__name__ for k in kinds)}")


def _check_decision(decision: Any, agency: Any) -> None:
    if not isinstance(decision, Mapping) or not isinstance(agency, Mapping):
        raise DocumentError("决定与经办机构信息都应为 JSON 对象 / a decision and the agency must be JSON objects")
    _check_fields(decision, _DECISION_FIELDS, "决定")
    _check_fields(agency, _AGENCY_FIELDS, "经办机构信息")
    _check_fields(decision.get("policy") or {}, {"number": _TEXT, "clause": _TEXT}, "决定的 policy")
    _check_fields(decision.get("quotes") or {}, dict.fromkeys(decision.get("quotes") or {}, _TEXT), "决定的 quotes")
    for key in ("reasons", *_ITEM_FIELDS):
        items = decision.get(key) or []
        for n, item in enumerate(items if isinstance(items, list) else [], start=1):
            if key == "reasons":
                _check_fields({"reason": item}, {"reason": _TEXT}, f"决定的 reasons 第{n}项")
            elif not isinstance(item, Mapping):
                raise DocumentError(f"决定的 {key} 第{n}项应为 JSON 对象 / decision {key}[{n}] must be an object")
            else:
                _check_fields(item, _ITEM_FIELDS[key], f"决定的 {key} 第{n}项")
                if key == "outputs" and not {"id", "label", "value"} <= set(item):
                    raise DocumentError(f"决定的 outputs 第{n}项须有 id、label、value / decision outputs[{n}] needs id, label, value")
                if key == "checks" and not all(isinstance(c, str) for c in item.get("citations") or []):
                    raise DocumentError(f"决定的 checks 第{n}项的 citations 应为字符串列表 / citations must be strings")
    if decision.get("date"):
        try:
            date.fromisoformat(decision["date"])
        except ValueError:
            raise DocumentError(f"决定的“date”应为 YYYY-MM-DD，而不是“{decision['date']}” / decision date must be YYYY-MM-DD") from None


def _need(m: Mapping[str, Any], key: str, what: str) -> Any:
    value = m.get(key)
    if value in (None, ""):
        raise DocumentError(f"{what}缺少“{key}” / {what}: {key!r} is required")
    return value


def _person(decision: Mapping[str, Any]) -> bool:
    subject = decision.get("subject")
    if subject in ("个人", "单位"):
        return subject == "个人"
    return bool(_ID_NUMBER.fullmatch(str(decision.get("subject_id") or "").strip()))


def _addressee(decision: Mapping[str, Any]) -> tuple[str, str]:
    """(``李四（公民身份号码：1523**********0015）：``, 你/你单位); for a program paid to someone else than the person the
    facts describe (丧葬补助金和抚恤金: the family, 条例 第二十条), addressed to them (``李四（…）的家属：``, 死者家属)."""
    from wengang.explain import PAYEES

    name = _need(decision, "subject_name", "决定")
    sid = str(decision.get("subject_id") or "").strip()
    if _person(decision):
        ident = f"（公民身份号码：{mask_id_number(sid)}）" if sid else ""
        suffix, you = PAYEES.get(str(decision.get("program") or ""), ("", "你"))
        return f"{name}{ident}{suffix}：", you
    ident = f"（统一社会信用代码：{mask_credit_code(sid)}）" if sid else ""
    return f"{name}{ident}：", "你单位"


def _money(fen: int) -> str:
    return f"人民币{fen_to_yuan(fen):,}元（大写：{rmb_upper(fen)}）"


def _basis(decision: Mapping[str, Any]) -> str:
    policy = decision.get("policy") or {}
    return " ".join(x for x in (policy.get("number"), policy.get("clause")) if x)


def _quoted(cite: str, quotes: Mapping[str, str]) -> str:
    q = quotes.get(cite)
    return f"{cite}（“{q}”）" if q else cite


def _documents(decision: Mapping[str, Any]) -> tuple[str, ...]:
    """The documents the decision rests on (:func:`wengang.explain.case_documents`): a switch's title is said in theirs."""
    from wengang.explain import case_documents

    policy = decision.get("policy") or {}
    cites = [str(c) for ch in decision.get("checks") or [] if isinstance(ch, Mapping) for c in ch.get("citations") or []]
    cites += [str(c) for o in decision.get("outputs") or [] if isinstance(o, Mapping) for c in o.get("citations") or []]
    via = [str(v) for v in policy.get("via") or []]
    return case_documents(str(policy.get("number") or "") or None, via, cites)


def _reading_names(outcomes: Iterable[Any], fixed: Iterable[str] = (), docs: tuple[str, ...] = ()) -> dict[tuple[Any, Any], str]:
    """Per result (status, amount) of a 待认定 decision, the readings that lead to it, in Chinese: every switch whose
    reading alone changes a result, by its question (as the case's documents say it) and the readings' descriptions
    (``“…”为“…”``); several combinations leading to one result are joined with “；或”
    (:func:`wengang.explain.reading_conditions`: a line once named one of the two switches its amount rested on)."""
    from wengang.explain import letter_title, reading_conditions
    from wengang.rules import interpretations

    items = [o for o in outcomes if isinstance(o, Mapping)]
    pairs = [({str(k): str(v) for k, v in (o.get("readings") or {}).items()}, (o.get("status"), o.get("amount_fen")))
             for o in items]
    out: dict[tuple[Any, Any], list[str]] = {}
    for key, cube in reading_conditions(pairs, fixed):
        parts = []
        for name, values in cube:
            sw = interpretations.get(name)
            parts.append(f"{letter_title(name, docs)}为" + "或".join(f"“{sw.describe(v)}”" for v in values))
        text = recipient_text("，".join(parts)) if parts else ""
        if text and text not in out.setdefault(key, []):
            out[key].append(text)
    return {k: "；或".join(v) for k, v in out.items() if v}


def _stated_outputs(decision: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The outputs whose figure the letter states (:func:`_ui_lines`): their clauses are cited with the conditions'."""
    if decision.get("program") not in UI_PROGRAMS:
        return []
    shown = {"monthly_standard", "total", "standard_note"}
    ids = {str(o.get("id")) for o in decision.get("outputs") or []}
    shown.add("entitled_months" if "entitled_months" in ids else "duration_months")
    return [o for o in decision.get("outputs") or [] if isinstance(o, Mapping) and o.get("id") in shown]


def _outputs(decision: Mapping[str, Any]) -> dict[str, tuple[str, str]]:
    return {o["id"]: (o["label"], o["value"]) for o in decision.get("outputs") or []}


def compose_letter(
    decision: Mapping[str, Any],
    agency: Mapping[str, Any],
    *,
    issued_on: date | None = None,
    reference: str | None = None,
) -> Letter:
    """The letter's text for one decision (pure: no file)."""
    _check_decision(decision, agency)
    status = _need(decision, "status", "决定")
    if status not in KIND:
        raise DocumentError(f"未知的决定状态“{status}” / unknown status {status!r}")
    kind = KIND[status]
    agency_name = _need(agency, "name", "经办机构信息")
    if kind == DECISION:
        review_body = _need(agency, "review_body", "经办机构信息（行政复议机关）")
        court = _need(agency, "court", "经办机构信息（人民法院）")
    program = decision.get("program_label") or decision.get("program") or ""
    addressee, you = _addressee(decision)
    basis = _basis(decision)
    quotes: Mapping[str, str] = decision.get("quotes") or {}
    checks = decision.get("checks") or []
    outputs = _outputs(decision)
    docs = _documents(decision)
    paras: list[str] = []

    if status == "eligible":
        if str((decision.get("policy") or {}).get("number") or "").strip() in NO_DOCUMENT:
            # no money without a document in force (outside audit, session 39: a 决定书 read “根据无有效政策”)
            raise DocumentError(f"决定 {decision.get('decision_id') or ''} 的依据为“无有效政策”，不能出具符合条件的决定书 / "
                                "an eligible letter needs a document in force")
        title = f"{program}审核决定书"
        paras.append(f"经审核，{you}符合{program}条件。根据{_quoted(basis, quotes) if basis else '有关规定'}，决定如下：")
        amount = decision.get("amount_fen")
        if amount is not None:
            label = decision.get("amount_label") or "金额"
            cap = "（最高限额）" if decision.get("amount_is_cap") else ""
            paras += _amount_basis(decision, outputs, quotes)
            paras.append(f"核定{program}{label if label != '金额' else ''}{_money(int(amount))}{cap}。")
        # a 划型变更 after payment (多退少补): when and why the amount changed, what was paid, what is to be returned
        # or topped up and what was received (``Ledger.letter_view`` ``settlement``)
        paras += [str(x) for x in decision.get("settlement") or () if str(x).strip()]
        if decision.get("program") in UI_PROGRAMS:
            paras += _ui_lines(outputs)
        cited = sorted({c for ch in checks if ch.get("kind") == "condition" for c in ch.get("citations") or []}
                       | {c for o in _stated_outputs(decision) for c in o.get("citations") or []})
        if cited:
            paras.append("审核依据的条款：" + "；".join(_quoted(c, quotes) for c in cited) + "。")
    elif status == "ineligible":
        title = f"{program}审核决定书"
        paras.append(f"经审核，{you}不符合{program}条件，决定不予核准。理由如下：")
        failed = [ch for ch in checks if ch.get("passed") is False and ch.get("kind") == "condition"]
        code = decision.get("program")
        reasons = _plain(decision.get("reasons"), code, docs) or [f"不符合：{recipient_text(str(ch.get('label')), code)}"
                                                            for ch in failed]
        paras += [f"{n}. {why.rstrip('。')}。" for n, why in enumerate(reasons, start=1)]
        for ch in failed:
            cites = "；".join(_quoted(c, quotes) for c in ch.get("citations") or [])
            detail = recipient_text(str(ch.get("detail") or ""))
            paras.append(f"审核情况：{recipient_text(str(ch.get('label')))}" + (f"——{detail}" if detail else "")
                         + (f"（依据：{cites}）。" if cites else "。"))
        if basis:
            paras.append(f"适用文件：{_quoted(basis, quotes)}。")
    elif status == "needs_decision" and _verifying(decision):
        # a refusal held because a row it rests on was quarantined (screening.holds.REFUSAL_TO_VERIFY): no reading is
        # open and nothing is refused yet — the data is being verified (outside audit, session 41: the letter spoke of
        # “政策条款的不同理解”, printed “月度缴费记录第 1562 行” and read “不予发放的结论…待核实后发放”)
        title = f"{program}数据核实告知书"
        paras.append(f"经审核，{you}的{program}事项所依据的部分数据正在核实，本机构暂不作出认定，"
                     "核实后将依法作出决定，并另行告知。")
        matters = _verified_matters(decision.get("reasons"), decision.get("program"), docs)
        if matters:
            paras.append("正在核实的事项：" + "；".join(matters) + "。")
        if basis:
            paras.append(f"适用文件：{_quoted(basis, quotes)}。")
        paras.append("本告知书不是最终决定。如需提供说明，请与本机构联系。")
    elif status == "needs_decision":
        title = f"{program}待认定事项告知书"
        outcomes = outcome_list(decision)
        paras.append(
            f"经审核，{you}的{program}事项涉及政策条款的不同理解，结果取决于对以下条款的认定，本机构将依法认定后另行作出决定："
            if outcomes else f"经审核，{you}的{program}事项涉及政策条款的不同理解，本机构将依法认定后另行作出决定。"
        )
        paras += [f"{n}. {line}。" for n, line in enumerate(reading_results(decision, docs), start=1)]
        for why in _plain(decision.get("reasons"), None, docs):
            paras.append(f"说明：{why.rstrip('。')}。")
        if basis:
            paras.append(f"适用文件：{_quoted(basis, quotes)}。")
        paras.append("本告知书不是最终决定。如需提供说明或材料，请与本机构联系。")
    else:
        title, lines = _undeterminable(program, you, decision, agency)
        paras += lines

    notes = decision.get("notes") or []
    if status == "needs_decision" and _verifying(decision):
        notes = [n for n in notes if not str(n).startswith(TRACE_NOTE)]
    paras += _plain(notes, None, docs)
    if kind == DECISION:
        paras.append(
            f"如对本决定不服，可在收到本决定书之日起60日内向{review_body}申请行政复议，或者在6个月内向{court}"
            f"提起行政诉讼（{REVIEW_LAW}、{LITIGATION_LAW}）。"
        )
    contact = "；".join(x for x in (agency.get("address") and f"地址：{agency['address']}",
                                    agency.get("phone") and f"联系电话：{agency['phone']}") if x)
    if contact:
        paras.append(contact + "。")
    on = issued_on or (date.fromisoformat(decision["date"]) if decision.get("date") else beijing_today())
    return Letter(
        kind=kind,
        title=title,
        reference=reference or document_number(decision, agency, kind, on),
        addressee=addressee,
        # the screen's check marks (rules.engine, casework.intake) are not for a letter: the sentence says it, and
        # the PDF font has no ✔/✘ (every refusal printed 〔U+2718〕)
        paragraphs=tuple(_CHECK_MARK.sub("", p) for p in paras),
        signatory=agency_name,
        seal=agency.get("seal", "（盖章）"),
        issued_on=on,
        meta={"status": status, "program": decision.get("program"), "decision_id": decision.get("decision_id")},
    )


# ------------------------------------------------------------------------------------------------------------------
# the document number, the amount's basis, a refusal held for verification, the outcomes of a 待认定 decision,
# and who completes what a 无法判定 decision lacks (outside audit, session 41, items 7–9)

def document_number(decision: Mapping[str, Any], agency: Mapping[str, Any], kind: str, on: date) -> str | None:
    """The letter's 文书编号: ``<prefix><决|告>〔<year of issue>〕<decision id, 6 digits>号`` — the prefix is the agency's
    ``doc_prefix`` or else the program's name, 决 for a 决定书 and 告 for a 告知书, the year the one the letter is issued
    in (as a 文号's), the number the decision's (决定编号: the bank file's 业务参考号 ``<决定编号>-<序号>`` and the 公示's
    record carry the same id, so a letter, its payment and its 公示 entry are found by one number). None without a
    decision id (a letter composed from a bare decision)."""
    did = str(decision.get("decision_id") or "").strip()
    if not did:
        return None
    prefix = str(agency.get("doc_prefix") or decision.get("program_label") or decision.get("program") or "")
    number = f"{int(did):06d}" if did.isdigit() else did
    return f"{prefix}{'决' if kind == DECISION else '告'}〔{on.year}〕{number}号"


SIZE_ZH = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}
_SME = ("medium", "small", "micro")


def _param(decision: Mapping[str, Any], name: str) -> Any:
    """The parameter ``name`` of the decision's document (its program block, with what it inherits), or None."""
    from wengang.policies.loader import load_policy_set

    number = str((decision.get("policy") or {}).get("number") or "").strip()
    program = str(decision.get("program") or "")
    if not number or not program:
        return None
    try:
        ps = load_policy_set()
        for doc in ps.documents:
            if number in (doc.id, doc.number, doc.display_number) and program in doc.programs:
                return ps.effective(doc, program)[0].get(name)
    except Exception:  # noqa: BLE001 - a document the set cannot read states nothing; the letter says less, never wrong
        return None
    return None


def _amount_basis(decision: Mapping[str, Any], outputs: Mapping[str, tuple[str, str]],
                  quotes: Mapping[str, str]) -> list[str]:
    """What an eligible amount rests on, said before it (decisions §24: the unit may contest its size class): the
    企业划型 and its basis, the 返还基数 and the 返还比例 — the decision's outputs (``wengang evaluate``), else the
    ledger's ``size_class``, ``base_fen`` and ``rate``; a rate not given is the document's own for the class
    (``refund_rate_large`` / ``refund_rate_sme``, cited). Nothing is derived from the amount (a base divided back
    from a rounded amount is not the base)."""
    parts: list[str] = []
    size = outputs.get("size_class", ("", ""))[1] or ""
    code = str(decision.get("size_class") or "").strip()
    if not size and code:
        size = f"{SIZE_ZH[code]}企业" if code in SIZE_ZH else recipient_text(code)
    if size:
        how = outputs.get("size_class_basis", ("", ""))[1]
        parts.append(f"{outputs['size_class'][0] if 'size_class' in outputs else '企业划型'}：{size}" + (f"（划型依据：{recipient_text(str(how))}）" if how else ""))
    base = outputs.get("base", ("", ""))[1]
    if not base and isinstance(decision.get("base_fen"), int):
        base = f"{fen_to_yuan(int(decision['base_fen'])):,}元"
    if base:
        label = outputs["base"][0] if "base" in outputs else "返还基数（企业及其职工上年度实际缴纳失业保险费）"
        parts.append(f"{recipient_text(str(label))}：{base}")
    rate = outputs.get("rate", ("", ""))[1] or str(decision.get("rate") or "")
    cites = [str(c) for o in decision.get("outputs") or () if isinstance(o, Mapping) and o.get("id") == "rate"
             for c in o.get("citations") or ()]
    cite = f"（{'；'.join(_quoted(c, quotes) for c in cites)}）" if rate and cites else ""
    if not rate and code in SIZE_ZH:
        p = _param(decision, "refund_rate_large" if code == "large" else "refund_rate_sme")
        if p is not None and p.value is not None:
            rate = p.formatted()
            cite = f"（{p.citation()}“{p.quote}”）" if p.quote else f"（{p.citation()}）"
    if rate:
        parts.append(f"{recipient_text(str(outputs['rate'][0])) if 'rate' in outputs else '适用返还比例'}：{rate}{cite}")
    if not parts:
        return []
    return ["核定依据：" + "；".join(parts) + "。"]


# screening.holds.REFUSAL_TO_VERIFY (not imported: that module loads polars), the reason a refusal resting on a
# quarantined row carries into the ledger, where it waits as 待认定 (tests/documents/test_s41_case_letters.py pins it)
REFUSAL_TO_VERIFY = "不予发放的结论所依据的数据有误，待核实后认定："
# the note ``casework.outputs.letter_input`` writes with the rules' trace
TRACE_NOTE = "审核情况："


def _verifying(decision: Mapping[str, Any]) -> bool:
    """Whether a 待认定 decision is a refusal held while the data it rests on is verified: its hold reason (``hold_reason``)
    or, in a ledger letter that does not pass it, the trace in its notes says so."""
    texts = [str(decision.get("hold_reason") or ""), *(str(n) for n in decision.get("notes") or ())]
    return any(REFUSAL_TO_VERIFY in t for t in texts)


_NOT_MET = re.compile(r"^不符合[：:]?“(.+)”$|^不符合[：:](.+)$")


def _verified_matters(reasons: Iterable[Any] | None, program: Any, docs: tuple[str, ...]) -> list[str]:
    """The conditions a held refusal's data bears on, said as matters to verify (``不符合“X”`` → ``“X”``), never as a
    refusal; a reason that names no condition is left out."""
    out = []
    for text in _plain(reasons, str(program or "") or None, docs):
        m = _NOT_MET.match(text.rstrip("。"))
        if m:
            out.append(f"“{m.group(1)}”" if m.group(1) else m.group(2))
    return list(dict.fromkeys(out))


def reading_results(decision: Mapping[str, Any], docs: tuple[str, ...] = ()) -> list[str]:
    """A 待认定 decision's result under each understanding, one line each (``按“…”为“…”的理解：符合条件，金额人民币…``), as
    its 告知书 lists them and the caseworker's page shows them. The outcomes list every combination of the open readings;
    combinations that differ only in a reading that changes nothing are one understanding, not several."""
    outcomes = outcome_list(decision)
    results: dict[tuple[Any, Any], Mapping[str, Any]] = {}
    for o in outcomes:
        results.setdefault((o.get("status"), o.get("amount_fen")), o)
    named = _reading_names(outcomes, decision.get("readings_fixed") or {}, docs)
    lines = []
    for n, (key, o) in enumerate(results.items(), start=1):
        amt = o.get("amount_fen")
        zh = STATUS_ZH.get(o.get("status") or "", recipient_text(str(o.get("status"))))
        money = f"，金额{_money(int(amt))}" if amt is not None else ""
        # each understanding by its words, not its number (audit of explanations, session 40: “按第1种理解”)
        which = named.get(key)
        lines.append(f"按{which}的理解：{zh}{money}" if which else f"按第{n}种理解：{zh}{money}")
    return lines


def varying_switches(outcomes: Sequence[Mapping[str, Any]]) -> list[str]:
    """The switches whose reading differs between ``outcomes`` (:func:`outcome_list`), in first-named order: the open
    questions a 待认定 decision's kept results depend on, which ``case adopt`` and the page's 认定政策理解 settle."""
    return [k for k in dict.fromkeys(k for o in outcomes for k in o["readings"])
            if len({o["readings"].get(k) for o in outcomes}) > 1]


def outcome_list(decision: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """A 待认定 decision's outcomes: the list of ``Decision.to_dict`` or the screening's packed text
    (``默认:eligible:143844|fanhuan.months_fully_paid=consecutive:ineligible:``, rules.batch: each entry names the
    readings that differ from the decision's ``readings``; 默认 is those readings)."""
    given = decision.get("outcomes")
    if isinstance(given, list):
        return [o for o in given if isinstance(o, Mapping)]
    if not isinstance(given, str) or not given.strip():
        return []
    base = {str(k): str(v) for k, v in (decision.get("readings") or {}).items()}
    out: list[Mapping[str, Any]] = []
    for entry in given.split("|"):
        m = re.fullmatch(r"\s*([^:]*):([a-z_]+):(-?\d*)\s*", entry)
        if m is None:
            if entry.strip():
                raise DocumentError(f"决定的 outcomes 无法读取：“{entry[:40]}” / decision outcomes: cannot read {entry[:40]!r}")
            continue
        tag, status, fen = m.groups()
        readings = dict(base)
        if tag != "默认":
            for pair in tag.split(","):
                k, _, v = pair.partition("=")
                if not v:
                    raise DocumentError(f"决定的 outcomes 无法读取：“{entry[:40]}” / decision outcomes: cannot read {entry[:40]!r}")
                readings[k.strip()] = v.strip()
        out.append({"readings": readings, "status": status, "amount_fen": int(fen) if fen else None})
    return out


def _screened(decision: Mapping[str, Any]) -> bool:
    """Whether the decision came from 免申即享 screening (the agency compared its own data; the unit applied for
    nothing): ``origin`` ``screening`` (the ledger's), else — a ledger letter that does not pass it — the trace in its
    notes begins with the screening's head (casework.intake: 筛查结论; a case evaluated on an application: 判定结论)."""
    origin = decision.get("origin")
    if origin:
        return origin == "screening"
    return any(str(n).startswith(TRACE_NOTE + "筛查结论") for n in decision.get("notes") or ())


# what only the unit can say of itself, in a 无法判定 decision's missing items: its account, its contact, its own
# statement or commitment; everything else a screening compares is the agency's data (registry, contributions, the
# statistics department's 划型)
_UNIT_GIVES = re.compile(r"对公账户|银行账户|收款账户|开户|联系方式|联系电话|承诺书|确认")


_CHECK_MARK = re.compile(r"[✔✘]\s*")
# what a decision resting on no document carries as its 文号 (casework.intake.NO_POLICY): no 符合条件 决定书 or 公示 cites it
NO_DOCUMENT = frozenset({"无有效政策"})


def _plain(texts: Iterable[Any] | None, program: str | None = None, docs: tuple[str, ...] = ()) -> list[str]:
    """Texts from the decision as the recipient reads them (:func:`.recipient.recipient_text`, a bare code by the
    decision's ``program``), empty ones left out; a switch's title quoted in one as the case's documents (``docs``)
    say it (:func:`wengang.explain.with_letter_titles`)."""
    from wengang.explain import with_letter_titles

    return [t for t in (recipient_text(with_letter_titles(str(x), docs), program) for x in texts or []) if t]


# the reasons that name what a case lacks (rules.engine, screening.evaluate.reason_text: 缺少数据：…, 缺少计算…所需数据,
# 结论取决于缺失的事实…): each asks the recipient for something
_ASKS = ("缺少", "结论取决于缺失的事实")
_ASK = "（请提供能证明该事项的材料或说明）"
_DEPENDS = re.compile(r"^结论取决于缺失的事实(?:“(.*?)”：(.+)|：(.+))$")


_ASK_NO_DOCUMENTS = "（请说明该事项）"


def _asked(reason: str, ask: str = _ASK) -> str:
    """A reason naming what the case lacks as an item of the 补正 list: the thing, then what the recipient can do
    (``ask``; empty: the thing only)."""
    reason = reason.rstrip("。")
    m = _DEPENDS.match(reason)
    if m and m.group(1):
        if not ask:
            return f"{m.group(1)}（结论取决于该事项：{m.group(2)}）"
        return f"{m.group(1)}（{ask.strip('（）')}；结论取决于该事项：{m.group(2)}）"
    if m:
        return m.group(3) + ask
    return reason.removeprefix("缺少数据：").removeprefix("缺少") + ask


def _screened_gaps(program: str, you: str, decision: Mapping[str, Any], missing: list[str], said: list[str],
                   agency_side: list[str]) -> tuple[str, list[str]]:
    """A 无法判定 告知书 for a unit found by 免申即享 screening: it never applied and never had to give anything
    (内人社发〔2025〕18号 四 “通过后台数据比对精准发放，以短信等方式告知企业，无需企业申请”), so it is not told its
    application lacks materials: the agency completes its own data (the 划型, the contributions …), and asks the unit
    only for a fact that is the unit's to give (its account, a statement), as a fact, not a document."""
    ours = [m for m in missing if not _UNIT_GIVES.search(m)]
    theirs = [m for m in missing if _UNIT_GIVES.search(m)]
    paras = [f"经数据比对（免申即享），{you}的{program}事项暂时无法作出认定。"]
    cite = ""
    for name in ("notify_channels", "auto_payment"):
        p = _param(decision, name)
        if p is not None and p.quote:
            cite = f"根据{p.citation()}“{p.quote}”，"
            break
    if ours:
        paras.append(f"{cite}{you}无需申请，也无需提交材料；认定所需的以下数据由本机构核实补全：")
        paras += [f"{n}. {m.rstrip('。')}" for n, m in enumerate(ours, start=1)]
    if theirs:
        paras.append(("此外，" if ours else cite) + f"请{you}告知以下事项（无需提交材料）：")
        paras += [f"{n}. {m.rstrip('。')}" for n, m in enumerate(theirs, start=1)]
    paras += [f"说明：{t.rstrip('。')}。" for t in said]
    if agency_side:
        paras.append(f"认定所需的以下地区数据由本机构依职责确定，无需{you}提供：" + "；".join(dict.fromkeys(agency_side)) + "。")
    basis = _basis(decision)
    if basis:
        paras.append(f"适用文件：{_quoted(basis, decision.get('quotes') or {})}。")
    paras.append("本告知书不是最终决定。本机构核实补全上述数据后将依法作出决定，并另行告知。")
    return f"{program}无法判定告知书", paras


def _undeterminable(program: str, you: str, decision: Mapping[str, Any], agency: Mapping[str, Any]) -> tuple[str, list[str]]:
    """The title and body of a 无法判定 告知书: what the recipient is asked to supply (the facts the decision lacks),
    and apart from it the region figures the agency itself supplies (the recipient cannot, and is not asked to)."""
    reasons = [str(r) for r in decision.get("reasons") or []]
    agency_side = [label for r in reasons for label in region_wait(r) or []]
    named = [label for r in reasons for label in missing_facts(r) or []]
    others = [r for r in reasons if region_wait(r) is None and missing_facts(r) is None]
    unknown = [recipient_text(str(ch.get("label"))) for ch in decision.get("checks") or [] if ch.get("passed") is None]
    # the engine names the facts the case lacks (缺少判定所需数据：…); the other undetermined checks wait for a region
    # figure. Without that line (an older decision) every undetermined check is asked for, unless the case waits for
    # a region figure only
    facts = named if named or agency_side else unknown
    said = _plain(r for r in others if not r.startswith(_ASKS))
    # a reason that names what is missing is a further item to supply; any other (no policy in force, say) explains
    bare = list(dict.fromkeys([*facts, *(t for t in (_asked(r, "") for r in _plain(r for r in others if r.startswith(_ASKS)))
                                          if t)]))
    if _screened(decision) and bare:
        return _screened_gaps(program, you, decision, bare, said, agency_side)
    no_docs = _param(decision, "self_application_no_documents")
    ask = _ASK_NO_DOCUMENTS if no_docs is not None and no_docs.value is True else _ASK
    items = [label + ask for label in facts]
    items += [t for t in (_asked(r, ask) for r in _plain(r for r in others if r.startswith(_ASKS))) if t and t not in items]
    items = list(dict.fromkeys(items))
    paras: list[str] = []
    if items:
        days = agency.get("correction_days")
        due = f"自收到本告知书之日起{days}日内" if days else "在规定期限内"
        if ask == _ASK:
            paras.append(f"经审核，{you}的{program}申请材料不齐全，无法作出认定。请{due}补正以下全部内容：")
        else:  # the document asks for no documents (内人社发〔2025〕18号 四 “自主申请，无需上传材料”): the facts only
            paras.append(f"经审核，{you}的{program}申请尚缺以下事项，无法作出认定。请{due}说明以下全部内容"
                         f"（根据{no_docs.citation()}“{no_docs.quote}”，无需上传材料）：")
        paras += [f"{n}. {item.rstrip('。')}" for n, item in enumerate(items, start=1)]
    elif not agency_side:
        paras.append(f"经审核，{you}的{program}事项暂时无法作出认定。")
    paras += [f"说明：{t.rstrip('。')}。" for t in said]
    if agency_side:
        lead = "此外，" if items else f"经审核，{you}的{program}事项暂时无法作出认定："
        paras.append(f"{lead}认定所需的以下地区数据由本机构依职责确定，无需{you}提供："
                     + "；".join(dict.fromkeys(agency_side)) + "。")
    basis = _basis(decision)
    if basis:
        paras.append(f"适用文件：{_quoted(basis, decision.get('quotes') or {})}。")
    if items:
        paras.append("本告知书不是最终决定。补正后本机构将依法作出决定；逾期未补正的，按有关规定处理。")
        title = f"{program}补正材料告知书" if ask == _ASK else f"{program}补正告知书"
    elif agency_side:
        paras.append("本告知书不是最终决定。本机构确定上述数据后将依法作出决定，并另行告知。")
        # 无法判定 (the agency's figures are missing), not 待认定 (a reading to settle): its own title
        title = f"{program}无法判定告知书"
    else:
        paras.append("本告知书不是最终决定。如有疑问，或需提供说明、材料，请与本机构联系。")
        title = f"{program}事项告知书"
    return title, paras


def _ui_lines(outputs: Mapping[str, tuple[str, str]]) -> list[str]:
    lines = []
    if "monthly_standard" in outputs:
        lines.append(f"失业保险金月标准：{outputs['monthly_standard'][1]}。")
    months = outputs.get("entitled_months") or outputs.get("duration_months")
    if months:
        lines.append(f"领取期限：{months[1]}。")
    if "total" in outputs:
        lines.append(f"合计：{outputs['total'][1]}。")
    if "monthly_standard" not in outputs and "standard_note" in outputs:
        lines.append(f"发放标准：{outputs['standard_note'][1]}。")
    return lines


def _story(letter: Letter) -> list[Any]:
    st = pdf.styles()
    story: list[Any] = [Paragraph(pdf.esc(letter.title), st["title"])]
    if letter.reference:
        story.append(Paragraph(pdf.esc(f"编号：{letter.reference}"), st["subtitle"]))
    story.append(Paragraph(pdf.esc(letter.addressee), st["plain"]))
    story += [Paragraph(pdf.esc(p), st["body"]) for p in letter.paragraphs]
    story += [
        Spacer(1, 40),
        Paragraph(pdf.esc(f"{letter.signatory}{letter.seal}"), st["right"]),
        Paragraph(_zh_date(letter.issued_on), st["right"]),
    ]
    return story


def write_letters_pdf(
    decisions: Iterable[Mapping[str, Any]],
    agency: Mapping[str, Any],
    path: str | Path,
    *,
    per_case_dir: str | Path | None = None,
    issued_on: date | None = None,
) -> list[Path]:
    """One PDF with every letter (a page break between them) at ``path``; with ``per_case_dir`` also one file
    per case there, named ``<n>_<decision_id or program>_<kind>.pdf`` (no identifier in a file name).
    Returns the paths written, the batch first."""
    letters = [compose_letter(d, agency, issued_on=issued_on) for d in decisions]
    if not letters:
        raise DocumentError("没有需要生成的文书 / no decisions given")
    author = str(agency["name"])
    story: list[Any] = []
    for n, letter in enumerate(letters):
        if n:
            story.append(PageBreak())
        story += _story(letter)
    title = letters[0].title if len(letters) == 1 else f"{author}文书（{len(letters)}份）"
    pdf.new_document(path, title=title, author=author, subject="告知书/决定书").build(story)
    written = [Path(path)]
    if per_case_dir is not None:
        out = Path(per_case_dir)
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise os_error(exc, out, "按件输出目录 --per-case", "folder --per-case") from None
        for n, letter in enumerate(letters, start=1):
            stem = re.sub(r"[^\w.-]", "_", str(letter.meta.get("decision_id") or letter.reference
                                               or letter.meta.get("program") or "case"))
            one = out / f"{n:04d}_{stem}_{letter.kind}.pdf"
            pdf.new_document(one, title=letter.title, author=author, subject=letter.kind).build(_story(letter))
            written.append(one)
    return written


def write_letter_pdf(decision: Mapping[str, Any], agency: Mapping[str, Any], path: str | Path,
                     *, issued_on: date | None = None) -> Path:
    """One letter, one file."""
    return write_letters_pdf([decision], agency, path, issued_on=issued_on)[0]

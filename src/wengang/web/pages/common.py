"""What every page handler shares: rendering, form reading, citations as links, pages of a list.

Pages are thin: each handler reads its form, calls the same ledger / engine / documents function the CLI and
the JSON API call, and renders a template under ``templates/pages/``. A refusal (``LedgerError``,
``ApiError``) is shown as a page by ``errors.install`` (a browser asks for ``text/html``); a step that worked
redirects (303, POST/redirect/GET) to a page that says so (``?done=…``, one of ``DONE``).
"""

from __future__ import annotations

import html
import re
from datetime import date
from functools import cache
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import pass_context
from markupsafe import Markup

from wengang.casework.states import state_zh
from wengang.documents.recipient import recipient_text
from wengang.money import format_yuan

from ..auth import mask_id
from ..errors import ApiError
from ..login import TEMPLATES, render

SIZE_ZH = {"large": "大型", "medium": "中型", "small": "小型", "micro": "微型"}
STATUS_ZH = {
    "eligible": "符合条件",
    "ineligible": "不符合条件",
    "needs_decision": "待认定",
    "not_determinable": "无法判定",
}
PAGE_SIZE = 50

# what a redirect after a successful step says (``?done=<key>``): nothing from the address is shown as such
DONE = {
    "confirmed": "已确认接受。收款账户如有变更，须经复核人员复核后生效。",
    "declined": "已登记放弃；本年内仍可申领。",
    "reviewed1": "初审已记录。",
    "reviewed2": "复审已记录。",
    "resolved": "人工认定已记录，可继续告知、审核。",
    "adopted": "政策理解已认定：决定按规则在该理解下的结果办理（记为“按认定的政策理解核定”），可继续告知、审核。",
    # an application settled: it goes to 初审 (an application is not notified as a screened unit is)
    "resolved_applied": "人工认定已记录，申请转入初审。",
    "adopted_applied": "政策理解已认定：申请按规则在该理解下的结果办理（记为“按认定的政策理解核定”），转入初审。",
    "reviewed_many": "批量审核已记录。",
    "account_approved": "收款账户变更已复核。",
    "account_rejected": "收款账户变更已退回。",
    "credit_confirmed": "核实结果已登记：银行入账属实，退回作废，计为已发放（重发的已撤回或追回）。",
    "credit_corrected": "核实结果已登记：银行已更正回盘，退回成立，解除暂停发放。",
    "imported": "筛查结果已导入台账。",
    "publicized": "公示名单已建立。",
    "publicized_before_review": "公示名单已建立。⚠ 公示开始日期早于所列决定的复审日期：公示须在复审通过之后，不能倒签；"
                                "已按补录说明登记，由经办人负责核实。",
    "applied": "技能提升补贴申请已提交，经办机构初审、复审后发放。",
    "applied_pending": "技能提升补贴申请已提交。判定结果取决于经办机构尚未认定的政策理解（待认定）：经办机构认定后按规则结果办理，"
                       "再初审、复审；结果将另行告知。",
    "paid": "发放批次已完成。",
    "account_requested": "收款账户变更申请已登记，须由申请人以外的复核人员复核后生效；复核前不向该账户发放。",
    "notified": "告知已推送，消息已进入待发队列。",
    "sent": "待发消息已发送（失败的留待下次重试）。",
    "payee_banks": "开户行行号已登记。",
}


def yuan(fen: int | None) -> str:
    return "—" if fen is None else format_yuan(int(fen))


def _state(s: str | None, hold_reason: str | None = None) -> str:
    # a held decision named by why it is held (states.held_zh), where the page has its hold reason
    return state_zh(s, hold_reason)


# A paid decision as its payments stand (``Ledger._fate`` of each): ``paid`` is recorded when the payment is made in a
# batch, before any bank file. Until one of its payments has gone to the bank the unit or person is told it is in a
# batch, not 已发放 — the same page's 发放与追回 counts it as 待报盘，尚未发放 (``Ledger.balances``: not_sent_fen).
PAID_NOT_SENT_ZH = "已列入发放批次，待报盘"
PAID_WITH_BANK_ZH = "已发放（已报盘，待银行回盘）"
_LIVE_FATES = frozenset({"credited", "sent", "paid_direct", "not_sent"})  # not withdrawn, not returned


def decision_state_zh(state: str | None, hold_reason: str | None = None, fates: Any = (), *,
                      confirmation_required: bool = True) -> str:
    """The decision's state in Chinese for a page, a paid one by its payments' ``fates`` (``Ledger._fate``): every
    payment still standing not in a bank file → 已列入发放批次，待报盘; some sent, none answered → 已发放（已报盘，待
    银行回盘）; otherwise the state's own name (``states.state_zh``: 已告知（无需确认） where the decision's document
    asks no confirmation, ``procedure.confirmation_required``)."""
    if state == "paid":
        live = [f for f in fates if f in _LIVE_FATES]
        if live and all(f == "not_sent" for f in live):
            return PAID_NOT_SENT_ZH
        if live and all(f in ("not_sent", "sent") for f in live):
            return PAID_WITH_BANK_ZH
    return state_zh(state, hold_reason, confirmation_required=confirmation_required)


def payment_fates(ledger: Any, decision_ids: list[int]) -> dict[int, list[str]]:
    """Decision id → the fates of its payments (``Ledger._fate``, the one place they are read), in one query."""
    from sqlalchemy import select

    from wengang.casework.ledger import Ledger
    from wengang.casework.models import Payment

    if not decision_ids:
        return {}
    P = Payment.__table__.c
    out: dict[int, list[str]] = {}
    for r in ledger.read(select(P.decision_id, Ledger._fate().label("fate")).where(P.decision_id.in_(decision_ids))):
        out.setdefault(int(r["decision_id"]), []).append(r["fate"])
    return out


# who a page is for (the template variable ``audience``): a caseworker reads a decision's reasons, check labels and
# details as the rules wrote them, with the hints only the office can act on (``--setting …``, a field's name in
# brackets, an English code); a unit, a person or the public reads them as a letter does (``recipient_text``)
CASEWORKER = "caseworker"
RECIPIENT = "recipient"


def for_audience(text: object, audience: object = RECIPIENT) -> str:
    """The ``recipient`` filter: ``text`` as a unit or person reads it (``documents.recipient.recipient_text``: no
    command line, no field name in brackets, no English code), unless the page is a caseworker's (``audience`` is
    ``"caseworker"``). Any other audience, or none given, is a recipient's: a page that forgets to say gets the plain
    text, never the office's hints. A text that is only an office hint comes back empty (the template drops it)."""
    if text is None:
        return ""
    return str(text) if audience == CASEWORKER else recipient_text(str(text))


def audience_of(principal: Any) -> str:
    """The audience of a page a signed-in principal opens: an operator's is the caseworker's."""
    return CASEWORKER if getattr(principal, "kind", None) == "operator" else RECIPIENT


def row_state_zh(row: Any) -> str:
    """The ``decision_state`` filter: a listed decision's state in Chinese, 已告知（无需确认） where its document asks
    no confirmation (``procedure.confirmation_required``; the row has ``policy_doc`` and ``program``)."""
    from wengang.casework.procedure import procedure

    needs = True
    if row.get("state") == "notified" and row.get("program"):
        needs = procedure(row.get("policy_doc") or "", row["program"]).confirmation_required
    return state_zh(row.get("state"), confirmation_required=needs)


TEMPLATES.env.filters.update(
    decision_state=row_state_zh,
    recipient=for_audience,
    yuan=yuan,
    state_zh=_state,
    size_zh=lambda s: SIZE_ZH.get(s or "", s or "—"),
    status_zh=lambda s: STATUS_ZH.get(s or "", s or "—"),
    mask=mask_id,
)


def page(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render ``templates/pages/<name>`` with what base.html needs and the ``?done=`` notice, if any."""
    done = request.query_params.get("done")
    if done in DONE and "notice" not in context:
        context["notice"] = DONE[done]
    return render(request, f"pages/{name}", status_code=status_code, **context)


def back(url: str, done: str | None = None) -> RedirectResponse:
    """303 to ``url`` (a local path), saying ``done``."""
    if done:
        url += ("&" if "?" in url else "?") + urlencode({"done": done})
    return RedirectResponse(url, status_code=303)


def led(request: Request) -> Any:
    return request.app.state.ledger


def cfg(request: Request) -> Any:
    return request.app.state.config


async def form(request: Request) -> dict[str, str]:
    """The posted form as text fields (the CSRF token aside; ``auth.authorize`` checked it)."""
    data = await request.form()
    return {k: v.strip() for k, v in data.items() if isinstance(v, str) and k != "csrf_token"}


def need(f: dict[str, str], name: str, label: str) -> str:
    v = f.get(name, "")
    if not v:
        raise ApiError(422, "invalid_input", f"请填写“{label}”", f"{name} is required", name)
    return v


def as_int(
    text: str | None, name: str, label: str, *, lo: int | None = None, hi: int | None = None
) -> int | None:
    if text is None or text == "":
        return None
    try:
        n = int(text)
    except ValueError:
        raise ApiError(
            422, "invalid_input", f"“{label}”应为整数：{text}", f"{name} must be an integer", name
        ) from None
    if (lo is not None and n < lo) or (hi is not None and n > hi):
        # the bound that is there: 应在 1 到 90 之间, or 应不小于 1 / 应不大于 90 when only one is set
        if lo is not None and hi is not None:
            zh, en = f"应在 {lo} 到 {hi} 之间", f"must be between {lo} and {hi}"
        elif lo is not None:
            zh, en = f"应不小于 {lo}", f"must be at least {lo}"
        else:
            zh, en = f"应不大于 {hi}", f"must be at most {hi}"
        raise ApiError(422, "invalid_input", f"“{label}”{zh}：{n}", f"{name} {en}: {n}", name)
    return n


def as_date(text: str | None, name: str, label: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ApiError(
            422, "invalid_input", f"“{label}”应为日期（年-月-日）：{text}", f"{name} must be a date", name
        ) from None


def page_number(request: Request) -> int:
    return as_int(request.query_params.get("page"), "page", "页码", lo=1, hi=10**6) or 1


def pager(request: Request, total: int, current: int, size: int = PAGE_SIZE) -> dict[str, Any]:
    """Previous / next links keeping the filters of the address."""
    last = max(1, (total + size - 1) // size)
    params = {k: v for k, v in request.query_params.multi_items() if k not in ("page", "done")}

    def link(n: int) -> str:
        return request.url.path + "?" + urlencode([*params.items(), ("page", str(n))])

    return {
        "page": current,
        "pages": last,
        "total": total,
        "prev": link(current - 1) if current > 1 else None,
        "next": link(current + 1) if current < last else None,
    }


# ------------------------------------------------------------------ citations as links
@cache
def _citation_pattern() -> tuple[re.Pattern[str], dict[str, tuple[str, frozenset[str]]]]:
    """One pattern for every ``<文号> <条款>`` of the policy set; 文号 → (document id, its clause keys)."""
    from wengang.policies.loader import load_policy_set

    docs: dict[str, tuple[str, frozenset[str]]] = {}
    for d in load_policy_set().documents:
        for key in {d.number, d.display_number} - {None}:
            docs[str(key)] = (d.id, frozenset(d.clauses))
    numbers = sorted(docs, key=len, reverse=True)
    alt = "|".join(re.escape(n) for n in numbers)
    return re.compile(rf"({alt})(?:\s*([^\s，,；;。（(）)\]〕】]+))?"), docs


def clause_url(doc_id: str, clause: str | None = None) -> str:
    """The policy browser's page of a document, at the clause's anchor."""
    return f"/policies/{quote(doc_id)}" + (f"#c-{quote(clause)}" if clause else "")


def cite_url(number: str, clause: str | None) -> str | None:
    """The address of ``<文号> <条款>``, or None for a document outside the policy set."""
    _, docs = _citation_pattern()
    hit = docs.get(number)
    if hit is None:
        return None
    doc_id, clauses = hit
    return clause_url(doc_id, _known_clause(clause, clauses))


def _known_clause(clause: str | None, clauses: frozenset[str]) -> str | None:
    """The clause key a citation names: itself, or its head (``四（二）`` → ``四``) when only that is kept."""
    if not clause:
        return None
    if clause in clauses:
        return clause
    head = re.split(r"[（(]", clause, maxsplit=1)[0]
    return head if head in clauses else None


def linkify(text: str | None) -> Markup:
    """``text`` escaped, each citation of a known document made a link to its clause."""
    if not text:
        return Markup("")
    pattern, docs = _citation_pattern()
    out: list[str] = []
    pos = 0
    for m in pattern.finditer(text):
        number, clause = m.group(1), m.group(2)
        doc_id, clauses = docs[number]
        key = _known_clause(clause, clauses)
        end = m.end() if key else m.end(1)
        shown = text[m.start() : end]
        out.append(html.escape(text[pos : m.start()]))
        title = f"打开{number}{' ' + key if key else ''}条款原文"
        out.append(
            f'<a class="cite" href="{html.escape(clause_url(doc_id, key))}" title="{html.escape(title)}">'
            f"{html.escape(shown)}</a>"
        )
        pos = end
    out.append(html.escape(text[pos:]))
    return Markup("".join(out))


TEMPLATES.env.filters["cite"] = linkify


def beijing_time(value: object) -> str:
    """An ISO timestamp from the ledger (UTC) as Beijing wall time, the time caseworkers read everywhere else."""
    from datetime import UTC, datetime

    from wengang.progress import BEIJING

    text = str(value or "")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return text[:19]
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


TEMPLATES.env.filters["beijing"] = beijing_time


@pass_context
def operator_name(ctx: Any, login: object) -> str | Markup:
    """An operator's display name (张经办, its login in the title for the office to match the audit trail) where
    the ledger has one, else what was recorded (a login no longer registered, a text such as 经办机构); the
    names are read once per request."""
    from sqlalchemy import select

    from wengang.casework.models import Operator

    text = str(login or "")
    request = ctx.get("request")
    if request is None or not text:
        return text
    names = getattr(request.state, "operator_names", None)
    if names is None:
        OP = Operator.__table__.c
        names = {r["login"]: r["display_name"] for r in led(request).read(select(OP.login, OP.display_name))}
        request.state.operator_names = names
    name = names.get(text)
    if not name or name == text:
        return text
    return Markup(f'<span title="登录名 {html.escape(text)}">{html.escape(name)}</span>')


TEMPLATES.env.filters["who"] = operator_name

"""Notices: Chinese templates rendered from a decision, an outbox, and senders.

Delivery is at-least-once from the outbox and exactly-once at the receiver: every message carries its
``idempotency_key`` (UNIQUE in ``case_outbox``), the HTTP gateway is sent it as ``Idempotency-Key`` and
the file sender skips keys it has already written.

Personal data (docs/decisions.md, "Personal data in lists, logs and the outbox"): a message body never holds
a full 公民身份号码, mobile number or bank account (:func:`render` masks them); the outbox stores the recipient
as shown to people (``138****5678``), and the address itself is read from the decision when the message is
sent, so only the gateway receives it; a failure is stored with credentials scrubbed (``last_error``).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from ..documents.masking import mask_recipient, mask_text, scrub_secrets
from ..money import format_yuan
from .errors import LedgerError

PROGRAM_ZH = {
    "fanhuan": "失业保险稳岗返还",
    "skill_subsidy": "技能提升补贴",
    "training_subsidy": "职业培训补贴",
}
CHANNEL_ZH = {
    "corporate_account": "对公账户",
    "tax_payment_account": "社会保险费缴费账户",
    "personal_account": "个人账户",
}
# 人社部发〔2024〕40号 二 / 内人社发〔2025〕18号 一 (the 兵团 draft asks for 弹窗告知稳岗返还资金用途)
PURPOSES = {
    "fanhuan": "职工生活补助、缴纳社会保险费、转岗培训、技能提升培训等稳定就业岗位以及降低生产经营成本支出",
}
CHANNELS = ("sms", "portal", "letter")


# A unit (person) told it would be paid and then refused at 复审, or whose 核准 is revoked, is told so on the channels
# it was informed on (outside audit, session 39: the refusal was never queued). ``step`` says which.
_BUILTIN = {
    "refused": "【人社局】{unit_name}：此前告知{you}的{year}年度{program_zh}{amount}（依据{policy_doc}{clause}），"
               "{step}，不予发放。如有异议，请登录网上经办服务平台或到经办窗口咨询。",
}


@cache
def _template(name: str) -> str:
    if name in _BUILTIN:
        return _BUILTIN[name]
    return resources.files("wengang.casework").joinpath("templates", f"{name}.txt").read_text("utf-8")


def _day(d: Any) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _person(d: dict[str, Any]) -> bool:
    """A decision about a person: its program's rules are about a 个人 (``Ruleset.subject``: 技能提升补贴 …)."""
    return program_subject(d["program"]) == "个人"


@cache
def program_subject(program: str) -> str:
    from wengang.programs import load
    from wengang.rules.engine import RULESETS

    load(program)
    return next((rs.subject for (p, _), rs in RULESETS.items() if p == program), "单位")


def render(template: str, channel: str, d: dict[str, Any], amount_fen: int | None, proc: Any = None,
           **extra: str) -> str:
    """Render ``template`` (offer / inform / reminder / declined / bounced / paid / refused) for ``channel`` from
    decision row ``d``. ``proc`` (``procedure.Procedure``) supplies the waiver sentence: only where the
    document provides a waiver, and then with its own period (晋人社厅发〔2024〕28号 六)."""
    name = f"{template}_{channel}"
    try:
        text = _template(name)
    except FileNotFoundError:
        text = _template(template)
    deadline = d.get("deadline")
    waiver = ""
    if proc is not None and proc.unconfirmed_waived and proc.period_end is not None:
        waiver = f"政策执行期限（至{_day(proc.period_end)}）内未确认且未主动申请的，视为放弃。"
    return mask_text(text.format(
        waiver=waiver,
        unit_name=d["unit_name"],
        year=d["year"],
        program_zh=PROGRAM_ZH.get(d["program"], d["program"]),
        amount=format_yuan(amount_fen or 0),
        policy_doc=d["policy_doc"],
        clause=d["clause"],
        explanation=_recipient_explanation(d),
        deadline=_day(deadline) if deadline else "规定期限",
        # a person is 您, not 贵单位; the use of the money is a 稳岗返还 notion (person audit, session 38)
        you="您" if _person(d) else "贵单位",
        your="您的" if _person(d) else "贵单位",
        purposes=f"资金用途：{PURPOSES[d['program']]}" if d["program"] in PURPOSES else "",
        channel_zh=CHANNEL_ZH.get(d["payment_channel"], d["payment_channel"]),
        **extra,
    ).strip())  # a person's name may be missing and the unit_name fall back to the ID number


def _recipient_explanation(d: dict[str, Any]) -> str:
    """The decision's explanation as its unit or person reads it in a message: the trace without the agency's
    verification flags (``outputs.recipient_trace``), each line in plain Chinese (``recipient_text``), as letters say it."""
    from wengang.documents.recipient import recipient_text

    from .outputs import UNDECIDED, recipient_trace

    trace = recipient_trace(d.get("explanation"), d["program"], d.get("state") in UNDECIDED)
    return "\n".join(recipient_text(line) for line in trace)


def address(d: dict[str, Any]) -> str:
    """Where a decision's messages go: its contact (a mobile number), else the unit's (person's) identifier,
    which is its account on the online service platform."""
    return d.get("contact") or d["unit_id"]


def shown_recipient(d: dict[str, Any]) -> str:
    """The recipient as the outbox stores and shows it (mobile and ID numbers masked)."""
    return mask_recipient(address(d))


def failure_text(exc: BaseException, limit: int = 500) -> str:
    """A sender's failure as stored in ``case_outbox.last_error``: credentials (a gateway URL's user and
    password, token/key/secret/sign parameters, Authorization headers) and identifiers scrubbed."""
    return scrub_secrets(f"{type(exc).__name__}: {exc}")[:limit]


class Sender(Protocol):
    """Delivers one message. Must be idempotent on ``key``; raise on failure (the outbox retries)."""

    def send(self, *, key: str, channel: str, recipient: str, body: str) -> None: ...


class FileSender:
    """Default sender: appends one JSON line per message to a file; a key already written is skipped.

    The file is a record of what was sent, for people to read (no gateway is configured): the recipient is
    written masked, as the outbox shows it. Messages reach a real SMS or portal gateway through
    :class:`HttpSender` (``wengang case send --gateway``).
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._seen: set[str] = set()
        if self.path.exists():
            try:
                for line in self.path.read_text("utf-8").splitlines():
                    if line.strip():
                        self._seen.add(json.loads(line)["key"])
            except (OSError, ValueError, KeyError, TypeError) as exc:  # ValueError: not UTF-8, not JSON
                raise LedgerError(
                    "bad_outbox", f"待发消息文件 {self.path} 不是本系统写出的文件（每行一个含 key 的 JSON 对象；{type(exc).__name__}）",
                    f"outbox file {self.path} was not written by wengang (one JSON object with a key per line)",
                ) from None

    def send(self, *, key: str, channel: str, recipient: str, body: str) -> None:
        if key in self._seen:
            return
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"key": key, "channel": channel, "recipient": mask_recipient(recipient),
                                "body": mask_text(body)}, ensure_ascii=False) + "\n")
        self._seen.add(key)


class HttpSender:
    """Posts to an SMS/portal gateway: ``POST {base_url}/messages`` with header ``Idempotency-Key``.

    2xx and 409 (already have it) count as delivered; anything else raises and the outbox retries (the error
    is stored scrubbed of the URL's credentials and of ``token``: :func:`failure_text`).
    """

    def __init__(self, base_url: str, *, timeout: float = 5.0, token: str | None = None):
        import httpx

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(base_url=base_url, timeout=timeout, headers=headers)

    def send(self, *, key: str, channel: str, recipient: str, body: str) -> None:
        r = self._client.post(
            "/messages",
            headers={"Idempotency-Key": key},
            json={"channel": channel, "recipient": recipient, "body": body},
        )
        if r.status_code != 409:
            r.raise_for_status()

    def close(self) -> None:
        self._client.close()

"""A 单位's and a 个人's own pages: their decisions, confirming or declining a refund, and the 技能提升补贴.

A unit or person sees only decisions bound to its own 统一社会信用代码 / 公民身份号码 (``Principal.subject``).
The person's check evaluates with their own ID number (never one typed in); applying creates the application
the way ``wengang case skill-apply`` does (``wengang evaluate`` output → ``intake.decision_from_obj`` →
``Ledger.apply_skill_subsidy``), recorded by the portal operator with the account named in the audit trail.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from sqlalchemy import select

from wengang.beijing import beijing_today
from wengang.casework import query
from wengang.casework.models import Decision
from wengang.casework.procedure import procedure
from wengang.facts.person import LEVEL_ZH

from ..auth import current_principal
from ..errors import ApiError
from . import router
from .common import RECIPIENT, as_date, as_int, back, cfg, decision_state_zh, form, led, page, payment_fates

D = Decision.__table__.c


def _own_rows(request: Request, subject: str) -> list[dict[str, Any]]:
    from wengang.policies.required import PROGRAM_LABELS

    rows = led(request).read(
        select(
            D.id,
            D.program,
            D.year,
            D.state,
            D.policy_doc,
            D.claim_key,
            D.unit_name,
            query.amount_sql().label("amount_fen"),
            D.account_no.is_not(None).label("has_account"),
            D.changed_at,
        )
        .where(D.unit_id == subject)
        .order_by(D.year.desc(), D.id)
    )
    fates = payment_fates(led(request), [r["id"] for r in rows if r["state"] == "paid"])
    for r in rows:
        r["program_label"] = PROGRAM_LABELS.get(r["program"], r["program"])
        r["claim_shown"] = claim_shown(r["claim_key"])
        # a paid decision as its payments stand: in a batch and not yet in a bank file is not 已发放
        r["state_shown"] = decision_state_zh(r["state"], None, fates.get(r["id"], ()), confirmation_required=procedure(
            r["policy_doc"], r["program"]).confirmation_required)  # 已告知（无需确认） where the document asks none
    return rows


@router.get("/unit", include_in_schema=False)
def unit_home(request: Request) -> Response:
    from wengang.policies.required import PROGRAM_LABELS

    p = current_principal(request)
    assert p.subject is not None
    bal = led(request).balances(unit_id=p.subject)
    for b in bal:  # the program by its Chinese name (稳岗返还), never its code
        b["program_label"] = PROGRAM_LABELS.get(b["program"], b["program"])
    return page(request, "unit.html", rows=_own_rows(request, p.subject), balances=bal)


# ------------------------------------------------------------------ 个人：技能提升补贴
LEVELS = LEVEL_ZH  # the one list of level names (facts.person): the form's choices and 我的申请


def claim_shown(claim_key: str | None) -> str:
    """A 技能提升补贴 claim key (``6-31-01-03:4``, occupation code and level) as a person reads it:
    ``6-31-01-03 中级（四级）``; any other key unchanged."""
    code, sep, level = (claim_key or "").rpartition(":")
    if sep and level.isdigit() and int(level) in LEVEL_ZH:
        return f"{code} {LEVEL_ZH[int(level)]}"
    return claim_key or ""
PERSON_STATUS = {
    "employed_worker": "企业在职职工",
    "benefit_recipient": "正在领取失业保险金人员",
    "other": "其他",
}
CERT_TYPES = {
    "skill_level": "职业技能等级证书",
    "vocational_qualification": "技能人员职业资格证书",
    "special_ability": "专项职业能力证书",
}
TRI = {"": "不清楚", "yes": "是", "no": "否"}
MONTHS = {
    "insured_months_cumulative": "截至申领日累计参加失业保险月数",
    "insured_months_continuous": "截至申领日连续参加失业保险月数",
    "insured_months_cumulative_at_certificate": "取得证书时累计参保月数",
    "insured_months_continuous_at_certificate": "取得证书时连续参保月数",
}
DEFAULTS = {
    "application_date": "",
    "person_status": "employed_worker",
    **dict.fromkeys(MONTHS, ""),
    "insured_region": "150502",
    "occupation_code": "",
    "occupation_name": "",
    "level": "4",
    "certificate_type": "skill_level",
    "certificate_issue_date": "",
    "certificate_region": "150502",
    "evaluation_body": "",
    "urgent_occupation": "",
    "none_before": "",
}


def _person_facts(f: dict[str, str], id_number: str, name: str) -> tuple[str, date, dict[str, Any]]:
    """The facts of the form (the ID number is the account's own), the region and the application date."""
    on = as_date(f.get("application_date") or beijing_today().isoformat(), "application_date", "申领日期")
    assert on is not None
    region = f.get("insured_region") or ""
    if not region:
        raise ApiError(
            422, "invalid_input", "请填写“参保地行政区划代码”", "insured_region is required", "insured_region"
        )
    months = {name: as_int(f.get(name), name, label, lo=0, hi=1200) for name, label in MONTHS.items()}
    level = as_int(f.get("level"), "level", "证书等级", lo=1, hi=5)
    facts: dict[str, Any] = {
        "id_number": id_number,
        "name": name,
        "application_date": on.isoformat(),
        "person_status": f.get("person_status") or "employed_worker",
        **months,
        "insured_region": region,
        "occupation_code": f.get("occupation_code", ""),
        "occupation_name": f.get("occupation_name", ""),
        "level": level,
        "certificate_type": f.get("certificate_type") or "skill_level",
        "certificate_issue_date": f.get("certificate_issue_date") or None,
        "certificate_region": f.get("certificate_region") or None,
        "evaluation_body": f.get("evaluation_body", ""),
        "urgent_occupation": {"yes": True, "no": False}.get(f.get("urgent_occupation", "")),
    }
    if f.get("none_before") == "yes":  # the person states they had none of these before
        facts.update(past_subsidies=[], held_certificates=[], training_subsidies=[])
    return region, on, facts


@functools.cache
def form_labels(template: str) -> dict[str, str]:
    """A page form's own labels (``<label for="field">标签</label>`` in ``templates/pages/<template>``), by field."""
    source = (Path(__file__).parents[1] / "templates" / "pages" / template).read_text(encoding="utf-8")
    return {k: v.strip() for k, v in re.findall(r'<label for="(\w+)"[^>]*>([^<{]+)</label>', source)}


_HEADER = re.compile(r"表头“([^”]+)”")


def _evaluate(program: str, region: str, on: date, facts: dict[str, Any],
              labels: dict[str, str] | None = None) -> Any:
    """``wengang evaluate``: the rules on one case (nothing stored). Input problems → 422 with the field: on a page
    (``labels``: the form's own labels by field) the field as the form names it, never the rules' internal name
    (``paid_premium_last_year_fen（表头“paid_premium_last_year_yuan”）``: outside web audit, session 42)."""
    from wengang.evaluate import InvalidFacts, evaluate
    from wengang.programs import load_all

    load_all()  # registers the interpretation switches

    try:
        return evaluate(program, region, on, facts)
    except InvalidFacts as exc:
        field, zh, en = exc.problems[0]
        header = _HEADER.search(field)
        name = header.group(1) if header else field.split("（")[0]
        if labels is not None and name in labels:
            raise ApiError(422, "invalid_facts", f"“{labels[name]}”：{zh}", f"field {name}: {en}", name) from None
        raise ApiError(422, "invalid_facts", f"字段 {field}：{zh}", f"field {field}: {en}", field) from None
    except (ValueError, LookupError) as exc:
        text = str(exc.args[0]) if exc.args else str(exc)
        zh, _, en = text.partition(" / ")
        raise ApiError(422, "invalid_input", zh, en or zh) from None


_PERSON_LABELS = {**form_labels("person.html"), **MONTHS}


def _person_page(request: Request, f: dict[str, str], result: Any = None, status: int = 200) -> Response:
    p = current_principal(request)
    assert p.subject is not None
    values = {**DEFAULTS, "application_date": beijing_today().isoformat(), **f}
    return page(
        request,
        "person.html",
        status_code=status,
        rows=_own_rows(request, p.subject),
        values=values,
        levels=LEVELS,
        months=MONTHS,
        statuses=PERSON_STATUS,
        cert_types=CERT_TYPES,
        tri=TRI,
        result=result,
        audience=RECIPIENT,  # the person's own page: reasons as a letter says them, never the office's hints
    )


@router.get("/person", include_in_schema=False)
def person_home(request: Request) -> Response:
    return _person_page(request, {})


@router.post("/person/check", include_in_schema=False)
async def person_check(request: Request) -> Response:
    p = current_principal(request)
    f = await form(request)
    region, on, facts = _person_facts(f, p.subject or "", p.display_name)
    d = await run_in_threadpool(_evaluate, "skill_subsidy", region, on, facts, _PERSON_LABELS)
    return _person_page(request, f, result=_result(d))


@router.post("/person/apply", include_in_schema=False)
async def person_apply(request: Request) -> Response:
    from wengang.casework.intake import decision_from_obj

    p = current_principal(request)
    f = await form(request)
    region, on, facts = _person_facts(f, p.subject or "", p.display_name)
    d = await run_in_threadpool(_evaluate, "skill_subsidy", region, on, facts, _PERSON_LABELS)
    # 待认定 (the result rests on a reading the agency has not settled) is registered as such, its results by reading
    # kept, and settled by the agency before 初审; a refusal or a case lacking data is not registered
    if d.status not in ("eligible", "needs_decision"):
        return _person_page(request, f, result={**_result(d), "refused": True}, status=422)
    from ..api_casework import masked_name, person_apply_reason

    dec = masked_name(decision_from_obj(json.loads(json.dumps(d.to_dict(), default=str)), facts=facts))

    # as POST /api/v1/applications/skill-subsidy: the person's own account named in the audit event (session 40:
    # recorded with an empty reason, the person's history showed it as 经办机构's)
    actor, why = cfg(request).portal_operator, person_apply_reason(p)
    await run_in_threadpool(lambda: led(request).apply_skill_subsidy(dec, actor, reason=why))
    return back("/person", "applied" if d.status == "eligible" else "applied_pending")


def _result(d: Any) -> dict[str, Any]:
    """What the page shows of a rules decision: outcome, amount, reasons and each check with its citations."""
    from wengang.explain import explain

    return {
        "status": d.status,
        "status_zh": d.status_zh,
        "amount_fen": d.amount_fen,
        "reasons": list(d.reasons),
        "checks": [
            {
                "mark": c.mark,
                "label": c.label,
                "detail": c.detail,
                "citations": list(c.citations),
                "flag": c.kind == "flag",
            }
            for c in d.checks
        ],
        "flags": list(d.flags),
        "policy": d.policy_citation if d.policy_number else None,
        "letter": explain(d),
    }

"""The demo ledger ``wengang serve`` starts with: the casework story (``story.run_story``) on a small 通辽 region,
then a few cases left mid-way so the pages show decisions in several states, and one web login per role.

After the story: 已发放 (paid), 不符合条件 (not eligible), 待认定, 已公示 (no account yet); added here: one unit
screened and notified (待单位确认: the unit account ``danwei`` can confirm or decline it), and one person's
技能提升补贴 application first-reviewed (待复审, the person account ``geren``) and another unit's self-application
(已申请). The web logins get one password each, printed by ``wengang serve``; the accounts are audit events.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from wengang.story import CLERK, PROGRAM, STAFF, YEAR

PORTAL = ("portal", "经办", "网上经办平台")  # records the steps units and persons take themselves
UNIT_FACTS: dict[str, Any] = {
    "credit_code": "91150502MA0N1234XN", "name": "通辽市科尔沁区顺达商贸有限公司", "region_code": "150502",
    "org_type": "enterprise", "size_class": "small", "months_fully_paid": 36, "paid_premium_last_year_yuan": "18640.50",
    "backpay_other_years_fen": 0, "insured_headcount": 42, "avg_insured_last_year": 43, "layoffs_last_year": 0,
    "normal_attrition_last_year": 2, "has_corporate_account": True,
}
APPLICANT_FACTS: dict[str, Any] = {**UNIT_FACTS, "credit_code": "91150502MA0N5678XD", "name": "通辽市科尔沁区永兴建材有限公司"}
PERSON_FACTS: dict[str, Any] = {
    "id_number": "152301199001010015", "name": "张三", "application_date": "2025-08-01",
    "person_status": "employed_worker", "insured_months_cumulative": 30, "insured_months_continuous": 30,
    "insured_months_cumulative_at_certificate": 28, "insured_months_continuous_at_certificate": 28,
    "insured_region": "150502", "occupation_code": "6-31-01-03", "occupation_name": "电工", "level": 4,
    "certificate_type": "skill_level", "certificate_issue_date": "2025-06-01", "certificate_region": "140300",
    "evaluation_body": "阳泉市某评价机构", "urgent_occupation": False, "past_subsidies": [], "held_certificates": [],
    "training_subsidies": [],
}


@dataclass
class DemoLogin:
    login: str
    password: str
    role_zh: str
    display: str


def _password(secret: str, login: str) -> str:
    """A demo password derived from the server's key (so a restart with the same key keeps them)."""
    return "wg-" + hashlib.sha256(f"{secret}:{login}".encode()).hexdigest()[:12]


def _decision(program: str, region: str, on: date, facts: dict[str, Any]) -> Any:
    from wengang.casework.intake import decision_from_obj
    from wengang.evaluate import evaluate
    from wengang.programs import load_all

    load_all()

    ev = evaluate(program, region, on, dict(facts))
    return decision_from_obj(json.loads(json.dumps(ev.to_dict(), default=str)), facts=facts)


def signing(out: Path) -> tuple[str, str]:
    """The demo's signing key and checkpoint file (``wengang demo story`` made them): the web service over the demo
    ledger seals with them (``WebConfig.signing_key``, ``checkpoints``)."""
    return str(out / "keys" / "checkpoint.key"), str(out / "checkpoints.jsonl")


def build(out: Path, *, db_url: str, secret: str, units: int = 200, say: Any = print,
          over_env: bool = False) -> list[DemoLogin]:
    """Run the story into ``out`` (ledger at ``db_url``), add the mid-way cases and the web logins.

    Refused (``LedgerError`` ``env_ledger``, nothing built) while ``WENGANG_DB`` names a ledger, unless ``over_env``
    (an explicit ``--demo``): a service started in that shell is meant to serve that ledger, not a demo with demo
    logins (``config.demo_refused``; docs/decisions.md §103)."""
    from wengang.casework import Ledger, RunIn
    from wengang.casework.errors import LedgerError

    from .config import demo_refused

    why = None if over_env else demo_refused()
    if why is not None:
        zh, _, en = why.partition(" / ")
        raise LedgerError("env_ledger", zh, en)
    from wengang.casework.checkpoints import signer_from
    from wengang.casework.operators import add_operator
    from wengang.story import run_story

    from . import accounts

    run_story(out, db_url=db_url, units=units, say=say)
    say("15 网上经办演示：待确认的单位、自主申请、技能提升补贴申请、各角色登录账户 / web demo cases and logins")
    led = Ledger.open(db_url)
    led.checkpointer = signer_from(*signing(out), db_url)  # the story sealed the ledger with its key
    try:
        add_operator(led, PORTAL[0], roles=[PORTAL[1]], display_name=PORTAL[2], actor="admin")
        unit = _decision("fanhuan", "150502", date(2025, 8, 1), UNIT_FACTS)
        run = RunIn(PROGRAM, YEAR, "150500", {"web-demo": hashlib.sha256(b"web-demo").hexdigest()},
                    {unit.policy_doc: "web-demo"})
        led.import_decisions(run, [unit], CLERK)
        led.notify(PROGRAM, YEAR, CLERK, channels=("sms",))
        led.self_apply(_decision("fanhuan", "150502", date(2025, 8, 1), APPLICANT_FACTS), CLERK)
        did = led.apply_skill_subsidy(_decision("skill_subsidy", "150502", date(2025, 9, 1), PERSON_FACTS), CLERK)
        led.first_review(did, CLERK, approve=True, reason="证书与参保记录核对一致，初审通过")

        logins = []
        for login, role, display in STAFF:  # the portal operator never signs in
            pw = _password(secret, login)
            accounts.set_password(led, login, pw, actor="admin")
            logins.append(DemoLogin(login, pw, role, display))
        for login, kind, subject, display in (("danwei", "unit", UNIT_FACTS["credit_code"], UNIT_FACTS["name"]),
                                              ("geren", "person", PERSON_FACTS["id_number"], PERSON_FACTS["name"])):
            pw = _password(secret, login)
            accounts.add_portal_account(led, login, pw, kind=kind, subject=subject, actor="admin", display_name=display)
            logins.append(DemoLogin(login, pw, "单位" if kind == "unit" else "个人", display))
        return logins
    finally:
        led.close()

"""Messages to a person say 您, not 贵单位, and carry no 资金用途 line (a 稳岗返还 notion) — person audit, session 38:
“贵单位符合2025年度技能提升补贴条件，将发放1,500.00元至贵单位个人账户…资金用途：按规定用途使用”."""

from __future__ import annotations

from wengang.casework.notices import render

BASE = {"unit_name": "张三", "year": 2025, "policy_doc": "内人社发〔2025〕18号", "clause": "二", "deadline": None,
        "explanation": "", "reasons": "", "flags": ""}


def test_a_person_is_addressed_as_such_and_a_unit_as_before():
    person = render("inform", "sms", {**BASE, "program": "skill_subsidy", "payment_channel": "personal_account"}, 150_000)
    assert "您符合2025年度技能提升补贴条件" in person and "至您的个人账户" in person
    assert "贵单位" not in person and "资金用途" not in person
    unit = render("inform", "sms", {**BASE, "unit_name": "通辽某公司", "program": "fanhuan",
                                    "payment_channel": "corporate_account"}, 150_000)
    assert "贵单位符合2025年度失业保险稳岗返还条件" in unit and "资金用途：职工生活补助" in unit
    paid = render("paid", "sms", {**BASE, "program": "skill_subsidy", "payment_channel": "personal_account"}, 150_000)
    assert "已发放至您的个人账户" in paid and "资金用途" not in paid

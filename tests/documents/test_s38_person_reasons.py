"""A refusal reason written as a bare check code reads as the decision's own program's check (person audit, session 38:
half the 不予核准 letters to persons said only “不符合有关条件”, because ``per_year`` and ``insured`` are checks of several
programs)."""

from __future__ import annotations

from wengang.documents.letters import _plain
from wengang.documents.recipient import recipient_text


def test_a_shared_check_code_reads_as_the_programs_own_refusal():
    assert recipient_text("per_year") == "不符合有关条件"  # no program: several programs' checks share the code
    said = recipient_text("per_year", "skill_subsidy")
    assert "本年度已享受技能提升补贴" in said and "每人每年次数上限" in said
    assert "参加失业保险时间不足" in recipient_text("insured", "skill_subsidy")
    assert _plain(["per_year", "insured"], "skill_subsidy") == [said, recipient_text("insured", "skill_subsidy")]

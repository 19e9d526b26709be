"""A blank the rules themselves give a meaning is never "the fact the case lacks" (session 43).

``serious_dishonesty_refund_year`` and its two siblings are read as ``Coalesce(flag, status found on review)``: a
blank means "as found on review" (fanhuan.exclusion_status_date=refund_year). They were counted among the bounded
facts a case may lack, so a screen with the columns blank (every raw screen) stacked every undeterminable row for a
second pass that could change nothing (1.2 s of the 1 M screen), and a case could have one named as lacking.
"""

from __future__ import annotations

from datetime import date

import wengang.programs  # noqa: F401  (registers the rulesets)
from wengang.evaluate import ruleset_for
from wengang.policies import load_policy_set
from wengang.rules.engine import _facts_whose_null_may_matter, bounded_facts
from wengang.rules.expr import BOOL, Coalesce, Fact, Lit

REFUND_YEAR = {"serious_dishonesty_refund_year", "zombie_clearance_refund_year", "env_noncompliant_refund_year"}


def _ruleset():
    res = load_policy_set().resolve(region="150500", on=date(2025, 8, 1), program="fanhuan")
    return ruleset_for("fanhuan", res.ruleset), res


def test_the_refund_year_flags_are_not_bounded_facts() -> None:
    rs, res = _ruleset()
    read = {n.name for e in rs.active_exprs(res.params) for n in e.walk() if isinstance(n, Fact)}
    assert REFUND_YEAR <= read  # the rules do read them (under the refund_year reading)
    assert not REFUND_YEAR & set(bounded_facts(rs, res.params))


def test_only_a_fallback_that_is_never_null_guards_a_blank() -> None:
    rs, _ = _ruleset()
    flag, status = Fact("serious_dishonesty_refund_year", "x", BOOL), Fact("serious_dishonesty", "x", BOOL)
    other = Fact("zombie_clearance_refund_year", "x", BOOL)
    # a fallback never null (a non-optional field, a literal): the blank has a meaning
    assert _facts_whose_null_may_matter(rs, [Coalesce(flag, status)]) == {"serious_dishonesty"}
    assert _facts_whose_null_may_matter(rs, [Coalesce(flag, Lit(False))]) == set()
    # a fallback that may itself be blank guards nothing: both may be what the case lacks
    assert _facts_whose_null_may_matter(rs, [Coalesce(flag, other)]) == {flag.name, other.name}
    # read elsewhere without a fallback: it may matter
    assert _facts_whose_null_may_matter(rs, [Coalesce(flag, Lit(False)), flag & status]) == {flag.name, "serious_dishonesty"}

"""Checks the policy and the readings fix to true are left out of the status, reasons and flags.

With the peer benchmark's table (no column for the months-total, the layoff-rate-given, the payment-account or the
dispatch checks, whose defaults pass), four of the ten checks compile to the literal true: the status, reasons and
flags must not read their staged columns (a smaller plan for Polars to optimise per query), and the results are those
of the same table screened row by row (``tests/rules/test_ranges.py`` and the programs' property tests compare the
compiled rules with the one-case engine over every reading).
"""

from __future__ import annotations

from tests.rules.test_ranges import _plan


def _roots(exprs: list, name: str) -> set[str]:
    (e,) = [e for e in exprs if e.meta.output_name() == name]
    return set(e.meta.root_names())


def test_checks_fixed_to_true_are_not_read() -> None:
    plan = _plan(None)
    literal_true = {e.meta.output_name() for e in plan.variants if e.meta.is_literal(allow_aliasing=True)}
    assert {n.split("__")[1] for n in literal_true} == {"c2", "c4", "c8", "c9", "c10", "c11"}
    # c10: size_class_known (s41); c11: overpaid_months (s42), a flag on a column the peer's table lacks
    read = _roots(plan.final, "status") | _roots(plan.final, "reasons") | _roots(plan.final, "flags")
    assert read and not (read & literal_true)
    assert _roots(plan.final, "flags") == set()  # every flag passes: the flags are the empty text, read from nothing
    # the checks that can fail are still read (c5, the dishonesty list, named by its status-date reading)
    assert {n.split("__")[1] for n in _roots(plan.final, "reasons")} >= {"c0", "c5"}

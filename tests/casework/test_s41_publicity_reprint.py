"""A 公示 list printed again after a 划型变更 shows the amounts it was posted with (outside reports audit, session 41:
after `case resize 1 large` the reprinted GS-2025-01 showed the new amount and total under the old 公示期 and 落款);
today's entitlement is beside it for the caseworker."""

from __future__ import annotations

from ledger_helpers import to_payable


def test_a_reprinted_list_shows_the_amounts_posted_and_today_beside_them(ledger):
    ids = to_payable(ledger, 2)
    before = {e["id"]: e["amount_fen"] for e in ledger.publicity_view("gs-0")["entries"]}
    ledger.change_size_class(ids[0], "checker", new_size_class="large", reason="划型更正")
    now = ledger.decision(ids[0])
    view = {e["id"]: e for e in ledger.publicity_view("gs-0")["entries"]}
    assert {i: e["amount_fen"] for i, e in view.items()} == before
    assert view[ids[0]]["amount_now_fen"] != before[ids[0]]
    assert view[ids[1]]["amount_now_fen"] == before[ids[1]]
    assert now["id"] == ids[0]


def test_a_decision_resized_before_it_was_listed_is_listed_with_its_new_amount(ledger):
    from datetime import date

    from ledger_helpers import DEADLINE, RUN, TODAY, decision

    ledger.import_decisions(RUN, [decision(0)], "clerk")
    ledger.notify("fanhuan", 2025, "clerk", deadline=DEADLINE, channels=("sms",))
    did = ledger.find(program="fanhuan", year=2025, unit_id=decision(0).unit_id)
    assert ledger.confirm_many([did], "clerk", today=TODAY) == 1
    ledger.change_size_class(did, "checker", new_size_class="large", reason="划型更正")
    assert ledger.review_many([did], "clerk", stage=1, approve=True, reason="初审通过") == 1
    assert ledger.review_many([did], "checker", stage=2, approve=True, reason="复审通过") == 1
    ledger.publicize("gs-x", "fanhuan", 2025, "clerk", starts_on=date(2025, 10, 1), days=7)
    (entry,) = ledger.publicity_view("gs-x")["entries"]
    assert entry["amount_fen"] == entry["amount_now_fen"] != decision(0).amount_fen

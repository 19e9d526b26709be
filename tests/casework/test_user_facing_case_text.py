"""No internal codes in what the ledger shows or sends: ``case show``, letters to units, audit action names."""

from __future__ import annotations

import ast
import re
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from ledger_helpers import staffed
from tests.docs.text_checks import codes_in, screen_small_region
from typer.testing import CliRunner

from wengang.casework.cli import case_app
from wengang.casework.outputs import letter_input
from wengang.casework.states import ACTION_ZH
from wengang.documents.letters import compose_letter

runner = CliRunner()
AGENCY = {
    "name": "通辽市人力资源和社会保障局",
    "review_body": "通辽市人民政府",
    "court": "通辽市科尔沁区人民法院",
}


@pytest.fixture(scope="module")
def screened(tmp_path_factory) -> Path:
    return screen_small_region(tmp_path_factory.mktemp("screen"), excel=False)


def _case(db, *args: str) -> str:
    url = db.url if db.schema is None else f"{db.url}?options={quote(f'-csearch_path={db.schema}')}"
    r = runner.invoke(case_app, [*args, "--db", url])
    assert r.exit_code == 0, r.output
    return r.output


def test_case_show_and_letters_name_readings_in_chinese(db, screened):
    staffed(db)
    _case(db, "import", str(screened), "-u", "clerk")
    led = db.open()
    try:
        with led.engine.connect() as c:
            ids = dict(c.exec_driver_sql("select status, min(id) from case_decisions group by status").all())
        assert {"eligible", "ineligible", "needs_decision"} <= set(ids)
        for status, did in ids.items():
            shown = " ".join(_case(db, "show", str(did), "-u", "clerk").split())
            assert codes_in(shown) == [], (status, codes_in(shown))
            view = led.letter_view(did)
            if status == "needs_decision":
                # open readings are named as open, not listed as adopted defaults
                assert "尚待认定的政策理解：" in shown
                assert "（fanhuan.size_class_where_silent）" in shown  # the switch's name for the caseworker
            else:
                assert (
                    "采用的政策理解：“足额缴纳失业保险费12个月以上”是否要求连续：累计足额缴费满12个月即可"
                    in shown
                )
            if status == "eligible":  # a letter follows the review
                led.first_review(did, "clerk", approve=True, reason="材料齐全")
                led.second_review(did, "checker", approve=True, reason="复审通过")
                view = led.letter_view(did)
            item = letter_input(view)
            assert item is not None, status
            letter = "\n".join(compose_letter(item, AGENCY, issued_on=date(2025, 9, 1)).paragraphs)
            assert codes_in(letter) == [], (status, codes_in(letter))
            assert not re.search(r"[a-z_]+\.[a-z_]+", letter), letter  # no switch names
            if status == "needs_decision":
                assert "尚待认定的政策理解：" in letter and "采用的政策理解：“" in letter
    finally:
        led.close()


def test_letter_of_an_older_import_translates_raw_readings():
    """A decision imported before readings were written in Chinese: its letter says them in Chinese, and a 待认定
    letter does not call the defaults adopted."""
    raw = "采用的政策理解：fanhuan.months_fully_paid=cumulative，fanhuan.normal_attrition=excluded"
    base = {
        "id": 1,
        "program": "fanhuan",
        "unit_id": "91150502MA0N1234XN",
        "unit_name": "某公司",
        "policy_doc": "内人社发〔2025〕18号",
        "clause": "一",
        "explanation": "筛查结论：不符合条件\n" + raw,
        "reviews": [],
        "history": [],
        "year": 2025,
        "entitlement": {"amount_fen": None},
        "reasons": ["不符合“上年度未裁员”"],
        "disqualification": None,
        "status": "ineligible",
        "state": "not_eligible",
    }
    refused = letter_input(base)
    assert refused is not None
    notes = "".join(refused["notes"])
    assert "采用的政策理解：“足额缴纳失业保险费12个月以上”是否要求连续：累计足额缴费满12个月即可" in notes
    assert codes_in(notes) == []
    pending = letter_input({**base, "status": "needs_decision", "state": "pending_determination"})
    assert pending is not None and "采用的政策理解" not in "".join(pending["notes"])
    assert codes_in("".join(pending["notes"] + pending["reasons"])) == []


def _ledger_actions() -> dict[str, str]:
    """Every audit action the casework code writes, found in its source: ``action="…"`` (and a constant or a
    conditional of them), ``action = "…"``, a transition's name given to ``_move``; an f-string as a pattern."""
    found: dict[str, str] = {}
    for f in sorted(Path("src/wengang/casework").glob("*.py")):
        tree = ast.parse(f.read_text(encoding="utf-8"))
        consts = {
            t.id: n.value.value
            for n in tree.body
            if isinstance(n, ast.Assign)
            and isinstance(n.value, ast.Constant)
            and isinstance(n.value.value, str)
            for t in n.targets
            if isinstance(t, ast.Name)
        }

        def strings(node: ast.AST, consts: dict[str, str] = consts) -> list[str]:
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                return [node.value]
            if isinstance(node, ast.Name) and node.id in consts:
                return [consts[node.id]]
            if isinstance(node, ast.IfExp):
                return strings(node.body) + strings(node.orelse)
            if isinstance(node, ast.JoinedStr):
                return [
                    "".join(
                        re.escape(v.value) if isinstance(v, ast.Constant) else "[a-z_]+" for v in node.values
                    )
                ]
            return []

        for n in ast.walk(tree):
            values: list[str] = []
            if isinstance(n, ast.Call):
                values += [s for k in n.keywords if k.arg == "action" for s in strings(k.value)]
                name = n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
                if name == "_move" and len(n.args) > 2:
                    values += strings(n.args[2])
            if isinstance(n, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "action" for t in n.targets
            ):
                values += strings(n.value)
            for v in values:
                found.setdefault(v, f"{f.name}:{n.lineno}")
    return found


def test_every_audit_action_has_a_chinese_name():
    actions = _ledger_actions()
    assert {"approve_account", "reject_account", "request_account", "import", "pay"} <= set(actions)
    unnamed = {
        a: where for a, where in actions.items() if not any(re.fullmatch(a, known) for known in ACTION_ZH)
    }
    assert unnamed == {}, f"add these actions to casework.states.ACTION_ZH: {unnamed}"
    assert all(re.search(r"[\u4e00-\u9fff]", zh) for zh in ACTION_ZH.values())

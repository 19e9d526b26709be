"""A letter to a unit or person (告知书/决定书) says in plain Chinese what is missing or pending and what the recipient
can do: no command line (``--setting``), no field name in brackets (``（meets_local_conditions）``), no switch name,
no English status code (``not_determinable``), no operator's file or source note; the Chinese label of what is missing
is there. A region figure the case waits for is the agency's to supply: the letter says so and does not ask for it.

Both routes to a letter are tested: ``wengang doc letters`` (an evaluation's JSON, with its checks) and the ledger's
``case letters`` (``casework.outputs.letter_input``: the decision's reasons and the rules' trace, without checks). The
property test runs every text the programs' rules can put in a reason (enumerated from the rule definitions, the facts
models, the settings, the interpretation switches and the screening's reason codes) through
``documents.recipient.recipient_text`` and through a letter."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

import pytest

from tests.programs.test_cases import CASES
from wengang.casework.intake import _explain
from wengang.casework.outputs import letter_input
from wengang.documents.letters import compose_letter
from wengang.documents.recipient import recipient_text
from wengang.evaluate import evaluate

AGENCY = {"name": "通辽市人力资源和社会保障局", "review_body": "通辽市人民政府", "court": "通辽市科尔沁区人民法院"}
ON = date(2025, 9, 1)
LATIN = re.compile(r"[A-Za-z_]{3,}")  # a word of Latin letters: a code, a field name, English (none is allowed)
NAME_IN_BRACKETS = re.compile(r"[（(][?]?[a-z_][A-Za-z0-9_.=:]*[）)]")  # a name of the code, not N786
STATUS_CODE = re.compile(r"eligible|ineligible|needs_decision|not_determinable")


def _case(case_id: str) -> dict[str, Any]:
    return next(c for i, c in CASES if i.split(" ", 1)[0] == case_id)


def _decision(case_id: str, *, settings: bool = True) -> dict[str, Any]:
    case = _case(case_id)
    on = case["date"] if isinstance(case["date"], date) else date.fromisoformat(case["date"])
    d = evaluate(case["program"], str(case["region"]), on, case["facts"], readings=case.get("readings"),
                 settings=case.get("settings") if settings else None, include_drafts=case.get("drafts", False))  # fmt: skip
    out = d.to_dict()
    out["subject_name"] = out["subject_name"] or "某申请人"
    return out


def _ledger_view(ev: dict[str, Any], state: str) -> dict[str, Any]:
    """What ``Ledger.letter_view`` gives for a decision imported from this evaluation (``case import-decision``):
    its reasons and the rules' trace as ``intake`` stores them."""
    return {
        "id": 7, "program": ev["program"], "unit_id": ev["subject_id"], "unit_name": ev["subject_name"],
        "policy_doc": ev["policy"]["number"], "clause": ev["policy"]["clause"], "explanation": _explain(ev),
        "reviews": [], "history": [], "year": 2025, "entitlement": {"amount_fen": None}, "reasons": ev["reasons"],
        "disqualification": None, "status": ev["status"], "state": state,
    }


def _letters(ev: dict[str, Any], state: str) -> dict[str, str]:
    """The letter by both routes: the evaluation's JSON, and the ledger's letter input."""
    item = letter_input(_ledger_view(ev, state))
    assert item is not None
    return {
        "doc": compose_letter(ev, AGENCY, issued_on=ON).text(),
        "ledger": compose_letter(item, AGENCY, issued_on=ON).text(),
    }


def _body(letter: str) -> str:
    """The letter without its addressee line (a masked credit code keeps its last letters)."""
    title, _, rest = letter.partition("\n")
    return title + "\n" + rest.partition("\n")[2]


def _assert_plain(letter: str) -> None:
    body = _body(letter)
    assert "--" not in body and "wengang" not in body, body
    assert NAME_IN_BRACKETS.findall(body) == [], body
    assert STATUS_CODE.findall(body) == [], body
    assert LATIN.findall(body) == [], body


def test_a_letter_for_a_missing_fact_names_it_in_chinese():
    ev = _decision("hardship_living_allowance[2]")  # 无法判定: 符合当地规定的临时生活补助条件 is missing
    assert ev["status"] == "not_determinable"
    assert any("（meets_local_conditions）" in r for r in ev["reasons"])  # the caseworker's reason names the field
    for route, letter in _letters(ev, "pending_determination").items():
        _assert_plain(letter)
        assert "补正材料告知书" in letter, route
        assert "符合当地规定的临时生活补助条件" in letter, (route, letter)  # the fact's Chinese label
        assert "请提供能证明该事项的材料或说明" in letter, route
        assert "meets the local conditions" not in letter, route
        assert "内政发〔2019〕4号 十" in letter, route  # the document and clause


def test_a_letter_for_a_missing_region_figure_asks_the_recipient_for_nothing():
    ev = _decision("deferral[9]")  # 无法判定: whether the region is 受疫情严重影响地区, the agency's figure
    assert ev["status"] == "not_determinable"
    assert any("--setting affected_area=" in r for r in ev["reasons"])  # the caseworker's hint
    for route, letter in _letters(ev, "pending_determination").items():
        _assert_plain(letter)
        assert "本统筹地区是否为受疫情严重影响地区" in letter, route
        assert "由本机构依职责确定，无需你单位提供" in letter, route
        assert "请提供" not in letter and "补正" not in letter, (route, letter)
        assert "region_data" not in letter and "yaml" not in letter, route


def test_a_needs_decision_letter_names_results_and_readings_in_chinese():
    ev = _decision("fanhuan[34]")  # 待认定: the fund-reserve switch; one reading's result is 无法判定
    assert ev["status"] == "needs_decision"
    assert "not_determinable" in {o["status"] for o in ev["outcomes"]}
    for route, letter in _letters(ev, "pending_determination").items():
        _assert_plain(letter)
        assert "待认定事项告知书" in letter, route
        assert "上年度失业保险基金滚存结余备付期限应在1年以上" in letter, route  # the open reading's question
    # each understanding by its reading (session 40: not “按第1种理解”)
    assert "为“本省暂不具备实施条件：不作不予返还的决定，结果为“无法判定”（暂缓）”的理解：无法判定" in _letters(
        ev, "pending_determination")["doc"]


def test_a_region_figure_used_is_said_without_the_agencys_sources():
    # 待认定, using the region's 月最低工资标准 from the region-data file (its source: a URL, facts.md)
    ev = _decision("internship[4]", settings=False)
    assert any("来源：" in n and "http" in n for n in ev["notes"])
    letter = _letters(ev, "pending_determination")["doc"]
    _assert_plain(letter)
    assert "采用的地区数据：内蒙古一类区月最低工资标准为1,980元（2021-12-01 至 2024-11-30）" in letter
    assert "来源" not in letter and "facts.md" not in letter
    # the same figure given as a what-if (--setting): an analysis, not in the letter at all
    ev = _decision("internship[4]")
    assert any(n.startswith("假设分析：") for n in ev["notes"])
    letter = _letters(ev, "pending_determination")["doc"]
    _assert_plain(letter)
    assert "假设分析" not in letter and "月最低工资标准" not in letter


def test_caseworker_outputs_keep_their_hints():
    """The caseworker's texts are not touched: ``evaluate --json`` reasons and ``case show``'s explanation keep the
    field names and the ``--setting`` instruction (only the letter drops them)."""
    ev = _decision("deferral[9]")
    assert "--setting affected_area=" in _explain(ev)
    ev = _decision("hardship_living_allowance[2]")
    assert "（meets_local_conditions）" in _explain(ev)


# --------------------------------------------------------------------------------------- every text the rules produce
def _rule_texts() -> list[str]:
    """Every reason-like text the programs can produce, from their definitions: each check's label and refusal (with
    its placeholders unfilled, the worst case), each note a check can show, each operand a check's detail names; each
    fact's missing-fact reasons (engine.build_decision), each setting's region-figure reason with its supply hint
    (settings.supply_hint), each reading as the caseworker's readings line names it (with the switch's name), and the
    screening's reason codes' texts (screening.evaluate.reason_text) for every program, region and policy year."""
    from wengang.programs import load_all
    from wengang.regions import REGIONS
    from wengang.rules import expr as E
    from wengang.rules import interpretations
    from wengang.rules.engine import RULESETS, _describe_plan, _fact_label, render_label
    from wengang.screening.evaluate import plan_regions, reason_text
    from wengang.screening.output import readings_lines
    from wengang.settings import setting_specs, supply_hint

    load_all()
    texts: dict[str, None] = {}
    for ruleset in RULESETS.values():
        for check in ruleset.checks:
            texts[render_label(check.label, {}, {})] = None
            if check.reason:
                texts[render_label(check.reason, {}, None)] = None
            for node in check.expr.walk():
                if isinstance(node, E.Note):
                    texts[node.text] = None
                for item in _describe_plan(node):
                    if len(item) > 2 and isinstance(item[2], str):
                        texts[item[2] + "30"] = None
        for name in ruleset.facts.model_fields:
            label = _fact_label(ruleset, name)
            texts[f"结论取决于缺失的事实“{label}”（{name}）：若为“是”：符合条件；若为“否”：不符合条件"] = None
            texts[f"事实“{label}”（{name}）缺失，但按其全部可能取值（是、否）判定结论相同，不需补充；审核要点按“是”展示"] = None
    for name, spec in setting_specs().items():
        texts[f"需经办机构提供地区数据：{spec.label}（{name}）。" + supply_hint([name])] = None
    for name, switch in interpretations.REGISTRY.items():
        for key in switch.readings:
            for line in readings_lines({name: key}, [], code=True) + readings_lines({name: key}, [name], code=True):
                texts[line] = None
            texts[f"若{switch.title}按“{switch.describe(key)}”：不符合条件——{name}={key}"] = None
    programs = sorted({program for program, _ in RULESETS})
    for program in programs:
        for on in (date(2019, 6, 1), date(2022, 6, 1), date(2025, 6, 1)):
            for code, text in reason_text(plan_regions(program, list(REGIONS), on, include_drafts=True)).items():
                texts[text] = None
                texts[code] = None
    return list(texts)


RULE_TEXTS = _rule_texts()


def test_the_enumeration_reaches_the_hints_it_is_about():
    joined = "\n".join(RULE_TEXTS)
    assert len(RULE_TEXTS) > 1000
    for hint in ("--setting", "（meets_local_conditions）", "fanhuan.fund_reserve", "facts.md", "文件未给出数值，须由经办机构提供",
                 "fact:", "region-data.yaml"):
        assert hint in joined, hint


def test_every_rule_text_reads_without_codes():
    bad = {t: recipient_text(t) for t in RULE_TEXTS if LATIN.search(recipient_text(t)) or "--" in recipient_text(t)}
    assert bad == {}


def test_the_rewrite_keeps_the_chinese_label_and_is_idempotent():
    from wengang.documents.recipient import labels

    for text in RULE_TEXTS:
        once = recipient_text(text)
        assert recipient_text(once) == once, text
    said = recipient_text("需经办机构提供地区数据：x（fund_reserve_years）。提供方法：命令行 --setting fund_reserve_years=0.5")
    assert said == "需经办机构提供地区数据：" + labels()["fund_reserve_years"] + "。"
    assert recipient_text("基数为 paid_premium_last_year_fen") == "基数为 " + labels()["paid_premium_last_year_fen"]
    assert recipient_text("按第1种理解：not_determinable") == "按第1种理解：无法判定"
    # what is not a code of the rules stays: an industry code, an acronym in brackets
    assert recipient_text("行业代码属 N786 游览景区管理") == "行业代码属 N786 游览景区管理"
    assert recipient_text("创业培训（SYB）合格") == "创业培训（SYB）合格"


@pytest.mark.parametrize("status", ["not_determinable", "needs_decision", "ineligible"])
def test_every_rule_text_in_a_letter_reads_without_codes(status: str):
    """Each text as a reason of a letter (one letter per 200 texts), by the route a ledger decision takes."""
    for start in range(0, len(RULE_TEXTS), 200):
        chunk = RULE_TEXTS[start:start + 200]
        decision = {
            "status": status, "program_label": "稳岗返还", "subject": "单位", "subject_name": "某公司",
            "policy": {"number": "内人社发〔2025〕18号", "clause": "一"}, "reasons": chunk, "notes": chunk[:20],
            "outcomes": [{"status": "not_determinable", "amount_fen": None}, {"status": "eligible", "amount_fen": 100}],
            "checks": [{"kind": "condition", "passed": False if status == "ineligible" else None, "label": t,
                        "detail": t, "citations": []} for t in chunk[:20]],
        }
        _assert_plain(compose_letter(decision, AGENCY, issued_on=ON).text())


def test_a_screenings_check_marks_do_not_reach_a_letter():
    # the rules' explanation marks each check with ✔/✘ for the screen (casework.intake); a letter says it in words, and
    # the PDF font (STSong-Light) has no ✘: it printed as 〔U+2718〕 in every refusal of `demo story`
    ev = _decision("fanhuan[1]")
    assert ev["status"] == "ineligible" and "✘" in _explain(ev)
    for route, letter in _letters(ev, "not_eligible").items():
        assert "✘" not in letter and "✔" not in letter, route
        assert "足额缴纳失业保险费12个月以上" in letter, route

"""丧葬补助金和抚恤金 (``ui_death_benefits``): a person who dies while drawing 失业保险金.

失业保险条例 第二十条 (facts.md §1, the 条例 is cited as the project's secondary summary, ``national-1999-tiaoli``):
"Death while drawing benefit: 丧葬补助金 + 抚恤金, by reference to local rules for employed staff."

Who: the family of a person who was drawing 失业保险金 when they died (facts ``deceased`` and ``receiving_ui_benefit``;
``death_date`` is reported). What: a funeral grant and a survivors' payment, each once. How much: "参照当地对在职职工的
规定" — local rules that are not in the corpus, so both standards are region settings in 元 (``funeral_grant_amount``,
``survivor_pension_amount``). Without them the decision asks that one region-level question (需经办机构提供地区数据),
never a question about the person. ``amount_fen`` is the sum of the two; each is also an output.

The benefit itself stops with the month of death (``ui_benefit``: ``months_payable``, flag ``died_during_benefit``).

The letter goes to the family, not to the person the facts describe (``wengang.explain.PAYEES``: ``测试（…）的家属：``,
``死者家属申领的丧葬补助金和抚恤金…``; the PDF 决定书 the same): the facts' name and ID are the deceased's.
"""

from __future__ import annotations

from wengang.facts.person import UnemployedPersonFacts
from wengang.rules.engine import Check, Output, Ruleset, register
from wengang.rules.expr import BOOL, DATE, MONEY, Fact, Setting

funeral = Setting("funeral_grant_amount", "丧葬补助金标准（地区设置）", MONEY)
survivor = Setting("survivor_pension_amount", "抚恤金标准（地区设置）", MONEY)

UI_DEATH_BENEFITS = register(
    Ruleset(
        program="ui_death_benefits",
        name="regulation",
        label="丧葬补助金和抚恤金",
        facts=UnemployedPersonFacts,
        subject="个人",
        checks=[
            Check(
                "deceased",
                "失业人员已死亡",
                Fact("deceased", "已死亡", BOOL),
                cite=("death_while_receiving_benefit",),
                reason="失业人员未死亡（丧葬补助金和抚恤金只对领取失业保险金期间死亡的发给）",
            ),
            Check(
                "while_receiving",
                "死亡时正在领取失业保险金",
                Fact("receiving_ui_benefit", "死亡时正在领取失业保险金", BOOL),
                cite=("death_while_receiving_benefit",),
                reason="死亡时未在领取失业保险金，不属于失业保险条例第二十条的情形",
            ),
        ],
        amount=(funeral + survivor).named("丧葬补助金和抚恤金合计", MONEY),
        amount_label="丧葬补助金和抚恤金合计",
        outputs=[
            Output("death_date", "死亡日期", Fact("death_date", "死亡日期", DATE), DATE),
            Output("funeral_grant", "丧葬补助金（参照当地对在职职工的规定）", funeral, MONEY),
            Output("survivor_pension", "抚恤金（参照当地对在职职工的规定）", survivor, MONEY),
        ],
    )
)

"""稳岗返还 (program ``fanhuan``): the unemployment-insurance job-stabilisation refund, in all its forms.

Three rule sets, chosen by the policy document in force (``docs/policies.md``):

* ``v2019`` — 内政发〔2019〕4号 一: 参保企业 that did not lay off staff, or whose 裁员率 is *below*
  (低于) last year's local registered unemployment rate, get 50 % of last year's premiums; in 2019 a
  firm the 审核领导小组 approved as in temporary hardship may instead get the region's chosen hardship
  standard (6 months × local monthly average benefit × insured staff, or 50 % of 6 months' premiums due),
  provided the fund can pay for a year or more.
* ``v2022`` — 内人社办发〔2022〕86号（三）6 (forwarded by 通人社办发〔2022〕139号): layoff rate ≤ 5.5 %, or
  ≤ 20 % for units of 30 staff or fewer; 大型企业及其他企业 50 % (top-up from 30 % for units already
  paid at 30 %), 中小微企业 90 %; listed organisations 参照中小微企业. No months-paid condition.
* ``v2024`` — 人社部发〔2024〕40号 二 and what implements it (晋人社厅发〔2024〕28号 via 阳人社函〔2024〕121号,
  the 兵团 draft), and 内人社发〔2025〕18号 一: premiums paid in full for 12 months or more; layoff rate
  ≤ the national target (5.5 %), or ≤ 20 % for units of 30 staff or fewer; large 30 %, SME 60 %;
  per-document exclusions, dispatch-firm rules, payment channel, fund-reserve precondition.

The size class (大型 vs 中小微) is decided by the rules, not by ``prepare`` (``eff_class``, decisions.md §16): the
document prescribes its 划型 procedure by the parameter ``size_class_rules`` (晋28号, 兵团); where it is silent the
switch ``fanhuan.size_class_where_silent`` applies, never 山西's ≥300 rule by default.

Facts are :class:`wengang.facts.unit.UnitFacts`. ``layoffs_last_year`` counts layoffs proper;
``normal_attrition_last_year`` counts contract expiry, transfers, resignations, retirement and death.
Where a text can be read two ways the rule goes through a :class:`~wengang.rules.expr.Reading` of a
switch registered below; ``docs/interpretations.md`` is generated from those switches.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wengang.facts.size_class import classify_2017
from wengang.facts.unit import REFUND_YEAR_LISTS, SizeClass, UnitFacts
from wengang.programs import fund_reserve
from wengang.rules import interpretations
from wengang.rules.engine import FLAG, Check, Output, Ruleset, register
from wengang.rules.expr import (
    BOOL,
    DATE,
    MONEY,
    MONTHS,
    PERCENT,
    PERSONS,
    TEXT,
    YEARS,
    ByParam,
    Coalesce,
    Expr,
    Fact,
    IsMissing,
    Lit,
    Max,
    Note,
    OptionalParam,
    Param,
    RateOf,
    Ratio,
    Reading,
    Setting,
    when,
)

PROGRAM = "fanhuan"
LABEL = "稳岗返还"

# the boundary words that make a document's rate a limit ("按不超过…60%返还"), not the rate itself
_CEILING_WORDS = frozenset({"不超过", "不高于"})


def _sets_ceiling(p: Any) -> bool:
    return p is not None and (bool(getattr(p, "ceiling", False)) or getattr(p, "boundary", None) in _CEILING_WORDS)


class DocumentRateOf(RateOf):
    """``base × rate`` rounded as the document in force sets the rate (docs/decisions.md §91): down to the fen where
    it sets the rate as a limit (``ceiling: true`` or boundary 不超过/不高于 — 人社部发〔2024〕40号 二 "按不超过…30%
    返还", "按不超过 60% 返还": the amount in whole fen must not exceed it), half-up (the one rounding rule) where it
    sets the rate itself (晋人社厅发〔2024〕28号 "按60%返还"). ``rate_params``: the parameters whose boundary decides
    (default: every :class:`Param` in ``rate``). Both forms choose per document, so single case and batch agree."""

    def __init__(self, base: Expr, rate: Expr, label: str | None = None, *, rate_params: tuple[str, ...] | None = None):
        super().__init__(base, rate, label)
        self.rate_params = rate_params or tuple(n.name for n in rate.walk() if isinstance(n, Param))
        self._down = RateOf(base, rate, label, ceiling=True)
        self._half_up = RateOf(base, rate, label)

    def _chosen(self, ctx: Any) -> RateOf:
        return self._down if any(_sets_ceiling(ctx.params.get(n)) for n in self.rate_params) else self._half_up

    def _eval(self, ctx: Any) -> Any:
        return self._chosen(ctx)._eval(ctx)

    def _polars(self, ctx: Any) -> Any:
        return self._chosen(ctx)._polars(ctx)

# ---------------------------------------------------------------------------------------------
# interpretation switches


def _switch(name: str, title: str, clauses: tuple[str, ...], readings: dict[str, str], default: str, why: str) -> str:
    full = f"{PROGRAM}.{name}"
    if full not in interpretations.REGISTRY:
        interpretations.register(
            interpretations.Switch(
                name=full, title=title, clauses=clauses, readings=readings, default=default, why=why, programs=(PROGRAM,)
            )
        )
    return full


SW_FORMULA = _switch(
    "layoff_rate_formula",
    "裁员率的计算口径（文件未定义时）",
    ("内人社办发〔2022〕86号（三）6", "人社部发〔2024〕40号 二", "内人社发〔2025〕18号 一", "兵团征求意见稿 一（二）"),
    {
        "year_end": "裁员率 = 上年度裁员人数 ÷（上年度裁员人数 + 上年末参保职工人数）",
        "average": "裁员率 = 上年度裁员人数 ÷ 上年度月均参保职工人数",
    },
    "year_end",
    "2022、2024、2025 年文件只写“裁员率”，未给公式。本库文件中唯一的定义是内政发〔2019〕4号 一"
    "（裁员人数除以裁员人数加年末职工人数之和），由该文件的参数（layoff_rate_denominator）固定；其他文件（内蒙古2022、2025，"
    "山西，兵团，人社部发〔2024〕40号）都不固定：口径影响结果时为待认定，经办机构认定后按所认定口径。默认值只决定说明的措辞"
    "（取同一自治区2019年的定义）。各地实践不一（facts.md §10：安徽、河北按月均参保人数）。",
)

SW_ATTRITION = _switch(
    "normal_attrition",
    "计算裁员率时是否扣除正常减员（文件未写明时）",
    ("内人社办发〔2022〕86号（三）6", "人社部发〔2024〕40号 二", "内人社发〔2025〕18号 一", "兵团征求意见稿 一（二）"),
    {
        "excluded": "扣除劳动合同期满、调出、自愿辞（离）职、退休、死亡等正常减员，只计裁员",
        "included": "正常减员也计入裁员人数",
    },
    "excluded",
    "“裁员”通常指用人单位裁减人员，不含职工自愿离职、合同期满、退休、死亡；内政发〔2019〕4号 一明确“应扣除…正常减员人数”"
    "（该文件由参数固定此口径）。其他文件未写明，默认同此。",
)

SW_SMALL = _switch(
    "small_unit_rule",
    "“30人（含）以下的参保企业裁员率不高于参保职工总数20%”的人数口径与分母",
    ("内人社办发〔2022〕86号（三）6", "人社部发〔2024〕40号 二", "内人社发〔2025〕18号 一", "兵团征求意见稿 一（二）"),
    {
        "headcount": "以上年末参保职工人数判断是否30人（含）以下；裁员人数不高于上年末参保职工人数的20%",
        "layoff_rate": "以上年末参保职工人数判断是否30人（含）以下；按一般裁员率口径计算的裁员率不高于20%",
        "average": "以上年度月均参保职工人数判断是否30人（含）以下，并以其为分母：裁员人数不高于月均参保职工人数的20%",
        "workforce": "以裁员前的参保职工总数（上年末参保职工人数 + 上年度裁员人数）判断是否30人（含）以下，并以其为分母",
    },
    "workforce",
    "原文“裁员率不高于参保职工总数20%”以“参保职工总数”为基准：裁员是从这一职工队伍中裁减的，裁员后的年末人数已不含被裁人员，"
    "以它作分母是对单位最不利的读法（评审 §6.2，s20：30人裁6人，年末24人：25% 与 20%）。默认取裁员前的职工总数（年末 + 裁员）。"
    "也可理解为年末人数、沿用一般裁员率公式，或按月均参保人数。",
)

SW_MONTHS = _switch(
    "months_fully_paid",
    "“足额缴纳失业保险费12个月以上”是否要求连续",
    ("人社部发〔2024〕40号 二", "内人社发〔2025〕18号 一", "兵团征求意见稿 一（二）"),
    {
        "cumulative": "累计足额缴费满12个月即可（连续已满12个月的当然满足；连续不满而累计月数未知的，无法判定）",
        "consecutive": "须截至审核时连续足额缴费12个月以上",
    },
    "cumulative",
    "条文未写“连续”；增加文件没有的条件会缩小享受范围，默认按字面累计计算。要求连续的地区可固定为 consecutive。",
)

SW_BASE = _switch(
    "base_other_year_arrears",
    "返还基数“上年度实际缴纳失业保险费”是否含补缴的其他年度欠费（文件未写明时）",
    ("内政发〔2019〕4号 一", "人社部发〔2024〕40号 二", "晋人社厅发〔2024〕28号 二"),
    {
        "exclude": "只计上年度实际缴纳的当年度失业保险费，不含补缴的其他年度欠费（滞纳金一律不计）",
        "include": "上年度实际缴纳的全部失业保险费，含当年补缴的其他年度欠费（滞纳金一律不计）",
    },
    "exclude",
    "内人社办发〔2022〕86号、内人社发〔2025〕18号写“实际缴纳当年度失业保险费”，兵团征求意见稿写“不含补缴的其他年度欠费和滞纳金”"
    "（这些文件由参数固定口径）；40号、山西文件未写明，默认与之一致，避免把以前年度的欠费计入上年度返还。滞纳金不是失业保险费，始终不计。",
)

SW_REFERENCE = _switch(
    "reference_orgs_rate",
    "社会团体等“参照实施”时适用的返还比例",
    ("人社部发〔2024〕40号 二", "兵团征求意见稿 一（二）"),
    {
        "sme": "参照中小微企业比例返还",
        "by_size": "按其自身规模（划型）确定比例：划为大型的按大型企业比例",
    },
    "sme",
    "内人社办发〔2022〕86号、内人社发〔2025〕18号写明“参照中小微企业实施”（由参数固定）；40号及兵团稿只写“参照实施”。"
    "这些单位多为小规模组织，默认参照中小微企业；有地区（如河北）按平均参保人数300人区分，可固定为 by_size。",
)

SW_RESERVE = _switch(
    "fund_reserve",
    "省级“上年度失业保险基金滚存结余备付期限应在1年以上”不满足时的后果",
    ("人社部发〔2024〕40号 二",),
    {
        "block": "本省暂不具备实施条件：不作不予返还的决定，结果为“无法判定”（暂缓）",
        "refuse": "作为单位的享受条件：不满足即不予返还",
    },
    "block",
    "该条件针对“实施上述稳岗返还政策的省（自治区、直辖市）”，是实施政策的前提，不是单位自身的条件；"
    "不满足时不应向单位作出“不符合条件”的结论，而是暂缓办理。",
)

SW_BASE_2019 = _switch(
    "base_2019_payer",
    "内政发〔2019〕4号“返还其上年度实际缴纳失业保险费”是否含职工个人缴纳部分",
    ("内政发〔2019〕4号 一",),
    {
        "unit_and_staff": "企业及其职工上年度实际缴纳的失业保险费（企业代扣代缴的个人部分计入）",
        "unit_only": "仅企业（单位）缴纳部分",
    },
    "unit_and_staff",
    "个人部分由企业代扣代缴，属企业“实际缴纳”；此后各年文件均写明“企业及其职工”。只按单位部分返还的地区可固定为 unit_only。",
)

def quiet(expr: Expr) -> Expr:
    """The same truth value without a detail line: for checks whose facts are codes (单位类型, 划型) that
    the label already states in words. ``Coalesce`` with unknown changes nothing in either evaluator."""
    return Coalesce(expr, Lit(None))


# ---------------------------------------------------------------------------------------------
# facts

org_type = Fact("org_type", "单位类型", TEXT)
size_class = Fact("size_class", "企业划型", TEXT)
size_step = Fact("size_class_step", "划型依据", TEXT)
months_consecutive = Fact("months_fully_paid", "连续足额缴费月数", MONTHS)
months_total = Fact("months_fully_paid_total", "累计足额缴费月数", MONTHS)
layoffs = Fact("layoffs_last_year", "上年度裁员人数", PERSONS)
attrition = Fact("normal_attrition_last_year", "上年度正常减员人数", PERSONS)
headcount_end = Fact("insured_headcount", "上年末参保职工人数", PERSONS)
# the monthly average is a fraction in general (437 person-months ÷ 12): from the person-months it is exact, so a
# "30人（含）以下" test or a layoff rate with it as denominator reads the text's figure, not a rounded one
person_months = Fact("insured_person_months_last_year", "上年度各月参保职工人数之和（人月）", PERSONS)
headcount_avg = when(
    IsMissing(person_months),
    Fact("avg_insured_last_year", "上年度月均参保职工人数", PERSONS),
    Ratio(person_months, Lit(12)),
).named("上年度月均参保职工人数", PERSONS)
paid = Fact("paid_premium_last_year_fen", "上年度实际缴纳的当年度失业保险费", MONEY)
backpay = Fact("backpay_other_years_fen", "上年度补缴的其他年度欠费", MONEY)
paid_unit_share = Fact("paid_premium_unit_share_last_year_fen", "上年度单位缴纳部分", MONEY)
dispatched = Fact("dispatched_workers", "被派遣劳动者人数", PERSONS)
dispatched_public = Fact("dispatched_to_public_institutions", "派遣到机关事业单位的劳动者人数", PERSONS)
# a unit that reports workers it dispatched is a dispatch firm, whatever its flag says or when it has none (outside
# audit, session 37: a firm with 7 workers dispatched to 机关事业单位 and no flag was paid in full): the dispatch rules
# (晋人社厅发〔2024〕28号 五, 内人社发〔2025〕18号 四) only condition or lower a refund, so the facts that bring them win
is_dispatch = (
    Fact("is_dispatch_firm", "登记为劳务派遣单位", BOOL) | (dispatched > 0) | (dispatched_public > 0)
).named("劳务派遣单位（登记为劳务派遣单位，或报有被派遣劳动者）", BOOL)
dispatched_premium = Fact("dispatched_premium_last_year_fen", "被派遣劳动者对应的上年度失业保险费", MONEY)
has_corporate_account = Fact("has_corporate_account", "有对公账户", BOOL)
has_tax_account = Fact("has_tax_payment_account", "有税务部门协助提供的社会保险费缴费账户", BOOL)
hardship = Fact("hardship_approved", "经审核领导小组认定的困难企业", BOOL)
already_paid = Fact("refund_already_paid_fen", "已发放的稳岗返还", MONEY)

is_enterprise = org_type.eq("enterprise")

# ---------------------------------------------------------------------------------------------
# size class (企业划型): decided here, in the rules, so one case and a whole table decide it alike and
# the readings the texts leave open branch like any other (decisions.md, "划型在规则中判定")

def _input(name: str, label: str, step: str) -> Expr:
    """A 划型 input, or the class the case gives with this step named as its source (the same thing)."""
    return Coalesce(Fact(name, label, TEXT), when(Coalesce(size_step, Lit("")).eq(step), size_class, Lit(None)))


stats_class = _input("stats_size_class", "统计部门共享数据中的划型", "stats")
stats_shared = Fact("stats_data_shared", "统计部门已提供共享的大型企业数据", BOOL)
class_2017 = _input("size_class_2017", "按现行标准（2017）划出的类型", "standard_2017")
avg_contributors = Fact("avg_contributors_12m", "上年度12个月平均缴费人数", PERSONS)
le_code = Fact("legal_entity_credit_code", "所属独立法人", TEXT)
le_class = _input("legal_entity_size_class", "所属独立法人的划型", "legal_entity")
le_avg = Fact("legal_entity_avg_contributors_12m", "所属独立法人上年度12个月平均缴费人数", PERSONS)
si_class = _input("si_system_size_class", "社保信息系统中的企业划型", "si_system")

# a class the case gives as already determined (现有划型); a class that names a derived step is not one
given_class = when(Coalesce(size_step, Lit("given")).eq("given"), size_class, Lit(None))
_is_branch = ~IsMissing(le_code)


def _by_avg(avg: Expr, threshold: Expr) -> Expr:
    """≥ threshold → large, otherwise 中小微 (reported as small with its step; only large-or-not matters)."""
    return when(avg >= threshold, Lit("large"), Lit("small"))


def _first(cands: list[tuple[Expr, str]]) -> tuple[Expr, Expr]:
    """The first candidate class that is known, and the step that gave it."""
    cls: Expr = Lit(None)
    step: Expr = Lit(None)
    for c, name in reversed(cands):
        cls = Coalesce(c, cls)
        step = when(IsMissing(c), step, Lit(name))
    return cls, step


SW_EXISTING = _switch(
    "size_class_existing",
    "已有的企业划型（现有划型）与统计部门数据、现行标准等划型结果不一致时以何为准",
    ("晋人社厅发〔2024〕28号 二", "人社部发〔2024〕40号 二", "内人社发〔2025〕18号 一", "内人社办发〔2022〕86号（三）6"),
    {
        "verify": "现有划型只是起点：按统计部门数据、现行标准等依次核实，能划型的以核实结果为准；均无法划型的才沿用现有划型",
        "existing": "现有划型优先：已有划型的单位沿用，仅对没有划型的单位按统计部门数据、现行标准等划型",
    },
    "verify",
    "晋人社厅发〔2024〕28号 二写“在现有划型基础上进行核实、修改、确认。首先…统计部门…”：现有划型要经核实、可被修改，"
    "统计部门数据排在首位（该文件由参数固定此口径）。其他文件未写明，默认同此。",
)
SW_SILENT = _switch(
    "size_class_where_silent",
    "文件未规定划型办法时（内蒙古2025、2022，人社部发〔2024〕40号）采用哪些划型依据",
    ("内人社发〔2025〕18号 一", "人社部发〔2024〕40号 二", "内人社办发〔2022〕86号（三）6", "内政发〔2019〕4号 一"),
    {
        "given": "只采用经办机构已认定的企业划型；没有的无法划型",
        "standard_2017": "已认定划型之外，按统计部门数据或《统计上大中小微型企业划分办法（2017）》（国统字〔2017〕213号）划型；分支机构随所属独立法人",
        "avg_contributors": "同 standard_2017，仍无法划型的再按上年度12个月平均缴费人数划型（300人及以上为大型，其余为中小微）——山西的补充办法，本文件未规定",
    },
    "standard_2017",
    "“大型企业”“中小微企业”是国家统一的划型概念，现行标准为国统字〔2017〕213号（facts.md §2），文件未另作规定时按它划型最贴近原文；"
    "按平均缴费人数划型是晋人社厅发〔2024〕28号为本省规定的补充办法，不能默认用于其他地区。山西、兵团文件有自己的划型规定（由参数选定），不适用本开关。",
)
SW_STATS_OTHERS = _switch(
    "size_class_statistics_others",
    "“首先，通过直接采用统计部门提供的共享数据信息确定的大型企业数进行大型企业认定，其它参保企业为中小微企业”中“其它参保企业”的范围",
    ("晋人社厅发〔2024〕28号 二",),
    {
        "listed_only": "只指统计部门数据中列明但未认定为大型的企业；统计数据未涉及的企业按“其次”“最后”两步划型",
        "all_others_sme": "字面：统计部门提供了大型企业数据的，其余所有参保企业都为中小微企业；“其次”“最后”两步只用于没有统计数据的情形",
    },
    "listed_only",
    "紧接着的“其次，对无法按照统计部门提供信息划型的企业”说明确有统计数据划不了型的企业，若其余一律为中小微企业，"
    "后两步（含≥300人为大型）就无从适用；故默认只对统计数据列明的企业作此推定。",
)

_THRESHOLD_SILENT = Lit(300).named("300人（未规定时的解释）", PERSONS)
_le = when(_is_branch, le_class, Lit(None))


def _own(step: Expr) -> Expr:
    """A step on the unit's OWN figures (statistics, the 2017 standard, its average contributors): never for a branch.
    晋人社厅发〔2024〕28号 二 "企业分支机构按其所属独立法人的类型划型标识": a branch whose legal entity's class is not
    known has no class (无法判定 until it is), not the class of its own 10 contributors (outside held-out audit,
    session 42: a branch was paid 60 % on its own figures). An 已认定 class the agency gives stays its determination."""
    return when(_is_branch, Lit(None), step)


def _silent_steps(reading: str) -> list[tuple[Expr, str]]:
    if reading == "given":
        return []
    steps = [(_le, "legal_entity"), (_own(stats_class), "stats"), (_own(class_2017), "standard_2017")]
    if reading == "avg_contributors":
        steps.insert(1, (when(_is_branch, _by_avg(le_avg, _THRESHOLD_SILENT), Lit(None)), "legal_entity"))
        steps.append((_own(_by_avg(avg_contributors, _THRESHOLD_SILENT)), "avg_contributors"))
    return steps


def _shanxi_steps() -> list[tuple[Expr, str]]:
    threshold = Param("large_min_avg_contributors")
    others_sme = Reading(
        SW_STATS_OTHERS,
        {"listed_only": Lit(None), "all_others_sme": when(Coalesce(stats_shared, Lit(False)), Lit("small"), Lit(None))},
    )
    return [
        (_le, "legal_entity"),
        (when(_is_branch, _by_avg(le_avg, threshold), Lit(None)), "legal_entity"),
        (_own(stats_class), "stats"),
        (_own(others_sme), "stats_other"),
        (_own(class_2017), "standard_2017"),
        (_own(_by_avg(avg_contributors, threshold)), "avg_contributors"),
    ]


def _existing_reading(steps_for: Any, which: int) -> Expr:
    """Reading of SW_EXISTING over (derived steps, the given class); ``which``: 0 class, 1 step."""
    given = [(given_class, "given")]
    return Reading(
        SW_EXISTING,
        {"verify": steps_for(lambda st: _first(st + given)[which]), "existing": steps_for(lambda st: _first(given + st)[which])},
        fixed_by="size_class_existing",
    )


def _silent(make: Any) -> Expr:
    return Reading(SW_SILENT, {r: make(_silent_steps(r)) for r in SW_READINGS_SILENT}, fixed_by="size_class_where_silent")


SW_READINGS_SILENT = ("given", "standard_2017", "avg_contributors")

_shanxi = [_existing_reading(lambda make: make(_shanxi_steps()), i) for i in (0, 1)]
_silent_pair = [_existing_reading(_silent, i) for i in (0, 1)]
_bingtuan = _first([(given_class, "given"), (si_class, "si_system")])

# the 划型 rules of the document in force: 晋人社厅发〔2024〕28号 二 and 兵团 二（一） have their own
# (parameter ``size_class_rules``); the others are silent and go through SW_SILENT
eff_class = ByParam("size_class_rules", {"shanxi2024": _shanxi[0], "bingtuan2024": _bingtuan[0]}, _silent_pair[0]).named(
    "企业划型", TEXT
)
eff_step = ByParam("size_class_rules", {"shanxi2024": _shanxi[1], "bingtuan2024": _bingtuan[1]}, _silent_pair[1]).named(
    "划型依据", TEXT
)
SHANXI_CLASS, SHANXI_STEP = _shanxi
BINGTUAN_CLASS, BINGTUAN_STEP = _bingtuan

is_large = Coalesce(eff_class, Lit("")).eq("large")
is_small_or_micro = eff_class.isin({"small", "micro"})
# 中小微 decided only as “not large” (statistics' others, the ≥300 rule): small/micro not known
_sme_only = Coalesce(eff_step, Lit("")).isin({"avg_contributors", "stats_other"})
# 小微企业 as the tax-account channel needs it (人社部发〔2024〕40号 五、内人社发〔2025〕18号 四 “对无对公账户的小微企业”):
# a class decided small or micro, not 中小微 known only as “not large” (a medium firm may be one)
is_small_micro_known = (is_small_or_micro & ~_sme_only).named("经划型确定为小型或微型企业", BOOL)


def size_class_2017_of(facts: Mapping[str, Any]) -> SizeClass | None:
    return classify_2017(facts.get("industry_code"), facts.get("employees"), facts.get("revenue_10k_yuan"), facts.get("assets_10k_yuan"))


# ---------------------------------------------------------------------------------------------
# layoffs


def _target_pair(name: str, setting_label: str) -> tuple[Expr, Expr]:
    """The layoff-rate target as a parameter (the document writes the figure) or a region setting."""
    return Param(name), Setting(name, setting_label, PERCENT)


counted_layoffs = Reading(
    SW_ATTRITION,
    {"excluded": layoffs, "included": (layoffs + attrition).named("上年度裁员及正常减员人数", PERSONS)},
    fixed_by="normal_attrition",
)
rate_given = Ratio(Fact("layoff_rate_given_bp", "经办机构已算出的裁员率（万分之一）", PERSONS), Lit(10000), label="经办机构已算出的裁员率")
formula_given = Fact("layoff_rate_formula_given", "经办机构算裁员率所用口径", TEXT)
SW_STAFF_2019 = _switch(
    "layoff_headcount_2019",
    "内政发〔2019〕4号 裁员率分母中的“上年末职工人数”：参保职工人数还是全部职工人数",
    ("内政发〔2019〕4号 一",),
    {
        "insured": "上年末参保职工人数（insured_headcount）",
        "all_staff": "上年末全部职工人数，含未参保职工（staff_headcount_year_end；缺少时无法判定）",
    },
    "insured",
    "原文“裁员率按照企业上年度裁员人数除以上年度裁员人数加上年末职工人数之和的比例计算”写的是“职工人数”，未写“参保”。"
    "本库默认按参保职工人数：返还对象是“参保企业”，资金出自失业保险基金，裁员人数和年末人数经办机构都只有参保记录，"
    "同一句的分子（裁员人数）也按参保职工计；全部职工人数（含未参保）是另一读法，需单位提供该人数，缺少时无法判定。"
    "有裁员的企业两种读法可能结果不同，未认定时为待认定（外部审计 a5，session 42）。",
)
staff_end = Fact("staff_headcount_year_end", "上年末职工人数（含未参保职工）", PERSONS)
# only 内政发〔2019〕4号 writes the formula (its parameter layoff_rate_denominator): only there is its 职工人数 read
_rate_headcount = ByParam(
    "layoff_rate_denominator",
    {"year_end": Reading(SW_STAFF_2019, {"insured": headcount_end, "all_staff": staff_end})},
    headcount_end,
)
_FORMULAS = {
    "year_end": Ratio(counted_layoffs, counted_layoffs + _rate_headcount, label="裁员率"),
    "average": Ratio(counted_layoffs, headcount_avg, label="裁员率（按月均参保人数）"),
}


def _rate_by(key: str) -> Expr:
    """A rate the agency computed by this very formula is used as given; otherwise it is computed."""
    same = Coalesce(formula_given, Lit("")).eq(key) & ~IsMissing(Fact("layoff_rate_given_bp"))
    return when(same, rate_given, _FORMULAS[key])


layoff_rate = Reading(SW_FORMULA, {k: _rate_by(k) for k in _FORMULAS}, fixed_by="layoff_rate_denominator").named(
    "裁员率", PERCENT
)
_formula_matches = Reading(
    SW_FORMULA, {k: Coalesce(formula_given, Lit("")).eq(k) for k in _FORMULAS}, fixed_by="layoff_rate_denominator"
)
GIVEN_RATE_FORMULA = Check(
    "layoff_rate_given_formula",
    "经办机构提供的裁员率与采用的裁员率口径一致（不一致的，按采用的口径重新计算）",
    when(IsMissing(Fact("layoff_rate_given_bp")), Lit(True), quiet(_formula_matches)),
    kind=FLAG,
    reason="经办机构提供的裁员率所用口径与本次采用的口径不同（或未注明口径），未采用该裁员率，已按采用的口径由裁员人数和参保人数重新计算",
)
no_layoffs = counted_layoffs.eq(0)

_small_max = Param("small_unit_max_layoff_rate")
_workforce = (headcount_end + counted_layoffs).named("裁员前参保职工总数（上年末参保职工人数 + 裁员人数）", PERSONS)
_small_n = Param("small_unit_headcount")
small_unit_rule = Reading(
    SW_SMALL,
    {
        "headcount": (headcount_end <= _small_n)
        & (Ratio(counted_layoffs, headcount_end, label="裁员人数占上年末参保职工人数") <= _small_max),
        "layoff_rate": (headcount_end <= _small_n) & (layoff_rate <= _small_max),
        "average": (headcount_avg <= _small_n)
        & (Ratio(counted_layoffs, headcount_avg, label="裁员人数占月均参保职工人数") <= _small_max),
        "workforce": (_workforce <= _small_n)
        & (Ratio(counted_layoffs, _workforce, label="裁员人数占裁员前参保职工总数") <= _small_max),
    },
)


def _has(name: str):
    return lambda params: name in params


def _lacks(name: str):
    return lambda params: name not in params


def _layoff_checks_2022_2024(of_total: str = "参保职工总数") -> list[Check]:
    label = (
        "上年度未裁员，或裁员率不高于{max_layoff_rate}，"
        "或为{small_unit_headcount}人（含）以下的企业且裁员率不高于" + of_total + "{small_unit_max_layoff_rate}"
    )
    target_param, target_setting = _target_pair("max_layoff_rate", "上年度全国城镇调查失业率控制目标")
    return [
        Check("layoff", label, no_layoffs | (layoff_rate <= target_param) | small_unit_rule, applies=_has("max_layoff_rate")),
        Check(
            "layoff",
            label,
            no_layoffs | (layoff_rate <= target_setting) | small_unit_rule,
            cite=("small_unit_max_layoff_rate",),
            applies=_lacks("max_layoff_rate"),
        ),
    ]


def _layoff_checks_2019() -> list[Check]:
    label = "上年度未裁员，或裁员率低于上年度当地城镇登记失业率{max_layoff_rate}"
    # the figure is the region's (内政发〔2019〕4号 一 "裁员率低于上年度当地城镇登记失业率"): named as this notice names it,
    # not by the setting's shared label, which is 40号's 全国城镇调查失业率控制目标 (outside held-out audit, session 42);
    # the detail line shows the figure compared (e.g. 3.6%) as 上年度当地城镇登记失业率
    label_setting = "上年度未裁员，或裁员率低于上年度当地城镇登记失业率（当地数据，由经办机构提供）"
    target_param, target_setting = _target_pair("max_layoff_rate", "上年度当地城镇登记失业率")
    return [
        Check("layoff", label, no_layoffs | (layoff_rate < target_param), applies=_has("max_layoff_rate")),
        Check(
            "layoff",
            label_setting,
            no_layoffs | (layoff_rate < target_setting),
            cite=("layoff_rate_formula", "layoff_normal_attrition_excluded"),
            applies=_lacks("max_layoff_rate"),
        ),
    ]


# ---------------------------------------------------------------------------------------------
# coverage, exclusions, other conditions

COVERED_2022_2024 = Check(
    "covered",
    "参保单位为企业，或为参照实施的社会团体、基金会、社会服务机构、律师事务所、会计师事务所、以单位形式参保的个体工商户",
    quiet(is_enterprise | org_type.isin(Param("sme_reference_orgs"))),
    reason="本单位类型不在稳岗返还范围内（限参保企业及参照实施的社会组织、律师事务所、会计师事务所、以单位形式参保的个体工商户）",
)
COVERED_2019 = Check(
    "covered",
    "参保单位为企业",
    quiet(is_enterprise),
    cite=("refund_rate_sme",),
    reason="内政发〔2019〕4号的稳岗返还对象为参保企业，本单位不是企业",
)

MONTHS_PAID = Check(
    "months_paid",
    "足额缴纳失业保险费{min_months_fully_paid}个月以上",
    Reading(
        SW_MONTHS,
        {
            # consecutive months are cumulative months too: with the cumulative count unknown, enough consecutive
            # months settle it and fewer leave the check open (never a silent refusal, review E9); a known
            # cumulative count decides alone (consecutive months cannot exceed it), so an unknown consecutive
            # count does not hold open a unit whose cumulative months are too few
            "cumulative": (months_total >= Param("min_months_fully_paid"))
            | ((months_consecutive >= Param("min_months_fully_paid")) & IsMissing(months_total)),
            "consecutive": months_consecutive >= Param("min_months_fully_paid"),
        },
    ),
)
MONTHS_TOTAL_KNOWN = Check(
    "months_total_known",
    "累计足额缴费月数已知，或连续足额缴费已满{min_months_fully_paid}个月",
    ~IsMissing(months_total) | (months_consecutive >= Param("min_months_fully_paid")),
    kind=FLAG,
    cite=("min_months_fully_paid",),
    reason="缺少累计足额缴费月数（months_fully_paid_total）：连续足额缴费不满{min_months_fully_paid}个月，按累计口径须核实累计月数",
)


def _excluded(kind: str):
    def applies(params: Mapping[str, Any]) -> bool:
        p = params.get("excluded_units")
        return p is not None and kind in p.value

    return applies


_EXCLUSIONS = (
    ("serious_dishonesty", "not_dishonest", "未被列为严重违法失信企业", "列为严重违法失信企业"),
    ("zombie_clearance", "not_zombie", "未列入出清名单僵尸企业", "列入出清名单僵尸企业"),
    ("env_noncompliant", "env_compliant", "符合当地环保政策", "不符合当地环保政策"),
    ("deregistered", "not_deregistered", "未注销营业执照", "已注销营业执照"),
    ("license_revoked", "not_revoked", "未被吊销营业执照", "被吊销营业执照"),
    ("abnormal_operations", "not_abnormal", "未列入经营异常名录", "列入经营异常名录"),
)
SW_EXCLUSION_DATE = _switch(
    "exclusion_status_date",
    "不予返还情形（严重违法失信、列入出清名单僵尸企业、不符合当地环保政策等）以哪个时点的状态为准",
    ("内人社发〔2025〕18号 一", "晋人社厅发〔2024〕28号 二"),
    {
        "review": "审核（查询）之日的状态：查询时仍属该情形的不予返还（事实中的是否列入即查询所得）",
        "refund_year": "上年度（返还所依据的缴费年度）内的状态：上年度内曾属该情形的不予返还（需“上年度内曾…”的数据；未提供的按查询所得状态）",
    },
    "review",
    "内人社发〔2025〕18号 一“对严重违法失信企业、列入出清名单僵尸企业和不符合当地环保政策的企业不予返还”未写以何时的状态为准。"
    "返还是审核时对企业的发放，失信、僵尸企业等名单是审核时查询的公开信息，默认按审核（查询）之日；晋人社厅发〔2024〕28号 二"
    "写明“要以审核之日…查询结果”，由参数 exclusion_status_date 固定为 review。上年度内曾列入、审核时已移出的企业，两种读法结果不同："
    "提供上年度状态（如 serious_dishonesty_refund_year）且与查询所得不同时为待认定。",
)
# the lists whose date the texts leave open (内人社发〔2025〕18号 一): their state in the refund year, where the data has it
_DATED = set(REFUND_YEAR_LISTS)

SW_ABNORMAL = _switch(
    "abnormal_listing",
    "“列入经营异常名录等无法正常生产经营的企业不发放”：列入经营异常名录本身即不发放，还是无法正常生产经营的才不发放",
    ("晋人社厅发〔2024〕28号 二",),
    {
        "listing_excludes": "列入经营异常名录即不发放（名录是“无法正常生产经营”的列举之一）",
        "cannot_operate": "列入经营异常名录且无法正常生产经营的才不发放；仍正常生产经营的照常返还（须经办机构认定是否正常生产经营）",
    },
    "listing_excludes",
    "原文“注销、吊销营业执照，列入经营异常名录等无法正常生产经营的企业不发放稳岗返还”把列入名录与注销、吊销并列，"
    "作为“无法正常生产经营”的情形列举，默认列入即不发放（本库一直如此）。但“等无法正常生产经营的企业”也可读作限定语："
    "因逾期未报年报等原因列入名录、仍正常经营的企业不在其内。列入名录的企业两种读法结果不同，未认定时为待认定；"
    "按后一读法须有“正常生产经营”（operating_normally）的认定，缺少时无法判定。",
)
_operating = Fact("operating_normally", "正常生产经营（经办机构认定）", BOOL)


def _exclusion_expr(fact: str, fact_label: str) -> Expr:
    now = Fact(fact, fact_label, BOOL)
    listed: Expr = now
    if fact in _DATED:
        year = Fact(f"{fact}_refund_year", f"上年度内曾{fact_label}", BOOL)
        listed = Reading(SW_EXCLUSION_DATE, {"review": now, "refund_year": Coalesce(year, now)}, fixed_by="exclusion_status_date")
    if fact == "abnormal_operations":
        return Reading(SW_ABNORMAL, {"listing_excludes": ~listed, "cannot_operate": ~(listed & ~_operating)})
    return ~listed


EXCLUSION_CHECKS = [
    Check(
        cid,
        label,
        _exclusion_expr(fact, fact_label),
        cite=("excluded_units",),
        reason=(
            f"{fact_label}，按规定不予返还"
            if fact != "abnormal_operations"
            else "列入经营异常名录（按“列入即不发放”的解释，或经认定无法正常生产经营），按规定不予返还"
        ),
        applies=_excluded(fact),
    )
    for fact, cid, label, fact_label in _EXCLUSIONS
]

# 晋28号 二: “以审核之日…查询结果，对企业进行查询核验，并将实时记录存档” — the decision records the query;
# a missing record is a flag here (the casework refuses to pay without it: fail closed is its job)
_checked_on = Fact("exclusion_checked_on", "排除情形查询日期", DATE)
EXCLUSION_RECORD = Check(
    "exclusion_query_recorded",
    "已于审核之日查询国家企业信用信息公示系统、信用中国等平台并存档（查询日期、平台、记录编号）",
    ~IsMissing(_checked_on)
    & ~IsMissing(Fact("exclusion_lists_checked", "查询的平台", TEXT))
    & ~IsMissing(Fact("exclusion_list_version", "名单版本或查询记录编号", TEXT))
    & (_checked_on.eq(Coalesce(Fact("evaluation_date", "审核之日", DATE), _checked_on))),
    kind=FLAG,
    cite=("exclusion_check_sources",),
    reason="缺少审核之日的排除情形查询存档（查询日期须为审核之日，并记录所查平台和记录编号）：请查询并存档后再发放",
    applies=_has("exclusion_check_sources"),
)
# the platforms queried print by their names (audit of explanations, session 40: ``gsxt,creditchina`` in a letter)
from wengang.rules.engine import NotApplicable, register_value_labels  # noqa: E402

register_value_labels("exclusion_lists_checked", {"gsxt": "国家企业信用信息公示系统", "creditchina": "信用中国"})
EXCLUSION_RECORD_OUTPUT = Output(
    "exclusion_query",
    "排除情形查询记录（审核之日查询并存档）",
    when(
        IsMissing(_checked_on),
        Lit(None),
        Coalesce(Fact("exclusion_lists_checked", "查询的平台", TEXT), Lit("（未记录平台）")),
    ),
    TEXT,
)
# 晋28号 五: “对已知政策却不主动申请的视为放弃”
DISPATCH_WAIVED = Check(
    "dispatch_not_waived",
    "劳务派遣单位未因已知政策却不主动申请而视为放弃",
    ~(is_dispatch & Fact("dispatch_informed", "已告知劳务派遣单位", BOOL) & ~Fact("applied", "已自主申请", BOOL)
      & Fact("dispatch_application_period_over", "告知后的申请期限已过", BOOL)),
    cite=("dispatch_known_not_applied_waived",),
    reason="劳务派遣单位已知政策却未在期限内主动申请，视为放弃",
    applies=_has("dispatch_known_not_applied_waived"),
)

NOT_DISQUALIFIED = Check(
    "not_disqualified",
    "未因未按规定拨付、使用稳岗返还资金被取消本年度申领资格",
    ~Fact("disqualified_misuse", "已被取消本年度申领资格", BOOL),
    cite=("dispatch_misuse_bars_next_year",),
    reason="上一年度未按规定拨付、使用稳岗返还资金，已被取消本年度申领资格",
    applies=_has("dispatch_misuse_bars_next_year"),
)

SW_DEFERRAL = _switch(
    "deferral_unpaid",
    "缓缴失业保险费尚未补足的企业：“在及时补足失业保险费后，再按规定条件和比例发放”是享受条件还是发放前提",
    ("兵团征求意见稿 二（一）",),
    {
        "hold": "享受资格不受影响，照常核定金额，暂缓发放；补足后再发放",
        "refuse": "作为享受条件：未补足的不予返还",
    },
    "hold",
    "原文“在及时补足失业保险费后，再按规定条件和比例发放”：补足是“发放”的时间前提，条件与比例仍按规定，"
    "并未把缓缴写成不予返还的情形。该句没有明说未补足时是否仍享受（“再按规定条件和比例发放”也可读作补足是条件之一），"
    "文件不固定此解释（外部审计 a5，session 42：原由参数 deferred_unpaid_effect 固定，已撤销）：影响结果时为待认定。",
)
outstanding_deferral = Fact("outstanding_deferral", "缓缴的失业保险费尚未补足", BOOL)
DEFERRAL_PAID_UP = Check(
    "deferral_paid_up",
    "缓缴的失业保险费已补足，或按文件只暂缓发放、补足后再发放（不影响享受资格）",
    Reading(SW_DEFERRAL, {"hold": Lit(True), "refuse": ~outstanding_deferral}),
    cite=("deferred_must_pay_first",),
    reason="缓缴的失业保险费尚未补足：按“未补足不予返还”的解释不予返还",
    applies=_has("deferred_must_pay_first"),
)
# entitled, payment waits: a flag for the caseworker and the output ``payment_hold`` (contract with casework)
# only a document with the deferral rule can hold a payment (and only there does the switch exist)
_held = ByParam(
    "deferred_must_pay_first",
    {
        "True": Reading(
            SW_DEFERRAL, {"hold": Coalesce(outstanding_deferral, Lit(False)), "refuse": Lit(False)}
        )
    },
    Lit(False),
)
PAYMENT_HOLD = Check(
    "payment_hold",
    "无须暂缓发放（无缓缴未补足的失业保险费）",
    ~_held,
    kind=FLAG,
    cite=("deferred_must_pay_first",),
    reason="暂缓发放：缓缴的失业保险费尚未补足，补足后再按规定条件和比例发放稳岗返还资金",
    applies=_has("deferred_must_pay_first"),
)
DEFERRAL_HOLD_REASON = "缓缴的失业保险费尚未补足：在及时补足失业保险费后，再按规定条件和比例发放稳岗返还资金（兵团征求意见稿 二（一））"
# 人社部发〔2024〕40号 五、内人社发〔2025〕18号 四 "指导劳务派遣单位主动申请稳岗返还"，晋人社厅发〔2024〕28号 五 "指导其主动向…
# 经办机构提出申请…经办机构在受理…申请时，要对…用工单位名单和被派遣劳动者数量留存备案": a dispatch firm is not paid 免申即享;
# until it applies it is entitled but not paid (held, as a 缓缴 not made up is), and 视为放弃 (DISPATCH_WAIVED) only once
# the period it was told of is over (outside held-out audit, session 42: an unapplied firm went through to 已发放)
DISPATCH_HOLD_REASON = (
    "劳务派遣单位须主动申请稳岗返还（不适用免申即享）：尚未申请，暂缓发放，请告知其申请，受理时对用工单位名单和被派遣劳动者数量"
    "留存备案后再发放"
)
# the tax account is a channel for 无对公账户的小微企业 only (40号 五、18号 四): any other unit without a corporate account
# waits for one (outside held-out audit, session 42: casework routed a medium firm to the tax account). casework.intake
# reads this reason to keep such a unit off the tax channel
ACCOUNT_HOLD_REASON = (
    "无对公账户，且不是经划型确定的小微企业（或无税务部门协助提供的社会保险费缴费账户）：只有无对公账户的小微企业可返还至"
    "税务部门协助提供的缴费账户，须补充对公账户信息后发放"
)
_dispatch_held = ByParam(
    "dispatch_firm_must_apply",
    {"True": Coalesce(is_dispatch & ~Coalesce(Fact("applied", "已自主申请", BOOL), Lit(False)), Lit(True))},
    Lit(False),
)
_account_held = ByParam(
    "pay_to_premium_account_if_no_corporate_account",
    {
        "True": Coalesce(has_corporate_account.eq(False), Lit(False))
        & ~Coalesce(is_small_micro_known & has_tax_account, Lit(False))
    },
    Lit(False),
)


def _joined(pairs: list[tuple[Expr, str]], said: tuple[str, ...] = ()) -> Expr:
    """The reasons whose condition holds, joined with "；" (null: none): a choice among fixed texts, so one case and
    the compiled table give the same text."""
    if not pairs:
        return Lit("；".join(said)) if said else Lit(None)
    (cond, text), rest = pairs[0], pairs[1:]
    return when(cond, _joined(rest, (*said, text)), _joined(rest, said))


PAYMENT_HOLD_OUTPUT = Output(
    "payment_hold",
    "暂缓发放",
    _joined([(_held, DEFERRAL_HOLD_REASON), (_dispatch_held, DISPATCH_HOLD_REASON), (_account_held, ACCOUNT_HOLD_REASON)]),
    TEXT,
)

_reserve = Setting("fund_reserve_years", "上年度失业保险基金滚存结余备付期限", YEARS)
_reserve_ok = _reserve >= Param("fund_reserve_min_years")
_reserve_by_figure = Reading(SW_RESERVE, {"block": when(_reserve_ok, Lit(True), Lit(None)), "refuse": _reserve_ok})


def province_notice_evidence(sentence: str) -> Expr:
    """40号 makes the reserve a precondition of the PROVINCE's decision to implement ("实施上述…政策的省…备付期限应在
    1年以上"). Where the province has issued its own implementing notice (parameter ``fund_reserve_province_notice``:
    晋人社厅发〔2024〕28号, the 兵团 draft), that notice is read as its determination that the precondition is met (the
    reading ``fund_reserve.province_notice`` it fixes, :mod:`wengang.programs.fund_reserve`): without a figure the
    check passes and says why; a figure the region data or ``--setting`` gives is still compared (a figure under a
    year goes through the ``fund_reserve`` switch as before). Under 40号 alone a missing figure stays one region-level
    question (docs/decisions.md)."""
    return fund_reserve.province_notice_evidence(
        _reserve,
        _reserve_by_figure,
        "本省已印发实施文件（{cite}），视为省级已确认具备实施前提（" + sentence + "）；"
        "如本省上年度失业保险基金滚存结余备付期限不足1年，请提供 fund_reserve_years"
        "（--setting fund_reserve_years=0.5 或地区数据文件）",
        "省级（兵团）文件（{cite}）为征求意见稿，尚未印发；本次按该稿测算，视为省级（兵团）已确认具备实施前提（"
        + sentence + "），该稿印发前结果不作发放依据；如省级（兵团）上年度失业保险基金滚存结余备付期限不足1年，"
        "请提供 fund_reserve_years（--setting fund_reserve_years=0.5 或地区数据文件）",
    )


FUND_RESERVE = Check(
    "fund_reserve",
    # 省级: 40号 二 says 省（自治区、直辖市）; 内蒙古 is a 自治区 and 兵团 no 省 (outside audits, session 41)
    "省级上年度失业保险基金滚存结余备付期限在{fund_reserve_min_years}年以上",
    province_notice_evidence("人社部发〔2024〕40号 二：“实施上述稳岗返还政策的省（自治区、直辖市），上年度失业保险基金滚存结余备付期限应在1年以上”"),
    cite=("fund_reserve_min_years",),
    reason="省级上年度失业保险基金滚存结余备付期限不足{fund_reserve_min_years}年，不具备实施稳岗返还的前提",
    applies=_has("fund_reserve_min_years"),
)

# -- risk flags (verify, don't refuse) ---------------------------------------------------------

PAYMENT_ACCOUNT_2024 = Check(
    "payment_account",
    "有对公账户，或为无对公账户的小微企业、可返还至税务部门协助提供的社会保险费缴费账户",
    has_corporate_account | quiet(is_small_micro_known & has_tax_account),
    kind=FLAG,
    cite=("pay_to_premium_account_if_no_corporate_account",),
    reason="无可用收款账户：非小微企业须补充对公账户信息，小微企业须取得税务部门协助提供的社会保险费缴费账户",
    applies=_has("pay_to_premium_account_if_no_corporate_account"),
)
PAYMENT_ACCOUNT_PLAIN = Check(
    "payment_account",
    "有对公账户（银行账户等信息完善）",
    has_corporate_account,
    kind=FLAG,
    reason="无对公账户：须单位补充银行账户信息后方可发放",
    applies=_lacks("pay_to_premium_account_if_no_corporate_account"),
)
DISPATCH_APPLIES = Check(
    "dispatch_applied",
    "非劳务派遣单位，或劳务派遣单位已主动申请（劳务派遣单位不适用免申即享）",
    ~is_dispatch | Fact("applied", "已自主申请", BOOL),
    kind=FLAG,
    cite=("dispatch_firm_must_apply",),
    reason="劳务派遣单位须主动申请稳岗返还：请告知其申请，并对用工单位名单和被派遣劳动者数量留存备案",
    applies=_has("dispatch_firm_must_apply"),
)
SIZE_CLASS_OFFICIAL = Check(
    "size_class_official",
    "企业划型为正式划型数据（暂按社保信息系统划型的，正式划型后多退少补）",
    quiet(~Coalesce(eff_step, Lit("")).eq("si_system")),
    kind=FLAG,
    cite=("size_class_from_si_system",),
    reason="暂按社保信息系统企业划型数据审核发放，待正式划型后按最新划型数据多退少补",
    applies=_has("size_class_from_si_system"),
)

# ---------------------------------------------------------------------------------------------
# amounts

SW_BASE_PAID = _switch(
    "base_payment_date",
    "“上年度实际缴纳失业保险费”：上年度各月的保费于次年（审核前）才缴纳的，是否计入返还基数",
    ("内政发〔2019〕4号 一", "内人社办发〔2022〕86号（三）6", "人社部发〔2024〕40号 二", "内人社发〔2025〕18号 一", "兵团征求意见稿 一（二）"),
    {
        "paid_in_year": "按缴纳日期：只计上年度内缴纳的上年度保费（次年才缴的不计）",
        "by_period": "按所属期：所属期为上年度、审核之日前已缴纳的都计入（含次年初补缴的；需 paid_premium_after_year_fen，未提供的按0计）",
    },
    "paid_in_year",
    "“上年度实际缴纳”按字面是上年度内实际缴纳的金额；所属期为上年度而于次年缴纳的保费（如12月保费次年1月缴纳）不是上年度内缴纳的，"
    "默认不计（本库一直如此：筛查以上年12月31日为缴纳截止日，base_paid_by）。但“上年度…失业保险费”也可读作所属期为上年度的保费，"
    "审核前已缴清的都计入。有次年缴纳部分的单位两种读法金额不同，未认定时为待认定（外部审计 a1，session 42）。",
)
paid_after_year = Fact("paid_premium_after_year_fen", "所属期为上年度、次年才缴纳的失业保险费", MONEY)
paid_for_base = Reading(
    SW_BASE_PAID,
    {
        "paid_in_year": paid,
        "by_period": (paid + Coalesce(paid_after_year, Lit(0))).named("上年度各月的失业保险费（含次年审核前缴纳的）", MONEY),
    },
)
base = Reading(
    SW_BASE,
    {
        "exclude": paid_for_base,
        "include": (paid_for_base + backpay).named("上年度实际缴纳失业保险费（含补缴的其他年度欠费）", MONEY),
    },
    fixed_by="base_other_year_arrears",
)
_overpaid = Fact("overpaid_premium_last_year_fen", "上年度实缴超过应缴的部分", MONEY)
# “实际缴纳失业保险费”: a month paid above its premium due counts in full in the base as the text's words read; whether
# the excess (refundable to the unit) is “实际缴纳” the texts do not say: a flag, not a cut (audit a1 item 7, session 42)
OVERPAID_FLAG = Check(
    "overpaid_months",
    "上年度无实缴超过应缴的月份（多缴部分计入返还基数须核实）",
    when(IsMissing(_overpaid), NotApplicable(Lit(True), "不适用：未提供多缴金额（overpaid_premium_last_year_fen），未核查"), _overpaid <= 0),
    kind=FLAG,
    reason="上年度有月份实缴超过当月应缴，多缴部分已计入返还基数（按“实际缴纳”的字面）：请核实多缴部分是否应退还单位、是否计入返还基数",
)

# 大型 → the large rate; 参照实施 organisations by the reading; unknown size → unknown rate
_large_rate_applies = Reading(
    SW_REFERENCE,
    {"sme": is_enterprise & eff_class.eq("large"), "by_size": eff_class.eq("large")},
    fixed_by="reference_orgs_rate",
)
rate_2024 = when(_large_rate_applies, Param("refund_rate_large"), Param("refund_rate_sme")).named("返还比例", PERCENT)

# 2022: “大型企业及其他企业”50%，中小微企业 90%: an enterprise not classified as SME takes the 50 %
_is_sme_class = Coalesce(eff_class, Lit("other")).isin({"medium", "small", "micro"})
_large_rate_applies_2022 = Reading(
    SW_REFERENCE,
    {"sme": is_enterprise & ~_is_sme_class, "by_size": ~_is_sme_class},
    fixed_by="reference_orgs_rate",
)
SW_OTHER_2022 = _switch(
    "other_enterprises_2022",
    "内人社办发〔2022〕86号“大型企业及其他企业…50%”：规模未确定（未划型）的企业是否按“其他企业”50%返还",
    ("内人社办发〔2022〕86号（三）6",),
    {
        "unclassified_50": "未划型的企业按“其他企业”50%返还（核查提示：如属中小微企业应按90%返还，多退少补）",
        "classify_first": "“其他企业”不含未划型的企业（指大型、中小微以外的其他单位）：未划型的企业须先确定划型，此前无法判定",
    },
    "unclassified_50",
    "原文“大型企业及其他企业按…50%返还…中小微企业按…90%返还”，“其他企业”未定义。本库默认把不能认定为中小微企业的（含未划型的）"
    "按50%返还并提示核查（少发而非多发，不是放开资金）；但未划型的企业实际可能是中小微企业（应得90%），另一读法为先划型、此前无法判定。"
    "未划型的企业两种读法结果不同，未认定时为待认定（外部审计 a5，session 42）。",
)
rate_2022 = when(_large_rate_applies_2022, Param("refund_rate_large"), Param("refund_rate_sme")).named("返还比例", PERCENT)
# under classify_first an unclassified enterprise's amount waits for its class (the rate stays a rate: compiled as a fraction)
_classify_first_2022 = quiet(is_enterprise & IsMissing(eff_class)) & Reading(
    SW_OTHER_2022, {"unclassified_50": Lit(False), "classify_first": Lit(True)}
)

# share of the refund covered: 晋人社厅发〔2024〕28号 五 leaves out workers dispatched to 机关事业单位
# (the parameter ``dispatch_public_institution_share: excluded``); documents that are silent do not
SW_DISPATCH_PUBLIC = _switch(
    "dispatch_public_institutions",
    "劳务派遣单位中“派遣到机关事业单位的劳动者不在稳岗返还政策覆盖范围之内”如何体现",
    ("晋人社厅发〔2024〕28号 五",),
    {
        "headcount": "按人数比例扣除：返还金额 ×（上年末参保职工人数 − 派遣到机关事业单位的人数）÷ 上年末参保职工人数",
        "premium": "按缴费额扣除：返还基数减去派遣到机关事业单位的劳动者对应的上年度失业保险费（需该项数据）",
        "refuse": "有派遣到机关事业单位的劳动者的，整份申请不予受理（须剔除后重新申请）",
    },
    "headcount",
    "原文只说这部分劳动者不在覆盖范围之内，没有说不予返还整个单位，也没有给出扣除方法；人数数据经办机构已有（用工单位名单和"
    "被派遣劳动者数量留存备案），按人数扣除最易执行。有逐人缴费数据的地区可改按缴费额。",
)
dispatched_public_premium = Fact(
    "dispatched_public_premium_last_year_fen", "派遣到机关事业单位的劳动者对应的上年度失业保险费", MONEY
)
# what the document says (its code, not a fact of the case): cited by the check, not shown in the case's trace
_public_excluded = quiet(Coalesce(OptionalParam("dispatch_public_institution_share"), Lit("included")).eq("excluded"))
_has_public = _public_excluded & is_dispatch & (dispatched_public > 0)
_covered_share = when(
    _has_public,
    Ratio(headcount_end - dispatched_public, headcount_end, label="覆盖人数占比"),
    Lit(1),
)
_full_2024 = DocumentRateOf(base, rate_2024, label="稳岗返还金额")
# only a document that excludes these workers (晋28号 五) reads the switch
amount_2024 = ByParam(
    "dispatch_public_institution_share",
    {
        "excluded": when(
            _has_public,
            Reading(
                SW_DISPATCH_PUBLIC,
                {
                    "headcount": DocumentRateOf(base, rate_2024 * _covered_share, label="稳岗返还金额"),
                    "premium": DocumentRateOf(
                        (base - dispatched_public_premium).named("返还基数（扣除派遣到机关事业单位的部分）", MONEY), rate_2024
                    ),
                    "refuse": _full_2024,
                },
            ),
            _full_2024,
        )
    },
    _full_2024,
)
DISPATCH_PUBLIC = Check(
    "dispatch_public_institutions",
    "劳务派遣单位无派遣到机关事业单位的劳动者，或其份额已从返还中扣除",
    when(_has_public, Reading(SW_DISPATCH_PUBLIC, {"headcount": Lit(True), "premium": Lit(True), "refuse": Lit(False)}), Lit(True)),
    cite=("dispatch_public_institution_share",),
    reason="有派遣到机关事业单位的劳动者（不在稳岗返还政策覆盖范围之内）：按“整份不予受理”的解释，须剔除后重新申请",
    applies=_has("dispatch_public_institution_share"),
)

SW_PRIOR_2022 = _switch(
    "prior_refund_2022",
    "本期已按较低比例返还过的单位（含中小微企业），再按2022年新比例返还时是否扣除已发放部分",
    ("内人社办发〔2022〕86号（三）6",),
    {
        "top_up": "补足至新比例：按新比例计算的金额减去本期已发放的稳岗返还（不低于0，多发的另行多退少补）",
        "on_top": "在已发放之外再按新比例全额返还",
    },
    "top_up",
    "“中小微企业按…的90%返还”是对同一返还基数的返还比例，已返还的部分是其中一部分；大型企业的“已按30%返还的可返还至50%”"
    "同样是补足差额。但该文件对中小微企业本期已获返还的处理未置一词（只对大型企业写了“已按30%返还的可返还至50%”），"
    "文件不固定此解释（外部审计 a5，session 42：原由参数 prior_refund_2022 以“中小微企业按…90%返还”一句固定，该句并未回答此问题，已撤销）："
    "有已发放金额且影响结果时为待认定。",
)
_topup_paid = Fact("refunded_at_topup_from_rate", "已按30%返还", BOOL)
_full_2022 = DocumentRateOf(base, rate_2022)
# "已按30%返还的可返还至50%": up to 50 % in all — 50 % of the base, less what the 30 % refund paid (as given, or as the
# one rounding rule made it); not 20 % rounded on its own, which is a fen short for a base ending in 1 fen
_topup_2022 = Max(
    _full_2022 - Coalesce(already_paid, DocumentRateOf(base, Param("topup_from_rate"))), Lit(0)
).named("补足至新比例的差额（按新比例计算的金额 − 已按原比例返还的金额）", MONEY)
_net_2022 = Max(_full_2022 - Coalesce(already_paid, Lit(0)), Lit(0)).named("稳岗返还金额（扣除本期已发放）", MONEY)
amount_2022 = when(
    _classify_first_2022,
    Lit(None),
    when(_topup_paid, _topup_2022, Reading(SW_PRIOR_2022, {"top_up": _net_2022, "on_top": _full_2022})),
)

# 2019: 50 % of last year's premiums, or for an approved hardship firm the region's chosen standard
base_2019 = Reading(SW_BASE_2019, {"unit_and_staff": base, "unit_only": paid_unit_share})
rate_2019 = when(is_large, Param("refund_rate_large"), Param("refund_rate_sme")).named("返还比例", PERCENT)
_choice = Setting("hardship_standard_choice", "困难企业返还标准（地区选定）", TEXT)
SW_HARDSHIP_HEADCOUNT = _switch(
    "hardship_headcount_2019",
    "内政发〔2019〕4号 困难企业标准“按6个月的当地月人均失业保险金和参保职工人数确定”中参保职工人数的时点",
    ("内政发〔2019〕4号 一",),
    {
        "year_end": "上年末参保职工人数（insured_headcount）",
        "at_application": "申请（认定）时的参保职工人数（insured_headcount_at_application；缺少时无法判定）",
    },
    "year_end",
    "原文未写参保职工人数取哪个时点。同一条的50%返还按“上年度实际缴纳失业保险费”、裁员率按“上年末职工人数”，困难企业标准是"
    "替代50%返还的另一标准，默认取同一时点（上年末），经办机构已有该数据；困难企业标准适用于2019年（“2019 年1 月 1 日至 12 月 31 日”），"
    "按申请（认定）时的人数是另一读法，需该人数，缺少时无法判定。每人约6个月失业保险金，人数不同金额即不同：未认定时为待认定"
    "（外部审计 a5，session 42）。",
)
_hardship_headcount = Reading(
    SW_HARDSHIP_HEADCOUNT,
    {"year_end": headcount_end, "at_application": Fact("insured_headcount_at_application", "申请时参保职工人数", PERSONS)},
)
_hardship_benefit = (
    Setting("local_avg_monthly_benefit", "当地月人均失业保险金", MONEY)
    * OptionalParam("hardship_benefit_months")
    * _hardship_headcount
).named("6个月当地月人均失业保险金×参保职工人数", MONEY)
_hardship_contribution = DocumentRateOf(
    Fact("premium_due_6m_fen", "6个月企业及其职工应缴纳社会保险费", MONEY), OptionalParam("hardship_contribution_rate", fmt=PERCENT)
)
_hardship_amount = when(
    _choice.eq("benefit"), _hardship_benefit, when(_choice.eq("contribution"), _hardship_contribution, Lit(None))
)
_reserve_2019 = Setting("fund_reserve_years", "统筹地区失业保险基金滚存结余支付能力（年）", YEARS)
# "各统筹地区在失业保险基金滚存结余具备一年以上支付能力的前提下，自行选定返还标准": the precondition is on the region's
# choice of a standard, so a region that has chosen one (setting ``hardship_standard_choice``) has made that
# determination; a reserve figure it gives is still compared (as 40号 with a province notice, docs/decisions.md)
_reserve_ok_2019 = when(
    IsMissing(_reserve_2019) & ~IsMissing(_choice),
    Note(
        Lit(True),
        "统筹地区已自行选定困难企业返还标准（hardship_standard_choice），视为已确认具备选定的前提（内政发〔2019〕4号 一："
        "“各统筹地区在失业保险基金滚存结余具备一年以上支付能力的前提下，自行选定返还标准”）；如基金不具备一年以上支付能力，"
        "请提供 fund_reserve_years（--setting fund_reserve_years=0.5 或地区数据文件）",
    ),
    _reserve_2019 >= Param("fund_reserve_min_years"),
)
_hardship_in_force = ~IsMissing(OptionalParam("hardship_scope_review_group"))
_use_hardship = _hardship_in_force & hardship & _reserve_ok_2019
SW_HARDSHIP_2019 = _switch(
    "hardship_standard_2019",
    "内政发〔2019〕4号 困难企业返还标准与50%返还的关系",
    ("内政发〔2019〕4号 一",),
    {
        "replace": "经认定的困难企业按地区选定的困难企业标准返还，取代50%的标准",
        "higher": "困难企业取困难企业标准与上年度实际缴纳失业保险费50%中较高者",
    },
    "replace",
    "原文“返还标准可按…确定，或按…确定”是为困难企业另设的返还标准，由统筹地区“自行选定”，未写“就高”；"
    "困难企业标准多数情况下高于50%，取代读法不减少其应得，较高者读法是对文字的扩展。",
)
SW_RESERVE_2019 = _switch(
    "reserve_2019_scope",
    "内政发〔2019〕4号“在失业保险基金滚存结余具备一年以上支付能力的前提下”约束的范围",
    ("内政发〔2019〕4号 一",),
    {
        "hardship_only": "只约束困难企业返还标准：不满足时困难企业按50%返还，一般企业的50%返还不受影响",
        "all_standards": "也约束50%的返还：不满足时本统筹地区暂不具备返还条件（暂缓，无法判定）",
    },
    "hardship_only",
    "该句紧接困难企业标准之后，并以“自行选定返还标准”收尾：可选的只有困难企业的两种标准，50%是统一标准无须选定；"
    "但“返还标准”也可包括50%的标准，该句不能排除另一读法，文件不固定此解释（外部审计 a5，session 42：原由参数 reserve_2019_scope 固定，"
    "已撤销）：影响结果时为待认定；另一读法所需的基金支付能力（fund_reserve_years）缺少时，按地区数据问题处理。",
)
_fifty_2019 = DocumentRateOf(base_2019, rate_2019)
_hardship_or_higher = Reading(SW_HARDSHIP_2019, {"replace": _hardship_amount, "higher": Max(_hardship_amount, _fifty_2019)})
amount_2019 = when(hardship & _hardship_in_force, when(_reserve_ok_2019, _hardship_or_higher, _fifty_2019), _fifty_2019)
RESERVE_2019 = Check(
    "fund_reserve",
    "统筹地区失业保险基金滚存结余具备{fund_reserve_min_years}年以上支付能力（返还的前提）",
    Reading(
        SW_RESERVE_2019,
        {
            # not a ✔ of a figure never checked (audit of explanations, session 40): the check does not bind here
            "hardship_only": NotApplicable(Lit(True), "不适用：按现行理解，该前提仅约束困难企业的返还标准"),
            "all_standards": when(_reserve_ok_2019, Lit(True), Lit(None)),
        },
    ),
    reason="统筹地区失业保险基金滚存结余不具备一年以上支付能力，暂不具备返还条件",
    applies=_has("fund_reserve_min_years"),
)

SW_PERIOD_2019 = _switch(
    "period_2019",
    "内政发〔2019〕4号 一 50%返还（条文未写期限）的适用期限",
    ("内政发〔2019〕4号 一",),
    {
        "until_superseded": "未写期限：自文件起持续适用，直至本库下一份内蒙古稳岗返还规定（内人社办发〔2022〕86号，2022年1月1日起）取代，即至2021年12月31日",
        "until_2020": "至2020年12月31日：与本文件有期限的放宽措施（七 生活费补贴、八 技能提升补贴“2019 年 1 月 1 日至 2020 年 12 月 31 日”）同期结束，2021年不再适用",
    },
    "until_superseded",
    "50%返还一句未写期限，而同一条紧接着的困难企业标准写明“2019 年1 月 1 日至 12 月 31 日”，七、八 的放宽措施也各写期限："
    "本文件需要期限时都写明了（“深入实施失业保险促进就业和援企稳岗政策”是延续已有政策）。本库对未写期限的规定一律按持续适用、"
    "直至被取代处理（ui_benefit.claim_first_period，本文件 七 职业培训补贴、九、十），此处同样。2021年内蒙古、国家的稳岗返还文件均不在本库，"
    "故“取代”只能以本库的内人社办发〔2022〕86号为准；2020年底结束的读法是此前的解读（审查 A17：期限系推定），作为另一读法保留。",
)
PERIOD_2019 = Check(
    "period_2019",
    "在内政发〔2019〕4号 50%返还的适用期限内（该句未写期限，按本次审核采用的政策理解）",
    Reading(SW_PERIOD_2019, {"until_superseded": Lit(True), "until_2020": ~IsMissing(OptionalParam("relaxed_measures_end"))}),
    reason="按“与同期放宽措施一样至2020年12月31日”的解读，内政发〔2019〕4号 50%返还已不适用（本库无2021年内蒙古稳岗返还规定）",
)

HARDSHIP_RESERVE = Check(
    "hardship_reserve",
    "困难企业返还标准的前提：统筹地区失业保险基金滚存结余具备{fund_reserve_min_years}年以上支付能力",
    ~hardship | ~_hardship_in_force | _reserve_ok_2019,
    kind=FLAG,
    reason="统筹地区失业保险基金滚存结余不具备一年以上支付能力，困难企业不能适用困难企业返还标准，按上年度实际缴纳失业保险费的50%返还",
)

# ---------------------------------------------------------------------------------------------
# outputs


def _chain(fact: Expr, mapping: dict[str, str]) -> Expr:
    out: Expr = Lit(None)
    for key, text in reversed(mapping.items()):
        out = when(Coalesce(fact, Lit("")).eq(key), Lit(text), out)
    return out


SIZE_ZH = {"large": "大型企业", "medium": "中型企业", "small": "小型企业", "micro": "微型企业"}
STEP_ZH = {
    "given": "已认定的企业划型",
    "stats": "统计部门共享数据",
    "standard_2017": "参保登记、申报数据按现行标准（统计上大中小微型企业划分办法（2017））划型",
    "stats_other": "统计部门提供的大型企业数据中未列为大型（其它参保企业为中小微企业）",
    "avg_contributors": "上年度12个月平均缴费人数（300人及以上为大型企业）",
    "legal_entity": "分支机构按所属独立法人的类型划型",
    "si_system": "社保信息系统企业划型数据（暂定，正式划型后多退少补）",
}
_size_text = when(
    _sme_only & ~is_large,
    Lit("中小微企业"),
    _chain(eff_class, SIZE_ZH),
)

SIZE_OUTPUTS = [
    Output("size_class", "企业划型", _size_text, TEXT),
    Output("size_class_basis", "划型依据", _chain(eff_step, STEP_ZH), TEXT),
]
# the class the rules decided with, as a code, for a table's results (the 企业划型 column, the 公示 list, the ledger's class
# that a 划型变更 rescales from): not the jurisdiction-neutral class the features derive (统计数据, else 2017 标准), which
# 晋人社厅发〔2024〕28号 二 (≥300人 by 平均缴费人数) and the 兵团 draft 二（一） (社保信息系统划型) do not decide by. Only
# "not large" known (中小微 by 平均缴费人数, or 统计数据's others): no class (the rules report it as small only for its rate)
SIZE_CLASS_TABLE_OUTPUT = Output("size_class_code", "企业划型（代码）", when(_sme_only & ~is_large, Lit(None), eff_class), TEXT)


def _route(corporate: Expr, tax: Expr, none: Expr, tax_route: bool = True) -> Expr:
    """The account a payment goes to, as ``corporate``, ``tax`` or ``none`` says it: the unit's corporate account; the
    税务 social-insurance account only for 无对公账户的小微企业 with one, where the notice provides it (``tax_route``:
    人社部发〔2024〕40号 五、内人社发〔2025〕18号 四; the notices before provide none)."""
    if not tax_route:
        return when(has_corporate_account, corporate, none)
    return when(has_corporate_account, corporate, when(is_small_micro_known & has_tax_account, tax, none))


def _channel(tax_route: bool) -> Expr:
    return _route(
        Lit("单位对公账户"), Lit("税务部门协助提供的社会保险费缴费账户"), Lit("暂无可用收款账户（须补充对公账户信息）"), tax_route
    )


# the same route as a code, for a table's results (``case import`` pays by it): only the 2024 rulesets give it, so an
# import under an earlier notice pays the corporate account
CHANNEL_TABLE_OUTPUT = Output(
    "payment_channel_code", "发放账户（代码）", _route(Lit("corporate_account"), Lit("tax_payment_account"), Lit(None)), TEXT
)


_to_user_units = when(
    is_dispatch,
    Coalesce(
        DocumentRateOf(dispatched_premium, rate_2024),
        # a share of the amount: a share of a limit is rounded as the limit is
        DocumentRateOf(
            amount_2024,
            when(
                _public_excluded,
                Ratio(dispatched - dispatched_public, headcount_end - dispatched_public),
                Ratio(dispatched, headcount_end),
            ),
            rate_params=("refund_rate_large", "refund_rate_sme"),
        ),
    ),
    Lit(None),
)

OUTPUTS_2024 = [
    Output("rate", "适用返还比例", rate_2024, PERCENT),
    Output("base", "返还基数（企业及其职工上年度实际缴纳失业保险费）", base, MONEY),
    *SIZE_OUTPUTS,
    Output("payment_channel", "发放账户", _channel(True), TEXT),
    Output(
        "dispatch_to_user_units",
        "其中涉及被派遣劳动者的部分，须全额拨付给用工单位（有缴费额按缴费额，否则按人数比例）",
        _to_user_units,
        MONEY,
    ),
    Output(
        "dispatch_kept",
        "其中涉及自有员工的部分，由劳务派遣单位全额享受",
        when(is_dispatch, amount_2024 - _to_user_units, Lit(None)),
        MONEY,
    ),
    Output("settlement", "多退少补（正数为补发，负数为应退回）", amount_2024 - already_paid, MONEY),
    PAYMENT_HOLD_OUTPUT,
    EXCLUSION_RECORD_OUTPUT,
]

OUTPUTS_2022 = [
    Output("rate", "适用返还比例", rate_2022, PERCENT),
    Output("base", "返还基数（企业及其职工上年度实际缴纳当年度失业保险费）", base, MONEY),
    *SIZE_OUTPUTS,
    Output(
        "topup",
        "已按{topup_from_rate}返还的单位，本次补足差额（另行发放）",
        when(_topup_paid, _topup_2022, Lit(None)),
        MONEY,
    ),
    Output("full_amount", "按全额比例计算的返还金额", _full_2022, MONEY),
    Output("already_paid", "本期已发放的稳岗返还", already_paid, MONEY),
    Output("settlement", "多退少补（正数为补发，负数为应退回）", _full_2022 - already_paid, MONEY),
    Output("payment_channel", "发放账户", _channel(False), TEXT),
]

OUTPUTS_2019 = [
    Output("rate", "适用返还比例", when(_use_hardship, Lit(None), rate_2019), PERCENT),
    Output("base", "返还基数（上年度实际缴纳失业保险费）", when(_use_hardship, Lit(None), base_2019), MONEY),
    Output(
        "hardship_standard",
        "适用困难企业返还标准",
        when(_use_hardship, _chain(_choice, {"benefit": "6个月当地月人均失业保险金×参保职工人数", "contribution": "6个月企业及其职工应缴纳社会保险费的50%"}), Lit(None)),
        TEXT,
    ),
    Output("payment_channel", "发放账户", _channel(False), TEXT),
]

# ---------------------------------------------------------------------------------------------
# prepare: derive what the facts imply, never overwriting what the case gives

def prepare_size_inputs(facts: dict[str, Any]) -> dict[str, Any]:
    """The 2017-standard class from the indicators when not given (screening derives the same column)."""
    out = dict(facts)
    if out.get("size_class_2017") is None:
        out["size_class_2017"] = size_class_2017_of(out)
    return out


_ATTRITION_PARTS = ("attrition_contract_expiry", "attrition_transfer", "attrition_resignation", "attrition_retirement", "attrition_death")


def prepare_unit(facts: dict[str, Any]) -> dict[str, Any]:
    """Size inputs, and normal attrition as the sum of its reasons when only the reasons are given."""
    out = prepare_size_inputs(facts)
    parts = [out.get(k) for k in _ATTRITION_PARTS]
    if not out.get("normal_attrition_last_year") and any(p is not None for p in parts):
        out["normal_attrition_last_year"] = sum(p or 0 for p in parts)
    return out


def prepare(facts: dict[str, Any], resolution: Any) -> dict[str, Any]:
    """Complete the derived facts (the 2017-standard class from the indicators). The class itself is
    decided by the rules (``eff_class``), so the readings of the 划型 texts branch like any other."""
    return prepare_unit(facts)


# the same preparation over a facts table (``wengang screen --facts``; registered below with rules.batch): a column
# is derived only where the table can imply it, so the raw screen's features (every class already derived, no
# attrition parts) pass through unchanged

_SIZE_INDICATORS = ("employees", "revenue_10k_yuan", "assets_10k_yuan")


def _names(facts: Any) -> list[str]:
    """A table's column names (an in-memory one's without building its schema: tens of microseconds a call)."""
    import polars as pl

    return facts.columns if isinstance(facts, pl.DataFrame) else facts.collect_schema().names()


def _nulls(facts: Any, name: str) -> int | None:
    """The null count of a column of an in-memory table (None: a lazy one, not known without a pass)."""
    import polars as pl

    return facts.get_column(name).null_count() if isinstance(facts, pl.DataFrame) else None


def prepare_size_table(facts: Any) -> tuple[Any, frozenset[str]]:
    """:func:`prepare_size_inputs` over a table: ``size_class_2017`` from the indicators where it is null."""
    import polars as pl

    from wengang.facts.industries import size_category_expr
    from wengang.facts.size_class import classify_2017_expr

    cols = _names(facts)
    if "industry_code" not in cols or not any(c in cols for c in _SIZE_INDICATORS):
        return facts, frozenset()
    given = "size_class_2017" in cols
    if given and _nulls(facts, "size_class_2017") == 0:
        return facts, frozenset()
    if isinstance(facts, pl.DataFrame):  # nothing a derivation could fill: no pass over the codes
        inds = [pl.col(c).is_not_null() for c in _SIZE_INDICATORS if c in cols]
        gap = pl.col("size_class_2017").is_null() if given else pl.lit(True)
        if not facts.select((gap & pl.col("industry_code").is_not_null() & pl.any_horizontal(inds)).any()).item():
            return facts, frozenset()
    # each distinct code's size-table category once (a table has a few hundred codes, not a million), then the class
    # by the indicators' levels (facts.size_class: the raw screen's features take the same path)
    code = pl.col("industry_code").cast(pl.String)
    codes = (facts.lazy() if isinstance(facts, pl.DataFrame) else facts).select(code.unique().drop_nulls()).collect()
    cats = codes.select(size_category_expr("industry_code")).to_series()
    category = code.replace_strict(codes.to_series(), cats, default=None, return_dtype=pl.String)
    x, y, z = (pl.col(c) if c in cols else pl.lit(None, dtype=pl.Int64) for c in _SIZE_INDICATORS)
    derived = classify_2017_expr(code, x, y, z, category=category)
    if given:
        derived = pl.coalesce(pl.col("size_class_2017").cast(pl.String), derived)
    return facts.with_columns(derived.alias("size_class_2017")), frozenset({"size_class_2017"})


def prepare_unit_table(facts: Any) -> tuple[Any, frozenset[str]]:
    """:func:`prepare_unit` over a table: the size inputs, and ``normal_attrition_last_year`` as the sum of its
    reasons where it is null or 0 and a reason is given (数据字典：为0而分项给出时取分项之和)."""
    import polars as pl

    facts, changed = prepare_size_table(facts)
    cols = _names(facts)
    parts = [c for c in _ATTRITION_PARTS if c in cols]
    if not parts or (isinstance(facts, pl.DataFrame) and all(_nulls(facts, c) == facts.height for c in parts)):
        return facts, changed
    total = "normal_attrition_last_year"
    given = pl.col(total).cast(pl.Int64) if total in cols else pl.lit(None, dtype=pl.Int64)
    any_part = pl.any_horizontal([pl.col(c).is_not_null() for c in parts])
    summed = pl.sum_horizontal([pl.col(c).cast(pl.Int64).fill_null(0) for c in parts])
    filled = pl.when((given.is_null() | (given == 0)) & any_part).then(summed).otherwise(given)
    return facts.with_columns(filled.alias(total)), changed | {total}


# ---------------------------------------------------------------------------------------------
# rule sets

# the 2024 rate is the large firms' or the SMEs': where no 划型 is available to the reading in force (under
# ``size_class_where_silent=given`` a class the rules derived, size_class_step other than given, is not one) the amount
# is unknown with every input given, and "缺少计算稳岗返还金额所需数据" named no field (outside audit s19b, session 41).
# This condition is unknown exactly then, and its line names what decides it; with a class it passes, and where the
# rate does not depend on one (an organisation 参照 SMEs) it does not apply
_SIZES = {"large", "medium", "small", "micro"}
SIZE_KNOWN_2024 = Check(
    "size_class_known",
    "企业划型已确定（返还比例所需：经办机构已认定的现有企业划型（size_class），其划型来源（size_class_step）为空或为已认定；"
    "或按所采用的划型依据导出划型所需的数据；分支机构按其所属独立法人的类型划型，不按本机构数据）",
    when(
        IsMissing(eff_class),
        when(
            IsMissing(rate_2024),
            quiet(eff_class.isin(_SIZES)),
            NotApplicable(Lit(True), "不适用：该单位的返还比例不取决于企业划型"),
        ),
        Lit(True),
    ),
    reason="企业划型未确定，无法确定适用的返还比例",
)

V2024 = register(
    Ruleset(
        program=PROGRAM,
        name="v2024",
        label=LABEL,
        facts=UnitFacts,
        checks=[
            COVERED_2022_2024,
            MONTHS_PAID,
            MONTHS_TOTAL_KNOWN,
            *_layoff_checks_2022_2024(),
            GIVEN_RATE_FORMULA,
            *EXCLUSION_CHECKS,
            EXCLUSION_RECORD,
            DISPATCH_WAIVED,
            NOT_DISQUALIFIED,
            DEFERRAL_PAID_UP,
            DISPATCH_PUBLIC,
            PAYMENT_HOLD,
            FUND_RESERVE,
            PAYMENT_ACCOUNT_2024,
            PAYMENT_ACCOUNT_PLAIN,
            DISPATCH_APPLIES,
            SIZE_KNOWN_2024,
            SIZE_CLASS_OFFICIAL,
            OVERPAID_FLAG,
        ],
        amount=amount_2024,
        amount_label="稳岗返还金额",
        outputs=OUTPUTS_2024,
        table_outputs=[SIZE_CLASS_TABLE_OUTPUT, CHANNEL_TABLE_OUTPUT],
        prepare=prepare,
    )
)

TOPUP_LARGE = Check(
    "topup_large",
    "已按{topup_from_rate}返还、本次补足至{refund_rate_large}的为大型企业及其他企业",
    ~_topup_paid | quiet(_large_rate_applies_2022),
    kind=FLAG,
    cite=("topup_from_rate",),
    reason="已按30%返还的单位为中小微企业：本通知只规定了大型企业及其他企业由30%补足至50%，请核实此前返还比例",
)
SIZE_KNOWN_2022 = Check(
    "size_class_known",
    "企业划型已确定（未划型的按“其他企业”比例返还）",
    quiet(~is_enterprise | ~IsMissing(eff_class)),
    kind=FLAG,
    cite=("refund_rate_large",),
    reason="企业划型未确定，暂按“大型企业及其他企业”50%计算：如属中小微企业应按90%返还，请核实划型",
)

V2022 = register(
    Ruleset(
        program=PROGRAM,
        name="v2022",
        label=LABEL,
        facts=UnitFacts,
        checks=[
            COVERED_2022_2024,
            *_layoff_checks_2022_2024(of_total=""),
            GIVEN_RATE_FORMULA,
            PAYMENT_ACCOUNT_PLAIN,
            TOPUP_LARGE,
            SIZE_KNOWN_2022,
            OVERPAID_FLAG,
        ],
        amount=amount_2022,
        amount_label="稳岗返还金额",
        outputs=OUTPUTS_2022,
        table_outputs=[SIZE_CLASS_TABLE_OUTPUT],
        prepare=prepare,
    )
)

# 内政发〔2019〕4号 says nothing of the payee account (nor of 免申即享): the flag stays (a refund is paid to an account),
# cited as what it is, an agency check the text does not set — not to clause 一 (audit a5 item 11, session 42)
PAYMENT_ACCOUNT_2019 = Check(
    "payment_account",
    "有对公账户（发放账户：内政发〔2019〕4号未作规定，经办核查）",
    has_corporate_account,
    kind=FLAG,
    clauses=("经办核查事项（内政发〔2019〕4号未规定发放账户）",),
    reason="无对公账户：须单位补充银行账户信息后方可发放",
)

V2019 = register(
    Ruleset(
        program=PROGRAM,
        name="v2019",
        label=LABEL,
        facts=UnitFacts,
        checks=[COVERED_2019, PERIOD_2019, *_layoff_checks_2019(), RESERVE_2019, HARDSHIP_RESERVE, PAYMENT_ACCOUNT_2019, OVERPAID_FLAG],
        amount=amount_2019,
        amount_label="稳岗返还金额",
        outputs=OUTPUTS_2019,
        prepare=prepare,
    )
)

RULESETS = {"v2019": V2019, "v2022": V2022, "v2024": V2024}

from wengang.rules.batch import register_table_prepare  # noqa: E402

register_table_prepare(prepare, prepare_unit_table)

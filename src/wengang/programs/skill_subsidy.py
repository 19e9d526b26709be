"""技能提升补贴 (skill_subsidy): rulesets v2019, v2022, v2024, v2025.

| ruleset | enacted by | what changes |
|---|---|---|
| v2019 | 内政发〔2019〕4号 八 | 在职职工 only; insured 1 年（含）以上 (relaxed from 3 years); amounts are caps (不超过) |
| v2022 | 内人社办发〔2022〕86号 （三）11 | + benefit recipients; 同一职业同一等级一次; ≤ 3 a year; insured period "符合条件的" (a switch; default: region setting ``min_insured_months``) |
| v2024 | 人社部发〔2024〕40号 三 (山西 28号, 兵团 draft) | insured 1 年以上; ≤ 3 a year; no lower level after a higher one; not with 职业培训补贴; the province's fund reserve ≥ 1 year (region setting ``fund_reserve_years``) |
| v2025 | 内人社发〔2025〕18号 二 | 1 a year + 2 more for the region's urgently-needed occupations at +10%; no lower level once a higher one is *held* or subsidised; 证岗相适 flag (四); risk checks (五) |

The rules read flat facts. What a person's histories imply (how many subsidies this year, whether the
same occupation and level was paid before …) is derived by ONE definition written twice:

* :func:`derive_skill_features` — one application and its history (used by ``prepare``);
* :func:`derive_skill_features_frame` — a table of applications and a table of history (used by the
  screening pipeline). Within a batch, applications are taken in application-date order (ties by
  ``application_id``): an earlier application of the same person counts against a later one exactly as
  a past subsidy would. ``tests/programs/test_skill_subsidy_properties.py`` checks the two agree.

Readings are switches (``docs/interpretations.md``): the year a subsidy counts in (``year_basis``), the
insured period (``insured_period``, and ``insured_condition_2022`` for 86号's "符合条件的"), which of the IM 2025
yearly times an urgent certificate takes (``urgent_extra_slots``) and which are uplifted
(``urgent_uplift_scope``), the 40号 fund-reserve precondition
(``fund_reserve``), the scope of "不得和职业培训补贴重复享受" and which subsidy yields
(``training_overlap_scope``, ``training_overlap_yields``; the 兵团 draft fixes the later one by a parameter),
the certificate's time window (``certificate_window``), and the date at which the applicant must be 企业在职职工 or
正在领取失业保险金人员 (``status_date``: at the application, default, or at the certificate; fact
``person_status_at_certificate``), whether 内人社发〔2025〕18号's new count and uplift reach an application filed before
its 2025-05-27 issue (``terms_2025_from``), and whether a province's own implementing notice confirms the 40号 fund-reserve
precondition (``fund_reserve.province_notice``, fixed by the parameter ``fund_reserve_province_notice`` of the notices
that are one). Readings taken without a switch:

* a past subsidy whose ``urgent`` mark is empty counted as an ordinary one (the agency's record says how it
  was granted; an empty mark is read as "not granted as urgent");
* a past subsidy without a certificate date: counted by certificate year only when it was applied for
  before this certificate's year (it cannot be of that year); otherwise that count is unknown, never
  "another year";
* "不再享受低级别证书补贴" (no lower level after a higher one) as each text writes it, without a switch: 40号 三,
  晋28号 and the 兵团 draft say "已享受…高级别证书技能提升补贴的" (a higher certificate held but never subsidised does
  not bar a lower one); 内人社发〔2025〕18号 二 adds "已持有…或享受" (parameter ``lower_after_higher_basis``);
* derived facts only fill gaps: a fact the caller gives (e.g. ``certificate_outside_place`` from the
  agency's own check) is never replaced by the derivation;
* 内人社发〔2025〕18号 四 (证岗相适): only a flag for a non-urgent certificate of an employed worker without
  the employer's commitment — the text says urgent occupations need none, not that the others are refused.

An earlier application in the batch counts whether or not it is itself granted (a conservative
count: caps are never exceeded). An application refused for another reason is removed and the
batch re-screened by the pipeline if the operator wants the later ones re-counted.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import polars as pl

from wengang.facts.person import SkillSubsidyFacts
from wengang.programs import fund_reserve
from wengang.rules import interpretations
from wengang.rules.engine import FLAG, Check, Output, Ruleset, register
from wengang.rules.expr import (
    BOOL,
    COUNT,
    DATE,
    MONEY,
    MONTHS,
    YEARS,
    Coalesce,
    Fact,
    IsMissing,
    Lit,
    MonthSpan,
    OptionalParam,
    Param,
    RateOf,
    Reading,
    Setting,
    when,
)

PROGRAM = "skill_subsidy"
LABEL = "技能提升补贴"

# ---------------------------------------------------------------------------------------------
# interpretation switches

YEAR_BASIS = interpretations.register(
    interpretations.Switch(
        name="skill_subsidy.year_basis",
        title="“每人每年”按哪个年度计次",
        clauses=("人社部发〔2024〕40号 三", "内人社发〔2025〕18号 二", "内人社办发〔2022〕86号 （三）11"),
        readings={
            "application": "按申领日期所在自然年度计次",
            "certificate": "按证书发证日期所在自然年度计次",
            "payment": "按补贴发放日期所在自然年度计次（本次按申领年度发放）",
        },
        default="application",
        why="文件写“每人每年享受补贴次数”，未写以何日期定年度；“享受”以申领审核为准最常见，且申领人可据申领日知道自己的次数。",
        programs=(PROGRAM,),
    )
)
INSURED_PERIOD = interpretations.register(
    interpretations.Switch(
        name="skill_subsidy.insured_period",
        title="“参加失业保险 1 年以上”（人社部发〔2024〕40号 三）、“参加失业保险 12 个月以上”（内人社发〔2025〕18号 二）的计算口径",
        clauses=(
            "人社部发〔2024〕40号 三",
            "内人社发〔2025〕18号 二",
            "晋人社厅发〔2024〕28号 三",
            "兵团征求意见稿 一（三）",
            "内政发〔2019〕4号 八",
        ),
        readings={
            "cumulative_at_application": "累计参保月数，计至申领日",
            "continuous_at_application": "连续参保月数，计至申领日",
            "cumulative_at_certificate": "累计参保月数，计至发证日",
            "continuous_at_certificate": "连续参保月数，计至发证日",
        },
        default="cumulative_at_application",
        why="原文只写“参加失业保险…以上”，未写“连续”，也未写截至何时；按累计、截至申领日最贴近文义。",
        programs=(PROGRAM,),
    )
)
UPLIFT_SCOPE = interpretations.register(
    interpretations.Switch(
        name="skill_subsidy.urgent_uplift_scope",
        title="急需紧缺职业补贴标准“上浮10%”适用于哪几次",
        clauses=("内人社发〔2025〕18号 二",),
        readings={
            "all_urgent": "凡急需紧缺职业（工种）证书的补贴均上浮10%",
            "extra_only": "仅增加的2次（当年第2、3次）上浮10%，当年第1次按原标准",
        },
        default="all_urgent",
        why="“补贴标准在原标准基础上上浮10%”紧接“对取得自治区急需紧缺职业（工种）证书的”，主语是这类证书，不是增加的次数。",
        programs=(PROGRAM,),
    )
)

SLOTS = interpretations.register(
    interpretations.Switch(
        name="skill_subsidy.urgent_extra_slots",
        title="“每人每年可享受1次补贴…在此基础上增加2次补贴次数”：急需紧缺证书先占哪一次",
        clauses=("内人社发〔2025〕18号 二",),
        readings={
            "urgent_fill_extra": "急需紧缺职业（工种）证书先占增加的2次，每年1次的基本次数留给非急需紧缺证书；"
            "非急需紧缺证书每年至多1次，全年合计至多3次（结果与申领先后无关）",
            "first_uses_ordinary": "当年第1次补贴（无论是否急需紧缺）占用基本次数；此后只有急需紧缺证书可用增加的2次",
        },
        default="urgent_fill_extra",
        why="“增加2次”是对“取得自治区急需紧缺职业（工种）证书的”增加，这2次本就只属于急需紧缺证书；“每人每年可享受1次”对任何证书都有。"
        "先领急需紧缺证书的人不应因此失去基本次数，否则同样两张证书的结果取决于申领先后，文件没有这种意思。",
        programs=(PROGRAM,),
    )
)
INSURED_2022 = interpretations.register(
    interpretations.Switch(
        name="skill_subsidy.insured_condition_2022",
        title="2022年“符合条件的企业在职职工和正在领取失业保险金人员”：参保时长条件",
        clauses=("内人社办发〔2022〕86号 （三）11",),
        readings={
            "setting": "参保时长条件由经办方按地区设置 min_insured_months（月数，以上含本数）；未设置时无法判定",
            "national_2022_23": "按人社部发〔2022〕23号所定条件：参加失业保险1年（12个月）以上（该文件不在本库，条件未经本库文本核对）",
            "none": "无参保时长条件",
        },
        default="national_2022_23",
        why="原文只写“符合条件的”，条件在本文件之外（本文件及其转发文件都未写参保时长），不应自行认定为“无条件”。"
        "本库其他各年文件（内政发〔2019〕4号 八、人社部发〔2024〕40号 三、内人社发〔2025〕18号 二、兵团征求意见稿）都以参保1年"
        "（12个月）以上为条件，默认取同一条件；未认定本开关时，参保不足12个月的申领人得出“待认定”（“无条件”的理解给出符合），"
        "不会被悄悄拒绝或支付。经办方另有规定的，取 setting 并设置 min_insured_months。",
        programs=(PROGRAM,),
    )
)
FUND_RESERVE_SW = interpretations.register(
    interpretations.Switch(
        name="skill_subsidy.fund_reserve",
        title="省级“上年度失业保险基金滚存结余备付期限应在1年以上”不满足时技能提升补贴的处理",
        clauses=("人社部发〔2024〕40号 三",),
        readings={
            "block": "本省暂不具备实施条件：不作不予补贴的决定，结果为“无法判定”（暂缓）",
            "refuse": "作为申领条件：不满足即不予补贴",
        },
        default="block",
        why="该条件针对“实施上述技能提升补贴政策的省（自治区、直辖市）”，是实施政策的前提，不是申领人自身的条件；"
        "与稳岗返还的同一句（fanhuan.fund_reserve）处理一致：不满足时暂缓，不向个人作出“不符合条件”的结论。",
        programs=(PROGRAM,),
    )
)
TERMS_2025 = interpretations.register(
    interpretations.Switch(
        name="skill_subsidy.terms_2025_from",
        title="内人社发〔2025〕18号（2025年5月27日印发）的新规定（每人每年1次、急需紧缺增加2次、上浮10%）是否适用于印发前的申领",
        clauses=("内人社发〔2025〕18号 二", "内人社发〔2025〕18号 末段"),
        readings={
            "year_start": "适用：本文件的技能提升补贴自2025年1月1日起执行（延续实施），印发前提出的申领同样按每人每年1次、"
            "急需紧缺职业（工种）增加2次并上浮10%",
            "issue_date": "自印发之日（2025年5月27日）起提出的申领才按上述新规定；此前提出的，每年次数按人社部发〔2024〕40号 三"
            "“每人每年享受补贴次数最多不超过三次”，急需紧缺职业（工种）不上浮（其余条件同本文件）",
        },
        default="year_start",
        why="文件题为“延续实施”，末段只写“执行期限至2025年12月31日”，没有写起始日；本库把执行期起始读作2025年1月1日（与上年度"
        "政策衔接，不留空档），整份文件（含新增的次数和上浮）自该日起适用。文件5月27日才印发，也可读作新增、改变的规定只对印发后提出的"
        "申领适用（此前按延续的国家政策）：两种理解对印发前提出、急需紧缺职业（工种）或当年第2、3次的申领结论不同，未认定本开关时为“待认定”。",
        programs=(PROGRAM,),
    )
)
TRAINING_SCOPE = interpretations.register(
    interpretations.Switch(
        name="skill_subsidy.training_overlap_scope",
        title="“技能提升补贴和职业培训补贴不得重复享受”的范围",
        clauses=("人社部发〔2024〕40号 三", "内人社发〔2025〕18号 二", "兵团征求意见稿 一（三）"),
        readings={
            "same_occupation": "同一职业（工种）的职业培训补贴与技能提升补贴不得重复享受",
            "same_occupation_level": "同一职业（工种）同一等级的职业培训补贴与技能提升补贴不得重复享受（培训补贴无等级记录的无法判定）",
            "any_training": "享受过任何职业培训补贴的，不得再享受技能提升补贴（反之亦然）",
        },
        default="same_occupation",
        why="“重复享受”指为同一件事领两次补贴：培训补贴和技能提升补贴都是对取得某一职业（工种）技能的补贴，同一职业（工种）才是“重复”；"
        "文件未提等级，也未禁止为不同职业分别享受。要求同一等级或一概排除的地区可固定其他解读。",
        programs=(PROGRAM,),
    )
)
TRAINING_YIELDS = interpretations.register(
    interpretations.Switch(
        name="skill_subsidy.training_overlap_yields",
        title="技能提升补贴与职业培训补贴重复时退出哪一项",
        clauses=("人社部发〔2024〕40号 三", "内人社发〔2025〕18号 二", "兵团征求意见稿 一（三）"),
        readings={
            "later_yields": "后享受的一项不予享受（或退回）：申领前已享受培训补贴的，本补贴不予享受；申领后又享受培训补贴的，追回培训补贴",
            "applicant_chooses": "由申领人选择其一：本补贴照常审核，列为核查事项，选择本补贴的退回职业培训补贴",
        },
        default="later_yields",
        why="兵团征求意见稿写明“按照后享受的单位或个人退回资金的原则”（由参数 training_overlap_yields_basis 固定）；"
        "40号和内蒙古文件只写“不得重复享受”，本库唯一写明处理原则的文本是兵团稿，默认与之一致。",
        programs=(PROGRAM,),
    )
)
CERT_WINDOW = interpretations.register(
    interpretations.Switch(
        name="skill_subsidy.certificate_window",
        title="证书须在何时取得（文件未写取证时限）",
        clauses=(
            "人社部发〔2024〕40号 三",
            "内人社发〔2025〕18号 二",
            "内人社办发〔2022〕86号 （三）11",
            "内政发〔2019〕4号 八",
        ),
        readings={
            "any_date": "不限取证时间（文件未写时限）",
            "policy_period": "证书须在本政策执行期内取得（执行期起止日按所适用文件）",
            "months_before_application": "发证之日至申领之日不满N个月（N为地区设置 certificate_max_age_months；未设置时不限）",
        },
        default="any_date",
        why="各文件只写“取得…证书的”可申领，均未写取证时限；增加文件没有的条件会缩小享受范围，默认不限。"
        "经办中常见按政策期或申领前若干月限定，作为可固定的解读列出，使“多年前取得的证书”这一情形可见。",
        programs=(PROGRAM,),
    )
)

STATUS_DATE = interpretations.register(
    interpretations.Switch(
        name="skill_subsidy.status_date",
        title="“企业在职职工或正在领取失业保险金人员，取得…证书的”：申领人须在何时具有该身份",
        clauses=(
            "内人社发〔2025〕18号 二",
            "人社部发〔2024〕40号 三",
            "晋人社厅发〔2024〕28号 三",
            "兵团征求意见稿 一（三）",
            "内人社办发〔2022〕86号 （三）11",
            "内政发〔2019〕4号 八",
        ),
        readings={
            "at_application": "申领时（申领日）属于企业在职职工或正在领取失业保险金人员",
            "at_certificate": "取得证书时（发证日）属于企业在职职工或正在领取失业保险金人员（申领时身份不论）",
        },
        default="at_application",
        why="原文只写“企业在职职工或正在领取失业保险金人员，取得…证书的”，未写以何日为准；补贴是向申领人发放的，经办时核验的是申领时的"
        "参保、领金状态，与参保时长默认计至申领日（skill_subsidy.insured_period）一致。“正在领取”也可读作取证时正在领取：发证时领金、"
        "申领前领金已期满的人员，两种理解结论不同，未认定本开关时为“待认定”。发证日身份未提供时：申领日即发证日的，取申领时身份；"
        "申领时为企业在职职工、且在现单位参保起始日期不晚于发证日的，发证时亦为企业在职职工（起始日期晚于发证日的，发证时身份未知）；"
        "未提供该日期时，截至申领日连续参保月数不少于发证当月至申领当月的月数的（发证时在参保缴费，即在职），发证时亦为在职职工；"
        "其余为未知（按发证日理解时无法判定）。批量筛查中，失业保险金领取记录覆盖发证日的，发证时为正在领取失业保险金人员。",
        programs=(PROGRAM,),
    )
)

# ---------------------------------------------------------------------------------------------
# derived features: one definition, a Python form and a Polars form


@dataclass(frozen=True)
class _Prior:
    """A subsidy that counts against this application (a past one, or an earlier one in the batch)."""

    occupation_key: str
    level: int
    application_date: date
    certificate_issue_date: date | None
    paid_date: date | None
    urgent: bool


def occupation_key(code: str, work_type: str | None) -> str:
    return f"{code}/{(work_type or '').strip()}"


_TRAILING_ZEROS = re.compile(r"(00)+$")


def _region_prefix(code: str) -> str:
    return _TRAILING_ZEROS.sub("", code.strip())


def _related(a: str, b: str) -> bool:
    pa, pb = _region_prefix(a), _region_prefix(b)
    return pa.startswith(pb) or pb.startswith(pa)


def certificate_outside_place(
    cert_region: str | None, insured: str | None, benefit: str | None
) -> bool | None:
    """持参保地或领金地以外所获证书: neither region contains the other (GB/T 2260 prefixes)."""
    places = [r for r in (insured, benefit) if r]
    if not cert_region or not places:
        return None
    return not any(_related(cert_region, p) for p in places)


def _get(item: Any, name: str, default: Any = None) -> Any:
    if isinstance(item, Mapping):
        return item.get(name, default)
    return getattr(item, name, default)


def _kleene_any(values: list[bool | None]) -> bool | None:
    if any(v is True for v in values):
        return True
    return None if any(v is None for v in values) else False


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end`` (a month is complete on the same day of the month)."""
    return (end.year - start.year) * 12 + end.month - start.month - (1 if end.day < start.day else 0)


def derive_skill_features(application: Mapping[str, Any], history: Mapping[str, Any]) -> dict[str, Any]:
    """Flat features of one application from its history.

    ``history`` has ``past_subsidies`` (incl. earlier applications of the same batch), ``held_certificates``
    and ``training_subsidies`` (lists of dicts or models, as in :class:`SkillSubsidyFacts`).
    """
    key = occupation_key(application["occupation_code"], application.get("work_type"))
    level = int(application["level"])
    app_date: date = application["application_date"]
    cert_date: date = application["certificate_issue_date"]
    priors = [
        _Prior(
            occupation_key(_get(p, "occupation_code"), _get(p, "work_type")),
            int(_get(p, "level")),
            _get(p, "application_date"),
            _get(p, "certificate_issue_date"),
            _get(p, "paid_date"),
            bool(_get(p, "urgent", False)),
        )
        for p in history.get("past_subsidies") or []
    ]

    def by_app(p: _Prior) -> bool:
        return p.application_date.year == app_date.year

    def by_cert(p: _Prior) -> bool | None:
        if p.certificate_issue_date is None:
            # a certificate is issued before it is applied for: a subsidy applied for before this
            # certificate's year cannot be of that year; otherwise its year is unknown, never "another year"
            return False if p.application_date.year < cert_date.year else None
        return p.certificate_issue_date.year == cert_date.year

    def by_pay(p: _Prior) -> bool:
        return (p.paid_date or p.application_date).year == app_date.year

    out: dict[str, Any] = {}
    for basis, fn in (("application", by_app), ("certificate", by_cert), ("payment", by_pay)):
        hits = [(fn(p), p.urgent) for p in priors]
        known = all(h is not None for h, _ in hits)
        out[f"subsidies_this_year_by_{basis}"] = sum(1 for h, _ in hits if h) if known else None
        out[f"ordinary_subsidies_this_year_by_{basis}"] = (
            sum(1 for h, u in hits if h and not u) if known else None
        )
    same = [p for p in priors if p.occupation_key == key]
    out["same_occupation_level_subsidised"] = any(p.level == level for p in same)
    out["higher_level_same_occupation_subsidised"] = any(p.level < level for p in same)
    held_higher = any(
        occupation_key(_get(h, "occupation_code"), _get(h, "work_type")) == key
        and int(_get(h, "level")) < level
        and (_get(h, "issue_date") is None or _get(h, "issue_date") <= app_date)
        for h in history.get("held_certificates") or []
    )
    out["higher_level_same_occupation_held"] = out["higher_level_same_occupation_subsidised"] or held_higher
    trainings = [
        (
            _get(t, "received_date"),
            occupation_key(_get(t, "occupation_code"), _get(t, "work_type")) == key,
            _get(t, "level"),
        )
        for t in history.get("training_subsidies") or []
    ]
    for side, on_side in (("before", lambda d: d <= app_date), ("after", lambda d: d > app_date)):
        mine = [(same, lv) for d, same, lv in trainings if on_side(d)]
        out[f"training_subsidy_same_occupation_{side}"] = any(same for same, _ in mine)
        out[f"training_subsidy_same_level_{side}"] = _kleene_any(
            [None if lv is None else int(lv) == level for same, lv in mine if same]
        )
        out[f"training_subsidy_any_{side}"] = bool(mine)
    out["certificate_age_months"] = months_between(cert_date, app_date)
    out["certificate_outside_place"] = certificate_outside_place(
        application.get("certificate_region"),
        application.get("insured_region"),
        application.get("benefit_region"),
    )
    return out


HISTORY_FIELDS = ("past_subsidies", "held_certificates", "training_subsidies")
DERIVED_FIELDS = (
    "subsidies_this_year_by_application",
    "subsidies_this_year_by_certificate",
    "subsidies_this_year_by_payment",
    "ordinary_subsidies_this_year_by_application",
    "ordinary_subsidies_this_year_by_certificate",
    "ordinary_subsidies_this_year_by_payment",
    "same_occupation_level_subsidised",
    "higher_level_same_occupation_subsidised",
    "higher_level_same_occupation_held",
    "training_subsidy_same_occupation_before",
    "training_subsidy_same_occupation_after",
    "training_subsidy_same_level_before",
    "training_subsidy_same_level_after",
    "training_subsidy_any_before",
    "training_subsidy_any_after",
    "certificate_age_months",
    "certificate_outside_place",
)


def in_policy_period(cert_date: date | None, resolution: Any) -> bool | None:
    """Whether the certificate was issued within the period of the document in force (``resolution``)."""
    if cert_date is None or resolution is None:
        return None
    end = resolution.valid_to
    return resolution.valid_from <= cert_date and (end is None or cert_date <= end)


def insured_outside(insured_region: str | None, resolution: Any) -> bool | None:
    """Whether the person is insured outside the region applied in (GB/T 2260 prefixes, as for certificates)."""
    key = getattr(getattr(resolution, "region", None), "key", None)
    if not insured_region or not key or not key.isdigit():
        return None
    return not _related(insured_region, key)


def _fill(out: dict[str, Any], derived: Mapping[str, Any]) -> None:
    """A given fact is never overwritten by a derived one: derived values only fill gaps."""
    for name, value in derived.items():
        if out.get(name) is None:
            out[name] = value


def prepare(facts: dict[str, Any], resolution: Any) -> dict[str, Any]:
    """Fill the derived fields the caller left empty; from the histories when they are supplied (even empty)."""
    out = dict(facts)
    _fill(
        out,
        {
            "certificate_outside_place": certificate_outside_place(
                out.get("certificate_region"), out.get("insured_region"), out.get("benefit_region")
            ),
            "certificate_age_months": months_between(out["certificate_issue_date"], out["application_date"]),
            "certificate_in_policy_period": in_policy_period(out.get("certificate_issue_date"), resolution),
            "insured_outside_applied_region": insured_outside(out.get("insured_region"), resolution),
        },
    )
    if all(out.get(f) is None for f in HISTORY_FIELDS):
        return out
    _fill(out, derive_skill_features(out, {f: out.get(f) or [] for f in HISTORY_FIELDS}))
    return out


# --- the same derivation over tables ------------------------------------------------------------

APP_SCHEMA = {
    "application_id": pl.String,
    "id_number": pl.String,
    "application_date": pl.Date,
    "occupation_code": pl.String,
    "work_type": pl.String,
    "level": pl.Int64,
    "certificate_issue_date": pl.Date,
    "urgent_occupation": pl.Boolean,
    "certificate_region": pl.String,
    "insured_region": pl.String,
    "benefit_region": pl.String,
    "evaluation_body": pl.String,
}
HISTORY_SCHEMA = {
    "id_number": pl.String,
    "occupation_code": pl.String,
    "work_type": pl.String,
    "level": pl.Int64,
    "application_date": pl.Date,
    "certificate_issue_date": pl.Date,
    "paid_date": pl.Date,
    "urgent": pl.Boolean,
}
HELD_SCHEMA = {
    "id_number": pl.String,
    "occupation_code": pl.String,
    "work_type": pl.String,
    "level": pl.Int64,
    "issue_date": pl.Date,
}
TRAINING_SCHEMA = {
    "id_number": pl.String,
    "occupation_code": pl.String,
    "work_type": pl.String,
    "level": pl.Int64,
    "received_date": pl.Date,
}


def _key_expr(code: str = "occupation_code", work_type: str = "work_type") -> pl.Expr:
    return pl.concat_str([pl.col(code), pl.lit("/"), pl.col(work_type).fill_null("").str.strip_chars()])


def _prefix(col: str) -> pl.Expr:
    return pl.col(col).str.strip_chars().str.replace(r"(00)+$", "")


def _related_expr(a: str, b: str) -> pl.Expr:
    pa, pb = _prefix(a), _prefix(b)
    return pa.str.starts_with(pb) | pb.str.starts_with(pa)


def _outside_expr() -> pl.Expr:
    ins = pl.col("insured_region").is_not_null() & (pl.col("insured_region") != "")
    ben = pl.col("benefit_region").is_not_null() & (pl.col("benefit_region") != "")
    cert = pl.col("certificate_region").is_not_null() & (pl.col("certificate_region") != "")
    related = (ins & _related_expr("certificate_region", "insured_region")).fill_null(False) | (
        ben & _related_expr("certificate_region", "benefit_region")
    ).fill_null(False)
    return pl.when(~cert | ~(ins | ben)).then(None).otherwise(~related)


def with_evaluation_body_count(
    frame: pl.LazyFrame,
    *,
    window_days: int | None = None,
    body: str = "evaluation_body",
    issued: str = "certificate_issue_date",
    out: str = "evaluation_body_batch_count",
) -> pl.LazyFrame:
    """批量持同一评价机构所发证书 (内人社发〔2025〕18号 五): ``out`` = how many certificates of the row's
    evaluation body the batch holds — all of them (``window_days`` None), or the most issued within any
    ``window_days`` consecutive calendar days that include this certificate's issue date (a cluster in time).

    The check (``evaluation_body_batch``) flags ``out`` at or above the region's threshold (达到即列为疑点).
    Computed on a (body, day) count table: a rolling sum over the days ending at each day, then a rolling
    maximum over the days starting at each day, so each certificate gets its busiest window. Adding
    certificates never lowers a count. Rows without a body (or, windowed, an issue date) get null.
    """
    has_body = pl.col(body).fill_null("") != ""
    if window_days is None:
        return frame.with_columns(pl.when(has_body).then(pl.len().over(body)).cast(pl.Int64).alias(out))
    daily = evaluation_body_days(frame, window_days=window_days, body=body, issued=issued, out=out)
    return frame.join(daily, on=[body, issued], how="left", nulls_equal=False)


def evaluation_body_days(
    frame: pl.LazyFrame,
    *,
    window_days: int,
    body: str = "evaluation_body",
    issued: str = "certificate_issue_date",
    out: str = "evaluation_body_batch_count",
    by: Sequence[str] = (),
) -> pl.LazyFrame:
    """The windowed count of :func:`with_evaluation_body_count` per (``body``, ``issued``) day of ``frame``:
    one row per body and issue day (rows without a body or an issue date have none), and per value of the
    columns ``by`` among that day's certificates (each row still counts all of them). The count depends only
    on the body's own certificates, so it can be computed one group of bodies at a time (the risk batch
    does, in bounded memory, with ``by`` the partition of each certificate's holder) and joined to the
    certificates on (body, day)."""
    if window_days < 1:
        raise ValueError(f"window_days must be at least 1, not {window_days}")
    w = int(window_days)
    has_body = pl.col(body).fill_null("") != ""
    daily = (
        frame.filter(has_body & pl.col(issued).is_not_null())
        .group_by(body, issued, *by)
        .agg(pl.len().cast(pl.Int64).alias("_n"))
        .sort(body, issued)
    )
    # one time axis for all bodies (no rolling per group): the days of the k-th body are placed at
    # k × (span + w) + (day − first day), so bodies are at least w apart and no window reaches another body;
    # a window is by value, so the rows of one day (one per value of ``by``) all count each other
    day = pl.col(issued).cast(pl.Int32).cast(pl.Int64)
    span = day.max() - day.min()
    key = (pl.col(body) != pl.col(body).shift()).fill_null(True).cum_sum().cast(pl.Int64) * (span + w) + (
        day - day.min()
    )
    return (
        daily.with_columns(key.alias("_t"))
        # certificates of the body issued in the window of w days ending on this day
        .with_columns(pl.col("_n").rolling_sum_by("_t", window_size=f"{w}i").alias("_c"))
        # the busiest such window among those ending within w days from this day (they all contain it)
        .reverse()
        .with_columns((-pl.col("_t")).alias("_back"))
        .with_columns(pl.col("_c").rolling_max_by("_back", window_size=f"{w}i").alias(out))
        .select(body, issued, *by, pl.col(out).cast(pl.Int64))
    )


def _empty(schema: Mapping[str, Any]) -> pl.LazyFrame:
    return pl.LazyFrame(schema=dict(schema))


def derive_skill_features_frame(
    apps: pl.LazyFrame,
    history: pl.LazyFrame | None = None,
    held: pl.LazyFrame | None = None,
    training: pl.LazyFrame | None = None,
    *,
    evaluation_body_window_days: int | None = None,
) -> pl.LazyFrame:
    """The derived fields of :func:`derive_skill_features`, for a table of applications.

    ``apps`` has the columns of :data:`APP_SCHEMA` (plus any other fact columns, kept); ``history`` past
    subsidies (:data:`HISTORY_SCHEMA`), ``held`` certificates held, ``training`` 职业培训补贴 received.
    Earlier applications of the same person in ``apps`` count as past subsidies of later ones.
    ``evaluation_body_batch_count`` (certificates of the same evaluation body in this batch, or with
    ``evaluation_body_window_days`` in the busiest window of that many days around the certificate:
    :func:`with_evaluation_body_count`) is added when the column is absent.
    """
    history = history if history is not None else _empty(HISTORY_SCHEMA)
    held = held if held is not None else _empty(HELD_SCHEMA)
    training = training if training is not None else _empty(TRAINING_SCHEMA)
    names = apps.collect_schema().names()
    if "work_type" not in names:
        apps = apps.with_columns(pl.lit("", dtype=pl.String).alias("work_type"))
    for col in ("certificate_region", "insured_region", "benefit_region", "evaluation_body"):
        if col not in names:
            apps = apps.with_columns(pl.lit(None, dtype=pl.String).alias(col))
    # facts that need the resolved policy (its period, the region applied in) come from the caller that resolved
    # it (``prepare``; ``screening.people.with_policy_period``); unknown here
    for col in (
        "urgent_occupation",
        "certificate_in_policy_period",
        "insured_outside_applied_region",
        "fit_commitment_provided",
    ):
        if col not in names:
            apps = apps.with_columns(pl.lit(None, dtype=pl.Boolean).alias(col))
    apps = apps.with_columns(
        _key_expr().alias("_key"),
        pl.struct("application_date", "application_id")
        .rank("ordinal")
        .over("id_number")
        .cast(pl.Int64)
        .alias("_order"),
    )
    if "evaluation_body_batch_count" not in names:
        apps = with_evaluation_body_count(apps, window_days=evaluation_body_window_days)
    cur = apps.select(
        "application_id",
        "id_number",
        pl.col("_key").alias("_cur_key"),
        pl.col("level").cast(pl.Int64).alias("_cur_level"),
        pl.col("application_date").alias("_cur_app"),
        pl.col("certificate_issue_date").alias("_cur_cert"),
        "_order",
    )
    past = history.select(
        "id_number",
        _key_expr().alias("_key"),
        pl.col("level").cast(pl.Int64),
        "application_date",
        "certificate_issue_date",
        pl.coalesce("paid_date", "application_date").alias("_pay"),
        pl.col("urgent").fill_null(False).alias("_urgent"),
        pl.lit(0, dtype=pl.Int64).alias("_p_order"),
    )
    earlier = apps.select(
        "id_number",
        "_key",
        pl.col("level").cast(pl.Int64),
        "application_date",
        "certificate_issue_date",
        pl.col("application_date").alias("_pay"),
        pl.col("urgent_occupation").fill_null(False).alias("_urgent"),
        pl.col("_order").alias("_p_order"),
    )
    priors = pl.concat([past, earlier], how="vertical_relaxed")
    pairs = cur.join(priors, on="id_number", how="inner").filter(pl.col("_p_order") < pl.col("_order"))
    by = {
        "application": pl.col("application_date").dt.year() == pl.col("_cur_app").dt.year(),
        "certificate": pl.when(pl.col("certificate_issue_date").is_not_null())
        .then(pl.col("certificate_issue_date").dt.year() == pl.col("_cur_cert").dt.year())
        .when(pl.col("application_date").dt.year() < pl.col("_cur_cert").dt.year())
        .then(False),  # null: the year is unknown (see derive_skill_features)
        "payment": pl.col("_pay").dt.year() == pl.col("_cur_app").dt.year(),
    }
    same = pl.col("_key") == pl.col("_cur_key")
    aggs = []
    for basis, cond in by.items():
        unknown = cond.is_null().any()
        for prefix, hit in (("", cond), ("ordinary_", cond & ~pl.col("_urgent"))):
            aggs.append(
                pl.when(unknown)
                .then(None)
                .otherwise(hit.fill_null(False).sum())
                .cast(pl.Int64)
                .alias(f"{prefix}subsidies_this_year_by_{basis}")
            )
    aggs += [
        (same & (pl.col("level") == pl.col("_cur_level"))).any().alias("same_occupation_level_subsidised"),
        (same & (pl.col("level") < pl.col("_cur_level")))
        .any()
        .alias("higher_level_same_occupation_subsidised"),
    ]
    subsidy_feats = pairs.group_by("application_id").agg(*aggs, pl.lit(True).alias("_has_priors"))

    held_feats = (
        cur.join(held.with_columns(_key_expr().alias("_key")), on="id_number", how="inner")
        .filter(
            (pl.col("_key") == pl.col("_cur_key"))
            & (pl.col("level").cast(pl.Int64) < pl.col("_cur_level"))
            & (pl.col("issue_date").is_null() | (pl.col("issue_date") <= pl.col("_cur_app")))
        )
        .group_by("application_id")
        .agg(pl.lit(True).alias("_held_higher"))
    )
    t_same = pl.col("_key") == pl.col("_cur_key")
    t_aggs = []
    for side, on_side in (
        ("before", pl.col("received_date") <= pl.col("_cur_app")),
        ("after", pl.col("received_date") > pl.col("_cur_app")),
    ):
        t_aggs += [
            (t_same & on_side).any().alias(f"training_subsidy_same_occupation_{side}"),
            pl.when(t_same & on_side)
            .then(pl.col("level").cast(pl.Int64) == pl.col("_cur_level"))
            .otherwise(False)
            .any(ignore_nulls=False)
            .alias(f"training_subsidy_same_level_{side}"),
            on_side.any().alias(f"training_subsidy_any_{side}"),
        ]
    training_feats = (
        cur.join(training.with_columns(_key_expr().alias("_key")), on="id_number", how="inner")
        .group_by("application_id")
        .agg(*t_aggs, pl.lit(True).alias("_has_training"))
    )
    # a given fact is never overwritten by a derived one: given columns are kept and only their gaps filled
    given = [c for c in DERIVED_FIELDS if c in names]
    out = (
        apps.rename({c: f"_given_{c}" for c in given})
        .join(subsidy_feats, on="application_id", how="left")
        .join(held_feats, on="application_id", how="left")
        .join(training_feats, on="application_id", how="left")
    )
    zeros = [c for c in DERIVED_FIELDS if c.startswith(("subsidies_", "ordinary_"))]
    falses = [
        "same_occupation_level_subsidised",
        "higher_level_same_occupation_subsidised",
        *[f"training_subsidy_{k}_{side}" for k in ("same_occupation", "any") for side in ("before", "after")],
    ]
    has_pairs = pl.col("_has_priors").fill_null(False)
    age = (
        (pl.col("application_date").dt.year() - pl.col("certificate_issue_date").dt.year()).cast(pl.Int64)
        * 12
        + pl.col("application_date").dt.month().cast(pl.Int64)
        - pl.col("certificate_issue_date").dt.month().cast(pl.Int64)
        - (pl.col("application_date").dt.day() < pl.col("certificate_issue_date").dt.day()).cast(pl.Int64)
    )
    out = out.with_columns(
        # no prior at all: the counts are 0 (a null count from the join is "no rows", not "unknown")
        *[pl.when(has_pairs).then(pl.col(c)).otherwise(0).cast(pl.Int64).alias(c) for c in zeros],
        *[pl.col(c).fill_null(False) for c in falses],
        *[
            pl.when(pl.col("_has_training")).then(pl.col(c)).otherwise(False).alias(c)
            for c in ("training_subsidy_same_level_before", "training_subsidy_same_level_after")
        ],
        (
            pl.col("higher_level_same_occupation_subsidised").fill_null(False)
            | pl.col("_held_higher").fill_null(False)
        ).alias("higher_level_same_occupation_held"),
        age.alias("certificate_age_months"),
        _outside_expr().alias("certificate_outside_place"),
    )
    return out.with_columns([pl.coalesce(f"_given_{c}", c).alias(c) for c in given]).drop(
        "_key", "_order", "_held_higher", "_has_priors", "_has_training", *[f"_given_{c}" for c in given]
    )


# ---------------------------------------------------------------------------------------------
# the rules

level = Fact("level", "证书等级")
urgent = Fact("urgent_occupation", "证书职业（工种）列入自治区急需紧缺职业（工种）目录", BOOL)


def _by_year(prefix: str, label: str) -> Reading:
    return Reading(
        YEAR_BASIS.name,
        {
            "application": Fact(f"{prefix}_by_application", label, COUNT),
            "certificate": Fact(f"{prefix}_by_certificate", label + "（按发证年度）", COUNT),
            "payment": Fact(f"{prefix}_by_payment", label + "（按发放年度）", COUNT),
        },
    )


this_year = _by_year("subsidies_this_year", "本年度已享受技能提升补贴次数")
ordinary_this_year = _by_year("ordinary_subsidies_this_year", "本年度已享受的非急需紧缺职业证书补贴次数")


def _at_certificate(name: str, label: str, at_application: Fact, minimum: Any) -> Any:
    """The months at the certificate date ≥ ``minimum``: the given figure; without one, the lower bound the months at
    the application date set — contributions counted then and not at the certificate date fall in the calendar
    months from the certificate's month through the application's (a whole month or a part of one, counted in full:
    the bound is never above the true figure) — when that bound reaches the minimum. A bound short of it settles
    nothing: the figure stays missing (无法判定 under this reading), as without the bound. Not used where either
    figure at the certificate date is given.
    """
    given = Fact(name, label, MONTHS)
    span = MonthSpan(
        Fact("certificate_issue_date", "证书发证日期", DATE),
        Fact("application_date", "申领日期", DATE),
        label="发证当月至申领当月的月数",
    )
    bound = (at_application - span).named(label + "下限（截至申领日月数 − 发证当月至申领当月的月数）", MONTHS)
    # only where no figure at the certificate date is given at all: a given one (either) is the agency's record of
    # that date, and a bound read beside it could contradict it (continuous months are never above cumulative ones)
    none_given = IsMissing(Fact("insured_months_cumulative_at_certificate", "截至发证日累计参保月数", MONTHS)) & IsMissing(
        Fact("insured_months_continuous_at_certificate", "截至发证日连续参保月数", MONTHS)
    )
    return when(none_given & (bound >= minimum), bound >= minimum, given >= minimum)


def _insured_enough(minimum: Any) -> Reading:
    """“参加失业保险…以上” under the reading of skill_subsidy.insured_period.

    Every other reading counts a part of the cumulative months to the application date: when those are
    short, every reading refuses (so a missing figure of a stricter reading does not hold up a refusal).
    The readings at the certificate date take the bound the months at the application date set when their own
    figure is not given (:func:`_at_certificate`; outside fidelity audit, session 40: 30 months at an application two
    months after the certificate were left 待认定 though every reading is met).
    """
    cum = Fact("insured_months_cumulative", "截至申领日累计参保月数", MONTHS)
    cont = Fact("insured_months_continuous", "截至申领日连续参保月数", MONTHS)
    cum_app = cum >= minimum
    return Reading(
        INSURED_PERIOD.name,
        {
            "cumulative_at_application": cum_app,
            "continuous_at_application": cum_app & (cont >= minimum),
            "cumulative_at_certificate": cum_app
            & _at_certificate("insured_months_cumulative_at_certificate", "截至发证日累计参保月数", cum, minimum),
            "continuous_at_certificate": cum_app
            & _at_certificate("insured_months_continuous_at_certificate", "截至发证日连续参保月数", cont, minimum),
        },
    )


insured_enough = _insured_enough(Param("min_insured_months", "规定月数", MONTHS))

standard = when(
    level.eq(5),
    Param("amount_level5", "初级（五级）补贴标准", MONEY),
    when(
        level.eq(4),
        Param("amount_level4", "中级（四级）补贴标准", MONEY),
        Param("amount_level3", "高级（三级）补贴标准", MONEY),
    ),
)


def _has(*names: str):
    return lambda params: all(n in params for n in names)


def _risk(name: str):
    def applies(params: Mapping[str, Any]) -> bool:
        p = params.get("risk_checks")
        return p is not None and name in (p.value or [])

    return applies


# 40号 三: a precondition of the province's decision to implement; a province's own implementing notice
# (parameter ``fund_reserve_province_notice``) is that decision, so a missing figure is not asked for there
_reserve = Setting("fund_reserve_years", "上年度失业保险基金滚存结余备付期限", YEARS)
_reserve_ok = _reserve >= Param("fund_reserve_min_years")
_reserve_by_figure = Reading(FUND_RESERVE_SW.name, {"block": when(_reserve_ok, Lit(True), Lit(None)), "refuse": _reserve_ok})
_RESERVE_SENTENCE = (
    "人社部发〔2024〕40号 三：“实施上述技能提升补贴政策的省（自治区、直辖市），上年度失业保险基金滚存结余备付期限应在1年以上”"
)


def _training(side: str, label: str) -> Reading:
    return Reading(
        TRAINING_SCOPE.name,
        {
            "same_occupation": Fact(
                f"training_subsidy_same_occupation_{side}", f"{label}同一职业（工种）职业培训补贴", BOOL
            ),
            "same_occupation_level": Fact(
                f"training_subsidy_same_level_{side}", f"{label}同一职业（工种）同一等级职业培训补贴", BOOL
            ),
            "any_training": Fact(f"training_subsidy_any_{side}", f"{label}职业培训补贴", BOOL),
        },
    )


# "企业在职职工或正在领取失业保险金人员，取得…证书的": the status at the application date, or at the certificate's issue
# date (skill_subsidy.status_date). Without a status at the certificate date it is the status at the application on the
# same day, and 企业在职职工 where the applicant is one now and was with that same employer since on or before the
# certificate's issue date (employer_since) — or, where that date is not given, insured in every month from the
# certificate's through the application's (continuous insured months at the application ≥ that span: contributing, so
# employed, then); otherwise unknown, never guessed. A date given wins: one after the certificate's (a move from a
# 事业单位, say) leaves the status then unknown, whatever the insured months
_eligible_persons = Param("eligible_persons")
_status_app = Fact("person_status", "申领人身份")
_status_cert = Fact("person_status_at_certificate", "发证日申领人身份")
_status_app_ok = _status_app.isin(_eligible_persons)
_same_day = Fact("application_date", "申领日期", DATE).eq(Fact("certificate_issue_date", "证书发证日期", DATE))
_employed_since = _status_app.eq("employed_worker") & Coalesce(
    Fact("employer_since", "在现单位参保起始日期", DATE) <= Fact("certificate_issue_date", "证书发证日期", DATE),
    Fact("insured_months_continuous", "截至申领日连续参保月数", MONTHS)
    >= MonthSpan(
        Fact("certificate_issue_date", "证书发证日期", DATE),
        Fact("application_date", "申领日期", DATE),
        label="发证当月至申领当月的月数",
    ),
)
status_ok = Reading(
    STATUS_DATE.name,
    {
        "at_application": _status_app_ok,
        # the given status first; an unknown one names the fact it lacks (person_status_at_certificate)
        "at_certificate": Coalesce(
            _status_cert.isin(_eligible_persons), when(_same_day | _employed_since, _status_app_ok, Lit(None))
        ),
    },
)

training_before = _training("before", "申领前已享受")
training_after = _training("after", "申领后又享受")
_max_age = Setting("certificate_max_age_months", "取证时限（月，地区设置）", MONTHS)

CHECKS_COMMON = [
    Check(
        "fund_reserve",
        "本省上年度失业保险基金滚存结余备付期限在{fund_reserve_min_years}年以上（实施技能提升补贴的前提）",
        # a province's own implementing notice read as its confirmation of the precondition: a reading (switch
        # fund_reserve.province_notice), fixed by the parameter that marks such a notice; no notice: the figure decides
        fund_reserve.province_notice_evidence(
            _reserve,
            _reserve_by_figure,
            "本省已印发实施文件（{cite}），视为省级已确认具备实施前提（" + _RESERVE_SENTENCE + "）——文件未写备付期限，"
            "这是本库的解读（解释开关 fund_reserve.province_notice）；如本省上年度失业保险基金滚存结余备付期限不足1年，"
            "请提供 fund_reserve_years（--setting fund_reserve_years=0.5 或地区数据文件）",
            "省级（兵团）文件（{cite}）为征求意见稿，尚未印发；本次按该稿测算，视为省级（兵团）已确认具备实施前提（"
            + _RESERVE_SENTENCE + "）——该稿未写备付期限，这是本库的解读（解释开关 fund_reserve.province_notice），"
            "该稿印发前结果不作发放依据；如省级（兵团）上年度失业保险基金滚存结余备付期限不足1年，"
            "请提供 fund_reserve_years（--setting fund_reserve_years=0.5 或地区数据文件）",
        ),
        cite=("fund_reserve_min_years",),
        reason="本省上年度失业保险基金滚存结余备付期限不足{fund_reserve_min_years}年，不具备实施技能提升补贴的前提",
        applies=_has("fund_reserve_min_years"),
    ),
    Check(
        "person",
        "申领人属于文件规定的补贴对象",
        status_ok,
        # the document's own words: 内政发〔2019〕4号 八 covers 参保职工 only, the later notices 领取失业保险金人员 too
        reason="申领人不属于本文件规定的补贴对象（{quote:eligible_persons}）",
    ),
    Check(
        "insured",
        "参加失业保险{min_insured_months}个月以上（含本数）",
        insured_enough,
        applies=_has("min_insured_months"),
        reason="参加失业保险时间不足{min_insured_months}个月",
    ),
    Check(
        "certificate_type",
        "证书为技能人员职业资格证书或职业技能等级证书",
        Fact("certificate_type", "证书类别").isin(Param("certificate_types")),
        reason="证书不是技能人员职业资格证书或职业技能等级证书",
    ),
    Check(
        "certificate_window",
        "证书取得时间符合所采用的取证时限（文件未写时限，按本次审核采用的政策理解）",
        Reading(
            CERT_WINDOW.name,
            {
                "any_date": Lit(True),
                "policy_period": Fact("certificate_in_policy_period", "证书在本政策执行期内取得", BOOL),
                "months_before_application": when(
                    _max_age.is_missing(),
                    Lit(True),
                    Fact("certificate_age_months", "发证之日至申领之日整月数", MONTHS) < _max_age,
                ),
            },
        ),
        cite=("certificate_types",),
        reason="证书取得时间不在所采用的取证时限内",
    ),
    Check(
        "level_in_standard",
        "证书等级为初级（五级）、中级（四级）或高级（三级）（文件列明补贴标准的等级）",
        level.isin([5, 4, 3]),
        cite=("amount_level5",),
        reason="证书等级不在文件列明补贴标准的初级（五级）、中级（四级）、高级（三级）之内",
    ),
    Check(
        "once_per_level",
        "同一职业（工种）同一等级未享受过技能提升补贴（只能享受一次）",
        ~Fact("same_occupation_level_subsidised", "同一职业（工种）同一等级已享受", BOOL),
        applies=_has("once_per_occupation_level"),
        cite=("once_per_occupation_level",),
        reason="同一职业（工种）同一等级已享受过技能提升补贴，只能享受一次",
    ),
    Check(
        "no_lower_after_higher",
        "不属于已享受（或持有）同一职业（工种）更高等级证书的情形",
        # the texts are literal, not open (docs/decisions.md): 40号 三, 晋28号 and the 兵团 draft say "已享受…补贴的";
        # 内人社发〔2025〕18号 二 writes "已持有…或享受" and says so by ``lower_after_higher_basis: held_or_subsidised``
        ~when(
            Coalesce(OptionalParam("lower_after_higher_basis").eq("held_or_subsidised"), Lit(False)),
            Fact("higher_level_same_occupation_held", "已持有或已享受同一职业（工种）更高等级证书", BOOL),
            Fact("higher_level_same_occupation_subsidised", "已享受同一职业（工种）更高等级补贴", BOOL),
        ),
        applies=_has("no_lower_after_higher"),
        cite=("no_lower_after_higher",),
        reason="已享受（或持有）同一职业（工种）更高等级证书，不再享受低等级证书补贴",
    ),
    Check(
        "not_with_training",
        "申领前未享受与本补贴重复的职业培训补贴（后享受的不予享受）",
        Reading(
            TRAINING_YIELDS.name,
            {"later_yields": ~training_before, "applicant_chooses": Lit(True)},
            fixed_by="training_overlap_yields_basis",
        ),
        applies=_has("exclusive_with_training_subsidy"),
        cite=("exclusive_with_training_subsidy",),
        reason="已享受职业培训补贴，技能提升补贴不得重复享受（后享受的不予享受）",
    ),
    Check(
        "training_later_repay",
        "未与职业培训补贴重复享受（重复的须退回一项）",
        Reading(
            TRAINING_YIELDS.name,
            {"later_yields": ~training_after, "applicant_chooses": ~(training_before | training_after)},
            fixed_by="training_overlap_yields_basis",
        ),
        kind=FLAG,
        applies=_has("exclusive_with_training_subsidy"),
        cite=("exclusive_with_training_subsidy",),
        reason="与职业培训补贴重复享受：追回职业培训补贴（后享受的退回；由申领人选择的，选择本补贴即退回培训补贴）",
    ),
]

INSURED_2022_CHECK = Check(
    "insured_2022",
    "参加失业保险时长符合条件（原文“符合条件的”未写条件，按本次审核采用的政策理解）",
    Reading(
        INSURED_2022.name,
        {
            "setting": _insured_enough(Setting("min_insured_months", "参保月数条件（地区设置）", MONTHS)),
            "national_2022_23": _insured_enough(Lit(12, MONTHS).named("参保月数条件（12个月）", MONTHS)),
            "none": Lit(True),
        },
    ),
    cite=("eligible_persons",),
    reason="参加失业保险时间不符合所采用的参保时长条件",
)

CAP_3 = Check(
    "per_year",
    "本年度已享受次数少于{max_per_year}次（每人每年不超过{max_per_year}次）",
    this_year < Param("max_per_year", "每年次数上限", COUNT),
    reason="本年度已享受技能提升补贴{max_per_year}次，达到每人每年次数上限",
)

_basic = Param("max_per_year", "每年基本次数", COUNT)
_extra = Param("urgent_extra_per_year", "增加次数", COUNT)
_total_cap = (_basic + _extra).named("每年次数上限（含急需紧缺增加的次数）", COUNT)
# 内人社发〔2025〕18号 was issued 2025-05-27 (its 执行期 read from 2025-01-01): whether its new terms reach an application
# filed before the issue (skill_subsidy.terms_2025_from); under "issue_date" such an application has 40号 三's count
_before_issue = (
    Fact("application_date", "申领日期", DATE) < Lit(date(2025, 5, 27), DATE).named("内人社发〔2025〕18号印发日期（2025年5月27日）", DATE)
)
_cap_40 = Lit(3, COUNT).named("人社部发〔2024〕40号 三 每人每年次数上限（3次）", COUNT)


def _terms_2025(new_terms: Any, old_terms: Any) -> Reading:
    return Reading(TERMS_2025.name, {"year_start": new_terms, "issue_date": when(_before_issue, old_terms, new_terms)})


CAP_2025 = Check(
    "per_year",
    "本年度补贴次数未满（每人每年{max_per_year}次，急需紧缺职业（工种）证书另增加{urgent_extra_per_year}次）",
    _terms_2025(
        when(
            urgent,
            this_year < _total_cap,
            Reading(
                SLOTS.name,
                {
                    # the year's ordinary subsidies leave the basic time open; urgent ones sit in the extra times
                    "urgent_fill_extra": (ordinary_this_year < _basic) & (this_year < _total_cap),
                    "first_uses_ordinary": this_year < _basic,
                },
            ),
        ),
        this_year < _cap_40,
    ),
    reason="本年度已享受技能提升补贴次数已满（每人每年{max_per_year}次，急需紧缺职业（工种）证书另增加{urgent_extra_per_year}次）",
)

RISK_CHECKS = [
    Check(
        "certificate_place",
        "证书在参保地或领金地取得",
        ~Fact("certificate_outside_place", "证书发证地在参保地、领金地以外", BOOL),
        kind=FLAG,
        applies=_risk("certificate_outside_insured_or_benefit_place"),
        cite=("risk_checks",),
        reason="疑点：持参保地或领金地以外所获证书申领，需重点核查",
    ),
    Check(
        "evaluation_body_batch",
        "同一评价机构所发证书的申领人数低于批量核查线",
        Fact("evaluation_body_batch_count", "同一评价机构所发证书申领人数", COUNT)
        < Setting("evaluation_body_batch_threshold", "批量核查线（地区设置）", COUNT),
        kind=FLAG,
        applies=_risk("batch_same_evaluation_body"),
        cite=("risk_checks",),
        reason="疑点：批量持同一评价机构所发证书申领，需重点核查",
    ),
]

INSURED_PLACE = Check(
    "insured_place",
    "在本人失业保险参保地申领",
    ~Fact("insured_outside_applied_region", "参保地不在申领地", BOOL),
    kind=FLAG,
    applies=_has("apply_at_insured_place"),
    cite=("apply_at_insured_place",),
    reason="需核查：申领人的失业保险参保地不在申领地（文件写明到本人参保地申领）",
)

FIT_COMMITMENT = Check(
    "fit_commitment",
    "非急需紧缺职业（工种）的在职职工申领，企业已提供证岗相适承诺书（急需紧缺职业（工种）无需提供）",
    urgent
    | ~Fact("person_status", "申领人身份").isin(["employed_worker"])
    | Coalesce(Fact("fit_commitment_provided", "企业已提供证岗相适承诺书", BOOL), Lit(False)),
    kind=FLAG,
    applies=_has("urgent_no_fit_commitment"),
    cite=("urgent_no_fit_commitment",),
    reason="需核查：非急需紧缺职业（工种）证书申领，未见企业提供的证岗相适承诺书（急需紧缺职业（工种）才无需提供）",
)

OUTPUTS = [
    Output("level", "证书等级", level),
    Output("standard", "本等级补贴标准", standard, MONEY),
]

# which of the year's times this urgent certificate takes (for the "extra_only" uplift reading)
in_extra_time = Reading(
    SLOTS.name,
    {
        "urgent_fill_extra": (this_year - ordinary_this_year) < _extra,
        "first_uses_ordinary": this_year >= _basic,
    },
)
amount_2025 = _terms_2025(
    when(
        Reading(
            UPLIFT_SCOPE.name,
            {
                "all_urgent": urgent,
                "extra_only": urgent & in_extra_time,
            },
        ),
        RateOf(standard, Lit(1) + Param("urgent_uplift_rate", "上浮比例")),
        standard,
    ),
    standard,
)


def _ruleset(name: str, checks: list[Check], amount: Any, outputs: list[Output] | None = None) -> Ruleset:
    return register(
        Ruleset(
            program=PROGRAM,
            name=name,
            label=LABEL,
            facts=SkillSubsidyFacts,
            checks=checks,
            amount=amount,
            amount_label="补贴金额",
            outputs=outputs or OUTPUTS,
            subject="个人",
            prepare=prepare,
        )
    )


V2019 = _ruleset("v2019", [*CHECKS_COMMON, INSURED_PLACE], standard)
V2022 = _ruleset("v2022", [*CHECKS_COMMON, INSURED_2022_CHECK, CAP_3, INSURED_PLACE], standard)
V2024 = _ruleset("v2024", [*CHECKS_COMMON, CAP_3, *RISK_CHECKS], standard)
V2025 = _ruleset(
    "v2025",
    [*CHECKS_COMMON, CAP_2025, *RISK_CHECKS, FIT_COMMITMENT],
    amount_2025,
    [*OUTPUTS, Output("urgent", "急需紧缺职业（工种）证书", urgent, BOOL)],
)

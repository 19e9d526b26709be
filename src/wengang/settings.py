"""Region settings, region data and what-if parameter overrides: one place that knows their units.

A *setting* is a figure a text names but does not give (``Setting`` nodes in the rules, and the
``region_settings`` of the policy files). Each has a unit; a value typed by an operator must say it:

* money: ``1200元``, ``1200.50元``, ``120050分`` (a bare ``1200`` is refused: it used to be read as fen);
* percent: ``5.5%`` (a bare ``5.5`` is refused);
* years: ``1.5`` or ``1.5年``; counts and months: an integer; yes/no: ``true``/``false``/``是``/``否``.

A name that is a *parameter* of the policy documents (``refund_rate_sme=70%``) is a what-if override of
that parameter: it takes effect in the document in force and every decision records it. Any other name
is refused with the nearest valid names.

*Region data* (``src/wengang/region_data/<region>.yaml``, or a file the operator gives) are
settings a region keeps once per period with their source: see :func:`load_region_data`.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path
from typing import Any

from wengang.money import MisplacedSeparator, MoneyError, ungroup, yuan_to_fen
from wengang.policies.units import UNIT_ZH
from wengang.policies.units import format_value as format_unit_value
from wengang.regions import chain

REGION_DATA_DIR = Path(__file__).parent / "region_data"

# formatting hints of Setting nodes -> policy units
_FMT_UNIT = {"money": "yuan", "percent": "percent", "years": "year", "count": "count", "months": "month",
             "bool": "bool", "text": "text", "persons": "person"}


class SettingError(ValueError):
    """An operator setting that cannot be used; the message is Chinese first, English after."""


@dataclass(frozen=True)
class SettingSpec:
    name: str
    unit: str
    label: str  # Chinese description


def setting_specs() -> dict[str, SettingSpec]:
    """Every setting a rule reads or a policy file declares, with its unit (the policy file's wins)."""
    from wengang.programs import load_all
    from wengang.rules.engine import RULESETS

    load_all()  # registers every ruleset
    return _setting_specs(len(RULESETS))


def setting_label(name: str, region_settings: Mapping[str, Any] | None = None) -> str:
    """A region figure's name as the document in force describes it (``region_settings``: a resolution's), else as
    any rule or document does: one setting name serves several documents that describe different figures
    (``max_layoff_rate``: 内政发〔2019〕4号's 上年度当地城镇登记失业率, 人社部发〔2024〕40号's 全国城镇调查失业率控制目标;
    outside held-out audit, session 42)."""
    own = (region_settings or {}).get(name)
    if own is not None and getattr(own, "description", None):
        return str(own.description)
    spec = setting_specs().get(name)
    return spec.label if spec is not None else name


def loaded_setting_specs() -> dict[str, SettingSpec]:
    """:func:`setting_specs` of the programs imported so far (``wengang.programs.load``): a name it has has the
    same spec as in :func:`setting_specs` (the rules that read a setting the policy files do not declare agree on
    its unit and label: ``tests/programs/test_program_loading.py``), so a caller that finds its names here
    need not import every program; a caller that does not looks in :func:`setting_specs`."""
    from wengang.rules.engine import RULESETS

    return _setting_specs(len(RULESETS))


@functools.lru_cache(maxsize=1)
def _setting_specs(n_rulesets: int) -> dict[str, SettingSpec]:
    """The settings of the rulesets registered (``n_rulesets`` of them: a key that changes when more are)."""
    from wengang.policies import load_policy_set
    from wengang.rules.engine import RULESETS
    from wengang.rules.expr import Setting

    specs: dict[str, SettingSpec] = {}
    for rs in RULESETS.values():
        exprs = [c.expr for c in rs.checks] + [o.expr for o in rs.outputs] + ([rs.amount] if rs.amount else [])
        for e in exprs:
            for node in e.walk():
                if isinstance(node, Setting) and node.name not in specs:
                    specs[node.name] = SettingSpec(node.name, _FMT_UNIT.get(node.fmt or "", "text"), node.label or node.name)
    for doc in load_policy_set().documents:
        for block in doc.programs.values():
            for name, s in block.region_settings.items():
                specs[name] = SettingSpec(name, s.unit, s.description)
    # settings no rule reads but the deadline outputs do (wengang.workdays; `--workday-overrides`)
    specs.setdefault("workday_overrides", SettingSpec("workday_overrides", "text", "工作日覆盖文件路径"))
    # figures the bounds of a setting read (SETTING_BOUNDS: 失业保险条例 第十八条), which no rule reads
    for name, (unit, label) in BOUND_SETTINGS.items():
        specs.setdefault(name, SettingSpec(name, unit, label))
    return specs


@functools.lru_cache(maxsize=1)
def parameter_units() -> dict[str, str]:
    """Every parameter name any policy document sets, with its unit."""
    from wengang.policies import load_policy_set

    out: dict[str, str] = {}
    for doc in load_policy_set().documents:
        for block in doc.programs.values():
            for name, p in block.params.items():
                out.setdefault(name, p.unit)
    return out


def unit_of(name: str) -> str:
    """The unit of a setting or parameter name; :class:`SettingError` naming the nearest ones if unknown."""
    specs = setting_specs()
    if name in specs:
        return specs[name].unit
    params = parameter_units()
    if name in params:
        return params[name]
    raise SettingError(unknown_name_message(name, list(specs) + list(params), "地区设置或政策参数", "setting or parameter"))


# an example value per unit as an operator types it, and what the unit asks of the value (settings' units: above)
EXAMPLE_VALUE = {"yuan": "1200元", "yuan_10k": "50万元", "percent": "5.5%", "year": "1.5", "count": "3", "month": "12",
                 "person": "30", "day": "10", "bool": "true", "list": "a,b"}
_UNIT_RULE = {"yuan": "金额须带“元”或“分”", "yuan_10k": "金额须带“元”或“分”", "percent": "比例须带“%”",
              "year": "年数写数字即可，可带小数", "count": "写整数", "month": "写整数", "person": "写整数", "day": "写整数",
              "bool": "写 true 或 false"}


def supply_hint(names: Iterable[str]) -> str:
    """How an operator supplies missing settings (Chinese, like every reason): the ``--setting`` option with
    an example value in each setting's unit, or the region-data file that keeps it with its source."""
    specs = setting_specs()
    opts, rules = [], []
    for name in names:
        unit = specs[name].unit if name in specs else "text"
        opts.append(f"--setting {name}={EXAMPLE_VALUE.get(unit, '…')}")
        if unit in _UNIT_RULE:
            rules.append(_UNIT_RULE[unit])
    rule = "；".join(dict.fromkeys(rules))
    return (
        f"提供方法：命令行 {' '.join(opts)}（示例值，请换成实际数值{'；' + rule if rule else ''}），"
        f"或在地区数据文件中给出（--region-data 文件，或 src/wengang/region_data/<地区代码>.yaml；格式见 examples/region-data.yaml）"
    )


def unknown_name_message(name: str, known: Iterable[str], what_zh: str, what_en: str) -> str:
    known = sorted(set(known))
    near = difflib.get_close_matches(name, known, n=5, cutoff=0.5)
    hint_zh = f"；是否为：{'、'.join(near)}" if near else f"；可用：{'、'.join(known)}"
    hint_en = f"; did you mean: {', '.join(near)}" if near else ""
    return f"未知的{what_zh}“{name}”{hint_zh} / unknown {what_en} {name!r}{hint_en}"


def _number(name: str, text: str, form_zh: str, form_en: str) -> Decimal:
    try:
        # a comma only as a thousands separator ("1,0" is refused, not read as 10); no "_", which Decimal would skip
        d = Decimal(ungroup(text.strip())) if "_" not in text else Decimal("NaN")
    except MisplacedSeparator as exc:
        raise SettingError(f"{name}：{exc.zh} / {name}: {exc.en}") from None
    except InvalidOperation:
        d = Decimal("NaN")
    if not d.is_finite() or d < 0:
        raise SettingError(f"{name} 的取值“{text}”不是非负数，应写作{form_zh} / {name}: {text!r} is not a number ≥ 0; write {form_en}")
    return d


def parse_value(name: str, raw: Any, unit: str) -> Any:
    """An operator's value for ``name`` in ``unit``. Strings must carry the unit where it matters;
    typed Python values (int fen, ``Fraction``, bool) from the API are taken as they are."""
    if not isinstance(raw, str):
        if isinstance(raw, float):
            raise SettingError(f"{name} 的取值请以字符串给出（如“5.5%”“1200元”），不接受浮点数 / give {name} as a string, not a float")
        return raw
    v = raw.strip()
    if unit in ("yuan", "yuan_10k"):
        form_zh, form_en = "“1200元”“1200.50元”或“120050分”", "1200元, 1200.50元 or 120050分"
        try:
            if v.endswith("万元"):
                return yuan_to_fen(_number(name, v[:-2], form_zh, form_en) * 10000)
            if v.endswith("元"):
                return yuan_to_fen(_number(name, v[:-1], form_zh, form_en))
            if v.endswith("分"):
                d = _number(name, v[:-1], form_zh, form_en)
                if d != d.to_integral_value():
                    raise SettingError(f"{name} 的取值“{raw}”：分须为整数 / {name}: fen must be a whole number")
                return int(d)
        except MoneyError as exc:
            raise SettingError(f"{name}：{exc}") from None
        raise SettingError(
            f"地区设置 {name} 是金额，须写明单位，如{form_zh}；“{raw}”未写单位，不予采用 / "
            f"setting {name} is an amount of money and needs its unit, e.g. {form_en}; {raw!r} has none"
        )
    if unit == "percent":
        v = v.replace("％", "%")  # the full-width sign, like full-width digits
        if not v.endswith("%"):
            raise SettingError(_percent_hint(name, v, raw))
        d = _number(name, v[:-1], "“5.5%”", "5.5%")
        if d > 100:
            raise SettingError(f"{name} 的取值“{raw}”超过100% / {name}: {raw!r} exceeds 100%")
        return Fraction(d) / 100
    if unit == "year":
        d = _number(name, v.removesuffix("年"), "“1.5”或“1.5年”", "1.5 or 1.5年")
        f = Fraction(d)
        return int(f) if f.denominator == 1 else f
    if unit in ("count", "month", "person", "day", "working_day"):
        text = v
        for suffix in ("个工作日", "工作日", "个月", "月", "次", "人", "天", "个"):
            text = text.removesuffix(suffix)
        d = _number(name, text, "非负整数", "a whole number")
        if d != d.to_integral_value():
            raise SettingError(f"{name} 的取值“{raw}”须为整数 / {name}: {raw!r} must be a whole number")
        return int(d)
    if unit == "bool":
        if v.lower() in ("true", "是", "1", "yes"):
            return True
        if v.lower() in ("false", "否", "0", "no"):
            return False
        raise SettingError(f"{name} 的取值须为 是/否（true/false），而不是“{raw}” / {name} needs true/false, not {raw!r}")
    if unit == "list":
        return [x.strip() for x in v.replace("，", ",").split(",") if x.strip()]
    return v


_CN_TENTHS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _percent_hint(name: str, v: str, raw: Any) -> str:
    """The refusal of a percentage written without %, suggesting what was probably meant: 0.7 → “70%”,
    七成 → “70%”, 70 → “70%”; never a suggestion that is not a percentage."""
    head = f"地区设置 {name} 是百分比，须写百分号"
    if not v:
        return f"{head}，如“60%”；未给出取值 / setting {name} is a percentage: give a value such as 60% (got none)"
    forms: list[str] = []
    try:
        d = Decimal(v)
    except InvalidOperation:
        d = None
    if d is not None and d.is_finite() and d >= 0:
        if 0 < d < 1:  # a ratio: 0.7 is 70% (one who means 0.7% writes the sign)
            forms = [f"{(d * 100).normalize():f}%"]
        else:
            forms = [f"{d.normalize():f}%"]
    elif v.endswith("成") and len(v) >= 2:
        n = v[:-1]
        tenths: Decimal | None = Decimal(_CN_TENTHS[n]) if n in _CN_TENTHS else None
        if tenths is None:
            try:
                tenths = Decimal(n) if Decimal(n).is_finite() else None
            except InvalidOperation:
                tenths = None
        if tenths is not None:
            forms = [f"{(Decimal(tenths) * 10).normalize():f}%"]
    if not forms:
        forms = ["60%", "5.5%"]
    zh = "或".join(f"“{f}”" for f in forms)
    return (f"{head}，如{zh}；“{raw}”不予采用 / setting {name} is a percentage: write it with %, "
            f"e.g. {' or '.join(forms)} (got {raw!r})")


@functools.lru_cache(maxsize=1)
def _reading_parameters(n_rulesets: int) -> dict[str, dict[str, str]]:
    """Parameters that fix a reading (``Reading.fixed_by``): each with the reading keys it may take."""
    from wengang.rules import interpretations
    from wengang.rules.engine import RULESETS
    from wengang.rules.expr import Reading

    out: dict[str, dict[str, str]] = {}
    for rs in RULESETS.values():
        for e in [c.expr for c in rs.checks] + [o.expr for o in rs.outputs] + ([rs.amount] if rs.amount else []):
            for node in e.walk():
                if isinstance(node, Reading) and node.fixed_by is not None:
                    described = interpretations.REGISTRY.get(node.switch)
                    for k in node.options:
                        out.setdefault(node.fixed_by, {})[k] = described.describe(k) if described else ""
    return out


def reading_parameter_options(name: str) -> dict[str, str] | None:
    """The values a parameter that fixes a reading may take, each with what it means (``reference_orgs_rate``:
    sme, by_size), else None."""
    from wengang.programs import load_all
    from wengang.rules.engine import RULESETS

    load_all()
    return _reading_parameters(len(RULESETS)).get(name)


def parse_settings(pairs: Mapping[str, Any]) -> dict[str, Any]:
    """Operator settings ``name → raw value`` → typed values, each checked against its unit; unknown
    names are refused with the nearest valid names. A parameter that fixes a reading takes one of the reading's
    keys (``reference_orgs_rate=70%`` ended in an internal error: outside audits, session 41)."""
    out = {}
    for name, value in pairs.items():
        out[name] = v = parse_value(name, value, unit_of(name))
        options = reading_parameter_options(name) if name not in setting_specs() else None
        if options is not None and str(v) not in options:
            shown = "、".join(f"{k}（{d}）" if d else k for k, d in options.items())
            raise SettingError(
                f"参数 {name} 的取值“{value}”不可用：该参数固定一项政策解释，取值须为 {shown} / "
                f"parameter {name} fixes a reading: its value must be one of {', '.join(options)}, not {value!r}"
            )
    return out


def show_value(value: Any, unit: str) -> str:
    """A setting's value as a caseworker reads it: ``1,200元``, ``5.5%``, ``1.5年``."""
    if isinstance(value, Fraction) and unit != "percent":
        d = (Decimal(value.numerator) / Decimal(value.denominator)).normalize()
        return f"{d:f}{UNIT_ZH.get(unit, '')}"
    try:
        return format_unit_value(value, unit)
    except (AttributeError, TypeError, ValueError, InvalidOperation):
        return str(value)


# ---------------------------------------------------------------------------------------------
# what-if overrides of policy parameters


def ceiling_breach(name: str, value: Any, p: Any, *, set_above: bool = False) -> tuple[str, str] | None:
    """Chinese and English text when ``value`` for parameter ``p`` exceeds a 不超过 ceiling, else None.

    The ceiling is the one the policy loader checks a document's own value against (``p.ceiling_param``, set by
    ``PolicySet.effective``), or ``p`` itself when the value in force is a ceiling (不超过 X) inherited from the
    document implemented (a region may simulate changing a ceiling of its own, not one set above it); the check and
    its message are the loader's (``wengang.policies.units.over_ceiling``). ``set_above``: the document in force is
    not the region's own but one of a jurisdiction above it (通辽 in 2024 under 人社部发〔2024〕40号 itself), so its
    ceilings are set above the region as well: the same refusal as for a ceiling inherited through a province's file
    (阳泉 under 晋人社厅发〔2024〕28号)."""
    from wengang.policies.units import over_ceiling

    for cap in (p.ceiling_param, p if p.ceiling and (p.inherited or set_above) else None):
        breach = None if cap is None else over_ceiling(name, value, p.unit, cap)
        if breach is not None:
            return breach
    return None


# a setting a text bounds by other figures of the region. 失业保险条例 第十八条: the 失业保险金 standard is set
# “按照低于当地最低工资标准、高于城市居民最低生活保障标准的水平” (facts.md §1): below the local minimum wage (低于: not
# equal) and above the urban dibao (高于: not equal). Each bound: (the setting, its label, the figures that can stand
# for the bound, most specific first, "below" or "above", the words and clause, what the bound is called where no
# figure is known). The minimum wage: the local one (``local_minimum_wage``, the class of the county: facts.md §8 puts
# 科尔沁区 and 霍林郭勒市 in 二类 for the list from 2021-12-01), else the province's 一类区 figure, the highest of its
# classes: a standard at or above it is below no local minimum wage (outside fidelity audit F1, session 38). The dibao:
# ``urban_dibao_monthly``; the library holds none, so the floor is said to be unchecked unless the agency gives it
# (outside UI audit F1, session 41: a standard of 1元 was decided with no word on the floor).
SETTING_BOUNDS: tuple[tuple[str, str, tuple[str, ...], str, str, str], ...] = (
    ("monthly_benefit_amount", "失业保险金月标准", ("local_minimum_wage", "class1_minimum_wage"), "below",
     "失业保险条例 第十八条“按照低于当地最低工资标准……的水平”", "当地最低工资标准"),
    ("monthly_benefit_amount", "失业保险金月标准", ("urban_dibao_monthly",), "above",
     "失业保险条例 第十八条“……高于城市居民最低生活保障标准的水平”", "城市居民最低生活保障标准"),
)
# the region figures the bounds read that no rule reads: their specs (unit, label), for region data and --setting
BOUND_SETTINGS = {
    "local_minimum_wage": ("yuan", "当地月最低工资标准（本县区所属类区的标准）"),
    "urban_dibao_monthly": ("yuan", "城市居民最低生活保障标准（月）"),
}


def _bound_label(bound: str, datum: Any) -> str:
    """What a bounding figure is called, by the region whose figure it is (outside UI audit F3, session 41: “自治区
    一类区” was said for 山西 and 兵团): ``自治区一类区月最低工资标准`` (内蒙古's), ``科尔沁区月最低工资标准``."""
    from wengang.regions import resolve_region

    where = ""
    if datum is not None:
        try:
            where = resolve_region(datum.region).name
        except LookupError:
            where = str(datum.region)
    if bound == "class1_minimum_wage":
        # the province's own word for itself (内蒙古: “自治区一类区”, as its notices say; a 省: “省一类区”)
        level = next((w for w in ("自治区", "省") if where.endswith(w)), where)
        return f"{level}一类区月最低工资标准"
    if bound == "local_minimum_wage":
        return f"{where}月最低工资标准" if where else "当地月最低工资标准"
    spec = BOUND_SETTINGS.get(bound)
    return (where + spec[1]) if spec else bound


def _bound_figure(bounds: tuple[str, ...], merged: Mapping[str, Any], values: Mapping[str, Any] | None) -> tuple[str, Any, Any] | None:
    """The most specific figure known for a bound: (its name, value, region datum or None). The region's own figure
    binds, not one an operator's --setting put over it (the law's bound is not a what-if: the second look lifted it with
    class1_minimum_wage=99999元); an operator's figure stands where the region data have none."""
    for bound in bounds:
        if values and bound in values:
            return bound, values[bound].value, values[bound]
        if merged.get(bound) is not None:
            return bound, merged[bound], None
    return None


_PER_DOCUMENT: Any = None  # wengang.rules.engine._per_document, bound on first use (the engine loads Polars)


def _settings_read(ruleset: Any, params: Mapping[str, Any]) -> set[str]:
    """The settings the ruleset's rules active under ``params`` read (an import in the function costs a microsecond a
    case, one case's explanation: issue 13)."""
    global _PER_DOCUMENT
    if _PER_DOCUMENT is None:
        from wengang.rules.engine import _per_document

        _PER_DOCUMENT = _per_document
    return set(_PER_DOCUMENT(ruleset, params)[1])


def bound_breach(ruleset: Any, params: Mapping[str, Any], merged: Mapping[str, Any],
                 values: Mapping[str, Any] | None = None) -> str | None:
    """Chinese-first text when a setting the ruleset's active rules read, in ``merged`` (region data with the
    operator's settings over it), is outside a bound a text sets by another figure of the region
    (:data:`SETTING_BOUNDS`), else None. ``values``: the region data (``RegionDatum``), for the figure's source."""
    read = _settings_read(ruleset, params)
    for name, label, bounds, side, words, _ in SETTING_BOUNDS:
        if name not in read:
            continue
        v = merged.get(name)
        found = _bound_figure(bounds, merged, values)
        if v is None or found is None:
            continue
        bound, cap, datum = found
        if (v < cap) if side == "below" else (v > cap):
            continue
        source = f"（{datum.citation()}）" if datum is not None else ""
        what = "不低于" if side == "below" else "不高于"
        return (
            f"{label} {show_value(v, 'yuan')} {what}{_bound_label(bound, datum)} {show_value(cap, 'yuan')}{source}：{words}，"
            f"该标准不能用于判定 / {name} {v} fen is not {side} {bound} {cap} fen: the regulation sets it below the "
            "local minimum wage and above the urban dibao"
        )
    return None


def bound_unchecked(ruleset: Any, params: Mapping[str, Any], merged: Mapping[str, Any],
                    values: Mapping[str, Any] | None = None) -> list[str]:
    """A note for each bound of a setting the rules read and are given while no figure of the region stands for it
    in the period (Inner Mongolia's minimum wage before 2021-12-01: facts.md NOT FOUND; the dibao: none held): said,
    not assumed."""
    read = _settings_read(ruleset, params)
    out = []
    for name, label, bounds, side, words, called in SETTING_BOUNDS:
        if name not in read or merged.get(name) is None or _bound_figure(bounds, merged, values) is not None:
            continue
        need = "低于" if side == "below" else "高于"
        out.append(
            f"未能核对{label}是否{words.split('“')[0]}所要求的{need}{called}：本库没有该地区该期间的{called}，请经办机构核对"
            f"（{bounds[0]}）"
        )
    return out


@functools.lru_cache(maxsize=64)
def program_settings(program: str) -> frozenset[str]:
    """The settings ``program`` can read: those its rules read (any version, any reading), those its policy files
    declare for it, the figures bounding them (:data:`SETTING_BOUNDS`) and ``workday_overrides`` (deadline outputs)."""
    from wengang.policies import load_policy_set
    from wengang.programs import load
    from wengang.rules.engine import RULESETS, settings_read

    load(program)
    names: set[str] = {"workday_overrides"}
    for (p, _), rs in RULESETS.items():
        if p != program:
            continue
        for e in [c.expr for c in rs.checks] + [o.expr for o in rs.outputs] + ([rs.amount] if rs.amount else []):
            names.update(settings_read(e))
    for doc in load_policy_set().documents:
        block = doc.programs.get(program)
        if block is not None:
            names.update(block.region_settings)
    for name, _, bounds, *_ in SETTING_BOUNDS:
        if name in names:
            names.update(bounds)
    return frozenset(names)


def unread_settings(program: str, names: Iterable[str]) -> list[str]:
    """The region settings among ``names`` (not policy parameters) that ``program`` does not read."""
    specs = setting_specs()
    params = parameter_units()
    read = program_settings(program)
    return [n for n in names if n in specs and n not in params and n not in read]


def unread_message(program: str, names: Iterable[str], *, refused: bool) -> str:
    """Chinese-first text naming settings ``program`` does not read: refused (a what-if) or noted as unused."""
    from wengang.rules.engine import PROGRAM_LABELS

    names = list(names)
    label = PROGRAM_LABELS.get(program, program)
    specs = setting_specs()
    shown = "、".join(f"{n}（{specs[n].label}）" if n in specs else n for n in names)
    if refused:
        return (f"地区设置 {shown} 不是{label}（{program}）读取的设置，改变它测算不出任何变化，不予采用 / "
                f"setting(s) {', '.join(names)} are not read by program {program}: refused")
    return (f"地区设置 {shown} 不是{label}（{program}）读取的设置，未被使用 / "
            f"setting(s) {', '.join(names)} are not read by program {program}: not used")


def split_overrides(resolution: Any, settings: Mapping[str, Any]) -> tuple[Any, dict[str, Any], list[str]]:
    """Settings that name a parameter of the document in force override it (a what-if, recorded).

    Returns the resolution with overridden parameters, the remaining settings and one Chinese line per
    override. A name that is a parameter elsewhere, not a setting here and not a parameter here, is refused.
    """
    if not settings:
        return resolution, {}, []
    params = dict(resolution.params)
    rest: dict[str, Any] = {}
    lines: list[str] = []
    specs = setting_specs()
    # the region's own ceilings may be simulated; those of a document of another (higher) jurisdiction may not
    set_above = resolution.document.jurisdiction != resolution.region.key
    for name, value in settings.items():
        p = params.get(name)
        if p is None:
            if name not in specs:
                raise SettingError(
                    f"“{name}”是政策参数，但适用的 {resolution.document.display_number} 没有该参数，不能覆盖 / "
                    f"{name} is a policy parameter, but {resolution.document.display_number} does not set it"
                )
            rest[name] = value
            continue
        breach = ceiling_breach(name, value, p, set_above=set_above)
        if breach is not None:
            zh, en = breach
            raise SettingError(f"假设值不予采用：{zh}；不超过上限的取值可以测算 / what-if refused: {en}")
        if value == p.value:
            continue
        lines.append(
            f"假设分析：参数 {name} 由 --setting 改为 {show_value(value, p.unit)}"
            f"（{p.citation()} 原为 {p.formatted()}），结论不是按政策原值作出 / what-if: parameter {name} overridden"
        )
        params[name] = replace(p, value=value, number=f"{p.number}（参数已被假设值覆盖）")
    unread = unread_settings(resolution.program, rest) if rest else []
    if unread:  # said, not silently dropped (a what-if of another program's setting changes nothing)
        lines.append(unread_message(resolution.program, unread, refused=False))
    if lines:
        resolution = replace(resolution, params=params)
    return resolution, rest, lines


# ---------------------------------------------------------------------------------------------
# region data


@dataclass(frozen=True)
class RegionDatum:
    """One region figure for one period, with where it comes from."""

    name: str
    region: str
    value: Any
    unit: str
    valid_from: date
    valid_to: date | None
    source: str
    version: str
    file: str

    def covers(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)

    def citation(self) -> str:
        return f"地区数据：{self.name} = {show_value(self.value, self.unit)}（{self.region}，{self.period()}；来源：{self.source}；版本 {self.version}）"

    def period(self) -> str:
        return f"{self.valid_from.isoformat()} 至 {self.valid_to.isoformat() if self.valid_to else '今'}"


class RegionDataError(ValueError):
    pass


def _as_date(raw: Any, where: str) -> date:
    if isinstance(raw, date):
        return raw
    from wengang.inputs import InputError, parse_date

    try:
        return parse_date(raw)  # the one date reader: 2025-08-01, 2025/8/1, 2025年8月1日 …
    except InputError as exc:
        raise RegionDataError(f"{where}：{exc.zh} / {where}: {exc.en}") from None


# a region data file's unit as it may be written in Chinese (the spec's unit is the English word)
_UNIT_ALIASES = {"元": "yuan", "万元": "yuan_10k", "%": "percent", "％": "percent", "百分比": "percent"}


def _says_unit(text: str, unit: str) -> bool:
    """The value's text ends with a unit of its kind: 元/万元/分 for money, % for a percentage."""
    if unit in ("yuan", "yuan_10k"):
        return text.endswith(("元", "分"))
    if unit == "percent":
        return text.endswith(("%", "％"))
    return False


def _read_file(path: Path) -> list[RegionDatum]:
    import yaml  # here, not at import: parsing settings from the command line needs no YAML (start-up time)

    from wengang.inputs import InputError, read_text
    from wengang.regions import resolve_region

    where = str(path)
    try:
        doc = yaml.safe_load(read_text(path, "地区数据文件", "region data file")) or {}
    except InputError as exc:
        raise RegionDataError(str(exc)) from None
    except (yaml.YAMLError, ValueError) as exc:  # ValueError: PyYAML's own date parsing (2025-13-01)
        raise RegionDataError(f"{where}：不是有效的 YAML（{exc}） / {where}: invalid YAML") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("values") or [], list):
        raise RegionDataError(f"{where}：应为含 region、version、values（列表）的映射 / "
                              f"{where}: must be a mapping with region, version and a list 'values'")
    region = resolve_region(str(doc.get("region", ""))).key if doc.get("region") else None
    version = str(doc.get("version", ""))
    if region is None or not version:
        raise RegionDataError(f"{where}：须写明 region（地区代码）与 version（版本） / {where}: region and version are required")
    out: list[RegionDatum] = []
    specs = loaded_setting_specs()  # the programs imported so far: every program's only for a name not among them
    for i, entry in enumerate(doc.get("values") or []):
        at = f"{where} values[{i}]"
        if not isinstance(entry, dict):
            raise RegionDataError(f"{at}：每项应为含 name、unit、value、source 的映射 / each entry must be a mapping")
        name = entry.get("name")
        if name not in specs:
            specs = setting_specs()
        if name not in specs:
            raise RegionDataError(at + "：" + unknown_name_message(str(name), specs, "地区数据名称", "region data name"))
        unit = entry.get("unit")
        unit = _UNIT_ALIASES.get(str(unit).strip(), unit) if unit is not None else unit
        if unit != specs[name].unit:
            raise RegionDataError(f"{at}：{name} 的单位应为 {specs[name].unit}，而不是 {unit} / {name} has unit {specs[name].unit}, not {unit}")
        if not entry.get("source"):
            raise RegionDataError(f"{at}：须注明来源 source / {name}: a source is required")
        year = entry.get("year")
        start = _as_date(entry.get("valid_from") or (f"{year}-01-01" if year else None), at)
        end_raw = entry.get("valid_to") or (f"{year}-12-31" if year else None)
        end = _as_date(end_raw, at) if end_raw else None
        if end is not None and end < start:
            raise RegionDataError(f"{at}：valid_to 早于 valid_from / valid_to before valid_from")
        raw = entry.get("value")
        if raw is None or raw == "":
            raise RegionDataError(f"{at}：{name} 没有取值；没有数据时请删去该条 / {name}: no value (leave the entry out instead)")
        # the file writes a bare number in the declared unit ("5.5" with unit percent is 5.5%)
        # a value that already says its unit ("2500元", "5.5%", "250000分") is taken as written, not given the unit twice
        # ("2500元元" was refused with a hint proposing the form it refused: outside audit, session 40)
        text = raw if isinstance(raw, (bool, list)) else str(raw).strip()
        if not isinstance(text, (bool, list)) and not _says_unit(text, unit):
            text += {"percent": "%", "yuan": "元", "yuan_10k": "万元"}.get(unit, "")
        try:
            value = parse_value(name, text, unit)
        except SettingError as exc:
            raise RegionDataError(f"{at}：{exc}") from None
        out.append(RegionDatum(name, region, value, unit, start, end, str(entry["source"]), version, path.name))
    return out


def _check_overlaps(data: list[RegionDatum]) -> None:
    by_key: dict[tuple[str, str], list[RegionDatum]] = {}
    for d in data:
        by_key.setdefault((d.region, d.name), []).append(d)
    for (region, name), items in by_key.items():
        items.sort(key=lambda d: d.valid_from)
        for a, b in zip(items, items[1:], strict=False):
            if a.valid_to is None or a.valid_to >= b.valid_from:
                raise RegionDataError(
                    f"地区数据 {region} {name} 的期间重叠：{a.period()}（{a.file}）与 {b.period()}（{b.file}） / overlapping periods"
                )


@functools.lru_cache(maxsize=8)
def load_region_data(extra: tuple[str, ...] = ()) -> dict[tuple[str, str], list[RegionDatum]]:
    """The shipped region data plus any files given, checked once (unit, range, overlap)."""
    files = sorted(REGION_DATA_DIR.glob("*.yaml")) + [Path(p) for p in extra]
    data: list[RegionDatum] = []
    for f in files:
        data += _read_file(f)
    _check_overlaps(data)
    out: dict[tuple[str, str], list[RegionDatum]] = {}
    for d in data:
        out.setdefault((d.region, d.name), []).append(d)
    return out


def region_values(region: Any, on: date, extra: tuple[str, ...] = ()) -> dict[str, RegionDatum]:
    """The region data in force on ``on`` for a region, most specific jurisdiction first."""
    data = load_region_data(extra)
    if not data:
        return {}
    levels = chain(region)
    cache_key = (id(data), tuple(level.key for level in levels), on)
    hit = _REGION_VALUES.get(cache_key)
    if hit is not None and hit[0] is data:  # the data loaded once are held, so their id is not reused
        return dict(hit[1])
    out: dict[str, RegionDatum] = {}
    for level in levels:
        for (key, name), items in data.items():
            if key != level.key or name in out:
                continue
            for d in items:
                if d.covers(on):
                    out[name] = d
                    break
    if len(_REGION_VALUES) >= 4096:
        _REGION_VALUES.clear()
    _REGION_VALUES[cache_key] = (data, dict(out))
    return out


# region data in force by (data loaded, region chain, date): one case looked through every figure of every region
_REGION_VALUES: dict[tuple[Any, ...], tuple[dict[tuple[str, str], list[RegionDatum]], dict[str, RegionDatum]]] = {}

"""Regions (统筹地区) that the policy documents speak about.

Keys are GB/T 2260 six-digit codes, except two that have no such code:

* ``national`` — the nation (人社部 notices);
* ``bingtuan`` — 新疆生产建设兵团, addressed by national notices as a province-level recipient but
  without a province-level GB/T 2260 code. Its 师市 cities carry their real codes (659001…) and are
  modelled as children of ``bingtuan`` (not of 新疆 650000), because for unemployment insurance the
  兵团 is its own 统筹区 (see /work/shared/domain/facts.md §9).

Names are checked against python-stdnum's ``stdnum/cn/loc.dat`` in the tests.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Region:
    key: str
    name: str
    level: str  # national | province | city | county
    parent: str | None
    aliases: tuple[str, ...] = field(default=())

    def __str__(self) -> str:
        return self.name


class RegionError(LookupError):
    """An unknown region name or code."""

    def __init__(self, query: str, suggestions: list[str]):
        self.query = query
        self.suggestions = suggestions
        hint_zh = "、".join(suggestions) if suggestions else "无"
        hint_en = ", ".join(suggestions) if suggestions else "none"
        self.message_zh = f"未知地区“{query}”。最接近的有：{hint_zh}"
        self.message_en = f"unknown region {query!r}; closest: {hint_en}"
        super().__init__(f"{self.message_zh} / {self.message_en}")


def _r(key: str, name: str, level: str, parent: str | None, *aliases: str) -> Region:
    return Region(key, name, level, parent, tuple(aliases))


_REGIONS: tuple[Region, ...] = (
    _r("national", "全国", "national", None, "中国", "国家", "全国统一"),
    # 山西
    _r("140000", "山西省", "province", "national", "山西"),
    _r("140300", "阳泉市", "city", "140000", "阳泉"),
    _r("140302", "城区", "county", "140300", "阳泉市城区", "阳泉城区"),
    _r("140303", "矿区", "county", "140300", "阳泉市矿区", "阳泉矿区"),
    _r("140311", "郊区", "county", "140300", "阳泉市郊区", "阳泉郊区"),
    _r("140321", "平定县", "county", "140300", "平定"),
    _r("140322", "盂县", "county", "140300"),
    # 山西's other prefecture-level cities: 晋人社厅发〔2024〕28号 is addressed to "各市人力资源和社会保障局、财政局、
    # 税务局" and applies province-wide; a city with no forwarding notice of its own in the corpus takes the
    # province's documents through the chain (city → province → national), as 阳泉 does (its 阳人社函〔2024〕121号
    # only forwards the province's notice)
    _r("140100", "太原市", "city", "140000", "太原"),
    _r("140200", "大同市", "city", "140000", "大同"),
    _r("140400", "长治市", "city", "140000", "长治"),
    _r("140500", "晋城市", "city", "140000", "晋城"),
    _r("140600", "朔州市", "city", "140000", "朔州"),
    _r("140700", "晋中市", "city", "140000", "晋中"),
    _r("140800", "运城市", "city", "140000", "运城"),
    _r("140900", "忻州市", "city", "140000", "忻州"),
    _r("141000", "临汾市", "city", "140000", "临汾"),
    _r("141100", "吕梁市", "city", "140000", "吕梁"),
    # 内蒙古
    _r("150000", "内蒙古自治区", "province", "national", "内蒙古", "内蒙"),
    _r("150500", "通辽市", "city", "150000", "通辽"),
    _r("150502", "科尔沁区", "county", "150500", "科尔沁"),
    _r("150521", "科尔沁左翼中旗", "county", "150500", "科左中旗"),
    _r("150522", "科尔沁左翼后旗", "county", "150500", "科左后旗"),
    _r("150523", "开鲁县", "county", "150500", "开鲁"),
    _r("150524", "库伦旗", "county", "150500", "库伦"),
    _r("150525", "奈曼旗", "county", "150500", "奈曼"),
    _r("150526", "扎鲁特旗", "county", "150500", "扎鲁特"),
    _r("150581", "霍林郭勒市", "county", "150500", "霍林郭勒"),
    # 内蒙古's other prefecture-level units (盟市): 内人社发〔2025〕18号 is addressed to "各盟行政公署、市人民政府",
    # 内政发〔2019〕4号 and 内人社办发〔2022〕86号 to every 盟市 as well; they take the province's documents through the
    # chain as 通辽 does where it has no forwarding notice of its own
    _r("150100", "呼和浩特市", "city", "150000", "呼和浩特", "呼市"),
    _r("150200", "包头市", "city", "150000", "包头"),
    _r("150300", "乌海市", "city", "150000", "乌海"),
    _r("150400", "赤峰市", "city", "150000", "赤峰"),
    _r("150600", "鄂尔多斯市", "city", "150000", "鄂尔多斯"),
    _r("150700", "呼伦贝尔市", "city", "150000", "呼伦贝尔"),
    _r("150800", "巴彦淖尔市", "city", "150000", "巴彦淖尔"),
    _r("150900", "乌兰察布市", "city", "150000", "乌兰察布"),
    _r("152200", "兴安盟", "city", "150000"),
    _r("152500", "锡林郭勒盟", "city", "150000", "锡林郭勒"),
    _r("152900", "阿拉善盟", "city", "150000", "阿拉善"),
    # 新疆生产建设兵团 and its 师市 (city codes from GB/T 2260 659000 自治区直辖县级行政单位)
    _r("bingtuan", "新疆生产建设兵团", "province", "national", "兵团", "XPCC"),
    _r("659001", "石河子市", "city", "bingtuan", "石河子", "第八师"),
    _r("659002", "阿拉尔市", "city", "bingtuan", "阿拉尔", "第一师"),
    _r("659003", "图木舒克市", "city", "bingtuan", "图木舒克", "第三师"),
    _r("659004", "五家渠市", "city", "bingtuan", "五家渠", "第六师"),
    _r("659005", "北屯市", "city", "bingtuan", "北屯", "第十师"),
    _r("659006", "铁门关市", "city", "bingtuan", "铁门关", "第二师"),
    _r("659007", "双河市", "city", "bingtuan", "双河", "第五师"),
    _r("659008", "可克达拉市", "city", "bingtuan", "可克达拉", "第四师"),
    _r("659009", "昆玉市", "city", "bingtuan", "昆玉", "第十四师"),
    _r("659010", "胡杨河市", "city", "bingtuan", "胡杨河", "第七师"),
    _r("659011", "新星市", "city", "bingtuan", "新星", "第十三师"),
    _r("659012", "白杨市", "city", "bingtuan", "白杨", "第九师"),
)

REGIONS: dict[str, Region] = {r.key: r for r in _REGIONS}

_LOOKUP: dict[str, str] = {}
for _reg in _REGIONS:
    for _label in (_reg.key, _reg.name, *_reg.aliases):
        if _label in _LOOKUP and _LOOKUP[_label] != _reg.key:  # pragma: no cover - registry sanity
            raise RuntimeError(f"ambiguous region label {_label!r}")
        _LOOKUP[_label] = _reg.key


def resolve_region(query: str | Region) -> Region:
    """Find a region by code, name or alias (``"通辽"``, ``"150521"``, ``"兵团"``)."""
    if isinstance(query, Region):
        return query
    text = str(query).strip()
    key = _LOOKUP.get(text)
    if key is None:
        suggestions = difflib.get_close_matches(text, list(_LOOKUP), n=5, cutoff=0.3)
        if not suggestions:
            suggestions = [r.name for r in _REGIONS if r.level in ("national", "province")]
        labels = []
        for s in suggestions:
            reg = REGIONS[_LOOKUP.get(s, s)] if s in _LOOKUP else None
            label = f"{reg.name}（{reg.key}）" if reg else s
            if label not in labels:
                labels.append(label)
        raise RegionError(text, labels)
    return REGIONS[key]


def parent(region: str | Region) -> Region | None:
    r = resolve_region(region)
    return REGIONS[r.parent] if r.parent else None


def chain(region: str | Region) -> list[Region]:
    """The region and its ancestors, most specific first: ``[county, city, province, national]``."""
    out: list[Region] = []
    r: Region | None = resolve_region(region)
    while r is not None:
        out.append(r)
        r = REGIONS[r.parent] if r.parent else None
    return out


def with_descendants(region: str | Region) -> set[str]:
    """The keys of ``region`` and of every region below it (``--region`` of a screening: rows of these are taken)."""
    todo, seen = [resolve_region(region)], set()
    while todo:
        r = todo.pop()
        seen.add(r.key)
        todo.extend(children(r))
    return seen


def children(region: str | Region) -> list[Region]:
    key = resolve_region(region).key
    return [r for r in _REGIONS if r.parent == key]

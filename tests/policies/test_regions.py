"""The region registry: codes and names agree with GB/T 2260 as shipped in python-stdnum."""

from __future__ import annotations

import pytest
from stdnum import numdb

from wengang.regions import REGIONS, RegionError, chain, children, resolve_region


def _stdnum_name(code: str) -> str:
    info = numdb.get("cn/loc").info(code)
    name = info[-1][1].get("county", "")
    return name.split("]", 1)[-1]  # "[1999-]通辽市" -> "通辽市"


@pytest.mark.parametrize("key", [k for k in REGIONS if k.isdigit()])
def test_names_match_stdnum(key):
    assert _stdnum_name(key) == REGIONS[key].name


def test_aliases():
    assert resolve_region("内蒙古").key == "150000"
    assert resolve_region("内蒙古自治区").key == "150000"
    assert resolve_region("150000").key == "150000"
    assert resolve_region("通辽").key == "150500"
    assert resolve_region("通辽市").key == "150500"
    assert resolve_region("150521").name == "科尔沁左翼中旗"
    assert resolve_region("兵团").key == "bingtuan"
    assert resolve_region("山西").key == "140000"
    assert resolve_region(" 阳泉 ").key == "140300"


def test_tongliao_has_all_its_county_level_units():
    assert {r.key for r in children("通辽")} == {
        "150502", "150521", "150522", "150523", "150524", "150525", "150526", "150581",
    }


def test_yangquan_counties():
    assert {r.key for r in children("阳泉")} == {"140302", "140303", "140311", "140321", "140322"}


def test_bingtuan_cities():
    keys = {r.key for r in children("bingtuan")}
    assert {f"65900{i}" for i in range(1, 10)} <= keys


def test_chain():
    assert [r.key for r in chain("150521")] == ["150521", "150500", "150000", "national"]
    assert [r.key for r in chain("石河子")] == ["659001", "bingtuan", "national"]
    assert [r.key for r in chain("national")] == ["national"]


def test_unknown_region_lists_the_closest():
    with pytest.raises(RegionError) as info:
        resolve_region("通辽县")
    e = info.value
    assert "未知地区" in str(e) and "unknown region" in str(e)
    assert any("通辽" in s for s in e.suggestions)


def test_unknown_code_still_gives_options():
    with pytest.raises(RegionError) as info:
        resolve_region("999999")
    assert info.value.suggestions

"""Every defect the loader must refuse, with the file and the line it names."""

from __future__ import annotations

from pathlib import Path

import pytest

from wengang.policies import PolicyError, load_dirs

NATIONAL = """\
id: nat
number: 国发〔2099〕1号
title: 测试国家文件
issuers: [测试部]
jurisdiction: national
issued: 2099-01-01
status: in_force
source: test.txt
clauses:
  一: 失业保险费率不超过1%，单位费率0.5%，个人费率0.5%，执行期限至2099年12月31日。
programs:
  fee_rate:
    label: 失业保险费率
    ruleset: v2024
    clause: 一
    valid_from: 2099-01-01
    valid_to: 2099-12-31
    validity_clause: 一
    parameters:
      total_rate:
        value: "1"
        unit: percent
        ceiling: true
        clause: 一
        quote: 失业保险费率不超过1%
      unit_rate:
        value: "0.5"
        unit: percent
        clause: 一
        quote: 单位费率0.5%
      individual_rate:
        value: "0.5"
        unit: percent
        clause: 一
        quote: 个人费率0.5%
"""

PROVINCE = """\
id: prov
number: 内测发〔2099〕2号
title: 测试省级文件
issuers: [测试厅]
jurisdiction: "150000"
issued: 2099-02-01
status: in_force
implements: [nat]
source: test.txt
clauses:
  一: 费率1%（单位0.7%，个人0.3%），执行期限至2099年12月31日。
programs:
  fee_rate:
    label: 失业保险费率
    ruleset: v2024
    clause: 一
    valid_from: 2099-01-01
    valid_to: 2099-12-31
    validity_clause: 一
    parameters:
      total_rate:
        value: "1"
        unit: percent
        clause: 一
        quote: 费率1%
      unit_rate:
        value: "0.7"
        unit: percent
        clause: 一
        quote: 单位0.7%
      individual_rate:
        value: "0.3"
        unit: percent
        clause: 一
        quote: 个人0.3%
"""


def write(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    return tmp_path


def load(tmp_path: Path, files: dict[str, str]):
    return load_dirs([write(tmp_path, files)], include_packaged=False)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the ``occurrence``-th line containing ``needle``."""
    seen = 0
    for i, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return i
    raise AssertionError(f"{needle!r} not in text")


def expect_error(tmp_path: Path, files: dict[str, str], file: str, line: int, *words: str) -> PolicyError:
    with pytest.raises(PolicyError) as info:
        load(tmp_path, files)
    errors = info.value.all_errors
    matching = [e for e in errors if e.file.endswith(file) and e.line == line]
    assert matching, f"no error at {file}:{line}; got: {[str(e) for e in errors]}"
    e = matching[0]
    text = str(e)
    assert text.startswith(f"文件 {e.file} 第 {line} 行：")
    for w in words:
        assert w in text, (w, text)
    return e


def test_the_fixture_itself_loads(tmp_path):
    ps = load(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": PROVINCE})
    assert {d.id for d in ps.documents} == {"nat", "prov"}


def test_citation_to_a_clause_that_does_not_exist(tmp_path):
    bad = PROVINCE.replace("        clause: 一\n        quote: 单位0.7%", "        clause: 二\n        quote: 单位0.7%")
    line = line_of(bad, "clause: 二")
    expect_error(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": bad}, "prov.yaml", line, "“二”", "clause")


def test_program_main_clause_that_does_not_exist(tmp_path):
    bad = PROVINCE.replace("    clause: 一\n    valid_from", "    clause: 三\n    valid_from")
    expect_error(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": bad}, "prov.yaml", line_of(bad, "clause: 三"), "三")


def test_missing_quote(tmp_path):
    bad = PROVINCE.replace("        clause: 一\n        quote: 个人0.3%\n", "        clause: 一\n")
    line = line_of(bad, "individual_rate:")
    expect_error(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": bad}, "prov.yaml", line, "quote")


def test_empty_clause_text(tmp_path):
    bad = PROVINCE.replace("  一: 费率1%", "  二: ''\n  一: 费率1%")
    expect_error(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": bad}, "prov.yaml", line_of(bad, "二: ''"), "原文")


def test_quote_not_in_clause_text(tmp_path):
    bad = PROVINCE.replace("quote: 单位0.7%", "quote: 单位0.8%")
    line = line_of(bad, "quote: 单位0.8%")
    expect_error(
        tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": bad}, "prov.yaml", line, "单位0.8%", "does not occur"
    )


def test_quote_compare_ignores_whitespace(tmp_path):
    ok = PROVINCE.replace("quote: 单位0.7%", "quote: 单位 0.7 %")
    load(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": ok})


def test_unknown_implements_id(tmp_path):
    bad = PROVINCE.replace("implements: [nat]", "implements:\n  - nat\n  - no-such-doc")
    line = line_of(bad, "- no-such-doc")
    expect_error(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": bad}, "prov.yaml", line, "no-such-doc")


def test_unknown_forwards_id(tmp_path):
    city = (
        "id: city\nnumber: 市测〔2099〕3号\ntitle: 转发\nissuers: [市局]\njurisdiction: \"150500\"\n"
        "issued: 2099-03-01\nstatus: in_force\nforwards: missing-doc\nsource: t.txt\nclauses:\n  正文: 现转发给你们。\n"
    )
    files = {"national/nat.yaml": NATIONAL, "150000/prov.yaml": PROVINCE, "150500/city.yaml": city}
    expect_error(tmp_path, files, "city.yaml", line_of(city, "forwards:"), "missing-doc")


def test_province_value_above_the_national_ceiling(tmp_path):
    bad = PROVINCE.replace('      total_rate:\n        value: "1"', '      total_rate:\n        value: "1.5"')
    line = line_of(bad, 'value: "1.5"')
    e = expect_error(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": bad}, "prov.yaml", line, "1.5%", "国发〔2099〕1号")
    assert "超过国家上限" in e.message_zh


def test_value_at_the_ceiling_is_allowed(tmp_path):
    load(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": PROVINCE})  # 1% == ceiling 1%


def test_overlapping_validity_in_one_jurisdiction(tmp_path):
    second = (
        PROVINCE.replace("id: prov", "id: prov2")
        .replace("内测发〔2099〕2号", "内测发〔2099〕9号")
        .replace("issued: 2099-02-01", "issued: 2099-06-01")
        .replace("    valid_from: 2099-01-01", "    valid_from: 2099-07-01")
    )
    files = {"national/nat.yaml": NATIONAL, "150000/prov.yaml": PROVINCE, "150000/prov2.yaml": second}
    line = line_of(second, "unit_rate:")
    expect_error(tmp_path, files, "prov2.yaml", line, "重叠", "unit_rate", "内测发〔2099〕2号")


def test_a_block_building_on_the_earlier_one_may_overlap_it(tmp_path):
    # e.g. 人社部发〔2024〕40号's 失业保险金 block on the 条例: the later names the earlier as its base
    second = (
        PROVINCE.replace("id: prov", "id: prov2")
        .replace("内测发〔2099〕2号", "内测发〔2099〕9号")
        .replace("issued: 2099-02-01", "issued: 2099-06-01")
        .replace("    valid_from: 2099-01-01", "    valid_from: 2099-07-01")
        .replace("    ruleset: v2024\n", "    ruleset: v2024\n    base: prov\n", 1)
    )
    assert "base: prov" in second
    ps = load(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": PROVINCE, "150000/prov2.yaml": second})
    from datetime import date

    assert ps.resolve(region="150000", on=date(2099, 8, 1), program="fee_rate").document.id == "prov2"
    assert ps.resolve(region="150000", on=date(2099, 3, 1), program="fee_rate").document.id == "prov"


def test_non_overlapping_years_are_fine(tmp_path):
    second = (
        PROVINCE.replace("id: prov", "id: prov2")
        .replace("内测发〔2099〕2号", "内测发〔2100〕9号")
        .replace("issued: 2099-02-01", "issued: 2100-02-01")
        .replace("valid_from: 2099-01-01", "valid_from: 2100-01-01")
        .replace("valid_to: 2099-12-31", "valid_to: 2100-12-31")
        .replace("执行期限至2099年12月31日", "执行期限至2100年12月31日")
    )
    ps = load(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": PROVINCE, "150000/prov2.yaml": second})
    assert len(ps.documents) == 3


def test_a_draft_may_overlap(tmp_path):
    draft = (
        PROVINCE.replace("id: prov", "id: prov-draft")
        .replace("number: 内测发〔2099〕2号\n", "")
        .replace("status: in_force", "status: draft")
    )
    load(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": PROVINCE, "150000/draft.yaml": draft})


def test_required_parameter_missing(tmp_path):
    bad = PROVINCE.replace("implements: [nat]\n", "").replace(
        '      individual_rate:\n        value: "0.3"\n        unit: percent\n        clause: 一\n        quote: 个人0.3%\n', ""
    )
    line = line_of(bad, "ruleset: v2024")
    expect_error(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": bad}, "prov.yaml", line, "individual_rate")


def test_required_parameter_inherited_from_the_implemented_document(tmp_path):
    ok = PROVINCE.replace(
        '      individual_rate:\n        value: "0.3"\n        unit: percent\n        clause: 一\n        quote: 个人0.3%\n', ""
    )
    ps = load(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": ok})
    params, _ = ps.effective(ps.get("prov"), "fee_rate")
    assert params["individual_rate"].doc_id == "nat" and params["individual_rate"].inherited


def test_unknown_ruleset(tmp_path):
    bad = PROVINCE.replace("ruleset: v2024", "ruleset: v1999")
    expect_error(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": bad}, "prov.yaml", line_of(bad, "ruleset: v1999"), "v1999")


def test_unknown_unit(tmp_path):
    bad = PROVINCE.replace('value: "0.7"\n        unit: percent', 'value: "0.7"\n        unit: percentage')
    expect_error(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": bad}, "prov.yaml", line_of(bad, "unit: percentage"), "percentage")


@pytest.mark.parametrize(
    ("value", "unit", "word"),
    [('"abc"', "percent", "abc"), ("1.5", "month", "1.5"), ('"yes"', "bool", "yes"), ("12.345", "yuan", "12.345")],
)
def test_bad_values(tmp_path, value, unit, word):
    bad = PROVINCE.replace('value: "0.7"\n        unit: percent', f"value: {value}\n        unit: {unit}")
    expect_error(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": bad}, "prov.yaml", line_of(bad, f"value: {value}"), word)


def test_duplicate_document_ids(tmp_path):
    dup = PROVINCE.replace("内测发〔2099〕2号", "内测发〔2099〕7号").replace('"150000"', '"140000"')
    files = {"national/nat.yaml": NATIONAL, "150000/prov.yaml": PROVINCE, "zz/dup.yaml": dup}
    expect_error(tmp_path, files, "dup.yaml", 1, "重复", "prov")


def test_duplicate_yaml_key(tmp_path):
    bad = PROVINCE.replace("title: 测试省级文件\n", "title: 测试省级文件\ntitle: 又一个\n")
    expect_error(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": bad}, "prov.yaml", line_of(bad, "title: 又一个"), "title")


def test_yaml_syntax_error_names_the_line(tmp_path):
    bad = PROVINCE.replace("title: 测试省级文件", "title: [unclosed")
    with pytest.raises(PolicyError) as info:
        load(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": bad})
    assert info.value.file.endswith("prov.yaml") and info.value.line is not None


def test_unknown_field_is_refused(tmp_path):
    bad = PROVINCE.replace("    label: 失业保险费率\n", "    label: 失业保险费率\n    lable: typo\n", 1)
    expect_error(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": bad}, "prov.yaml", line_of(bad, "lable: typo"), "lable")


def test_unknown_jurisdiction(tmp_path):
    bad = PROVINCE.replace('jurisdiction: "150000"', 'jurisdiction: "999999"')
    expect_error(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": bad}, "prov.yaml", line_of(bad, "jurisdiction:"), "999999")


def test_all_errors_are_collected(tmp_path):
    bad = PROVINCE.replace("quote: 单位0.7%", "quote: 单位0.8%").replace("quote: 个人0.3%", "quote: 个人0.9%")
    with pytest.raises(PolicyError) as info:
        load(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": bad})
    assert len(info.value.all_errors) == 2


def test_same_parameter_with_another_unit_than_the_implemented_document(tmp_path):
    bad = PROVINCE.replace('      unit_rate:\n        value: "0.7"\n        unit: percent', '      unit_rate:\n        value: 1\n        unit: count')
    line = line_of(bad, "unit: count")
    expect_error(tmp_path, {"national/nat.yaml": NATIONAL, "150000/prov.yaml": bad}, "prov.yaml", line, "count", "percent")

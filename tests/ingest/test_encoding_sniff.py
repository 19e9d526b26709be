"""The encoding of a CSV file is decided from the whole file when its first MiB is ASCII: a GBK export with
English headers and ASCII names first reads its Chinese names right; a file that is not the UTF-8 it was
declared (or detected) to be is refused naming the file and the line, with the --encoding gbk hint."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from wengang.cli import app
from wengang.ingest import IngestError
from wengang.ingest.files import _SNIFF_BYTES, detect_encoding, read_frame
from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.pipeline import run_screening

TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")
ON = date(2025, 8, 1)
ALLOWED = allowed_regions_for("150500", 2025) | {"150500"}
# 伟业农园 in GBK is valid UTF-8 (ΰҵũ԰): only the whole file, read as Chinese, tells them apart
NAMES = ["伟业农园", "通辽市科尔沁区甲有限公司", "开鲁县乙合作社"]
runner = CliRunner()


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    root = tmp_path_factory.mktemp("encsniff")
    paths = generate_region(root / "data", region_code="150500", n_units=120, year=2025, seed=13)
    return root, {k: paths[k] for k in TABLES}


def _late_chinese_units(tables: dict[str, Path], names: list[str]) -> pl.DataFrame:
    """The units with ASCII names and a wide ASCII remark (the first MiB is ASCII); the last ones Chinese."""
    units = pl.read_parquet(tables["units"] / "*.parquet").select(pl.all().cast(pl.String))
    n = units.height
    late = pl.int_range(pl.len()) >= n - len(names)
    name = pl.when(late).then(pl.Series(["x"] * (n - len(names)) + names)).otherwise(pl.format("unit-{}", pl.int_range(pl.len())))
    units = units.with_columns(name.alias("name"), pl.lit("x" * (2 * _SNIFF_BYTES // n)).alias("remark"))
    return units


def _head_is_ascii(path: Path) -> bool:
    return path.read_bytes()[:_SNIFF_BYTES].isascii()


def test_gbk_names_after_an_ascii_first_mib_read_right(region, tmp_path):
    root, tables = region
    units = _late_chinese_units(tables, NAMES)
    csv = tmp_path / "units.csv"
    csv.write_bytes(units.write_csv().encode("gbk"))
    assert _head_is_ascii(csv)
    assert detect_encoding(csv) == "gbk"
    run_screening(
        tmp_path / "out", program="fanhuan", evaluation_date=ON, policy_year=2025, tables={**tables, "units": csv},
        allowed_regions=ALLOWED, excel=False,
    )  # fmt: skip
    results = pl.read_parquet(tmp_path / "out" / "results.parquet")
    codes = units.tail(len(NAMES)).get_column("credit_code").to_list()
    got = dict(results.filter(pl.col("credit_code").is_in(codes)).select("credit_code", "name").iter_rows())
    assert got == dict(zip(codes, NAMES, strict=True))
    assert not results.get_column("name").str.contains("ΰ").any()


def test_utf8_after_an_ascii_first_mib_stays_utf8(region, tmp_path):
    root, tables = region
    units = _late_chinese_units(tables, NAMES)
    csv = tmp_path / "units.csv"
    csv.write_text(units.write_csv(), encoding="utf-8")
    assert _head_is_ascii(csv) and detect_encoding(csv) == "utf-8"
    assert read_frame(csv).lf.collect().get_column("name").tail(3).to_list() == NAMES
    # a UTF-8 export whose only non-ASCII signs are Latin-1 (a middle dot) is UTF-8 too
    dotted = tmp_path / "dotted.csv"
    dotted.write_text(_late_chinese_units(tables, ["A·B"]).write_csv(), encoding="utf-8")
    assert detect_encoding(dotted) == "utf-8"


def test_an_explicit_encoding_is_authoritative(region, tmp_path):
    root, tables = region
    csv = tmp_path / "units.csv"
    csv.write_bytes(_late_chinese_units(tables, NAMES[:1]).write_csv().encode("gbk"))
    assert read_frame(csv, encoding="gbk").lf.collect().get_column("name").to_list()[-1] == "伟业农园"
    # declared UTF-8, and valid UTF-8: read as declared (the sniff does not overrule the operator)
    frame = read_frame(csv, encoding="utf-8")
    assert frame.encoding == "utf-8" and frame.lf.collect().get_column("name").to_list()[-1] == "ΰҵũ԰"


def _cli(tables: dict[str, Path], out: Path, *extra: str):
    args = ["screen", "--date", "2025-08-01", "--out", str(out), *extra]
    for k, v in tables.items():
        args += [f"--{k.replace('_', '-')}", str(v)]
    return runner.invoke(app, args)


@pytest.mark.parametrize("declared", [True, False], ids=["declared", "detected"])
def test_a_file_that_is_not_utf8_after_its_head_names_the_line_and_hints_gbk(region, tmp_path, declared):
    root, tables = region
    units = _late_chinese_units(tables, NAMES)
    csv = tmp_path / "units.csv"
    if declared:  # --encoding utf-8 for a GBK file: the head (ASCII) decodes, the rest does not
        csv.write_bytes(units.write_csv().encode("gbk"))
    else:  # a UTF-8 head with Chinese headers is detected as UTF-8, and GBK rows follow after the first MiB
        head = units.head(units.height - 3).rename({"name": "单位名称"}).write_csv()
        tail = units.tail(3).rename({"name": "单位名称"}).write_csv(include_header=False)
        csv.write_bytes(head.encode("utf-8") + tail.encode("gbk"))
        assert not _head_is_ascii(csv) and detect_encoding(csv) == "utf-8"
    line = units.height  # header on line 1; 伟业农园 (third-last) is valid UTF-8, the next name is not
    result = _cli({**tables, "units": csv}, tmp_path / "out", *(["--encoding", "utf-8"] if declared else []))
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert f"文件 {csv} 第 {line} 行（第 {line - 1} 条记录" in out and "不是 UTF-8 编码" in out
    assert "如文件为 GBK 编码，请加 --encoding gbk" in out
    assert f"is not UTF-8 at line {line} (record {line - 1}" in out and "pass --encoding gbk" in out
    assert out.index("不是 UTF-8") < out.index("is not UTF-8")
    assert "invalid utf-8" not in out and str(tables["contributions"]) not in out
    # the hint works
    if declared:
        assert _cli({**tables, "units": csv}, tmp_path / "out2", "--encoding", "gbk").exit_code == 0


def test_a_gbk_error_names_the_line_not_a_byte_of_some_chunk(tmp_path):
    p = tmp_path / "t.csv"
    # 8 MB of ASCII (two chunks of the transcoder), then a byte GBK has not: line 2,000,002, byte 8,000,007
    p.write_bytes(("a,b\n" + "x,1\n" * 2_000_000).encode() + "甲".encode("gbk") + b"\xff,3\n")
    with pytest.raises(IngestError) as e:
        read_frame(p, encoding="gbk")
    assert "第 2000002 行（第 2000001 条记录，第 8000007 字节）不能按 gbk 编码读取" in str(e.value)


def test_a_small_gbk_file_that_is_also_valid_utf8_reads_as_gbk(tmp_path):
    # under the sniff limit the head is the whole file: 伟业农园 in GBK decodes as UTF-8 too (ΰҵũ԰), and GBK,
    # which reads it as Chinese, must win; a UTF-8 file of Chinese stays UTF-8
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("credit_code,name\n91150502MA0000001X,伟业农园\n".encode("gbk"))
    assert gbk.read_bytes().decode("utf-8")  # the trap: valid UTF-8
    assert detect_encoding(gbk) == "gbk"
    assert read_frame(gbk).lf.collect()["name"].to_list() == ["伟业农园"]
    utf8 = tmp_path / "utf8.csv"
    utf8.write_text("credit_code,name\n91150502MA0000001X,伟业农园\n", encoding="utf-8")
    assert detect_encoding(utf8) == "utf-8"

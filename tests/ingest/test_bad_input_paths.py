"""Bad input is refused clearly on every path a screen reads it by, through the library as through the command
line: a CSV row with more fields than the header, a stray or unclosed quote, bytes not in the file's encoding, a
file of two encodings joined. The error is the project's own (``IngestError``: Chinese first, then English) and
names the file and the line, whichever table it is, whether the file is transcoded from GBK, split into partitions
or read beside the early read of the monthly rows. An XLSX blank row is no row; a merged or blank cell of a field
quarantines its row with a reason naming the cell, and the counts reconcile."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from wengang.cli import app
from wengang.ingest import IngestError
from wengang.ingest.files import _SNIFF_BYTES, detect_encoding, read_frame
from wengang.screening.demo_data import allowed_regions_for, generate_region
from wengang.screening.pipeline import TableSource, run_screening

TABLES = ("units", "contributions", "headcount", "exclusions", "stats_size", "deferrals", "dispatch")
ON = date(2025, 8, 1)
ALLOWED = allowed_regions_for("150500", 2025) | {"150500"}
SRC = str(Path(__file__).resolve().parents[2] / "src")
runner = CliRunner()


@pytest.fixture(scope="module")
def region(tmp_path_factory):
    root = tmp_path_factory.mktemp("badinput")
    paths = generate_region(root / "data", region_code="150500", n_units=120, year=2025, seed=17)
    return {k: paths[k] for k in TABLES}


def _text(tables: dict[str, Path], name: str) -> str:
    return pl.read_parquet(tables[name] / "*.parquet").select(pl.all().cast(pl.String)).write_csv()


def _screen(out: Path, tables: dict, **kw):
    return run_screening(
        out, program="fanhuan", evaluation_date=ON, policy_year=2025, tables=tables, allowed_regions=ALLOWED,
        excel=False, **kw,
    )  # fmt: skip


def _refusal(exc: IngestError) -> str:
    text = " ".join(str(exc).split())
    assert str(exc).startswith(exc.message_zh) and exc.message_en in str(exc)  # Chinese first, then English
    return text


def _cli(tables: dict, out: Path, *extra: str):
    args = ["screen", "--date", "2025-08-01", "--out", str(out), *extra]
    for k, v in tables.items():
        args += [f"--{k.replace('_', '-')}", str(v)]
    return runner.invoke(app, args)


def _long_row(text: str, line: int) -> str:
    """``text`` with an unquoted comma and a value added to its ``line`` (1-based: the header is line 1)."""
    lines = text.splitlines(keepends=True)
    lines[line - 1] = lines[line - 1].rstrip("\n") + ",多出的值\n"
    return "".join(lines)


# --- a row with more fields than the header: the library names the file and the line, on every table


@pytest.mark.parametrize("table", TABLES)
def test_a_long_row_in_any_table_is_named_by_the_library(region, tmp_path, table):
    text = _text(region, table)
    line = min(4, len(text.splitlines()))
    csv = tmp_path / f"{table}.csv"
    csv.write_text(_long_row(text, line), encoding="utf-8")
    with pytest.raises(IngestError) as e:  # not Polars' ComputeError
        _screen(tmp_path / "out", {**region, table: csv})
    msg = _refusal(e.value)
    width = len(text.splitlines()[0].split(","))
    assert (
        f"文件 {csv} 的行与表头不符：第 {line} 行（第 {line - 1} 条记录）字段数多于表头（{width + 1} 个，表头 {width} 个）"
        in msg
    )
    assert (
        f"line {line} (record {line - 1}) has more fields than the header ({width + 1}, header {width})"
        in msg
    )
    assert "found more fields" not in msg and e.value.source == str(csv)


@pytest.mark.parametrize("table", ["units", "contributions"])
@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
@pytest.mark.parametrize("partitions", [1, 3])
def test_a_long_row_is_named_whether_transcoded_or_split(region, tmp_path, table, encoding, partitions):
    """A GBK file is transcoded to UTF-8 first, several partitions split a CSV to disk first: the line named is
    the line of the file as sent."""
    text = _text(region, table)  # the units' names are Chinese: as GBK, the file is GBK
    csv = tmp_path / f"{table}.csv"
    csv.write_bytes(_long_row(text, 7).encode(encoding))
    if encoding == "gbk" and table == "units":
        assert detect_encoding(csv) == "gbk"
    with pytest.raises(IngestError) as e:
        _screen(tmp_path / "out", {**region, table: csv}, partitions=partitions)
    msg = _refusal(e.value)
    assert f"文件 {csv} 的行与表头不符：第 7 行（第 6 条记录）字段数多于表头" in msg
    assert "line 7 (record 6) has more fields than the header" in msg


def test_a_long_row_given_as_a_table_source_with_its_encoding_is_named(region, tmp_path):
    text = _text(region, "headcount")
    csv = tmp_path / "headcount.csv"
    csv.write_bytes(_long_row(text, 3).encode("gb18030"))
    with pytest.raises(IngestError) as e:
        _screen(tmp_path / "out", {**region, "headcount": TableSource(str(csv), encoding="gb18030")})
    assert f"文件 {csv} 的行与表头不符：第 3 行（第 2 条记录）" in _refusal(e.value)


def test_a_long_row_in_a_facts_table_is_named(region, tmp_path):
    _screen(tmp_path / "base", region)
    facts = (
        pl.read_parquet(tmp_path / "base" / "features.parquet").select(pl.all().cast(pl.String)).write_csv()
    )
    csv = tmp_path / "facts.csv"
    csv.write_text(_long_row(facts, 5), encoding="utf-8")
    with pytest.raises(IngestError) as e:
        run_screening(
            tmp_path / "out", program="fanhuan", evaluation_date=ON, policy_year=2025, facts=csv, excel=False
        )
    msg = _refusal(e.value)
    # named as the facts table, with its line (it was "not a readable table", no line)
    assert f"事实表 {csv} 的行与表头不符：第 5 行（第 4 条记录）字段数多于表头" in msg
    assert f"facts table {csv}: rows do not match the header: line 5 (record 4)" in msg


def test_the_command_line_names_a_long_row_of_a_split_gbk_file(region, tmp_path):
    text = _text(region, "units")
    csv = tmp_path / "units.csv"
    csv.write_bytes(_long_row(text, 9).encode("gbk"))
    result = _cli({**region, "units": csv}, tmp_path / "out", "--partitions", "3")
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert f"文件 {csv} 的行与表头不符：第 9 行（第 8 条记录）字段数多于表头" in out
    assert "line 9 (record 8) has more fields than the header" in out
    assert out.index("字段数多于表头") < out.index("more fields than")
    assert "found more fields" not in out and "内部错误" not in out and not (tmp_path / "out").exists()


def test_the_command_line_names_a_long_row_beside_the_early_read_of_the_monthly_rows(region, tmp_path):
    """`wengang screen` reads a Parquet monthly file early, on a thread, while it starts (screening.prefetch):
    a bad CSV registry beside it is still named (a process of its own: the early read starts on import)."""
    text = _text(region, "units")
    csv = tmp_path / "units.csv"
    csv.write_text(_long_row(text, 6), encoding="utf-8")
    args = ["screen", "--date", "2025-08-01", "--year", "2025", "--out", str(tmp_path / "out")]
    for k, v in {**region, "units": csv}.items():
        args += [f"--{k.replace('_', '-')}", str(v)]
    env = {
        **os.environ,
        "PYTHONPATH": SRC,
        "TMPDIR": str(tmp_path),
        "WENGANG_STATE_DIR": str(tmp_path / "state"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "wengang", *args], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 2, done.stderr
    err = " ".join(done.stderr.split())
    assert f"文件 {csv} 的行与表头不符：第 6 行（第 5 条记录）字段数多于表头" in err
    assert "内部错误" not in err and "Traceback" not in err


# --- quotes Polars cannot pair


@pytest.mark.parametrize(
    ("bad", "zh", "en"),
    [
        (
            '24" 显示器',
            "值中有未成对的引号：第 5 行（第 4 条记录）",
            "a quote inside a value that is not quoted: line 5 (record 4)",
        ),
        (
            '"未闭合',
            "第 5 行（第 4 条记录）起的引号没有闭合",
            "the quote opened at line 5 (record 4) is not closed",
        ),
    ],
    ids=["stray", "unclosed"],
)
def test_a_quote_polars_cannot_pair_is_named(region, tmp_path, bad, zh, en):
    units = pl.read_parquet(region["units"] / "*.parquet").select(pl.all().cast(pl.String))
    lines = units.write_csv().splitlines(keepends=True)
    code, _, after = lines[4].split(",", 2)
    lines[4] = f"{code},{bad},{after}"  # data row 4: its name
    csv = tmp_path / "units.csv"
    csv.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(IngestError) as e:
        _screen(tmp_path / "out", {**region, "units": csv})
    msg = _refusal(e.value)
    assert f"文件 {csv} 的{zh}" in msg and en in msg
    result = _cli({**region, "units": csv}, tmp_path / "cli")
    assert result.exit_code == 2 and zh in " ".join(result.output.split())


# --- encodings: one file, one encoding


def _names_table(names: list[str]) -> str:
    return "统一社会信用代码,单位名称\n" + "".join(f"91150502MA{i:07d}X,{n}\n" for i, n in enumerate(names))


EVEN = [
    "通辽示范单位",
    "科尔沁合作社",
    "扎鲁特旗牧场",
]  # as GBK, their UTF-8 bytes pair up: GBK reads them as mojibake


def test_utf8_then_gbk_in_a_small_file_is_refused_at_the_first_gbk_line(tmp_path):
    """Before: decoded whole as GBK, the UTF-8 names came out as mojibake (閫氳窘绀鸿寖鍗曚綅)."""
    p = tmp_path / "joined.csv"
    utf8 = _names_table(EVEN * 10)
    gbk = "".join(f"91150502MB{i:07d}X,开鲁县{i}号单位\n" for i in range(5))
    p.write_bytes(utf8.encode("utf-8") + gbk.encode("gbk"))
    assert (utf8.encode("utf-8") + gbk.encode("gbk")).decode("gbk")  # GBK alone would read it, wrongly
    with pytest.raises(IngestError) as e:
        read_frame(p)
    msg = _refusal(e.value)
    line = utf8.count("\n") + 1
    assert (
        f"文件 {p} 第 {line} 行（第 {line - 1} 条记录" in msg
        and "不是 UTF-8 编码，而此前已有 UTF-8 编码的中文" in msg
    )
    assert "拼接" in msg and f"is not UTF-8 at line {line} (record {line - 1}" in msg


def test_gbk_then_utf8_is_refused_at_the_first_utf8_line(tmp_path):
    p = tmp_path / "joined.csv"
    gbk = _names_table([f"开鲁县{i}号单位" for i in range(5)])
    utf8 = "".join(f"91150502MB{i:07d}X,{n}\n" for i, n in enumerate(EVEN + ["张三"]))
    p.write_bytes(gbk.encode("gbk") + utf8.encode("utf-8"))
    with pytest.raises(IngestError) as e:
        read_frame(p)
    msg = _refusal(e.value)
    assert f"文件 {p} 第 7 行（第 6 条记录" in msg and "是 UTF-8 编码的中文，而此前的内容是 gbk 编码" in msg
    assert "has UTF-8 Chinese text at line 7 (record 6" in msg
    # a two-character name alone is seen too
    p.write_bytes(gbk.encode("gbk") + "91150502MC0000001X,张三\n".encode())
    with pytest.raises(IngestError, match="第 7 行"):
        read_frame(p)


@pytest.mark.parametrize("order", ["utf8_gbk", "gbk_utf8"])
def test_two_encodings_after_an_ascii_first_mib_are_refused(tmp_path, order):
    """The first MiB is ASCII: the whole file decides, and a file of two encodings is refused, not decoded as GBK."""
    ascii_rows = "".join(f"91150502MA{i:07d}X,unit-{i}\n" for i in range(_SNIFF_BYTES // 20))
    utf8 = "91150502MB0000001X,通辽示范单位\n".encode()
    gbk = "91150502MB0000002X,开鲁县农场\n".encode("gbk")
    body = utf8 + gbk if order == "utf8_gbk" else gbk + utf8
    p = tmp_path / "joined.csv"
    p.write_bytes(("credit_code,name\n" + ascii_rows).encode() + body)
    assert p.read_bytes()[:_SNIFF_BYTES].isascii()
    line = ascii_rows.count("\n") + 3  # header, the ASCII rows, then the first of the two
    with pytest.raises(IngestError) as e:
        read_frame(p)
    assert f"第 {line} 行（第 {line - 1} 条记录" in _refusal(e.value)


def test_utf8_then_gbk_after_the_first_mib_is_refused_by_the_library(region, tmp_path):
    """The first MiB is UTF-8 Chinese, so the file is read as UTF-8; Polars meets the GBK rows later: the
    library says which line, and that the file has two encodings (it raised Polars' ComputeError)."""
    units = pl.read_parquet(region["units"] / "*.parquet").select(pl.all().cast(pl.String))
    n = _SNIFF_BYTES // 100 + 50
    utf8 = (
        pl.concat([units] * (n // units.height + 1))
        .head(n)
        .with_columns(pl.lit("通辽示范单位有限责任公司").alias("name"))
    )
    gbk = units.head(3).with_columns(pl.lit("开鲁县农场").alias("name"))
    csv = tmp_path / "units.csv"
    csv.write_bytes(utf8.write_csv().encode("utf-8") + gbk.write_csv(include_header=False).encode("gbk"))
    assert detect_encoding(csv) == "utf-8"
    with pytest.raises(IngestError) as e:
        _screen(tmp_path / "out", {**region, "units": csv})
    msg = _refusal(e.value)
    line = n + 2
    assert (
        f"文件 {csv} 第 {line} 行（第 {line - 1} 条记录" in msg
        and "不是 UTF-8 编码，而此前已有 UTF-8 编码的中文" in msg
    )
    assert f"is not UTF-8 at line {line} (record {line - 1}" in msg and "invalid utf-8" not in msg


def test_a_file_no_encoding_reads_names_where_each_stops(tmp_path):
    p = tmp_path / "t.csv"
    p.write_bytes(b"a,b\n" + "1,甲\n".encode("gbk") + b"2,\xff\xff\n")
    with pytest.raises(IngestError) as e:
        read_frame(p)
    msg = _refusal(e.value)
    assert "不是 UTF-8、GBK 或 GB18030 编码的文本（按 UTF-8 第 2 行无法读取，按 GBK 第 3 行无法读取" in msg


def test_gbk_whose_first_characters_are_valid_utf8_reads_as_gbk(tmp_path):
    """说 in GBK (CB B5) is valid UTF-8 (U+02F5); what follows is not: no UTF-8 Chinese before it, so GBK."""
    p = tmp_path / "t.csv"
    names = ["说明单位", "通辽示范单位", "伟业农园"]
    p.write_bytes(_names_table(names).encode("gbk"))
    frame = read_frame(p)
    assert frame.encoding == "gbk" and frame.lf.collect().get_column("单位名称").to_list() == names


def test_real_gbk_text_is_never_taken_for_utf8(tmp_path):
    """GBK text valid as UTF-8 on a whole line with Chinese in it is practically impossible: a GBK file of the
    Chinese of the project's documents, cut into names of two to six characters, reads as GBK, whole."""
    import re

    docs = Path(__file__).resolve().parents[2] / "docs"
    texts = "".join(p.read_text(encoding="utf-8") for p in sorted(docs.glob("*.md")))
    runs = [r for r in re.findall("[\u4e00-\u9fff]+", texts) if all(_gbk(c) for c in r)]
    assert sum(map(len, runs)) > 10_000
    names = [r[i : i + k] for r in runs for k in range(2, 7) for i in range(0, max(1, len(r) - k + 1), k)]
    p = tmp_path / "t.csv"
    p.write_bytes(_names_table(names).encode("gbk"))
    assert detect_encoding(p) == "gbk"
    assert read_frame(p).lf.collect().get_column("单位名称").to_list() == names


def _gbk(c: str) -> bool:
    try:
        c.encode("gbk")
    except UnicodeEncodeError:
        return False
    return True


# --- XLSX: a blank row, merged and blank cells


def test_xlsx_blank_row_merged_and_blank_cells_are_quarantined_with_reasons(region, tmp_path):
    units = pl.read_parquet(region["units"] / "*.parquet").select(pl.all().cast(pl.String))
    col = {c: openpyxl.utils.get_column_letter(i + 1) for i, c in enumerate(units.columns)}
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "单位"
    ws.append(units.columns)  # Excel row 1
    for i, row in enumerate(units.iter_rows()):
        if i == 10:
            ws.append([])  # Excel row 12: a blank row in the middle
        ws.append(list(row))
    ws.merge_cells(
        f"{col['region_code']}3:{col['region_code']}4"
    )  # a required field: Excel rows 3–4
    ws.merge_cells(f"{col['is_dispatch_firm']}6:{col['is_dispatch_firm']}7")  # an optional one: rows 6–7
    ws[f"{col['credit_code']}20"] = (
        None  # a blank required cell: Excel row 20 (after the blank row)
    )
    xlsx = tmp_path / "units.xlsx"
    wb.save(xlsx)
    run = _screen(tmp_path / "out", {**region, "units": xlsx})
    rep = next(r for r in run.reports if r.table == "units")
    assert (rep.rows_in, rep.accepted, rep.quarantined) == (
        units.height,
        units.height - 3,
        3,
    )  # the blank row: none
    assert rep.reconciles and run.reconciles
    q = pl.read_parquet(tmp_path / "out" / "quarantine.parquet").filter(pl.col("source_file") == str(xlsx))
    got = {(r["source_row"], r["field"]): r for r in q.to_dicts()}
    # source_row is the Excel row (decisions §97)
    assert set(got) == {(4, "region_code"), (7, "is_dispatch_firm"), (20, "credit_code")}
    merged = got[(7, "is_dispatch_firm")]
    # before: the row was accepted, its 是否劳务派遣单位 read as not given (the merge meant the value above)
    assert (
        f"单元格 单位!{col['is_dispatch_firm']}7 在合并单元格" in merged["reason_zh"]
        and "只有首格" in merged["reason_zh"]
    )
    assert "merged cells" in merged["reason_en"]
    assert (
        f"单位!{col['region_code']}4 在合并单元格 {col['region_code']}3:{col['region_code']}4"
        in got[(4, "region_code")]["reason_zh"]
    )
    assert "必填字段为空" in got[(20, "credit_code")]["reason_zh"]
    results = pl.read_parquet(tmp_path / "out" / "results.parquet")
    bad_codes = (
        units.with_row_index("r", offset=1).filter(pl.col("r").is_in([3, 6])).get_column("credit_code")
    )
    assert not results.filter(pl.col("credit_code").is_in(bad_codes.to_list())).height  # not screened


# --- the command line: the same refusals, exit 2, no internal error


def test_the_command_line_refuses_a_registry_of_two_encodings(region, tmp_path):
    units = pl.read_parquet(region["units"] / "*.parquet").select(pl.all().cast(pl.String))
    last = units.tail(1).with_columns(pl.lit(EVEN[0]).alias("name"))
    csv = tmp_path / "units.csv"
    csv.write_bytes(
        units.head(units.height - 1).write_csv().encode("gbk") + last.write_csv(include_header=False).encode()
    )
    result = _cli({**region, "units": csv}, tmp_path / "out")
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    line = units.height + 1
    assert (
        f"文件 {csv} 第 {line} 行（第 {line - 1} 条记录" in out
        and "是 UTF-8 编码的中文，而此前的内容是 gbk 编码" in out
    )
    assert (
        out.index("是 UTF-8 编码的中文") < out.index("has UTF-8 Chinese text")
        and not (tmp_path / "out").exists()
    )


def test_evaluate_names_a_long_row_of_a_case_file(tmp_path):
    """`wengang evaluate` read the case file's rows with Polars and ended in an internal error (ComputeError)."""
    case = tmp_path / "case.csv"
    case.write_text("统一社会信用代码,单位名称\n91150502MA0000001X,通辽示范单位,多出的值\n", encoding="utf-8")
    result = runner.invoke(app, ["evaluate", str(case), "--date", "2025-08-01"])
    assert result.exit_code == 2, result.output
    out = " ".join(result.output.split())
    assert f"事实文件 {case} 的行与表头不符：第 2 行（第 1 条记录）字段数多于表头（3 个，表头 2 个）" in out
    assert "内部错误" not in out and "ComputeError" not in out

"""No traceback, ever (issue 11 item 6; issue 12 item 6): every command refuses bad input with exit code 2
and a Chinese message first, naming the file or option and what was expected.

The commands run in-process (``CliRunner`` on the root app, so the root group's handling is what the
operator gets). ``result.exception`` must be ``SystemExit``: an exception escaping a command would be
reported by the entry point's last-resort handler as an internal error (exit 1), so a test here can never
pass because of it. A curated list covers each class of bad input per command; hypothesis properties
throw arbitrary dates, numbers, names, bytes and JSON at the parsers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import string
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from wengang.cli import app
from wengang.inputs import YEAR_MAX, YEAR_MIN

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
GOOD_FACTS = str(ROOT / "examples" / "fanhuan" / "eligible_sme.json")
PREFIXES = ("错误 / error:", "✘")


def _cjk(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def first_line(output: str) -> str:
    return next((line.strip() for line in output.splitlines() if line.strip()), "")


def check_no_traceback(r, args) -> None:
    assert r.exception is None or isinstance(r.exception, SystemExit), (
        f"{args}: {type(r.exception).__name__}: {r.exception}"
    )
    assert "Traceback" not in r.output and "内部错误" not in r.output, r.output


def refused(args: list[str], expect: str | tuple[str, ...]) -> str:
    """Run ``wengang *args``: exit 2, a Chinese message first, containing every ``expect`` fragment."""
    r = runner.invoke(app, [str(a) for a in args])
    check_no_traceback(r, args)
    assert r.exit_code == 2, (args, r.exit_code, r.output)
    head = first_line(r.output)
    for p in PREFIXES:
        head = head.removeprefix(p)
    assert _cjk(head), f"the first line is not Chinese: {head!r}"
    flat = r.output.replace("\n", "")  # a console may wrap a long message
    for fragment in (expect,) if isinstance(expect, str) else expect:
        assert fragment in flat, (args, fragment, r.output)
    return r.output


# ------------------------------------------------------------------------------------------ fixtures


@dataclass
class World:
    root: Path
    f: dict[str, str]  # bad files by class, and a few good ones
    data: Path  # a tiny raw dataset (demo-data)
    db: str  # a ledger with decision 1 past its first review

    def __getitem__(self, key: str) -> str:
        return self.f[key]


def _decision_row(i: int) -> dict:
    return dict(
        unit_id=f"91150100MA{i:08d}", unit_name=f"呼和浩特测试企业{i}有限公司", region_code="150100",
        program="fanhuan", policy_doc="内人社发〔2025〕18号", clause="一", status="eligible", amount_fen=120_000 + i,
        reasons=["✔ 足额缴纳失业保险费12个月以上"], explanation="✔ 足额缴纳失业保险费12个月以上",
        readings={"layoff_rate": "anhui_2022"}, payment_channel="corporate_account", size_class="small", year=2025,
        claim_key="", account_no=f"62220000{i:08d}", contact="13800000000", payment_hold=False,
        payment_hold_reason=None,
    )


def _ok(*args: str) -> str:
    r = runner.invoke(app, list(args))
    assert r.exit_code == 0, (args, r.output)
    return r.output


@pytest.fixture(scope="module")
def w(tmp_path_factory) -> World:
    root = tmp_path_factory.mktemp("bad")
    f: dict[str, str] = {}

    def put(name: str, data: bytes | str) -> str:
        p = root / name
        p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        f[name] = str(p)
        return str(p)

    garbage = bytes(range(256)) * 8 + b"\xff\xfe\x00\x81"
    for ext in ("json", "csv", "parquet", "xlsx", "yaml", "txt"):
        put(f"empty.{ext}", b"")
        put(f"binary.{ext}", garbage)
    good = root / "good.parquet"
    pl.DataFrame({"credit_code": ["91150502MA0N1234XN"] * 50, "name": ["甲"] * 50}).write_parquet(good)
    put("truncated.parquet", good.read_bytes()[: good.stat().st_size // 2])
    put("list.json", "[1, 2, 3]")
    put("string.json", '"x"')
    put("null.json", "null")
    put("number.json", "42")
    put("wrong_types.json", json.dumps({"credit_code": 5, "months_fully_paid": "many", "insured_headcount": {"a": 1}}))
    put("utf16.json", '{"a": 1}'.encode("utf-16"))
    put("case_list.json", json.dumps({"_case": [1]}))
    put("case_types.json", json.dumps({"_case": {"program": "fanhuan", "region": [1], "date": "2025-08-01"}}))
    put("utf16.csv", "统一社会信用代码,单位名称\n91150502MA0N1234XN,甲\n".encode("utf-16"))
    # usability refusals from the blind acceptance run: each names the field and says what to write
    case = {"program": "fanhuan", "region": "150502", "date": "2025-08-01"}
    unit = {"credit_code": "91150502MA0N1234XN", "size_class": "small", "months_fully_paid": 24,
            "insured_headcount": 100, "layoffs_last_year": 0}
    put("case_bad_date.json", json.dumps({"_case": {**case, "date": "2025年13月1日"}, **unit}, ensure_ascii=False))
    put("fen_decimal_text.json", json.dumps({"_case": case, **unit, "paid_premium_last_year_fen": "10000.00"}))
    number = json.dumps({"_case": case, **unit, "paid_premium_last_year_fen": 1})
    put("fen_decimal_number.json", number.replace('"paid_premium_last_year_fen": 1', '"paid_premium_last_year_fen": 10000.00'))
    person = {"_case": {"program": "skill_subsidy", "region": "150500", "date": "2025-09-01"},
              "id_number": "152301199001010015", "application_date": "2025-08-01", "person_status": "employed_worker",
              "occupation_code": "6-31-01-03", "level": 5, "certificate_type": "skill_level",
              "certificate_issue_date": "2025-06-01"}
    put("nested_bad_date.json", json.dumps({**person, "training_subsidies": [
        {"occupation_code": "6-31-01-03", "paid_date": "2025/15/01"}]}))
    put("nested_typo.json", json.dumps({**person, "training_subsidies": [
        {"occupation_code": "6-31-01-03", "paid_dat": "2025-05-01"}]}))
    put("bad.yaml", "a: [1, 2\n")
    put("list.yaml", "- 1\n- 2\n")
    put("entries.yaml", "region: '150500'\nversion: v1\nvalues: [5, x]\n")
    put("facts_no_name.parquet", b"")
    pl.DataFrame({"credit_code": ["91150502MA0N1234XN"], "region_code": ["150502"]}).write_parquet(root / "facts_no_name.parquet")
    (root / "a_folder").mkdir()
    f["folder"] = str(root / "a_folder")
    f["missing"] = str(root / "missing.json")
    f["under_a_file"] = str(root / "empty.json" / "x.json")
    f["long_name"] = str(root / ("长" * 100 + ".json"))
    put("records.json", json.dumps([{"unit_name": "通辽市某某有限公司", "credit_code": "91150502MA0N1234XN",
                                     "amount_fen": 600000, "review_passed": True}], ensure_ascii=False))
    put("agency.json", json.dumps({"name": "通辽市社会保险事业服务中心", "review_body": "通辽市人力资源和社会保障局",
                                   "court": "通辽市科尔沁区人民法院", "phone": "0475-8123456"}, ensure_ascii=False))
    put("batch.json", json.dumps({"batch_id": "B1", "date": "2025-09-01", "payer_account": "15001234567890123456",
                                  "payments": [{"payee_name": "张三", "account": "6217001234567890",
                                                "bank_code": "105191000011", "amount_fen": 198000, "reference": "UI-1"}]},
                                 ensure_ascii=False))

    batch = json.loads(Path(f["batch.json"]).read_text("utf-8"))
    put("batch_bad_date.json", json.dumps({**batch, "date": "2025-13-01"}))
    put("batch_no_date.json", json.dumps({k: v for k, v in batch.items() if k != "date"}))
    put("decision.json", _ok("evaluate", GOOD_FACTS, "--json"))

    data = root / "data"
    _ok("demo-data", "--out", str(data), "--units", "30", "--year", "2025")
    lines = pl.read_parquet(data / "units").write_csv().splitlines()  # a good header, then one row too wide
    put("ragged.csv", "\n".join([*lines[:3], ",".join("x" * 40), *lines[3:]]) + "\n")

    screened = root / "screened"  # a screening output, then two damaged copies of it
    _ok("screen", "--out", str(screened), "--date", "2025-08-01", "--units", str(data / "units"), "--contributions",
        str(data / "contributions"), "--no-excel")
    shutil.copytree(screened, root / "features_damaged")
    (root / "features_damaged" / "features.parquet").write_bytes(garbage)
    shutil.copytree(screened, root / "results_edited")
    edited = pl.read_parquet(screened / "results.parquet").with_columns(pl.lit("x").alias("amount_fen"))
    edited.write_parquet(root / "results_edited" / "results.parquet")
    f.update(features_damaged=str(root / "features_damaged"), results_edited=str(root / "results_edited"))

    db = f"sqlite:///{root}/ledger.db"
    rows = root / "decisions.parquet"
    pl.DataFrame([_decision_row(1)]).write_parquet(rows)
    from wengang.casework import Ledger
    from wengang.casework.operators import add_operator

    led = Ledger.open(db)  # the operators the steps below act as, each with the role its step needs
    add_operator(led, "admin", roles=["管理员"], bootstrap=True)
    for login, role in (("s", "经办"), ("cw", "经办"), ("unit", "经办"), ("alice", "经办"), ("bob", "复核")):
        add_operator(led, login, roles=[role], actor="admin")
    led.close()
    _ok("case", "import", str(rows), "--program", "fanhuan", "--year", "2025", "--region", "150000", "--db", db, "-u", "s")
    _ok("case", "release", "1", "--reason", "已核实原始数据与决定一致", "--db", db, "-u", "bob")  # a table's amounts: held until checked
    _ok("case", "notify", "fanhuan", "2025", "--deadline", "2099-12-31", "--db", db, "-u", "cw")
    _ok("case", "confirm", "1", "--db", db, "-u", "unit")
    _ok("case", "review", "1", "--stage", "1", "--approve", "--reason", "初审通过", "--db", db, "-u", "alice")
    return World(root, f, data, db)


# ------------------------------------------------------------------------------------ curated cases
# (args with {placeholders} for the world's files, fragments the message must contain)

EV = ["--program", "fanhuan", "--region", "150500", "--date", "2025-08-01"]
FILE_CLASSES = {  # a JSON input of each bad kind → what the refusal says
    "empty.json": "不是有效的 JSON（第 1 行第 1 列",
    "binary.json": "不是 UTF-8 编码的文本",
    "utf16.json": "不是 UTF-8 编码的文本",
    "binary.parquet": "不是 UTF-8 编码的文本",
    "truncated.parquet": "不是 UTF-8 编码的文本",
    "binary.xlsx": "不是 UTF-8 编码的文本",
    "missing": "找不到",
    "folder": "是一个目录，应为文件",
    "under_a_file": "的路径中有一段不是目录",
    "long_name": "的文件名过长",
}
CASES: list[tuple[str, list[str], str | tuple[str, ...]]] = []
for cls, said in FILE_CLASSES.items():
    ph = "{" + cls + "}"
    CASES += [
        # evaluate reads a .xlsx as one row of an export (ingest/record.py), not as JSON
        (f"evaluate {cls}", ["evaluate", ph, *EV],
         ("事实文件", "不是可读取的 Excel 表格" if cls == "binary.xlsx" else said)),
        (f"self-apply {cls}", ["case", "self-apply", ph, "--db", "{db}", "-u", "cw"], ("申请文件", said)),
        (f"dispatch-apply {cls}", ["case", "dispatch-apply", ph, "--db", "{db}", "-u", "cw"], said),
        (f"doc publicity {cls}", ["doc", "publicity", ph, "--agency", "A", "--program", "P", "--year", "2025",
                                  "--start", "2025-06-03", "--channel", "c", "--phone", "1", "--basis", "b"],
         ("公示记录文件", said)),
        (f"doc letters {cls}", ["doc", "letters", ph, "--agency", "{agency.json}", "--out", "{root}/l.pdf"],
         ("决定文件", said)),
        (f"doc letters agency {cls}", ["doc", "letters", "{records.json}", "--agency", ph, "--out",
                                       "{root}/l.pdf"], ("经办机构信息文件", said)),
        (f"doc bank {cls}", ["doc", "bank", ph, "--out", "{root}/b.txt"], ("批次文件", said)),
    ]
CASES += [
    # JSON of the wrong shape or types
    ("evaluate list", ["evaluate", "{list.json}", *EV], "应为一个 JSON 对象"),
    ("evaluate string", ["evaluate", "{string.json}", *EV], "应为一个 JSON 对象 {…}，而不是字符串"),
    ("evaluate null", ["evaluate", "{null.json}", *EV], "而不是null"),
    ("evaluate wrong types", ["evaluate", "{wrong_types.json}", *EV], "输入有误"),
    ("evaluate _case a list", ["evaluate", "{case_list.json}"], "_case 应为一个 JSON 对象"),
    ("evaluate _case of wrong types", ["evaluate", "{case_types.json}"], "_case的“region”"),
    ("evaluate _case bad date", ["evaluate", "{case_bad_date.json}"], ("_case.date", "2025年13月1日", "不是有效日期")),
    ("evaluate 元 text in a fen field", ["evaluate", "{fen_decimal_text.json}"],
     ("paid_premium_last_year_fen", "以分为单位", "10000.00元", "paid_premium_last_year_yuan")),
    ("evaluate 元 number in a fen field", ["evaluate", "{fen_decimal_number.json}"],
     ("paid_premium_last_year_fen", "不能带小数点")),
    ("evaluate nested bad date", ["evaluate", "{nested_bad_date.json}"],
     ("training_subsidies.0.received_date", "paid_date", "2025/15/01")),
    ("evaluate nested unknown field", ["evaluate", "{nested_typo.json}"], ("training_subsidies.0.paid_dat", "paid_date")),
    ("self-apply list", ["case", "self-apply", "{list.json}", "--db", "{db}", "-u", "cw"], "申请文件应为一个 JSON 对象"),
    ("self-apply wrong types", ["case", "self-apply", "{wrong_types.json}", "--db", "{db}", "-u", "cw"], "多余字段"),
    ("dispatch-apply list", ["case", "dispatch-apply", "{list.json}", "--db", "{db}", "-u", "cw"], "派遣单位申请文件应为"),
    ("publicity object", ["doc", "publicity", "{agency.json}", "--agency", "A", "--program", "P", "--year", "2025",
                          "--start", "2025-06-03", "--channel", "c", "--phone", "1", "--basis", "b"], "应为一个 JSON 列表"),
    ("publicity list of numbers", ["doc", "publicity", "{list.json}", "--agency", "A", "--program", "P", "--year",
                                   "2025", "--start", "2025-06-03", "--channel", "c", "--phone", "1", "--basis", "b"],
     "第1条记录应为 JSON 对象"),
    ("letters list of numbers", ["doc", "letters", "{list.json}", "--agency", "{agency.json}", "--out", "{root}/l.pdf"],
     "都应为 JSON 对象"),
    ("letters agency list", ["doc", "letters", "{records.json}", "--agency", "{list.json}", "--out", "{root}/l.pdf"],
     "应为一个 JSON 对象"),
    ("bank payments not a list", ["doc", "bank", "{agency.json}", "--out", "{root}/b.txt"], "payments应为一个 JSON 列表"),
    ("bank-return binary", ["doc", "bank-return", "{binary.txt}"], "应以CRLF换行结束"),
    ("bank-return folder", ["doc", "bank-return", "{folder}"], "银行文件"),
    ("bank-return missing", ["doc", "bank-return", "{missing}"], "找不到银行文件"),
    # screening inputs
    ("screen units empty parquet", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--units", "{empty.parquet}",
                                    "--contributions", "{data}/contributions"], "不是可读取的 Parquet 表格"),
    ("screen units binary parquet", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--units",
                                     "{binary.parquet}", "--contributions", "{data}/contributions"], "不是可读取的 Parquet"),
    ("screen units truncated parquet", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--units",
                                        "{truncated.parquet}", "--contributions", "{data}/contributions"],
     "不是可读取的 Parquet"),
    ("screen units garbage xlsx", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--units", "{binary.xlsx}",
                                   "--contributions", "{data}/contributions"], "不是可读取的 Excel 表格"),
    ("screen units empty csv", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--units", "{empty.csv}",
                                "--contributions", "{data}/contributions"], "不是可读取的 CSV 表格"),
    ("screen units binary csv", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--units", "{binary.csv}",
                                 "--contributions", "{data}/contributions"], "不是 UTF-8、GBK 或 GB18030"),
    ("screen units utf-16 csv", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--units", "{utf16.csv}",
                                 "--contributions", "{data}/contributions"], "utf16.csv"),
    ("screen units ragged csv", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--units", "{ragged.csv}",
                                 "--contributions", "{data}/contributions"], ("字段数多于表头", "ragged.csv")),
    ("screen units json", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--units", "{list.json}",
                           "--contributions", "{data}/contributions"], "不支持的文件类型 .json"),
    ("screen units missing", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--units", "{missing}",
                              "--contributions", "{data}/contributions"], "找不到文件"),
    ("screen units empty folder", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--units", "{folder}",
                                   "--contributions", "{data}/contributions"], "不是可读取的 Parquet 表格"),
    ("screen units long name", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--units", "{long_name}",
                                "--contributions", "{data}/contributions"], ("数据表 units", "的文件名过长")),
    ("screen units swapped", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--units", "{data}/contributions",
                              "--contributions", "{data}/units"], "缺少必填列"),
    ("screen facts binary parquet", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--facts",
                                     "{binary.parquet}"], "事实表"),
    ("screen facts truncated", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--facts", "{truncated.parquet}"],
     ("事实表", "不是可读取的 Parquet 表格")),
    ("screen facts garbage xlsx", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--facts", "{binary.xlsx}"],
     ("事实表", "不是可读取的 Excel 表格")),
    ("screen facts empty csv", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--facts", "{empty.csv}"],
     "事实表"),
    ("screen facts folder", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--facts", "{folder}"], "事实表"),
    ("screen facts long name", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--facts", "{long_name}"],
     "的文件名过长"),
    ("screen facts without names", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--facts",
                                    "{facts_no_name.parquet}"], ("事实表", "缺少必填列", "（name）")),
    ("screen persons garbage", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--program", "skill_subsidy",
                                "--persons", "{binary.parquet}", "--certificates", "{data}/certificates.parquet"],
     "不是可读取的 Parquet"),
    ("screen out is a file", ["screen", "--out", "{empty.json}", "--date", "2025-08-01", "--units", "{data}/units",
                              "--contributions", "{data}/contributions"], "输出目录 --out"),
    ("screen out under a file", ["screen", "--out", "{empty.json}/out", "--date", "2025-08-01", "--units",
                                 "{data}/units", "--contributions", "{data}/contributions"], "上级目录"),
    ("screen unreachable database", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--units",
                                     "nosuch://x", "--contributions", "{data}/contributions"], "无法连接数据库"),
    # option values
    ("evaluate bad date", ["evaluate", GOOD_FACTS, "--date", "2024-13-01"], ("--date", "2024-13-01", "YYYY-MM-DD")),
    ("evaluate 30 February", ["evaluate", GOOD_FACTS, "--date", "2024-02-30"], "不是有效日期"),
    ("evaluate ISO week date", ["evaluate", GOOD_FACTS, "--date", "2025-W31-5"], ("--date", "不是有效日期", "2025年8月1日")),
    ("evaluate slash date of 30 February", ["evaluate", GOOD_FACTS, "--date", "2024/2/30"], "不是有效日期"),
    ("evaluate year 1900", ["evaluate", GOOD_FACTS, "--date", "1900-01-01"], "超出合理范围（2000–2100）"),
    ("evaluate year 2999", ["evaluate", GOOD_FACTS, "--date", "2999-12-31"], "超出合理范围"),
    ("evaluate empty date", ["evaluate", GOOD_FACTS, "--date", ""], "选项 --date 的取值为空"),
    ("evaluate blank program", ["evaluate", GOOD_FACTS, "--program", "  "], "选项 --program 的取值为空"),
    ("evaluate unknown program", ["evaluate", GOOD_FACTS, "--program", "fanhaun"], ("未知的项目“fanhaun”", "是否为：fanhuan")),
    ("evaluate unknown region", ["evaluate", GOOD_FACTS, "--region", "通辽x"], ("未知地区", "通辽市（150500）")),
    ("evaluate unknown reading", ["evaluate", GOOD_FACTS, "--reading", "fanhuan.size_class_where_silen=given"],
     "未知的解释开关"),
    ("evaluate reading value", ["evaluate", GOOD_FACTS, "--reading", "fanhuan.size_class_where_silent=zzz"], "没有取值“zzz”"),
    ("evaluate unknown setting", ["evaluate", GOOD_FACTS, "--setting", "local_avg_monthly_benfit=1200元"],
     ("未知的地区设置或政策参数", "local_avg_monthly_benefit")),
    ("evaluate setting without unit", ["evaluate", GOOD_FACTS, "--setting", "local_avg_monthly_benefit=1200"], "须写明单位"),
    ("evaluate region data list", ["evaluate", GOOD_FACTS, "--region-data", "{list.yaml}"], "应为含 region、version、values"),
    ("evaluate region data entries", ["evaluate", GOOD_FACTS, "--region-data", "{entries.yaml}"], "values[0]"),
    ("evaluate region data bad yaml", ["evaluate", GOOD_FACTS, "--region-data", "{bad.yaml}"], "不是有效的 YAML"),
    ("evaluate region data folder", ["evaluate", GOOD_FACTS, "--region-data", "{folder}"], "地区数据文件"),
    ("evaluate workdays folder", ["evaluate", GOOD_FACTS, "--workday-overrides", "{folder}"], "工作日覆盖文件"),
    ("evaluate NUL in path", ["evaluate", "/tmp/a\x00b", *EV], "空字符"),
    ("screen bad date", ["screen", "--out", "{root}/s", "--date", "2025-02-29", "--units", "{data}/units",
                         "--contributions", "{data}/contributions"], "不是有效日期"),
    ("screen unknown program", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--program", "skil_subsidy",
                                "--units", "{data}/units", "--contributions", "{data}/contributions"],
     ("未知的项目", "skill_subsidy")),
    ("screen year 0", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--year", "0", "--units", "{data}/units",
                       "--contributions", "{data}/contributions"], "--year 的取值无效，应为 2000 到 2100"),
    ("screen year 20255", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--year", "20255", "--units",
                           "{data}/units", "--contributions", "{data}/contributions"], "2000 到 2100"),
    ("screen partitions 0", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--partitions", "0", "--units",
                             "{data}/units", "--contributions", "{data}/contributions"], "--partitions"),
    ("screen partitions huge", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--partitions", "100000000",
                                "--units", "{data}/units", "--contributions", "{data}/contributions"], "1 到 4096"),
    ("screen memory limit too small", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--memory-limit", "0.1",
                                       "--units", "{data}/units", "--contributions", "{data}/contributions"],
     "--memory-limit 的取值无效，应为 0.5 到 4096 之间的数 / "),
    ("screen empty region", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--region", "", "--units",
                             "{data}/units", "--contributions", "{data}/contributions"], "--region 的取值为空"),
    ("screen unknown region", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--region", "999999", "--units",
                               "{data}/units", "--contributions", "{data}/contributions"], "未知地区"),
    ("screen unknown encoding", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--encoding", "latin-1",
                                 "--units", "{data}/registry_sample.gbk.csv", "--contributions", "{data}/contributions"],
     "不支持的编码"),
    ("screen people tables for a unit program", ["screen", "--out", "{root}/s", "--date", "2025-08-01", "--persons",
                                                 "{data}/persons.parquet"], "人员数据表只用于"),
    ("demo-data units 0", ["demo-data", "--out", "{root}/d", "--units", "0"], "--units"),
    ("demo-data units negative", ["demo-data", "--out", "{root}/d", "--units=-5"], "--units"),
    ("demo-data year 1800", ["demo-data", "--out", "{root}/d", "--year", "1800"], "2000 到 2100"),
    ("demo units 0", ["demo", "--out", "{root}/demo", "--units", "0"], "--units"),
    ("demo-data out is a file", ["demo-data", "--out", "{empty.json}", "--units", "5"], "是一个文件，应为目录"),
    ("demo out is a file", ["demo", "--out", "{empty.json}", "--units", "5"], "已存在，且不是目录"),
    ("workdays month 13", ["workdays", "due", "2024-13-01", "10"], "不是有效日期"),
    ("workdays year 9999", ["workdays", "due", "9999-12-31", "10"], "超出合理范围"),
    ("workdays days huge", ["workdays", "due", "2025-01-01", "99999999999"], "DAYS"),
    ("workdays negative days", ["workdays", "due", "2025-01-01", "-1"], "没有选项 -1"),
    ("workdays between bad", ["workdays", "between", "2025-01-01", "x"], "不是有效日期"),
    ("workdays check binary", ["workdays", "check", "{binary.yaml}"], "不是 UTF-8"),
    ("workdays check folder", ["workdays", "check", "{folder}"], "是一个目录"),
    ("workdays check list", ["workdays", "check", "{list.yaml}"], "应为含 years 和 days 的映射"),
    ("policy check empty folder", ["policy", "check", "--path", "{folder}"], "没有政策文件"),
    ("policy check missing", ["policy", "check", "--path", "{missing}"], "目录不存在"),
    ("policy check long name", ["policy", "check", "--path", "{long_name}"], "的文件名过长"),
    ("policy timeline unknown parameter", ["policy", "timeline", "refund_rate_sm"], ("未知的政策参数", "refund_rate_sme")),
    ("policy timeline unknown program", ["policy", "timeline", "refund_rate_sme", "--program", "fanhaun"], "未知的项目"),
    ("policy timeline unknown region", ["policy", "timeline", "refund_rate_sme", "--region", "999999"], "未知地区"),
    ("policy show unknown", ["policy", "show", "nosuch"], "未知的政策文件"),
    ("policy coverage texts missing", ["policy", "coverage", "--texts", "{missing}"], "政策原文目录"),
    # the ledger's options
    ("review stage 0", ["case", "review", "1", "--stage", "0", "--approve", "--reason", "x", "--db", "{db}", "-u", "bob"],
     "--stage 的取值无效，应为 1 到 2"),
    ("review stage 3", ["case", "review", "1", "--stage", "3", "--approve", "--reason", "x", "--db", "{db}", "-u", "bob"],
     "1 到 2"),
    ("review stage text", ["case", "review", "1", "--stage", "two", "--approve", "--reason", "x", "--db", "{db}", "-u",
                           "bob"], "--stage"),
    ("review blank user", ["case", "review", "1", "--stage", "2", "--approve", "--reason", "x", "--db", "{db}", "-u",
                           "   "], "-u 的取值为空"),
    ("review empty reason", ["case", "review", "1", "--stage", "2", "--approve", "--reason", "", "--db", "{db}", "-u",
                             "bob"], "--reason 的取值为空"),
    ("review missing stage", ["case", "review", "1", "--approve", "--reason", "x", "--db", "{db}", "-u", "bob"],
     "缺少选项 --stage"),
    ("confirm id 0", ["case", "confirm", "0", "--db", "{db}", "-u", "cw"], "DECISION_ID"),
    ("show id beyond BIGINT", ["case", "show", "99999999999999999999999", "--db", "{db}"], "过大"),
    ("show negative id", ["case", "show", "-1", "--db", "{db}"], "没有选项 -1"),
    ("show unknown id", ["case", "show", "999", "--db", "{db}", "-u", "cw"], "找不到决定 999"),
    ("confirm negative amount", ["case", "confirm", "1", "--amount-fen=-5", "--db", "{db}", "-u", "cw"], "--amount-fen"),
    ("resize amount beyond BIGINT", ["case", "resize", "1", "micro", "99999999999999999999", "--reason", "x", "--db",
                                     "{db}", "-u", "cw"], "过大"),
    ("recovery amount beyond BIGINT", ["case", "recovery-received", "1", "99999999999999999999", "--db", "{db}", "-u",
                                       "cw"], "过大"),
    ("notify month 13", ["case", "notify", "fanhuan", "2025", "--deadline", "2024-13-01", "--db", "{db}", "-u", "cw"],
     "不是有效日期"),
    ("notify unknown program", ["case", "notify", "fanhaun", "2025", "--db", "{db}", "-u", "cw"], ("未知的项目", "fanhuan")),
    ("notify year 99999", ["case", "notify", "fanhuan", "99999", "--db", "{db}", "-u", "cw"], "2000 到 2100"),
    ("notify unknown channel", ["case", "notify", "fanhuan", "2025", "--channel", "pigeon", "--db", "{db}", "-u", "cw"],
     "未知的告知渠道"),
    ("pay bad today", ["case", "pay", "b1", "fanhuan", "2025", "--today", "yesterday", "--db", "{db}", "-u", "cw"],
     "不是有效日期"),
    ("pay year 1900", ["case", "pay", "b1", "fanhuan", "1900", "--db", "{db}", "-u", "cw"], "2000 到 2100"),
    ("remind bad today", ["case", "remind", "fanhuan", "2025", "--today", "2025-02-30", "--db", "{db}", "-u", "cw"],
     "不是有效日期"),
    ("waive bad today", ["case", "waive", "fanhuan", "2025", "--today", "x", "--db", "{db}", "-u", "cw"], "不是有效日期"),
    ("publicize bad start", ["case", "publicize", "g", "fanhuan", "2025", "--starts", "x", "--db", "{db}", "-u", "cw"],
     "公示开始日期 --starts"),
    ("publicize days huge", ["case", "publicize", "g", "fanhuan", "2025", "--starts", "2025-10-01", "--days",
                             "999999999", "--db", "{db}", "-u", "cw"], "1 到 365"),
    ("balance unknown program", ["case", "balance", "--program", "nosuch", "--db", "{db}", "-u", "cw"], "未知的项目"),
    ("import policy without =", ["case", "import", "{root}/decisions.parquet", "--program", "fanhuan", "--year", "2025",
                                 "--region", "150000", "--policy", "noeq", "--db", "{db}", "-u", "cw"], "文号=版本"),
    ("import binary", ["case", "import", "{binary.parquet}", "--db", "{db}", "-u", "cw"], "不是可读取的 Parquet 文件"),
    ("import folder", ["case", "import", "{folder}", "--db", "{db}", "-u", "cw"], "不是 wengang screen 的输出目录"),
    ("import damaged features", ["case", "import", "{features_damaged}", "--db", "{db}", "-u", "cw"],
     "中的筛查结果无法读取"),
    ("import edited results", ["case", "import", "{results_edited}", "--db", "{db}", "-u", "cw"],
     ("列的类型不符", "amount_fen")),
    ("send gateway not a URL", ["case", "send", "--gateway", "notaurl", "--db", "{db}", "-u", "cw"], "短信网关"),
    ("send outbox is a folder", ["case", "send", "--out", "{folder}", "--db", "{db}", "-u", "cw"], "待发消息文件 --out"),
    ("send outbox of garbage", ["case", "send", "--out", "{binary.txt}", "--db", "{db}", "-u", "cw"], "不是本系统写出的文件"),
    ("send outbox of other JSON", ["case", "send", "--out", "{list.json}", "--db", "{db}", "-u", "cw"], "不是本系统写出的文件"),
    ("db unknown driver", ["case", "show", "1", "--db", "nosuch://x", "-u", "cw"], "无法打开台账数据库"),
    ("db not a database", ["case", "show", "1", "--db", "sqlite:///{binary.json}", "-u", "cw"], "无法打开台账数据库"),
    ("db server down", ["case", "show", "1", "--db", "postgresql+psycopg://nobody@127.0.0.1:1/x", "-u", "cw"], "无法打开台账数据库"),
    ("verify a missing ledger", ["audit", "verify", "--db", "sqlite:///{root}/typo.db", "-u", "cw"], "台账数据库文件"),
    ("doc bad start", ["doc", "publicity", "{records.json}", "--agency", "A", "--program", "P", "--year", "2025",
                       "--start", "2025-06-31", "--channel", "c", "--phone", "1", "--basis", "b"], "--start"),
    ("doc year negative", ["doc", "publicity", "{records.json}", "--agency", "A", "--program", "P", "--year=-1",
                           "--start", "2025-06-03", "--channel", "c", "--phone", "1", "--basis", "b"], "2000 到 2100"),
    ("doc days 0", ["doc", "publicity", "{records.json}", "--agency", "A", "--program", "P", "--year", "2025",
                    "--start", "2025-06-03", "--days", "0", "--channel", "c", "--phone", "1", "--basis", "b"], "--days"),
    ("doc xlsx is a folder", ["doc", "publicity", "{records.json}", "--agency", "A", "--program", "P", "--year", "2025",
                              "--start", "2025-06-03", "--channel", "c", "--phone", "1", "--basis", "b", "--xlsx",
                              "{folder}"], "是一个目录，应为文件路径"),
    ("doc pdf under a file", ["doc", "publicity", "{records.json}", "--agency", "A", "--program", "P", "--year", "2025",
                              "--start", "2025-06-03", "--channel", "c", "--phone", "1", "--basis", "b", "--pdf",
                              "{empty.json}/p.pdf"], "上级目录"),
    ("letters per-case is a file", ["doc", "letters", "{decision.json}", "--agency", "{agency.json}", "--out",
                                    "{root}/l.pdf", "--per-case", "{empty.json}"], ("--per-case", "已存在，且不是目录")),
    ("letters bad issued", ["doc", "letters", "{decision.json}", "--agency", "{agency.json}", "--out", "{root}/l.pdf",
                            "--issued", "2025-13-01"], "--issued"),
    ("bank bad date", ["doc", "bank", "{batch_bad_date.json}", "--out", "{root}/b.txt"], "批次日期 date"),
    ("bank no date", ["doc", "bank", "{batch_no_date.json}", "--out", "{root}/b.txt"], "批次日期 date"),
    ("rmb text", ["doc", "rmb", "abc"], "金额"),
    ("rmb negative", ["doc", "rmb", "-5"], "没有选项 -5"),
    # the command line itself
    ("unknown command", ["evalute", GOOD_FACTS], "没有这个命令"),
    ("unknown option", ["evaluate", GOOD_FACTS, "--progam", "fanhuan"], "没有选项 --progam"),
    ("missing argument", ["evaluate"], "缺少参数"),
    ("extra argument", ["programs", "extra"], "多余的参数"),
]


@pytest.mark.parametrize("name,args,expect", CASES, ids=[c[0] for c in CASES])
def test_refused_with_exit_2_and_a_chinese_message(w, name, args, expect):
    fields = {**w.f, "root": str(w.root), "data": str(w.data), "db": w.db}
    refused([re.sub(r"\{([^{}]+)\}", lambda m: fields[m.group(1)], a) for a in args], expect)


def test_stage_0_or_3_approves_nothing(w):
    """The testers' silent approval: --stage 3 used to run the second review (anything but 1 did)."""
    before = _ok("case", "show", "1", "--db", w.db, "-u", "cw")
    for stage in ("0", "3", "-0", "99"):
        r = runner.invoke(app, ["case", "review", "1", "--stage", stage, "--approve", "--reason", "x", "--db", w.db,
                                "-u", "bob"])
        assert r.exit_code == 2, r.output
    assert _ok("case", "show", "1", "--db", w.db, "-u", "cw") == before


def test_read_only_commands_do_not_create_a_ledger(w):
    refused(["case", "balance", "--db", f"sqlite:///{w.root}/nothere.db", "-u", "cw"], "不存在")
    assert not (w.root / "nothere.db").exists()


# ------------------------------------------------------------------------------------------ properties


def _valid_day(text: str) -> bool:
    parts = text.strip().split("-")
    if len(parts) != 3 or [len(p) for p in parts] != [4, 2, 2] or not all(p.isascii() and p.isdigit() for p in parts):
        return False
    try:
        d = date(*map(int, parts))
    except ValueError:
        return False
    return YEAR_MIN <= d.year <= YEAR_MAX


DATE_TEXT = st.one_of(
    st.text(max_size=14),
    st.builds(lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}", st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32)),
)


@settings(max_examples=60)
@given(DATE_TEXT)
def test_any_date_text_is_a_date_or_a_clear_refusal(text):
    args = ["evaluate", GOOD_FACTS, "--date", text, "--json"]
    r = runner.invoke(app, args)
    check_no_traceback(r, args)
    if _valid_day(text):  # a real day: a decision (no policy in force is 无法判定, exit 5)
        assert r.exit_code in (0, 3, 4, 5), r.output
        assert json.loads(r.output)["date"] == text.strip()
    else:
        assert r.exit_code == 2 and _cjk(first_line(r.output)), r.output


@settings(max_examples=30)
@given(st.integers(-(10**30), 10**30))
def test_stages_other_than_1_and_2_are_refused(w, stage):
    if stage in (1, 2):
        return  # valid: the ledger decides (and would change the shared ledger)
    args = ["case", "review", "1", "--stage", str(stage), "--reject", "--reason", "x", "--db", w.db, "-u", "bob"]
    r = runner.invoke(app, args)
    check_no_traceback(r, args)
    assert r.exit_code == 2 and ("1 到 2" in r.output or "没有选项" in r.output), r.output


@settings(max_examples=25)
@given(st.integers(-(10**6), 10**6))
def test_years_outside_the_sane_range_are_refused(w, year):
    args = ["case", "remind", "fanhuan", str(year), "--today", "2025-10-01", "--db", w.db, "-u", "cw"]
    r = runner.invoke(app, args)
    check_no_traceback(r, args)
    assert r.exit_code == (0 if YEAR_MIN <= year <= YEAR_MAX else 2), r.output


PROGRAM_NAME = st.text(alphabet=string.ascii_lowercase + "_", min_size=1, max_size=20)


@settings(max_examples=40)
@given(PROGRAM_NAME)
def test_an_unknown_program_is_refused_with_the_nearest_names(name):
    from wengang.policies.required import PROGRAM_LABELS

    args = ["evaluate", GOOD_FACTS, "--program", name, "--json"]
    r = runner.invoke(app, args)
    check_no_traceback(r, args)
    if name in PROGRAM_LABELS:
        assert r.exit_code != 2 or "未知的项目" not in r.output
        return
    assert r.exit_code == 2 and f"未知的项目“{name}”" in r.output, r.output
    typo = next((p for p in PROGRAM_LABELS if len(p) > 6 and name == p[:-1]), None)
    if typo:
        assert "是否为" in r.output and typo in r.output


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
FIELDS = ["_case", "credit_code", "name", "status", "amount_fen", "unit_name", "review_passed", "payments", "date", "batch_id",
          "decision", "allocations", "program", "subject_id", "checks", "reasons", "outputs", "policy", "size_class"]
SHAPED = st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=6)


def _json_commands(path: str, w: World) -> list[list[str]]:
    return [
        ["evaluate", path, *EV],
        ["case", "self-apply", path, "--db", w.db, "-u", "unit"],
        ["case", "dispatch-apply", path, "--db", w.db, "-u", "unit"],
        ["doc", "publicity", path, "--agency", "A", "--program", "P", "--year", "2025", "--start", "2025-06-03",
         "--channel", "c", "--phone", "1", "--basis", "b"],
        ["doc", "letters", path, "--agency", w["agency.json"], "--out", str(w.root / "h.pdf")],
        ["doc", "bank", path, "--out", str(w.root / "h.txt")],
    ]


@settings(max_examples=20)
@given(st.one_of(JSON, SHAPED, st.lists(SHAPED, max_size=3)))
def test_json_of_any_shape_never_crashes(w, value):
    path = w.root / "hyp.json"
    path.write_text(json.dumps(value, ensure_ascii=False), "utf-8")
    for args in _json_commands(str(path), w):
        r = runner.invoke(app, args)
        check_no_traceback(r, args)
        assert r.exit_code != 1, r.output
        if r.exit_code == 2:
            assert _cjk(first_line(r.output)), r.output


@settings(max_examples=15)
@given(st.binary(max_size=64))
def test_bytes_of_any_kind_never_crash(w, data):
    for name, args in {
        "hyp.json": ["evaluate", "{p}", *EV],
        "hyp.yaml": ["workdays", "check", "{p}"],
        "hyp.csv": ["workdays", "check", "{p}"],
        "hyp.txt": ["doc", "bank-return", "{p}"],
        "hyp.parquet": ["screen", "--out", str(w.root / "hs"), "--date", "2025-08-01", "--facts", "{p}"],
    }.items():
        path = w.root / name
        path.write_bytes(data)
        argv = [a.replace("{p}", str(path)) for a in args]
        r = runner.invoke(app, argv)
        check_no_traceback(r, argv)
        assert r.exit_code in (0, 2, 3, 4, 5), r.output
        if r.exit_code == 2:
            assert _cjk(first_line(r.output)), r.output


# ------------------------------------------------------------------------------------- atomic outputs


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _leftovers(*folders: Path) -> list[str]:
    return [p.name for f in folders for p in f.iterdir() if ".tmp-" in p.name]


def test_a_failing_rerun_leaves_the_previous_outputs_intact(w, tmp_path):
    out = tmp_path / "out"
    good = ["screen", "--out", str(out), "--date", "2025-08-01", "--units", f"{w.data}/units",
            "--contributions", f"{w.data}/contributions", "--json"]
    r = runner.invoke(app, good)
    assert r.exit_code == 0, r.output
    assert str(out / "results.parquet") in json.loads(r.output)["summary"]["files"].values()
    before = _snapshot(out)
    assert {"results.parquet", "features.parquet", "results.xlsx", "publicity.xlsx"} <= set(before)
    for bad in (w["binary.parquet"], w["ragged.csv"]):  # refused at once; refused half-way through the run
        refused(["screen", "--out", str(out), "--date", "2025-08-01", "--units", bad,
                 "--contributions", f"{w.data}/contributions"], "错误")
        assert _snapshot(out) == before
    assert not _leftovers(out, tmp_path)


def test_a_rerun_replaces_the_whole_run(w, tmp_path):
    out = tmp_path / "out"
    args = ["screen", "--out", str(out), "--date", "2025-08-01", "--units", f"{w.data}/units",
            "--contributions", f"{w.data}/contributions"]
    _ok(*args)
    (out / "notes.txt").write_text("mine", "utf-8")  # not the run's: kept
    _ok(*args, "--no-excel")
    assert not (out / "results.xlsx").exists() and not (out / "publicity.xlsx").exists()
    assert (out / "results.parquet").exists() and (out / "notes.txt").read_text("utf-8") == "mine"
    assert not _leftovers(out, tmp_path)


def test_a_refused_document_leaves_the_previous_file(w, tmp_path):
    out = tmp_path / "pay.txt"
    _ok("doc", "bank", w["batch.json"], "--out", str(out))
    before = out.read_bytes()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**json.loads(Path(w["batch.json"]).read_text("utf-8")), "payer_account": "x"}), "utf-8")
    refused(["doc", "bank", str(bad), "--out", str(out)], "付款账号")
    assert out.read_bytes() == before and not _leftovers(tmp_path)


def test_atomic_path_and_dir_on_failure(tmp_path):
    from wengang.atomic import atomic_dir, atomic_path

    target = tmp_path / "a.txt"
    target.write_text("old", "utf-8")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half", "utf-8")
        raise RuntimeError("disk full")
    assert target.read_text("utf-8") == "old"
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "results.parquet").write_text("old", "utf-8")
    with pytest.raises(RuntimeError), atomic_dir(folder, ["results.parquet"]) as stage:
        (stage / "results.parquet").write_text("new", "utf-8")
        raise RuntimeError("killed")
    assert (folder / "results.parquet").read_text("utf-8") == "old"
    with pytest.raises(RuntimeError), atomic_dir(tmp_path / "new") as stage:
        raise RuntimeError("refused")
    assert not (tmp_path / "new").exists()  # a failed first run leaves no empty folder either
    assert not _leftovers(tmp_path, folder)


# ----------------------------------------------------------------------------------------- last resort


def test_an_unexpected_error_is_an_internal_error_with_a_log(monkeypatch, tmp_path, capsys):
    import wengang.cli
    import wengang.dictionary

    def boom() -> str:
        raise RuntimeError("a bug")

    monkeypatch.setattr(wengang.dictionary, "markdown", boom)
    monkeypatch.setenv("WENGANG_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr(sys, "argv", ["wengang", "data-dictionary"])
    with pytest.raises(SystemExit) as exc:
        wengang.cli.main()
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("内部错误（RuntimeError）") and "Traceback" not in err
    logs = list((tmp_path / "state").glob("error-*.log"))
    assert len(logs) == 1 and str(logs[0]) in err
    text = logs[0].read_text("utf-8")
    assert "Traceback" in text and "RuntimeError: a bug" in text and "data-dictionary" in text


def test_the_installed_entry_point_refuses_in_chinese(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "WENGANG_STATE_DIR": str(tmp_path)}
    p = subprocess.run([sys.executable, "-m", "wengang", "workdays", "due", "2025-13-01", "3"], capture_output=True,
                       text=True, env=env, timeout=120)
    assert p.returncode == 2 and p.stderr.startswith("错误 / error: 日期“2025-13-01”不是有效日期"), p.stderr
    assert "Traceback" not in p.stderr and not list(tmp_path.iterdir())


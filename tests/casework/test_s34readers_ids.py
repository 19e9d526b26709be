"""``--ids FILE.csv`` is read by the shared reader (``wengang.ingest.files.read_frame``): GBK read right, a row
with fewer or more fields than the header refused naming file and line (Chinese first, exit 2), never a missing
决定号 cell skipped as if blank, so a bulk action never acts on fewer decisions than the file lists."""

from __future__ import annotations

import json
from urllib.parse import quote

from ledger_helpers import DEADLINE, MORE_STAFF, RUN, STAFF, decision, register_staff
from typer.testing import CliRunner

from wengang.casework.cli import case_app

runner = CliRunner()


def _url(db) -> str:
    return db.url if db.schema is None else f"{db.url}?options={quote(f'-csearch_path={db.schema}')}"


def _case(db, *args: str) -> tuple[int, str]:
    if "-u" not in args:
        args = (*args, "-u", "auditor")
    r = runner.invoke(case_app, [*args, "--db", _url(db)])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception  # never a traceback
    return r.exit_code, r.output


def _notified(db, n: int) -> list[int]:
    led = register_staff(db.open(), STAFF | MORE_STAFF)
    try:
        led.import_decisions(RUN, [decision(i) for i in range(n)], "screener")
        led.notify("fanhuan", 2025, "cw", deadline=DEADLINE, channels=("sms",))
        return [led.find(program="fanhuan", year=2025, unit_id=decision(i).unit_id) for i in range(n)]
    finally:
        led.close()


def test_a_gbk_ids_file_is_read_right(db, tmp_path):
    ids = _notified(db, 3)
    f = tmp_path / "ids.csv"
    f.write_bytes(f"单位名称,决定号,备注\n测试企业2,{ids[2]},已电话核实\n测试企业0,{ids[0]},伟业农园\n".encode("gbk"))
    r = runner.invoke(case_app, ["list", "--ids", str(f), "--format", "json", "-u", "auditor", "--db", _url(db)])
    assert r.exit_code == 0, r.output
    # the JSON on stdout; a notice the ledger may give once a process (no signing key) goes to stderr
    assert [row["decision_id"] for row in json.loads(r.stdout)] == [ids[0], ids[2]]


def test_a_row_missing_its_id_is_refused_not_skipped(db, tmp_path):
    ids = _notified(db, 3)
    f = tmp_path / "ids.csv"
    f.write_text(f"单位名称,决定号\n测试企业0,{ids[0]}\n测试企业1\n", encoding="utf-8")
    code, out = _case(db, "decline", "--ids", str(f), "--reason", "单位放弃", "-u", "cw", "-y")
    out = " ".join(out.split())
    assert code == 2, out
    zh = f"--ids：文件 {f} 的行与表头不符：第 3 行（第 2 条记录）字段数少于表头（1 个，表头 2 个）"
    en = "line 3 (record 2) has fewer fields than the header (1, header 2)"
    assert zh in out and en in out and out.index(zh) < out.index(en), out
    led = db.open()
    try:
        assert [led.decision(i)["state"] for i in ids] == ["notified"] * 3  # nothing done
    finally:
        led.close()


def test_a_row_with_more_fields_is_refused_cleanly(db, tmp_path):
    ids = _notified(db, 2)
    f = tmp_path / "ids.csv"
    f.write_text(f"决定号,单位名称\n{ids[0]},测试企业0\n{ids[1]},通辽市,测试企业1\n", encoding="utf-8")
    code, out = _case(db, "list", "--ids", str(f))
    out = " ".join(out.split())
    assert code == 2, out
    zh = f"--ids：文件 {f} 的行与表头不符：第 3 行（第 2 条记录）字段数多于表头（3 个，表头 2 个）"
    assert zh in out and "line 3 (record 2) has more fields than the header (3, header 2)" in out, out
    assert "Schema" not in out and "truncate_ragged_lines" not in out


def test_json_output_stays_json_when_the_command_appends_without_a_signing_key(db, tmp_path, monkeypatch):
    # the end-of-command notice (no signing key: checkpoint not signed) goes to stderr, so stdout stays the JSON a
    # program reads
    monkeypatch.delenv("WENGANG_SIGNING_KEY", raising=False)
    ids = _notified(db, 2)
    r = runner.invoke(case_app, ["decline", str(ids[0]), "--reason", "单位放弃", "-u", "cw", "--db", _url(db)])
    assert r.exit_code == 0, r.output
    assert "未配置签名密钥" in r.stderr and "未配置签名密钥" not in r.stdout

"""docs/deployment.md as an office runs it: one ledger setting for the CLI and the web, and the access log of a plain
``uvicorn --factory wengang.web.app:app_from_env`` (no ``wengang serve`` logging setup) masking identifiers.

* The CLI read only ``WENGANG_DB``, the web only ``WENGANG_DATABASE_URL``: operators added with ``wengang user add``
  after ``export WENGANG_DATABASE_URL=…`` went to ./wengang.db, and the service saw none of them.
* Only ``wengang serve`` passed the masking log configuration to uvicorn; under uvicorn's own, the access log held
  full credit codes.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from wengang.web.config import ConfigError, WebConfig

CODE = "91150502MA0N1234XN"
SECRET = "s" * 40


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("WENGANG_DB", "WENGANG_DATABASE_URL")}
    return env | {"WENGANG_SECRET_KEY": SECRET} | extra


def test_wengang_db_is_the_web_ledger_too(monkeypatch):
    monkeypatch.delenv("WENGANG_DATABASE_URL", raising=False)
    monkeypatch.setenv("WENGANG_DB", "sqlite:///office.db")
    assert WebConfig.from_env().database_url == "sqlite:///office.db"


def test_the_older_name_still_works_and_agreeing_names_are_fine(monkeypatch):
    monkeypatch.delenv("WENGANG_DB", raising=False)
    monkeypatch.setenv("WENGANG_DATABASE_URL", "sqlite:///old.db")
    assert WebConfig.from_env().database_url == "sqlite:///old.db"
    monkeypatch.setenv("WENGANG_DB", "sqlite:///old.db")
    assert WebConfig.from_env().database_url == "sqlite:///old.db"


def test_two_different_ledgers_refuse_to_start(monkeypatch):
    monkeypatch.setenv("WENGANG_DB", "sqlite:///a.db")
    monkeypatch.setenv("WENGANG_DATABASE_URL", "sqlite:///b.db")
    with pytest.raises(ConfigError, match="WENGANG_DB.*WENGANG_DATABASE_URL.*不予启动"):
        WebConfig.from_env()
    # an explicit URL (wengang serve --database-url) is not the environment's conflict
    assert WebConfig.from_env(database_url="sqlite:///c.db").database_url == "sqlite:///c.db"


def test_an_operator_added_by_the_cli_is_seen_by_the_web(tmp_path, monkeypatch):
    from wengang.casework.operators import all_operators
    from wengang.cli import app
    from wengang.web.app import app_from_env

    url = f"sqlite:///{tmp_path / 'office.db'}"
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WENGANG_DATABASE_URL", raising=False)
    monkeypatch.setenv("WENGANG_DB", url)
    monkeypatch.setenv("WENGANG_SECRET_KEY", SECRET)
    r = CliRunner().invoke(
        app, ["user", "add", "admin", "--role", "管理员", "--display", "王管理", "--bootstrap"]
    )
    assert r.exit_code == 0, r.output
    assert not (tmp_path / "wengang.db").exists()
    web = app_from_env()
    assert [a.login for a in all_operators(web.state.ledger)] == ["admin"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_uvicorn(env: dict[str, str], cwd: Path) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "wengang.web.app:app_from_env", "--host", "127.0.0.1",
           "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    return proc, f"http://127.0.0.1:{port}"


def test_plain_uvicorn_masks_credit_codes_in_its_access_log(tmp_path):
    proc, url = run_uvicorn(clean_env(WENGANG_DB=f"sqlite:///{tmp_path / 'office.db'}"), tmp_path)
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, proc.communicate()[0]
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "uvicorn did not answer"
            time.sleep(0.3)
        httpx.get(f"{url}/api/v1/balances", params={"unit_id": CODE}, timeout=10)
    finally:
        proc.terminate()
        out = proc.communicate(timeout=30)[0]
    [line] = [ln for ln in out.splitlines() if "/api/v1/balances" in ln]
    assert CODE not in out
    assert "unit_id=911505**********XN" in line


def test_plain_uvicorn_refuses_two_different_ledgers(tmp_path):
    env = clean_env(
        WENGANG_DB=f"sqlite:///{tmp_path / 'a.db'}", WENGANG_DATABASE_URL=f"sqlite:///{tmp_path / 'b.db'}"
    )
    proc, _ = run_uvicorn(env, tmp_path)
    try:
        out = proc.communicate(timeout=90)[0]
    finally:
        proc.kill()
    assert proc.returncode != 0
    assert "指向不同的台账" in out and "refusing to start" in out
    assert not (tmp_path / "a.db").exists() and not (tmp_path / "b.db").exists()


def test_the_service_seals_with_the_commands_signing_key(monkeypatch, tmp_path):
    # a ledger the casework commands sealed refuses a write without the key (docs/audit-keys.md “Seals”): the service
    # reads the same settings as the commands and seals what it writes
    from sqlalchemy import text

    from wengang.casework import Ledger, checkpoints
    from wengang.casework.operators import add_operator
    from wengang.web.app import create_app

    key, _ = checkpoints.keygen(tmp_path / "keys" / "signing.key")
    cp = tmp_path / "ledger.checkpoints.jsonl"
    url = f"sqlite:///{tmp_path / 'ledger.db'}"
    monkeypatch.setenv("WENGANG_SIGNING_KEY", str(key))
    monkeypatch.setenv("WENGANG_CHECKPOINTS", str(cp))
    cfg = WebConfig.from_env(database_url=url, secret_key=SECRET)
    assert (cfg.signing_key, cfg.checkpoints) == (str(key), str(cp))
    app = create_app(cfg)
    led = app.state.ledger
    add_operator(led, "admin", roles=["admin"], display_name="管理员", bootstrap=True)
    with led.engine.connect() as c:
        assert c.execute(text("select count(*) from case_audit_events where seal is null")).scalar() == 0
    bare = Ledger.open(url)  # without the key: refused
    try:
        with pytest.raises(Exception, match="WENGANG_SIGNING_KEY"):
            add_operator(bare, "clerk", roles=["caseworker"], display_name="经办", actor="admin")
    finally:
        bare.engine.dispose()

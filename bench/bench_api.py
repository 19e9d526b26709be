"""The evaluate endpoint under load: requests per second and latency percentiles over loopback.

    python bench/bench_api.py [--workers 2] [--connections 32] [--seconds 20] [--threads 1]

A fresh SQLite ledger in a temporary folder gets one operator (经办) and an API token; the service runs as a
separate process (``uvicorn --factory wengang.web.app:app_from_env``, ``--workers`` processes), and the load comes
from another process: ``wrk`` (Debian package ``wrk``) with a Lua script that POSTs the example case
``examples/fanhuan/eligible_sme.json`` with the token. Before the load one request is checked (200, the right
amount). Prints wrk's figures, the load average before and after, and the server's CPU time per request
(user + system time of the uvicorn processes over the run, from /proc): on a machine shared with other jobs the
requests per second measure the share the service got, the CPU time per request what it costs. Record results in
docs/performance.md.

Bar (design.md): ≥ 500 requests/s with p99 ≤ 50 ms on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "fanhuan" / "eligible_sme.json"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_ledger(folder: Path) -> tuple[str, str]:
    """A ledger with one operator and its API token: (database URL, token)."""
    from wengang.casework import Ledger
    from wengang.casework.operators import add_operator
    from wengang.web import accounts

    url = f"sqlite:///{folder}/bench.db"
    led = Ledger.open(url)
    add_operator(led, "admin", roles=["管理员"], display_name="管理员", bootstrap=True)
    add_operator(led, "bench", roles=["经办"], display_name="压测", actor="admin")
    token = accounts.create_token(led, "bench", roles=["经办"], label="bench_api", actor="admin")
    led.close()
    return url, token


LUA = """
wrk.method = "POST"
wrk.body   = [[%s]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer %s"
"""


def _wait(port: int, proc: subprocess.Popen, timeout: float = 120) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            raise SystemExit(f"uvicorn exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("uvicorn did not start")


def _tree(pid: int) -> list[int]:
    """The process and its descendants (Linux /proc)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                kids = Path(f"/proc/{p}/task/{t}/children").read_text().split()
                todo.extend(int(k) for k in kids)
        except OSError:
            pass
    return out


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of the process tree so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in _tree(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / tick


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s)", text)
    assert m, text
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]


def parse_wrk(out: str) -> dict[str, float]:
    res = {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))}  # type: ignore[union-attr]
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}(?:\.000)?%\s+(\S+)", out, re.M)
        if m:
            res[f"p{pct}"] = _ms(m.group(1))
    m = re.search(r"(\d+) requests in", out)
    res["requests"] = float(m.group(1)) if m else 0
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non2xx"] = float(m.group(1)) if m else 0
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--warmup", type=int, default=5)
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found: apt-get install wrk")
    import httpx

    facts = json.loads(EXAMPLE.read_text("utf-8"))
    body = json.dumps({"facts": facts}, ensure_ascii=False)
    with tempfile.TemporaryDirectory(prefix="wengang-bench-api-") as tmp:
        folder = Path(tmp)
        url, token = make_ledger(folder)
        port = _free_port()
        env = {**os.environ, "WENGANG_DATABASE_URL": url, "WENGANG_SECRET_KEY": "bench-" + "k" * 40,
               "WENGANG_WORK_DIR": str(folder / "web"), "PYTHONPATH": str(ROOT / "src")}
        cmd = [sys.executable, "-m", "uvicorn", "--factory", "wengang.web.app:app_from_env", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(args.workers), "--no-access-log", "--log-level", "warning"]
        proc = subprocess.Popen(cmd, env=env)
        try:
            _wait(port, proc)
            base = f"http://127.0.0.1:{port}"
            r = httpx.post(f"{base}/api/v1/evaluate", content=body.encode(), timeout=30,
                           headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
            assert r.status_code == 200 and r.json()["amount_fen"] == 1_118_430, r.text[:500]
            script = folder / "post.lua"
            script.write_text(LUA % (body, token), "utf-8")
            wrk = ["wrk", f"-t{args.threads}", f"-c{args.connections}", "--latency", "-s", str(script),
                   f"{base}/api/v1/evaluate"]
            subprocess.run([*wrk[:3], "-d", f"{args.warmup}s", *wrk[3:]], check=True, capture_output=True)
            load0, cpu0 = os.getloadavg(), cpu_seconds(proc.pid)
            out = subprocess.run([*wrk[:3], "-d", f"{args.seconds}s", *wrk[3:]], check=True, capture_output=True,
                                 text=True).stdout
            load1, cpu1 = os.getloadavg(), cpu_seconds(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    res = parse_wrk(out)
    cpu_ms = (cpu1 - cpu0) * 1000 / res["requests"] if res["requests"] else float("nan")
    print(out)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, python {platform.python_version()}")
    print(f"workers {args.workers}, connections {args.connections}, {args.seconds} s: {res['rps']:.0f} requests/s, "
          f"p50 {res.get('p50', 0):.1f} ms, p99 {res.get('p99', 0):.1f} ms, non-2xx {res['non2xx']:.0f}; "
          f"load average {load0[0]:.1f} → {load1[0]:.1f}")
    print(f"server CPU per request {cpu_ms:.2f} ms (user+sys of the uvicorn processes): on 2 otherwise idle cores "
          f"that is at most {2000 / cpu_ms:.0f} requests/s")


if __name__ == "__main__":
    main()

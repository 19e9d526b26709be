"""Browser-test harness: a live ASGI server, Debian's chromium through Playwright, screenshots, axe-core.

Fixtures (in ``conftest.py``) build on the plain functions here, which tests may also import:

* :func:`serve` — run any ASGI app with uvicorn in a background thread on a free port until it answers;
* :func:`chromium_path` — the chromium Playwright should launch (Playwright downloads no browser here);
* :func:`shot` — screenshots to ``out/test-artefacts/screenshots/`` at desktop width and at phone width;
* :func:`check_axe` — run the vendored axe-core on the page; fail on serious or critical violations,
  listing them in Chinese (axe's zh_CN locale) and English.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import uvicorn

if TYPE_CHECKING:
    from playwright.sync_api import Page

REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "out" / "test-artefacts" / "screenshots"
AXE_DIR = REPO / "src" / "wengang" / "web" / "static" / "vendor" / "axe-core"
AXE_JS = AXE_DIR / "axe.min.js"
AXE_ZH = AXE_DIR / "locales" / "zh_CN.json"

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
FAILING_IMPACTS = ("serious", "critical")


# --- live server -----------------------------------------------------------------------------------


@dataclass
class LiveServer:
    """A uvicorn server on 127.0.0.1 in a daemon thread; ``url`` has no trailing slash."""

    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        if self.thread.is_alive():
            raise RuntimeError(f"服务器未能在10秒内停止 / the server at {self.url} did not stop within 10 s")


def start_server(app: Any, *, timeout: float = 15.0) -> LiveServer:
    """Start ``app`` (any ASGI app) on a free port and return once it answers an HTTP request."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))  # the kernel picks a free port; uvicorn serves on this very socket
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="auto", access_log=False)
    server = uvicorn.Server(config)

    def run() -> None:
        try:
            server.run(sockets=[sock])
        except SystemExit:  # uvicorn exits when the app's start-up (lifespan) fails; reported below
            pass

    thread = threading.Thread(target=run, name=f"live-server-{port}", daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if not thread.is_alive():
            sock.close()
            raise RuntimeError(f"服务器启动失败 / the server thread for {url} exited during start-up")
        if server.started:
            try:
                httpx.get(url + "/", timeout=2.0)  # any status counts: the server answers
                return LiveServer(url, server, thread)
            except httpx.TransportError as exc:
                last_error = exc
        time.sleep(0.02)
    server.should_exit = True
    thread.join(timeout=5)
    sock.close()
    raise RuntimeError(
        f"服务器在{timeout:g}秒内没有应答 / the server at {url} did not answer within {timeout:g} s: {last_error}"
    )


@contextlib.contextmanager
def serve(app: Any) -> Iterator[LiveServer]:
    """``with serve(app) as server: page.goto(server.url + "/")`` — stopped on exit."""
    live = start_server(app)
    try:
        yield live
    finally:
        live.stop()


# --- chromium --------------------------------------------------------------------------------------


def chromium_path() -> str | None:
    """``$WENGANG_CHROMIUM`` if set (and only it), else ``chromium`` on PATH, else Debian's
    ``/usr/bin/chromium``; None if that is not an executable file."""
    configured = os.environ.get("WENGANG_CHROMIUM")
    candidates = [configured] if configured else [shutil.which("chromium"), "/usr/bin/chromium"]
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


# --- screenshots -----------------------------------------------------------------------------------


def _file_name(name: str) -> str:
    cleaned = re.sub(r"[^\w.-]+", "-", name, flags=re.UNICODE).strip("-.")
    if not cleaned:
        raise ValueError(f"截图名称无效 / not a usable screenshot name: {name!r}")
    return cleaned


def shot(page: Page, name: str, *, phone: bool = True) -> list[Path]:
    """Save full-page screenshots ``<name>.png`` (the page's current viewport) and ``<name>-phone.png``
    (390×844); the viewport is restored afterwards. Returns the files written."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    base = _file_name(name)
    desktop = SCREENSHOTS / f"{base}.png"
    page.screenshot(path=str(desktop), full_page=True)
    written = [desktop]
    if phone:
        before = page.viewport_size
        page.set_viewport_size(PHONE)
        try:
            mobile = SCREENSHOTS / f"{base}-phone.png"
            page.screenshot(path=str(mobile), full_page=True)
            written.append(mobile)
        finally:
            if before is not None:
                page.set_viewport_size(before)
    return written


# --- axe-core ----------------------------------------------------------------------------------------


class AxeViolations(AssertionError):
    """axe-core found serious or critical problems; ``violations`` holds axe's own records."""

    def __init__(self, message: str, violations: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.violations = violations


_zh_rules: dict[str, dict[str, str]] | None = None


def _zh(rule_id: str) -> str:
    global _zh_rules
    if _zh_rules is None:
        _zh_rules = json.loads(AXE_ZH.read_text(encoding="utf-8"))["rules"]
    return _zh_rules.get(rule_id, {}).get("help", "")


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """One block per rule: impact, rule id, Chinese and English help, and each offending element."""
    lines = []
    for v in violations:
        zh = _zh(v["id"])
        lines.append(
            f"[{v.get('impact')}] {v['id']}: {zh + ' / ' if zh else ''}{v.get('help', '')}  ({v.get('helpUrl', '')})"
        )
        for node in v.get("nodes", []):
            target = " ".join(str(t) for t in node.get("target", []))
            lines.append(f"    {target}: {node.get('html', '')[:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"      {summary[:300]}")
    return "\n".join(lines)


def run_axe(page: Page, *, options: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Inject the vendored axe-core and return every violation axe reports for the current document.

    The source goes in through ``page.evaluate`` (DevTools), not ``page.add_script_tag``: an injected
    ``<script>`` is inline script, which the pages' CSP (``script-src 'self'``) rightly blocks.
    """
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;void 0")
    result = page.evaluate(
        "async (options) => (await axe.run(document, options)).violations",
        {"resultTypes": ["violations"], **(options or {})},
    )
    return list(result)


def check_axe(
    page: Page, *, ignore: Mapping[str, str] | None = None, options: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Fail with :class:`AxeViolations` if axe finds a serious or critical violation.

    ``ignore`` maps a rule id to the reason it does not apply (the reason is required, so every
    exception is explained where it is made). Returns all violations (including minor/moderate ones).
    """
    ignore = dict(ignore or {})
    for rule, reason in ignore.items():
        if not reason.strip():
            raise ValueError(f"忽略规则 {rule} 须说明理由 / ignoring axe rule {rule} needs a reason")
    violations = run_axe(page, options=options)
    failing = [v for v in violations if v.get("impact") in FAILING_IMPACTS and v["id"] not in ignore]
    if failing:
        message = (
            f"无障碍检查发现{len(failing)}项严重问题 / axe found {len(failing)} serious or critical violation(s) "
            f"on {page.url}:\n{describe_violations(failing)}"
        )
        print(message)
        raise AxeViolations(message, failing)
    return violations

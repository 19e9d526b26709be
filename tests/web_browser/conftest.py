"""Fixtures for tests that drive a real browser (Debian's chromium through Playwright) against a live server.

* ``live_server(app) -> LiveServer`` — a factory: serves any ASGI app with uvicorn on a free port in a
  background thread, returns once it answers (``.url``, no trailing slash); stopped after the test.
* ``browser`` — one chromium per test session (per xdist worker), launched from ``executable_path``
  (``$WENGANG_CHROMIUM`` if set, else ``chromium`` on PATH). Skipped with the reason if chromium or Playwright is
  missing — except under ``CI=…``, where a missing browser fails: `make test` installs it.
* ``page`` — a fresh context (zh-CN, Asia/Shanghai, 1280×800) and page per test.
* ``console_errors`` — console errors and uncaught page errors of ``page`` (CSP violations among them).

Helpers to import from :mod:`tests.web_browser.browser_harness`: ``shot(page, name)``, ``check_axe(page)``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

import pytest

from tests.web_browser.browser_harness import DESKTOP, LiveServer, chromium_path, start_server


def _missing(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(f"{reason}（CI 中浏览器测试不得跳过 / browser tests must not be skipped in CI）")
    pytest.skip(reason)


@pytest.fixture
def live_server() -> Iterator[Callable[[Any], LiveServer]]:
    started: list[LiveServer] = []

    def start(app: Any) -> LiveServer:
        live = start_server(app)
        started.append(live)
        return live

    yield start
    for live in reversed(started):
        live.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    executable = chromium_path()
    if executable is None:
        _missing(
            "未找到 chromium，请运行 make browser-deps（apt-get install chromium chromium-driver fonts-noto-cjk）"
            " / chromium not found: run `make browser-deps`"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing(
            "未安装 playwright，请安装 browser 附加依赖 / playwright missing: pip install -e '.[browser]'"
        )
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=executable, headless=True)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", viewport=DESKTOP)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def console_errors(page: Any) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"uncaught: {exc}"))
    return errors

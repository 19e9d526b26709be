"""The browser harness proved on a tiny self-contained app: a zh-CN page with server-rendered SVG charts
under a strict Content Security Policy loads in chromium, passes axe, is screenshotted at desktop and
phone width; and each check can fail (an image without alt text, an inline style blocked by the CSP)."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from tests.web_browser.browser_harness import AxeViolations, check_axe, serve, shot, start_server
from wengang.reports.charts import MONEY, bar_chart, count, hbar_chart, line_chart

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

SITE_CSS = """
body { font-family: 'Noto Sans CJK SC', sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #1a1a1a; }
figure { margin: 1.5rem 0; }
.chart { width: 100%; height: auto; display: block; }
.chart-bar { fill: #1f5f8b; }
"""

REFUND_BY_COUNTY = [
    ("科尔沁区", 123_456_789),
    ("开鲁县", 50_000_000),
    ("霍林郭勒市", 8_765_432),
    ("扎鲁特旗", 0),
]


def page_html(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<title>{title}</title>\n<link rel="stylesheet" href="/static/site.css">\n'
        '<link rel="icon" href="/static/logo.svg" type="image/svg+xml">\n</head>\n'
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


async def home(request: Request) -> Response:
    charts = [
        bar_chart("各旗县稳岗返还金额", REFUND_BY_COUNTY, measure=MONEY, x_label="旗县", y_label="返还金额"),
        hbar_chart(
            "各旗县享受返还单位数",
            [("科尔沁区", 812), ("科尔沁左翼后旗", 230), ("开鲁县", 97)],
            measure=count("家"),
        ),
        line_chart(
            "月度新增参保人数",
            [f"2025-{m:02d}" for m in range(1, 13)],
            [
                ("通辽市", [310, 280, 355, None, 420, 390, 401, 415, 388, 402, 450, 470]),
                ("赤峰市", [290, 300, 320, 330, 310, None, None, 350, 360, 372, 380, 395]),
            ],
            measure=count("人"),
            x_label="月份",
            y_label="人数",
        ),
        bar_chart("本月追回金额", [], measure=MONEY),
    ]
    figures = "\n".join(f"<figure>{c}</figure>" for c in charts)
    body = f"<h1>稳岗返还统计</h1>\n<p>数据为模拟数据。</p>\n{figures}"
    return HTMLResponse(page_html("稳岗返还统计", body), headers={"Content-Security-Policy": CSP})


async def inaccessible(request: Request) -> Response:
    body = '<h1>无障碍反例</h1>\n<img src="/static/logo.svg">\n<button></button>'
    return HTMLResponse(page_html("无障碍反例", body), headers={"Content-Security-Policy": CSP})


async def inline_style(request: Request) -> Response:
    body = '<h1>内联样式</h1>\n<p style="color: red">被内容安全策略拦截</p>'
    return HTMLResponse(page_html("内联样式", body), headers={"Content-Security-Policy": CSP})


async def css(request: Request) -> Response:
    return Response(SITE_CSS, media_type="text/css")


async def logo(request: Request) -> Response:
    svg = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#1f5f8b"/></svg>'
    return Response(svg, media_type="image/svg+xml")


APP = Starlette(
    routes=[
        Route("/", home),
        Route("/inaccessible", inaccessible),
        Route("/inline-style", inline_style),
        Route("/static/site.css", css),
        Route("/static/logo.svg", logo),
    ]
)


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.browser
def test_chart_page_loads_passes_axe_and_is_screenshotted(
    live_server: Any, page: Any, console_errors: list[str]
) -> None:
    server = live_server(APP)
    response = page.goto(server.url + "/")
    assert response is not None and response.status == 200
    assert page.title() == "稳岗返还统计"
    # The charts reach the accessibility tree as images named by their titles.
    for name in ("各旗县稳岗返还金额", "各旗县享受返还单位数", "月度新增参保人数", "本月追回金额"):
        assert page.get_by_role("img", name=name).is_visible()
    assert page.locator("svg.bar-chart .chart-bar").count() == 4
    assert page.locator(".chart-no-data").text_content() == "无数据"
    # The amounts a screen reader hears come from wengang.money.
    desc = page.locator("svg[aria-label='各旗县稳岗返还金额'] desc").text_content()
    assert desc is not None and "科尔沁区：1,234,567.89元" in desc
    # Rendered bars keep their proportions in the browser's own layout.
    heights = [page.locator(".chart-bar").nth(i).bounding_box()["height"] for i in range(2)]
    assert heights[0] / heights[1] == pytest.approx(123_456_789 / 50_000_000, rel=0.01)

    violations = check_axe(page)
    assert all(v["impact"] not in ("serious", "critical") for v in violations)
    assert console_errors == []  # no CSP violation: the charts need neither inline script nor inline style

    desktop, phone = shot(page, "harness-charts")
    assert desktop == Path(desktop).resolve() and desktop.parent.parts[-3:] == (
        "out",
        "test-artefacts",
        "screenshots",
    )
    assert png_size(desktop)[0] == 1280
    assert png_size(phone)[0] == 390
    assert page.viewport_size == {"width": 1280, "height": 800}  # restored after the phone shot


@pytest.mark.browser
def test_check_axe_fails_on_an_image_without_alt_text(live_server: Any, page: Any) -> None:
    page.goto(live_server(APP).url + "/inaccessible")
    with pytest.raises(AxeViolations) as caught:
        check_axe(page)
    ids = {v["id"] for v in caught.value.violations}
    assert {"image-alt", "button-name"} <= ids
    message = str(caught.value)
    assert "图像必须有替代文本 / Images must have alternative text" in message
    assert "无障碍检查发现2项严重问题" in message
    # An exception needs a reason, and then only the remaining rule fails.
    with pytest.raises(ValueError, match="须说明理由"):
        check_axe(page, ignore={"image-alt": " "})
    with pytest.raises(AxeViolations) as caught:
        check_axe(page, ignore={"image-alt": "反例页面：测试检查本身"})
    assert [v["id"] for v in caught.value.violations] == ["button-name"]


@pytest.mark.browser
def test_console_errors_report_a_csp_violation(
    live_server: Any, page: Any, console_errors: list[str]
) -> None:
    page.goto(live_server(APP).url + "/inline-style")
    page.wait_for_load_state("load")
    assert any("Content Security Policy" in e for e in console_errors), console_errors


def test_live_server_serves_a_bare_asgi_app_and_stops() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/plain; charset=utf-8")],
            }
        )
        await send({"type": "http.response.body", "body": f"你好 {scope['path']}".encode()})

    with serve(app) as server:
        assert server.url.startswith("http://127.0.0.1:")
        assert httpx.get(server.url + "/稳岗").text == "你好 /稳岗"
        url = server.url
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/", timeout=2)


def test_live_server_reports_an_app_that_cannot_start() -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "lifespan"
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "数据库不可用"})

    with pytest.raises(RuntimeError, match="服务器启动失败"):
        start_server(app, timeout=5)

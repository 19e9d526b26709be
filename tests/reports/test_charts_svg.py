"""Server-rendered SVG charts: well-formed, accessible, proportional, escaped, CSP-clean, deterministic."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import jinja2
import markupsafe
import pytest
from hypothesis import given
from hypothesis import strategies as st

from wengang.money import format_yuan
from wengang.reports.charts import (
    MONEY,
    NO_DATA,
    PALETTE,
    ChartError,
    bar_chart,
    count,
    hbar_chart,
    line_chart,
    nice_ticks,
)

NS = "{http://www.w3.org/2000/svg}"

labels = st.text(max_size=40)
values = st.integers(min_value=0, max_value=10**13)  # up to 1千亿元 in fen
bar_data = st.lists(st.tuples(labels, values), min_size=1, max_size=25)


def one_line(text: str) -> str:
    """What a label becomes: characters XML cannot carry dropped, line breaks and tabs as spaces."""
    text = re.sub("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]", "", text)
    return re.sub("\r\n|[\t\n\r]", " ", text)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def plot_area(root: ET.Element) -> tuple[float, float, float, float]:
    (plot,) = [e for e in root.iter(f"{NS}rect") if e.get("class") == "chart-plot"]
    return tuple(float(plot.get(k, "nan")) for k in ("x", "y", "width", "height"))  # type: ignore[return-value]


def bars(root: ET.Element) -> list[ET.Element]:
    return [e for e in root.iter(f"{NS}rect") if e.get("class") == "chart-bar"]


def texts(root: ET.Element, cls: str) -> list[str]:
    return ["".join(e.itertext()) for e in root.iter(f"{NS}text") if e.get("class", "").split()[0] == cls]


def assert_csp_clean(svg: str) -> None:
    """No script, no inline handlers, no inline style: what ``script-src/style-src 'self'`` requires."""
    root = parse(svg)
    for el in root.iter():
        tag = el.tag.removeprefix(NS)
        assert tag not in ("script", "style", "foreignObject"), tag
        for attr in el.attrib:
            assert attr != "style", el.tag
            assert not attr.lower().startswith("on"), (el.tag, attr)
            assert "javascript:" not in el.attrib[attr].lower()


# --- accessibility and content -------------------------------------------------------------------


def test_bar_chart_is_an_image_with_title_and_a_description_listing_every_value_in_yuan() -> None:
    svg = bar_chart(
        "各旗县稳岗返还金额",
        [("科尔沁区", 123456789), ("开鲁县", 50000000), ("霍林郭勒市", 5)],
        measure=MONEY,
        x_label="旗县",
        y_label="返还金额",
    )
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("aria-label") == "各旗县稳岗返还金额"
    title = root.find(f"{NS}title")
    desc = root.find(f"{NS}desc")
    assert title is not None and title.text == "各旗县稳岗返还金额"
    assert desc is not None and root.get("aria-describedby") == desc.get("id")
    assert desc.text == (
        "柱状图，共3项。横轴：旗县，纵轴：返还金额。科尔沁区：1,234,567.89元；开鲁县：500,000.00元；霍林郭勒市：0.05元。"
        "合计1,734,567.94元，最大为科尔沁区（1,234,567.89元）。"
    )
    # Each bar carries its own tooltip with the exact amount, and the value label uses the same formatter.
    tips = [t.text for t in root.iter(f"{NS}title")][1:]
    assert tips == ["科尔沁区：1,234,567.89元", "开鲁县：500,000.00元", "霍林郭勒市：0.05元"]
    assert texts(root, "chart-value") == [format_yuan(v) for v in (123456789, 50000000, 5)]
    assert texts(root, "chart-category") == ["科尔沁区", "开鲁县", "霍林郭勒市"]
    assert texts(root, "chart-tick") == ["0", "50万元", "100万元", "150万元"]
    assert texts(root, "chart-axis-label") == ["旗县", "返还金额"]


def test_counts_carry_their_unit_and_summary_opens_the_description() -> None:
    svg = hbar_chart(
        "待认定单位数", [("通辽", 1234), ("赤峰", 56)], measure=count("家"), summary="按地区统计"
    )
    root = parse(svg)
    desc = root.find(f"{NS}desc")
    assert desc is not None and desc.text is not None
    assert desc.text.startswith("按地区统计。条形图，共2项。通辽：1,234家；赤峰：56家。合计1,290家")
    assert texts(root, "chart-value") == ["1,234家", "56家"]


@pytest.mark.parametrize(
    ("ticks", "expected"),
    [
        ([0, 2_000_000, 4_000_000], ["0", "2万元", "4万元"]),
        ([0, 20_000_000_000], ["0", "2亿元"]),
        ([0, 50_000, 100_000], ["0", "500元", "1,000元"]),
        ([0, 50, 100], ["0", "0.50元", "1.00元"]),
    ],
)
def test_money_ticks_use_one_scale_per_axis(ticks: list[int], expected: list[str]) -> None:
    assert MONEY.tick_texts(ticks) == expected


def test_line_chart_series_differ_by_marker_and_dash_and_a_gap_breaks_the_line() -> None:
    svg = line_chart(
        "月度新增参保人数",
        ["2025-01", "2025-02", "2025-03", "2025-04"],
        [("通辽", [100, 120, None, 130]), ("赤峰", [90, 95, 100, 110])],
        measure=count("人"),
        x_label="月份",
        y_label="人数",
    )
    root = parse(svg)
    series = [g for g in root.iter(f"{NS}g") if "chart-series" in g.get("class", "").split()]
    assert len(series) == 2
    lines0 = series[0].findall(f"{NS}polyline")
    lines1 = series[1].findall(f"{NS}polyline")
    assert len(lines0) == 1 and len(lines0[0].get("points", "").split()) == 2  # 01–02; 04 stands alone
    assert len(lines1) == 1 and len(lines1[0].get("points", "").split()) == 4
    assert lines0[0].get("stroke-dasharray") is None and lines1[0].get("stroke-dasharray")
    markers0 = {m.get("class") for m in series[0].iter() if "chart-marker" in (m.get("class") or "")}
    markers1 = {m.get("class") for m in series[1].iter() if "chart-marker" in (m.get("class") or "")}
    assert markers0 != markers1
    assert len([g for g in series[0] if g.get("class") == "chart-datum"]) == 3  # no marker for the gap
    desc = root.find(f"{NS}desc")
    assert desc is not None and "通辽：2025-01 100人，2025-02 120人，2025-03 无数据，2025-04 130人" in (
        desc.text or ""
    )
    assert texts(root, "chart-legend-label") == ["通辽", "赤峰"]


def test_line_series_must_match_the_x_values() -> None:
    with pytest.raises(ChartError, match="系列“通辽”有2个值，横轴有3个点"):
        line_chart("t", ["a", "b", "c"], [("通辽", [1, 2])])


@pytest.mark.parametrize("bad", [-1, 1.5, True, "3"])
def test_negative_or_non_integer_values_are_refused(bad: object) -> None:
    with pytest.raises(ChartError):
        bar_chart("t", [("a", bad)])  # type: ignore[list-item]
    with pytest.raises(ChartError):
        line_chart("t", ["a"], [("s", [bad])])  # type: ignore[list-item]


# --- no data ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "svg",
    [
        bar_chart("各旗县返还金额", [], measure=MONEY),
        hbar_chart("各旗县返还金额", [], measure=MONEY),
        line_chart("月度返还金额", [], []),
        line_chart("月度返还金额", ["2025-01", "2025-02"], [("通辽", [None, None])]),
    ],
)
def test_empty_data_gives_a_chart_that_says_no_data(svg: str) -> None:
    root = parse(svg)
    assert root.get("role") == "img"
    assert texts(root, "chart-no-data") == [NO_DATA]
    desc = root.find(f"{NS}desc")
    assert desc is not None and desc.text is not None and desc.text.endswith("无数据。")
    assert not bars(root) and root.find(f".//{NS}polyline") is None
    assert_csp_clean(svg)


# --- escaping ----------------------------------------------------------------------------------------


def test_a_script_label_comes_out_as_text() -> None:
    evil = '<script>alert("x")</script>'
    svg = bar_chart(evil, [(evil, 1), ('" onload="alert(1)', 2)], x_label=evil, summary=evil)
    assert "<script" not in svg
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in svg
    root = parse(svg)
    assert root.get("aria-label") == evil
    assert [t.text for t in root.iter(f"{NS}title")][1] == f"{evil}：1"
    assert_csp_clean(svg)


@given(title=labels, data=bar_data, x_label=labels, y_label=labels)
def test_any_labels_give_well_formed_csp_clean_svg_that_keeps_them_as_text(
    title: str, data: list[tuple[str, int]], x_label: str, y_label: str
) -> None:
    for chart in (bar_chart, hbar_chart):
        svg = chart(title, data, measure=MONEY, x_label=x_label, y_label=y_label)
        root = parse(svg)  # well-formed XML whatever the labels hold
        assert_csp_clean(svg)
        assert len(bars(root)) == len(data)
        tips = [t.text or "" for t in root.iter(f"{NS}title")][1:]
        assert tips == [f"{one_line(label)}：{format_yuan(v)}" for label, v in data]
        assert root.get("aria-label") == one_line(title)


# --- geometry ------------------------------------------------------------------------------------


@given(data=bar_data)
def test_bar_heights_are_proportional_and_inside_the_plot_area(data: list[tuple[str, int]]) -> None:
    root = parse(bar_chart("柱", data, measure=MONEY))
    px, py, pw, ph = plot_area(root)
    rects = bars(root)
    top = max(v for _, v in data)
    heights = [float(r.get("height", "nan")) for r in rects]
    tallest = heights[[v for _, v in data].index(top)]
    for r, (_, v), h in zip(rects, data, heights, strict=True):
        x, y, w = (float(r.get(k, "nan")) for k in ("x", "y", "width"))
        assert int(r.get("data-value", "-1")) == v
        assert px - 0.01 <= x and x + w <= px + pw + 0.01
        assert py - 0.01 <= y and abs(y + h - (py + ph)) <= 0.02  # stands on the baseline
        assert 0 <= h <= ph + 0.01
        # proportional to the value (coordinates are rounded to 0.01)
        if top:
            assert abs(h - tallest * v / top) <= 0.02
        else:
            assert h == 0
    if top:
        assert tallest >= ph / 2  # the scale is not wasteful: the largest bar fills at least half the plot


@given(data=bar_data)
def test_horizontal_bar_widths_are_proportional_and_inside_the_plot_area(data: list[tuple[str, int]]) -> None:
    root = parse(hbar_chart("条", data, measure=count("人")))
    px, py, pw, ph = plot_area(root)
    top = max(v for _, v in data)
    widths = [float(r.get("width", "nan")) for r in bars(root)]
    widest = max(widths)
    for r, (_, v), w in zip(bars(root), data, widths, strict=True):
        x, y, h = (float(r.get(k, "nan")) for k in ("x", "y", "height"))
        assert abs(x - px) <= 0.01 and x + w <= px + pw + 0.01
        assert py - 0.01 <= y and y + h <= py + ph + 0.01
        assert abs(w - widest * v / top) <= 0.02 if top else w == 0


@given(
    xs=st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=24),
    data=st.data(),
)
def test_line_points_lie_inside_the_plot_area(xs: list[str], data: st.DataObject) -> None:
    n_series = data.draw(st.integers(1, 4))
    series = [
        (f"系列{i}", data.draw(st.lists(st.none() | values, min_size=len(xs), max_size=len(xs))))
        for i in range(n_series)
    ]
    svg = line_chart("线", xs, series, measure=MONEY)
    root = parse(svg)
    assert_csp_clean(svg)
    if all(v is None for _, vs in series for v in vs):
        assert texts(root, "chart-no-data") == [NO_DATA]
        return
    px, py, pw, ph = plot_area(root)
    for poly in root.iter(f"{NS}polyline"):
        for pt in (poly.get("points") or "").split():
            x, y = map(float, pt.split(","))
            assert px <= x <= px + pw and py - 0.01 <= y <= py + ph + 0.01
    shown = [g for g in root.iter(f"{NS}g") if g.get("class") == "chart-datum"]
    assert [int(g.get("data-value", "-1")) for g in shown] == [
        v for _, vs in series for v in vs if v is not None
    ]


@given(top=st.integers(min_value=0, max_value=10**15))
def test_nice_ticks_cover_the_data_with_few_round_steps(top: int) -> None:
    ticks = nice_ticks(top)
    step = ticks[1] - ticks[0]
    assert ticks[0] == 0 and ticks[-1] >= top and ticks[-2] < max(top, 1)
    assert ticks == [i * step for i in range(len(ticks))]
    assert re.fullmatch(r"[125]0*", str(step))
    assert 2 <= len(ticks) <= 6


# --- determinism, embedding, colours -------------------------------------------------------------------


def test_output_is_deterministic_and_ids_follow_the_content() -> None:
    a1 = bar_chart("甲", [("a", 1), ("b", 2)])
    a2 = bar_chart("甲", [("a", 1), ("b", 2)])
    b = bar_chart("甲", [("a", 1), ("b", 3)])
    assert a1 == a2
    assert parse(a1).get("id") != parse(b).get("id")
    assert parse(bar_chart("甲", [("a", 1)], chart_id="fund")).get("id") == "fund"


def test_jinja_inserts_the_svg_unescaped() -> None:
    svg = bar_chart("甲", [("<b>", 1)])
    assert markupsafe.escape(svg) == svg
    assert jinja2.Environment(autoescape=True).from_string("<p>{{ c }}</p>").render(c=svg) == f"<p>{svg}</p>"
    assert str(markupsafe.Markup("<div>{}</div>").format(svg)) == f"<div>{svg}</div>"


def _luminance(hex_colour: str) -> float:
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


@pytest.mark.parametrize("colour", PALETTE)
def test_series_colours_have_3_to_1_contrast_on_white(colour: str) -> None:
    assert (1.05) / (_luminance(colour) + 0.05) >= 3.0

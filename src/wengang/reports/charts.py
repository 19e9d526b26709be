"""Accessible charts as server-rendered SVG: bar, horizontal bar and line, with Chinese labels.

Why SVG from the server: the pages' Content Security Policy forbids inline script and inline style
(``script-src 'self'``, ``style-src 'self'``), and a chart that needs no JavaScript needs no exception.
So the output here has no ``<script>``, no ``on…=`` handlers and no ``style=`` attributes; colours, fonts
and strokes are SVG presentation attributes (``fill=``, ``stroke=``, ``font-size=``), which CSP allows, and
every element has a ``chart-…`` class the site's stylesheet may override.

Accessibility: the ``<svg>`` has ``role="img"``, an ``aria-label`` (the title), a ``<title>`` and a
``<desc>`` that lists every value in words, so a screen reader gets the data, not the picture. Each bar and
point also carries its own ``<title>`` (a tooltip with the exact value). Line series differ by marker shape
and dash pattern as well as colour.

Values are integers: money in fen (shown in 元 through :mod:`wengang.money`; :data:`MONEY`), or counts
with a unit (:func:`count`). Negative values and floats are refused. Output is deterministic: the same input
gives the same bytes (no random ids, no clock), so charts can be compared in tests and cached.

The returned :class:`Svg` is a ``str`` with ``__html__``, so a Jinja template inserts it unescaped
(``{{ chart }}``) while every label inside has already been escaped here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from wengang.money import format_yuan

__all__ = [
    "COUNT",
    "MONEY",
    "ChartError",
    "Measure",
    "Svg",
    "bar_chart",
    "count",
    "hbar_chart",
    "line_chart",
]

NO_DATA = "无数据"
NO_DATA_HEIGHT = 140  # an empty chart is a short panel: title and “无数据”

FONT_FAMILY = (
    "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', 'PingFang SC', sans-serif"
)
TEXT_COLOUR = "#1a1a1a"  # 17.4:1 on white
MUTED_COLOUR = "#595959"  # 7:1 on white: axis ticks and labels
GRID_COLOUR = "#d9d9d9"
AXIS_COLOUR = "#595959"
# Series colours, each at least 3:1 against white (WCAG 1.4.11 non-text contrast); checked by a test.
PALETTE = ("#1f5f8b", "#b3541e", "#2e7d32", "#6a3d9a", "#8a6d00", "#a0284b")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "4 4", "1 2")
MARKERS = ("circle", "square", "triangle", "diamond")

TITLE_SIZE = 18
LABEL_SIZE = 14
TICK_SIZE = 13
VALUE_SIZE = 12


class ChartError(ValueError):
    """Data a chart cannot show honestly."""


class Svg(str):
    """SVG markup. ``__html__`` tells Jinja (MarkupSafe) it is already safe to insert."""

    __slots__ = ()

    def __html__(self) -> Svg:
        return self


@dataclass(frozen=True)
class Measure:
    """What the integers mean: money in fen (shown in 元) or a count with a unit (人, 户, 家)."""

    unit: str
    money: bool = False

    def text(self, value: int) -> str:
        """One value in words: ``123456`` → ``1,234.56元`` (money) or ``1,234人`` (count)."""
        return format_yuan(value) if self.money else f"{value:,}{self.unit}"

    def tick_texts(self, ticks: Sequence[int]) -> list[str]:
        """Axis tick labels, one scale for the whole axis (亿元, 万元, whole 元, or 元 with fen)."""
        if not self.money:
            return [f"{t:,}" for t in ticks]
        top = max(ticks, default=0)
        for size, unit in ((10_000_000_000, "亿元"), (1_000_000, "万元")):
            if top >= size and all(t % size == 0 for t in ticks):
                return ["0" if t == 0 else f"{t // size:,}{unit}" for t in ticks]
        if all(t % 100 == 0 for t in ticks):
            return ["0" if t == 0 else f"{t // 100:,}元" for t in ticks]
        return ["0" if t == 0 else format_yuan(t) for t in ticks]


MONEY = Measure("元", money=True)
COUNT = Measure("")


def count(unit: str = "") -> Measure:
    """A count shown with its unit: ``count("人")``."""
    return Measure(unit)


# ---------------------------------------------------------------------------------------------------
# Text helpers


_XML_INVALID = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


_LINE_BREAKS = re.compile("\r\n|[\t\n\r]")


def _clean(text: str) -> str:
    """One line of text XML 1.0 can carry: control characters and lone surrogates dropped, breaks → spaces."""
    return _LINE_BREAKS.sub(" ", _XML_INVALID.sub("", text))


def _esc(text: str) -> str:
    """Escape for both SVG text content and double-quoted attribute values."""
    return html.escape(_clean(text), quote=True)


def _char_em(ch: str) -> float:
    if unicodedata.combining(ch):
        return 0.0
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.6


def text_width(text: str, size: float) -> float:
    """Estimated rendered width: CJK (full-width) characters 1 em, others 0.6 em."""
    return sum(_char_em(ch) for ch in _clean(text)) * size


def _fit(text: str, width: float, size: float) -> str:
    """``text`` if it fits ``width``, else its longest prefix that fits followed by “…”."""
    text = _clean(text)
    if text_width(text, size) <= width:
        return text
    room = width - size  # “…” is full width
    out = []
    used = 0.0
    for ch in text:
        used += _char_em(ch) * size
        if used > room:
            break
        out.append(ch)
    return "".join(out) + "…"


def _n(x: float) -> str:
    """A coordinate: at most two decimals, no trailing zeros, never ``-0``."""
    s = f"{round(x, 2) + 0.0:.2f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


# ---------------------------------------------------------------------------------------------------
# Scale


def nice_ticks(top: int, target: int = 5) -> list[int]:
    """Integer ticks 0, s, 2s, … covering ``top``, with s = 1, 2 or 5 × 10^k and about ``target`` steps."""
    if top <= 0:
        return [0, 1]
    base = 1
    while True:  # 1, 2, 5, 10, 20, 50, … : the first step with step × target ≥ top (integers, exact)
        step = next((base * m for m in (1, 2, 5) if base * m * target >= top), 0)
        if step:
            break
        base *= 10
    n = -(-top // step)
    return [i * step for i in range(n + 1)]


def _check_values(values: Sequence[int | None], *, allow_none: bool = False) -> None:
    for v in values:
        if v is None and allow_none:
            continue
        if isinstance(v, bool) or not isinstance(v, int):
            raise ChartError(
                f"图表数值须为整数（金额以分计），收到 {v!r} / chart values must be integers (money in fen)"
            )
        if v < 0:
            raise ChartError(f"图表不显示负数，收到 {v} / charts do not show negative values, got {v}")


def _chart_id(kind: str, title: str, payload: object) -> str:
    digest = hashlib.sha256(repr((kind, title, payload)).encode("utf-8", "surrogatepass")).hexdigest()
    return f"chart-{digest[:10]}"


# ---------------------------------------------------------------------------------------------------
# Common frame


@dataclass(frozen=True)
class _Frame:
    kind: str  # class suffix: bar, hbar, line
    width: int
    height: int
    chart_id: str
    title: str
    desc: str


def _open(frame: _Frame) -> list[str]:
    cid = frame.chart_id
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {frame.kind}-chart" id="{_esc(cid)}" '
        f'viewBox="0 0 {frame.width} {frame.height}" role="img" aria-label="{_esc(frame.title)}" '
        f'aria-describedby="{_esc(cid)}-desc" font-family="{FONT_FAMILY}" lang="zh-CN">',
        f'<title id="{_esc(cid)}-title">{_esc(frame.title)}</title>',
        f'<desc id="{_esc(cid)}-desc">{_esc(frame.desc)}</desc>',
        f'<rect class="chart-background" x="0" y="0" width="{frame.width}" height="{frame.height}" fill="#ffffff"/>',
        f'<text class="chart-title" x="{_n(frame.width / 2)}" y="28" text-anchor="middle" '
        f'font-size="{TITLE_SIZE}" font-weight="bold" fill="{TEXT_COLOUR}">'
        f"{_esc(_fit(frame.title, frame.width - 16, TITLE_SIZE))}</text>",
    ]


def _value_grid(
    x0: float, y0: float, pw: float, ph: float, ticks: list[int], tick_texts: list[str]
) -> list[str]:
    """The plot area and its horizontal grid lines with the value ticks (bar and line charts); the grid group is
    left open for the caller to close."""
    base_y, axis_max = y0 + ph, ticks[-1]
    parts = [
        f'<rect class="chart-plot" x="{_n(x0)}" y="{_n(y0)}" width="{_n(pw)}" height="{_n(ph)}" fill="none"/>',
        '<g class="chart-grid">',
    ]
    for t, label in zip(ticks, tick_texts, strict=True):
        y = base_y - ph * t / axis_max
        parts.append(
            f'<line x1="{_n(x0)}" y1="{_n(y)}" x2="{_n(x0 + pw)}" y2="{_n(y)}" stroke="{GRID_COLOUR}" stroke-width="1"/>'
        )
        parts.append(
            f'<text class="chart-tick" x="{_n(x0 - 6)}" y="{_n(y)}" text-anchor="end" dominant-baseline="middle" '
            f'font-size="{TICK_SIZE}" fill="{MUTED_COLOUR}">{_esc(label)}</text>'
        )
    return parts


def _no_data(frame: _Frame) -> Svg:
    frame = dataclasses.replace(frame, height=min(frame.height, NO_DATA_HEIGHT))
    parts = _open(frame)
    parts.append(
        f'<text class="chart-no-data" x="{_n(frame.width / 2)}" y="{_n(frame.height / 2)}" text-anchor="middle" '
        f'dominant-baseline="middle" font-size="{LABEL_SIZE + 2}" fill="{MUTED_COLOUR}">{NO_DATA}</text>'
    )
    parts.append("</svg>")
    return Svg("\n".join(parts))


def _axis_labels(
    parts: list[str], frame: _Frame, x_label: str, y_label: str, plot_mid_y: float, plot_mid_x: float
) -> None:
    if x_label:
        parts.append(
            f'<text class="chart-axis-label chart-x-label" x="{_n(plot_mid_x)}" y="{frame.height - 10}" '
            f'text-anchor="middle" font-size="{LABEL_SIZE}" fill="{MUTED_COLOUR}">'
            f"{_esc(_fit(x_label, frame.width - 16, LABEL_SIZE))}</text>"
        )
    if y_label:
        parts.append(
            f'<text class="chart-axis-label chart-y-label" x="0" y="0" '
            f'transform="translate(18 {_n(plot_mid_y)}) rotate(-90)" text-anchor="middle" '
            f'font-size="{LABEL_SIZE}" fill="{MUTED_COLOUR}">'
            f"{_esc(_fit(y_label, frame.height - 60, LABEL_SIZE))}</text>"
        )


def _axis_words(x_label: str, y_label: str) -> str:
    words = []
    if x_label:
        words.append(f"横轴：{_clean(x_label)}")
    if y_label:
        words.append(f"纵轴：{_clean(y_label)}")
    return ("，".join(words) + "。") if words else ""


# ---------------------------------------------------------------------------------------------------
# Bar charts


def _bar_desc(
    kind_zh: str, data: Sequence[tuple[str, int]], measure: Measure, x_label: str, y_label: str, summary: str
) -> str:
    if not data:
        return f"{kind_zh}：{NO_DATA}。"
    items = "；".join(f"{_clean(label)}：{measure.text(v)}" for label, v in data)
    top_label, top_value = max(data, key=lambda d: d[1])
    total = sum(v for _, v in data)
    parts = [
        f"{kind_zh}，共{len(data)}项。",
        _axis_words(x_label, y_label),
        f"{items}。",
        f"合计{measure.text(total)}，最大为{_clean(top_label)}（{measure.text(top_value)}）。",
    ]
    if summary:
        parts.insert(0, _clean(summary).rstrip("。") + "。")
    return "".join(parts)


def bar_chart(
    title: str,
    data: Sequence[tuple[str, int]],
    *,
    measure: Measure = COUNT,
    x_label: str = "",
    y_label: str = "",
    summary: str = "",
    chart_id: str | None = None,
    width: int = 640,
    height: int = 360,
) -> Svg:
    """Vertical bars, one per ``(label, value)``; values are fen with :data:`MONEY`, else counts.

    ``summary`` (optional) opens the ``<desc>``, before the generated list of values.
    An empty ``data`` gives a chart that says “无数据”.
    """
    data = [(str(label), value) for label, value in data]
    _check_values([v for _, v in data])
    cid = chart_id or _chart_id("bar", title, (data, measure, x_label, y_label))
    frame = _Frame(
        "bar", width, height, cid, title, _bar_desc("柱状图", data, measure, x_label, y_label, summary)
    )
    if not data:
        return _no_data(frame)

    ticks = nice_ticks(max(v for _, v in data))
    tick_texts = measure.tick_texts(ticks)
    top, bottom = 48, 30 + (26 if x_label else 0)
    left = 8 + (28 if y_label else 0) + max(text_width(t, TICK_SIZE) for t in tick_texts) + 8
    right = 16
    x0, y0 = left, top
    pw, ph = width - left - right, height - top - bottom
    if pw <= 0 or ph <= 0:
        raise ChartError(f"图表尺寸 {width}×{height} 太小 / chart size {width}x{height} too small")
    axis_max = ticks[-1]
    base_y = y0 + ph

    parts = _open(frame) + _value_grid(x0, y0, pw, ph, ticks, tick_texts)
    parts.append("</g>")

    slot = pw / len(data)
    bar_w = min(slot * 0.6, 72.0)
    parts.append('<g class="chart-bars">')
    for i, (label, v) in enumerate(data):
        h = ph * v / axis_max
        cx = x0 + slot * (i + 0.5)
        parts.append(f'<g class="chart-datum"><title>{_esc(label)}：{_esc(measure.text(v))}</title>')
        parts.append(
            f'<rect class="chart-bar" x="{_n(cx - bar_w / 2)}" y="{_n(base_y - h)}" width="{_n(bar_w)}" '
            f'height="{_n(h)}" fill="{PALETTE[0]}" data-value="{v}"/>'
        )
        value_text = measure.text(v)
        if text_width(value_text, VALUE_SIZE) <= slot - 4:
            parts.append(
                f'<text class="chart-value" x="{_n(cx)}" y="{_n(base_y - h - 5)}" text-anchor="middle" '
                f'font-size="{VALUE_SIZE}" fill="{TEXT_COLOUR}">{_esc(value_text)}</text>'
            )
        parts.append(
            f'<text class="chart-category" x="{_n(cx)}" y="{_n(base_y + 18)}" text-anchor="middle" '
            f'font-size="{TICK_SIZE}" fill="{TEXT_COLOUR}">{_esc(_fit(label, slot - 4, TICK_SIZE))}</text>'
        )
        parts.append("</g>")
    parts.append("</g>")
    parts.append(
        f'<line class="chart-axis" x1="{_n(x0)}" y1="{_n(base_y)}" x2="{_n(x0 + pw)}" y2="{_n(base_y)}" '
        f'stroke="{AXIS_COLOUR}" stroke-width="1"/>'
    )
    _axis_labels(parts, frame, x_label, y_label, y0 + ph / 2, x0 + pw / 2)
    parts.append("</svg>")
    return Svg("\n".join(parts))


def hbar_chart(
    title: str,
    data: Sequence[tuple[str, int]],
    *,
    measure: Measure = COUNT,
    x_label: str = "",
    y_label: str = "",
    summary: str = "",
    chart_id: str | None = None,
    width: int = 640,
    row_height: int = 30,
) -> Svg:
    """Horizontal bars, one row per ``(label, value)``: the choice for long names (地区, 单位, 行业).

    The height follows the number of rows. ``x_label`` names the value axis (below), ``y_label`` the
    categories (above the names). An empty ``data`` gives a chart that says “无数据”.
    """
    data = [(str(label), value) for label, value in data]
    _check_values([v for _, v in data])
    cid = chart_id or _chart_id("hbar", title, (data, measure, x_label, y_label))
    top = 48 + (22 if y_label else 0)
    bottom = 30 + (26 if x_label else 0)
    height = top + max(len(data), 2) * row_height + bottom
    frame = _Frame(
        "hbar", width, height, cid, title, _bar_desc("条形图", data, measure, x_label, y_label, summary)
    )
    if not data:
        return _no_data(frame)

    ticks = nice_ticks(max(v for _, v in data))
    tick_texts = measure.tick_texts(ticks)
    label_w = min(max(text_width(label, TICK_SIZE) for label, _ in data), width * 0.35)
    value_w = max(text_width(measure.text(v), VALUE_SIZE) for _, v in data)
    left = 8 + label_w + 8
    right = max(value_w + 12, text_width(tick_texts[-1], TICK_SIZE) / 2 + 4)
    x0, y0 = left, top
    pw, ph = width - left - right, len(data) * row_height
    if pw <= 40:
        raise ChartError(f"图表宽度 {width} 太小 / chart width {width} too small")
    axis_max = ticks[-1]

    parts = _open(frame)
    parts.append(
        f'<rect class="chart-plot" x="{_n(x0)}" y="{_n(y0)}" width="{_n(pw)}" height="{_n(ph)}" fill="none"/>'
    )
    if y_label:
        parts.append(
            f'<text class="chart-axis-label chart-y-label" x="{_n(x0 - 8)}" y="{_n(y0 - 8)}" text-anchor="end" '
            f'font-size="{LABEL_SIZE}" fill="{MUTED_COLOUR}">{_esc(_fit(y_label, left - 8, LABEL_SIZE))}</text>'
        )
    parts.append('<g class="chart-grid">')
    for t, label in zip(ticks, tick_texts, strict=True):
        x = x0 + pw * t / axis_max
        parts.append(
            f'<line x1="{_n(x)}" y1="{_n(y0)}" x2="{_n(x)}" y2="{_n(y0 + ph)}" stroke="{GRID_COLOUR}" stroke-width="1"/>'
        )
        parts.append(
            f'<text class="chart-tick" x="{_n(x)}" y="{_n(y0 + ph + 18)}" text-anchor="middle" '
            f'font-size="{TICK_SIZE}" fill="{MUTED_COLOUR}">{_esc(label)}</text>'
        )
    parts.append("</g>")

    bar_h = row_height * 0.64
    parts.append('<g class="chart-bars">')
    for i, (label, v) in enumerate(data):
        w = pw * v / axis_max
        cy = y0 + row_height * (i + 0.5)
        parts.append(f'<g class="chart-datum"><title>{_esc(label)}：{_esc(measure.text(v))}</title>')
        parts.append(
            f'<text class="chart-category" x="{_n(x0 - 8)}" y="{_n(cy)}" text-anchor="end" dominant-baseline="middle" '
            f'font-size="{TICK_SIZE}" fill="{TEXT_COLOUR}">{_esc(_fit(label, label_w, TICK_SIZE))}</text>'
        )
        parts.append(
            f'<rect class="chart-bar" x="{_n(x0)}" y="{_n(cy - bar_h / 2)}" width="{_n(w)}" height="{_n(bar_h)}" '
            f'fill="{PALETTE[0]}" data-value="{v}"/>'
        )
        parts.append(
            f'<text class="chart-value" x="{_n(x0 + w + 6)}" y="{_n(cy)}" dominant-baseline="middle" '
            f'font-size="{VALUE_SIZE}" fill="{TEXT_COLOUR}">{_esc(measure.text(v))}</text>'
        )
        parts.append("</g>")
    parts.append("</g>")
    parts.append(
        f'<line class="chart-axis" x1="{_n(x0)}" y1="{_n(y0)}" x2="{_n(x0)}" y2="{_n(y0 + ph)}" '
        f'stroke="{AXIS_COLOUR}" stroke-width="1"/>'
    )
    if x_label:
        parts.append(
            f'<text class="chart-axis-label chart-x-label" x="{_n(x0 + pw / 2)}" y="{height - 10}" '
            f'text-anchor="middle" font-size="{LABEL_SIZE}" fill="{MUTED_COLOUR}">'
            f"{_esc(_fit(x_label, width - 16, LABEL_SIZE))}</text>"
        )
    parts.append("</svg>")
    return Svg("\n".join(parts))


# ---------------------------------------------------------------------------------------------------
# Line chart


def _marker(shape: str, x: float, y: float, colour: str) -> str:
    r = 4.0
    common = f'class="chart-marker chart-marker-{shape}" fill="{colour}"'
    if shape == "circle":
        return f'<circle {common} cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}"/>'
    if shape == "square":
        return f'<rect {common} x="{_n(x - r)}" y="{_n(y - r)}" width="{_n(2 * r)}" height="{_n(2 * r)}"/>'
    if shape == "triangle":
        pts = f"{_n(x)},{_n(y - r - 1)} {_n(x + r + 1)},{_n(y + r)} {_n(x - r - 1)},{_n(y + r)}"
        return f'<polygon {common} points="{pts}"/>'
    pts = f"{_n(x)},{_n(y - r - 1)} {_n(x + r + 1)},{_n(y)} {_n(x)},{_n(y + r + 1)} {_n(x - r - 1)},{_n(y)}"
    return f'<polygon {common} points="{pts}"/>'


def _series_style(si: int) -> tuple[str, str, str]:
    """Colour, dash pattern and marker shape of series ``si``: never told apart by colour alone."""
    return PALETTE[si % len(PALETTE)], DASHES[si % len(DASHES)], MARKERS[si % len(MARKERS)]


def _legend_layout(names: Sequence[str], width: int) -> list[tuple[str, float, float]]:
    """(shown label, x, y) per legend entry; entries flow left to right and wrap to a new row."""
    items: list[tuple[str, float, float]] = []
    x, y = 16.0, 56.0
    for name in names:
        label = _fit(name, 160, LABEL_SIZE)
        w = 34 + text_width(label, LABEL_SIZE) + 18
        if x > 16 and x + w > width - 8:
            x, y = 16.0, y + 24
        items.append((label, x, y))
        x += w
    return items


def line_chart(
    title: str,
    x_values: Sequence[str],
    series: Sequence[tuple[str, Sequence[int | None]]],
    *,
    measure: Measure = COUNT,
    x_label: str = "",
    y_label: str = "",
    summary: str = "",
    chart_id: str | None = None,
    width: int = 640,
    height: int = 360,
) -> Svg:
    """Lines over categories ``x_values`` (e.g. months ``2025-01`` …), one per ``(name, values)`` series.

    Each series has one value per x value; ``None`` is a gap (no reading that month). Series differ by
    colour, dash pattern and marker shape; a legend is drawn when there is more than one.
    A chart with no x values, no series or only gaps says “无数据”.
    """
    xs = [str(x) for x in x_values]
    ser = [(str(name), list(values)) for name, values in series]
    for name, values in ser:
        _check_values(values, allow_none=True)
        if len(values) != len(xs):
            raise ChartError(
                f"系列“{name}”有{len(values)}个值，横轴有{len(xs)}个点 / series {name!r} has {len(values)} values "
                f"for {len(xs)} x values"
            )
    present = [v for _, values in ser for v in values if v is not None]
    cid = chart_id or _chart_id("line", title, (xs, ser, measure, x_label, y_label))

    if not xs or not present:
        desc = f"折线图：{NO_DATA}。"
    else:
        per_series = []
        for name, values in ser:
            pts = "，".join(
                f"{_clean(x)} {'无数据' if v is None else measure.text(v)}"
                for x, v in zip(xs, values, strict=True)
            )
            per_series.append(f"{_clean(name)}：{pts}")
        desc = f"折线图，{len(ser)}个系列，{len(xs)}个点。{_axis_words(x_label, y_label)}{'；'.join(per_series)}。"
        if summary:
            desc = _clean(summary).rstrip("。") + "。" + desc
    frame = _Frame("line", width, height, cid, title, desc)
    if not xs or not present:
        return _no_data(frame)

    ticks = nice_ticks(max(present))
    tick_texts = measure.tick_texts(ticks)
    legend = len(ser) > 1
    legend_items = _legend_layout([name for name, _ in ser], width) if legend else []
    top = 48 + (int(legend_items[-1][2]) - 56 + 26 if legend else 0)
    bottom = 30 + (26 if x_label else 0)
    left = 8 + (28 if y_label else 0) + max(text_width(t, TICK_SIZE) for t in tick_texts) + 8
    right = 24
    x0, y0 = left, top
    pw, ph = width - left - right, height - top - bottom
    if pw <= 0 or ph <= 0:
        raise ChartError(f"图表尺寸 {width}×{height} 太小 / chart size {width}x{height} too small")
    axis_max = ticks[-1]
    base_y = y0 + ph
    slot = pw / len(xs)

    parts = _open(frame) + _value_grid(x0, y0, pw, ph, ticks, tick_texts)
    # Category labels: every k-th so they do not overlap.
    widest = max(text_width(x, TICK_SIZE) for x in xs) + 8
    every = max(1, -(-int(widest) // max(1, int(slot))))
    for i, x in enumerate(xs):
        if i % every:
            continue
        parts.append(
            f'<text class="chart-category" x="{_n(x0 + slot * (i + 0.5))}" y="{_n(base_y + 18)}" text-anchor="middle" '
            f'font-size="{TICK_SIZE}" fill="{TEXT_COLOUR}">{_esc(_fit(x, slot * every - 4, TICK_SIZE))}</text>'
        )
    parts.append("</g>")
    parts.append(
        f'<line class="chart-axis" x1="{_n(x0)}" y1="{_n(base_y)}" x2="{_n(x0 + pw)}" y2="{_n(base_y)}" '
        f'stroke="{AXIS_COLOUR}" stroke-width="1"/>'
    )

    for si, (name, values) in enumerate(ser):
        colour, dash, shape = _series_style(si)
        parts.append(f'<g class="chart-series chart-series-{si}">')
        # One polyline per run of consecutive readings; a gap (None) breaks the line.
        run: list[str] = []
        runs: list[list[str]] = []
        for i, v in enumerate(values):
            if v is None:
                if run:
                    runs.append(run)
                run = []
                continue
            run.append(f"{_n(x0 + slot * (i + 0.5))},{_n(base_y - ph * v / axis_max)}")
        if run:
            runs.append(run)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        for r in runs:
            if len(r) > 1:
                parts.append(
                    f'<polyline class="chart-line" points="{" ".join(r)}" fill="none" stroke="{colour}" '
                    f'stroke-width="2"{dash_attr}/>'
                )
        for i, v in enumerate(values):
            if v is None:
                continue
            cx, cy = x0 + slot * (i + 0.5), base_y - ph * v / axis_max
            parts.append(
                f'<g class="chart-datum" data-value="{v}"><title>{_esc(name)} {_esc(xs[i])}：{_esc(measure.text(v))}</title>'
                f"{_marker(shape, cx, cy, colour)}</g>"
            )
        parts.append("</g>")

    if legend:
        parts.append('<g class="chart-legend">')
        for si, (label, lx, ly) in enumerate(legend_items):
            colour, dash, shape = _series_style(si)
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(
                f'<line x1="{_n(lx)}" y1="{_n(ly)}" x2="{_n(lx + 28)}" y2="{_n(ly)}" stroke="{colour}" '
                f'stroke-width="2"{dash_attr}/>'
            )
            parts.append(_marker(shape, lx + 14, ly, colour))
            parts.append(
                f'<text class="chart-legend-label" x="{_n(lx + 34)}" y="{_n(ly)}" dominant-baseline="middle" '
                f'font-size="{LABEL_SIZE}" fill="{TEXT_COLOUR}">{_esc(label)}</text>'
            )
        parts.append("</g>")

    _axis_labels(parts, frame, x_label, y_label, y0 + ph / 2, x0 + pw / 2)
    parts.append("</svg>")
    return Svg("\n".join(parts))

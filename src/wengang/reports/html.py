"""One self-contained HTML file: headings, tables and the SVG charts of :mod:`.charts`, nothing fetched.

The file opens offline in any browser: no script, no external stylesheet, font or image (the charts are
inline SVG; the one ``<style>`` element is inside the file). Every text is escaped here; a chart is inserted as
it is (:class:`~wengang.reports.charts.Svg` has escaped its own labels).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wengang.atomic import atomic_path
from wengang.reports.charts import Svg

STYLE = """
body{font-family:'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','Microsoft YaHei','PingFang SC',sans-serif;
color:#1a1a1a;background:#fff;margin:2rem auto;max-width:64rem;padding:0 1rem;line-height:1.6}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.25rem;margin-top:2rem;border-bottom:1px solid #d9d9d9}
p.meta{color:#595959;margin-top:0}table{border-collapse:collapse;margin:.6rem 0 1rem;width:100%}
caption{text-align:left;font-weight:bold;padding:.3rem 0}th,td{border:1px solid #bfbfbf;padding:.25rem .5rem}
th{background:#eef3f8;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}
tr.total td{font-weight:bold;border-top:2px solid #595959}figure{margin:1rem 0}svg{max-width:100%;height:auto}
.ok{color:#2e7d32}.bad{color:#a0284b}ul.notes{color:#595959;font-size:.9rem}
@media print{body{margin:0;max-width:none}}
"""


@dataclass
class HtmlTable:
    caption: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Any]]
    numeric: Sequence[int] = ()  # column indexes aligned right
    total: Sequence[Any] | None = None  # a 合计 row


@dataclass
class Section:
    title: str
    paragraphs: Sequence[str] = ()
    tables: Sequence[HtmlTable] = ()
    charts: Sequence[Svg] = ()
    notes: Sequence[str] = ()
    children: list[Section] = field(default_factory=list)


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _table(t: HtmlTable) -> str:
    out = [f"<table><caption>{esc(t.caption)}</caption><thead><tr>"]
    out += [f'<th scope="col">{esc(h)}</th>' for h in t.headers]
    out.append("</tr></thead><tbody>")

    def row(cells: Sequence[Any], cls: str = "") -> None:
        out.append(f'<tr class="{cls}">' if cls else "<tr>")
        for i, c in enumerate(cells):
            out.append(f'<td class="n">{esc(c)}</td>' if i in t.numeric else f"<td>{esc(c)}</td>")
        out.append("</tr>")

    for r in t.rows:
        row(r)
    if t.total is not None:
        row(t.total, "total")
    out.append("</tbody></table>")
    return "".join(out)


def _section(s: Section, level: int = 2) -> str:
    out = [f"<section><h{level}>{esc(s.title)}</h{level}>"]
    out += [f"<p>{esc(p)}</p>" for p in s.paragraphs]
    out += [_table(t) for t in s.tables]
    out += [f"<figure>{c}</figure>" for c in s.charts]
    if s.notes:
        out.append('<ul class="notes">' + "".join(f"<li>{esc(n)}</li>" for n in s.notes) + "</ul>")
    out += [_section(c, min(level + 1, 6)) for c in s.children]
    out.append("</section>")
    return "".join(out)


def render(title: str, sections: Sequence[Section], *, meta: Sequence[str] = ()) -> str:
    """The whole page as one string."""
    head = (
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body><main>"
    )
    body = [f"<h1>{esc(title)}</h1>"] + [f'<p class="meta">{esc(m)}</p>' for m in meta]
    body += [_section(s) for s in sections]
    return head + "".join(body) + "</main></body></html>\n"


def write_html(
    path: str | Path, title: str, sections: Sequence[Section], *, meta: Sequence[str] = ()
) -> Path:
    path = Path(path)
    with atomic_path(path) as tmp:
        tmp.write_text(render(title, sections, meta=meta), encoding="utf-8")
    return path

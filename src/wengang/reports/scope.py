"""What a report is about: its regions, the agency that files it (填报单位) and the basis it cites.

Both come from the report's regions, never from a fixed text: a 通辽 report is filed by 通辽's agency and cites what
applies in 通辽, a 阳泉 report what applies in 阳泉.

* :func:`filing_unit` — the agency's name from the region data (``region_data/<地区>.yaml`` ``agency: name``), by the
  one rule the casework documents use (:func:`wengang.casework.outputs.agency_config`: the regions' most specific
  common region that has an agency block). None when a region is unknown to the registry or none has one.
* :func:`basis` — the clauses of the policy set's documents, for the regions' chains (county, city, province,
  national) and the report's period, that carry the words of the requirement a report answers (:data:`MONTHLY`,
  :data:`NETWORK`, :data:`YAOQING`), each quoted as the document words it: ``文号 条：“原文”``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wengang.policies.model import Document

# the requirement each report answers, as the texts word it (quoted from the documents, never composed here): a
# clause carrying the words, in a document in force for the report's regions, is the report's basis
MONTHLY = (
    "每月发放日后要统计汇总发放情况",
    "按月及时、准确上报失业保险联网数据",
)  # monthly disbursement sheets
NETWORK = ("按月及时、准确上报失业保险联网数据",)  # the statistics sheets reported upwards
YAOQING = ("要情报告制度",)  # the 要情报告 draft
NONE_FOUND = "（本报告所涉地区适用的政策文件中未找到相应规定）"
PLACEHOLDER_UNIT = "（填报单位）"
_LEVEL = {"county": 0, "city": 1, "province": 2, "national": 3}
_SEGMENT = re.compile(r"[，；。！？\n]")  # a quote is the clause's phrase between these marks


def known_regions(codes: Iterable[object]) -> tuple[list[str], list[str]]:
    """The registry keys of ``codes`` and the codes the registry does not know (both sorted, blanks dropped)."""
    from wengang.regions import resolve_region

    known: set[str] = set()
    unknown: set[str] = set()
    for c in codes:
        text = "" if c is None else str(c).strip()
        if not text:
            continue
        try:
            known.add(resolve_region(text).key)
        except LookupError:
            unknown.add(text)
    return sorted(known), sorted(unknown)


def filing_unit(codes: Iterable[object]) -> str | None:
    """The agency that files a report on ``codes``: its name from the region data, or None (no region, a region the
    registry does not know — its agency cannot be told —, or no agency block for their common region)."""
    known, unknown = known_regions(codes)
    if not known or unknown:
        return None
    from wengang.casework.outputs import agency_config

    return agency_config(known).get("name") or None


def _in_force(doc: Document, first: date, last: date, requested: frozenset[str]) -> bool:
    """A document that applied at some day of ``first``–``last``: issued by then, not a draft nobody asked for, and
    either in force or (a historical document) with a program block in force in the period."""
    if (doc.is_draft and doc.id not in requested) or (doc.issued is not None and doc.issued > last):
        return False
    if doc.status != "historical":
        return True
    return any(
        b.valid_from <= last and (b.valid_to is None or first <= b.valid_to) for b in doc.programs.values()
    )


def basis(words: Iterable[str], codes: Iterable[object], first: date, last: date | None = None) -> list[str]:
    """``文号 条：“原文”`` for every clause carrying one of ``words`` in the documents of the regions' chains that
    applied in ``first``–``last`` (most specific jurisdiction first, then newest). A region the registry does not
    know still has the national documents. Empty when none says it."""
    from wengang.policies import load_policy_set
    from wengang.regions import chain

    last = last or first
    words = tuple(words)
    known, _ = known_regions(codes)
    level: dict[str, int] = {}
    for key in known or ["national"]:
        for r in chain(key):
            level[r.key] = _LEVEL.get(r.level, len(_LEVEL))
    level.setdefault("national", _LEVEL["national"])
    ps = load_policy_set()
    docs = [
        d
        for d in ps.documents
        if d.jurisdiction in level and not d.forwards and _in_force(d, first, last, ps.requested)
    ]
    docs.sort(key=lambda d: (level[d.jurisdiction], -(d.issued or date.min).toordinal(), d.id))
    out: list[str] = []
    for d in docs:
        for clause, text in d.clauses.items():
            for phrase in _SEGMENT.split(text):
                phrase = phrase.strip()
                line = f"{d.display_number} {clause}：“{phrase}”"
                if phrase and any(w in phrase for w in words) and line not in out:
                    out.append(line)
    return out


def basis_text(words: Iterable[str], codes: Iterable[object], first: date, last: date | None = None) -> str:
    """:func:`basis` as one line (``；`` between citations), or :data:`NONE_FOUND`."""
    return "；".join(basis(words, codes, first, last)) or NONE_FOUND


def month_bounds(month: str) -> tuple[date, date]:
    """The first and last day of ``YYYY-MM``."""
    import calendar

    y, m = int(month[:4]), int(month[5:7])
    return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])

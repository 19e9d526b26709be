"""The checked set of documents, and resolution by (region, date, program)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from wengang.policies.errors import NoPolicyInForce
from wengang.policies.loader import ancestors, forward_covers, tightest_cap, value_caps
from wengang.policies.model import Document, Param, ProgramBlock, RegionSettingSpec, Resolution, TimelineEntry
from wengang.policies.required import PROGRAM_LABELS
from wengang.policies.units import comparable
from wengang.regions import Region, chain, resolve_region


class PolicySet:
    def __init__(
        self,
        documents: dict[str, Document],
        *,
        requested: set[str] | frozenset[str] = frozenset(),
        warnings: list | tuple = (),
    ):
        self._by_id = dict(documents)
        # what the loader's check found worth saying but not refusing (``PolicyError`` objects): ``policy check``
        self.warnings = tuple(warnings)
        # documents the operator named for this run (``--policy-path``): a draft among them is used
        self.requested = frozenset(requested)
        self._by_number = {d.number: d for d in documents.values() if d.number}
        self._resolved: dict[tuple[str, date, str, bool], Resolution] = {}
        self.documents: list[Document] = sorted(
            documents.values(), key=lambda d: (d.issued or date.min, d.jurisdiction, d.id)
        )

    def __len__(self) -> int:
        return len(self.documents)

    def get(self, key: str) -> Document:
        """A document by id (``im-2025-18``) or 文号 (``内人社发〔2025〕18号``)."""
        doc = self._by_id.get(key) or self._by_number.get(key)
        if doc is None:
            raise KeyError(f"未知的政策文件“{key}” / unknown policy document {key!r}")
        return doc

    def programs(self) -> list[str]:
        seen: dict[str, None] = {}
        for d in self.documents:
            for p in d.programs:
                seen.setdefault(p, None)
        return list(seen)

    # ---------------------------------------------------------------------------------------------

    def effective(self, doc: Document, program: str, on: date | None = None) -> tuple[dict[str, Param], dict[str, RegionSettingSpec]]:
        """A block's parameters with those inherited from the document it implements (or its base).

        A value set here sits under the ancestor's ceiling of the same name (``ceiling_param``).
        Parameters with their own period are dropped when ``on`` falls outside it.
        """
        block = doc.programs[program]
        lineage = list(reversed(ancestors(self._by_id, doc, program))) + [block]
        params: dict[str, Param] = {}
        settings: dict[str, RegionSettingSpec] = {}
        for b in lineage:
            inherited = b is not block
            for name, p in b.params.items():
                cap = params.get(name)
                ceiling_param = None
                if cap is not None:
                    ceiling_param = cap if cap.ceiling else cap.ceiling_param
                params[name] = replace(p, ceiling_param=ceiling_param, inherited=inherited)
                settings.pop(name, None)
            for name, s in b.region_settings.items():
                if name not in params:
                    settings[name] = s
        if doc.jurisdiction != "national" and not doc.forwards:
            # what the loader checks this document's own values against (``value_caps``: the ceiling of the document
            # it implements, the figure the jurisdiction above sets for the period — a province's rate is what its
            # cities pay —, the national 不超过 ceiling, or the last known one when no national document in the library
            # covers the period): a what-if is held to the tightest of them (audit 7 F2; §118 D1)
            for name, p in params.items():
                if p.inherited or name not in block.params:
                    continue
                tightest = tightest_cap(value_caps(self._by_id, doc, program, name, block.params[name]))
                if tightest is None:
                    continue
                current = p.ceiling_param
                limit, now = comparable(tightest.param.value), None if current is None else comparable(current.value)
                if now is None or (limit is not None and limit < now):
                    params[name] = replace(p, ceiling_param=tightest.param)
        if on is not None:
            params = {n: p for n, p in params.items() if p.in_force(on)}
        return params, settings

    def resolve(self, region: str | Region, on: date, program: str, include_drafts: bool = False) -> Resolution:
        """The document that governs ``program`` in ``region`` on ``on``.

        Walks county → city → province → national; the most specific jurisdiction with the program in
        force wins. A forwarding document delegates to the one it forwards (recorded in ``via``). A draft
        is used only with ``include_drafts=True``; otherwise it is skipped (recorded in ``draft_skipped``)
        and the walk goes on upwards. Nothing in force → :class:`NoPolicyInForce`, never last year's rules.
        """
        reg = resolve_region(region)
        key = (reg.key, on, program, include_drafts)
        cached = self._resolved.get(key)
        if cached is not None:  # the set is immutable: one case resolves the same way every time
            return cached
        res = self._resolve(reg, on, program, include_drafts)
        if len(self._resolved) > 4096:
            self._resolved.clear()
        self._resolved[key] = res
        return res

    def _resolve(self, reg: Region, on: date, program: str, include_drafts: bool) -> Resolution:
        consulted: list[Document] = []
        skipped: list[Document] = []
        for level in chain(reg):
            here = [d for d in self.documents if d.jurisdiction == level.key]
            here.sort(key=lambda d: (d.issued or date.max), reverse=True)  # newest first
            for doc in here:
                consulted.append(doc)
                target, via = doc, []
                if doc.forwards:
                    target, via = self._by_id[doc.forwards], [doc]
                block = target.programs.get(program)
                if block is None or not block.in_force(on):
                    continue
                if via and not forward_covers(doc, block, on):
                    continue  # the forwarded document decides the case itself, at its own level (§118 D3)
                if via and doc.is_draft and not include_drafts and doc.id not in self.requested:
                    # a draft forwarding notice is no more used than a draft that sets programs (§118 D4)
                    if doc not in skipped:
                        skipped.append(doc)
                    continue
                if target.is_draft and not include_drafts and target.id not in self.requested:
                    if target not in skipped:
                        skipped.append(target)
                    continue
                params, settings = self.effective(target, program, on)
                return Resolution(
                    program=program,
                    label=block.label,
                    ruleset=block.ruleset,
                    region=reg,
                    on=on,
                    document=target,
                    via=via,
                    chain=consulted,
                    valid_from=block.valid_from,
                    valid_to=block.valid_to,
                    validity_citation=self._validity_citation(target, block),
                    params=params,
                    region_settings=settings,
                    draft_skipped=skipped,
                )
        raise self._no_policy(reg, on, program, consulted, skipped)

    def _validity_citation(self, doc: Document, block: ProgramBlock) -> str | None:
        if block.validity_clause is None:
            return None
        src = self._by_id[block.validity_source] if block.validity_source else doc
        return f"{src.display_number} {block.validity_clause}"

    def _no_policy(self, reg: Region, on: date, program: str, consulted: list[Document], skipped: list[Document]) -> NoPolicyInForce:
        last: tuple[str, date | None] | None = None
        best: tuple[date, Document, ProgramBlock] | None = None
        drafts: list[str] = [d.display_number for d in skipped]
        for doc in consulted:
            target = self._by_id[doc.forwards] if doc.forwards else doc
            block = target.programs.get(program)
            if block is None:
                continue
            if target.is_draft:
                if block.in_force(on) and target.display_number not in drafts:
                    drafts.append(target.display_number)
                continue
            if block.valid_from <= on and (best is None or (block.valid_to or date.max) > best[0]):
                best = (block.valid_to or date.max, target, block)
        if best is not None:
            last = (best[1].display_number, best[2].valid_to)
        label = PROGRAM_LABELS.get(program, program)
        return NoPolicyInForce(reg.key, on, program, last, drafts, region_name=reg.name, program_label=label)

    # ---------------------------------------------------------------------------------------------

    def timeline(
        self,
        param_name: str,
        region: str | Region | None = None,
        *,
        program: str | None = None,
        include_drafts: bool = False,
    ) -> list[TimelineEntry]:
        """Every value a document sets for ``param_name``, by date.

        With ``region``, only documents of that region's chain (its own, its province's, national).
        Inherited values are not repeated: each entry is a value a document writes itself.
        """
        keys = {r.key for r in chain(region)} if region is not None else None
        out: list[TimelineEntry] = []
        for doc in self.documents:
            if doc.forwards or (doc.is_draft and not include_drafts):
                continue
            if keys is not None and doc.jurisdiction not in keys:
                continue
            for pid, block in doc.programs.items():
                if program is not None and pid != program:
                    continue
                p = block.params.get(param_name)
                if p is None:
                    continue
                out.append(
                    TimelineEntry(
                        number=doc.display_number,
                        jurisdiction=doc.jurisdiction,
                        valid_from=p.valid_from or block.valid_from,
                        valid_to=p.valid_to or block.valid_to,
                        value=p.value,
                        unit=p.unit,
                        citation=p.citation(),
                        program=pid,
                        doc_id=doc.id,
                        status=doc.status,
                        ceiling=p.ceiling,
                    )
                )
        out.sort(key=lambda e: (e.valid_from or date.min, e.jurisdiction, e.program))
        return out

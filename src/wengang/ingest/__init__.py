"""The input layer shared by ``wengang evaluate`` and ``wengang screen``: agencies' files as exported.

* :mod:`wengang.ingest.files` — read Parquet, CSV (UTF-8, GBK, GB18030), XLSX (openpyxl: cell types,
  formulas, dates) and databases into a frame of the values as they came;
* :mod:`wengang.ingest.headers` — which column is which field (Chinese headers, the user's mapping file),
  and the unit a money header says;
* :mod:`wengang.ingest.values` — reading one value: 元/分 amounts exactly, yes/no and enum labels, dates
  and months in the forms agencies write;
* :mod:`wengang.ingest.columns` — the same readers as column expressions, for screening at scale;
* :mod:`wengang.ingest.record` — one case's facts (evaluate) through the same headers and values.

The rules are in docs/data-dictionary.md ("表头与取值") and docs/decisions.md.
"""

from __future__ import annotations


class IngestError(Exception):
    """A file that cannot be read as the table asked for. ``str()`` is Chinese then English."""

    def __init__(self, message_zh: str, message_en: str, *, source: str = "", column: str | None = None):
        self.message_zh = message_zh
        self.message_en = message_en
        self.source = source
        self.column = column
        super().__init__(f"{message_zh} / {message_en}")

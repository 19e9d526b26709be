"""The one error the ledger raises for refused operations: Chinese first, English after."""

from __future__ import annotations


class LedgerError(Exception):
    """A refused ledger operation. ``code`` is stable for programs; ``zh``/``en`` are for people.

    A refused operation leaves the ledger unchanged: the transaction it ran in is rolled back.
    """

    def __init__(self, code: str, zh: str, en: str):
        self.code = code
        self.zh = zh
        self.en = en
        super().__init__(f"{zh} / {en}")

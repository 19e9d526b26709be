"""Casework ledger: stores decisions and carries them through notice, confirmation, review, 公示 and
payment, with an append-only hash-chained audit trail. See docs/casework.md."""

from .errors import LedgerError
from .ledger import BatchResult, ImportResult, Ledger, SettleResult
from .models import AllocationIn, DecisionIn, RunIn
from .notices import FileSender, HttpSender, Sender
from .states import STATE_ZH, TRANSITIONS

__all__ = [
    "AllocationIn", "BatchResult", "DecisionIn", "FileSender", "HttpSender", "ImportResult", "Ledger",
    "LedgerError", "RunIn", "STATE_ZH", "Sender", "SettleResult", "TRANSITIONS",
]

"""Casework ledger: stores decisions and carries them through notice, confirmation, review, 公示 and
payment, with an append-only hash-chained audit trail. See docs/casework.md."""

from importlib import import_module
from typing import Any

# Imported on first use, so that `wengang --help` and commands that never open the ledger do not load
# SQLAlchemy (start-up time; docs/performance.md).
_HOME = {
    "LedgerError": "errors", "BatchResult": "ledger", "ImportResult": "ledger", "Ledger": "ledger",
    "SettleResult": "ledger", "AllocationIn": "models", "DecisionIn": "models", "RunIn": "models",
    "FileSender": "notices", "HttpSender": "notices", "Sender": "notices", "STATE_ZH": "states",
    "TRANSITIONS": "states", "Actor": "operators", "require": "operators", "ROLES": "roles", "ACTIONS": "roles",
}
DEFAULT_URL = "sqlite:///wengang.db"


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(import_module(f"{__name__}.{_HOME[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ACTIONS", "Actor", "ROLES", "require",
    "AllocationIn", "BatchResult", "DecisionIn", "FileSender", "HttpSender", "ImportResult", "Ledger",
    "LedgerError", "RunIn", "STATE_ZH", "Sender", "SettleResult", "TRANSITIONS", "DEFAULT_URL",
]

"""Codes that print as Chinese: explanations show facts with ``str()``, so an enum's ``str`` is its label."""

from __future__ import annotations

from enum import StrEnum

ZH: dict[str, str] = {}


def register(labels: dict[str, str]) -> dict[str, str]:
    """Add code → Chinese labels. One table for every enum, so a code reads the same everywhere: the first
    label registered for a code wins."""
    for code, label in labels.items():
        ZH.setdefault(code, label)
    return labels


class ZhEnum(StrEnum):
    """A code whose ``str()`` is its Chinese label."""

    def __str__(self) -> str:
        value = self._value_  # ``.value`` is a descriptor lookup; explanations print many codes
        return ZH.get(value, value)

"""Minimal stand-ins for a resolved policy, for testing the engine apart from the policy files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeParam:
    name: str
    value: Any
    unit: str = "count"
    number: str = "测试文〔2025〕1号"
    clause: str = "一"
    doc_id: str = "test-doc"
    ceiling: bool = False
    ceiling_param: Any = None

    def citation(self) -> str:
        return f"{self.number} {self.clause}"


@dataclass
class FakeDocument:
    id: str = "test-doc"
    number: str = "测试文〔2025〕1号"
    status: str = "in_force"


@dataclass
class FakeResolution:
    params: dict[str, FakeParam]
    document: FakeDocument = field(default_factory=FakeDocument)
    via: list[Any] = field(default_factory=list)
    clause: str = "一"
    ruleset: str = "test"
    region_settings: dict[str, Any] = field(default_factory=dict)


def resolution(**values: Any) -> FakeResolution:
    from fractions import Fraction

    params = {}
    for name, value in values.items():
        unit = "percent" if isinstance(value, Fraction) else "count"
        params[name] = FakeParam(name, value, unit)
    return FakeResolution(params)

"""Policies as cited data: one YAML file per legal document, checked on load, resolved per region and date.

    policy_set = load_policy_set()
    res = policy_set.resolve(region="150500", on=date(2025, 8, 1), program="fanhuan")
    res.params["refund_rate_sme"].value      # Fraction(3, 5)
    res.params["refund_rate_sme"].citation() # "内人社发〔2025〕18号 一"

See docs/policies.md for the file format and the parameter names per program.
"""

from importlib import import_module
from typing import Any

# Imported on first use, so that the CLI's `wengang policy …` sub-app (and `wengang --help`) does not load
# pydantic and the YAML loader at start-up (docs/performance.md).
_HOME = {
    "NoPolicyInForce": "errors", "PolicyError": "errors",
    "load_dirs": "loader", "load_documents": "loader", "load_policy_set": "loader", "load_with_files": "loader",
    "policy_files": "loader", "use_policy_set": "loader",
    "Document": "model", "Param": "model", "ProgramBlock": "model", "RegionSettingSpec": "model",
    "Resolution": "model", "TimelineEntry": "model",
    "PolicySet": "policyset", "PROGRAM_LABELS": "required", "REQUIRED_PARAMS": "required",
}


def __getattr__(name: str) -> Any:
    if name in _HOME:
        value = globals()[name] = getattr(import_module(f"{__name__}.{_HOME[name]}"), name)  # once: then a plain attribute
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Document",
    "NoPolicyInForce",
    "Param",
    "PolicyError",
    "PolicySet",
    "PROGRAM_LABELS",
    "ProgramBlock",
    "REQUIRED_PARAMS",
    "RegionSettingSpec",
    "Resolution",
    "TimelineEntry",
    "load_dirs",
    "load_documents",
    "load_policy_set",
    "load_with_files",
    "policy_files",
    "use_policy_set",
]

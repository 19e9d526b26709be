"""Policies as cited data: one YAML file per legal document, checked on load, resolved per region and date.

    policy_set = load_policy_set()
    res = policy_set.resolve(region="150500", on=date(2025, 8, 1), program="fanhuan")
    res.params["refund_rate_sme"].value      # Fraction(3, 5)
    res.params["refund_rate_sme"].citation() # "内人社发〔2025〕18号 一"

See docs/policies.md for the file format and the parameter names per program.
"""

from wengang.policies.errors import NoPolicyInForce, PolicyError
from wengang.policies.loader import load_dirs, load_documents, load_policy_set
from wengang.policies.model import Document, Param, ProgramBlock, RegionSettingSpec, Resolution, TimelineEntry
from wengang.policies.policyset import PolicySet
from wengang.policies.required import PROGRAM_LABELS, REQUIRED_PARAMS

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
]

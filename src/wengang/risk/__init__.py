"""风险疑点核查 (risk checks): the registry of cited checks, the batch and one-case runners, the review queue.

* :mod:`wengang.risk.registry` — each check: id, Chinese label, citation (文号 + clause + quote), severity, evidence
* :mod:`wengang.risk.batch` — all checks over Polars tables (lazy), gated by the document in force per region
* :mod:`wengang.risk.case` — one case (a JSON file) through the same definitions
* :mod:`wengang.risk.output` — flags to Parquet and XLSX (ID numbers masked in the XLSX)
* ledger side: :mod:`wengang.casework.risk_queue` (import, clear, confirm → recovery or referral)
"""

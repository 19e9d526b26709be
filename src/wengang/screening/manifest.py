"""``run.json``: what a screening run was asked, written beside its results so that the ledger can decide each
row again from the run's own facts (``features.parquet``, people's ``facts.parquet``) before it takes a row in.

A result file is only a file: an amount edited in it between ``wengang screen`` and ``wengang case import`` had
been imported, reviewed and paid (trust audit F1, session 39). The rules are the product's; the facts file is
the data they were applied to; this record is the rest of the question — date, year, readings fixed, settings,
drafts, region data — so that the answer can be had again and compared (casework.intake).

The record also holds the digest of the facts file, and, when the run is given the ledger's signing key
(``WENGANG_SIGNING_KEY``), its Ed25519 signature: without it, one who edited the results, the facts and this record
together was caught only where the rules' answer differed (decisions §111, §113). A ledger with a signing key takes a
run's rows unheld only when the record is signed by a key it trusts.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from pathlib import Path
from typing import Any

RUN_MANIFEST = "run.json"


@dataclass(frozen=True)
class RunManifest:
    program: str
    evaluation_date: date
    policy_year: int | None = None
    readings: dict[str, str] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)
    include_drafts: bool = False
    region_data: tuple[tuple[str, str], ...] = ()  # (path as given, its SHA-256)
    results_sha256: str | None = None  # the results file as the run wrote it
    facts_sha256: str | None = None  # features.parquet (a people run's facts.parquet) as the run wrote it
    signed_by: str | None = None  # the key id the signature names (``signature_valid`` checks it)
    signature: tuple[bytes, bytes] | None = field(default=None, repr=False, compare=False)  # (payload, sig)

    def signature_valid(self, keys: Sequence[Any]) -> bool:
        """Whether the record carries a signature by one of ``keys`` (Ed25519 public keys) over what it says."""
        if self.signature is None:
            return False
        from cryptography.exceptions import InvalidSignature

        payload, sig = self.signature
        for key in keys:
            try:
                key.verify(sig, payload)
                return True
            except InvalidSignature:
                continue
        return False

    def region_data_at_hand(self) -> tuple[tuple[str, ...], list[str]]:
        """The region-data files still where the run read them and unchanged, and those that are not."""
        ok: list[str] = []
        gone: list[str] = []
        for path, digest in self.region_data:
            (ok if sha256_of(Path(path)) == digest else gone).append(path)
        return tuple(ok), gone


def sha256_of(path: Path) -> str | None:
    try:
        h = hashlib.sha256()
        with path.open("rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    except OSError:
        return None


def digest_behind(path: Path) -> Callable[[], str | None]:
    """Start hashing ``path`` (a finished results file) on a thread of its own — hashlib lets go of the GIL, so it
    runs beside the summary that follows (≈ 0.06 s for a million units' results) — and return what waits for it."""
    out: list[str | None] = [None]
    worker = threading.Thread(target=lambda: out.__setitem__(0, sha256_of(path)), name="wengang-results-digest",
                              daemon=True)
    worker.start()

    def result() -> str | None:
        worker.join()
        return out[0]

    return result


def _encode(value: Any) -> Any:
    if isinstance(value, Fraction):
        return {"fraction": [value.numerator, value.denominator]}
    if isinstance(value, date):
        return {"date": value.isoformat()}
    if isinstance(value, (bool, int, str)) or value is None:
        return value
    return {"text": str(value)}


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "fraction" in value:
            n, d = value["fraction"]
            return Fraction(int(n), int(d))
        if "date" in value:
            return date.fromisoformat(value["date"])
        if "text" in value:
            from decimal import Decimal

            return Decimal(value["text"])
    return value


def policy_basis(used: Sequence[str] | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """The policy files a run was given that are not installed (``--policy-path``), as ``run.json`` records them, and
    the note that a run resting on one — or on a draft (征求意见稿) among ``used`` (the display numbers of the documents
    its results cite) — is for checking only, as ``wengang evaluate`` says it (§118 D6). ([], None) for a run on the
    installed documents in force."""
    try:
        from wengang.policies.loader import load_policy_set

        ps = load_policy_set()
    except Exception:  # noqa: BLE001 - the run has loaded it already; a record is still written without it
        return [], None
    files: list[dict[str, Any]] = []
    named: list[str] = []
    for doc in ps.documents:
        requested = doc.id in ps.requested
        if not requested and not (doc.is_draft and used is not None and doc.display_number in used):
            continue
        pending = "，文号待定" if not doc.number or "□" in doc.number or "待定" in doc.number else ""
        kind = "草稿（征求意见稿）" if doc.is_draft else "政策文件"
        named.append(f"{doc.display_number}（{'未安装的' if requested else '已安装的'}{kind}{pending}）")
        if requested:
            files.append({"id": doc.id, "number": doc.number, "status": doc.status, "path": doc.file,
                          "sha256": sha256_of(Path(doc.file))})
    if not named:
        return files, None
    note = (f"本次运行依据 {'、'.join(named)}：结果仅供测算核对，不作发放依据 / this run rests on a draft or a policy file "
            "not installed: its results are for checking only, not a basis for payment")
    return files, note


def write_run_manifest(
    out: Path, *, program: str, evaluation_date: date, policy_year: int | None,
    readings: Mapping[str, str] | None, settings: Mapping[str, Any] | None, include_drafts: bool,
    region_data: tuple[str, ...], results_sha256: str | None = None, facts_sha256: str | None = None,
    signing_key: str | Path | None = None,
) -> Path:
    """Write ``run.json`` into ``out``; with ``signing_key`` (an Ed25519 private key file, as ``wengang audit keygen``
    writes) signed over the canonical JSON of everything else it records."""
    record = {
        "program": program,
        "evaluation_date": evaluation_date.isoformat(),
        "policy_year": policy_year,
        "readings": dict(readings or {}),
        "settings": {k: _encode(v) for k, v in (settings or {}).items()},
        "include_drafts": include_drafts,
        "region_data": [{"path": str(p), "sha256": sha256_of(Path(p))} for p in region_data],
        "results_sha256": results_sha256,
        "facts_sha256": facts_sha256,
    }  # fmt: skip
    # the policy files given for the run (``--policy-path``) and what a run on one is (§118 D6): recorded, and signed
    policy_files, policy_note = policy_basis()
    if policy_files or policy_note:
        record["policy_files"] = policy_files
        record["policy_note"] = policy_note
    if signing_key:
        key = load_signing_key(Path(signing_key))
        record["signature"] = {"key": _key_id(key.public_key()),
                               "sig": base64.b64encode(key.sign(_canonical(record))).decode()}
    path = out / RUN_MANIFEST
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    return path


def _canonical(record: Mapping[str, Any]) -> bytes:
    return json.dumps({k: v for k, v in record.items() if k != "signature"}, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":")).encode("utf-8")


def _key_id(pub: Any) -> str:
    from cryptography.hazmat.primitives import serialization

    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]  # as casework.checkpoints.key_id


def load_signing_key(path: Path) -> Any:
    """The signing key, or ValueError in Chinese and English (read here rather than by casework.checkpoints, so that a
    screening run does not import the ledger)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise ValueError(f"无法读取签名私钥 {path}（{exc}）/ cannot read the signing key {path}") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} 不是 Ed25519 私钥 / {path} is not an Ed25519 private key")
    return key


def read_run_manifest(folder: Path) -> RunManifest | None:
    """The run's record, or None when there is none or it cannot be read as one (the caller says so)."""
    path = folder / RUN_MANIFEST
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return RunManifest(
            program=str(raw["program"]),
            evaluation_date=date.fromisoformat(raw["evaluation_date"]),
            policy_year=None if raw.get("policy_year") is None else int(raw["policy_year"]),
            readings={str(k): str(v) for k, v in (raw.get("readings") or {}).items()},
            settings={str(k): _decode(v) for k, v in (raw.get("settings") or {}).items()},
            include_drafts=bool(raw.get("include_drafts", False)),
            region_data=tuple((str(r["path"]), str(r["sha256"])) for r in raw.get("region_data") or ()),
            results_sha256=None if raw.get("results_sha256") is None else str(raw["results_sha256"]),
            facts_sha256=None if raw.get("facts_sha256") is None else str(raw["facts_sha256"]),
            **_signature(raw),
        )  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _signature(raw: dict[str, Any]) -> dict[str, Any]:
    sig = raw.get("signature")
    if not isinstance(sig, dict):
        return {}
    try:
        return {"signed_by": str(sig["key"]), "signature": (_canonical(raw), base64.b64decode(str(sig["sig"]), validate=True))}
    except (KeyError, ValueError):
        return {}

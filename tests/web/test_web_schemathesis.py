"""schemathesis against the service's own OpenAPI spec, in process (ASGI): every operation, with generated valid
and invalid requests, answers without a server error (no 5xx).

The caller is an API token of an operator holding every role (so the handlers run, not only the role check);
a second pass signs in as a 单位 account (its own-records checks). A bounded number of examples per operation
keeps the run near a minute; the examples are derandomised, so a failure repeats.
"""

from __future__ import annotations

import pytest

schemathesis = pytest.importorskip("schemathesis")  # the ``browser`` extra

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis.errors import Unsatisfiable  # noqa: E402
from schemathesis import GenerationMode  # noqa: E402

from wengang.casework.operators import add_operator  # noqa: E402
from wengang.web import accounts  # noqa: E402

from .conftest import pw  # noqa: E402

pytestmark = pytest.mark.slow

EXAMPLES = {GenerationMode.POSITIVE: 8, GenerationMode.NEGATIVE: 4}


def _examples(op, mode, n: int, headers: dict[str, str], cookies: dict[str, str] | None, failures: list[str]):
    """A hypothesis test calling ``op`` with ``n`` generated requests of ``mode``; a 5xx is added to ``failures``."""

    @given(case=op.as_strategy(generation_mode=mode))
    @settings(max_examples=n, deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
    def check(case) -> None:
        r = case.call(headers={**(case.headers or {}), **headers}, cookies=cookies)
        if r.status_code >= 500:
            failures.append(f"{op.method.upper()} {op.path} [{mode.value}] → {r.status_code}: {r.text[:300]} | "
                            f"{case.path_parameters} {case.query} {str(case.body)[:200]}")

    return check


def _fuzz(web, headers: dict[str, str], cookies: dict[str, str] | None = None, role: str | None = None) -> list[str]:
    """Fuzz every operation (``role``: only those ``access.ROUTES`` lets that role call; the others answer 403
    before any handler runs, which test_web_access_matrix checks)."""
    from wengang.web.access import ROUTES

    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", web.app)
    failures: list[str] = []
    ops = 0
    for result in schema.get_all_operations():
        op = result.ok()
        ops += 1
        if op.path == "/api/v1/auth/logout" or (role and role not in ROUTES[(op.method.upper(), op.path)]):
            continue  # logout would end the session the pass runs in
        for mode, n in EXAMPLES.items():
            try:
                _examples(op, mode, n, headers, cookies, failures)()
            except Unsatisfiable:
                assert mode is GenerationMode.NEGATIVE, op.path  # nothing to make invalid (no parameters)
    assert ops >= 45, ops
    return failures


def test_no_server_error_on_any_operation(web):
    add_operator(web.ledger, "fuzz", roles=["经办", "复核", "出纳", "稽核"], display_name="接口测试", actor="admin")
    token = accounts.create_token(web.ledger, "fuzz", roles=["经办", "复核", "出纳", "稽核"], label="schemathesis",
                                  actor="admin")
    failures = _fuzz(web, {"Authorization": f"Bearer {token}"})
    assert not failures, "\n".join(failures[:30])


def test_no_server_error_for_a_unit_account(web):
    c = web.client()
    r = c.post("/api/v1/auth/login", json={"login": "danwei", "password": pw("danwei")})
    failures = _fuzz(web, {"X-CSRF-Token": r.json()["csrf_token"]}, cookies=dict(c.cookies), role="unit")
    assert not failures, "\n".join(failures[:30])

"""Every route against every role, as declared in ONE table (``wengang.web.access.ROUTES``).

A role the table allows gets past the role check (never 401/403; a GET of an existing record is 200); a role it
does not allow gets 403 ``role_refused``; an anonymous caller gets 401 unless the route is public. No route of
the application is missing from the table, and no entry of the table names a route that does not exist.
"""

from __future__ import annotations

import re

import pytest

from wengang.web import access
from wengang.web.app import endpoints, undeclared

from .conftest import PERSON, ROLE_LOGIN, UNIT_A


def test_every_route_is_declared_and_every_declaration_is_a_route(web):
    assert undeclared(web.app) == []
    assert set(access.ROUTES) == set(endpoints(web.app))


def test_an_undeclared_route_is_found(web):
    web.app.add_api_route("/api/v1/forgotten", lambda: {}, methods=["GET"])
    assert undeclared(web.app) == ["GET /api/v1/forgotten"]


def _concrete(path: str, web, role: str) -> str:
    values = {"decision_id": str(web.ids[PERSON if role == "person" else UNIT_A]), "doc_id": "im-2025-18", "name": "refund_rate_sme",
              "job_id": "999", "payment_id": "999", "recovery_id": "999", "list_key": "no-such-list",
              "batch_key": "NO-SUCH", "file_key": "NO-SUCH", "fmt": "txt", "change_id": "999",
              "sim_id": "000000000000", "flag_id": "999"}
    return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], path)


# reads whose record exists in the test ledger: the allowed roles get 200 (not: a run, a 公示 list, a simulation or
# a bank file that does not exist, a letter of an undecided case, the letters of a selection without its program and year)
EXISTING = {p for (m, p) in access.ROUTES if m == "GET" and not any(
    k in p for k in ("job_id", "list_key", "file_key", "/letter", "sim_id"))}


@pytest.fixture
def clients(web):
    return {role: web.client(login) for role, login in ROLE_LOGIN.items()}


def test_role_route_matrix(web, clients):
    from wengang.policies.loader import load_policy_set

    assert any(d.id == "im-2025-18" for d in load_policy_set().documents)
    anonymous = web.client()
    checked = 0
    for (method, path), allowed in sorted(access.ROUTES.items()):
        if path in ("/api/v1/auth/logout", "/logout") or (method, path) in (("POST", "/login"), ("POST", "/check")):
            continue  # sign-out ends the client's session; the sign-in form and the public checker need their own
            # CSRF (test_web_security, test_web_pages)
        kw = {} if method == "GET" else {"json": {}}
        for role, client in clients.items():
            url = _concrete(path, web, role)
            r = client.request(method, url, **kw)
            if role in allowed or "public" in allowed:
                assert r.status_code not in (401, 403), (role, method, path, r.status_code, r.text)
                if method == "GET" and path in EXISTING:
                    assert r.status_code == 200, (role, method, path, r.text)
            else:
                assert r.status_code == 403, (role, method, path, r.status_code, r.text)
                assert r.json()["code"] == "role_refused"
                assert "需要" in r.json()["message_zh"]
            checked += 1
        r = anonymous.request(method, _concrete(path, web, "anonymous"), **kw)
        if "public" in allowed:
            assert r.status_code != 401, (method, path)
        else:
            assert r.status_code == 401 and r.json()["code"] == "not_signed_in", (method, path, r.text)
    assert checked >= 7 * 35


def test_route_roles_follow_the_ledger_matrix():
    from wengang.casework.roles import ACTIONS

    assert access.ROUTES[("POST", "/api/v1/payments/batches")] == {ACTIONS["pay"].role}
    assert access.ROUTES[("POST", "/api/v1/decisions/{decision_id}/resize")] == {"reviewer"}
    assert access.ROUTES[("POST", "/api/v1/decisions/{decision_id}/confirm")] == {"caseworker", "unit", "person"}
    assert access.ROUTES[("GET", "/api/v1/decisions")] == access.OPERATORS | {"unit", "person"}


"""Who may call which route: ONE table, ``ROUTES`` ((method, path) → the roles allowed).

Roles are the ledger's role codes (``casework.roles.ROLES``: caseworker 经办, reviewer 复核, payer 出纳, auditor
稽核, admin 管理员) plus ``unit`` (单位账户), ``person`` (个人账户) and ``public`` (no sign-in). Ledger steps take
their role from the ledger's own matrix (``roles.ACTIONS``) through ``action(...)``, so the web cannot drift from
the ledger; the ledger checks the operator again on every write.

``app.create_app`` refuses to start while any route is missing from the table, and ``auth.authorize`` (a
dependency of every route) checks the caller against it. A unit or person additionally sees only its own
records (``auth.own``).
"""

from __future__ import annotations

from wengang.casework.roles import ACTIONS, ROLES

OPERATORS = frozenset(ROLES)
PORTAL = frozenset({"unit", "person"})
PUBLIC = frozenset({"public"})
SIGNED_IN = OPERATORS | PORTAL
ROLE_ZH = {**ROLES, "unit": "单位账户", "person": "个人账户", "public": "无需登录"}


def action(code: str, *also: str) -> frozenset[str]:
    """The role the ledger's matrix gives ``code`` (any operator role for reads), plus ``also``."""
    role = ACTIONS[code].role
    return frozenset(OPERATORS if role is None else {role}) | frozenset(also)


def union(*codes: str) -> frozenset[str]:
    return frozenset().union(*(action(c) for c in codes))


# 政策模拟测算 (issue 15): the policy and fund staff's tool. The ledger has no 政策 role, so it goes to the 管理员
# (who keeps the policy set and the service) and the 稽核 (fund reports, 要情报告); it writes nothing to the ledger.
POLICY = frozenset({"admin", "auditor"})
# the risk-flag queue is read by the 稽核 (who acts on it) and the 复核 (second pair of eyes); acting: 稽核 only
RISK_READERS = action("risk_review", "reviewer")

V1 = "/api/v1"
ROUTES: dict[tuple[str, str], frozenset[str]] = {
    # service
    ("GET", "/healthz"): PUBLIC,
    ("GET", f"{V1}/openapi.json"): PUBLIC,
    ("GET", f"{V1}/docs"): PUBLIC,
    # sign-in (JSON)
    ("POST", f"{V1}/auth/login"): PUBLIC,
    ("POST", f"{V1}/auth/logout"): SIGNED_IN,
    ("GET", f"{V1}/auth/me"): SIGNED_IN,
    # the rules: anyone signed in may check a case (单位 and 个人 check their own: auth.own_subject)
    ("POST", f"{V1}/evaluate"): SIGNED_IN,
    ("GET", f"{V1}/policies"): SIGNED_IN,
    ("GET", f"{V1}/policies/{{doc_id}}"): SIGNED_IN,
    ("GET", f"{V1}/parameters/{{name}}/timeline"): SIGNED_IN,
    # screening runs (免申即享): started by a 经办, read by any operator, imported into the ledger by a 经办
    ("GET", f"{V1}/screening/folders"): action("read"),
    ("POST", f"{V1}/screening/uploads"): action("import"),
    ("POST", f"{V1}/screening/runs"): action("import"),
    ("GET", f"{V1}/screening/runs"): action("read"),
    ("GET", f"{V1}/screening/runs/{{job_id}}"): action("read"),
    ("GET", f"{V1}/screening/runs/{{job_id}}/results"): action("read"),
    ("GET", f"{V1}/screening/runs/{{job_id}}/files/{{name}}"): action("read"),
    ("POST", f"{V1}/screening/runs/{{job_id}}/import"): action("import"),
    # decisions (a unit or person: its own only)
    ("GET", f"{V1}/decisions"): action("read", "unit", "person"),
    ("GET", f"{V1}/decisions/{{decision_id}}"): action("read", "unit", "person"),
    ("GET", f"{V1}/decisions/{{decision_id}}/explanation"): action("read", "unit", "person"),
    ("POST", f"{V1}/decisions/{{decision_id}}/confirm"): action("confirm", "unit", "person"),
    ("POST", f"{V1}/decisions/{{decision_id}}/decline"): action("decline", "unit", "person"),
    ("GET", f"{V1}/decisions/{{decision_id}}/reviews"): action("read"),
    # 初审 needs 经办, 复审 needs 复核: the route takes either, the stage's own check is in the handler
    ("POST", f"{V1}/decisions/{{decision_id}}/reviews"): union("first_review", "second_review"),
    ("POST", f"{V1}/decisions/{{decision_id}}/payments"): action("pay"),
    ("POST", f"{V1}/decisions/{{decision_id}}/resize"): action("resize"),
    ("POST", f"{V1}/decisions/{{decision_id}}/readings"): action("resolve"),
    ("POST", f"{V1}/decisions/{{decision_id}}/resolution"): action("resolve"),
    # payments and recoveries
    ("GET", f"{V1}/payments"): action("read"),
    ("POST", f"{V1}/payments/batches"): action("pay"),
    ("POST", f"{V1}/payments/{{payment_id}}/bounce"): action("bounce"),
    ("GET", f"{V1}/recoveries"): action("read"),
    ("POST", f"{V1}/recoveries/{{recovery_id}}/receipts"): action("recovery_receipt"),
    ("GET", f"{V1}/balances"): action("read", "unit", "person"),
    ("GET", f"{V1}/audit/verify"): action("read"),
    # 告知 and sending (经办)
    ("POST", f"{V1}/notices/notify"): action("notify"),
    ("POST", f"{V1}/notices/send"): action("send"),
    ("GET", f"{V1}/notices"): action("read"),
    # 公示: the list (经办), its document (经办)
    ("POST", f"{V1}/publicity/lists"): action("publicize"),
    ("GET", f"{V1}/publicity/lists/{{list_key}}"): action("read"),
    ("GET", f"{V1}/publicity/lists/{{list_key}}/document"): action("publicity_doc"),
    # 决定书、告知书 (经办)
    ("GET", f"{V1}/decisions/{{decision_id}}/letter"): action("letter"),
    ("GET", f"{V1}/letters"): action("letter"),
    # bank files (出纳); the bank's return is recorded as bounces and confirmations (出纳)
    ("POST", f"{V1}/payments/batches/{{batch_key}}/bank-file"): action("bank_file"),
    ("GET", f"{V1}/bank-files/{{file_key}}/{{fmt}}"): action("bank_file"),
    ("POST", f"{V1}/bank-returns"): action("bounce"),
    ("POST", f"{V1}/payee-banks"): action("account"),
    # payee accounts: requested by a 出纳, approved by a 复核 who did not request it (four eyes)
    ("POST", f"{V1}/decisions/{{decision_id}}/account"): action("account"),
    ("GET", f"{V1}/account-changes"): action("read"),
    ("POST", f"{V1}/account-changes/{{change_id}}/approval"): action("approve_account"),
    # recoveries ordered (经办)
    ("POST", f"{V1}/decisions/{{decision_id}}/recoveries"): action("recover"),
    ("POST", f"{V1}/recoveries/duplicates"): action("recover"),
    # an approval revoked after a confirmed risk flag (复核, not the 稽核 who confirmed it: the ledger checks)
    ("POST", f"{V1}/decisions/{{decision_id}}/revocation"): action("revoke"),
    # a 技能提升补贴 application: the person themself (auth.own), or a 经办 registering it
    ("POST", f"{V1}/applications/skill-subsidy"): action("apply", "person"),
    # 政策模拟测算 (nothing is written to the ledger)
    ("POST", f"{V1}/simulations"): POLICY,
    ("GET", f"{V1}/simulations/{{sim_id}}"): POLICY,
    # sign-in pages (forms, CSRF-protected)
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): SIGNED_IN,
    ("GET", "/"): PUBLIC,
    # pages (web/pages): the office's — every operator reads; a step takes the role the ledger gives it
    ("GET", "/dashboard"): action("read"),
    ("GET", "/screening"): action("read"),
    ("POST", "/screening"): action("import"),
    ("GET", "/screening/{job_id}"): action("read"),
    ("POST", "/screening/{job_id}/import"): action("import"),
    ("GET", "/decisions"): action("read"),
    ("GET", "/decisions/{decision_id}"): action("read", "unit", "person"),
    ("POST", "/decisions/{decision_id}/confirm"): action("confirm", "unit", "person"),
    ("POST", "/decisions/{decision_id}/decline"): action("decline", "unit", "person"),
    ("POST", "/decisions/{decision_id}/review"): union("first_review", "second_review"),
    ("POST", "/decisions/{decision_id}/readings"): action("resolve"),
    ("POST", "/decisions/{decision_id}/resolution"): action("resolve"),
    # a payee account requested by the 出纳 (as POST /api/v1/decisions/{id}/account); a 复核 approves it
    ("POST", "/decisions/{decision_id}/account"): action("account"),
    ("GET", "/queues/review"): union("first_review", "second_review", "approve_account", "credit_check"),
    ("POST", "/queues/review"): union("first_review", "second_review"),
    ("POST", "/queues/review/accounts"): action("approve_account"),
    # a credit the bank reported after a bounce: the 复核 records what was checked (not who recorded the bounce)
    ("POST", "/queues/review/credit-check"): action("credit_check"),
    ("GET", "/queues/payment"): action("pay"),
    ("POST", "/queues/payment"): action("pay"),
    ("GET", "/publicity"): action("read"),
    ("POST", "/publicity"): action("publicize"),
    ("GET", "/publicity/{list_key}/pdf"): action("publicity_doc"),
    ("GET", "/publicity/{list_key}/xlsx"): action("publicity_doc"),
    ("GET", "/simulations"): POLICY,
    ("POST", "/simulations"): POLICY,
    ("GET", "/simulations/{sim_id}"): POLICY,
    ("GET", "/simulations/{sim_id}/xlsx"): POLICY,
    ("GET", "/simulations/{sim_id}/html"): POLICY,
    # 风险疑点核查: the 稽核 clears or confirms (the ledger records each verdict as an audit event)
    ("GET", "/risk"): RISK_READERS,
    ("POST", "/risk/{flag_id}/clear"): action("risk_review"),
    ("POST", "/risk/{flag_id}/confirm"): action("risk_review"),
    # what left the office: notices sent (outbox) and bank files with the bank's returns (read-only lists)
    ("GET", "/notices"): action("read"),
    ("GET", "/bank-files"): action("read"),
    # the same steps as the JSON API's: 告知 and sending (经办), the bank file and payee banks (出纳)
    ("POST", "/notices/notify"): action("notify"),
    ("POST", "/notices/send"): action("send"),
    ("POST", "/bank-files"): action("bank_file"),
    ("POST", "/bank-files/payee-banks"): action("account"),
    # the bank's return file, uploaded on the page: the role of POST /api/v1/bank-returns
    ("POST", "/bank-files/returns"): action("bounce"),
    # pages: a unit's and a person's own
    ("GET", "/unit"): frozenset({"unit"}),
    ("GET", "/person"): frozenset({"person"}),
    ("POST", "/person/check"): frozenset({"person"}),
    ("POST", "/person/apply"): frozenset({"person"}),
    # pages open to anyone: the eligibility checker (stores nothing) and the policy browser (the law is public)
    ("GET", "/check"): PUBLIC,
    ("POST", "/check"): PUBLIC,
    ("GET", "/policies"): PUBLIC,
    ("GET", "/policies/{doc_id}"): PUBLIC,
    ("GET", "/parameters/{name}"): PUBLIC,
    ("GET", "/ceilings"): PUBLIC,
}


def may_approve_accounts(p: object) -> bool:
    """The caller may approve payee-account changes (the role ``roles.ACTIONS["approve_account"]`` gives, a 复核):
    the one audience that sees a requested account number in full, on the pending changes it compares with the
    unit's papers (``wengang case account-requests`` does the same; docs/decisions.md §103). Everyone else, and
    every other response and log line, gets the masked number."""
    return getattr(p, "kind", None) == "operator" and bool(set(getattr(p, "roles", ())) & action("approve_account"))


def roles_zh(roles: frozenset[str]) -> str:
    return "、".join(ROLE_ZH[r] for r in (*ROLES, "unit", "person", "public") if r in roles)

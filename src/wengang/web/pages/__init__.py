"""The server-rendered pages (zh-CN), one ``router`` that ``app.create_app`` includes.

* ``office``: the operators' pages — dashboard, screening runs, decisions, the review and payment queues, 公示;
* ``portal``: a 单位's and a 个人's own pages (confirm or decline a refund; check and apply for 技能提升补贴);
* ``public``: the eligibility checker and the policy browser, open without signing in.

Who may open which page: ``access.ROUTES`` (the same one table as the JSON API). Templates: ``templates/pages/``;
no inline script and no ``style=`` (the CSP forbids both); charts are server-rendered SVG (``reports.charts``).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

router = APIRouter()


@router.get("/", include_in_schema=False)
def home(request: Request) -> Response:
    from .common import page

    return page(request, "home.html")


from . import office, oversight, portal, public, simulation  # noqa: E402,F401  (their routes register on ``router``)

"""The web service (issue 14): a JSON API under ``/api/v1`` and server-rendered pages, a thin layer over the
same service functions the command line uses (rules: ``wengang.evaluate``; ledger: ``wengang.casework``).

``create_app(config)`` in ``app.py`` builds the FastAPI application; ``wengang serve`` runs it with uvicorn.
Who may call what is ONE table, ``access.ROUTES``; authentication and ownership checks are in ``auth.py``.
"""

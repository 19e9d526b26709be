"""One error type for documents that cannot be produced or read; ``str(exc)`` is Chinese (English after)."""

from __future__ import annotations


class DocumentError(ValueError):
    """Input from which a document must not be built, or a file that must not be accepted."""

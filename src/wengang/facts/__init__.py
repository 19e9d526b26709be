"""Input facts: one-case models (pydantic) and identifier validators."""

"""免申即享 screening: ingest, validate, derive features, evaluate the rules over whole regions."""

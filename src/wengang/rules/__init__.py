"""The rules engine: expressions, checks, trace, explanation, and the batch compiler."""

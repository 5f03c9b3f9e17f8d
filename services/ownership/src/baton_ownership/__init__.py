"""Ownership: every routed issue gets exactly one accountable owner."""

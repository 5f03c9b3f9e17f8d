"""Decisions: which department must fix an issue, and why; each one is recorded."""

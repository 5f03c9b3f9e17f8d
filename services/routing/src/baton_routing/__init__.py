"""Routing: picks the department that must fix an issue, and says why."""

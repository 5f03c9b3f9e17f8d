"""Notifications: tells liaisons what Baton asks of them, reliably and never twice."""

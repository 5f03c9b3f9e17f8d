"""Baton's shared kernel: what every service needs, and nothing service-specific."""

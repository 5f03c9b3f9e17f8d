"""Baton workspace: where people work their issues and everyone sees where issues stall."""

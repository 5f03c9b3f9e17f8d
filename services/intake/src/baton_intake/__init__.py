"""Intake: takes issues in from every channel and publishes ``IssueReported``."""

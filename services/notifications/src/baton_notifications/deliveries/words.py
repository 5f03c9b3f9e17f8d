"""What a notice calls things, per language (the templates say the rest), and how
it writes a time: in the recipient's time zone, the way their language does."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

LANGUAGES = ("en", "de")
FALLBACK = "en"

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "hello": "Hello",
        "reference": "Reference",
        "subject": "Subject",
        "priority": "Priority",
        "channel": "Channel",
        "reported_by": "Reported by",
        "customer": "a customer",
        "employee": "an employee",
        "employee_of": "an employee of {department} (internal)",
        "department": "Department",
        "why_here": "Why this department",
        "acknowledge_by": "Acknowledge by",
        "resolve_by": "Resolve by",
        "deadline": "Deadline",
        "they_wrote": "What was reported",
        "new_text": "What the reporter wrote now",
        "open": "Open the issue",
        "acknowledge": "Acknowledge it",
        "acknowledge_note": "The acknowledge link shows a page first; it acts only when you "
        "press its button, once.",
        "signature": "Baton",
    },
    "de": {
        "hello": "Hallo",
        "reference": "Referenz",
        "subject": "Betreff",
        "priority": "Priorität",
        "channel": "Kanal",
        "reported_by": "Gemeldet von",
        "customer": "einem Kunden",
        "employee": "einem Mitarbeiter",
        "employee_of": "einem Mitarbeiter aus {department} (intern)",
        "department": "Abteilung",
        "why_here": "Warum diese Abteilung",
        "acknowledge_by": "Bestätigen bis",
        "resolve_by": "Lösen bis",
        "deadline": "Frist",
        "they_wrote": "Was gemeldet wurde",
        "new_text": "Was der Meldende jetzt schrieb",
        "open": "Vorgang öffnen",
        "acknowledge": "Übernahme bestätigen",
        "acknowledge_note": "Der Bestätigungslink zeigt zuerst eine Seite; er wirkt erst, "
        "wenn Sie dort den Knopf drücken, und nur einmal.",
        "signature": "Baton",
    },
}
PRIORITIES = {
    "en": {"low": "low", "normal": "normal", "high": "high", "urgent": "urgent"},
    "de": {"low": "niedrig", "normal": "normal", "high": "hoch", "urgent": "dringend"},
}
_TIME = {"en": "%Y-%m-%d %H:%M %Z", "de": "%d.%m.%Y %H:%M %Z"}


def language_of(*choices: str | None) -> str:
    """The first of ``choices`` Baton has templates for ("de-AT" counts as "de")."""
    for choice in choices:
        short = (choice or "").split("-")[0].split("_")[0].lower()
        if short in LANGUAGES:
            return short
    return FALLBACK


def when(moment: datetime | None, *, zone: ZoneInfo, language: str) -> str | None:
    return moment.astimezone(zone).strftime(_TIME[language]) if moment else None

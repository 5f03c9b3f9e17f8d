"""A message to a reporter, from Jinja2 templates per kind and language
(``templates/<language>/<kind>.j2``, in a layout per language): plain text, and
HTML with everything the reporter or a person wrote autoescaped. The subject
keeps the reporter's own, with the reference in it, so that mail clients thread
it and intake matches their answer: ``Re: [BTN-XXXX] <subject>``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from baton_intake.outbound.language import FALLBACK, LANGUAGES

_DIR = Path(__file__).parent / "templates"
_ENVS = {
    escape: Environment(
        loader=FileSystemLoader(_DIR), autoescape=escape, undefined=StrictUndefined,
        trim_blocks=True, lstrip_blocks=True,
    )
    for escape in (False, True)
}  # fmt: skip
_TIME = {"en": "%d %b %Y, %H:%M %Z", "de": "%d.%m.%Y, %H:%M %Z"}


@dataclass(frozen=True)
class Letter:
    subject: str
    text: str
    html: str
    language: str


def team(department: str | None) -> str | None:
    """A department as a reporter reads it: "customer_service" is "Customer service",
    "it" is "IT"."""
    if not department:
        return None
    return department.upper() if len(department) <= 3 else department.replace("_", " ").capitalize()


def subject_line(reference: str, subject: str) -> str:
    return f"Re: [{reference}] {subject}"


def letter(
    kind: str,
    *,
    language: str,
    reference: str,
    subject: str,
    zone: ZoneInfo,
    signature: str,
    route: str,
    internal: bool = False,
    department: str | None = None,
    owner_name: str | None = None,
    due_at: datetime | None = None,
    rating_link: str | None = None,
    body: dict[str, Any] | None = None,
) -> Letter:
    language = language if language in LANGUAGES else FALLBACK
    body = body or {}
    values = {
        "ref": reference,
        "subject": subject_line(reference, subject),
        "subject_of_issue": subject,
        "signature": signature,
        "route": route,
        "internal": internal,
        "department": team(body.get("department") or department),
        "owner_name": owner_name,
        "due": due_at.astimezone(zone).strftime(_TIME[language]) if due_at else None,
        "rating_link": rating_link,
        "author": body.get("author"),
        "text": body.get("text"),
    }
    name = f"{language}/{kind}.j2"
    text = _ENVS[False].get_template(name).render(values, layout=f"{language}/layout.txt.j2")
    html = _ENVS[True].get_template(name).render(values, layout=f"{language}/layout.html.j2")
    return Letter(subject=values["subject"], text=text.strip() + "\n", html=html, language=language)

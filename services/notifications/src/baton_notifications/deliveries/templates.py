"""Jinja2 templates per kind of notice and language: ``<language>/<kind>.j2``
fills the blocks ``what`` (what happened, for the subject line) and ``ask``
(what is asked of the recipient); the layouts ``layout.txt.j2`` and
``layout.html.j2`` add what the issue is (reference, subject, priority, channel,
who reported it, department, why it was routed there, deadlines, the start of
its description, what the reporter wrote now) and the links. HTML is
autoescaped; plain text is not. Subject: ``[BTN-XXXX] <subject> — <what happened>``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from baton_contracts import Person
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import BaseModel

from baton_notifications.deliveries import words
from baton_notifications.issues.models import IssueCopy

_DIR = Path(__file__).parent / "templates"
# Plain text (an email's text part, chat and webhook bodies) has no markup: escaping
# would show a reader "&amp;". Only HTML is rendered with autoescape. Each template
# is compiled once and kept; auto_reload off: the files ship with the package, so
# asking the file system whether one changed (a stat per template, per notice) is waste.
_text = Environment(  # nosec B701 - plain text, never served as HTML
    loader=FileSystemLoader(_DIR),
    autoescape=False,
    undefined=StrictUndefined,
    trim_blocks=True,
    auto_reload=False,
)
_html = Environment(
    loader=FileSystemLoader(_DIR),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    auto_reload=False,
)
EXCERPT_CHARS = 500


@dataclass(frozen=True)
class About:
    """What a notice says besides its kind: the issue, where to open it (and to
    acknowledge it), the recipient's language and time zone, new words."""

    issue: IssueCopy
    link: str
    language: str = words.FALLBACK
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    acknowledge_link: str | None = None
    new_text: str | None = None


@dataclass(frozen=True)
class Rendered:
    subject: str
    ask: str
    text: str
    html: str
    link: str
    acknowledge_link: str | None
    facts: list[tuple[str, str]]
    excerpt: str | None
    new_text: str | None
    labels: dict[str, str] = field(default_factory=dict)


def excerpt(text: str | None, limit: int = EXCERPT_CHARS) -> str | None:
    if not text:
        return None
    return text if len(text) <= limit else text[:limit].rstrip() + " …"


def facts(
    issue: IssueCopy, *, department: str, due_at: datetime | None, about: About
) -> list[tuple[str, str]]:
    """(label, value) for what is known of the issue, in the recipient's language."""
    t, lang = words.LABELS[about.language], about.language

    def at(moment: datetime | None) -> str | None:
        return words.when(moment, zone=about.zone, language=lang)

    if issue.internal:
        by = t["employee_of"].format(department=issue.reporter_department or "?")
    else:
        by = t["customer"] if issue.channel else None
    rows = [
        (t["reference"], issue.reference),
        (t["subject"], issue.subject),
        (t["priority"], words.PRIORITIES[lang].get(issue.priority or "", issue.priority)),
        (t["channel"], issue.channel),
        (t["reported_by"], by),
        (t["department"], department or issue.department),
        (t["why_here"], issue.routing_reason),
        (t["deadline"], at(due_at)),
        (t["acknowledge_by"], at(issue.acknowledge_due_at) if not due_at else None),
        (t["resolve_by"], at(issue.resolve_due_at) if not due_at else None),
    ]
    return [(label, str(value)) for label, value in rows if value]


def render(
    kind: str, *, event: BaseModel, person: Person, due_at: datetime | None, about: About
) -> Rendered:
    issue = about.issue
    department: str = getattr(event, "department", "") or issue.department or ""
    values = {
        "event": event,
        "name": person.name,
        "ref": issue.reference,
        "department": department,
        "language": about.language,
        "t": words.LABELS[about.language],
        "facts": facts(issue, department=department, due_at=due_at, about=about),
        "excerpt": excerpt(issue.description),
        "new_text": about.new_text,
        "link": about.link,
        "ack_link": about.acknowledge_link,
    }
    name = f"{about.language}/{kind}.j2"
    text_t = _text.get_template(name)
    what, ask = (
        "".join(text_t.blocks[block](text_t.new_context(values))).strip()
        for block in ("what", "ask")
    )
    subject = (
        f"[{issue.reference}] {issue.subject} — {what}"
        if issue.subject
        else (f"[{issue.reference}] {what}")
    )
    values["subject_line"] = subject
    return Rendered(
        subject=subject,
        ask=ask,
        text=text_t.render(values, layout="layout.txt.j2"),
        html=_html.get_template(name).render(values, layout="layout.html.j2"),
        link=about.link,
        acknowledge_link=about.acknowledge_link,
        facts=values["facts"],  # type: ignore[arg-type]
        excerpt=values["excerpt"],  # type: ignore[arg-type]
        new_text=about.new_text,
        labels=words.LABELS[about.language],
    )

"""Jinja2 templates per kind of notice: each ``<kind>.j2`` fills the blocks
``subject`` and ``ask`` (what is asked of the recipient); the layouts
``layout.txt.j2`` and ``layout.html.j2`` add the issue reference, the deadline
and the link. HTML is autoescaped; plain text is not."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from baton_contracts import Person
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from pydantic import BaseModel

_DIR = Path(__file__).parent / "templates"
# Plain text (an email's text part, chat and webhook bodies) has no markup: escaping
# would show a reader "&amp;". Only HTML is rendered with autoescape.
_text = Environment(  # nosec B701 - plain text, never served as HTML
    loader=FileSystemLoader(_DIR), autoescape=False, undefined=StrictUndefined, trim_blocks=True
)
_html = Environment(
    loader=FileSystemLoader(_DIR), autoescape=True, undefined=StrictUndefined, trim_blocks=True
)


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str
    link: str


def render(
    kind: str,
    *,
    event: BaseModel,
    person: Person,
    due_at: datetime | None,
    public_base_url: str,
) -> Rendered:
    issue_id: str = event.issue_id  # type: ignore[attr-defined]
    link = f"{public_base_url.rstrip('/')}/v1/issues/{issue_id}"
    values = {
        "event": event,
        "name": person.name,
        "issue_id": issue_id,
        "ref": issue_id[:8],
        "department": getattr(event, "department", ""),
        "due_at": due_at.strftime("%Y-%m-%d %H:%M UTC") if due_at else None,
        "link": link,
    }
    text_t = _text.get_template(f"{kind}.j2")
    subject = "".join(text_t.blocks["subject"](text_t.new_context(values))).strip()
    text = text_t.render(values, layout="layout.txt.j2")
    html = _html.get_template(f"{kind}.j2").render(values, layout="layout.html.j2")
    return Rendered(subject=f"[Baton] {subject}", text=text, html=html, link=link)

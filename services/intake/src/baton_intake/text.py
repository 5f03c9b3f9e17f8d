"""Normalized text: what intake keeps and publishes is plain, safe text.

Every text field from every door passes through ``safe_text``: control
characters go, HTML becomes its visible text (script and style content
dropped), and no tag survives, not even one that was entity-escaped.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# C0 and C1 controls except tab and newline; also DEL and the bidi overrides
# that can make text read differently from what it is.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_TAG_LIKE = re.compile(r"<\s*/?\s*[a-zA-Z!?][^<>]*>")
_BLANK_LINES = re.compile(r"\n{3,}")
_SPACES = re.compile(r"[ \t\xa0]+")
_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|vs|tr)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_TOKEN = re.compile(r"\[?\bBTN-[0-9A-F]{8}\b\]?", re.IGNORECASE)

_SKIP = {"script", "style", "head", "template", "noscript", "iframe", "object", "svg", "math"}
_BLOCK = {
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6",
    "blockquote", "pre", "table", "ul", "ol", "hr", "section", "article",
}  # fmt: skip


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self._skipping += 1
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


def strip_controls(text: str) -> str:
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def safe_text(text: str) -> str:
    """Plain text with no control characters and no markup, blanks tidied."""
    text = strip_controls(text)
    # Unescaping can reveal a tag ("&lt;script&gt;"): parse again until nothing
    # changes, then drop whatever still looks like a tag.
    for _ in range(5):
        cleaned = html_to_text(text) if "<" in text or "&" in text else text
        if cleaned == text:
            break
        text = cleaned
    text = _TAG_LIKE.sub("", text)
    text = strip_controls(text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def one_line(text: str) -> str:
    return " ".join(safe_text(text).split())


def normalized_subject(subject: str) -> str:
    """What makes two subjects "the same": no reply prefixes, no token, any case."""
    subject = _TOKEN.sub(" ", _REPLY_PREFIX.sub("", one_line(subject)))
    return " ".join(re.sub(r"[^\w\s]", " ", subject.casefold()).split())[:200]


def find_reference(subject: str) -> str | None:
    found = _TOKEN.search(subject)
    return found.group(0).strip("[]").upper() if found else None


def strip_reply_prefix(subject: str) -> str:
    return _REPLY_PREFIX.sub("", subject).strip()

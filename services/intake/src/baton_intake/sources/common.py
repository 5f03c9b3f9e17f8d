"""What the sources share."""

from __future__ import annotations

import hashlib

from baton_intake.text import one_line

NO_SUBJECT = "(no subject)"


def subject_from(text: str, *, limit: int = 120) -> str:
    """A subject for doors that have none: the first line of the text, shortened."""
    first = next((one_line(line) for line in text.splitlines() if one_line(line)), "")
    if len(first) > limit:
        first = first[: limit - 1].rstrip() + "…"
    return first or NO_SUBJECT


def opaque_ref(value: str, prefix: str) -> str:
    """An external ref that names the original without carrying it into events
    (a Message-ID or a post URL may contain an address or a handle)."""
    return f"{prefix}-{hashlib.sha256(value.encode()).hexdigest()[:40]}"


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"

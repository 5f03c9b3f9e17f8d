"""The bench's SMTP server: accepts every message, stamps when it arrived and
which issue it is about, and appends one JSON line per message to a file that
the bench reads as it goes. Its own process, so that parsing mail takes no time
from the load generator.

    python -m bench.e2e.sink --port 18125 --out mails.jsonl

Notifications' owner notice (template ``assigned.j2``) has the subject
"[Baton] You own issue <first 8 characters of the id> for <department>" and the
line "Issue: <issue id> (<department>)" in its plain-text part.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import re
import signal
import threading
import time
from pathlib import Path
from typing import IO

from aiosmtpd.controller import Controller

_ISSUE_LINE = re.compile(
    rb"^Issue: ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})", re.M
)
_SUBJECT = re.compile(rb"^Subject: (.*)$", re.M)
# Subject prefixes of each kind of notice (notifications' templates), most specific first.
_KINDS = [
    ("You own issue", "assigned"),
    ("Deadline near", "deadline_near"),
    ("Escalated to you", "escalated"),
    ("Hand-off of issue", "handoff_requested"),
    ("Your hand-off", "handoff_accepted"),
    ("declined issue", "handoff_declined"),
    ("for help on issue", "help_requested"),
    ("answered your help request", "help_answered"),
    ("is resolved", "resolved"),
]


def kind_of(subject: str) -> str:
    for marker, kind in _KINDS:
        if marker in subject:
            return kind
    return "other"


def parse(raw: bytes) -> tuple[str | None, str]:
    """(issue id, kind of notice) of one message. The raw bytes are searched
    first (cheap); the MIME parser only when that finds nothing (an encoded body)."""
    issue = _ISSUE_LINE.search(raw)
    subject = _SUBJECT.search(raw)
    if issue and subject:
        return issue.group(1).decode(), kind_of(subject.group(1).decode(errors="replace"))
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    body = msg.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    found = _ISSUE_LINE.search(text.encode())
    return (found.group(1).decode() if found else None), kind_of(str(msg.get("Subject", "")))


class Recorder:
    """aiosmtpd handler: one JSON line per message, flushed at once (the bench
    tails the file to know what arrived)."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        received = time.time()
        issue_id, kind = parse(envelope.original_content or envelope.content)
        line = json.dumps({"received": received, "issue_id": issue_id, "kind": kind})
        with self.lock:
            self.out.write(line + "\n")
            self.out.flush()
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    with args.out.open("a", encoding="utf-8") as out:
        controller = Controller(Recorder(out), hostname="127.0.0.1", port=args.port)
        controller.start()
        print(f"sink: listening on 127.0.0.1:{args.port}", flush=True)
        try:
            stop.wait()
        finally:
            controller.stop()


if __name__ == "__main__":
    main()

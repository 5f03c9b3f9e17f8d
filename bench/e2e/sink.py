"""The bench's SMTP server: accepts every message, stamps when it arrived and
which issue it is about, and appends one JSON line per message to a file that
the bench reads as it goes. Its own process, so that parsing mail takes no time
from the load generator.

    python -m bench.e2e.sink --port 18125 --out mails.jsonl

Every notice notifications sends carries the headers ``X-Baton-Issue`` (the
issue's id), ``X-Baton-Kind`` (``assigned`` for the owner's notice, and so on)
and ``X-Baton-Event``: the sink reads those, never the wording of a template.
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

_ISSUE = re.compile(
    rb"^X-Baton-Issue: ([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\r?$",
    re.M | re.I,
)
_KIND = re.compile(rb"^X-Baton-Kind: ([a-z_]+)\r?$", re.M | re.I)


def parse(raw: bytes) -> tuple[str | None, str]:
    """(issue id, kind of notice) of one message, from its headers. Only the
    header block is searched (a body could quote another notice); the MIME
    parser only when the regular expressions find nothing (folded headers)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    issue, kind = _ISSUE.search(head), _KIND.search(head)
    if issue and kind:
        return issue.group(1).decode(), kind.group(1).decode()
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    return msg.get("X-Baton-Issue"), str(msg.get("X-Baton-Kind") or "other")


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

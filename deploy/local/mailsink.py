"""Local SMTP sink for `make run`: accepts every message and delivers none.

Each message received on 127.0.0.1:$BATON_SMTP_PORT (default 8025) is saved as
<state>/mail/<timestamp>-<n>.eml, where <state> is $BATON_STATE_DIR (default
<repo>/.run), and announced with one line on stdout. The envelope sender and
recipients are added as X-Envelope-From / X-Envelope-To headers, so Bcc
recipients show in the file too. Runs until SIGINT or SIGTERM.

Needs aiosmtpd (installed in the project virtualenv).
"""

from __future__ import annotations

import argparse
import email
import email.policy
import itertools
import os
import signal
import threading
from datetime import UTC, datetime
from pathlib import Path

from aiosmtpd.controller import Controller

REPO = Path(__file__).resolve().parents[2]


class SaveToFiles:
    """aiosmtpd handler writing each message to its own .eml file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope) -> str:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        path = self.directory / f"{stamp}-{next(self.counter)}.eml"
        rcpts = ", ".join(envelope.rcpt_tos)
        headers = f"X-Envelope-From: {envelope.mail_from}\r\nX-Envelope-To: {rcpts}\r\n"
        path.write_bytes(headers.encode() + envelope.original_content)
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        print(f"mail to {rcpts}: {msg.get('Subject', '(no subject)')} -> {path}", flush=True)
        return "250 Message accepted for delivery"


def main() -> None:
    state = Path(os.environ.get("BATON_STATE_DIR") or REPO / ".run")
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("BATON_SMTP_PORT", "8025")),
        help="port to listen on at 127.0.0.1 (default: $BATON_SMTP_PORT or 8025)",
    )
    parser.add_argument(
        "--dir",
        type=Path,
        default=state / "mail",
        help="where to write the .eml files (default: %(default)s)",
    )
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)

    # aiosmtpd serves from its own thread; the main thread only waits for a
    # signal, so that both Ctrl-C and `kill` stop the server cleanly.
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    controller = Controller(
        SaveToFiles(args.dir), hostname="127.0.0.1", port=args.port, enable_SMTPUTF8=True
    )
    try:
        controller.start()
    except OSError as e:  # typically: port already in use
        raise SystemExit(f"mailsink: {e} (set BATON_SMTP_PORT or --port)") from None
    print(f"mailsink: listening on 127.0.0.1:{args.port}, saving mail to {args.dir}", flush=True)
    try:
        stop.wait()
    finally:
        controller.stop()
    print("mailsink: stopped", flush=True)


if __name__ == "__main__":
    main()

"""What reusing SMTP connections saves a service that sends mail, measured as
intake sends its answers to reporters: the kernel's ``Mailer``
(``baton_runtime.smtp``, connections kept open) against a connection per message
(``aiosmtplib.send``, as intake sent them before), alternately, in one run.

The mail server is a real one (aiosmtpd's ``Sink``, which accepts and drops)
in a process of its own, so that the CPU counted is the sender's alone. Each
round sends the same messages, one after another as intake's sender does,
and records the sender's CPU and wall time per message. Writes results.json
and results.md beside this file.

    .venv/bin/python -m bench.smtp.reuse [--messages 400] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib
from aiosmtplib.email import flatten_message
from baton_runtime.smtp import Mailer, SmtpSettings

HERE = Path(__file__).resolve().parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _message(n: int) -> EmailMessage:
    """An acknowledgement of intake's shape: text with an HTML alternative."""
    msg = EmailMessage()
    msg["From"] = "Customer service <support@shop.example>"
    msg["To"] = f"reporter{n}@example.com"
    msg["Subject"] = f"Re: [BTN-{n:04d}] Where is my order?"
    msg["Message-ID"] = f"<baton.bench{n}@shop.example>"
    msg["Auto-Submitted"] = "auto-replied"
    text = "We have your message and are passing it to the team that can fix it.\n" * 6
    msg.set_content(text)
    msg.add_alternative(f"<p>{text}</p>", subtype="html")
    return msg


async def _each_its_own(settings: SmtpSettings, messages: list[EmailMessage]) -> None:
    for msg in messages:
        await aiosmtplib.send(msg, hostname=settings.smtp_host, port=settings.smtp_port, timeout=10)


async def _reused(settings: SmtpSettings, messages: list[EmailMessage]) -> None:
    mailer = Mailer(settings)
    try:
        for msg in messages:
            await mailer.send_message(msg)
    finally:
        await mailer.close()


async def _flattened_only(settings: SmtpSettings, messages: list[EmailMessage]) -> None:
    for msg in messages:
        flatten_message(msg)


WAYS = {
    "a connection per message": _each_its_own,
    "kept open (Mailer)": _reused,
    "no sending: the message flattened only": _flattened_only,
}


def _round(way: str, settings: SmtpSettings, messages: list[EmailMessage]) -> dict[str, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    asyncio.run(WAYS[way](settings, messages))
    n = len(messages)
    return {
        "cpu_ms_per_message": 1000 * (time.process_time() - cpu) / n,
        "wall_ms_per_message": 1000 * (time.perf_counter() - wall) / n,
    }


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--messages", type=int, default=400)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--out", type=Path, default=HERE)
    args = p.parse_args(argv)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
         "-c", "aiosmtpd.handlers.Sink"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        for _ in range(100):  # until it listens
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        settings = SmtpSettings(smtp_host="127.0.0.1", smtp_port=port, smtp_connections=1)
        messages = [_message(n) for n in range(args.messages)]
        _round("kept open (Mailer)", settings, messages[:20])  # warm-up
        rounds: dict[str, list[dict[str, float]]] = {way: [] for way in WAYS}
        for _ in range(args.rounds):
            for way in WAYS:
                rounds[way].append(_round(way, settings, messages))
    finally:
        server.terminate()
        server.wait()
    summary = {
        way: {key: statistics.median(r[key] for r in rs) for key in rs[0]}
        for way, rs in rounds.items()
    }
    before, after = summary["a connection per message"], summary["kept open (Mailer)"]
    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": __import__("os").cpu_count(), "python": platform.python_version()},
        "messages": args.messages,
        "rounds": rounds,
        "median": summary,
        "cpu_ratio": round(before["cpu_ms_per_message"] / after["cpu_ms_per_message"], 2),
        "wall_ratio": round(before["wall_ms_per_message"] / after["wall_ms_per_message"], 2),
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "# SMTP: a connection per message against connections kept open",
        "",
        f"Run {results['when']}: {args.messages} messages of intake's shape per round, "
        f"{args.rounds} rounds of each way, alternately, to aiosmtpd's `Sink` in a process "
        f"of its own ({results['machine']['cpus']} CPUs, Python "
        f"{results['machine']['python']}). Medians of the rounds; every round is in "
        "[results.json](results.json). `python -m bench.smtp.reuse` writes both.",
        "",
        "| way | sender's CPU per message | wall time per message |",
        "|---|---:|---:|",
    ]
    for way, m in summary.items():
        lines.append(
            f"| {way} | {m['cpu_ms_per_message']:.2f} ms | {m['wall_ms_per_message']:.2f} ms |"
        )
    lines += [
        "",
        f"On a connection of its own a message costs the sender {results['cpu_ratio']} "
        f"times the CPU, and {results['wall_ratio']} times the time, it costs on one kept "
        "open: a new connection is a TCP handshake, the server's greeting, EHLO and QUIT "
        "(STARTTLS and a login, where the server asks for them, add more). The last row "
        "is the part of either that is the message's own flattening to bytes (the "
        "standard library's `EmailMessage`, as intake wrote its mail when this was "
        "measured; it now writes it with `baton_runtime.mime`, at a sixth to a ninth of "
        "the CPU of building and flattening an `EmailMessage`: [compose.md](compose.md)).",
        "",
    ]
    (args.out / "results.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""What writing one mail for the wire costs the sender: the kernel's
``baton_runtime.mime.compose`` (compat32 MIME classes, headers that need no
folding written as they are) against the standard library's ``EmailMessage``
flattened as a mailer flattens it (``mime.reference`` and aiosmtplib's
``flatten_message``: how intake wrote its answers to reporters before), for
intake's acknowledgement in English and in German. Alternately, in one run, in
this process alone (no server: building and flattening is all the CPU there is).
Writes compose.json and compose.md beside this file.

    .venv/bin/python -m bench.smtp.compose [--messages 2000] [--rounds 5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiosmtplib.email import flatten_message
from baton_runtime import mime

HERE = Path(__file__).resolve().parent

LETTERS = {
    "English": (
        "Re: [BTN-{n:08X}] Where is my order?",
        "Hello,\n\nthank you for your message. Finance (Gita Rao) is looking after it "
        "and aims to resolve it by 26 Nov 2026, 13:00 CET.\n\nYour reference: BTN-{n:08X}\n",
    ),
    "German": (
        "Re: [BTN-{n:08X}] Bestellung fehlt \u2013 wir kümmern uns darum",
        "Guten Tag,\n\nvielen Dank für Ihre Nachricht. Finanzen (Gita Rao) kümmert sich "
        "darum und möchte es bis 26.11.2026, 13:00 CET lösen.\n\nIhre Referenz: BTN-{n:08X}\n",
    ),
}


def _parts(language: str, n: int) -> dict[str, Any]:
    """An acknowledgement of intake's shape, with the headers intake writes."""
    subject, text = LETTERS[language]
    return {
        "mail_from": "Shop support <support@shop.example>",
        "to": f"reporter{n}@example.com",
        "subject": subject.format(n=n),
        "text": text.format(n=n),
        "html": "<p>" + text.format(n=n).replace("\n\n", "</p><p>") + "</p>",
        "headers": {
            "Date": "Wed, 02 Dec 2026 09:00:00 GMT",
            "Message-ID": f"<baton.ack{n}@shop.example>",
            "In-Reply-To": f"<m{n}@example.com>",
            "References": f"<m{n}@example.com>",
            "Content-Language": "de" if language == "German" else "en",
            "Auto-Submitted": "auto-replied",
            "X-Auto-Response-Suppress": "All",
        },
    }


def _standard_library(parts: dict[str, Any]) -> bytes:
    return flatten_message(mime.reference(**parts))


def _compose(parts: dict[str, Any]) -> bytes:
    made = mime.compose(**parts)
    assert not hasattr(made, "get_content"), "an ASCII address is composed, not left to it"
    return made.data  # type: ignore[union-attr]


WAYS: dict[str, Callable[[dict[str, Any]], bytes]] = {
    "EmailMessage, flattened": _standard_library,
    "mime.compose": _compose,
}


def _round(way: str, messages: list[dict[str, Any]]) -> float:
    write = WAYS[way]
    cpu = time.process_time()
    for parts in messages:
        write(parts)
    return 1000 * (time.process_time() - cpu) / len(messages)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--messages", type=int, default=2000)
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--out", type=Path, default=HERE)
    args = p.parse_args(argv)
    rounds: dict[str, dict[str, list[float]]] = {}
    for language in LETTERS:
        messages = [_parts(language, n) for n in range(args.messages)]
        for way in WAYS:
            _round(way, messages[:100])  # warm-up
        rounds[language] = {way: [] for way in WAYS}
        for _ in range(args.rounds):
            for way in WAYS:
                rounds[language][way].append(_round(way, messages))
    median = {
        language: {way: statistics.median(ms) for way, ms in ways.items()}
        for language, ways in rounds.items()
    }
    ratio = {
        language: round(m["EmailMessage, flattened"] / m["mime.compose"], 2)
        for language, m in median.items()
    }
    results = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "messages": args.messages,
        "cpu_ms_per_message": rounds,
        "median": median,
        "ratio": ratio,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "compose.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = [
        "# Writing a mail for the wire: `mime.compose` against `EmailMessage`",
        "",
        f"Run {results['when']}: {args.messages} acknowledgements of intake's shape per "
        f"round and language, {args.rounds} rounds of each way, alternately, in one process "
        f"({results['machine']['cpus']} CPUs, Python {results['machine']['python']}). "
        "CPU per message, medians of the rounds; every round is in "
        "[compose.json](compose.json). `python -m bench.smtp.compose` writes both.",
        "",
        "| letter | EmailMessage, flattened | mime.compose | ratio |",
        "|---|---:|---:|---:|",
    ]
    for language, m in median.items():
        lines.append(
            f"| {language} | {m['EmailMessage, flattened']:.3f} ms | "
            f"{m['mime.compose']:.3f} ms | {ratio[language]} : 1 |"
        )
    lines += [
        "",
        "Both write the same message (`shared/runtime/tests/test_mime.py` and "
        "notifications' `test_mailer.py` read them back and compare); `compose` "
        "writes both parts in base64 and the words that are not ASCII RFC 2047-encoded, "
        "so a German letter goes in 7 bits where the `EmailMessage` one went as 8bit.",
        "",
    ]
    (args.out / "compose.md").write_text("\n".join(lines))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

"""The load generator, in its own process: distinct issues POSTed to intake.

    python -m bench.e2e.loadgen open --rate 50 --seconds 30 \
        --url http://127.0.0.1:18101 --key baton_... --tag t1 --out sends.jsonl
    python -m bench.e2e.loadgen closed --clients 16 --seconds 15 ...

Open loop: the n-th issue is due at start + n/rate, whatever happened to the
ones before it (a late answer never delays the next send). Each record keeps the
intended time, so latency counts the time an issue waited behind a slow server
or a late sender (no coordinated omission). Requests beyond ``--max-in-flight``
wait for a connection, their clocks running.

Closed loop: ``--clients`` workers, each sending its next issue as soon as the
previous one was answered.

A refused issue (429: intake is behind and asks to retry later) is recorded
with its Retry-After and not sent again: the schedule is the offered load, and
the bench counts refusals apart from errors and lost issues.

Every issue has its own reporter and subject (so intake does not link it to
another as a near-duplicate) and asks for a refund (routing's rules send that to
finance, which has liaisons, so ownership names an owner who gets an email).
On exit it writes the records and prints one JSON line: what it achieved and
the CPU it used.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import time
from pathlib import Path

import aiohttp


def issue(tag: str, seq: int) -> dict[str, object]:
    return {
        "channel": "agent",
        "reporter": {"kind": "customer", "id": f"bench-{tag}-{seq}"},
        "subject": f"Refund for order {tag}-{seq}",
        "description": f"I was charged twice for order {tag}-{seq}. Please refund one payment.",
    }


class Poster:
    def __init__(self, session: aiohttp.ClientSession, url: str, tag: str) -> None:
        self.session = session
        self.url = url
        self.tag = tag
        self.records: list[dict[str, object]] = []

    async def post(self, seq: int, intended: float) -> None:
        sent = time.time()
        status, issue_id, retry_after = 0, None, None
        try:
            async with self.session.post(self.url, json=issue(self.tag, seq)) as resp:
                status = resp.status
                if 200 <= status < 300:
                    issue_id = (await resp.json()).get("issue_id")
                else:
                    await resp.read()
                    retry_after = _seconds(resp.headers.get("Retry-After"))
        except (aiohttp.ClientError, TimeoutError):
            status = 0
        self.records.append(
            {
                "seq": seq,
                "intended": intended,
                "sent": sent,
                "done": time.time(),
                "status": status,
                "issue_id": issue_id,
                "retry_after": retry_after,
            }
        )


def _seconds(header: str | None) -> float | None:
    """A Retry-After in seconds (an HTTP date, which intake never sends, is None)."""
    try:
        return float(header) if header is not None else None
    except ValueError:
        return None


async def open_loop(poster: Poster, *, rate: float, seconds: float, start: float) -> None:
    total = int(rate * seconds)
    tasks = set()
    for seq in range(total):
        intended = start + seq / rate
        delay = intended - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(poster.post(seq, intended))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.wait(tasks)


async def closed_loop(poster: Poster, *, clients: int, seconds: float, start: float) -> None:
    end = start + seconds
    counter = iter(range(10**9))

    async def client() -> None:
        while (now := time.time()) < end:
            await poster.post(next(counter), now)

    await asyncio.sleep(max(start - time.time(), 0))
    await asyncio.gather(*(client() for _ in range(clients)))


async def run(args: argparse.Namespace) -> dict[str, object]:
    connector = aiohttp.TCPConnector(limit=args.max_in_flight, keepalive_timeout=3)
    headers = {"Authorization": f"Bearer {args.key}"}
    timeout = aiohttp.ClientTimeout(total=args.timeout)
    async with aiohttp.ClientSession(connector=connector, headers=headers, timeout=timeout) as s:
        poster = Poster(s, args.url.rstrip("/") + "/v1/issues", args.tag)
        start = time.time() + 0.2  # a moment to be scheduled before the first send
        cpu0 = _cpu()
        if args.mode == "open":
            await open_loop(poster, rate=args.rate, seconds=args.seconds, start=start)
        else:
            await closed_loop(poster, clients=args.clients, seconds=args.seconds, start=start)
        cpu = _cpu() - cpu0
    with args.out.open("w", encoding="utf-8") as out:
        for record in poster.records:
            out.write(json.dumps(record) + "\n")
    return {
        "start": start,
        "seconds": args.seconds,
        "sent": len(poster.records),
        "cpu_s": round(cpu, 2),
        "finished": time.time(),
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["open", "closed"])
    parser.add_argument("--url", required=True, help="intake's base URL")
    parser.add_argument("--key", required=True, help="an intake API key")
    parser.add_argument("--tag", required=True, help="makes this run's issues distinct")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seconds", type=float, required=True)
    parser.add_argument("--rate", type=float, default=10.0, help="open loop: issues per second")
    parser.add_argument("--clients", type=int, default=16, help="closed loop: concurrent clients")
    parser.add_argument("--max-in-flight", type=int, default=1000)
    parser.add_argument("--timeout", type=float, default=60.0, help="per request, in seconds")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args))), flush=True)


if __name__ == "__main__":
    main()

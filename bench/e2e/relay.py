"""The ceiling: a raw four-hop relay over the same broker, with nothing but
aiokafka. Each process is one role:

    python -m bench.e2e.relay hop     --src T0 --dst T1 --group G   # four of these
    python -m bench.e2e.relay feed    --topic T0 --tag s1 --rate 500 --seconds 20 --out sends.jsonl
    python -m bench.e2e.relay feed    --topic T0 --tag s2 --flood --seconds 15 --out sends.jsonl
    python -m bench.e2e.relay collect --topic T4 --out arrivals.jsonl

A hop consumes a batch, produces every record to the next topic with acks=all
and an idempotent producer (as Baton's producer does), waits for the broker's
acknowledgements, then commits the batch's offsets: at-least-once, with the
per-message work reduced to nothing. The feeder produces on an open-loop
schedule (or, with --flood, as fast as the broker acknowledges, at most
--max-in-flight unacknowledged); each message carries its intended send time.
The collector stamps each message's arrival after the fourth hop, in the
format of the SMTP sink's lines, so the same arithmetic measures both.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import signal
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

PAD = "x" * 800  # about the size of one of Baton's events


def producer(bootstrap: str) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5
    )


def consumer(bootstrap: str, topic: str, group: str) -> AIOKafkaConsumer:
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )


def _stopper() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop


async def hop(args: argparse.Namespace) -> None:
    stop = _stopper()
    src, dst = consumer(args.bootstrap, args.src, args.group), producer(args.bootstrap)
    await src.start()
    await dst.start()
    print("hop: started", flush=True)
    try:
        while not stop.is_set():
            batches = await src.getmany(timeout_ms=100, max_records=500)
            acks = [
                await dst.send(args.dst, key=r.key, value=r.value)
                for records in batches.values()
                for r in records
            ]
            if acks:
                await asyncio.gather(*acks)
                await src.commit()  # the whole batch, once it is on the next topic
    finally:
        await src.stop()
        await dst.stop()


async def feed(args: argparse.Namespace) -> None:
    out = producer(args.bootstrap)
    await out.start()
    records: list[dict[str, object]] = []
    in_flight: set[asyncio.Future[object]] = set()

    async def send(seq: int, intended: float) -> None:
        sent = time.time()
        key = f"{args.tag}-{seq}"
        value = json.dumps({"id": key, "intended": intended, "pad": PAD}).encode()
        ack = await out.send(args.topic, key=key.encode(), value=value)
        record = {
            "seq": seq,
            "intended": intended,
            "sent": sent,
            "done": 0.0,
            "status": 0,
            "issue_id": key,
        }
        records.append(record)

        def acked(fut: asyncio.Future[object]) -> None:
            in_flight.discard(fut)
            record["done"], record["status"] = time.time(), 0 if fut.exception() else 200

        in_flight.add(ack)
        ack.add_done_callback(acked)

    start = time.time() + 0.2
    cpu0 = _cpu()
    await asyncio.sleep(0.2)
    seq = 0
    if args.flood:
        while time.time() < start + args.seconds:
            if len(in_flight) >= args.max_in_flight:
                await asyncio.wait(set(in_flight), return_when=asyncio.FIRST_COMPLETED)
            await send(seq, time.time())
            seq += 1
    else:
        for seq in range(int(args.rate * args.seconds)):
            intended = start + seq / args.rate
            delay = intended - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            await send(seq, intended)
    if in_flight:
        await asyncio.wait(set(in_flight))
    cpu = _cpu() - cpu0
    await out.stop()
    with args.out.open("w", encoding="utf-8") as f:
        for record in records:
            f.write(json.dumps(record) + "\n")
    print(
        json.dumps(
            {
                "start": start,
                "seconds": args.seconds,
                "sent": len(records),
                "cpu_s": round(cpu, 2),
                "finished": time.time(),
            }
        ),
        flush=True,
    )


async def collect(args: argparse.Namespace) -> None:
    stop = _stopper()
    src = consumer(args.bootstrap, args.topic, args.group)
    await src.start()
    print("collect: started", flush=True)
    with args.out.open("a", encoding="utf-8") as out:
        try:
            while not stop.is_set():
                batches = await src.getmany(timeout_ms=100, max_records=1000)
                now = time.time()
                lines = [
                    json.dumps(
                        {"received": now, "issue_id": json.loads(r.value)["id"], "kind": "assigned"}
                    )
                    for records in batches.values()
                    for r in records
                ]
                if lines:
                    out.write("\n".join(lines) + "\n")
                    out.flush()
                    await src.commit()
        finally:
            await src.stop()


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("role", choices=["hop", "feed", "collect"])
    parser.add_argument("--bootstrap", required=True)
    parser.add_argument("--src")
    parser.add_argument("--dst")
    parser.add_argument("--topic")
    parser.add_argument("--group")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--tag", default="", help="feed: makes this step's message ids distinct")
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--flood", action="store_true")
    parser.add_argument("--max-in-flight", type=int, default=2000)
    args = parser.parse_args()
    asyncio.run({"hop": hop, "feed": feed, "collect": collect}[args.role](args))


if __name__ == "__main__":
    main()

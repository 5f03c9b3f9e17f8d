"""The topics Baton uses, and creating them (idempotently) on a cluster."""

from __future__ import annotations

import argparse
import asyncio
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code

log = logging.getLogger(__name__)

ISSUES_INBOUND = "issues.inbound"
ISSUES_REPORTED = "issues.reported"
ISSUES_ROUTED = "issues.routed"
ISSUES_OWNERSHIP = "issues.ownership"
ISSUES_REROUTE = "issues.reroute"
TOPICS = (ISSUES_INBOUND, ISSUES_REPORTED, ISSUES_ROUTED, ISSUES_OWNERSHIP, ISSUES_REROUTE)


def dlq(topic: str) -> str:
    return f"{topic}.dlq"


async def ensure_topics(
    bootstrap_servers: str, names: list[str], *, partitions: int = 3, replication_factor: int = 1
) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="baton-topics")
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in dict.fromkeys(names) if n not in existing]
        if not missing:
            return
        new = [NewTopic(n, partitions, replication_factor) for n in missing]
        response = await admin.create_topics(new)
        for topic, code, *_ in response.topic_errors:
            # Another replica may have created it first: that is success too.
            if code not in (0, TopicAlreadyExistsError.errno):
                raise for_code(code)(f"cannot create topic {topic}")
        log.info("created topics %s", ", ".join(missing))
    finally:
        await admin.close()


def all_topics(prefix: str = "") -> list[str]:
    return [f"{prefix}{t}" for base in TOPICS for t in (base, dlq(base))]


def main() -> None:
    parser = argparse.ArgumentParser(description="Create Baton's topics and their DLQs.")
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092")
    parser.add_argument("--prefix", default="")
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--replication-factor", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    asyncio.run(
        ensure_topics(
            args.bootstrap_servers,
            all_topics(args.prefix),
            partitions=args.partitions,
            replication_factor=args.replication_factor,
        )
    )


if __name__ == "__main__":
    main()

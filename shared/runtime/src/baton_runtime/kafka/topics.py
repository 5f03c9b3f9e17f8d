"""Creating Baton's topics (named in ``baton_contracts.topics``) on a cluster, idempotently."""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError, for_code
from baton_contracts.topics import all_topics, topic_config

from baton_runtime.kafka.connection import KafkaConnection, KafkaSettings, start_client

log = logging.getLogger(__name__)


async def ensure_topics(
    kafka: KafkaConnection | str,
    names: list[str],
    *,
    partitions: int = 3,
    replication_factor: int = 1,
    min_insync_replicas: int = 1,
    config: dict[str, str] | None = None,
) -> None:
    """Create the missing topics; ``config`` (say ``retention.ms``) applies to
    those created here only: an existing topic is left as it is.

    ``min_insync_replicas``: how many replicas must have a message before the
    broker acknowledges it to a producer asking for all (Baton's producers do).
    With 2 of 3, one broker may be down and nothing acknowledged is lost with it."""
    if not 1 <= min_insync_replicas <= replication_factor:
        raise ValueError(
            f"min.insync.replicas {min_insync_replicas} must be between 1 and the "
            f"replication factor {replication_factor}: more would refuse every write"
        )
    kafka = KafkaConnection.of(kafka)
    admin = AIOKafkaAdminClient(**kafka.client_options(), client_id="baton-topics")
    await start_client(admin, kafka)
    try:
        existing = set(await admin.list_topics())
        missing = [n for n in dict.fromkeys(names) if n not in existing]
        if not missing:
            return
        new = [
            NewTopic(
                n,
                partitions,
                replication_factor,
                topic_configs={
                    **topic_config(n),
                    "min.insync.replicas": str(min_insync_replicas),
                    **(config or {}),
                },
            )
            for n in missing
        ]
        response = await admin.create_topics(new)
        for topic, code, *_ in response.topic_errors:
            # Another replica may have created it first: that is success too.
            if code not in (0, TopicAlreadyExistsError.errno):
                raise for_code(code)(f"cannot create topic {topic}")
        log.info("created topics %s", ", ".join(missing))
    finally:
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(
        description="Create Baton's topics and their DLQs. The cluster, and TLS and SASL "
        "to reach it, come from the environment as for the services: "
        "KAFKA_BOOTSTRAP_SERVERS and BATON_KAFKA_*."
    )
    parser.add_argument("--bootstrap-servers", help="instead of KAFKA_BOOTSTRAP_SERVERS")
    parser.add_argument("--prefix", default="")
    parser.add_argument("--partitions", type=int, default=3)
    parser.add_argument("--replication-factor", type=int, default=1)
    parser.add_argument(
        "--min-insync-replicas",
        type=int,
        default=1,
        help="replicas that must have a message before it is acknowledged (at most the "
        "replication factor; 2 of 3 survives a broker's loss)",
    )
    parser.add_argument("--retention-ms", type=int, help="topics' retention (broker default)")
    parser.add_argument("--dlq-retention-ms", type=int, help="DLQs' retention (broker default)")
    args = parser.parse_args()
    if not 1 <= args.min_insync_replicas <= args.replication_factor:
        parser.error("--min-insync-replicas must be between 1 and --replication-factor")
    logging.basicConfig(level=logging.INFO)
    kafka = KafkaSettings().kafka()
    if args.bootstrap_servers:
        kafka = dataclasses.replace(kafka, bootstrap_servers=args.bootstrap_servers)

    async def create() -> None:
        topics = all_topics(args.prefix)
        for names, retention in (
            ([t for t in topics if not t.endswith(".dlq")], args.retention_ms),
            ([t for t in topics if t.endswith(".dlq")], args.dlq_retention_ms),
        ):
            await ensure_topics(
                kafka,
                names,
                partitions=args.partitions,
                replication_factor=args.replication_factor,
                min_insync_replicas=args.min_insync_replicas,
                config={"retention.ms": str(retention)} if retention else None,
            )

    asyncio.run(create())


if __name__ == "__main__":
    main()

"""Kafka plumbing: a safe producer, a consumer runner with retries and DLQ, topics."""

from baton_shared.kafka.consumer import ConsumerRunner, Handler
from baton_shared.kafka.producer import EventProducer
from baton_shared.kafka.topics import TOPICS, dlq, ensure_topics

__all__ = ["TOPICS", "ConsumerRunner", "EventProducer", "Handler", "dlq", "ensure_topics"]

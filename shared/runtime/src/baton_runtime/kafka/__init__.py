"""Kafka plumbing: a safe producer, a consumer runner with retries and DLQ, topics."""

from baton_runtime.kafka.consumer import ConsumerRunner, Handler
from baton_runtime.kafka.producer import EventProducer
from baton_runtime.kafka.topics import ensure_topics

__all__ = ["ConsumerRunner", "EventProducer", "Handler", "ensure_topics"]

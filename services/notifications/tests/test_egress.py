"""Webhooks go only where they may: https, allowed Slack hosts, public addresses
checked when the connection is made (after resolving the name, so DNS rebinding
is caught), no redirects followed, and nothing a receiver says is kept. The
rules themselves are the kernel's (shared/runtime/tests/test_egress.py).

Names resolve through a stub; connections are real sockets to real receivers."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from baton_notifications.senders import egress, webhooks
from baton_notifications.senders.errors import DeliveryError
from baton_notifications.settings import Settings
from baton_runtime.egress import Refused, Resolver, system_resolver

from conftest import running_http_receiver

PUBLIC = "93.184.215.14"
DEV = Settings(environment="development", slack_webhook_hosts=["hooks.slack.com"])
PROD = Settings(environment="production", auth_mode="jwt", webhook_timeout_s=2)


def stub(answers: dict[str, list[list[str]]]) -> Resolver:
    """A resolver answering each name with its next list of addresses (the last
    one again once they run out); other names do not resolve."""
    asked: dict[str, int] = {}

    async def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise OSError(f"no such name {host}")
        n = asked[host] = asked.get(host, -1) + 1
        return answers[host][min(n, len(answers[host]) - 1)]

    return resolve


def test_http_only_in_development_and_slack_only_to_its_hosts():
    dev, prod = egress.Policy.of(DEV), egress.Policy.of(PROD)
    assert egress.check_url("http://127.0.0.1:8080/x", channel="webhook", policy=dev) == (
        "127.0.0.1",
        8080,
    )
    with pytest.raises(Refused, match="must use https"):
        egress.check_url("http://hooks.example.com/x", channel="webhook", policy=prod)
    with pytest.raises(Refused, match="must use https"):
        egress.check_url("ftp://hooks.example.com/x", channel="webhook", policy=dev)
    assert egress.check_url("https://hooks.slack.com/services/T/B/X", channel="slack", policy=prod)
    with pytest.raises(Refused, match=r"only go to hooks\.slack\.com"):
        egress.check_url("https://hooks.slack.com.evil.example/x", channel="slack", policy=prod)


async def post(url: str, settings: Settings, resolve: Resolver) -> None:
    await webhooks.post(url, {"hello": "world"}, settings=settings, resolve=resolve)


def on_name(receiver_url: str, name: str, scheme: str = "http") -> str:
    return f"{scheme}://{name}:{urlsplit(receiver_url).port}/hook"


async def test_a_name_resolving_to_loopback_is_refused_before_any_connection(http_receiver):
    resolve = stub({"hooks.example.com": [["127.0.0.1"]]})
    url = on_name(http_receiver.url, "hooks.example.com", "https")
    with pytest.raises(DeliveryError) as refused:
        await post(url, PROD, resolve)
    assert refused.value.permanent
    assert refused.value.reason == (
        "webhook refused: hooks.example.com resolves to a loopback address; "
        "webhooks go only to public addresses"
    )
    assert http_receiver.requests == 0


async def test_dns_rebinding_passes_the_save_time_check_and_is_refused_at_connect_time(
    http_receiver,
):
    # Public when the preferences are saved, the receiver's loopback when sent.
    resolve = stub({"rebind.example.com": [[PUBLIC], ["127.0.0.1"]]})
    url = on_name(http_receiver.url, "rebind.example.com", "https")
    policy = egress.Policy.of(PROD, resolve)
    await egress.check_destination(url, channel="webhook", policy=policy)  # allowed
    with pytest.raises(DeliveryError, match="resolves to a loopback address"):
        await post(url, PROD, resolve)
    assert http_receiver.requests == 0


async def test_one_refused_address_among_public_ones_refuses_the_name(http_receiver):
    resolve = stub({"mixed.example.com": [[PUBLIC, "10.0.0.7"]]})
    with pytest.raises(DeliveryError, match="resolves to a private address"):
        await post(on_name(http_receiver.url, "mixed.example.com", "https"), PROD, resolve)


async def test_the_metadata_address_is_refused_in_development_too():
    resolve = stub({"metadata.example.com": [["169.254.169.254"]]})
    with pytest.raises(DeliveryError, match="the cloud metadata address"):
        await post("http://metadata.example.com/latest/meta-data/", DEV, resolve)
    with pytest.raises(DeliveryError, match="the cloud metadata address"):
        await post("http://169.254.169.254/latest/meta-data/", DEV, system_resolver)


async def test_the_connection_goes_to_the_checked_address_and_still_names_the_host(
    http_receiver,
):
    resolve = stub({"receiver.example.com": [["127.0.0.1"]]})
    url = on_name(http_receiver.url, "receiver.example.com")
    await post(url, DEV, resolve)
    [(headers, body)] = http_receiver.received
    assert headers["Host"] == f"receiver.example.com:{urlsplit(url).port}"
    assert body == b'{"hello":"world"}'


async def test_a_redirect_is_not_followed():
    with running_http_receiver() as target, running_http_receiver() as redirecting:
        redirecting.fail_next(307)
        redirecting.answer_headers = {"location": target.url}
        with pytest.raises(DeliveryError) as failed:
            await post(redirecting.url, DEV, system_resolver)
        assert (redirecting.requests, target.requests) == (1, 0)
    assert failed.value.reason == "webhook answered 307 (redirects are not followed)"
    assert failed.value.permanent


async def test_what_a_receiver_answers_never_reaches_the_reason(http_receiver):
    http_receiver.fail_next(500)
    http_receiver.answer_body = b'{"AccessKeyId": "ASIA-SECRET", "Token": "from-the-metadata"}'
    with pytest.raises(DeliveryError) as failed:
        await post(http_receiver.url, DEV, system_resolver)
    assert failed.value.reason == "webhook answered 500"

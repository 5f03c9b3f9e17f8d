"""Webhooks go only where they may: https, allowed Slack hosts, public addresses
checked when the connection is made (after resolving the name, so DNS rebinding
is caught), no redirects followed, and nothing a receiver says is kept.

Names resolve through a stub; connections are real sockets to real receivers."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpcore
import pytest
from baton_notifications.senders import egress, webhooks
from baton_notifications.senders.errors import DeliveryError
from baton_notifications.settings import Settings

from conftest import running_http_receiver

PUBLIC = "93.184.215.14"
DEV = Settings(environment="development", slack_webhook_hosts=["hooks.slack.com"])
PROD = Settings(environment="production", auth_mode="jwt", webhook_timeout_s=2)


def stub(answers: dict[str, list[list[str]]]) -> egress.Resolver:
    """A resolver answering each name with its next list of addresses (the last
    one again once they run out); other names do not resolve."""
    asked: dict[str, int] = {}

    async def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise OSError(f"no such name {host}")
        n = asked[host] = asked.get(host, -1) + 1
        return answers[host][min(n, len(answers[host]) - 1)]

    return resolve


@pytest.mark.parametrize(
    ("address", "refusal"),
    [
        ("127.0.0.1", "a loopback address"),
        ("::1", "a loopback address"),
        ("10.1.2.3", "a private address"),
        ("172.16.5.4", "a private address"),
        ("192.168.1.1", "a private address"),
        ("fd12:3456::1", "a private address"),
        ("fe80::1%eth0", "a link-local address"),
        ("169.254.10.10", "a link-local address"),
        ("169.254.169.254", "the cloud metadata address"),
        ("fd00:ec2::254", "the cloud metadata address"),
        ("224.0.0.251", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),  # nosec B104 - a refused destination, no bind
        ("::", "an unspecified address"),
        ("100.64.0.1", "a non-public address"),
        ("::ffff:127.0.0.1", "a loopback address"),
        ("::ffff:10.0.0.1", "a private address"),
        ("64:ff9b::a9fe:a9fe", "the cloud metadata address"),  # NAT64 of 169.254.169.254
        ("2002:a00:1::", "a private address"),  # 6to4 of 10.0.0.1
        ("::7f00:1", "an IPv4-compatible address"),
        (PUBLIC, None),
        ("2606:4700:4700::1111", None),
    ],
)
def test_only_public_addresses_are_allowed_in_production(address, refusal):
    assert egress.address_refusal(address, development=False) == refusal


def test_development_allows_loopback_but_never_the_metadata_address_nor_private_ones():
    assert egress.address_refusal("127.0.0.1", development=True) is None
    assert egress.address_refusal("::1", development=True) is None
    assert egress.address_refusal("169.254.169.254", development=True) == (
        "the cloud metadata address"
    )
    assert egress.address_refusal("10.0.0.1", development=True) == "a private address"


def test_http_only_in_development_and_slack_only_to_its_hosts():
    dev, prod = egress.Policy.of(DEV), egress.Policy.of(PROD)
    assert egress.check_url("http://127.0.0.1:8080/x", channel="webhook", policy=dev) == (
        "127.0.0.1",
        8080,
    )
    with pytest.raises(egress.Refused, match="must use https"):
        egress.check_url("http://hooks.example.com/x", channel="webhook", policy=prod)
    with pytest.raises(egress.Refused, match="must use https"):
        egress.check_url("ftp://hooks.example.com/x", channel="webhook", policy=dev)
    assert egress.check_url("https://hooks.slack.com/services/T/B/X", channel="slack", policy=prod)
    with pytest.raises(egress.Refused, match=r"only go to hooks\.slack\.com"):
        egress.check_url("https://hooks.slack.com.evil.example/x", channel="slack", policy=prod)


async def post(url: str, settings: Settings, resolve: egress.Resolver) -> None:
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
        await post("http://169.254.169.254/latest/meta-data/", DEV, egress.system_resolver)


async def test_the_connection_goes_to_the_checked_address_and_still_names_the_host(
    http_receiver,
):
    resolve = stub({"receiver.example.com": [["127.0.0.1"]]})
    url = on_name(http_receiver.url, "receiver.example.com")
    await post(url, DEV, resolve)
    [(headers, body)] = http_receiver.received
    assert headers["Host"] == f"receiver.example.com:{urlsplit(url).port}"
    assert body == b'{"hello":"world"}'


class Elsewhere(httpcore.AnyIOBackend):
    """A network whose connections all end up at one place, whatever was asked:
    what a connect-time check must notice."""

    def __init__(self, port: int) -> None:
        self.port = port

    async def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):  # type: ignore[no-untyped-def]  # noqa: ASYNC109
        return await super().connect_tcp("127.0.0.1", self.port, timeout)


async def test_a_connection_that_reached_another_peer_than_the_checked_one_is_refused(
    http_receiver,
):
    port = urlsplit(http_receiver.url).port
    assert port is not None
    policy = egress.Policy.of(DEV, stub({"receiver.example.com": [["127.0.0.2"]]}))
    backend = egress.GuardedBackend(policy, inner=Elsewhere(port))
    with pytest.raises(egress.Refused, match="other than the one checked"):
        await backend.connect_tcp("receiver.example.com", port)
    assert http_receiver.requests == 0


async def test_a_redirect_is_not_followed():
    with running_http_receiver() as target, running_http_receiver() as redirecting:
        redirecting.fail_next(307)
        redirecting.answer_headers = {"location": target.url}
        with pytest.raises(DeliveryError) as failed:
            await post(redirecting.url, DEV, egress.system_resolver)
        assert (redirecting.requests, target.requests) == (1, 0)
    assert failed.value.reason == "webhook answered 307 (redirects are not followed)"
    assert failed.value.permanent


async def test_what_a_receiver_answers_never_reaches_the_reason(http_receiver):
    http_receiver.fail_next(500)
    http_receiver.answer_body = b'{"AccessKeyId": "ASIA-SECRET", "Token": "from-the-metadata"}'
    with pytest.raises(DeliveryError) as failed:
        await post(http_receiver.url, DEV, egress.system_resolver)
    assert failed.value.reason == "webhook answered 500"

"""The egress guard both intake's connectors and notifications' webhooks go
through: which addresses are refused, what an operator's allow-list may waive
(never the metadata address), https outside development, the address checked
again on the connection made, and a POST that follows no redirect and keeps
nothing a receiver says. Names resolve through stubs; connections are real."""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

import httpcore
import pytest
from baton_runtime import egress

from conftest import running_http_receiver

PUBLIC = "93.184.215.14"
DEV = egress.Policy(development=True)
PROD = egress.Policy(development=False, noun="connector")


def stub(answers: dict[str, list[str]]) -> egress.Resolver:
    async def resolve(host: str, port: int) -> list[str]:
        if host not in answers:
            raise OSError(f"no such name {host}")
        return answers[host]

    return resolve


def allowing(*entries: str, resolve: egress.Resolver = egress.system_resolver) -> egress.Policy:
    hosts, networks = egress.allowed_entries(entries)
    return egress.Policy(
        development=False,
        noun="connector",
        allowed_hosts=hosts,
        allowed_networks=networks,
        allow_setting="BATON_CONNECTOR_ALLOWED_HOSTS",
        resolve=resolve,
    )


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


def test_https_only_outside_development_and_the_url_must_name_a_host():
    assert egress.check_url("http://127.0.0.1:8080/x", policy=DEV) == ("127.0.0.1", 8080)
    assert egress.check_url("https://Chat.Example/x", policy=PROD) == ("chat.example", 443)
    with pytest.raises(egress.Refused, match="connector URLs must use https"):
        egress.check_url("http://chat.example/x", policy=PROD)
    with pytest.raises(egress.Refused, match="must use https"):
        egress.check_url("ftp://chat.example/x", policy=DEV)
    with pytest.raises(egress.Refused, match="names no host"):
        egress.check_url("https:///x", policy=PROD)


def test_an_allow_list_waives_the_clusters_own_addresses_for_what_it_names_only():
    policy = allowing("chat.internal", "10.20.0.0/16", "fd00:1::/64")
    assert policy.refusal("chat.internal", "10.9.9.9") is None  # a named host: any internal one
    assert policy.refusal("Chat.Internal.", "127.0.0.1") is None
    assert policy.refusal("chat.internal", "100.64.0.1") is None
    assert policy.refusal("other.internal", "10.20.3.4") is None  # inside a network
    assert policy.refusal("other.internal", "::ffff:10.20.3.4") is None
    assert policy.refusal("other.internal", "fd00:1::5") is None
    assert policy.refusal("other.internal", "10.21.0.1") == "a private address"
    assert policy.refusal("other.internal", "127.0.0.1") == "a loopback address"


def test_an_allow_list_never_waives_the_metadata_address_nor_multicast_or_unspecified():
    policy = allowing("chat.internal", "169.254.0.0/16", "0.0.0.0/0")
    for address, refusal in (
        ("169.254.169.254", "the cloud metadata address"),
        ("224.0.0.251", "a multicast address"),
        ("0.0.0.0", "an unspecified address"),  # nosec B104 - a refused destination, no bind
    ):
        assert policy.refusal("chat.internal", address) == refusal
        assert policy.refusal("other.internal", address) == refusal
    assert policy.refusal("other.internal", "169.254.10.10") is None  # link-local, listed


def test_the_refusal_says_how_to_allow_an_internal_connector_but_not_the_metadata_one():
    policy = allowing()
    with pytest.raises(egress.Refused) as private:
        egress.check_addresses("chat.internal", ["10.0.0.7"], policy=policy)
    assert private.value.reason == (
        "refused: chat.internal resolves to a private address; connectors go only to "
        "public addresses unless BATON_CONNECTOR_ALLOWED_HOSTS allows them"
    )
    with pytest.raises(egress.Refused) as metadata:
        egress.check_addresses("169.254.169.254", ["169.254.169.254"], policy=policy)
    assert metadata.value.rule == (
        "the cloud metadata address; connectors go only to public addresses"
    )
    assert metadata.value.permanent


@pytest.mark.parametrize("entry", ["https://chat.internal/", "chat.internal:443", "*.internal", ""])
def test_an_allow_list_entry_is_a_host_name_an_address_or_a_network(entry):
    with pytest.raises(ValueError, match="neither a host name nor an address or network"):
        egress.allowed_entries([entry])
    hosts, networks = egress.allowed_entries(["Chat.Internal", "10.20.0.0/16", "127.0.0.1"])
    assert hosts == {"chat.internal"}
    assert networks == (
        ipaddress.ip_network("10.20.0.0/16"),
        ipaddress.ip_network("127.0.0.1/32"),
    )


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
    policy = egress.Policy(development=True, resolve=stub({"receiver.example.com": ["127.0.0.2"]}))
    backend = egress.GuardedBackend(policy, inner=Elsewhere(port))
    with pytest.raises(egress.Refused, match="other than the one checked"):
        await backend.connect_tcp("receiver.example.com", port)
    assert http_receiver.requests == 0


async def post(url: str, policy: egress.Policy, timeout_s: float = 2) -> None:
    await egress.post(url, b"{}", headers=[], policy=policy, timeout_s=timeout_s)


async def test_a_name_is_checked_when_the_connection_is_made(http_receiver):
    port = urlsplit(http_receiver.url).port
    url = f"https://chat.internal:{port}/hook"
    with pytest.raises(egress.Refused, match="resolves to a loopback address"):
        await post(
            url, egress.Policy(development=False, resolve=stub({"chat.internal": ["127.0.0.1"]}))
        )
    dev = egress.Policy(development=True, resolve=stub({"chat.internal": ["127.0.0.1"]}))
    await post(f"http://chat.internal:{port}/hook", dev)
    [(headers, _)] = http_receiver.received
    assert headers["Host"] == f"chat.internal:{port}"  # connected to the address, named the host


async def test_a_redirect_is_a_permanent_failure_not_followed():
    with running_http_receiver() as target, running_http_receiver() as redirecting:
        redirecting.fail_next(302)
        redirecting.answer_headers = {"location": target.url}
        with pytest.raises(egress.Failed) as failed:
            await post(redirecting.url, DEV)
        assert (redirecting.requests, target.requests) == (1, 0)
    assert (failed.value.reason, failed.value.permanent) == (
        "answered 302 (redirects are not followed)",
        True,
    )


@pytest.mark.parametrize(("status", "permanent"), [(500, False), (429, False), (404, True)])
async def test_what_a_receiver_answers_is_reduced_to_its_status(http_receiver, status, permanent):
    http_receiver.fail_next(status)
    http_receiver.answer_body = b'{"AccessKeyId": "ASIA-SECRET"}'
    with pytest.raises(egress.Failed) as failed:
        await post(http_receiver.url, DEV)
    assert (failed.value.reason, failed.value.permanent) == (f"answered {status}", permanent)


async def test_a_slow_receiver_is_cut_off_and_an_absent_one_named_by_what_failed(http_receiver):
    http_receiver.delay_s = 1.0
    with pytest.raises(egress.Failed, match=r"^timeout after 0\.2s$"):
        await post(http_receiver.url, DEV, timeout_s=0.2)
    with running_http_receiver() as gone:
        url = gone.url
    with pytest.raises(egress.Failed) as failed:
        await post(url, DEV)
    assert (failed.value.reason, failed.value.permanent) == ("ConnectError", False)

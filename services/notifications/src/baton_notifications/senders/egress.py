"""Where a webhook may go. A recipient chooses its URL, so it must not become a
way into the cluster (server-side request forgery):

- https only, except in development (``BATON_ENVIRONMENT``), where tests and
  ``make run`` post to receivers on this machine;
- Slack webhooks only to the hosts of ``BATON_SLACK_WEBHOOK_HOSTS``;
- only public addresses: never loopback (allowed in development), private,
  unique-local, link-local, multicast, unspecified or otherwise non-global
  ones, and never the cloud metadata address, in development neither.

The address rule holds at connect time: ``GuardedBackend`` resolves the host
itself, refuses if any address it resolves to is refused, connects to a checked
address (TLS still verifies, and SNI and Host still name, the URL's host) and
checks the peer of the connection it made. A name that resolved to a public
address when the preferences were saved and to 127.0.0.1 now (DNS rebinding)
is refused when it matters. Nothing follows a redirect.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import typing
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpcore

from baton_notifications.settings import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# The addresses of cloud instance metadata services (AWS, GCP, Azure, OpenStack;
# AWS's IPv6 one; Alibaba's), which hand out credentials to whoever asks.
METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

Resolver = Callable[[str, int], Awaitable[list[str]]]


class Refused(Exception):
    """A destination a webhook may not go to; ``rule`` says which rule, in words."""

    def __init__(self, rule: str) -> None:
        super().__init__(rule)
        self.rule = rule


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


@dataclass(frozen=True)
class Policy:
    development: bool
    slack_hosts: frozenset[str]
    resolve: Resolver = field(default=system_resolver, compare=False)

    @classmethod
    def of(cls, settings: Settings, resolve: Resolver | None = None) -> Policy:
        return cls(
            development=settings.environment == "development",
            slack_hosts=frozenset(h.lower() for h in settings.slack_webhook_hosts),
            resolve=resolve or system_resolver,
        )


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries (mapped, NAT64, 6to4, Teredo), if any."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    return None


def address_refusal(address: str, *, development: bool) -> str | None:
    """Why a webhook may not connect to ``address``, or None when it may."""
    try:
        ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])  # no IPv6 zone
    except ValueError:
        return "not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        if int(ip) >> 32 == 0 and int(ip) > 1:
            return "an IPv4-compatible address"  # ::a.b.c.d, deprecated, never public
        inner = _embedded_ipv4(ip)
        if inner is not None:
            return address_refusal(str(inner), development=development)
    if ip in METADATA:
        return "the cloud metadata address"
    if ip.is_loopback:
        return None if development else "a loopback address"
    for refused, name in (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_private, "a private address"),
        (not ip.is_global, "a non-public address"),
    ):
        if refused:
            return name
    return None


def check_url(url: str, *, channel: str, policy: Policy) -> tuple[str, int]:
    """The rules that need no DNS; returns the host and port to resolve."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (policy.development and parts.scheme == "http"):
        raise Refused("webhook URLs must use https (http only in development)")
    host = (parts.hostname or "").lower()
    if not host:
        raise Refused("the URL names no host")
    if channel == "slack" and host not in policy.slack_hosts:
        allowed = ", ".join(sorted(policy.slack_hosts)) or "none configured"
        raise Refused(f"Slack webhooks may only go to {allowed} (BATON_SLACK_WEBHOOK_HOSTS)")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused("the URL's port is not a port") from None
    return host, port


def check_addresses(host: str, addresses: Iterable[str], *, policy: Policy) -> list[str]:
    """Every address ``host`` resolved to must be allowed: one refused refuses all."""
    found = list(addresses)
    if not found:
        raise Refused(f"{host} resolves to no address")
    for address in found:
        reason = address_refusal(address, development=policy.development)
        if reason is not None:
            shown = "" if address == host else f"{host} resolves to "
            raise Refused(f"{shown}{reason}; webhooks go only to public addresses")
    return found


async def _addresses(host: str, port: int, policy: Policy) -> list[str]:
    """An address as written, or what the name resolves to."""
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
        return [host.strip("[]")]
    except ValueError:
        return await policy.resolve(host, port)


async def check_destination(url: str, *, channel: str, policy: Policy) -> None:
    """When preferences are saved: the URL's rules and, if the name resolves now,
    its addresses. The check that counts is the one at connect time."""
    host, port = check_url(url, channel=channel, policy=policy)
    try:
        addresses = await _addresses(host, port, policy)
    except OSError:
        return  # not resolvable yet: the connect-time check decides
    check_addresses(host, addresses, policy=policy)


class GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to checked addresses."""

    def __init__(self, policy: Policy, inner: httpcore.AsyncNetworkBackend | None = None) -> None:
        self.policy = policy
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            addresses = await _addresses(host, port, self.policy)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}") from exc
        failure: Exception | None = None
        for address in check_addresses(host, addresses, policy=self.policy):
            try:
                stream = await self.inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            await self._check_peer(stream, address)
            return stream
        assert failure is not None
        raise failure

    async def _check_peer(self, stream: httpcore.AsyncNetworkStream, address: str) -> None:
        """The connection made is to the address checked, and that one is allowed."""
        peer = stream.get_extra_info("server_addr")
        peer_ip = str(peer[0]) if peer else ""
        same = peer_ip and ipaddress.ip_address(peer_ip.split("%", 1)[0]) == (
            ipaddress.ip_address(address.split("%", 1)[0])
        )
        if not same or address_refusal(peer_ip, development=self.policy.development):
            await stream.aclose()
            raise Refused("the connection went to an address other than the one checked")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise Refused("webhooks do not go to Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)

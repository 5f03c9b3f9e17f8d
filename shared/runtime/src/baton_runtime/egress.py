"""Where an outbound request may go. Recipients choose webhook URLs and operators
configure connectors; neither may become a way into the cluster (server-side
request forgery):

- https only, except in development (``BATON_ENVIRONMENT``), where tests and
  ``make run`` post to receivers on this machine;
- only public addresses: never loopback (allowed in development), private,
  unique-local, link-local, multicast, unspecified or otherwise non-global
  ones, and never the cloud metadata address, in development neither;
- unless a ``Policy`` names a host or network the operator allows on purpose
  (intake's connectors): then its loopback, private, shared and link-local
  addresses are allowed, the metadata address still never.

The address rule holds at connect time: ``GuardedBackend`` resolves the host
itself, refuses if any address it resolves to is refused, connects to a checked
address (TLS still verifies, and SNI and Host still name, the URL's host) and
checks the peer of the connection it made. A name that resolved to a public
address when a URL was saved and to 127.0.0.1 now (DNS rebinding) is refused
when it matters. ``post`` follows no redirect and never reads an answer's body,
so nothing a receiver says reaches an error, a log or a span.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
import typing
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import httpcore

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
# The addresses of cloud instance metadata services (AWS, GCP, Azure, OpenStack;
# AWS's IPv6 one; Alibaba's), which hand out credentials to whoever asks.
METADATA = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# What an operator's allow-list may waive: the cluster's own kinds of address.
# Never the metadata address, multicast, unspecified or IPv4-compatible ones.
_WAIVABLE = frozenset(
    {"a loopback address", "a private address", "a link-local address", "a non-public address"}
)

Resolver = Callable[[str, int], Awaitable[list[str]]]


class Failed(Exception):
    """A request that did not succeed, said in Baton's words (never the receiver's);
    a ``permanent`` one would fail the same way again."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.permanent = reason, permanent


class Refused(Failed):
    """A destination a request may not go to; ``rule`` says which rule, in words."""

    def __init__(self, rule: str) -> None:
        super().__init__(f"refused: {rule}", permanent=True)
        self.rule = rule

    def __str__(self) -> str:
        return self.rule


async def system_resolver(host: str, port: int) -> list[str]:
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def allowed_entries(entries: Iterable[str]) -> tuple[frozenset[str], tuple[IPNetwork, ...]]:
    """An allow-list's host names and networks (``10.20.0.0/16``, ``127.0.0.1``);
    ``ValueError`` names an entry that is neither."""
    hosts: set[str] = set()
    networks: list[IPNetwork] = []
    for entry in (e.strip() for e in entries):
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
            continue
        except ValueError:
            pass
        name = entry.lower().rstrip(".")
        if not name or any(c in name for c in "/:@ []") or name.startswith("*"):
            raise ValueError(f"{entry!r} is neither a host name nor an address or network")
        hosts.add(name)
    return frozenset(hosts), tuple(networks)


@dataclass(frozen=True)
class Policy:
    """Where requests may go. ``noun`` names them in refusals ("webhook"); the
    allowed hosts and networks, set by ``allow_setting``, are off unless given."""

    development: bool
    noun: str = "request"
    allowed_hosts: frozenset[str] = frozenset()
    allowed_networks: tuple[IPNetwork, ...] = ()
    allow_setting: str = ""
    resolve: Resolver = field(default=system_resolver, compare=False)

    def refusal(self, host: str, address: str) -> str | None:
        """Why ``host`` may not be reached at ``address``, or None when it may."""
        reason = address_refusal(address, development=self.development)
        named = host.lower().rstrip(".") in self.allowed_hosts
        if reason in _WAIVABLE and (named or self._in_allowed(address)):
            return None
        return reason

    def _in_allowed(self, address: str) -> bool:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
        inner = _embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
        return any(a in n for n in self.allowed_networks for a in (ip, inner) if a is not None)


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
    """Why a request may not connect to ``address``, or None when it may."""
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


def check_url(url: str, *, policy: Policy) -> tuple[str, int]:
    """The rules that need no DNS; returns the host and port to resolve."""
    parts = urlsplit(url)
    if parts.scheme != "https" and not (policy.development and parts.scheme == "http"):
        raise Refused(f"{policy.noun} URLs must use https (http only in development)")
    host = (parts.hostname or "").lower()
    if not host:
        raise Refused("the URL names no host")
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
        reason = policy.refusal(host, address)
        if reason is not None:
            shown = "" if address == host else f"{host} resolves to "
            waivable = reason in _WAIVABLE and policy.allow_setting
            unless = f" unless {policy.allow_setting} allows them" if waivable else ""
            raise Refused(f"{shown}{reason}; {policy.noun}s go only to public addresses{unless}")
    return found


async def _addresses(host: str, port: int, policy: Policy) -> list[str]:
    """An address as written, or what the name resolves to."""
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
        return [host.strip("[]")]
    except ValueError:
        return await policy.resolve(host, port)


async def check_destination(url: str, *, policy: Policy) -> None:
    """When a URL is saved: its rules and, if the name resolves now, its
    addresses. The check that counts is the one at connect time."""
    host, port = check_url(url, policy=policy)
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
        host = host.lower()
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
            await self._check_peer(stream, host, address)
            return stream
        assert failure is not None
        raise failure

    async def _check_peer(
        self, stream: httpcore.AsyncNetworkStream, host: str, address: str
    ) -> None:
        """The connection made is to the address checked, and that one is allowed."""
        peer = stream.get_extra_info("server_addr")
        peer_ip = str(peer[0]) if peer else ""
        same = peer_ip and ipaddress.ip_address(peer_ip.split("%", 1)[0]) == (
            ipaddress.ip_address(address.split("%", 1)[0])
        )
        if not same or self.policy.refusal(host, peer_ip):
            await stream.aclose()
            raise Refused("the connection went to an address other than the one checked")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore's interface)
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        raise Refused(f"{self.policy.noun}s do not go to Unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self.inner.sleep(seconds)


_FAILURES = (
    httpcore.NetworkError,
    httpcore.ProtocolError,
    httpcore.UnsupportedProtocol,
    httpcore.ProxyError,
    OSError,
)


async def post(
    url: str,
    content: bytes,
    *,
    headers: list[tuple[bytes, bytes]],
    policy: Policy,
    timeout_s: float,
    ssl_context: ssl.SSLContext | None = None,
) -> None:
    """POST ``content`` through the guard, the whole of it (name resolution to
    status line) within ``timeout_s``. Raises ``Failed`` (``Refused`` for a
    destination refused) unless the answer is a 2xx; an answer's body is never
    read, and a redirect is a failure, not followed."""
    check_url(url, policy=policy)
    try:
        async with asyncio.timeout(timeout_s):
            status = await _status_of_post(url, headers, content, policy, timeout_s, ssl_context)
    except Refused:
        raise
    except (TimeoutError, httpcore.TimeoutException):
        raise Failed(f"timeout after {timeout_s}s") from None
    except _FAILURES as exc:
        raise Failed(type(exc).__name__) from None
    if 300 <= status < 400:
        raise Failed(f"answered {status} (redirects are not followed)", permanent=True)
    if status >= 400:
        # 4xx other than 408/429: the receiver will refuse this body again.
        permanent = status < 500 and status not in (408, 429)
        raise Failed(f"answered {status}", permanent=permanent)


async def _status_of_post(
    url: str,
    headers: list[tuple[bytes, bytes]],
    content: bytes,
    policy: Policy,
    timeout_s: float,
    ssl_context: ssl.SSLContext | None,
) -> int:
    limits = {"connect": timeout_s, "read": timeout_s, "write": timeout_s, "pool": timeout_s}
    async with (
        httpcore.AsyncConnectionPool(
            ssl_context=ssl_context, network_backend=GuardedBackend(policy), max_connections=1
        ) as pool,
        pool.stream(
            "POST", url, headers=headers, content=content, extensions={"timeout": limits}
        ) as response,
    ):
        return response.status  # the body is never read

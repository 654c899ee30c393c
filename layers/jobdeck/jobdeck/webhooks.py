"""POST JSON to an address a user gave, without letting that address reach inside the network.

`check_url` resolves the host once and refuses the URL unless every address it resolves to is
public (or allowed by the operator: JOBDECK_WEBHOOK_ALLOW). `post_json` then connects to one of
those very addresses (the connection is pinned to them; the Host header, TLS SNI and certificate
check still use the host name), so a DNS answer that changes between the check and the connection
(DNS rebinding) cannot send the request elsewhere. Redirects are never followed: a 3xx answer is a
`WebhookFailed`. Proxies from the environment are not used (a proxy would connect on its own).
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import socket
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from jobdeck.config import Settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_RESPONSE_BYTES = 64 * 1024  # what is read of an answer before the connection is closed
USER_AGENT = "Jobdeck-Webhook/1"

# Cloud instance metadata services by name (their addresses are link-local or private anyway).
METADATA_HOSTS = frozenset(
    {
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.azure.internal",
        "metadata.tencentyun.com",
        "metadata.packet.net",
    }
)
_SHARED = ipaddress.IPv4Network("100.64.0.0/10")  # RFC 6598 carrier-grade NAT, not global, not "private"
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")  # RFC 6052: the last 32 bits are an IPv4 address
_HEADERS_SET_HERE = frozenset({"host", "content-length", "content-type", "transfer-encoding", "connection"})


class WebhookRefused(ValueError):
    """The URL may not be called: the message says why. Not worth retrying."""


class WebhookFailed(Exception):
    """The call was made and failed: an answer other than 2xx (`status`), or no answer at all
    (`status` None). `retryable` when trying again later may help (timeouts, 5xx, 429)."""

    def __init__(self, message: str, *, status: int | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.retryable = retryable


@dataclass(frozen=True)
class Target:
    """A URL that passed `check_url`, with the addresses the request may connect to."""

    scheme: str
    host: str  # as written (lowercase), for the Host header and TLS
    port: int
    path: str  # path and query
    addresses: tuple[str, ...]


def check_url(url: str, *, allow: Iterable[str] | None = None) -> Target:
    """The target of `url` if it may be called; WebhookRefused naming why otherwise.

    `allow` (JOBDECK_WEBHOOK_ALLOW when None): host names and CIDRs the operator lets through
    even though they are not public. A host name that cannot be resolved is a WebhookFailed
    (retryable: DNS may answer later)."""
    allowed_hosts, allowed_networks = _allow_list(Settings.from_env().webhook_allow if allow is None else allow)
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise WebhookRefused(f"not a valid URL: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise WebhookRefused(f"only http and https URLs are allowed, not {scheme or 'a URL without a scheme'}")
    if parts.username is not None or parts.password is not None:
        raise WebhookRefused("credentials in the URL are not allowed (send them in a header)")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise WebhookRefused("the URL names no host")
    port = port or (443 if scheme == "https" else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    if host in allowed_hosts:
        return Target(scheme, host, port, path, _resolve(host, port))

    if host in METADATA_HOSTS:
        raise WebhookRefused(f"{host} is a cloud metadata service")
    if host == "localhost" or host.endswith(".localhost"):
        raise WebhookRefused(f"{host} is the local machine (loopback)")
    addresses = _resolve(host, port)
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if any(_within(ip, network) for network in allowed_networks):
            continue
        if reason := refusal(ip):
            named = host if host == address else f"{host} resolves to {address}, which"
            raise WebhookRefused(f"{named} is {reason}")
    return Target(scheme, host, port, path, addresses)


def refusal(ip: IPAddress) -> str | None:
    """Why a request may not go to `ip` ("a private address"), or None for a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if (mapped := ip.ipv4_mapped) is not None:
            reason = refusal(mapped)
            return f"{reason} (as an IPv4-mapped IPv6 address)" if reason else None
        if ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
            reason = refusal(embedded)
            return f"{reason} (in NAT64 form)" if reason else None
        if (sixtofour := ip.sixtofour) is not None and refusal(sixtofour):
            return f"a 6to4 address embedding {sixtofour}"
        if ip.teredo is not None:
            return "a Teredo tunnel address"
    if ip.is_unspecified:
        return "the unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip == ipaddress.IPv4Address("169.254.169.254"):
        return "the cloud metadata address (link-local)"
    if ip.is_link_local:
        return "a link-local address"
    if ip.is_multicast:
        return "a multicast address"
    if isinstance(ip, ipaddress.IPv4Address) and ip in _SHARED:
        return "in the shared address space 100.64.0.0/10"
    if ip.is_reserved:
        return "a reserved address"
    if ip.is_private:
        return "a private address"
    if not ip.is_global:
        return "not a public address"
    return None


def post_json(
    url: str,
    payload: Any,
    *,
    timeout: float = 10.0,
    allow: Iterable[str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> int:
    """POST `payload` as JSON to `url` once it passes `check_url`; the 2xx status it answered.

    WebhookRefused: the URL may not be called. WebhookFailed: no answer (retryable), a redirect
    (not followed), or another status (retryable for 408, 429 and 5xx)."""
    target = check_url(url, allow=allow)
    body = json.dumps(payload, default=str).encode()
    sent_headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
    for name, value in (headers or {}).items():
        if name.lower() in _HEADERS_SET_HERE:
            raise WebhookRefused(f"the {name} header is set by Jobdeck")
        sent_headers[name] = value
    sent_headers["Content-Type"] = "application/json"
    where = f"{target.scheme}://{target.host}:{target.port}"  # not the path: it may hold a secret token
    connection: http.client.HTTPConnection
    if target.scheme == "https":
        connection = _PinnedHTTPSConnection(target, timeout, ssl.create_default_context())
    else:
        connection = _PinnedHTTPConnection(target, timeout)
    try:
        try:
            connection.request("POST", target.path, body=body, headers=sent_headers)
        except ValueError as exc:  # a header name or value http.client refuses (CR/LF, ...)
            raise WebhookRefused(f"invalid header: {exc}") from None
        response = connection.getresponse()
        response.read(MAX_RESPONSE_BYTES)
        status = response.status
        location = response.getheader("Location")
    except (OSError, http.client.HTTPException) as exc:  # refused, reset, timed out, TLS, bad answer
        raise WebhookFailed(f"{where}: {type(exc).__name__}: {exc}", retryable=True) from None
    finally:
        connection.close()
    if 200 <= status < 300:
        return status
    if 300 <= status < 400:
        raise WebhookFailed(f"{where} answered {status}: redirect to {location or '?'} not followed", status=status)
    raise WebhookFailed(f"{where} answered {status}", status=status, retryable=status in (408, 429) or status >= 500)


def _allow_list(entries: Iterable[str]) -> tuple[frozenset[str], tuple[IPNetwork, ...]]:
    hosts: set[str] = set()
    networks: list[IPNetwork] = []
    for entry in entries:
        text = entry.strip().strip("[]").lower().rstrip(".")
        if not text:
            continue
        try:
            networks.append(ipaddress.ip_network(text, strict=False))
        except ValueError:
            hosts.add(text)
    return frozenset(hosts), tuple(networks)


def _within(ip: IPAddress, network: IPNetwork) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.version == network.version and ip in network


def _resolve(host: str, port: int) -> tuple[str, ...]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise WebhookFailed(f"cannot resolve {host}: {exc}", retryable=True) from None
    addresses: list[str] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        address = str(sockaddr[0]).split("%", 1)[0]  # an IPv6 scope (fe80::1%eth0) is not part of the address
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise WebhookFailed(f"cannot resolve {host}: no address", retryable=True)
    return tuple(addresses)


def _connect(target: Target, timeout: float | None) -> socket.socket:
    """A connection to the first checked address that answers (never a new DNS lookup)."""
    error: OSError | None = None
    for address in target.addresses:
        try:
            return socket.create_connection((address, target.port), timeout)
        except OSError as exc:
            error = exc
    raise error or OSError(f"no address to connect to for {target.host}")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, target: Target, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._target = target

    def connect(self) -> None:
        self.sock = _connect(self._target, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float, context: ssl.SSLContext) -> None:
        super().__init__(target.host, target.port, timeout=timeout, context=context)
        self._target = target
        self._tls = context

    def connect(self) -> None:
        sock = _connect(self._target, self.timeout)
        self.sock = self._tls.wrap_socket(sock, server_hostname=self._target.host)

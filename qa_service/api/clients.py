"""Who a request comes from: the client address that limits and trust decisions are keyed on.

The peer address of the connection is the client, unless the peer is a trusted proxy (QA_TRUSTED_PROXIES):
then X-Forwarded-For names it, read from the right and skipping trusted proxies, because only the entries a
trusted proxy appended can be believed (a client can send any X-Forwarded-For it likes). IPv6 clients are
grouped by their /64 network: one host commonly holds a whole /64, so keying on single IPv6 addresses would
give one client 2^64 separate budgets.
"""
from __future__ import annotations

import ipaddress

LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


def peer_address(environ: dict, trusted: frozenset[str]) -> str:
    """The client's address as a string (the peer, or what trusted proxies report)."""
    peer = environ.get("REMOTE_ADDR") or ""
    if peer not in trusted:
        return peer
    forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
    hops = [h.strip() for h in forwarded.split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return _valid_or(hop, peer)
    return peer


def _valid_or(address: str, fallback: str) -> str:
    try:
        return str(ipaddress.ip_address(address.strip("[]")))
    except ValueError:
        return fallback  # not an address: the proxy's own address is all that is known


def client_key(address: str) -> str:
    """The bucket a client address counts against: the IPv4 address, or the IPv6 /64 network."""
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return address or "unknown"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def is_loopback(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip("[]"))
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def host_is_loopback(host: str) -> bool:
    """Whether a Host header names this machine's loopback interface (a name DNS rebinding cannot produce)."""
    host = host.strip().lower()
    if host.startswith("["):  # [::1]:8000
        name = host[1:host.find("]")] if "]" in host else host[1:]
    else:
        name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name in LOOPBACK_NAMES or is_loopback(name)

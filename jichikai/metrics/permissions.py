"""Who may scrape /metrics: whoever sends the token, or (without a token) this machine only."""

import hmac
import ipaddress


def has_token(authorization: str | None, token: str) -> bool:
    """Whether `Authorization: Bearer <token>` was sent (compared in constant time)."""
    scheme, _, given = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(given.strip().encode(), token.encode())


def is_local(*addresses: str | None) -> bool:
    """Whether every address given is a loopback address (127.0.0.0/8, ::1)."""
    if not addresses:
        return False
    for address in addresses:
        try:
            ip = ipaddress.ip_address((address or "").strip())
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        if not ip.is_loopback:
            return False
    return True

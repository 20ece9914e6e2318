"""The client's address behind our reverse proxies — the one answer every per-address rule uses
(login throttling, the audit log, the contact form, the website chat, `/pay/`).

`X-Forwarded-For` is anyone's to write, so it is believed only when the peer that connected to us
is one of our proxies (`TRUSTED_PROXIES`) and only as far as `PROXY_COUNT` hops: with one nginx the
client is the last address nginx appended, whatever a visitor wrote before it. With `PROXY_COUNT=0`
(the default) the header is ignored and the peer's own address counts. python-ipware parses the
chain (ports, brackets, IPv6, garbage hops) and picks the position; this module only decides whether
the chain may be read at all, which ipware cannot: it never looks at the peer behind the header.
"""

import ipaddress
import logging
from functools import cache

from django.conf import settings
from django.http import HttpRequest
from python_ipware import IpWare

logger = logging.getLogger(__name__)


@cache
def _networks(entries: tuple[str, ...]) -> tuple:
    found = []
    for entry in entries:
        try:
            found.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            logger.error("Bad address in TRUSTED_PROXIES: %r", entry)
    return tuple(found)


@cache
def _reader(hops_before_peer: int) -> IpWare:
    return IpWare(precedence=("HTTP_X_FORWARDED_FOR",), proxy_count=hops_before_peer)


def _trusted(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(
        ip.version == net.version and ip in net
        for net in _networks(tuple(settings.TRUSTED_PROXIES))
    )


def client_ip(request: HttpRequest) -> str | None:
    """The visitor's address: the peer's own unless the peer is a trusted proxy, then the address
    that proxy (and the ones before it, up to PROXY_COUNT) reported. None when there is none."""
    peer = (request.META.get("REMOTE_ADDR") or "").strip() or None
    proxies = settings.PROXY_COUNT
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not proxies or not forwarded or peer is None or not _trusted(peer):
        return peer
    # The peer is the last proxy; the chain it sent ends with the hops of the proxies before it.
    ip, _trusted_route = _reader(proxies - 1).get_client_ip(
        {"HTTP_X_FORWARDED_FOR": forwarded}, strict=False
    )
    return str(ip) if ip is not None else peer

"""Which push endpoints the notifier may POST to.

The endpoint comes from the browser, and the notifier sends to it from inside the city's
network: an endpoint on a private, loopback, link-local or otherwise reserved address would
let anyone with an account make the notifier reach machines it should not (SSRF). So an
endpoint must be https, on port 443, at one of the browsers' push services
(``PARLEY_PUSH_SERVICES``), on a public address; plain http and private addresses are accepted
only with ``PARLEY_PUSH_ALLOW_PRIVATE_ENDPOINTS`` (development and tests, where the push
service is on this machine), and then http only on a loopback host. The notifier checks again
before each send, as a name may resolve elsewhere later.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


class UnsafeEndpoint(ValueError):
    """The endpoint is not one the notifier may send to; the message says why."""


#: A push service's addresses are looked up again after this long (500 pushes to one service
#: in a round need one lookup, not 500).
LOOKUP_SECONDS = 60
_looked_up: dict[str, tuple[float, list]] = {}
_lock = threading.Lock()


def _addresses(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    now = time.monotonic()
    with _lock:
        cached = _looked_up.get(host)
    if cached and cached[0] > now:
        return cached[1]
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        raise UnsafeEndpoint(_("The push service's address cannot be found.")) from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    with _lock:
        _looked_up[host] = (now + LOOKUP_SECONDS, addresses)
    return addresses


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_endpoint(endpoint: str, *, resolve: bool = True) -> None:
    """Raise ``UnsafeEndpoint`` unless ``endpoint`` is an address push may go to."""
    parts = urlsplit(endpoint)
    host = (parts.hostname or "").lower()
    if not host or parts.username or parts.password:
        raise UnsafeEndpoint(_("Enter the push service's address, as the browser gave it."))
    allow_private = settings.PARLEY_PUSH_ALLOW_PRIVATE_ENDPOINTS
    if parts.scheme != "https" and not (parts.scheme == "http" and allow_private
                                        and _is_loopback(host)):
        raise UnsafeEndpoint(_("A push service's address starts with https://."))
    if allow_private:
        return
    if not is_push_service(host) or parts.port not in (None, 443):
        raise UnsafeEndpoint(_("This is not the address of a browser's push service."))
    if not resolve:
        return
    for address in _addresses(host):
        if not all(part.is_global and not part.is_multicast
                   and not any(part in network for network in _NOT_GLOBAL
                               if part.version == network.version)
                   for part in _reached(address)):
            raise UnsafeEndpoint(_("This push service's address is not on the internet."))


def is_push_service(host: str) -> bool:
    """Whether ``host`` is one of the browsers' push services (``PARLEY_PUSH_SERVICES``: a
    host, or a domain it is under). Only these are sent to: a push service answers at once,
    where a server of the subscriber's own could hold the notifier's threads."""
    return any(host == known or host.endswith("." + known)
               for known in (name.lower().strip(".") for name in settings.PARLEY_PUSH_SERVICES))


#: Addresses that are not on the internet though ``is_global`` may say so: IPv4-compatible
#: and IPv4-translated IPv6, and the old site-local prefix.
_NOT_GLOBAL = (ipaddress.ip_network("::/96"), ipaddress.ip_network("::ffff:0:0:0/96"),
               ipaddress.ip_network("fec0::/10"))

#: IPv6 prefixes that carry an IPv4 address in their last 32 bits and reach it through a
#: translator (RFC 6052 NAT64, RFC 8215 local-use NAT64).
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))


def _reached(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> list:
    """The address and any IPv4 address it leads to (mapped, NAT64, 6to4, Teredo): an
    address that is global by itself may still wrap a private one."""
    reached = [address]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped:
            reached.append(address.ipv4_mapped)
        if address.sixtofour:
            reached.append(address.sixtofour)
        if address.teredo:
            reached.extend(address.teredo)
        if any(address in network for network in _NAT64):
            reached.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return reached

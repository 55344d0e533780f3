"""Addresses: safe redirect targets, the public address printed in QR codes and certificates,
and the address phones in the workshop room can reach."""

import ipaddress
import re
import socket
import struct
from urllib.parse import urlsplit

from flask import current_app, request, url_for

CONTROL = re.compile(r"[\x00-\x1f\x7f]")

try:
    import fcntl  # reads interface addresses on Linux; Windows and others use the route probe
except ImportError:  # pragma: no cover
    fcntl = None


def safe_next(target: str | None, fallback: str = "main.home") -> str:
    """A redirect target on this site only: a path, never another host or scheme."""
    if target and not CONTROL.search(target):  # CR/LF would split the Location header
        parts = urlsplit(target)
        if (
            not parts.scheme
            and not parts.netloc
            and target.startswith("/")
            and not target.startswith("//")
            and "\\" not in target
        ):
            return target
    return url_for(fallback)


def public_url(endpoint: str, **values) -> str:
    """Absolute address for QR codes, slips and certificates: on PUBLIC_URL when configured,
    else on the host of the current request."""
    base = current_app.config["PUBLIC_URL"]
    if base:
        # Built from the app's root without needing a request: PUBLIC_URL is where it is served.
        return base + current_app.url_map.bind("localhost").build(endpoint, values)
    return url_for(endpoint, _external=True, **values)


# Any address in a private range: only the route is looked up, no packet is sent to it.
_ROUTE_PROBE = ("10.254.254.254", 9)
_SIOCGIFADDR = 0x8915
# Interfaces phones never reach: loopback, containers and virtual machines.
_VIRTUAL_INTERFACES = ("lo", "docker", "br-", "veth", "virbr", "vmnet", "vboxnet")


def _interface_addresses() -> list[str]:
    """IPv4 addresses of this machine's network interfaces, asked of the kernel (Linux)."""
    if fcntl is None:
        return []
    found = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for _index, name in socket.if_nameindex():
            if name.startswith(_VIRTUAL_INTERFACES):
                continue
            try:
                packed = fcntl.ioctl(sock.fileno(), _SIOCGIFADDR, struct.pack("256s", name[:15].encode()))
            except OSError:
                continue  # down, or no IPv4 address
            found.append(socket.inet_ntoa(packed[20:24]))
    return found


def lan_address() -> str | None:
    """This machine's IPv4 address on the local network (the workshop's Wi-Fi), or None.

    Sends nothing: connect() on a UDP socket only asks the kernel which address it would use.
    Without a default route (a laptop's own offline hotspot) the interfaces are read instead.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(_ROUTE_PROBE)
            candidates = [probe.getsockname()[0]]
        except OSError:
            candidates = _interface_addresses()
    for candidate in candidates:
        try:
            address = ipaddress.ip_address(candidate)
        except ValueError:
            continue
        if not (address.is_loopback or address.is_unspecified or address.is_link_local):
            return str(address)
    return None


def is_private_url(url: str) -> bool:
    """True when a phone or a reader elsewhere could not reach the URL's host: loopback, a
    private range, or a bare machine name."""
    host = urlsplit(url).hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host or host.endswith((".local", ".localhost", ".internal", ".lan"))
    return address.is_private or address.is_loopback or address.is_link_local


def _opened_on_loopback() -> bool:
    host = urlsplit(f"//{request.host}").hostname or ""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def workshop_address() -> dict | None:
    """How the room reaches this laptop, when the page was opened on loopback and PUBLIC_URL is
    unset: {"opened_as": host, "lan": base URL on the workshop network or None}."""
    if current_app.config["PUBLIC_URL"] or not _opened_on_loopback():
        return None
    lan = lan_address()
    if lan is None:
        return {"opened_as": request.host, "lan": None}
    port = urlsplit(f"//{request.host}").port
    default = {"http": 80, "https": 443}.get(request.scheme)
    netloc = lan if port in (None, default) else f"{lan}:{port}"
    return {"opened_as": request.host, "lan": f"{request.scheme}://{netloc}"}


def workshop_url(endpoint: str, **values) -> str:
    """public_url for what phones in the room open (join QR codes): a page opened on this
    laptop's loopback address gives the laptop's address on the workshop network instead."""
    address = workshop_address()
    if address and address["lan"]:
        return address["lan"] + url_for(endpoint, **values)
    return public_url(endpoint, **values)

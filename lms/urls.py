"""Addresses: safe redirect targets, and the public address printed in QR codes and certificates."""

from urllib.parse import urlsplit

from flask import current_app, url_for


def safe_next(target: str | None, fallback: str = "main.home") -> str:
    """A redirect target on this site only: a path, never another host or scheme."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") \
                and not target.startswith("//") and "\\" not in target:
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

"""A small keep-alive HTTP client for loopback servers: cookies, CSRF tokens, page weight.

Standard library only (http.client), so what is timed is the server, not a client library.
It refuses any host that is not on the loopback interface.
"""

from __future__ import annotations

import html
import http.client
import ipaddress
import re
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin, urlsplit

CSRF_PATTERN = re.compile(r'name="csrf_token"[^>]*?value="([^"]+)"')
CSS_URL_PATTERN = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")
CSS_IMPORT_PATTERN = re.compile(r"@import\s+['\"]([^'\"]+)['\"]")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float  # from sending the request to the last byte of the body
    header_bytes: int = 0

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def location(self) -> str | None:
        return self.headers.get("location")

    def csrf_token(self) -> str | None:
        match = CSRF_PATTERN.search(self.text)
        return html.unescape(match.group(1)) if match else None


@dataclass
class Browser:
    """One user agent: one keep-alive connection, a cookie jar, the last CSRF token seen."""

    host: str
    port: int
    timeout: float = 15.0
    cookies: dict[str, str] = field(default_factory=dict)
    csrf: str | None = None
    _connection: http.client.HTTPConnection | None = None

    def __post_init__(self):
        if not is_loopback(self.host):
            raise ValueError(f"refusing a non-loopback host: {self.host}")

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def cookie_header(self) -> str:
        """The Cookie header this browser sends ("" when it holds none)."""
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def fork(self) -> Browser:
        """A second tab or a retry on another connection: same cookies, own connection."""
        return Browser(self.host, self.port, self.timeout, dict(self.cookies), self.csrf)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def request(
        self,
        method: str,
        path: str,
        form: dict | list | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> Response:
        """Send one request on the kept-alive connection; any network error closes it. A GET on
        a kept-alive connection the server closed meanwhile (it closes idle ones after a few
        seconds) is sent again once on a new connection, as browsers do."""
        reused = self._connection is not None and self._connection.sock is not None
        try:
            return self._request(method, path, form, headers, timeout)
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            if not (reused and method == "GET"):
                raise
            return self._request(method, path, form, headers, timeout)

    def _request(self, method, path, form, headers, timeout) -> Response:
        if self._connection is None:
            self._connection = http.client.HTTPConnection(
                self.host, self.port, timeout=timeout or self.timeout
            )
        elif timeout is not None:
            self._connection.timeout = timeout
            if self._connection.sock is not None:
                self._connection.sock.settimeout(timeout)
        sent = {"Accept-Language": "vi", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = self.cookie_header
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self._connection.request(method, path, body=body, headers=sent)
            raw = self._connection.getresponse()
            data = raw.read()
        except BaseException:
            self.close()
            raise
        seconds = time.perf_counter() - started
        received = {k.lower(): v for k, v in raw.getheaders()}
        header_bytes = sum(len(k) + len(v) + 4 for k, v in raw.getheaders()) + 17
        for cookie in raw.headers.get_all("Set-Cookie") or []:
            self._store_cookie(cookie)
        if raw.will_close:
            self.close()
        if timeout is not None and self._connection is not None:
            self._connection.timeout = self.timeout
            if self._connection.sock is not None:
                self._connection.sock.settimeout(self.timeout)
        return Response(raw.status, received, data, seconds, header_bytes)

    def _store_cookie(self, header: str) -> None:
        pair, _, attributes = header.partition(";")
        name, _, value = pair.strip().partition("=")
        attrs = attributes.lower()
        if "max-age=0" in attrs.replace(" ", "") or "expires=thu, 01 jan 1970" in attrs:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = value

    def get(self, path: str, **kwargs) -> Response:
        response = self.request("GET", path, **kwargs)
        token = (
            response.csrf_token()
            if response.headers.get("content-type", "").startswith("text/html")
            else None
        )
        if token:
            self.csrf = token
        return response

    def post(self, path: str, form: dict | list | None = None, **kwargs) -> Response:
        """POST a form with the CSRF token of the last page seen (as the browser would)."""
        form = list(form.items()) if isinstance(form, dict) else list(form or [])
        if self.csrf and not any(k == "csrf_token" for k, _ in form):
            form.append(("csrf_token", self.csrf))
        return self.request("POST", path, form=form, **kwargs)

    def post_fetch(self, path: str, form: dict | list | None = None, **kwargs) -> Response:
        """POST as app.js does for autosave: the CSRF token in a header, not the form."""
        headers = {"X-Requested-With": "fetch", "X-CSRFToken": self.csrf or ""}
        return self.request("POST", path, form=form or [], headers=headers, **kwargs)

    def post_and_hang_up(self, path: str, form: dict | list | None = None) -> None:
        """Send a form and drop the connection without reading the answer: a phone whose
        signal goes just after it sent the survey (the server still gets the request)."""
        form = list(form.items()) if isinstance(form, dict) else list(form or [])
        if self.csrf and not any(k == "csrf_token" for k, _ in form):
            form.append(("csrf_token", self.csrf))
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept-Language": "vi"}
        if self.cookies:
            headers["Cookie"] = self.cookie_header
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            connection.request("POST", path, body=urlencode(form), headers=headers)
        finally:
            connection.close()

    def sign_in(self, username: str, password: str) -> Response:
        """Open the sign-in page, post the form with its CSRF token; expect a redirect."""
        page = self.get("/login")
        if page.status != 200 or not self.csrf:
            raise RuntimeError(f"sign-in page answered {page.status} without a CSRF token")
        response = self.post("/login", {"username": username, "password": password})
        if response.status not in (302, 303):
            raise RuntimeError(f"sign-in of {username} answered {response.status}")
        return response


class _References(HTMLParser):
    """Sub-resources a browser would fetch for a page: stylesheets, scripts, images, icons."""

    def __init__(self):
        super().__init__()
        self.urls: list[tuple[str, str]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("href"):
            rel = (attrs.get("rel") or "").lower()
            if any(r in rel for r in ("stylesheet", "icon", "preload", "modulepreload", "manifest")):
                self.urls.append(("css" if "stylesheet" in rel else "other", attrs["href"]))
        elif tag == "script" and attrs.get("src"):
            self.urls.append(("js", attrs["src"]))
        elif tag in ("img", "source", "input") and attrs.get("src"):
            self.urls.append(("img", attrs["src"]))
        elif tag in ("img", "source") and attrs.get("srcset"):
            for candidate in attrs["srcset"].split(","):
                if candidate.strip():
                    self.urls.append(("img", candidate.strip().split()[0]))


@dataclass
class PageWeight:
    path: str
    status: int
    html_bytes: int
    resources: list[dict]  # {"url", "kind", "bytes", "status"}
    third_party: list[str]
    header_bytes: int = 0  # response headers of the page and its resources

    @property
    def total_bytes(self) -> int:
        return self.html_bytes + sum(r["bytes"] for r in self.resources)

    @property
    def requests(self) -> int:
        return 1 + len(self.resources)

    def by_kind(self) -> dict[str, int]:
        kinds = {"html": self.html_bytes}
        for resource in self.resources:
            kinds[resource["kind"]] = kinds.get(resource["kind"], 0) + resource["bytes"]
        return kinds


def page_weight(browser: Browser, path: str, cache: dict[str, dict[str, str]] | None = None) -> PageWeight:
    """Body bytes a visit transfers (no compression is configured): the page and everything it
    references, followed through stylesheets. Without `cache` it is a first visit; with one,
    resources already seen are revalidated as a browser does (a 304 carries no body). Other
    origins are listed, never fetched."""
    page = browser.get(path)
    header_bytes = page.header_bytes
    parser = _References()
    parser.feed(page.text)
    base = browser.origin + path
    queue = [(kind, urljoin(base, url)) for kind, url in parser.urls]
    seen: set[str] = set()
    resources, third_party = [], []
    while queue:
        kind, url = queue.pop(0)
        if url in seen or url.startswith("data:"):
            continue
        seen.add(url)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc != f"{browser.host}:{browser.port}":
            third_party.append(url)
            continue
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        validators = {}
        if cache is not None and target in cache:
            validators = {
                name: value
                for name, value in (
                    ("If-None-Match", cache[target].get("etag")),
                    ("If-Modified-Since", cache[target].get("last-modified")),
                )
                if value
            }
        response = browser.request("GET", target, headers=validators)
        if cache is not None and response.status == 200:
            cache[target] = response.headers
        header_bytes += response.header_bytes
        resources.append(
            {"url": target, "kind": kind, "bytes": len(response.body), "status": response.status}
        )
        if response.status == 200 and (
            kind == "css" or response.headers.get("content-type", "").startswith("text/css")
        ):
            css = response.text
            for ref in CSS_URL_PATTERN.findall(css) + CSS_IMPORT_PATTERN.findall(css):
                ref_kind = (
                    "css"
                    if ref.endswith(".css")
                    else ("font" if re.search(r"\.(woff2?|ttf|otf)(\?|$)", ref) else "img")
                )
                queue.append((ref_kind, urljoin(url, ref)))
    return PageWeight(path, page.status, len(page.body), resources, third_party, header_bytes)

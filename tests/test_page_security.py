"""Pages never run data as code: hostile addresses stay text, every answer has the security headers, Host is checked."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest

from evidencekg.pages.links import safe_href
from evidencekg.store.embedded import OxigraphStore
from service.security import allowed_hosts, host_name
from tests._server import live_server, memory_app

CONSTRUCT = "https://w3id.org/evidencekg/id/construct/attachment-anxiety"
HOSTILE = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "\tjavascript:alert(1)",
    "\x01javascript:alert(1)",
    "\x00javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "javascript\r:alert(1)",
    "\u0085javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "DATA:text/html;base64,PHNjcmlwdD4=",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "//evil.example/",
    "/\\evil.example/",
    "evil.example/x",
    "",
]
SAFE = ["http://example.org/a", "HTTPS://doi.org/10.1/x", "mailto:someone@example.org", "/id/construct/a", "?format=ttl", "#top"]


@pytest.mark.parametrize("url", HOSTILE)
def test_safe_href_refuses_every_address_that_is_not_web_mail_or_ours(url: str) -> None:
    assert safe_href(url) is None


@pytest.mark.parametrize("url", SAFE)
def test_safe_href_keeps_web_and_mail_addresses_and_our_paths(url: str) -> None:
    assert safe_href(url) == url


def hostile_store() -> OxigraphStore:
    """The shipped evidence plus hostile links and labels on one construct (written straight into the store)."""
    app = memory_app(load_evidence=True)
    store: OxigraphStore = app.state.store
    store.update(
        f"INSERT DATA {{ <{CONSTRUCT}> <http://www.w3.org/2000/01/rdf-schema#seeAlso> <javascript:alert(document.domain)> , "
        f'<JaVaScRiPt:alert(2)> , <data:text/html,x> ; <http://www.w3.org/2000/01/rdf-schema#label> "\\"><img src=x onerror=alert(1)>" ; '
        '<http://www.w3.org/2004/02/skos/core#note> "</script><script>alert(1)</script>" , "javascript:alert(3)" , "https://example.org/ok" }'
    )
    return store


def hrefs(html: str) -> list[str]:
    """Every href and src value of a page (entities left as written)."""
    return re.findall(r'(?:href|src|action)="([^"]*)"', html)


def test_a_resource_page_links_only_safe_addresses_and_escapes_hostile_text() -> None:
    with live_server(memory_app(hostile_store())) as base:
        page = httpx.get(f"{base}/id/construct/attachment-anxiety", timeout=30)
    assert page.status_code == 200
    links = hrefs(page.text)
    assert links and all(safe_href(link) for link in links), [link for link in links if not safe_href(link)]
    assert "javascript:alert(document.domain)" in page.text  # shown, as text
    assert "https://example.org/ok" in links  # a web address in a literal still links
    assert "<img src=x" not in page.text and "&lt;img src=x onerror=alert(1)&gt;" in page.text
    assert "<script>alert(1)" not in page.text


SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}
PATHS = [
    "/",
    "/network",
    "/id/construct/attachment-anxiety",
    "/id/no-such-thing",
    "/queries",
    "/docs",
    "/sparql",
    "/sparql?query=ASK%7B%7D",
    "/static/style.css",
    "/api/network",
]


@pytest.fixture(scope="module")
def base() -> object:
    with live_server(memory_app(load_evidence=True)) as url:
        yield url


@pytest.mark.parametrize("path", PATHS)
def test_every_answer_has_the_security_headers(base: str, path: str) -> None:
    answer = httpx.get(base + path, headers={"Accept": "text/html"}, timeout=30)
    assert answer.status_code < 500, answer.text
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers.get(name) == value, (path, name, answer.headers.get(name))
    policy = {d.split()[0]: d.split()[1:] for d in answer.headers["content-security-policy"].split(";") if d.strip()}
    assert policy["script-src"] == ["'self'"], policy  # no inline script, no eval
    assert policy["default-src"] == ["'self'"] and policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]


@pytest.mark.parametrize("path", ["/", "/network", "/id/construct/attachment-anxiety", "/queries", "/docs"])
def test_html_pages_hold_no_inline_script_or_event_handler(base: str, path: str) -> None:
    html = httpx.get(base + path, headers={"Accept": "text/html"}, timeout=30).text
    assert "<body" in html, path
    scripts = re.findall(r"<script\b([^>]*)>", html)
    for attributes in scripts:  # each loads a file of ours, or is data (JSON) that no browser runs
        assert 'src="/' in attributes or any(f'type="{t}"' in attributes for t in ("application/json", "application/ld+json")), attributes
    assert not re.search(r"\son[a-z]+\s*=", html), re.search(r"\son[a-z]+\s*=.{0,40}", html)


def test_a_foreign_host_header_is_refused(base: str) -> None:
    port = urlsplit(base).port
    for host in ("evil.example", f"evil.example:{port}", "127.0.0.1.evil.example", "localhost.", ""):
        answer = httpx.get(base + "/", headers={"Host": host}, timeout=30)
        assert answer.status_code == 400, host
        assert "Host" in answer.text and "EVIDENCEKG_ALLOWED_HOSTS" in answer.text
        assert answer.headers["x-frame-options"] == "DENY"
    for host in (f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST", f"[::1]:{port}"):
        assert httpx.get(base + "/sparql", headers={"Host": host}, timeout=30).status_code == 200, host


def test_allowed_hosts_are_configurable() -> None:
    app = memory_app(settings_overrides={"allowed_hosts": ["evidence.example.org"]})
    with live_server(app) as url:
        assert httpx.get(url + "/sparql", headers={"Host": "evidence.example.org"}).status_code == 200
        assert httpx.get(url + "/sparql", headers={"Host": "localhost"}).status_code == 400  # replaced, not added
        assert httpx.get(url + "/sparql").status_code == 200  # the bound host (127.0.0.1) always answers
    with live_server(memory_app(settings_overrides={"allowed_hosts": ["*"]})) as url:
        assert httpx.get(url + "/sparql", headers={"Host": "anything.example"}).status_code == 200


def test_host_names_are_read_without_their_port() -> None:
    assert [host_name(h) for h in ("[::1]:8000", "LocalHost:80", "127.0.0.1", "[::1]", "a.example:1")] == [
        "::1", "localhost", "127.0.0.1", "::1", "a.example"
    ]
    assert allowed_hosts(["Example.ORG", " "], "0.0.0.0") == frozenset({"example.org"})
    assert allowed_hosts([], "10.0.0.5") == frozenset({"10.0.0.5"})

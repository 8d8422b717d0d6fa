"""Which addresses a page may turn into a link: web and mail addresses and our own paths, never code."""

from __future__ import annotations

import re

SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


def safe_href(url: str | None) -> str | None:
    """`url` when a browser following it stays on http(s)/mailto or on this site; None otherwise.

    Browsers drop whitespace and control characters around and inside a scheme
    (`" java\\tscript:"` runs as `javascript:`), so any such character refuses the address.

    >>> safe_href("https://doi.org/10.1/x"), safe_href("/id/construct/a"), safe_href("?format=ttl")
    ('https://doi.org/10.1/x', '/id/construct/a', '?format=ttl')
    >>> [safe_href(u) for u in ("javascript:alert(1)", "JaVaScRiPt:x", " javascript:x", "data:text/html,x", "//evil.example/", "/\\\\evil")]
    [None, None, None, None, None, None]
    """
    if not url or any(ord(ch) <= 0x20 or 0x7F <= ord(ch) <= 0x9F for ch in url):
        return None
    scheme = _SCHEME.match(url)
    if scheme:
        return url if scheme.group(1).lower() in SAFE_SCHEMES else None
    if url.startswith(("?", "#")) or (url.startswith("/") and not url.startswith(("//", "/\\"))):
        return url  # this site (a path, a query or a fragment of the page itself)
    return None  # another relative form ("evil.example/x", "./x"): pages never write those

"""Security headers on every answer and a Host allowlist (DNS rebinding), as one ASGI middleware."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Pages run only this site's files (no inline script, no eval: Cytoscape and YASGUI need neither).
# style-src allows inline styles because YASGUI/CodeMirror and Swagger UI write style attributes and
# <style> elements; img-src and font-src allow data: for YASGUI's bundled icons.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


def host_name(header: str) -> str:
    """The host of a Host header without its port, lower-cased (`[::1]:8000` -> `::1`).

    >>> host_name("[::1]:8000"), host_name("LocalHost:80"), host_name("127.0.0.1")
    ('::1', 'localhost', '127.0.0.1')
    """
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def allowed_hosts(configured: Iterable[str], bound: str) -> frozenset[str]:
    """The hosts the service answers to: the configured ones plus the one it is bound to."""
    hosts = {h.strip().lower().strip("[]") for h in configured if h.strip()}
    if bound not in ("0.0.0.0", "::", ""):
        hosts.add(bound.lower().strip("[]"))
    return frozenset(hosts)


class SecurityMiddleware:
    """Answer 400 to a Host header not allowed ("*" allows all); add HEADERS to every answer."""

    def __init__(self, app: ASGIApp, hosts: frozenset[str]) -> None:
        self.app = app
        self.hosts = hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = [*message.get("headers", []), *(h for h in HEADERS if h[0] not in names)]
            await send(message)

        header = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), "")
        if "*" not in self.hosts and host_name(header) not in self.hosts:
            body = (
                f"Bad request: Host {header!r} is not one this service answers to "
                f"(allowed: {', '.join(sorted(self.hosts))}; set EVIDENCEKG_ALLOWED_HOSTS)\n"
            ).encode()
            await send_with_headers(
                {"type": "http.response.start", "status": 400,
                 "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]}
            )
            await send_with_headers({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send_with_headers)

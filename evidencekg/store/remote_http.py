"""HTTP for a remote SPARQL endpoint: form-encoded requests, Basic/Digest authentication, errors naming the URL, answers made standard."""

from __future__ import annotations

import re
from collections.abc import Generator, Sequence
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox

from evidencekg.errors import InvalidInput, QuerySyntaxError, QueryTimeout, StoreError, StoreUnavailable

FORM = "application/x-www-form-urlencoded"
XML_RESULTS = "application/sparql-results+xml"
# Virtuoso writes its blank nodes as <bnode>nodeID://b10000</bnode>, which no blank node label allows
_VIRTUOSO_BNODE = re.compile(rb"<bnode>nodeID://")
_ASK_VARIABLE = "__ASK_RETVAL"  # Virtuoso answers an ASK with one row of this variable (1 or 0)
_BOOLEAN_XML = '<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/><boolean>{}</boolean></sparql>'


def credentials(text: str | None) -> tuple[str, str] | None:
    """`user:password` as a pair (None for None); text without ':' is an InvalidInput saying the expected form.

    >>> credentials("dba:s3cr:et")
    ('dba', 's3cr:et')
    """
    if text is None:
        return None
    user, sep, password = text.partition(":")
    if not sep or not user:
        raise InvalidInput("the update credentials must be given as user:password (e.g. --update-auth dba:secret)")
    return user, password


class ChallengeAuth(httpx.Auth):
    """HTTP authentication in the scheme the server asks for: Digest (Virtuoso's /sparql-auth) or Basic."""

    requires_request_body = True

    def __init__(self, user: str, password: str) -> None:
        self._basic = httpx.BasicAuth(user, password)
        self._digest = httpx.DigestAuth(user, password)
        self._scheme: str | None = None  # learnt from the first challenge

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        """Send; on a 401 answer its challenge (later requests use the learnt scheme straight away)."""
        if self._scheme == "basic":
            yield from self._basic.auth_flow(request)
            return
        if self._scheme == "digest":
            yield from self._digest.auth_flow(request)
            return
        response = yield request
        if response.status_code != 401:
            return
        challenge = response.headers.get("www-authenticate", "")
        self._scheme = "digest" if challenge.lower().startswith("digest") else "basic"
        yield from (self._digest if self._scheme == "digest" else self._basic).auth_flow(request)


class Transport:
    """One HTTP client for an endpoint's URLs; every transport failure becomes StoreUnavailable or QueryTimeout naming the URL."""

    def __init__(self, timeout: float, auth: tuple[str, str] | None = None) -> None:
        self.timeout = timeout
        self._client = httpx.Client(timeout=timeout)
        self._auth = ChallengeAuth(*auth) if auth else None

    def send(self, method: str, url: str, *, authenticate: bool = False, **kwargs: object) -> httpx.Response:
        """One request (authenticated when asked and credentials were given)."""
        try:
            return self._client.request(method, url, auth=self._auth if authenticate and self._auth else None, **kwargs)  # type: ignore[arg-type]
        except httpx.TimeoutException as exc:
            raise QueryTimeout(f"the SPARQL endpoint {url} did not answer within {self.timeout:g} s") from exc
        except (httpx.TransportError, httpx.InvalidURL) as exc:
            raise StoreUnavailable(
                f"the SPARQL endpoint {url} cannot be reached ({exc or type(exc).__name__}): check that its server "
                "is running and that the URL (scheme, host, port and path) is right"
            ) from exc

    def form(self, url: str, fields: Sequence[tuple[str, str]], accept: str | None = None, authenticate: bool = False) -> httpx.Response:
        """POST form fields (the SPARQL Protocol's one request every engine answers); errors raised by what the status says."""
        headers = {"Content-Type": FORM, **({"Accept": accept} if accept else {})}
        response = self.send("POST", url, content=urlencode(fields).encode(), headers=headers, authenticate=authenticate)
        check_status(response, url)
        return response

    def server(self, url: str) -> str | None:
        """The `Server` header the endpoint sends with its answer to `ASK {}` (cheap everywhere), to pick its profile.

        Not HEAD (Oxigraph server answers it with a body, which breaks the connection) nor a bare GET
        (which some servers answer with a whole query editor page).
        """
        return self.send("GET", url, params={"query": "ASK {}"}, headers={"Accept": XML_RESULTS}).headers.get("server")


def check_status(response: httpx.Response, url: str) -> None:
    """Raise for a refused request: QuerySyntaxError (400), StoreError saying to give credentials (401/403), StoreError otherwise."""
    status = response.status_code
    if status < 300:
        return
    text = response.text.strip().split("\n\nSPARQL query:", 1)[0]  # Virtuoso echoes the whole query after its message
    if status == 400 or (status == 500 and "SPARQL compiler" in text):  # Virtuoso answers some syntax errors with 500
        raise QuerySyntaxError(text[:2000])
    if status in (401, 403) or (status == 500 and "SECURITY: No permission" in text):  # Virtuoso: 500 for anonymous updates
        raise StoreError(
            f"the SPARQL endpoint {url} refused the request ({status}: {text[:200]}): give the update credentials "
            "with --update-auth user:password (or EVIDENCEKG_UPDATE_AUTH)"
        )
    raise StoreError(f"the SPARQL endpoint {url} answered {status}: {text[:500]}")


def solutions_or_boolean(body: bytes) -> ox.QuerySolutions | ox.QueryBoolean:
    """Parse a SPARQL XML results document, made standard first (Virtuoso's blank node labels and its ASK rows)."""
    try:
        result = ox.parse_query_results(_VIRTUOSO_BNODE.sub(b"<bnode>", body), format=ox.QueryResultsFormat.XML)
    except SyntaxError as exc:
        raise StoreError(f"the SPARQL endpoint's answer is not a SPARQL XML result: {exc}: {body[:200]!r}") from exc
    if isinstance(result, ox.QuerySolutions) and [v.value for v in result.variables] == [_ASK_VARIABLE]:
        rows = list(result)
        value = rows[0][_ASK_VARIABLE] if rows else None
        truth = "true" if value is not None and value.value not in ("0", "false") else "false"
        return ox.parse_query_results(_BOOLEAN_XML.format(truth).encode(), format=ox.QueryResultsFormat.XML)  # type: ignore[return-value]
    return result

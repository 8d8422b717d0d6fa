"""SERVICE/LOAD can never make the server fetch a URL it was not allowed: every spelling, a fuzz, allowlist normalisation.

A loopback listener stands in for an internal service. It counts connections and answers each
with a secret body; every attack must leave it untouched. Controls show the battery can fail:
with the listener allowlisted, the same spellings that the engine reads as SERVICE do reach it.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import httpx
import pytest

from evidencekg.errors import Forbidden
from evidencekg.sparql import guard
from evidencekg.sparql.text import tokenize
from tests._listener import SECRET, Listener
from tests._server import live_server, memory_app

TOKEN = "ssrf-token"


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    """One listener for the module; tests compare its count before and after."""
    target = Listener()
    yield target
    target.close()


@pytest.fixture(scope="module")
def closed_server() -> Iterator[str]:
    """A server with nothing allowlisted and writes on."""
    app = memory_app(settings_overrides={"token": TOKEN, "service_allowlist": [], "query_timeout": 10})
    with live_server(app) as base_url:
        yield base_url


def spellings(url: str) -> list[str]:
    """The query spellings reported to get through a text scanner, and more of the same kind."""
    prefix = url.rsplit("/", 1)[0] + "/"
    return [
        f"SELECT * WHERE {{ SERVICESILENT <{url}> {{ ?x ?y ?z }} }}",
        f"SELECT * WHERE {{ SERVICE SILENT<{url}>{{ ?x ?y ?z }} }}",
        f"SELECT * WHERE {{ SERVICE<{url}>{{}} }}",
        f"PREFIX e: <{prefix}> SELECT * WHERE {{ SERVICEe:x {{ ?x ?y ?z }} }}",
        f"PREFIX e: <{prefix}> SELECT * WHERE {{ SERVICESILENTe:x {{ ?x ?y ?z }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICESILENT <{url}> {{ }} }} }}",
        f"SELECT * WHERE {{ ?s ?p ?o FILTER NOT EXISTS {{ SERVICE <{url}> {{ }} }} }}",
        f"SELECT * WHERE {{ OPTIONAL {{ SeRvIcE <{url}> {{ }} }} }}",
        f"SELECT * WHERE {{ {{ }} UNION {{ service#c\n<{url}>{{}} }} }}",
        f"SELECT * WHERE {{ MINUS {{ SERVICE <{url}> {{ }} }} }}",
        f"SELECT * WHERE {{ {{ SELECT * WHERE {{ SERVICE <{url}> {{ }} }} }} }}",
        f"SELECT * WHERE {{ GRAPH ?g {{ SERVICE <{url}> {{ }} }} }}",
        f"SELECT * WHERE {{ BIND(<{url}> AS ?u) SERVICE ?u {{ }} }}",
        f"BASE <{prefix}> SELECT * WHERE {{ SERVICE <x> {{ }} }}",
        f"ASK {{ SERVICE <{url}> {{ }} }}",
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"DESCRIBE ?s WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
        f"SELECT * WHERE {{ SERVICE <{url.replace(':', chr(92) + 'u003A', 1)}> {{ }} }}",
        f"SELECT * WHERE {{ SERVICE <{url}> {{ }} }} " + "aé" * 2000,
        f"SELECT * WHERE {{ #c\rSERVICE <{url}> {{ }}\n }}",  # SPARQL ends a comment at CR too; rdflib did not
        f"ASK {{ ?s ?p ?o # \r SERVICE SILENT <{url}> {{ ?s ?p ?o }}\n }}",
    ]


def fuzzed(url: str) -> Iterator[str]:
    """Keyword case x separator x SILENT x target form x context: a few hundred SERVICE spellings."""
    prefix = url.rsplit("/", 1)[0] + "/"
    keywords = ["SERVICE", "service", "Service", "sErViCe"]
    gaps = ["", " ", "\t", "\n", "#x\n", " #SERVICE\n "]
    silents = ["", "SILENT", "silent"]
    targets = [f"<{url}>", "e:x", "?u"]
    contexts = [
        "{{ {body} }}",
        "{{ OPTIONAL {{ {body} }} }}",
        "{{ ?s ?p ?o FILTER EXISTS {{ {body} }} }}",
        "{{ {{ }} UNION {{ {body} }} }}",
    ]
    for keyword, gap, silent, target, context in itertools.product(keywords, gaps, silents, targets, contexts):
        if (gap == "" and (silent or target == "e:x") and keyword != "SERVICE") or (silent == "" and gap == "\t"):
            continue  # keep the set a few hundred strong, every kind still present
        body = f"{keyword}{gap}{silent}{gap}{target}{gap}{{ }}"
        bind = f"BIND(<{url}> AS ?u) " if target == "?u" else ""
        yield f"PREFIX e: <{prefix}> SELECT * WHERE {{ {bind}" + context.format(body=body)[1:]


def send(base_url: str, text: str, how: str) -> httpx.Response:
    """A query by GET, form POST or direct POST; an update (with the token) by form POST."""
    if how == "get":
        return httpx.get(f"{base_url}/sparql", params={"query": text}, timeout=30)
    if how == "form":
        return httpx.post(f"{base_url}/sparql", data={"query": text}, timeout=30)
    if how == "direct":
        return httpx.post(
            f"{base_url}/sparql", content=text.encode(), headers={"Content-Type": "application/sparql-query"}, timeout=30
        )
    return httpx.post(
        f"{base_url}/sparql", data={"update": text}, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
    )


@pytest.mark.parametrize("how", ["get", "form", "direct"])
def test_reported_spellings_never_reach_the_listener(closed_server: str, listener: Listener, how: str) -> None:
    """Each reported spelling answers 4xx and the listener sees no connection; no reply carries its body."""
    before = listener.connections
    for text in spellings(f"{listener.base}/sparql"):
        response = send(closed_server, text, how)
        assert 400 <= response.status_code < 500, (text, response.status_code, response.text)
        assert SECRET not in response.text
    time.sleep(0.3)
    assert listener.connections == before


def test_fuzzed_spellings_never_reach_the_listener(closed_server: str, listener: Listener) -> None:
    """A few hundred keyword/whitespace/comment/prefix/context combinations: zero connections."""
    texts = list(fuzzed(f"{listener.base}/sparql"))
    assert len(texts) > 300
    before = listener.connections
    for text in texts:
        response = send(closed_server, text, "form")
        assert 400 <= response.status_code < 500, (text, response.status_code, response.text)
    time.sleep(0.3)
    assert listener.connections == before


def test_updates_never_load_from_the_listener(closed_server: str, listener: Listener) -> None:
    """LOAD in every spelling (token given) is refused and nothing is fetched."""
    url = f"{listener.base}/data.ttl"
    updates = [
        f"LOADSILENT<{url}>",
        f"LOAD<{url}>",
        f"load silent <{url}> into graph <http://example.org/g>",
        f"PREFIX e: <{listener.base}/> LOADe:data.ttl",
        f"INSERT DATA {{ <http://a/s> <http://a/p> 1 }} ; LOAD <{url}>",
        f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICESILENT <{url}> {{ ?s ?p ?o }} }}",
    ]
    before = listener.connections
    for text in updates:
        response = send(closed_server, text, "update")
        assert response.status_code == 400, (text, response.text)
    time.sleep(0.3)
    assert listener.connections == before


def test_using_graph_uri_cannot_inject(closed_server: str) -> None:
    """A using-graph-uri that would close its <...> and add an operation is refused as not an IRI."""
    response = httpx.post(
        f"{closed_server}/sparql",
        data={
            "update": "DELETE { ?s ?p ?o } WHERE { ?s ?p ?o FILTER(false) }",
            "using-graph-uri": "http://ex/g> WHERE {} ; INSERT DATA { <http://ex/s> <http://ex/p> 1 } #",
        },
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert response.status_code == 400, response.text
    assert "using-graph-uri" in response.text
    asked = httpx.get(f"{closed_server}/sparql", params={"query": "ASK { <http://ex/s> ?p ?o }"}).json()
    assert asked["boolean"] is False


def test_allowlisted_listener_is_reached_but_its_answer_is_not_shown(listener: Listener) -> None:
    """Control: allowlisted, the engine does call out (so the battery above can fail), and the error hides the body."""
    app = memory_app(settings_overrides={"service_allowlist": [f"{listener.base}/"], "query_timeout": 10})
    with live_server(app) as base_url:
        before = listener.connections
        reached = 0
        for text in spellings(f"{listener.base}/sparql")[:4]:
            response = send(base_url, text, "form")
            assert SECRET not in response.text
            assert response.status_code < 500 or "not shown" in response.text, response.text
            reached += 1
        time.sleep(0.3)
        assert listener.connections - before >= 2, "the engine should have called the allowlisted listener"
        assert reached == 4


@pytest.mark.parametrize(
    "target, expected",
    [
        ("http://ok.example/sparql", True),
        ("http://OK.example:80/sparql/sub", True),
        ("http://ok.example/sparqlXYZ", False),
        ("http://ok.example/sparql/../secret", False),
        ("http://ok.example/sparql/%2e%2e/secret", False),
        ("http://ok.example/sparql%2F..%2Fsecret", False),
        ("http://ok.example:8080/sparql", False),
        ("https://ok.example/sparql", False),
        ("http://user@ok.example/sparql", False),
        ("http://ok.example.evil/sparql", False),
        ("file:///etc/passwd", False),
    ],
)
def test_allowlist_matches_normalised_urls(target: str, expected: bool) -> None:
    """Scheme, host, port and whole leading path segments; dot segments and encoded separators match nothing."""
    assert guard.allowed(guard.Target("SERVICE", target, target), ["http://ok.example/sparql"]) is expected


def test_names_that_only_look_like_keywords_are_fine() -> None:
    """Variables, strings, IRIs and prefixed names spelled like the keywords do not make a query refused."""
    for text in [
        "SELECT ?service ?load { ?service <http://example.org/workload> 'SERVICE <http://evil/>' }",
        "PREFIX service: <http://example.org/> SELECT * { ?s service:load ?o }",
    ]:
        assert guard.check(text, []) == []
    with pytest.raises(Forbidden):
        guard.check("SELECT * { SERVICE <http://evil/> {} }", [])


def cpu(function: object, text: str) -> float:
    """CPU seconds (this process) that one call takes."""
    started = time.process_time()
    function(text)  # type: ignore[operator]
    return time.process_time() - started


@pytest.mark.parametrize("shape", ["aé", "a.", "_:", "a:", "é", "SERVICE"])
def test_lexer_and_guard_are_linear(shape: str) -> None:
    """16x the input costs far less than 256x the CPU (a quadratic scan of 40 KB took minutes)."""
    for function in (lambda t: list(tokenize(t)), lambda t: guard.might_reach_out(t)):
        small = "SELECT * { ?s ?p ?o } " + shape * 2_000
        large = "SELECT * { ?s ?p ?o } " + shape * 32_000
        small_cost = min(cpu(function, small) for _ in range(3)) + 1e-4
        large_cost = min(cpu(function, large) for _ in range(3))
        assert large_cost / small_cost < 60, (shape, small_cost, large_cost)


# Pieces that change how a text is cut into tokens: quotes, comment starts and ends, escapes, IRI brackets.
PIECES = ["'", '"', "'''", '"""', "#", "\r", "\n", " ", "\\", "<", ">", "<http://a/x>", "?s", "?o", ".", ",", ";", "{", "}",
          "(", ")", "FILTER", "BIND", "AS", "1", "e:x", "\\u0027", "\\u0022", "\\u003E", "\\n", "\\'", '\\"']


def differential_texts(url: str, count: int, seed: int) -> Iterator[str]:
    """SERVICE calls wrapped in what one grammar may read as a string, an IRI or a comment and another as code.

    Each text puts `opener + random pieces + SERVICE + random pieces + closer` where a string, an
    IRI or a comment may stand, with random pieces around it.
    """
    import random

    chooser = random.Random(seed)
    service = f"SERVICE <{url}> {{ }}"
    wrappers = [("'", "'"), ('"', '"'), ("'" * 3, "'" * 3), ('"""', '"""'), ("<", ">"), ("#", "\n"), ("#", "\r"), ("#", ""), ("", "")]
    places = ["?s ?p {hidden} .", "FILTER(?o != {hidden})", "BIND({hidden} AS ?z)", "{hidden}"]

    def soup(most: int) -> str:
        return "".join(
            chooser.choice(PIECES) + (" " if chooser.random() < 0.5 else "") for _ in range(chooser.randint(0, most))
        )

    for _ in range(count):
        opener, closer = chooser.choice(wrappers)
        hidden = opener + soup(2) + service + soup(2) + closer
        yield "PREFIX e: <http://a/> ASK { ?s ?p ?o . " + soup(3) + " " + chooser.choice(places).format(hidden=hidden) + " " + soup(3) + " }"


def test_what_the_checker_allows_never_reaches_out_in_the_engine(listener: Listener) -> None:
    """Differential fuzz: every text the checker lets through is run by Oxigraph itself; none may call the listener.

    (A `#` comment ended by a CR alone was one such text: code to Oxigraph, comment to rdflib's grammar.)
    Control: run unchecked, that text does call the listener, and the checker refuses it now.
    """
    import pyoxigraph as ox

    engine = ox.Store()
    engine.add(ox.Quad(ox.NamedNode("http://a/s"), ox.NamedNode("http://a/p"), ox.Literal("o")))

    def reaches(text: str) -> bool:
        before = listener.connections
        try:
            engine.query(text)
        except (SyntaxError, OSError, ValueError, RuntimeError):
            pass
        time.sleep(0.01)
        return listener.connections > before

    allowed_count = 0
    for text in differential_texts(listener.url, 2000, seed=13):
        try:
            guard.check(text, [])
        except Forbidden:
            continue
        allowed_count += 1
        assert not reaches(text), f"the checker allowed a text that calls out: {text!r}"
    assert allowed_count > 30, "the fuzz should also produce texts the checker allows"
    cr_comment = f"ASK {{ ?s ?p ?o . # c\rSERVICE <{listener.url}> {{ }}\n }}"
    assert reaches(cr_comment), "the control: run unchecked, a SERVICE after a CR-ended comment calls out"
    with pytest.raises(Forbidden):
        guard.check(cr_comment, [])


def test_a_remote_answer_in_an_error_is_hidden_even_when_no_target_was_found() -> None:
    """Second line of defence: an engine error carrying a remote status and body never reaches the client as is."""
    from evidencekg.errors import StoreError

    leaked = f"Error 500 Internal Server Error returned by http://127.0.0.1:9/sparql with payload: {SECRET}"
    with pytest.raises(StoreError) as caught, guard.remote_errors_hidden([]):
        raise StoreError(leaked)
    assert SECRET not in str(caught.value) and "not shown" in str(caught.value)
    with pytest.raises(StoreError, match="ordinary failure"), guard.remote_errors_hidden([]):
        raise StoreError("an ordinary failure")

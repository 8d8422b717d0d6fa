"""docs/w3id.htaccess: every redirect, followed the way mod_rewrite applies it, answers from a live service."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import httpx
import pytest
import rdflib

from evidencekg.load.shipped import shipped_store
from evidencekg.settings import Settings, get_settings
from service.app import create_app
from tests._server import live_server

HTACCESS = Path(__file__).resolve().parents[1] / "docs" / "w3id.htaccess"
RULE = re.compile(r"^RewriteRule\s+(\S+)\s+(\S+)\s+\[([^\]]*)\]$")
CONDITION = re.compile(r"^RewriteCond\s+%\{HTTP_ACCEPT\}\s+(\S+)$")
TURTLE = "text/turtle"


def rules() -> tuple[str, list[tuple[str | None, str, str, str]]]:
    """The SERVICE address and the rules (Accept condition or None, pattern, target, flags), in order."""
    service, found, condition = "", [], None
    for line in HTACCESS.read_text(encoding="utf-8").splitlines():
        if match := CONDITION.match(line.strip()):
            condition = match.group(1)
        elif match := RULE.match(line.strip()):
            pattern, target, flags = match.groups()
            if flags.startswith("E=SERVICE:"):
                service = flags[len("E=SERVICE:"):]
            else:
                found.append((condition, pattern, target, flags))
            condition = None
    return service, found


def redirect(path: str, accept: str, service: str) -> str | None:
    """Where the rules send a request for /evidencekg/{path} with this Accept header (None: no rule matches)."""
    for condition, pattern, target, flags in rules()[1]:
        if condition is not None and not re.search(condition, accept):
            continue
        if match := re.match(pattern, path):
            assert "R=303" in flags and "L" in flags.split(","), flags
            url = target.replace("%{ENV:SERVICE}", service).replace("\\%", "%")
            return re.sub(r"\$(\d)", lambda m: match.group(int(m.group(1))) or "", url)
    return None


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings: Settings = get_settings(var_dir=tmp_path_factory.mktemp("var"), memory=True, endpoint=None)
    with live_server(create_app(shipped_store(settings), settings)) as url:
        yield url


def test_the_file_names_one_public_service_address() -> None:
    service, found = rules()
    assert re.fullmatch(r"https://[a-z0-9.-]+", service), service
    assert len(found) >= 7 and all("%{ENV:SERVICE}/" in target for _, _, target, _ in found)


@pytest.mark.parametrize(
    ("path", "accept", "media_type", "expect"),
    [
        ("id/finding/notsu2024-anxiety-alliance", TURTLE, TURTLE, "notsu2024-anxiety-alliance"),
        ("id/finding/notsu2024-anxiety-alliance", "text/html", "text/html", "-0.09"),
        ("id/construct/therapeutic-alliance", "application/ld+json", "application/ld+json", "therapeutic-alliance"),
        ("np/finding/notsu2024-anxiety-alliance", "*/*", "application/trig", "#assertion"),
        ("ontology", TURTLE, TURTLE, "sameAssociationAs"),
        ("ontology", "text/html", "text/html", "evidencekg"),
        ("dataset", TURTLE, TURTLE, "void:Linkset"),
        ("", "text/html", "text/html", "application/ld+json"),
        ("dump.ttl", TURTLE, TURTLE, "notsu2024"),
        ("mappings.sssom.tsv", "*/*", "text/tab-separated-values", "mapping_set"),
    ],
)
def test_each_redirect_answers_from_the_service(base: str, path: str, accept: str, media_type: str, expect: str) -> None:
    service = rules()[0]
    target = redirect(path, accept, service)
    assert target is not None and target.startswith(service + "/"), (path, target)
    answer = httpx.get(base + target[len(service):], headers={"Accept": accept}, timeout=30)
    assert answer.status_code == 200, (target, answer.text[:300])
    assert answer.headers["content-type"].split(";")[0] == media_type, target
    assert expect in unquote(answer.text), (target, answer.text[:300])
    if media_type == TURTLE:
        assert len(rdflib.Graph().parse(data=answer.text, format="turtle")) > 0


def test_unknown_paths_are_not_redirected() -> None:
    assert redirect("graph/data/x", TURTLE, "https://s") is None
    assert redirect("idx/finding/a", "text/html", "https://s") is None

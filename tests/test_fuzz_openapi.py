"""No 500 on odd input: a schemathesis fuzz of every OpenAPI operation against a real server answers no 5xx."""

from __future__ import annotations

import os
from collections.abc import Iterator

import hypothesis.strategies as st
import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.schemas import OpenApiSchema

from tests._server import live_server, memory_app

TOKEN = "fuzz-token"
# Per operation and mode: ~30 operations x 2 modes x 2 runs stay near 25 s; raise it for a deeper local run.
MAX_EXAMPLES = int(os.environ.get("EVIDENCEKG_FUZZ_EXAMPLES", "12"))
# Accept headers the schema does not declare; routes negotiate on them, so the fuzz draws one per case.
ACCEPTS = [
    None, "*/*", "text/html", "text/turtle", "application/json", "application/sparql-results+json",
    "application/n-quads", "text/csv", "image/svg+xml", "application/pdf", "x/y", "text/*;q=0", ";;", "é",
]

# SPARQL bodies are text; schemathesis sends text/* as text already, these two it must be told.
schemathesis.serializer.alias(["application/sparql-query", "application/sparql-update"], "text/plain")


@pytest.fixture(scope="module")
def schema() -> Iterator[OpenApiSchema]:
    """The live schema of a server holding the shipped evidence, with writes enabled by TOKEN."""
    app = memory_app(load_evidence=True, settings_overrides={"token": TOKEN, "query_timeout": 10})
    with live_server(app) as base_url:
        loaded = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
        loaded.config.base_url = base_url
        yield loaded


def server_errors(schema: OpenApiSchema, authorized: bool, only: str | None = None) -> list[str]:
    """Fuzz every operation (positive and negative data, odd Accept headers); the cases that answered 5xx."""
    found: list[str] = []
    session = requests.Session()
    auth = {"Authorization": f"Bearer {TOKEN}"} if authorized else {}
    for result in schema.get_all_operations():
        operation = result.ok()
        if only is not None and operation.path != only:
            continue
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):

            @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode), accept=st.sampled_from(ACCEPTS))
            def run(case: schemathesis.Case, accept: str | None) -> None:
                headers = dict(auth)
                if accept is not None:
                    headers["Accept"] = accept
                case.call_and_validate(session=session, headers=headers, checks=[not_a_server_error], timeout=30)

            try:
                run()
            except Unsatisfiable:  # negative data for an operation that declares no parameter: nothing to break
                assert mode is schemathesis.GenerationMode.NEGATIVE, operation.label
            except (FailureGroup, AssertionError) as error:  # the shrunk 5xx case(s), with a curl line each
                found.append(f"{operation.label} ({mode.value}): {error}")
    return found


# Anonymous first (writes answer 401, the evidence stays whole); then with the token, writes included: PUT,
# POST, DELETE (force=true too) change this module's own in-memory store only, so none is skipped.
@pytest.mark.parametrize("authorized", [False, True], ids=["anonymous", "with-token"])
def test_no_operation_answers_5xx(schema: OpenApiSchema, authorized: bool) -> None:
    found = server_errors(schema, authorized)
    assert not found, "\n\n".join(found[:10])


def test_the_fuzz_reports_a_server_error() -> None:
    """Control: a route that answers 500 is found in both modes, so the fuzz above can fail."""
    app = memory_app()

    @app.get("/fuzz-control", operation_id="fuzz_control")
    def control(n: int = 0) -> dict[str, int]:
        raise RuntimeError(f"the control's server error ({n})")

    with live_server(app) as base_url:
        loaded = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
        loaded.config.base_url = base_url
        found = server_errors(loaded, authorized=False, only="/fuzz-control")
    assert len(found) == 2 and all("Server error" in entry and "/fuzz-control" in entry for entry in found), found

"""Routes: linked data — /id/... with content negotiation, /.well-known/void, and full dumps."""

from __future__ import annotations

from datetime import UTC, datetime

import pyoxigraph as ox
from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from evidencekg.model.namespaces import ID
from evidencekg.pages import describe, discovery
from evidencekg.pages import statistics as stats_summary
from evidencekg.pages.nanopubs import nanopub_trig
from evidencekg.pages.resource import describe as describe_resource
from evidencekg.settings import Settings
from evidencekg.store.mappings import lookup, mapping_files
from evidencekg.store.protocol import Store
from service.deps import get_settings, get_store
from service.rdf_responses import HTML, JSON_LD, N_QUADS, N_TRIPLES, RDF_XML, TRIG, TURTLE, negotiate, rdf_response
from service.templating import page, void_turtle

router = APIRouter(tags=["linked data"])

RESOURCE_FORMATS = [HTML, TURTLE, JSON_LD, N_TRIPLES, RDF_XML]
FINDING_FORMATS = [*RESOURCE_FORMATS, TRIG]  # a finding also as its nanopublication (evidencekg.pages.nanopubs)
VOID_FORMATS = [TURTLE, JSON_LD, N_TRIPLES, RDF_XML]
FORMAT_QUERY = Query(None, alias="format", description="Override content negotiation: html, ttl, jsonld, nt or rdf")


def service_url(request: Request) -> str:
    """The service's own base URL as the client reached it (checked to be a valid IRI)."""
    base = f"{request.url.scheme}://{request.url.netloc}{request.scope.get('root_path', '')}"
    try:
        ox.NamedNode(base)
    except ValueError as exc:
        raise HTTPException(400, f"the Host header gives no valid base URL: {base!r}") from exc
    return base


def rdf_triples(triples: list[ox.Triple], media_type: str, settings: Settings) -> Response:
    """Triples in an RDF format; only JSON-LD reads the ontology's context file, compacting with it."""
    context = describe.jsonld_context(settings.ontology_dir) if media_type == JSON_LD else None
    return rdf_response(describe.serialize_triples(triples, media_type, context), media_type)


@router.get("/context.jsonld", summary="The JSON-LD context of the evidencekg terms (ontology/context.jsonld)")
def jsonld_context_file(settings: Settings = Depends(get_settings)) -> Response:
    """The context file the JSON-LD views compact with, for clients writing JSON-LD with the same terms."""
    return rdf_response(describe.context_document(settings.ontology_dir), JSON_LD)


@router.get("/id/lookup", summary="Our terms mapped to an external IRI (SKOS matches, both ways round)")
def lookup_external(
    iri: str = Query(..., description="An external term's IRI, e.g. http://purl.obolibrary.org/obo/MF_0000058"),
    store: Store = Depends(get_store),
) -> list[dict[str, str]]:
    """The evidencekg terms whose skos:exact/close/broad/narrow/relatedMatch names `iri`; 404 when none."""
    try:
        ox.NamedNode(iri)
    except ValueError as exc:
        raise HTTPException(400, f"iri {iri!r} is not an absolute IRI: {exc}") from exc
    found = lookup(store, iri)
    if not found:
        raise HTTPException(404, f"no evidencekg term is mapped to <{iri}>")
    return found


@router.get("/mappings.sssom.tsv", summary="The SSSOM mapping set (our terms to MF, BCIO, STATO, MeSH)")
def mappings_file(settings: Settings = Depends(get_settings)) -> Response:
    """ontology/mappings/*.sssom.tsv as the files are (one mapping set)."""
    files = mapping_files(settings.ontology_dir)
    if not files:
        raise HTTPException(404, "this installation has no mapping set")
    return Response(files[0].read_bytes(), media_type="text/tab-separated-values; charset=utf-8")


@router.get("/id/{path:path}", summary="Dereference an instance IRI (HTML, Turtle, JSON-LD, N-Triples, RDF/XML; a finding also as a TriG nanopublication)")
def resource(
    path: str,
    request: Request,
    format: str | None = FORMAT_QUERY,  # noqa: A002 - the parameter's public name
    store: Store = Depends(get_store),
    settings: Settings = Depends(get_settings),
) -> Response:
    """Describe https://w3id.org/evidencekg/id/{path} in the format the client asks for."""
    iri = describe.iri_for_path(path)
    media_type = negotiate(request.headers.get("accept"), format, FINDING_FORMATS if path.startswith("finding/") else RESOURCE_FORMATS)
    if media_type == TRIG:
        body = nanopub_trig(store, iri, settings.base_url)
        if body is None:
            return Response(f"nothing is known about <{iri}>\n", status_code=404, media_type="text/plain")
        return rdf_response(body, TRIG)
    if media_type == HTML:
        page_number = request.query_params.get("page", "1")
        view = describe_resource(store, iri, request.query_params.get("group"), int(page_number) if page_number.isdigit() else 1)
        if view is None:
            return page("not_found.html", status_code=404, iri=iri, title="Not found")
        alternates = {"Turtle": "ttl", "JSON-LD": "jsonld", "N-Triples": "nt", "RDF/XML": "rdf"}
        return page("resource.html", view=view, title=view.link.label, alternates=alternates)
    triples = describe.resource_triples(store, iri)
    if not triples:
        return Response(f"nothing is known about <{iri}>\n", status_code=404, media_type="text/plain")
    return rdf_triples(triples, media_type, settings)


@router.get("/.well-known/void", summary="VoID and DCAT description of the dataset (Turtle by default)")
def void(
    request: Request,
    format: str | None = FORMAT_QUERY,  # noqa: A002
    store: Store = Depends(get_store),
    settings: Settings = Depends(get_settings),
) -> Response:
    """The dataset's VoID + DCAT description with the store's current counts."""
    media_type = negotiate(request.headers.get("accept"), format, VOID_FORMATS)
    turtle = void_turtle(
        stats_summary.counts(store),
        service=service_url(request),
        dataset=settings.base_url.rstrip("/") + "/dataset",
        uri_space=str(ID),
        modified=datetime.now(UTC).replace(microsecond=0).isoformat(),
        title=discovery.TITLE,
        description=discovery.DESCRIPTION,
        creator=discovery.CREATOR,
        licence=discovery.LICENCE,
        linksets=discovery.linksets(store),
        graphs=discovery.named_graphs(store),
    )
    if media_type == TURTLE:
        return rdf_response(turtle.encode(), TURTLE)
    return rdf_triples([q.triple for q in ox.parse(turtle.encode(), format=ox.RdfFormat.TURTLE)], media_type, settings)


@router.get("/dump.ttl", summary="The data graphs (what queries see by default) as Turtle")
def dump_turtle(store: Store = Depends(get_store)) -> Response:
    """Every triple of the data union (evidencekg.model.graphs), the default graph of queries."""
    triples = store.construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }")
    return rdf_response(ox.serialize(triples, format=ox.RdfFormat.TURTLE) or b"", TURTLE)


@router.get("/dump.nq", summary="Every graph as N-Quads")
def dump_nquads(store: Store = Depends(get_store)) -> Response:
    """Every quad of the dataset (default graph and named graphs)."""
    return rdf_response(store.dump(N_QUADS), N_QUADS)


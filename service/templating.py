"""Render the service's Jinja2 templates: HTML pages (autoescaped) and Turtle templates (plain)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from evidencekg.pages.links import safe_href

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The one Jinja2 environment: HTML autoescaped, Turtle templates left as written, `safe_href` for links."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["safe_href"] = safe_href  # every href built from data goes through it (templates/_macros.html)
    return env


def render(name: str, **context: object) -> str:
    """Render one template to text."""
    return environment().get_template(name).render(**context)


def page(name: str, status_code: int = 200, **context: object) -> HTMLResponse:
    """An HTML page from a template (every page extends base.html)."""
    return HTMLResponse(render(name, **context), status_code=status_code, headers={"Vary": "Accept"})


def void_turtle(counts: object, service: str, dataset: str, uri_space: str, modified: str, **discovery: object) -> str:
    """The VoID + DCAT description (templates/void.ttl) with the store's counts, link sets and graphs filled in."""
    return render(
        "void.ttl", counts=counts, service=service.rstrip("/"), dataset=dataset, uri_space=uri_space, modified=modified,
        **discovery,
    )

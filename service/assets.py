"""Routes: browser files — our own /static, the npm libraries at /vendor (an allowlist), offline API docs."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse

from evidencekg.settings import Settings
from service.deps import get_settings
from service.templating import page as page_html

router = APIRouter(include_in_schema=False)

STATIC_DIR = Path(__file__).resolve().parent / "static"
# The only node_modules files pages may load (paths below settings.node_modules).
VENDOR_FILES = (
    "@zazuko/yasgui/build/yasgui.min.js",
    "@zazuko/yasgui/build/yasgui.min.css",
    "cytoscape/dist/cytoscape.min.js",
)
SWAGGER_FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png")
MEDIA_TYPES = {".js": "text/javascript", ".css": "text/css", ".png": "image/png", ".svg": "image/svg+xml"}


def _file(path: Path, missing_hint: str) -> FileResponse:
    """Serve one file with its media type; a missing file is a setup problem, said plainly (500)."""
    if not path.is_file():
        raise HTTPException(500, f"{path} is missing: {missing_hint}")
    return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"))


@router.get("/static/{name}")
def static(name: str) -> FileResponse:
    """One of the service's own files (service/static)."""
    path = STATIC_DIR / name
    if "/" in name or name.startswith(".") or not path.is_file():
        raise HTTPException(404, f"no static file {name!r}")
    return _file(path, "reinstall the package")


@router.get("/vendor/{path:path}")
def vendor(path: str, settings: Settings = Depends(get_settings)) -> FileResponse:
    """A browser library installed by npm (only the allowlisted files)."""
    if path.startswith("swagger-ui/"):
        return _swagger_file(path.removeprefix("swagger-ui/"))
    if path not in VENDOR_FILES:
        raise HTTPException(404, f"/vendor/{path} is not served (allowed: {', '.join(VENDOR_FILES)})")
    library = path.split("/build")[0].split("/dist")[0]
    return _file(
        settings.node_modules / path,
        f"run `npm ci` in the project folder to install {library}, or point EVIDENCEKG_NODE_MODULES at a "
        f"node_modules folder holding it (`npm install {library}` anywhere); pages work without it",
    )


def swagger_dir() -> Path | None:
    """The Swagger UI files shipped by the swagger-ui-bundle wheel, when installed."""
    try:
        import swagger_ui_bundle
    except ImportError:
        return None
    return Path(swagger_ui_bundle.swagger_ui_path)


def _swagger_file(name: str) -> FileResponse:
    folder = swagger_dir()
    if name not in SWAGGER_FILES:
        raise HTTPException(404, f"/vendor/swagger-ui/{name} is not served")
    if folder is None:
        raise HTTPException(500, "swagger-ui-bundle is not installed: pip install swagger-ui-bundle")
    return _file(folder / name, "reinstall swagger-ui-bundle")


@router.get("/docs")
def docs(request: Request) -> HTMLResponse:
    """The OpenAPI docs (Swagger UI served from this service, no CDN; started by static/docs.js, no inline script)."""
    return page_html("docs.html", title=f"{request.app.title} — API", openapi_url=request.app.openapi_url or "/openapi.json")

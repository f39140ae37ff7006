"""The web app, served from the same origin as the API.

`mount_web(app)` serves the built single-page app (`frontend/dist`, made by `make run` or
`npm run build`) when it exists: hashed files under `/assets/` are cached for a year,
`index.html` is never cached, and every path that is not an API or operations route gets
`index.html` so the app's own router can show it (SPA fallback). Unknown `/api/...` paths
stay JSON 404s. App pages carry a Content-Security-Policy that allows only this origin.
Without a build the process serves the API alone.
"""

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from nexus.core.errors import error_body

DIST_DIR_DEFAULT = Path(__file__).resolve().parents[2] / "frontend" / "dist"
ASSETS_PREFIX = "assets/"
CACHE_IMMUTABLE = "public, max-age=31536000, immutable"
CACHE_SHORT = "public, max-age=3600"
CACHE_NONE = "no-cache"
# React, Recharts and the virtualiser set styles through the CSSOM, which CSP allows;
# nothing in the app needs inline scripts, eval or another origin.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
NOT_APP_PREFIXES = ("api/", "healthz", "readyz", "metrics")


def mount_web(app: FastAPI, *, dist_dir: Path | None = None) -> bool:
    """Serve the built web app on `app` if `dist_dir` holds one; tell whether it did.

    Call it after every API and operations route is added: its catch-all route comes last.
    """
    root = (dist_dir or DIST_DIR_DEFAULT).resolve()
    index = root / "index.html"
    if not index.is_file():
        return False

    @app.api_route("/{path:path}", methods=["GET", "HEAD"], include_in_schema=False)
    async def web(path: str, request: Request) -> Response:
        if path == "api" or path.startswith(NOT_APP_PREFIXES):
            body = error_body("not_found", f"No route {request.url.path}.")
            return JSONResponse(body, status_code=404)
        file = _static_file(root, path)
        if file is not None:
            cache = CACHE_IMMUTABLE if path.startswith(ASSETS_PREFIX) else CACHE_SHORT
            return FileResponse(file, headers={"Cache-Control": cache})
        if path.startswith(ASSETS_PREFIX):  # a stale hashed file: never answer with HTML
            return JSONResponse(error_body("not_found", "No such asset."), status_code=404)
        return FileResponse(index, headers=_page_headers(), media_type="text/html")

    return True


def _page_headers() -> dict[str, str]:
    return {"Cache-Control": CACHE_NONE, "Content-Security-Policy": CONTENT_SECURITY_POLICY}


def _static_file(root: Path, path: str) -> Path | None:
    """The file under `root` that `path` names, or None (never anything outside `root`)."""
    if not path or path == "index.html":
        return None
    candidate = (root / path).resolve()
    if not candidate.is_relative_to(root) or not candidate.is_file():
        return None
    return candidate

"""Serve the dashboard: ``GET /`` (the page) and ``GET /static/...`` (its modules, styles, icons).

The files are read once when the router is built and served from memory: there
are a few dozen small files and no build step. Every asset is reachable under a
content-hashed prefix (``/static/v-<hash>/app.js``) that the page links to, so
browsers may cache assets forever, while ``index.html`` is always revalidated and
a new release is picked up on the next load. ES modules import each other by
relative path, so they inherit the same prefix without any rewriting.
"""

import hashlib
import html
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

STATIC_DIR = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
    ".woff2": "font/woff2",
}
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class Asset:
    body: bytes
    media_type: str
    etag: str


def load_assets(static_dir: Path) -> dict[str, Asset]:
    """Every servable file under ``static_dir`` by its relative path (``js/app.js``)."""
    assets: dict[str, Asset] = {}
    for path in sorted(static_dir.rglob("*")):
        media_type = MEDIA_TYPES.get(path.suffix)
        if path.is_file() and media_type:
            body = path.read_bytes()
            assets[path.relative_to(static_dir).as_posix()] = Asset(body, media_type, _etag(body))
    return assets


def release_of(assets: dict[str, Asset]) -> str:
    """A short hash of all assets: changes whenever any file changes."""
    digest = hashlib.sha256()
    for name, asset in sorted(assets.items()):
        digest.update(name.encode())
        digest.update(asset.etag.encode())
    return digest.hexdigest()[:12]


def render_index(template: str, asset_base: str, api_base: str, modules: list[str] | None = None) -> str:
    return (
        template.replace("{{MODULE_PRELOADS}}", module_preloads(asset_base, modules or []))
        .replace("{{ASSET_BASE}}", asset_base)
        .replace("{{API_BASE}}", html.escape(api_base, quote=True))
    )


def module_preloads(asset_base: str, modules: list[str]) -> str:
    """``<link rel=modulepreload>`` for every module: the browser fetches them all at once.

    Without it, each ``import`` is discovered only once its importer has arrived, so
    a cold first visit waits for one round trip per level of the module graph.
    """
    return "\n  ".join(f'<link rel="modulepreload" href="{asset_base}{name}">' for name in modules)


def content_security_policy(api_base: str) -> str:
    connect = f"'self' {api_base}".strip()
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        f"connect-src {connect}; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    )


def dashboard_router(api_base: str = "", static_dir: Path = STATIC_DIR) -> APIRouter:
    """Routes for the dashboard page and its assets.

    ``api_base`` is the origin of the pool-service API as the browser should call
    it; empty (the default, and what production uses) means same origin.
    """
    assets = load_assets(static_dir)
    release = release_of(assets)
    versioned_prefix = f"v-{release}/"
    modules = [name for name in assets if name.endswith(".js")]
    template = (static_dir / "index.html").read_text(encoding="utf-8")
    index_body = render_index(template, f"/static/{versioned_prefix}", api_base, modules).encode()
    index_headers = {**SECURITY_HEADERS, "Cache-Control": REVALIDATE, "ETag": _etag(index_body)}
    index_headers["Content-Security-Policy"] = content_security_policy(api_base)
    router = APIRouter(tags=["dashboard"])

    @router.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def dashboard_page(request: Request) -> Response:
        return _respond(request, index_body, "text/html; charset=utf-8", index_headers)

    @router.get("/static/{asset_path:path}", include_in_schema=False)
    async def dashboard_asset(asset_path: str, request: Request) -> Response:
        cache_control = REVALIDATE
        if asset_path.startswith("v-"):
            version, _, asset_path = asset_path.partition("/")
            # An old release's URL still gets today's file, but must not be cached forever.
            cache_control = IMMUTABLE if f"{version}/" == versioned_prefix else REVALIDATE
        asset = assets.get(asset_path)
        if asset is None:
            return Response(status_code=404, content=b"Not found", media_type="text/plain")
        headers = {**SECURITY_HEADERS, "Cache-Control": cache_control, "ETag": asset.etag}
        return _respond(request, asset.body, asset.media_type, headers)

    return router


def _respond(request: Request, body: bytes, media_type: str, headers: dict[str, str]) -> Response:
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    return Response(content=body, media_type=media_type, headers=headers)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'

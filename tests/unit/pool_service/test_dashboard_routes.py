"""The dashboard's page and assets: content types, cache headers, no path escapes."""

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from pool_service.dashboard import dashboard_router
from pool_service.dashboard.routes import STATIC_DIR


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.include_router(dashboard_router())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        yield c


def versioned(page: str, asset: str) -> str:
    match = re.search(rf"/static/v-[0-9a-f]+/{re.escape(asset)}", page)
    assert match, f"{asset} is not linked from the page"
    return match.group(0)


async def test_the_page_is_revalidated_and_links_versioned_assets(client: httpx.AsyncClient) -> None:
    page = await client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-cache"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert '<meta name="api-base" content="">' in page.text
    expected = [("js/main.js", "text/javascript"), ("css/app.css", "text/css"), ("favicon.svg", "image/svg")]
    for asset, media_type in expected:
        answer = await client.get(versioned(page.text, asset))
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith(media_type)
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"


async def test_an_unchanged_asset_answers_304(client: httpx.AsyncClient) -> None:
    first = await client.get("/static/js/api.js")
    again = await client.get("/static/js/api.js", headers={"If-None-Match": first.headers["etag"]})
    assert first.headers["cache-control"] == "no-cache"
    assert again.status_code == 304


async def test_an_old_release_prefix_is_served_but_not_cached_forever(client: httpx.AsyncClient) -> None:
    answer = await client.get("/static/v-000000000000/js/main.js")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("path", ["/static/../routes.py", "/static/%2e%2e/routes.py", "/static/index.htm", "/static/"])
async def test_only_known_assets_are_served(client: httpx.AsyncClient, path: str) -> None:
    assert (await client.get(path)).status_code == 404


def test_no_asset_loads_anything_from_another_origin() -> None:
    for path in STATIC_DIR.rglob("*"):
        if path.suffix in {".js", ".css", ".html"}:
            # The SVG namespace is an identifier, not something fetched.
            text = path.read_text(encoding="utf-8").replace("http://www.w3.org/2000/svg", "")
            assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text, re.IGNORECASE), path


async def test_every_module_is_preloaded_from_the_page(client: httpx.AsyncClient) -> None:
    # A cold visit then fetches the whole module graph in one round instead of one per import level.
    page = (await client.get("/")).text
    modules = sorted(p.relative_to(STATIC_DIR).as_posix() for p in STATIC_DIR.rglob("*.js"))
    preloaded = sorted(re.findall(r'<link rel="modulepreload" href="/static/v-[0-9a-f]+/([^"]+)">', page))
    assert preloaded == modules
    assert "{{" not in page

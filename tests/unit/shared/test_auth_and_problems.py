import httpx
from fastapi import FastAPI

from coupon_shared.auth import AdminOnly, AdminOrStorefront, ApiKeyAuthenticator, parse_api_keys
from coupon_shared.problems import ProblemError, install_problem_handlers


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.state.authenticator = ApiKeyAuthenticator(parse_api_keys("adm:admin,shop:storefront,odd:auditor"))

    @app.get("/admin")
    async def admin_only(role: AdminOnly) -> dict[str, str]:
        return {"role": role}

    @app.get("/claims")
    async def claims(role: AdminOrStorefront) -> dict[str, str]:
        return {"role": role}

    @app.get("/gone")
    async def gone() -> None:
        raise ProblemError(409, "pool-exhausted", "Nothing left", pool_id="p1")

    return app


async def call(path: str, key: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    transport = httpx.ASGITransport(app=make_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path, headers=headers)


async def test_roles_gate_endpoints() -> None:
    assert (await call("/admin", "adm")).json() == {"role": "admin"}
    assert (await call("/claims", "shop")).json() == {"role": "storefront"}
    forbidden = await call("/admin", "shop")
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"] == "application/problem+json"


async def test_missing_and_unknown_keys_are_401_and_unknown_roles_403() -> None:
    assert (await call("/admin")).status_code == 401
    assert (await call("/admin", "nope")).status_code == 401
    assert (await call("/claims", "odd")).status_code == 403


async def test_problems_follow_rfc_9457() -> None:
    response = await call("/gone")
    body = response.json()
    assert response.status_code == 409
    assert body["type"].endswith("/pool-exhausted")
    assert body["status"] == 409
    assert body["detail"] == "Nothing left"
    assert body["pool_id"] == "p1"
    missing = await call("/nowhere")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"

"""The forecast adapter: forwards the caller's key, passes answers through, maps failures."""

import httpx
import pytest

from pool_service.adapters.alert_forecast import AlertForecastClient, ForecastUnavailableError


def client_answering(handler: httpx.MockTransport) -> AlertForecastClient:
    return AlertForecastClient("http://alerts.test/", transport=handler)


async def test_forwards_the_callers_key_and_returns_the_answer() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"active": 3, "usage_per_day": 1.5, "alerts": []})

    client = client_answering(httpx.MockTransport(answer))
    result = await client.forecast("p1", "Bearer k1")
    await client.close()
    assert result.status == 200
    assert result.body["active"] == 3
    assert str(seen[0].url) == "http://alerts.test/v1/pools/p1/forecast"
    assert seen[0].headers["authorization"] == "Bearer k1"


async def test_a_404_problem_passes_through() -> None:
    client = client_answering(httpx.MockTransport(lambda r: httpx.Response(404, json={"status": 404})))
    result = await client.forecast("nope", "Bearer k1")
    await client.close()
    assert result.status == 404


@pytest.mark.parametrize(
    "response",
    [httpx.Response(500, json={}), httpx.Response(200, text="not json"), httpx.Response(200, json=[1, 2])],
)
async def test_server_errors_and_nonsense_are_unavailable(response: httpx.Response) -> None:
    client = client_answering(httpx.MockTransport(lambda r: response))
    with pytest.raises(ForecastUnavailableError):
        await client.forecast("p1", "Bearer k1")
    await client.close()


async def test_an_unreachable_service_is_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = client_answering(httpx.MockTransport(refuse))
    with pytest.raises(ForecastUnavailableError, match="did not answer"):
        await client.forecast("p1", "Bearer k1")
    await client.close()


async def test_without_a_configured_url_the_forecast_is_unavailable() -> None:
    client = AlertForecastClient(None)
    with pytest.raises(ForecastUnavailableError, match="ALERT_SERVICE_URL"):
        await client.forecast("p1", "Bearer k1")
    await client.close()

"""RFC 9457 problem details for every error a service answers."""

from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://coupon-pools.dev/problems/"


class ProblemError(Exception):
    """Raise anywhere in a request to answer with a problem document.

    ``slug`` names the problem type (``pool-exhausted``); it becomes the ``type``
    URI and is repeated as ``code`` for clients that match on a short string.
    """

    def __init__(
        self,
        status: int,
        slug: str,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.slug = slug
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions


def problem_response(
    status: int,
    slug: str,
    detail: str,
    instance: str,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + slug,
        "title": slug.replace("-", " ").capitalize(),
        "status": status,
        "detail": detail,
        "instance": instance,
        "code": slug,
        **extensions,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def response_to(problem: ProblemError, instance: str) -> JSONResponse:
    extensions = problem.extensions
    return problem_response(problem.status, problem.slug, problem.detail, instance, problem.headers, **extensions)


async def _on_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ProblemError)
    return response_to(exc, request.url.path)


async def _on_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": _field_name(error["loc"]), "message": error["msg"], "location": str(error["loc"][0])}
        for error in exc.errors()
    ]
    fields = ", ".join(sorted({e["field"] for e in errors}))
    return problem_response(422, "validation-error", f"Invalid input: {fields}", request.url.path, errors=errors)


async def _on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    slug = {404: "not-found", 405: "method-not-allowed", 413: "payload-too-large"}.get(exc.status_code, "http-error")
    return problem_response(exc.status_code, slug, str(exc.detail), request.url.path, exc.headers)


def unexpected_error_response(instance: str) -> JSONResponse:
    return problem_response(500, "internal-error", "The server failed to handle the request", instance)


async def _on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    return unexpected_error_response(request.url.path)


def _field_name(loc: tuple[Any, ...]) -> str:
    # ("body", "alert", "threshold") → "alert.threshold"; ("query", "limit") → "limit"
    parts = [str(p) for p in loc[1:]] or [str(loc[0])]
    return ".".join(parts)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ProblemError, _on_problem)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(Exception, _on_unexpected)

"""HTTP routes: turn a request into a claim, hand it to the claim service, map the answer back."""

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from assignment_service.domain.claim import Answer, Conflict
from assignment_service.domain.model import Assignment, InvalidClaimError, Rejection, new_claim, normalize_email
from assignment_service.service_layer import queries
from assignment_service.service_layer.claims import ClaimService, ClaimTimeoutError
from coupon_shared.auth import AdminOrStorefront
from coupon_shared.pagination import MAX_LIMIT, Page, decode_cursor, encode_cursor
from coupon_shared.problems import ProblemError

router = APIRouter(prefix="/v1", tags=["claims"])
IDEMPOTENCY_KEY_MAX = 200


class ClaimCreate(BaseModel):
    email: Annotated[str, Field(min_length=1, max_length=320)]
    source: Annotated[str, Field(min_length=1, max_length=100)] = "http"
    request_id: Annotated[str, Field(min_length=1, max_length=200)] | None = None


class AssignmentPublic(BaseModel):
    request_id: str
    pool_id: str
    code: str
    message: str | None
    email: str
    source: str
    assigned_at: datetime
    user_expires_at: datetime | None


class RejectionPublic(BaseModel):
    reason: str
    detail: str


class ClaimPublic(BaseModel):
    request_id: str
    pool_id: str
    email: str
    source: str
    state: Literal["pending", "assigned", "rejected"]
    assignment: AssignmentPublic | None = None
    rejection: RejectionPublic | None = None


@router.post("/pools/{pool_id}/claims", response_model=AssignmentPublic, status_code=201)
async def claim_coupon(
    pool_id: str,
    body: ClaimCreate,
    request: Request,
    _role: AdminOrStorefront,
    idempotency_key: Annotated[str | None, Header(max_length=IDEMPOTENCY_KEY_MAX)] = None,
) -> JSONResponse:
    # Most claims never get here: entrypoints/claim_fast_path.py answers them (see there why)
    # and hands this route only what FastAPI must answer (bad keys, invalid bodies).
    return await submit_claim(request.app.state.claims, pool_id, body, idempotency_key)


async def submit_claim(
    claims: ClaimService, pool_id: str, body: ClaimCreate, idempotency_key: str | None
) -> JSONResponse:
    """A validated, authorized claim: decided, and its answer as a response (or a ProblemError)."""
    request_id = _request_id(body.request_id, idempotency_key)
    try:
        claim = new_claim(request_id, pool_id, body.email, body.source, "http")
    except InvalidClaimError as exc:
        raise ProblemError(422, "validation-error", str(exc)) from exc
    try:
        answer = await claims.submit(claim)
    except ClaimTimeoutError as exc:
        raise ProblemError(503, "claim-in-progress", str(exc), headers={"Retry-After": "1"}) from exc
    return _answer_response(answer)


@router.get("/claims/{request_id}", response_model=ClaimPublic)
async def get_claim(request_id: str, request: Request, _role: AdminOrStorefront) -> ClaimPublic:
    found = await queries.claim_outcome(request.app.state.store, request_id)
    if found is None:
        raise ProblemError(404, "claim-not-found", f"No claim with request_id {request_id!r}")
    record, outcome = found
    claim = record.request
    public = ClaimPublic(
        request_id=claim.request_id, pool_id=claim.pool_id, email=claim.email, source=claim.source, state="pending"
    )
    if isinstance(outcome, Assignment):
        return public.model_copy(update={"state": "assigned", "assignment": _public(outcome)})
    if isinstance(outcome, Rejection):
        rejection = RejectionPublic(reason=outcome.reason, detail=outcome.detail)
        return public.model_copy(update={"state": "rejected", "rejection": rejection})
    return public


@router.get("/assignments", response_model=Page[AssignmentPublic])
async def list_assignments(
    request: Request,
    _role: AdminOrStorefront,
    email: Annotated[str, Query(min_length=1, max_length=320)],
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 100,
    cursor: str | None = None,
) -> Page[AssignmentPublic]:
    try:
        normalized = normalize_email(email)
    except InvalidClaimError as exc:
        raise ProblemError(422, "validation-error", str(exc)) from exc
    after = str(decode_cursor(cursor).get("after_pool", "")) if cursor else None
    found, last_pool = await queries.assignments_of(request.app.state.store, normalized, after, limit)
    next_cursor = encode_cursor({"after_pool": last_pool}) if last_pool else None
    return Page[AssignmentPublic](items=[_public(a) for a in found], next_cursor=next_cursor)


def _request_id(in_body: str | None, in_header: str | None) -> str:
    if in_body and in_header and in_body != in_header:
        raise ProblemError(422, "validation-error", "request_id and Idempotency-Key differ")
    return in_body or in_header or uuid.uuid4().hex


def _answer_response(answer: Answer | Conflict) -> JSONResponse:
    if isinstance(answer, Conflict):
        raise ProblemError(422, "idempotency-key-reused", answer.detail, request_id=answer.request_id)
    outcome = answer.outcome
    if isinstance(outcome, Rejection):
        raise _rejection_problem(outcome)
    status = 200 if answer.replayed or answer.existing else 201
    return JSONResponse(_public(outcome).model_dump(mode="json"), status_code=status)


def _rejection_problem(rejection: Rejection) -> ProblemError:
    extras: dict[str, Any] = {"request_id": rejection.request_id}
    if rejection.reason == "pool_not_found":
        return ProblemError(404, "pool-not-found", f"No pool {rejection.pool_id!r}", **extras)
    if rejection.reason == "pool_exhausted":
        return ProblemError(409, "pool-exhausted", "The pool has no coupon left", **extras)
    return ProblemError(422, "validation-error", rejection.detail, **extras)


def _public(assignment: Assignment) -> AssignmentPublic:
    return AssignmentPublic(
        request_id=assignment.request_id,
        pool_id=assignment.pool_id,
        code=assignment.code,
        message=assignment.message,
        email=assignment.email,
        source=assignment.source,
        assigned_at=assignment.assigned_at,
        user_expires_at=assignment.user_expires_at,
    )

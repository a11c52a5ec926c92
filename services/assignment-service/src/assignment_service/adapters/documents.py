"""Mapping between domain objects and the documents of ``claims``, ``slots`` and ``stock.<pool_id>``."""

from typing import Any

from assignment_service.domain.claim import ClaimRecord
from assignment_service.domain.model import Assignment, Candidate, ClaimRequest, Coupon, Outcome, Rejection

Doc = dict[str, Any]


def coupon_from_stock(doc: Doc) -> Coupon:
    # A missing max_assignments is the contract's default (a unique code); an explicit null is unlimited.
    return Coupon(
        code=str(doc["_id"]),
        message=doc.get("message"),
        pool_expires_at=doc.get("pool_expires_at"),
        user_expiration=doc.get("user_expiration"),
        max_assignments=doc.get("max_assignments", 1),
    )


def candidate_doc(candidate: Candidate) -> Doc:
    coupon = candidate.coupon
    return {
        "code": coupon.code,
        "n": candidate.n,
        "message": coupon.message,
        "pool_expires_at": coupon.pool_expires_at,
        "user_expiration": coupon.user_expiration,
        "max_assignments": coupon.max_assignments,
    }


def intent_doc(candidate: Candidate | None) -> Doc:
    """A later attempt's document: the use it tries, or that it found none left."""
    return {"no_use": True} if candidate is None else candidate_doc(candidate)


def candidate_from(doc: Doc | None) -> Candidate | None:
    if doc is None or doc.get("no_use", False):
        return None
    return Candidate(coupon_from_stock({**doc, "_id": doc["code"]}), int(doc["n"]))


def assignment_doc(assignment: Assignment) -> Doc:
    return {
        "request_id": assignment.request_id,
        "pool_id": assignment.pool_id,
        "code": assignment.code,
        "message": assignment.message,
        "email": assignment.email,
        "source": assignment.source,
        "assigned_at": assignment.assigned_at,
        "user_expires_at": assignment.user_expires_at,
        "coupon_remaining": assignment.coupon_remaining,
    }


def assignment_from(doc: Doc) -> Assignment:
    return Assignment(
        request_id=doc["request_id"],
        pool_id=doc["pool_id"],
        code=doc["code"],
        message=doc.get("message"),
        email=doc["email"],
        source=doc["source"],
        assigned_at=doc["assigned_at"],
        user_expires_at=doc.get("user_expires_at"),
        coupon_remaining=doc.get("coupon_remaining"),
    )


def outcome_doc(outcome: Outcome) -> Doc:
    if isinstance(outcome, Assignment):
        return {"kind": "assigned", **assignment_doc(outcome)}
    return {
        "kind": "rejected",
        "request_id": outcome.request_id,
        "pool_id": outcome.pool_id,
        "email": outcome.email,
        "reason": outcome.reason,
        "detail": outcome.detail,
    }


def outcome_from(doc: Doc | None) -> Outcome | None:
    if doc is None:
        return None
    if doc["kind"] == "assigned":
        return assignment_from(doc)
    return Rejection(doc["request_id"], doc["pool_id"], doc["email"], doc["reason"], doc["detail"])


def claim_doc(record: ClaimRecord) -> Doc:
    request = record.request
    return {
        "_id": request.request_id,
        "pool_id": request.pool_id,
        "email": request.email,
        "source": request.source,
        "origin": request.origin,
        "fingerprint": record.fingerprint,
        "created_at": record.created_at,
        "intent": candidate_doc(record.intent) if record.intent else None,
    }


def claim_from(doc: Doc, outcome: Doc | None, later_intents: list[Doc]) -> ClaimRecord:
    """A claim is its first document, its later intents (attempts 1, 2, …) and its outcome, if stored."""
    request = ClaimRequest(doc["_id"], doc["pool_id"], doc["email"], doc["source"], doc["origin"])
    intent = candidate_from(later_intents[-1] if later_intents else doc.get("intent"))
    return ClaimRecord(
        request=request,
        fingerprint=doc["fingerprint"],
        created_at=doc["created_at"],
        intent=intent,
        attempt=len(later_intents),
        outcome=outcome_from(outcome),
    )


def intent_id(request_id: str, attempt: int) -> str:
    # request ids are printable, so the unit separator cannot occur inside one.
    return f"{request_id}\x1f{attempt}"

"""Coupon rules of the contract: one place validates a coupon, whether added alone or imported."""

import json
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from coupon_shared.durations import parse_duration

MAX_CODE_LENGTH = 64
MAX_MESSAGE_LENGTH = 500


class InvalidCouponError(ValueError):
    """A field breaks a rule. ``field`` names it, the message says why."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class Coupon:
    code: str
    message: str | None = None
    pool_expires_at: datetime | None = None
    user_expiration: str | None = None
    # 1 = a unique code; > 1 = reusable that many times; None = unlimited.
    max_assignments: int | None = 1

    def is_expired(self, now: datetime) -> bool:
        return self.pool_expires_at is not None and self.pool_expires_at <= now

    def identity(self) -> str:
        """What makes two adds of this code "the same add" (the API has no request id for it)."""
        expires = self.pool_expires_at.isoformat() if self.pool_expires_at else None
        return json.dumps([self.code, self.message, expires, self.user_expiration, self.max_assignments])

    def stock_fields(self) -> dict[str, Any]:
        """The fields of a ``stock.<pool_id>`` document (its ``_id`` is the code).

        A field at its default is left out (readers apply the defaults): the store spends
        its time per field, and an import writes a million of these.
        """
        fields: dict[str, Any] = {}
        if self.message is not None:
            fields["message"] = self.message
        if self.pool_expires_at is not None:
            fields["pool_expires_at"] = self.pool_expires_at
        if self.user_expiration is not None:
            fields["user_expiration"] = self.user_expiration
        if self.max_assignments != 1:
            fields["max_assignments"] = self.max_assignments  # None (unlimited) is stored as null
        return fields


def check_code(code: str) -> str:
    if not code:
        raise InvalidCouponError("code", "must not be empty")
    if len(code) > MAX_CODE_LENGTH:
        raise InvalidCouponError("code", f"must be at most {MAX_CODE_LENGTH} characters")
    if not _clean_code(code):
        raise InvalidCouponError("code", "must not contain whitespace or control characters")
    return code


def _clean_code(code: str) -> bool:
    if code.isascii():
        # The common case, checked in C: printable ASCII minus the space.
        return code.isprintable() and " " not in code
    return not any(ch.isspace() or unicodedata.category(ch) in {"Cc", "Cf", "Zs", "Zl", "Zp"} for ch in code)


def check_message(message: str | None) -> str | None:
    if message is not None and len(message) > MAX_MESSAGE_LENGTH:
        raise InvalidCouponError("message", f"must be at most {MAX_MESSAGE_LENGTH} characters")
    return message or None


def check_user_expiration(text: str | None) -> str | None:
    if text is None or text == "":
        return None
    try:
        parse_duration(text)
    except ValueError as exc:
        raise InvalidCouponError("user_expiration", str(exc)) from exc
    return text.strip().upper()


def check_max_assignments(value: int | None) -> int | None:
    if value is not None and value < 1:
        raise InvalidCouponError("max_assignments", "must be 1 or more, or null for unlimited")
    return value


def check_expiry(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        # A date-time without offset is read as UTC rather than refused: spreadsheets drop offsets.
        return value.replace(tzinfo=UTC)
    return value


def make_coupon(
    code: str,
    message: str | None = None,
    pool_expires_at: datetime | None = None,
    user_expiration: str | None = None,
    max_assignments: int | None = 1,
) -> Coupon:
    return Coupon(
        code=check_code(code),
        message=check_message(message),
        pool_expires_at=check_expiry(pool_expires_at),
        user_expiration=check_user_expiration(user_expiration),
        max_assignments=check_max_assignments(max_assignments),
    )


def coupon_from_stock(code: str, doc: dict[str, Any]) -> Coupon:
    return Coupon(
        code=code,
        message=doc.get("message"),
        pool_expires_at=doc.get("pool_expires_at"),
        user_expiration=doc.get("user_expiration"),
        max_assignments=doc.get("max_assignments", 1),
    )


def matches_search(code: str, q: str | None) -> bool:
    """``q`` is a case-insensitive substring of the code."""
    return not q or q.casefold() in code.casefold()

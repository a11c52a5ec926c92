"""Opaque list cursors and the ``{"items": [...], "next_cursor": ...}`` page shape."""

import base64
import binascii
import json
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from coupon_shared.problems import ProblemError

MAX_LIMIT = 500


T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def encode_cursor(position: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ProblemError(422, "invalid-cursor", "The cursor is not one this API returned") from exc
    if not isinstance(value, dict):
        raise ProblemError(422, "invalid-cursor", "The cursor is not one this API returned")
    return value

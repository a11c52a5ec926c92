"""Turning one line of an import file into a coupon, or a reason it is invalid."""

import csv
import functools
from datetime import datetime

from pool_service.domain.coupons import Coupon, InvalidCouponError, make_coupon

COLUMNS = ("code", "message", "pool_expires_at", "user_expiration", "max_assignments")
UNLIMITED = {"null", "none", "unlimited"}


class InvalidRowError(ValueError):
    """This row is skipped and reported with its line number."""


def detect_columns(first_line: str) -> tuple[str, ...] | None:
    """The CSV header's columns, or None when the file is one code per line.

    A first line is a header when it names only known columns and includes ``code``.
    """
    try:
        names = tuple(name.strip().lower() for name in _split_csv(first_line))
    except InvalidRowError:
        return None
    if "code" in names and set(names) <= set(COLUMNS) and len(set(names)) == len(names):
        return names
    return None


def parse_row(text: str, columns: tuple[str, ...] | None) -> Coupon:
    try:
        if columns is None:
            return make_coupon(code=text.strip())
        return _csv_coupon(text, columns)
    except InvalidCouponError as exc:
        raise InvalidRowError(str(exc)) from exc


def _csv_coupon(text: str, columns: tuple[str, ...]) -> Coupon:
    fields = _split_csv(text)
    if len(fields) > len(columns):
        raise InvalidRowError(f"{len(fields)} fields but the header names {len(columns)}")
    # Fewer fields than columns is allowed: spreadsheets drop trailing empty cells.
    values = dict(zip(columns, fields, strict=False))
    return make_coupon(
        code=values.get("code", "").strip(),
        message=values.get("message") or None,
        pool_expires_at=_parse_datetime(values.get("pool_expires_at", "").strip()),
        user_expiration=values.get("user_expiration", "").strip() or None,
        max_assignments=_parse_max(values.get("max_assignments", "").strip()),
    )


def _split_csv(text: str) -> list[str]:
    # One physical line is one row: a quote left open at the end of the line is an
    # error for that row instead of swallowing the rest of the file.
    if '"' not in text:
        return text.split(",") if text else []
    try:
        return next(csv.reader([text], strict=True))
    except csv.Error as exc:
        raise InvalidRowError(f"malformed CSV ({exc})") from exc
    except StopIteration:
        return []


@functools.lru_cache(maxsize=1024)
def _parse_datetime(text: str) -> datetime | None:
    # Cached: the rows of a file mostly share a few expiry times (datetimes are immutable).
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise InvalidRowError(f"pool_expires_at: {text[:40]!r} is not an ISO-8601 date-time") from exc


def _parse_max(text: str) -> int | None:
    if not text:
        return 1
    if text.lower() in UNLIMITED:
        return None
    try:
        return int(text)
    except ValueError as exc:
        raise InvalidRowError(f"max_assignments: {text[:20]!r} is not an integer") from exc

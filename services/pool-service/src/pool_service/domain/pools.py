"""Pool rules: names, alert settings, and the shape a pool is shown in."""

import unicodedata
from dataclasses import dataclass, field, replace
from datetime import datetime

MAX_NAME_LENGTH = 100


class InvalidPoolNameError(ValueError):
    """The name breaks a naming rule; the message says which."""


def clean_pool_name(raw: str) -> str:
    """The name as stored: trimmed, 1-100 characters, no control characters."""
    name = raw.strip()
    if not name:
        raise InvalidPoolNameError("the name must not be empty")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidPoolNameError(f"the name must be at most {MAX_NAME_LENGTH} characters")
    if any(unicodedata.category(ch) in {"Cc", "Cf"} for ch in name):
        raise InvalidPoolNameError("the name must not contain control characters")
    return name


def name_key(name: str) -> str:
    """The key that makes names unique ignoring case (and Unicode width/compatibility forms)."""
    return unicodedata.normalize("NFKC", name).casefold()


@dataclass(frozen=True)
class Alert:
    enabled: bool = False
    threshold: int = 0


@dataclass(frozen=True)
class Counts:
    active: int = 0
    assigned: int = 0
    expired: int = 0
    total: int = 0


@dataclass(frozen=True)
class Pool:
    id: str
    name: str
    created_at: datetime
    updated_at: datetime
    alert: Alert = field(default_factory=Alert)
    deleted: bool = False

    def renamed(self, name: str, at: datetime) -> "Pool":
        return replace(self, name=name, updated_at=at)

    def with_alert(self, enabled: bool | None, threshold: int | None, at: datetime) -> "Pool":
        alert = Alert(
            enabled=self.alert.enabled if enabled is None else enabled,
            threshold=self.alert.threshold if threshold is None else threshold,
        )
        return replace(self, alert=alert, updated_at=at)

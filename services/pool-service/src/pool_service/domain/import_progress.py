"""The progress of one import: counters, the first errors, and where to resume."""

from dataclasses import dataclass, field
from typing import Any, Literal

ImportState = Literal["queued", "running", "done", "failed"]
MAX_REPORTED_ERRORS = 1000


@dataclass
class ImportProgress:
    state: ImportState = "queued"
    rows_read: int = 0
    imported: int = 0
    duplicates: int = 0
    invalid: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    # Where the next unread line starts, and its predecessor's number: a resumed
    # job starts exactly here, so no row is read twice into the counters.
    offset: int = 0
    line: int = 0
    columns: list[str] | None = None
    header_seen: bool = False
    failure: str | None = None

    def report_invalid(self, line: int, reason: str) -> None:
        self.invalid += 1
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"line": line, "reason": reason})

    def fail(self, line: int, reason: str) -> None:
        self.state = "failed"
        self.failure = reason
        if len(self.errors) < MAX_REPORTED_ERRORS:
            self.errors.append({"line": line, "reason": reason})

    def to_doc(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_doc(cls, doc: dict[str, Any]) -> "ImportProgress":
        return cls(**{name: doc[name] for name in cls.__dataclass_fields__ if name in doc})

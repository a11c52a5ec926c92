"""Assigned History rows and their CSV form."""

CSV_HEADER = ("Code", "Email", "Source", "Assigned At")
# A spreadsheet runs a cell starting with these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Small pages: FerretDB reads and writes a document whole, and 100 rows is ~10 KB of text.
ROWS_PER_PAGE = 100


def spreadsheet_safe(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def csv_cells(code: str, email: str, source: str, assigned_at: str) -> list[str]:
    """One CSV line's cells; ``assigned_at`` is already ISO-8601 text."""
    return [spreadsheet_safe(v) for v in (code, email, source, assigned_at)]


def matches_history(code: str, email: str, q: str | None) -> bool:
    """``q`` matches the email or the code, ignoring case."""
    if not q:
        return True
    needle = q.casefold()
    return needle in email.casefold() or needle in code.casefold()


def page_of(seq: int) -> int:
    """History rows are numbered 1, 2, …; row ``seq`` lives on this page document."""
    return (seq - 1) // ROWS_PER_PAGE


def page_key(page: int) -> str:
    """A page document's `_id`: text, because FerretDB pushes only string/ObjectId `_id` look-ups down to SQL."""
    return f"{page:012d}"

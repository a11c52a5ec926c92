"""A history page's stored form: rows as one JSON text, read back as they were written."""

from datetime import UTC, datetime, timedelta

from pool_service.adapters.history_pages import page_doc, page_rows, page_rows_as_text

AT = datetime(2026, 11, 24, 13, 30, 5, 123456, tzinfo=UTC)
ROWS = [
    {"seq": 1, "code": "=SUM(A1)", "email": "a@x.io", "source": "web", "assigned_at": AT, "user_expires_at": None},
    {
        "seq": 2,
        "code": "B-2",
        "email": "b@x.io",
        "source": 'kafka,"quoted"',
        "assigned_at": AT,
        "user_expires_at": AT + timedelta(days=30),
    },
]


def test_a_page_reads_back_the_rows_it_was_written_with() -> None:
    doc = page_doc("000000000000", ROWS)
    assert doc["_id"] == "000000000000"
    assert isinstance(doc["rows"], str)
    assert page_rows(doc) == ROWS


def test_the_export_form_keeps_times_as_iso_text() -> None:
    [first, second] = page_rows_as_text(page_doc("000000000000", ROWS))
    assert first["assigned_at"] == "2026-11-24T13:30:05.123456+00:00"
    assert first["user_expires_at"] is None
    assert second["user_expires_at"] == "2026-12-24T13:30:05.123456+00:00"
    assert second["source"] == 'kafka,"quoted"'

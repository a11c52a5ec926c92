import pytest

from pool_service.domain.import_lines import LineSplitter, UndecodableLineError, decode_line
from pool_service.domain.import_rows import InvalidRowError, detect_columns, parse_row


def split(data: bytes, piece: int, max_line: int = 100) -> list[tuple[int, int, bytes, bool]]:
    splitter = LineSplitter(0, 0, max_line)
    lines = []
    for start in range(0, len(data), piece):
        lines += splitter.feed(data[start : start + piece])
    lines += splitter.finish()
    return [(line.number, line.end_offset, line.data, line.too_long) for line in lines]


@pytest.mark.parametrize("piece", [1, 2, 3, 7, 1000])
def test_lines_and_offsets_do_not_depend_on_chunking(piece: int) -> None:
    data = b"a\r\nbb\n\nccc"
    assert split(data, piece) == [
        (1, 3, b"a\r", False),
        (2, 6, b"bb", False),
        (3, 7, b"", False),
        (4, 10, b"ccc", False),
    ]


def test_resuming_at_an_offset_continues_numbering() -> None:
    splitter = LineSplitter(6, 2, 100)
    [line] = splitter.feed(b"x\n")
    assert (line.number, line.end_offset, line.data) == (3, 8, b"x")


def test_an_overlong_line_is_flagged_without_being_kept() -> None:
    [(number, end, data, too_long), nxt] = split(b"y" * 500 + b"\nok\n", 64, max_line=100)
    assert (number, end, data, too_long) == (1, 501, b"", True)
    assert nxt == (2, 504, b"ok", False)


def test_bom_is_dropped_on_the_first_line_only() -> None:
    [first] = split(b"\xef\xbb\xbfcode\n", 100)
    splitter = LineSplitter(0, 0, 100)
    [raw] = splitter.feed(b"\xef\xbb\xbfcode\n")
    assert first[2].startswith(b"\xef\xbb\xbf")
    assert decode_line(raw, at_file_start=True) == "code"


@pytest.mark.parametrize("data", [b"caf\xe9\n", b"\x00\x01\x02\n"])
def test_non_utf8_or_binary_names_the_line(data: bytes) -> None:
    splitter = LineSplitter(10, 4, 100)
    [raw] = splitter.feed(data)
    with pytest.raises(UndecodableLineError, match="line 5"):
        decode_line(raw, at_file_start=False)


def test_header_detection() -> None:
    assert detect_columns("Code, Message ,pool_expires_at") == ("code", "message", "pool_expires_at")
    assert detect_columns("ABC-123") is None
    assert detect_columns("message") is None
    assert detect_columns("code,unknown") is None


def test_csv_row_with_every_column() -> None:
    columns = ("code", "message", "pool_expires_at", "user_expiration", "max_assignments")
    coupon = parse_row('X1,"Hello, world",2030-01-01T00:00:00Z,P30D,unlimited', columns)
    assert (coupon.code, coupon.message, coupon.user_expiration, coupon.max_assignments) == (
        "X1",
        "Hello, world",
        "P30D",
        None,
    )


@pytest.mark.parametrize(
    "line",
    ['X1,"unterminated', "X1,msg,not-a-date", "X1,msg,,P30D,many", "X1,a,,,,extra", "has space,m"],
)
def test_invalid_rows(line: str) -> None:
    with pytest.raises(InvalidRowError):
        parse_row(line, ("code", "message", "pool_expires_at", "user_expiration", "max_assignments"))


def test_one_code_per_line() -> None:
    assert parse_row("  CODE-9 ", None).code == "CODE-9"

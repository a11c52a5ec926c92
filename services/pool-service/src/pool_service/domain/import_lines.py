"""Cutting an uploaded file into numbered lines, a chunk at a time (the file is never whole in memory).

Splitting bytes on ``\\n`` is safe for UTF-8: no multi-byte character contains
that byte. A line longer than ``max_line_bytes`` is kept only as "too long" so a
1 MB field (or a binary file without newlines) costs at most that much memory.
"""

from dataclasses import dataclass

BOM = b"\xef\xbb\xbf"


@dataclass(frozen=True)
class RawLine:
    number: int
    # Byte offset just past this line's newline: where to resume after it.
    end_offset: int
    data: bytes
    too_long: bool = False


class LineSplitter:
    def __init__(self, start_offset: int, start_line: int, max_line_bytes: int) -> None:
        self._offset = start_offset
        self._line = start_line
        self._max = max_line_bytes
        self._pending = bytearray()
        self._pending_too_long = False

    def feed(self, chunk: bytes) -> list[RawLine]:
        lines: list[RawLine] = []
        start = 0
        while True:
            newline = chunk.find(b"\n", start)
            if newline < 0:
                self._keep(chunk[start:])
                return lines
            self._keep(chunk[start:newline])
            lines.append(self._emit(newline - start + 1))
            start = newline + 1

    def finish(self) -> list[RawLine]:
        """The last line when the file does not end with a newline."""
        if not self._pending and not self._pending_too_long:
            return []
        return [self._emit(0)]

    def _keep(self, piece: bytes) -> None:
        if self._pending_too_long:
            self._offset += len(piece)
            return
        self._pending += piece
        self._offset += len(piece)
        if len(self._pending) > self._max:
            self._pending = bytearray()
            self._pending_too_long = True

    def _emit(self, newline_bytes: int) -> RawLine:
        self._offset += 1 if newline_bytes else 0
        self._line += 1
        line = RawLine(self._line, self._offset, bytes(self._pending), self._pending_too_long)
        self._pending = bytearray()
        self._pending_too_long = False
        return line


class UndecodableLineError(ValueError):
    """The file is not UTF-8 text at this line: the import stops here."""


def decode_line(line: RawLine, at_file_start: bool) -> str:
    data = line.data
    if at_file_start and data.startswith(BOM):
        data = data[len(BOM) :]
    if b"\x00" in data:
        raise UndecodableLineError(f"line {line.number}: binary content (NUL byte); the file must be UTF-8 text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UndecodableLineError(f"line {line.number}: not valid UTF-8 at byte {exc.start + 1} of the line") from exc
    return text.removesuffix("\r")

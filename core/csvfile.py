"""Reading shop exports as they come: UTF-8 with or without BOM or Excel's cp1252,
comma, semicolon or tab delimited, with the line number of every record kept for errors.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

_CHUNK = 1 << 20
_DELIMITERS = (",", ";", "\t")
DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}
"""How summaries name a delimiter."""
_SNIFF = 8192
"""The first bytes looked at for binary data (as git decides a file is binary)."""
_BINARY_STARTS = (b"PK\x03\x04", b"\xd0\xcf\x11\xe0", b"\x89PNG", b"%PDF", b"\xff\xd8\xff", b"GIF8")
"""How zips (.xlsx, .numbers), old .xls, images and PDFs begin. A NUL in the first bytes of
such a file, or in a header line, makes the file binary; a NUL in a later row of a text
file (a stray byte in a customer's name) is read like any other character."""
MAX_FIELD = 1 << 20
"""The longest value a cell may hold, in characters (1 MiB): far above any note or address."""
MAX_LINE = 4 << 20
"""The longest physical line, in characters: lines are read at most this long, so a file of
one endless line is refused after reading 4 MiB, not loaded whole."""


class FatalImportError(Exception):
    """A problem with the whole file: nothing is imported. The message names the place."""


@dataclass(frozen=True, slots=True)
class CsvRecord:
    """One record and the line it starts on; `problem` says why it cannot be read as a row
    of the file (more or fewer fields than the header), and the importers reject it."""

    line: int
    values: list[str]
    problem: str | None = None


class CsvFile:
    """A delimited file opened for reading; iterate `records()` once."""

    def __init__(self, path: Path, encoding: str, delimiter: str, header: list[str]) -> None:
        self.path = path
        self.encoding = encoding
        self.delimiter = delimiter
        self.header = header
        self.size = path.stat().st_size
        # In semicolon files (Excel in most of Europe) amounts use a decimal comma.
        self.decimal_comma = delimiter == ";"

    @property
    def name(self) -> str:
        return self.path.name

    def records(self, progress: Callable[[int, int], None] | None = None) -> Iterator[CsvRecord]:
        """Data records after the header; blank lines are skipped.

        `progress(bytes_read, total_bytes)` is called every few thousand records.
        """
        csv.field_size_limit(MAX_FIELD)
        width = len(self.header)
        # Trailing unnamed columns (a header ending in a delimiter) may be left out of a row.
        named = width - next((i for i, n in enumerate(reversed(self.header)) if n), width)
        with self.path.open("rb") as raw:
            text = io.TextIOWrapper(raw, encoding=self.encoding, newline="")
            reader = csv.reader(self._lines(text), delimiter=self.delimiter, strict=True)
            for skipped in reader:  # blank lines before the header, as `open_csv` skips them
                if "".join(skipped).strip():
                    break
            start = reader.line_num + 1
            try:
                for count, values in enumerate(reader):
                    if values and any(values):
                        if named <= len(values) and (
                            len(values) <= width or not any(values[width:])
                        ):
                            yield CsvRecord(start, values)
                        else:
                            yield CsvRecord(start, values, _ragged(len(values), width))
                    start = reader.line_num + 1
                    if progress is not None and count % 8192 == 0:
                        progress(raw.tell(), self.size)
            except csv.Error as exc:
                if "field larger than field limit" in str(exc):
                    raise FatalImportError(
                        f"{self.name}:{start}: a field longer than {MAX_FIELD:,} characters"
                    ) from None
                raise FatalImportError(
                    f"{self.name}:{start}: malformed CSV ({exc}); a quote opened on line {start} "
                    "may never be closed"
                ) from None
            except UnicodeDecodeError as exc:
                raise FatalImportError(
                    f"{self.name}:{start}: cannot decode as {self.encoding}: {exc.reason}"
                ) from None
        if progress is not None:
            progress(self.size, self.size)

    def _lines(self, text: io.TextIOWrapper) -> Iterator[str]:
        """The file's lines, each read at most `MAX_LINE` characters long."""
        number = 0
        while line := text.readline(MAX_LINE + 1):
            number += 1
            if len(line) > MAX_LINE:
                raise FatalImportError(_too_long(self.name, number))
            yield line


def _too_long(name: str, line: int) -> str:
    return (
        f"{name}:{line}: a line longer than {MAX_LINE:,} characters (a field may hold at most "
        f"{MAX_FIELD:,}); is this a CSV file?"
    )


def _ragged(count: int, width: int) -> str:
    """Why a record with `count` fields is not a row of a file with `width` columns."""
    hint = "a line break or a delimiter in an unquoted value?"
    return f"{count} fields where the header has {width} ({hint})"


def open_csv(path: str | Path) -> CsvFile:
    """Detect encoding and delimiter and read the header, or raise `FatalImportError`."""
    path = Path(path)
    csv.field_size_limit(MAX_FIELD)
    try:
        encoding = _detect_encoding(path)
        with path.open("r", encoding=encoding, newline="") as text:
            number = 1
            first = text.readline(MAX_LINE + 1)
            while first and not first.strip() and len(first) <= MAX_LINE:
                number += 1
                first = text.readline(MAX_LINE + 1)
    except OSError as exc:
        raise FatalImportError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(first) > MAX_LINE:
        raise FatalImportError(_too_long(path.name, number))
    if not first.strip():
        raise FatalImportError(f"{path.name}: the file is empty (no header line)")
    delimiter = _detect_delimiter(first)
    try:
        header = next(csv.reader([first], delimiter=delimiter, strict=True))
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            reason = f"a header name longer than {MAX_FIELD:,} characters"
            raise FatalImportError(f"{path.name}:{number}: {reason}") from None
        raise FatalImportError(f"{path.name}:{number}: malformed header ({exc})") from None
    header = [name.strip() for name in header]
    return CsvFile(path, encoding, delimiter, header)


def _detect_encoding(path: Path) -> str:
    """UTF-8 (BOM or not) if the whole file decodes as UTF-8, else Windows-1252 if it does.

    The whole file is checked in chunks, so a stray byte near the end is not mangled.
    """
    with path.open("rb") as raw:
        head = raw.read(4)
        if head.startswith(codecs.BOM_UTF16_LE) or head.startswith(codecs.BOM_UTF16_BE):
            raise FatalImportError(
                f"{path.name}: UTF-16 files are not supported; save it as 'CSV UTF-8'"
            )
        raw.seek(0)
        sniff = raw.read(_SNIFF)
        nul = sniff.find(b"\x00")
        if nul >= 0 and (sniff.startswith(_BINARY_STARTS) or b"\n" not in sniff[:nul]):
            raise FatalImportError(
                f"{path.name}: not a CSV file (byte {nul} is NUL: binary data); a spreadsheet? "
                "save it as 'CSV UTF-8'"
            )
        raw.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := raw.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
            return "utf-8-sig"
        except UnicodeDecodeError:
            pass
    with path.open("rb") as raw:
        offset = 0
        while chunk := raw.read(_CHUNK):
            try:
                chunk.decode("cp1252")  # a single-byte code: chunks decode independently
            except UnicodeDecodeError as exc:
                raise FatalImportError(
                    f"{path.name}: byte {offset + exc.start} is neither UTF-8 nor Windows-1252 "
                    "text; save the file as 'CSV UTF-8'"
                ) from None
            offset += len(chunk)
    return "cp1252"


def _detect_delimiter(header_line: str) -> str:
    """The delimiter that splits the header into the most fields (outside quotes)."""
    counts = dict.fromkeys(_DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","

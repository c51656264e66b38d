"""The three ways drafts are written: .eml files in a folder, one mbox, a mail-merge CSV.

Each writer writes into a temporary copy beside the target, private (0600) and synced, then
`place` moves it into place, and `finish` or `undo` settles what it replaced
(core/compose/export.py decides when).
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path

from core.compose.errors import ComposeError

CSV_COLUMNS = ("customer_id", "email", "name", "language", "subject", "text", "discount_code")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_INVISIBLE = " \u00a0\u00ad\u180e\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\u2064\ufeff"
"""Spaces and zero-width or direction marks a cell may start with before a formula."""
_MBOXRD_FROM = re.compile(rb"^(>*From )", re.MULTILINE)


class Writer:
    """Writes into a temporary copy; `place` moves it to the target (keeping what it
    replaced aside), then `finish` drops the replaced copy or `undo` puts it back."""

    placed: Path | None = None
    previous: Path | None = None
    """What `--overwrite` replaced, moved aside until `finish`."""

    def add(self, number: int, customer_id: int, payload: object) -> None:
        raise NotImplementedError

    def place(self, out: Path, overwrite: bool) -> None:
        raise NotImplementedError

    def abort(self) -> None:
        """Remove the temporary copy (nothing was placed)."""
        raise NotImplementedError

    def commit(self, out: Path, overwrite: bool) -> None:
        self.place(out, overwrite)
        self.finish()

    def finish(self) -> None:
        if self.previous is not None:
            _remove(self.previous)
            self.previous = None
        self.placed = None

    def undo(self) -> None:
        """Take back a placed export and restore what it replaced; else `abort`."""
        if self.placed is None:
            self.abort()
            return
        out, self.placed = self.placed, None
        _remove(out)
        if self.previous is not None:
            os.replace(self.previous, out)
            self.previous = None
        _sync_folder(out.parent)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


class NullWriter(Writer):
    """`--dry-run`: everything is rendered, nothing is written."""

    def add(self, number: int, customer_id: int, payload: object) -> None:
        pass

    def place(self, out: Path, overwrite: bool) -> None:
        pass

    def abort(self) -> None:
        pass


def _sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _sync_close(fd: int) -> None:
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class _EmlWriter(Writer):
    """One `0001-<customer id>.eml` per draft in a private temporary folder."""

    MAX_PENDING = 256

    def __init__(self, out: Path) -> None:
        self.folder: Path | None = Path(
            tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
        )
        # fsync costs ~0.25 ms per file; threads overlap it with rendering.
        self.pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="eml-sync")
        self.pending: deque[Future[None]] = deque()

    def add(self, number: int, customer_id: int, payload: object) -> None:
        assert self.folder is not None and isinstance(payload, bytes)
        name = f"{number:04d}-{customer_id}.eml"
        fd = os.open(self.folder / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(fd, view) :]
        except BaseException:
            os.close(fd)
            raise
        self.pending.append(self.pool.submit(_sync_close, fd))
        while len(self.pending) > self.MAX_PENDING:
            self.pending.popleft().result()

    def _drain(self) -> None:
        while self.pending:
            self.pending.popleft().result()
        self.pool.shutdown(wait=True)

    def place(self, out: Path, overwrite: bool) -> None:
        assert self.folder is not None
        self._drain()
        _sync_folder(self.folder)
        if out.is_dir() and any(out.iterdir()):
            if not overwrite:
                raise ComposeError(
                    f"{out}: folder is not empty (choose another or use --overwrite)"
                )
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent))
            os.replace(out, old / "previous")
            self.previous = old / "previous"
        os.replace(self.folder, out)  # an empty folder in the way is replaced
        self.folder = None
        self.placed = out
        _sync_folder(out.parent)

    def finish(self) -> None:
        previous = self.previous
        super().finish()
        if previous is not None:  # the .old folder that held it
            shutil.rmtree(previous.parent, ignore_errors=True)

    def undo(self) -> None:
        previous = self.previous
        super().undo()
        if previous is not None:
            shutil.rmtree(previous.parent, ignore_errors=True)

    def abort(self) -> None:
        with suppress(OSError):
            self._drain()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


class FileWriter(Writer):
    """One output file, written to a private temporary file beside it."""

    def __init__(self, out: Path) -> None:
        fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
        os.fchmod(fd, 0o600)
        self.temp: Path | None = Path(name)
        self.file: io.BufferedWriter = os.fdopen(fd, "wb", buffering=1 << 20)
        self.start()

    def start(self) -> None:
        pass

    def place(self, out: Path, overwrite: bool) -> None:
        assert self.temp is not None
        self.file.flush()
        os.fsync(self.file.fileno())
        self.file.close()
        if out.exists():
            if not overwrite:
                raise ComposeError(
                    f"{out}: already exists (choose another name or use --overwrite)"
                )
            fd, name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".old", dir=out.parent)
            os.close(fd)
            os.replace(out, name)
            self.previous = Path(name)
        os.replace(self.temp, out)
        self.temp = None
        self.placed = out
        _sync_folder(out.parent)

    def abort(self) -> None:
        # Unlink first: on a full disk, closing flushes the buffer and fails.
        if self.temp is not None:
            self.temp.unlink(missing_ok=True)
            self.temp = None
        with suppress(OSError, ValueError):
            self.file.close()


def mboxrd_quote(message: bytes) -> bytes:
    """mboxrd: every line matching `>*From ` gains one more `>` (readers remove one)."""
    return _MBOXRD_FROM.sub(rb">\1", message) if b"From " in message else message


class _MboxWriter(FileWriter):
    """All drafts in one mbox (mboxrd quoting; LF line ends, as mbox files have)."""

    def start(self) -> None:
        self.separator = b"From MAILER-DAEMON " + time.asctime(time.gmtime()).encode() + b"\n"

    def add(self, number: int, customer_id: int, payload: object) -> None:
        assert isinstance(payload, bytes)
        self.file.write(self.separator)
        self.file.write(payload)
        self.file.write(b"\n")


def neutralise_cell(value: str) -> str:
    """Spreadsheets run cells starting with = + - @ (or tab/CR) as formulas: quote them,
    also behind leading spaces or invisible characters (a zero-width space before `=`)."""
    if value.startswith(_FORMULA_START) or value.lstrip(_INVISIBLE).startswith(_FORMULA_START):
        return "'" + value
    return value


class CsvWriter(FileWriter):
    """One row per draft for mail-merge tools; UTF-8 with BOM so Excel reads the accents.
    Subclasses choose another header, row or encoding (core/compose/audience_export.py)."""

    encoding = "utf-8-sig"

    def start(self) -> None:
        self.text = io.TextIOWrapper(self.file, encoding=self.encoding, newline="")
        self.rows = csv.writer(self.text)
        self.rows.writerow(self.header())

    def header(self) -> Sequence[str]:
        return CSV_COLUMNS

    def cells(self, payload: object) -> Sequence[str]:
        assert isinstance(payload, tuple)
        return payload

    def add(self, number: int, customer_id: int, payload: object) -> None:
        self.rows.writerow([neutralise_cell(cell) for cell in self.cells(payload)])

    def place(self, out: Path, overwrite: bool) -> None:
        self.text.flush()
        self.text.detach()
        super().place(out, overwrite)

    def abort(self) -> None:
        super().abort()  # removes the file before anything can fail
        with suppress(ValueError, OSError):  # detached by commit, or its flush fails
            self.text.detach()


WRITERS: dict[str, Callable[[Path], Writer]] = {
    "eml": _EmlWriter,
    "mbox": _MboxWriter,
    "csv": CsvWriter,
}

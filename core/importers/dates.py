"""Reading one file's dates: whether 03/11/2026 is 3 November or 11 March is decided once per
file, from every date in it, or by `--date-format`.

ISO dates (2026-11-03, with or without a time and offset), year-first ones (2026/11/03) and
dotted ones (03.11.2026, day first wherever dots are written) need no decision and cost
nothing extra. The first slash or dash date (03/11/2026, 03-11-2026) makes the file read its
date columns once more, only to find a value that settles the order: 25/03/2026 can only be
day first, 03/25/2026 only month first. Both in one file, or none at all, refuse the file.
"""

from __future__ import annotations

from collections.abc import Callable

from core.csvfile import CsvFile, FatalImportError
from core.values import DATE_ORDERS, NeedsDateOrder, date_order_evidence, parse_timestamp

DATE_FIELDS = ("ordered_at", "cancelled_at", "created_at", "answered_at")
"""The fields that hold dates; the order is decided from all of them together."""


def check_date_format(date_format: str | None) -> str | None:
    """The `--date-format` option as given: None (decide from the file), 'DMY' or 'MDY'."""
    if date_format is None or date_format.strip().lower() in ("", "auto"):
        return None
    order = date_format.strip().upper()
    if order not in DATE_ORDERS:
        raise FatalImportError(
            f"--date-format {date_format!r}: choose DMY (day first, 03/11/2026 is 3 November), "
            "MDY (month first, 11 March) or auto"
        )
    return order


class FileDates:
    """Parses the dates of one file, deciding day or month first the first time it matters."""

    def __init__(self, file: CsvFile, columns: dict[str, int], date_format: str | None) -> None:
        self.file = file
        self.columns = [(columns[name], file.header[columns[name]])
                        for name in DATE_FIELDS if name in columns]  # fmt: skip
        self.order = check_date_format(date_format)
        self.applied = ""
        """The order once a date needed it ('' before): part of each order's fingerprint, as
        the same cells mean other dates in another order."""

    def parse(self, text: str) -> tuple[str, int]:
        """(ISO text, local day ordinal) of one date, or ValueError naming what is wrong."""
        if self.applied:  # a file of slash dates: read them in one go from now on
            return parse_timestamp(text, self.applied)
        try:
            return parse_timestamp(text)
        except NeedsDateOrder:
            if self.order is None:
                self.order = self.decide()
            self.applied = self.order
            return parse_timestamp(text, self.order)

    def decide(self) -> str:
        """Day or month first, from every date in the file's date columns (one more read)."""
        return self._decision(self._evidence())

    def _decision(self, found: dict[str, tuple[int, str, str]]) -> str:
        for order in DATE_ORDERS:
            if order in found:
                return order
        if "either" not in found:  # no date reads either way (32/13/2026): rows are rejected
            return DATE_ORDERS[0]
        line, column, value = found["either"]
        raise FatalImportError(
            f"{self.file.name}:{line}: {column}: {value!r} may be day first or month first, "
            "and no date in the file says which (none has a day above 12); choose with "
            "--date-format DMY (day first) or --date-format MDY (month first)"
        )

    def detect(self, progress: Callable[[int, int], None] | None = None) -> str:
        """The order the import will read this file's dates in: the chosen one, else as
        `decide` finds it, or '' when no date needs one (ISO, dotted). For the import screen,
        before importing; raises like `decide`. `progress` as `CsvFile.records` calls it."""
        if self.order is not None:
            return self.order
        found = self._evidence(progress)
        return self._decision(found) if found else ""

    def _evidence(
        self, progress: Callable[[int, int], None] | None = None
    ) -> dict[str, tuple[int, str, str]]:
        """What the file's dates say about their order: the first value saying DMY, MDY or
        either, with its line and column; both DMY and MDY refuse the file."""
        found: dict[str, tuple[int, str, str]] = {}
        if not self.columns:
            return found
        for record in self.file.records(progress):
            values = record.values
            for index, column in self.columns:
                if index >= len(values):
                    continue
                evidence = date_order_evidence(values[index])
                if evidence is not None and evidence not in found:
                    found[evidence] = (record.line, column, values[index].strip())
                    if "DMY" in found and "MDY" in found:
                        raise self._mixed(found["DMY"], found["MDY"])
        return found

    def _mixed(
        self, day_first: tuple[int, str, str], month_first: tuple[int, str, str]
    ) -> FatalImportError:
        (day_line, day_column, day_value), (month_line, month_column, month_value) = (
            day_first,
            month_first,
        )
        return FatalImportError(
            f"{self.file.name}: its dates are written both day first ({day_value!r} in "
            f"{day_column}, line {day_line}) and month first ({month_value!r} in "
            f"{month_column}, line {month_line}); correct the file, or choose with "
            "--date-format DMY or MDY and let the other rows be rejected"
        )

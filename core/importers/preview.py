"""What an import will make of a file, before it runs: encoding, delimiter, format, the first
rows, which column each field comes from, and the date order (the app's import screen shows
these so the owner can check them, and choose columns, before importing).

It reads with the import's own functions (`open_csv`, `choose_layout`, `recognise_columns`,
`FileDates`), so what it says is what the import will do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path

from core.csvfile import DELIMITER_NAMES, FatalImportError, open_csv
from core.importers.dates import DATE_FIELDS, FileDates
from core.importers.formats import (
    FIELDS_BY_KIND,
    Layout,
    choose_layout,
    customer_fields,
    detect_format,
    header_key,
    missing_fields,
    recognise_columns,
)
from core.importers.mapping import RememberedMapping, remembered_mapping
from core.store import Store

PREVIEW_ROWS = 5


@dataclass(frozen=True)
class FilePreview:
    """One file as the import will read it as `kind` (the columns by name, not position)."""

    file: str
    kind: str
    encoding: str
    delimiter: str
    detected: str
    """The layout the header looks like: 'shopify', 'woocommerce' or 'generic'."""
    header: list[str]
    rows: list[list[str]]
    """The first data rows, each as wide as the header (raw text: the caller makes it safe)."""
    layout: Layout | None = None
    problem: str | None = None
    """Why the file cannot be imported as `kind` in this format (then `layout` is None)."""
    recognised: dict[str, str] = field(default_factory=dict)
    """{FIELD: COLUMN} the column names give (the layout's aliases)."""
    remembered: RememberedMapping | None = None
    """The owner's earlier choice for this header set (generic files only)."""

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields a column can be mapped to (those `--map` accepts)."""
        return FIELDS_BY_KIND[self.kind]

    @property
    def required(self) -> tuple[str, ...]:
        return self.layout.required if self.layout else ()

    @property
    def one_of(self) -> tuple[str, ...]:
        """Fields of which at least one is needed (who the order or customer is)."""
        return customer_fields(self.layout) if self.layout and self.layout.needs_customer else ()

    @property
    def mappable(self) -> bool:
        """The owner chooses the columns of generic files; shop exports have fixed names."""
        return self.layout is not None and self.layout.name == "generic"

    @property
    def choices(self) -> dict[str, str]:
        """{FIELD: COLUMN} to start from: the remembered choice, else the column names'."""
        if self.remembered is None:
            return dict(self.recognised)
        # The same header set may write a name another way (`NR` for `Nr`): this file's names.
        names = {header_key(name): name for name in reversed(self.header)}
        mapping = self.remembered.mapping
        return {target: names.get(header_key(column), column) for column, target in mapping.items()}

    def missing(self, choices: dict[str, str]) -> list[str]:
        """The required fields `choices` ({FIELD: COLUMN}) leaves without a column."""
        if self.layout is None:
            return []
        return missing_fields(self.layout, dict.fromkeys(choices, 0))


def preview_file(
    path: str | Path,
    kind: str,
    fmt: str = "auto",
    store: Store | None = None,
    *,
    follow_detected: bool = False,
) -> FilePreview:
    """How `import_file(store, path, kind, fmt=fmt)` would read `path`, from its first rows;
    FatalImportError when it cannot be read at all (missing, binary, empty). With
    `follow_detected`, a shop export of the other kind is previewed as that kind."""
    file = open_csv(path)
    detected_kind, detected = detect_format(file.header)
    if follow_detected and detected_kind in ("orders", "customers"):
        kind = detected_kind
    width = len(file.header)
    rows = [
        (record.values + [""] * width)[:width] for record in islice(file.records(), PREVIEW_ROWS)
    ]
    base = FilePreview(
        file=file.name, kind=kind, encoding=file.encoding,
        delimiter=DELIMITER_NAMES[file.delimiter], detected=detected, header=file.header,
        rows=rows,
    )  # fmt: skip
    try:
        layout = choose_layout(file, kind, fmt)
    except FatalImportError as exc:
        return replace(base, problem=str(exc))
    columns = recognise_columns(file, layout)
    recognised = {target: file.header[index] for target, index in columns.items()}
    remembered = None
    if store is not None and layout.name == "generic":
        remembered = remembered_mapping(store, kind, file.header)
    return replace(base, layout=layout, recognised=recognised, remembered=remembered)


def date_order(
    path: str | Path,
    choices: dict[str, str],
    date_format: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> str:
    """The order the import will read the file's dates in ('DMY', 'MDY'), '' when no date
    needs one; FatalImportError when the file cannot say (as the import would refuse it).
    `choices` is {FIELD: COLUMN}; this reads the date columns of the whole file."""
    file = open_csv(path)
    positions = {name.strip(): index for index, name in reversed(list(enumerate(file.header)))}
    columns = {
        target: positions[column]
        for target, column in choices.items()
        if target in DATE_FIELDS and column in positions
    }
    return FileDates(file, columns, date_format).detect(progress)

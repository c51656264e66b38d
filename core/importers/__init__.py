"""`import orders` and `import customers`: read a shop export and merge it into the store.

Re-importing the same file changes nothing; a bad row is rejected with `file:line: column:
reason` while the rest imports (unless strict); a fatal problem or an interruption commits
nothing.
"""

from __future__ import annotations

import gc
import sqlite3
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

from core.codes.redemptions import CodeReuse
from core.csvfile import DELIMITER_NAMES, FatalImportError, open_csv
from core.importers.dates import FileDates
from core.importers.formats import choose_layout, resolve_columns
from core.importers.loader import Staging
from core.importers.mapping import remembered_mapping
from core.importers.readers import read_customers, read_orders
from core.importers.records import RowError
from core.store import Store, cannot_write, sqlite_temp_folder, utc_now

__all__ = ["FatalImportError", "ImportResult", "RowError", "import_file", "parse_mapping"]

KINDS = ("orders", "customers")
KEPT_ERRORS = 100


@dataclass
class ImportResult:
    """The summary an import prints (and `--json` emits)."""

    file: str
    kind: str
    format: str
    encoding: str
    delimiter: str
    date_order: str | None = None
    """How dates like 03/11/2026 were read: 'DMY' (day first), 'MDY', or None (none in the
    file: ISO and dotted dates need no order)."""
    rows_read: int = 0
    orders_added: int = 0
    orders_updated: int = 0
    orders_unchanged: int = 0
    customers_added: int = 0
    customers_updated: int = 0
    rows_rejected: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    """Rows applied in part, `file:line: column: what was kept` (e.g. an email of another
    customer: the row's other values and its marketing "no" still apply)."""
    consent_suppressed: int = 0
    """Customers the file said yes for whose address is suppressed: they stay at no."""
    codes_redeemed: int = 0
    """Campaign codes the file's new or changed orders redeemed (core/codes/)."""
    codes_reused: list[CodeReuse] = field(default_factory=list)
    """Of those, the codes more than one order used, with every such order."""
    referrals_credited: int = 0
    """Referrers credited for a new customer's first order with their code (core/referrals/)."""
    referrals_reversed: int = 0
    """Credits taken back: the referred order stopped counting (docs/referrals.md)."""
    remembered_mapping: dict[str, str] | None = None
    """The columns were read as the owner chose for this header set ({COLUMN: FIELD}, see
    core/importers/mapping.py), or None (the column names, or --map)."""
    points_codes_used: int = 0
    """Loyalty points codes an order now uses: their points deducted (core/loyalty/codes.py)."""
    points_codes_returned: int = 0
    """Points codes whose order stopped counting: their points given back."""
    seconds: float = 0.0
    merge_seconds: float = 0.0
    """Of `seconds`, how long the merge held the database's write lock (the rest is reading
    the file, while the app and other readers and writers go on)."""

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["rows_per_second"] = round(self.rows_per_second, 1)
        data["seconds"] = round(self.seconds, 3)
        data["merge_seconds"] = round(self.merge_seconds, 3)
        return data


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """`--map 'Bestellnr=order_id'` options -> {column: field}."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, target = pair.partition("=")
        column, target = column.strip(), target.strip()
        if not sep or not column or not target:
            raise FatalImportError(f"--map {pair!r}: expected COLUMN=FIELD")
        if column in mapping:
            raise FatalImportError(
                f"--map {pair!r}: column {column!r} is already read as {mapping[column]}; "
                "a column holds one field"
            )
        if target in mapping.values():
            raise FatalImportError(f"--map {pair!r}: field {target} is named twice")
        mapping[column] = target
    return mapping


def import_file(
    store: Store,
    path: str | Path,
    kind: str,
    *,
    fmt: str = "auto",
    mapping: dict[str, str] | None = None,
    aliases: bool = True,
    remembered: bool = False,
    strict: bool = False,
    progress: Callable[[int, int], None] | None = None,
    date_format: str | None = None,
    today: date | None = None,
) -> ImportResult:
    """Import one export file of `kind` ('orders' or 'customers') into `store`.

    `date_format` reads dates like 03/11/2026: 'DMY' (day first), 'MDY', or None/'auto' to
    decide from the whole file (core/importers/dates.py). Orders dated after the day after
    `today` (default the real date) are rejected.

    `mapping` ({COLUMN: FIELD}, as --map gives it) wins over the column names; without
    `aliases` it is the whole choice. With `remembered` and no mapping, a generic file is
    read as the owner last chose for its header set (core/importers/mapping.py).
    """
    if kind not in KINDS:
        raise FatalImportError(f"unknown import kind {kind!r}; choose orders or customers")
    started, started_at = time.perf_counter(), utc_now()
    file = open_csv(path)
    layout = choose_layout(file, kind, fmt)
    chosen = None
    if remembered and not mapping and layout.name == "generic":
        chosen = remembered_mapping(store, kind, file.header)
    if chosen is not None:
        mapping, aliases = chosen.mapping, False
    columns = resolve_columns(file, layout, mapping, aliases=aliases)
    dates = FileDates(file, columns, date_format)
    result = ImportResult(
        file=str(path), kind=kind, format=layout.name, encoding=file.encoding,
        delimiter=DELIMITER_NAMES[file.delimiter],
        remembered_mapping=chosen.mapping if chosen else None,
    )  # fmt: skip
    staging = Staging(store, source=layout.name)

    def reject(error: RowError) -> None:
        if strict:
            raise FatalImportError(f"{error} (--strict: nothing was imported)")
        result.rows_rejected += 1
        if len(result.errors) < KEPT_ERRORS:
            result.errors.append(str(error))

    # Staging holds hundreds of thousands of small objects the cyclic GC would rescan again
    # and again; none of them form cycles.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        if kind == "orders":
            for item in read_orders(file, layout, columns, progress, dates, today):
                if isinstance(item, RowError):
                    result.rows_read += 1
                    reject(item)
                else:
                    result.rows_read += item.rows
                    staging.add_order(item)
            for error in staging.find_duplicates(file.name):
                reject(error)
        else:
            customers = read_customers(file, columns, progress, dates)
            for rank, item in enumerate(customers):
                result.rows_read += 1
                if isinstance(item, RowError):
                    reject(item)
                else:
                    staging.add_customer(item, rank)
        result.date_order = dates.applied or None
        counts = staging.apply(authoritative_customers=kind == "customers", file_name=file.name)
        result.warnings = [str(warning) for warning in counts.warnings[:KEPT_ERRORS]]
        result.consent_suppressed = counts.consent_suppressed
        result.codes_redeemed = counts.redemptions.redeemed
        result.codes_reused = counts.redemptions.reused
        result.referrals_credited = counts.referrals.credited
        result.referrals_reversed = counts.referrals.reversed
        result.points_codes_used = counts.points_codes.deducted
        result.points_codes_returned = counts.points_codes.returned
        result.orders_added = counts.orders_added
        result.orders_updated = counts.orders_updated
        result.orders_unchanged = counts.orders_unchanged
        result.customers_added = counts.customers_added
        result.customers_updated = counts.customers_updated
        result.merge_seconds = counts.merge_seconds
        result.seconds = time.perf_counter() - started
        _record_run(store, result, started_at)
    except sqlite3.OperationalError as exc:
        # Not the shop's database (its writes say so themselves, `StoreWriteError`): the
        # TEMP tables the rows are staged in, in SQLite's temporary folder.
        if not cannot_write(exc):
            raise
        raise FatalImportError(
            f"cannot stage the import: SQLite's temporary folder {sqlite_temp_folder()} "
            f"refuses writes ({exc}); free space there, or name another folder in "
            "SQLITE_TMPDIR (nothing was imported)"
        ) from exc
    finally:
        # On a full temporary folder even dropping fails; the next import drops them first,
        # and they go with the connection anyway.
        with suppress(sqlite3.Error):
            staging.drop()
        if gc_was_enabled:
            gc.enable()
    return result


def _record_run(store: Store, result: ImportResult, started_at: str) -> None:
    with store.write() as conn:
        conn.execute(
            "INSERT INTO import_runs (started_at, finished_at, file, kind, format, rows_read, "
            "added, updated, unchanged, rejected) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                started_at, utc_now(), result.file, result.kind, result.format, result.rows_read,
                result.orders_added + result.customers_added,
                result.orders_updated + result.customers_updated,
                result.orders_unchanged, result.rows_rejected,
            ),
        )  # fmt: skip

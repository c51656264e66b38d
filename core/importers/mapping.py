"""Which column of a generic CSV holds which field: the owner's choice, checked, and
remembered per header set, so the next file with the same columns is read the same way, in
the app's import screen and by `retain-tui import` when no --map is given (docs/import.md).

A mapping is `{COLUMN: FIELD}`, as `--map COLUMN=FIELD` gives it. A remembered mapping is the
whole choice: a field it leaves out is not read, even where an alias would find it (the owner
may have unpicked a column on purpose).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from core.csvfile import FatalImportError
from core.importers.formats import header_key
from core.store import Store, utc_now


def header_set_key(header: list[str]) -> str:
    """A stable key of a header row: its column names compared as headers are (case, spaces
    and underscores aside), in any order."""
    names = sorted({header_key(name) for name in header if name.strip()})
    return hashlib.sha256("\x1f".join(names).encode()).hexdigest()


def mapping_from_choices(choices: dict[str, str]) -> dict[str, str]:
    """`{FIELD: COLUMN}` as the import screen's pickers give it -> `{COLUMN: FIELD}`, refusing
    two fields read from one column (a column holds one field)."""
    mapping: dict[str, str] = {}
    seen: dict[str, str] = {}
    for field, column in choices.items():
        key = header_key(column)
        if key in seen:
            raise FatalImportError(
                f"{seen[key]} and {field} are both read from column {column!r}: "
                "choose one column per field"
            )
        seen[key] = field
        mapping[column] = field
    return mapping


def mapping_text(mapping: dict[str, str]) -> str:
    """`Nr=order_id, Datum=ordered_at`: a mapping as `--map` options would write it."""
    return ", ".join(f"{column}={field}" for column, field in mapping.items())


@dataclass(frozen=True)
class RememberedMapping:
    mapping: dict[str, str]
    """{COLUMN: FIELD}, the whole choice."""
    saved_at: str


def remembered_mapping(store: Store, kind: str, header: list[str]) -> RememberedMapping | None:
    """The mapping last used for a `kind` file with this header set, if the owner chose one."""
    row = store.conn.execute(
        "SELECT mapping, saved_at FROM import_mappings WHERE kind = ? AND header_key = ?",
        (kind, header_set_key(header)),
    ).fetchone()
    if row is None:
        return None
    return RememberedMapping(json.loads(row[0]), row[1])


def remember_mapping(
    store: Store, kind: str, header: list[str], mapping: dict[str, str] | None
) -> None:
    """Keep `mapping` for the next `kind` file with this header set; None forgets it (the
    owner went back to what the column names say)."""
    key = header_set_key(header)
    with store.write() as conn:
        if not mapping:
            conn.execute(
                "DELETE FROM import_mappings WHERE kind = ? AND header_key = ?", (kind, key)
            )
            return
        conn.execute(
            "INSERT INTO import_mappings (kind, header_key, header, mapping, saved_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (kind, header_key) DO UPDATE SET "
            "header = excluded.header, mapping = excluded.mapping, saved_at = excluded.saved_at",
            (kind, key, json.dumps(header), json.dumps(mapping), utc_now()),
        )

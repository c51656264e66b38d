"""Everything stored about one person, as one JSON document (a GDPR access request).

Written to a private file (0600) through a temporary file beside it and a rename, so the
owner never finds a half-written copy of someone's data. The drafted emails themselves are
files in the export folder, not in the database; the record of which campaigns selected the
person, the codes they were given and the codes their orders redeemed is part of it.
"""

from __future__ import annotations

import json
from pathlib import Path

from core.contact_history import contact_history
from core.customer_list import customer_rows
from core.private_files import private_text_file
from core.store import Store

FORMAT = "retain-tui access request 1"


def access_record(store: Store, customer_id: int) -> dict[str, object]:
    """The customer's row, consent history, orders with their lines, the segments they are
    in today, their contact history (campaigns, codes, redemptions), their outbox messages,
    and the import runs that added or last changed the row."""
    customer = _rows(store, "SELECT * FROM customers WHERE id = ?", (customer_id,))[0]
    orders = _rows(
        store, "SELECT * FROM orders WHERE customer_id = ? ORDER BY order_day, id", (customer_id,)
    )
    for order in orders:
        order["lines"] = _rows(
            store,
            "SELECT position, sku, product, quantity, unit_price FROM order_lines "
            "WHERE order_id = ? ORDER BY position",
            (order["id"],),
        )
    segments = customer_rows(store, ids=[customer_id])
    return {
        "format": FORMAT,
        "money": "integer hundredths of the order's currency; days are date ordinals",
        "customer": customer,
        "consent_events": _rows(
            store,
            "SELECT at, accepts_marketing, source FROM consent_events "
            "WHERE customer_id = ? ORDER BY at, id",
            (customer_id,),
        ),
        "orders": orders,
        "segments": segments[0]["segments"] if segments else [],
        "contact_history": contact_history(store, customer_id).to_dict(),
        "outbox": _rows(
            store,
            "SELECT c.name AS campaign, o.address, o.state, o.reason, o.reply, o.attempts, "
            "o.queued_at, o.attempted_at, o.finished_at, o.message_id, "
            "CAST(o.message AS TEXT) AS message FROM outbox o "
            "JOIN campaigns c ON c.id = o.campaign_id WHERE o.customer_id = ? ORDER BY o.id",
            (customer_id,),
        ),
        "import_runs": _rows(
            store,
            "SELECT started_at, finished_at, file, kind, format FROM import_runs "
            "WHERE (SELECT imported_at FROM customers WHERE id = :id) BETWEEN started_at "
            "AND finished_at OR (SELECT updated_at FROM customers WHERE id = :id) "
            "BETWEEN started_at AND finished_at ORDER BY started_at, id",
            {"id": customer_id},
        ),
    }


def write_private_json(data: object, out: Path) -> None:
    """`data` as JSON in `out`, mode 0600, complete or not at all (temp file + rename)."""
    with private_text_file(out) as file:
        json.dump(data, file, ensure_ascii=False, indent=2)
        file.write("\n")


def _rows(
    store: Store, sql: str, params: tuple[object, ...] | dict[str, object]
) -> list[dict[str, object]]:
    cursor = store.execute(sql, params)
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]

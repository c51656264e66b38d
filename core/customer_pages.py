"""The customer list as the app pages it: sorted by any column, searched as you type.

Rows come from `customer_pages` (one row per customer, every sortable column indexed as
(column, customer_id)), so a page is a keyset query that reads only the rows it shows, at
2,000 customers or 350,000. Search goes through the `customer_search` full-text index over
first name, last name and email: each word typed is a prefix, accents are ignored.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from core.store import Store

PAGE = 100
KEPT_ID_TABLES = 3
"""Id-set TEMP tables kept per connection; an evicted one is refilled if asked for again."""
_ID_TABLE_PREFIX = "restricted_ids_"
_id_tables = itertools.count(1)

Direction = Literal["after", "before"]


@dataclass(frozen=True)
class SortColumn:
    """One way to order the list; `column` is the indexed column of `customer_pages`, or
    `expression` an SQL expression over the stored predictions `p` (not indexed)."""

    name: str
    title: str
    column: str
    descending_first: bool
    expression: str | None = None

    @property
    def sql(self) -> str:
        """What the list is ordered by, in the page queries (`l`: customer_pages)."""
        return self.expression or f"l.{self.column}"

    @property
    def index(self) -> str | None:
        """The (column, customer_id) index of `customer_pages` (see schema migration 3)."""
        if self.expression is not None:
            return None
        return f"customer_pages_by_{self.column.removesuffix('_key')}"


PREDICTIONS_JOIN = "LEFT JOIN predictions p ON p.customer_id = l.customer_id"
NO_PREDICTION = -1
"""The CLV sort key of a customer without a stored prediction: after every predicted one
when the list runs from the highest CLV (CLV is never negative)."""


SORTS: dict[str, SortColumn] = {
    sort.name: sort
    for sort in (
        SortColumn("name", "Name", "name_key", False),
        SortColumn("email", "Email", "email_key", False),
        SortColumn("country", "Country", "country", False),
        SortColumn("orders", "Orders", "orders", True),
        SortColumn("spent", "Spent", "revenue", True),
        SortColumn("last_order", "Last order", "last_day", True),
        # The stored fit's CLV (core/predict): predicted customers are paged along the
        # predictions' (clv, customer_id) index, the unpredicted after them (`_clv_page`).
        SortColumn("clv", "Predicted CLV", "clv", True, f"coalesce(p.clv, {NO_PREDICTION})"),
    )
}


@dataclass(frozen=True)
class Restriction:
    """Narrows the list to some customers: a segment, or the people behind a figure.

    `sql` is a SELECT returning customer ids, run with `params` on the same connection.
    A fixed set of ids (`of_ids`) lives in a TEMP table that each connection reading the
    list fills on first use, so a page, a count or a keystroke's search joins an indexed
    table instead of re-sending 100,000 ids.
    """

    label: str
    sql: str
    params: tuple[object, ...] = ()
    ids: tuple[int, ...] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of_ids(cls, label: str, ids: Iterable[int]) -> Restriction:
        """The customers with these ids (e.g. `core.metrics.members`), under `label`."""
        table = f"{_ID_TABLE_PREFIX}{next(_id_tables)}"
        wanted = tuple(sorted({int(i) for i in ids}))
        return cls(label, f"SELECT customer_id FROM temp.{table}", (), wanted)

    @property
    def id_table(self) -> str | None:
        """The TEMP table holding `ids` (None for a SQL restriction)."""
        if self.ids is None:
            return None
        return self.sql.rsplit("temp.", 1)[1]


def prepare(store: Store, query: ListQuery) -> None:
    """Make sure this connection holds the query's id set (filling it once per connection)."""
    restriction = query.restriction
    table = restriction.id_table if restriction is not None else None
    if restriction is None or table is None:
        return
    known = [
        row[0]
        for row in store.execute(
            "SELECT name FROM temp.sqlite_master WHERE type = 'table' AND name GLOB ?",
            (f"{_ID_TABLE_PREFIX}*",),
        )
    ]
    if table in known:
        return
    numbers = sorted(int(name.removeprefix(_ID_TABLE_PREFIX)) for name in known)
    for stale in numbers[: max(len(numbers) - (KEPT_ID_TABLES - 1), 0)]:
        store.execute(f"DROP TABLE temp.{_ID_TABLE_PREFIX}{stale}")
    # CREATE ... AS and CREATE INDEX change no rows as far as `total_changes` counts, which
    # the segment snapshot cache (core.snapshot) watches to notice this connection's writes.
    store.execute(
        f"CREATE TEMP TABLE {table} AS SELECT value AS customer_id FROM json_each(?)",
        (json.dumps(restriction.ids),),
    )
    store.execute(f"CREATE UNIQUE INDEX temp.{table}_ids ON {table} (customer_id)")


@dataclass(frozen=True)
class ListQuery:
    """What the owner asked to see: search text, sort order and an optional restriction."""

    search: str = ""
    sort: str = "name"
    descending: bool = False
    restriction: Restriction | None = None

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise ValueError(f"unknown sort {self.sort!r}; choose one of {', '.join(SORTS)}")


SortKey = tuple[object, int]


@dataclass(frozen=True)
class ListRow:
    """One customer as the list shows them. Money in cents; `last_day` is a date ordinal."""

    customer_id: int
    first_name: str | None
    last_name: str | None
    email: str | None
    country: str | None
    orders: int
    revenue: int
    last_day: int | None
    key: SortKey = field(compare=False)
    clv: int | None = None
    """Predicted CLV in cents from the stored fit (core/predict), None without one."""

    @property
    def name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)


_WORD = re.compile(r"[^\W_]+")


def search_expression(text: str) -> str | None:
    """An FTS5 query matching every typed word as a prefix: 'anna mü' -> '"anna"* "mü"*'.

    Words are quoted, so nothing the owner types is taken as FTS syntax.
    """
    words = _WORD.findall(text)
    if not words:
        return None
    return " ".join(f'"{word}"*' for word in words)


def _where(query: ListQuery) -> tuple[list[str], list[object]]:
    clauses: list[str] = []
    params: list[object] = []
    expression = search_expression(query.search)
    if expression is not None:
        clauses.append(
            "l.customer_id IN (SELECT rowid FROM customer_search WHERE customer_search MATCH ?)"
        )
        params.append(expression)
    elif query.search.strip():
        clauses.append("0")  # only punctuation typed: nothing can match
    if query.restriction is not None:
        clauses.append(f"l.customer_id IN ({query.restriction.sql})")
        params.extend(query.restriction.params)
    return clauses, params


BROAD = 5000
"""Matches from which a search page is read along the sort index instead of sorted."""


def _broad(store: Store, query: ListQuery) -> bool:
    expression = search_expression(query.search)
    if expression is None:
        return False
    capped = store.scalar(
        "SELECT count(*) FROM (SELECT 1 FROM customer_search WHERE customer_search MATCH ? "
        "LIMIT ?)",
        (expression, BROAD),
    )
    return int(capped or 0) >= BROAD


def fetch_page(
    store: Store,
    query: ListQuery,
    *,
    key: SortKey | None = None,
    direction: Direction = "after",
    limit: int = PAGE,
    inclusive: bool = False,
) -> list[ListRow]:
    """Up to `limit` rows in list order, just after (or just before) the row with `key`.

    `key=None` means from the start ("after") or from the end ("before"). `inclusive`
    includes the row at `key` itself, for reloading a page in place. Rows always come back
    in list order.
    """
    prepare(store, query)
    sort = SORTS[query.sort]
    column = sort.sql
    narrowing, narrowing_params = _where(query)
    clauses, params = list(narrowing), list(narrowing_params)
    backwards = (direction == "before") != query.descending
    op = ("<" if backwards else ">") + ("=" if inclusive else "")
    if key is not None:
        clauses.append(f"({column}, l.customer_id) {op} (?, ?)")
        params.extend(key)
    order = "DESC" if backwards else "ASC"
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    # A search matching many customers is read along the sort's index, testing each row,
    # which stops after `limit` rows; SQLite would otherwise sort every match first.
    broad = bool(narrowing) and _broad(store, query)
    if sort.expression is None:
        source = f"customer_pages l {f'INDEXED BY {sort.index}' if broad else ''}"
    elif not narrowing or broad:
        # The whole list, or a broad search: the page comes from the CLV index.
        page, params = _clv_page(narrowing, narrowing_params, key, op, order, limit)
        source = f"({page}) page JOIN customer_pages l ON l.customer_id = page.customer_id"
        where = ""
    else:
        # A narrow search or a segment: its ids are sorted on their own, and only the
        # page's are joined to their details, at half the cost of sorting whole rows.
        source = f"""(SELECT l.customer_id, {column} AS sort_key FROM customer_pages l
                      {PREDICTIONS_JOIN} {where}
                      ORDER BY sort_key {order}, l.customer_id {order} LIMIT ?) page
                     JOIN customer_pages l ON l.customer_id = page.customer_id"""
        params, where = [*params, limit], ""
    rows = store.execute(
        f"""
        SELECT l.customer_id, c.first_name, c.last_name, c.email, c.country, l.orders,
               l.revenue, l.last_day, {column}, p.clv
        FROM {source} JOIN customers c ON c.id = l.customer_id
        {PREDICTIONS_JOIN}
        {where}
        ORDER BY {column} {order}, l.customer_id {order}
        LIMIT ?
        """,
        [*params, limit],
    ).fetchall()
    result = [
        ListRow(
            customer_id=row[0],
            first_name=row[1],
            last_name=row[2],
            email=row[3],
            country=row[4],
            orders=row[5],
            revenue=row[6],
            last_day=row[7] or None,
            key=(row[8], row[0]),
            clv=row[9],
        )
        for row in rows
    ]
    if direction == "before":
        result.reverse()
    return result


def _clv_page(
    clauses: list[str],
    params: list[object],
    key: SortKey | None,
    op: str,
    order: str,
    limit: int,
) -> tuple[str, list[object]]:
    """The ids of one page in CLV order: the predicted customers along the predictions'
    (clv, customer_id) index, the unpredicted (sort key `NO_PREDICTION`, below every CLV)
    by id; a part the key rules out is not read at all. (SELECT customer_id, sort_key)."""
    narrowed = "".join(f" AND {clause}" for clause in clauses)
    value, customer_id = key if key is not None else (None, None)
    below_every_clv = value is not None and value <= NO_PREDICTION
    parts: list[tuple[str, list[object]]] = []
    if not (below_every_clv and op.startswith("<")):
        keyed = "" if key is None else f" AND (p.clv, p.customer_id) {op} (?, ?)"
        parts.append((
            f"SELECT p.customer_id, p.clv AS sort_key FROM predictions p "
            f"INDEXED BY predictions_by_clv CROSS JOIN customer_pages l "
            f"ON l.customer_id = p.customer_id WHERE 1{keyed}{narrowed} "
            f"ORDER BY p.clv {order}, p.customer_id {order} LIMIT ?",
            [*([] if key is None else [value, customer_id]), *params, limit],
        ))  # fmt: skip
    if key is None or below_every_clv or op.startswith("<"):
        keyed = f" AND l.customer_id {op} ?" if below_every_clv else ""
        parts.append((
            f"SELECT l.customer_id, {NO_PREDICTION} AS sort_key FROM customer_pages l "
            f"WHERE NOT EXISTS (SELECT 1 FROM predictions p WHERE p.customer_id = "
            f"l.customer_id){keyed}{narrowed} ORDER BY l.customer_id {order} LIMIT ?",
            [*([customer_id] if below_every_clv else []), *params, limit],
        ))  # fmt: skip
    sql = " UNION ALL ".join(f"SELECT * FROM ({part})" for part, _ in parts)
    return sql, [value for _, part_params in parts for value in part_params]


def count(store: Store, query: ListQuery) -> int:
    """How many customers the query shows."""
    prepare(store, query)
    clauses, params = _where(query)
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    return int(store.scalar(f"SELECT count(*) FROM customer_pages l {where}", params) or 0)


def position(store: Store, query: ListQuery, key: SortKey) -> int:
    """How many rows come before the row with `key`: its 0-based index in the list."""
    prepare(store, query)
    sort = SORTS[query.sort]
    clauses, params = _where(query)
    op = ">" if query.descending else "<"
    clauses.append(f"({sort.sql}, l.customer_id) {op} (?, ?)")
    params.extend(key)
    join = PREDICTIONS_JOIN if sort.expression else ""
    return int(
        store.scalar(
            f"SELECT count(*) FROM customer_pages l {join} WHERE {' AND '.join(clauses)}", params
        )
        or 0
    )


def number_ranges(store: Store) -> dict[str, tuple[int, int]]:
    """The smallest and largest `orders` and `spent` (cents) of any customer, read at the
    ends of their indexes: number columns as wide as their widest value, on every page."""
    ranges: dict[str, tuple[int, int]] = {}
    for name in ("orders", "spent"):
        column = SORTS[name].column
        low = store.scalar(f"SELECT min({column}) FROM customer_pages")
        high = store.scalar(f"SELECT max({column}) FROM customer_pages")
        ranges[name] = (int(low or 0), int(high or 0))
    return ranges


def clv_range(store: Store) -> tuple[int, int] | None:
    """The smallest and largest stored CLV (cents), None without predictions. A scan of the
    predictions (~70 ms at 350,000 customers): callers keep it per fit."""
    low, high = store.execute("SELECT min(clv), max(clv) FROM predictions").fetchone()
    return None if low is None else (int(low), int(high))

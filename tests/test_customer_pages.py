"""The customer pages the app shows: keyset paging, sorting, search, and its upkeep by triggers."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.customer_pages import (
    KEPT_ID_TABLES,
    SORTS,
    ListQuery,
    Restriction,
    count,
    fetch_page,
    position,
    search_expression,
)
from core.importers import import_file
from core.schema import MIGRATIONS
from core.store import Store, open_store
from tests.prediction_support import store_fit
from tests.tui_fixtures import DATA, build_shop


def store_predictions(store: Store) -> None:
    """A stored fit predicting most customers (CLVs with ties, a zero), some not at all."""
    store_fit(store, lambda cid: None if cid % 5 == 4 else [0, 1_500, 1_500, 99_999][cid % 4])


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with open_store(build_shop(tmp_path / "shop.db")) as opened:
        store_predictions(opened)
        yield opened


def everyone(store: Store, query: ListQuery) -> list[int]:
    return [row.customer_id for row in fetch_page(store, query, limit=10_000)]


def expected_order(store: Store, sort: str, descending: bool) -> list[int]:
    """The order computed the slow way, in Python, from the raw tables."""
    rows = store.execute(
        "SELECT c.id, c.first_name, c.last_name, c.email_key, c.country, "
        "coalesce(s.orders, 0), coalesce(s.revenue, 0), coalesce(s.last_day, 0), p.clv "
        "FROM customers c LEFT JOIN customer_stats s ON s.customer_id = c.id "
        "LEFT JOIN predictions p ON p.customer_id = c.id"
    ).fetchall()

    def key(row: tuple) -> tuple:
        name = " ".join(part for part in (row[1], row[2]) if part).lower()
        value = {
            "name": name if name else chr(0x10FFFF) + (row[3] or ""),
            "email": row[3] or "",
            "country": row[4] or "",
            "orders": row[5],
            "spent": row[6],
            "last_order": row[7],
            "clv": -1 if row[8] is None else row[8],  # unpredicted: after every prediction
        }[sort]
        return (value, row[0])

    return [row[0] for row in sorted(rows, key=key, reverse=descending)]


@pytest.mark.parametrize("sort", list(SORTS))
@pytest.mark.parametrize("descending", [False, True])
def test_every_sort_matches_a_plain_python_sort(store: Store, sort: str, descending: bool):
    query = ListQuery(sort=sort, descending=descending)
    assert everyone(store, query) == expected_order(store, sort, descending)


@pytest.mark.parametrize("sort", list(SORTS))
@pytest.mark.parametrize("descending", [False, True])
def test_paging_forwards_and_backwards_visits_every_customer_once(
    store: Store, sort: str, descending: bool
):
    query = ListQuery(sort=sort, descending=descending)
    pages, key = [], None
    while page := fetch_page(store, query, key=key, limit=3):
        pages.extend(row.customer_id for row in page)
        key = page[-1].key
    assert pages == everyone(store, query)
    backwards, key = [], None
    while page := fetch_page(store, query, key=key, direction="before", limit=4):
        backwards[:0] = [row.customer_id for row in page]
        key = page[0].key
    assert backwards == pages


def test_position_is_the_index_in_the_list(store: Store):
    query = ListQuery(sort="spent", descending=True)
    rows = fetch_page(store, query, limit=100)
    for index, row in enumerate(rows):
        assert position(store, query, row.key) == index


def test_rows_carry_the_stored_clv_and_the_clv_sort_puts_the_unpredicted_last(store: Store):
    rows = fetch_page(store, ListQuery(sort="clv", descending=True), limit=100)
    stored = dict(store.execute("SELECT customer_id, clv FROM predictions").fetchall())
    assert {row.customer_id: row.clv for row in rows} == {
        row.customer_id: stored.get(row.customer_id) for row in rows
    }
    clvs = [row.clv for row in rows]
    unpredicted = clvs.index(None)
    assert clvs[:unpredicted] == sorted(clvs[:unpredicted], reverse=True)
    assert set(clvs[unpredicted:]) == {None}
    query = ListQuery(sort="clv", descending=True)
    for index, row in enumerate(rows):
        assert position(store, query, row.key) == index


def test_inclusive_page_starts_at_the_anchor(store: Store):
    rows = fetch_page(store, ListQuery(), limit=100)
    again = fetch_page(store, ListQuery(), key=rows[4].key, inclusive=True, limit=2)
    assert [row.customer_id for row in again] == [rows[4].customer_id, rows[5].customer_id]


def names(store: Store, search: str) -> set[str]:
    return {row.name or row.email or "" for row in fetch_page(store, ListQuery(search=search))}


def test_search_matches_word_prefixes_of_names_and_email_ignoring_accents_and_case(store: Store):
    assert names(store, "mu") == {"Anna Müller"}
    assert names(store, "MÜLL") == {"Anna Müller"}
    assert names(store, "anna mue") == {"Anna Müller"}  # 'mue' from the email address
    assert names(store, "bjorn") == {"Bjørn Ødegård"}
    assert names(store, "example.org") == {"Anna Müller", "Bjørn Ødegård"}
    assert names(store, "nobody") == {"nobody@example.com"}
    assert count(store, ListQuery(search="anna zzz")) == 0


@pytest.mark.parametrize(
    "typed", ['"', "*", "(", "AND", "NOT x", "a OR b", "NEAR(", "^x", "[bold]", "'; DROP", "-"]
)
def test_search_syntax_characters_are_just_text(store: Store, typed: str):
    count(store, ListQuery(search=typed))  # never an FTS syntax error
    fetch_page(store, ListQuery(search=typed))


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=20))
def test_any_typed_text_is_a_valid_search(typed: str):
    with open_store(":memory:") as store:
        fetch_page(store, ListQuery(search=typed))
        count(store, ListQuery(search=typed))


def test_search_expression_quotes_every_word():
    assert search_expression("anna mü") == '"anna"* "mü"*'
    assert search_expression('a"b') == '"a"* "b"*'
    assert search_expression("  -- ") is None


def test_restriction_narrows_the_list(store: Store):
    big = Restriction("spent over 50", "SELECT customer_id FROM customer_stats WHERE revenue > ?",
                      (5000,))  # fmt: skip
    query = ListQuery(sort="spent", descending=True, restriction=big)
    assert {row.name for row in fetch_page(store, query)} == {
        "Bjørn Ødegård", "Anna Müller", "[bold]x Bold"
    }  # fmt: skip
    assert count(store, query) == 3


def test_an_id_set_restriction_pages_searches_and_counts_only_those_customers(store: Store):
    all_ids = everyone(store, ListQuery())
    chosen = all_ids[::3]
    only = Restriction.of_ids("every third", [*chosen, chosen[0]])  # duplicates are one
    assert only.ids == tuple(sorted(chosen))
    query = ListQuery(sort="spent", descending=True, restriction=only)
    assert sorted(everyone(store, query)) == sorted(chosen)
    assert everyone(store, query) == [i for i in everyone(store, ListQuery(sort="spent",
                                      descending=True)) if i in chosen]  # fmt: skip
    assert count(store, query) == len(chosen)
    first_two = fetch_page(store, query, limit=2)
    assert position(store, query, first_two[1].key) == 1
    searched = ListQuery(search="anna", restriction=only)
    assert count(store, searched) == len(set(chosen) & set(everyone(store, ListQuery(
        search="anna"))))  # fmt: skip


def test_id_set_tables_are_filled_per_connection_and_old_ones_evicted(store: Store):
    sets = [Restriction.of_ids(f"set {n}", [n + 1]) for n in range(KEPT_ID_TABLES + 2)]
    changes = store.conn.total_changes  # watched by the segment snapshot cache: not moved
    for restriction in sets:
        assert count(store, ListQuery(restriction=restriction)) == 1
    assert store.conn.total_changes == changes
    tables = {row[0] for row in store.execute(
        "SELECT name FROM temp.sqlite_master WHERE type = 'table' AND name GLOB 'restricted_ids_*'"
    )}  # fmt: skip
    assert tables == {r.id_table for r in sets[-KEPT_ID_TABLES:]}
    assert count(store, ListQuery(restriction=sets[0])) == 1  # evicted, so filled again
    with open_store(store.path, migrate=False) as other:  # another connection fills its own
        assert everyone(other, ListQuery(restriction=sets[1])) == [2]


def test_an_empty_id_set_shows_nobody(store: Store):
    nobody = Restriction.of_ids("nobody", [])
    assert fetch_page(store, ListQuery(restriction=nobody)) == []
    assert count(store, ListQuery(restriction=nobody)) == 0


def test_unknown_sort_is_refused():
    with pytest.raises(ValueError, match="unknown sort"):
        ListQuery(sort="age")


def test_imports_keep_the_list_and_search_current(store: Store):
    before = count(store, ListQuery())
    import_file(store, DATA / "tui_import_bad.csv", "orders")
    assert count(store, ListQuery()) == before + 1
    assert names(store, "buyer") == {"New Buyer"}
    anna = fetch_page(store, ListQuery(search="anna"))[0]
    assert (anna.orders, anna.revenue) == (4, 7590 + 1200)
    store.execute("UPDATE customers SET last_name = 'Schmidt' WHERE id = ?", (anna.customer_id,))
    assert names(store, "müller") == set()
    assert names(store, "schmidt") == {"Anna Schmidt"}
    store.execute("DELETE FROM customers WHERE id = ?", (anna.customer_id,))
    assert names(store, "anna") == set()
    assert count(store, ListQuery()) == before


def test_migration_fills_the_list_for_an_existing_store(tmp_path: Path):
    """A store created before migration 2 gets its list and search index on opening."""
    import sqlite3

    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    conn.execute("INSERT INTO schema_version VALUES (1)")
    from core.store import _statements

    for statement in _statements(MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute(
        "INSERT INTO customers (id, email, email_key, first_name, last_name, imported_at, "
        "updated_at) VALUES (7, 'Old@Example.com', 'old@example.com', 'Olga', 'Old', 'x', 'x')"
    )
    conn.execute("INSERT INTO customer_stats VALUES (7, 2, 1500, 739000, 739100)")
    conn.close()
    with open_store(path) as store:
        rows = fetch_page(store, ListQuery(search="olg"))
        assert [(row.customer_id, row.orders, row.revenue) for row in rows] == [(7, 2, 1500)]


@pytest.mark.parametrize("sort", list(SORTS))
@pytest.mark.parametrize("descending", [False, True])
def test_broad_searches_read_along_the_index_with_the_same_result(
    store: Store, sort: str, descending: bool, monkeypatch: pytest.MonkeyPatch
):
    import core.customer_pages as pages

    queries = [ListQuery(search=text, sort=sort, descending=descending)
               for text in ("example", "e", "com", "anna")]  # fmt: skip
    sorted_first = [everyone(store, query) for query in queries]
    monkeypatch.setattr(pages, "BROAD", 1)  # every search counts as broad
    assert [everyone(store, query) for query in queries] == sorted_first
    query = queries[0]
    first = fetch_page(store, query, limit=3)
    rest = fetch_page(store, query, key=first[-1].key, limit=100)
    assert [row.customer_id for row in first + rest] == sorted_first[0]


@pytest.mark.parametrize("descending", [False, True])
def test_clv_pages_from_every_anchor_both_ways_match_the_plain_sort(store: Store, descending: bool):
    """The CLV list is read in two parts (the predicted along their index, the unpredicted
    by id): a page from any row, either way, inclusive or not, crosses between them."""
    query = ListQuery(sort="clv", descending=descending)
    ids = expected_order(store, "clv", descending)
    keys = {row.customer_id: row.key for row in fetch_page(store, query, limit=10_000)}
    for index, customer_id in enumerate(ids):
        key = keys[customer_id]
        after = fetch_page(store, query, key=key, limit=4)
        assert [row.customer_id for row in after] == ids[index + 1 : index + 5]
        at = fetch_page(store, query, key=key, limit=4, inclusive=True)
        assert [row.customer_id for row in at] == ids[index : index + 4]
        before = fetch_page(store, query, key=key, direction="before", limit=4)
        assert [row.customer_id for row in before] == ids[max(index - 4, 0) : index]


def test_the_clv_list_is_read_along_its_index(store: Store):
    plan = " ".join(
        str(row)
        for row in store.execute(
            "EXPLAIN QUERY PLAN SELECT customer_id FROM predictions "
            "INDEXED BY predictions_by_clv ORDER BY clv DESC, customer_id DESC LIMIT 10"
        )
    )
    assert "predictions_by_clv" in plan and "TEMP B-TREE" not in plan

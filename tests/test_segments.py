"""The segments API on the fixture shop: listing, saving, removing, customer rows, caching."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest

from core.importers import import_file
from core.rfm import DEFAULT_RFM_TABLE, OTHERS, parse_rfm_table
from core.rfm_cuts import CUTS_SETTING, compute_cuts, save_cuts, stored_cuts
from core.segments import (
    FilterError,
    SegmentError,
    add_segment,
    count_matching,
    current_rfm_table,
    customer_rows,
    list_segments,
    remove_segment,
    reset_rfm_table,
    save_rfm_table,
    segment_customer_ids,
    segment_info,
)
from core.store import Store, open_store
from tests.segment_shop import fixture_store

ROW_KEYS = {
    "id", "external_id", "email", "first_name", "last_name", "country", "language",
    "accepts_marketing", "tags", "orders", "spent", "aov", "first_order", "last_order",
    "days_since_first_order", "days_since_last_order", "as_of", "r", "f", "m", "rfm_segment",
    "segments", "points", "tier", "points_value", "next_tier", "points_to_next_tier",
    "spend_to_next_tier",
}  # fmt: skip
TWO_ROWS = (
    '[[segment]]\nname = "Fans"\nr = [4, 5]\nf = [1, 5]\nm = [1, 5]\n'
    '[[segment]]\nname = "Lost"\nr = [1, 3]\nf = [1, 5]\nm = [1, 5]\n'
)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = fixture_store(tmp_path)
    yield store
    store.close()


def ids_of(store: Store, external: list[str]) -> list[int]:
    placeholders = ", ".join("?" * len(external))
    rows = store.execute(
        f"SELECT id FROM customers WHERE external_id IN ({placeholders}) ORDER BY id", external
    )
    return [row[0] for row in rows]


def test_list_segments_kinds_counts_shares_and_audiences(store: Store) -> None:
    infos = list_segments(store)
    names = [info.name for info in infos]
    assert names == [*DEFAULT_RFM_TABLE.names, "new", "one-time", "repeat", "lapsed", "vip",
                     "opted-out"]  # fmt: skip
    by_name = {info.name: info for info in infos}
    assert {info.as_of for info in infos} == {"2025-12-31"}
    assert by_name["Champions"].definition == "R 5, F 5, M 5"
    assert by_name["Loyal Customers"].definition == "R 3–5, F 4–5, M 3–5"
    counts = {name: by_name[name].count for name in names}
    assert counts["Loyal Customers"] == 1 and counts["Lost"] == 1
    assert sum(counts[name] for name in DEFAULT_RFM_TABLE.names) == 5  # C6, C7 have no orders
    assert counts["one-time"] == 3 and counts["repeat"] == 2 and counts["opted-out"] == 2
    assert by_name["one-time"].share == round(100 * 3 / 7, 2)
    assert by_name["one-time"].marketing_count == 2  # C3 said no
    assert by_name["opted-out"].marketing is False and by_name["opted-out"].marketing_count == 0
    assert all(info.marketing for info in infos if info.name != "opted-out")
    assert by_name["vip"].definition == "spent >= 1009.99 (the top 10%)"
    assert by_name["lapsed"].definition == "days_since_last_order >= 180"
    assert all(info.error is None for info in infos)


def test_add_show_and_remove_a_custom_segment(store: Store) -> None:
    assert add_segment(store, "  Wholesale   DE ", '"wholesale" in tags and country = "DE"') == (
        "Wholesale DE"
    )
    info = segment_info(store, "wholesale de")
    assert (info.name, info.kind, info.count, info.marketing_count) == (
        "Wholesale DE", "custom", 1, 1,
    )  # fmt: skip
    assert info.definition == '"wholesale" in tags and country = "DE"'
    assert [i.name for i in list_segments(store)][-1] == "Wholesale DE"
    assert segment_customer_ids(store, "WHOLESALE DE") == ids_of(store, ["C1"])
    assert remove_segment(store, "wholesale de") == "Wholesale DE"
    with pytest.raises(SegmentError, match="unknown segment 'Wholesale DE'"):
        segment_info(store, "Wholesale DE")


@pytest.mark.parametrize("name", ["vip", "VIP", "at risk", "Others", "opted-out", "Champions"])
def test_built_in_names_are_refused(store: Store, name: str) -> None:
    with pytest.raises(SegmentError, match="built-in"):
        add_segment(store, name, "orders > 1")
    assert store.scalar("SELECT count(*) FROM custom_segments") == 0


@pytest.mark.parametrize(
    ("name", "message"),
    [("", "needs a name"), ("a\x1bb", "control characters"), ("x" * 61, "longer than 60"),
     ("-x", "cannot start with '-'")],
)  # fmt: skip
def test_bad_names_are_refused(store: Store, name: str, message: str) -> None:
    with pytest.raises(SegmentError, match=message):
        add_segment(store, name, "orders > 1")


def test_existing_name_needs_replace(store: Store) -> None:
    add_segment(store, "Big", "spent > 500")
    with store.write() as conn:
        conn.execute("UPDATE custom_segments SET created_at = '2020-01-01T00:00:00+00:00'")
    with pytest.raises(SegmentError, match="already exists"):
        add_segment(store, "big", "spent > 100")
    add_segment(store, "BIG", "spent > 100", replace=True)
    assert store.execute(
        "SELECT name, expression, created_at, updated_at > created_at FROM custom_segments"
    ).fetchall() == [("BIG", "spent > 100", "2020-01-01T00:00:00+00:00", 1)]


def test_bad_expression_is_refused_and_nothing_saved(store: Store) -> None:
    with pytest.raises(FilterError, match="did you mean 'orders'") as caught:
        add_segment(store, "Typo", "ordrs > 1")
    assert caught.value.position == 0
    assert store.scalar("SELECT count(*) FROM custom_segments") == 0


def test_segments_may_use_each_other_but_not_in_a_circle(store: Store) -> None:
    add_segment(store, "A", "orders >= 1")
    add_segment(store, "B", 'segment = "A" and country = "DE"')
    assert segment_customer_ids(store, "B") == ids_of(store, ["C1"])
    with pytest.raises(FilterError, match=r"refers to itself \(A → B → A\)"):
        add_segment(store, "A", 'segment = "B"', replace=True)
    with pytest.raises(FilterError, match="refers to itself"):
        add_segment(store, "C", 'segment = "C"')
    with pytest.raises(SegmentError, match="used by 'B'"):
        remove_segment(store, "a")
    remove_segment(store, "B")
    remove_segment(store, "A")


def test_remove_refuses_built_ins_and_suggests_names(store: Store) -> None:
    with pytest.raises(SegmentError, match="built-in rfm segment"):
        remove_segment(store, "Lost")
    add_segment(store, "Wholesale", '"wholesale" in tags')
    with pytest.raises(SegmentError, match="did you mean 'Wholesale'"):
        remove_segment(store, "Wholsale")


def test_unknown_segment_gets_a_suggestion(store: Store) -> None:
    with pytest.raises(SegmentError, match="unknown segment 'At Rsik'; did you mean 'At Risk'"):
        segment_customer_ids(store, "At Rsik")


def test_marketing_use_leaves_out_customers_without_consent(store: Store) -> None:
    assert segment_customer_ids(store, "repeat") == ids_of(store, ["C1", "C4"])
    assert segment_customer_ids(store, "repeat", marketing=True) == ids_of(store, ["C1"])
    assert segment_customer_ids(store, "opted-out", marketing=True) == []
    assert segment_customer_ids(store, "opted-out") == ids_of(store, ["C3", "C4"])


def test_customer_rows_fields_and_values(store: Store) -> None:
    rows = customer_rows(store)
    assert [row["external_id"] for row in rows] == [f"C{n}" for n in range(1, 8)]
    assert all(set(row) == ROW_KEYS for row in rows)
    anna, dirk, frank = rows[0], rows[3], rows[5]
    assert anna["spent"] == 350.5 and anna["orders"] == 3 and anna["aov"] == 116.83
    assert (anna["first_order"], anna["last_order"]) == ("2024-01-10", "2025-12-20")
    assert anna["tags"] == ["wholesale", "VIP"] and anna["accepts_marketing"] is True
    assert anna["rfm_segment"] == "Loyal Customers" and anna["segments"][0] == "Loyal Customers"
    assert dirk["accepts_marketing"] is None and dirk["spent"] == 1009.99
    assert set(dirk["segments"]) == {"Can't Lose Them", "repeat", "vip", "opted-out"}
    assert frank["first_name"] == "[bold]Frank" and frank["orders"] == 0
    assert frank["spent"] == 0.0 and frank["aov"] is None and frank["last_order"] is None
    assert (frank["r"], frank["rfm_segment"], frank["segments"]) == (None, None, [])
    assert (frank["points"], frank["tier"], frank["next_tier"]) == (0, "Bronze", "Silver")


def test_customer_rows_sort_limit_offset_and_restrictions(store: Store) -> None:
    def ext(**kwargs: object) -> list[object]:
        return [row["external_id"] for row in customer_rows(store, **kwargs)]

    assert ext(sort="spent", descending=True, limit=3) == ["C4", "C1", "C2"]
    assert ext(sort="spent", descending=True, limit=2, offset=1) == ["C1", "C2"]
    assert ext(sort="last_order")[-2:] == ["C6", "C7"]  # missing values last
    assert ext(sort="last_order", descending=True)[:2] == ["C5", "C1"]
    assert ext(sort="last_name") == ["C6", "C5", "C4", "C2", "C7", "C3", "C1"]
    assert ext(sort="id", descending=True, limit=1) == ["C7"]
    assert ext(segment="one-time", where='country != "IT"') == ["C2", "C5"]
    assert ext(segment="one-time", marketing=True) == ["C2", "C5"]
    assert ext(ids=ids_of(store, ["C3", "C6"])) == ["C3", "C6"]
    assert ext(ids=[]) == []
    assert ext(limit=0) == []
    with pytest.raises(SegmentError, match="did you mean 'spent'"):
        customer_rows(store, sort="spnt")
    with pytest.raises(SegmentError, match="cannot sort by 'tags'"):
        customer_rows(store, sort="tags")
    with pytest.raises(SegmentError, match="limit must be from 0 to"):
        customer_rows(store, limit=-1)
    with pytest.raises(FilterError):
        customer_rows(store, where="orders >")


def test_counts_follow_new_imports_on_the_same_and_other_connections(
    store: Store, tmp_path: Path
) -> None:
    assert count_matching(store, "orders >= 2") == 2
    extra = tmp_path / "more.csv"
    extra.write_text(
        "order_id,ordered_at,total,customer_id\n2001,2026-01-05,10.00,C2\n", encoding="utf-8"
    )
    import_file(store, extra, "orders", fmt="generic")  # this connection: total_changes moves
    assert count_matching(store, "orders >= 2") == 3
    assert list_segments(store)[0].as_of == "2026-01-05"
    other = open_store(store.path)
    more = tmp_path / "more2.csv"
    more.write_text(
        "order_id,ordered_at,total,customer_id\n2002,2026-01-06,10.00,C3\n", encoding="utf-8"
    )
    import_file(other, more, "orders", fmt="generic")  # another connection: data_version moves
    other.close()
    assert count_matching(store, "orders >= 2") == 4
    assert segment_customer_ids(store, "new") == ids_of(store, ["C5"])  # 6 days before
    assert count_matching(store, "days_since_last_order = 0") == 1


def test_as_of_uses_only_earlier_orders_and_switches_back(store: Store) -> None:
    early = {i.name: i.count for i in list_segments(store, date(2024, 6, 30))}
    assert early["repeat"] == 1 and early["one-time"] == 1  # C1 (2 orders), C2
    assert sum(early[name] for name in DEFAULT_RFM_TABLE.names) == 2
    late = {i.name: i.count for i in list_segments(store)}
    assert late["repeat"] == 2 and late["one-time"] == 3
    assert count_matching(store, "orders >= 1", date(2023, 1, 1)) == 0


def test_a_callers_rolled_back_transaction_does_not_break_the_cache(store: Store) -> None:
    as_of = date(2024, 6, 30)
    expected = [i.count for i in list_segments(store, as_of)]
    store.execute("DROP TABLE temp.segment_stats")  # as a rollback would
    assert [i.count for i in list_segments(store, as_of)] == expected
    with pytest.raises(RuntimeError), store.write():
        assert [i.count for i in list_segments(store, date(2024, 7, 1))]
        raise RuntimeError("the caller gives up")
    assert [i.count for i in list_segments(store, date(2024, 7, 1))] == expected


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE customer_stats SET revenue = revenue + 100000 "
        "WHERE customer_id = (SELECT id FROM customers WHERE external_id = 'C2')",
        "DELETE FROM customer_stats WHERE customer_id = (SELECT id FROM customers "
        "WHERE external_id = 'C1')",
        "INSERT INTO customer_stats (customer_id, orders, revenue, first_day, last_day) "
        "SELECT id, 1, 100, 738000, 738000 FROM customers "
        "WHERE id NOT IN (SELECT customer_id FROM customer_stats) LIMIT 1",
    ],
    ids=["update", "delete", "insert"],
)
def test_stored_cuts_are_used_only_while_the_stats_match(store: Store, change: str) -> None:
    cuts = stored_cuts(store.conn)
    assert cuts is not None
    assert cuts == compute_cuts(store.conn, "main.customer_stats")
    with store.write() as conn:  # a change no import made drops the stored cuts
        assert conn.execute(change).rowcount == 1
    assert stored_cuts(store.conn) is None
    if change.startswith("UPDATE"):
        assert segment_customer_ids(store, "vip") == ids_of(store, ["C2"])
    with store.write() as conn:
        save_cuts(conn)
    assert stored_cuts(store.conn) == compute_cuts(store.conn, "main.customer_stats")
    with store.write() as conn:
        conn.execute("UPDATE settings SET value = 'garbage' WHERE key = ?", (CUTS_SETTING,))
    assert stored_cuts(store.conn) is None


def test_replacing_the_rfm_table(store: Store, tmp_path: Path) -> None:
    table = save_rfm_table(store, TWO_ROWS)
    assert current_rfm_table(store).names == ["Fans", "Lost", OTHERS]
    assert table.names == ["Fans", "Lost", OTHERS]
    infos = {i.name: i for i in list_segments(store) if i.kind == "rfm"}
    assert list(infos) == ["Fans", "Lost", OTHERS]
    assert sum(i.count for i in infos.values()) == 5
    assert infos[OTHERS].count == 0  # the two rows cover every score
    add_segment(store, "Fans DE", 'rfm_segment = "Fans" and country = "DE"')
    with pytest.raises(SegmentError, match="'Fans DE' would stop working"):
        reset_rfm_table(store)
    remove_segment(store, "Fans DE")
    assert reset_rfm_table(store) is DEFAULT_RFM_TABLE
    assert current_rfm_table(store) is DEFAULT_RFM_TABLE
    file = tmp_path / "rfm.toml"
    file.write_text(TWO_ROWS, encoding="utf-8")
    override = current_rfm_table(store, file)
    assert [i.name for i in list_segments(store, rfm_table=override)][:3] == [
        "Fans", "Lost", OTHERS,
    ]  # fmt: skip


def test_rfm_table_names_may_not_clash(store: Store) -> None:
    with pytest.raises(SegmentError, match="name of a built-in behaviour segment"):
        save_rfm_table(store, '[[segment]]\nname = "VIP"\nr = 5\nf = 5\nm = 5\n')
    add_segment(store, "Fans", "orders > 1")
    with pytest.raises(SegmentError, match="has the name of your own segment"):
        save_rfm_table(store, TWO_ROWS)
    assert current_rfm_table(store) is DEFAULT_RFM_TABLE


def test_a_broken_saved_segment_is_reported_not_fatal(store: Store) -> None:
    with store.write() as conn:
        conn.execute("INSERT INTO custom_segments VALUES ('Broken', 'ordrs > 1', 'x', 'x')")
        conn.execute("INSERT INTO custom_segments VALUES ('lost', 'orders > 1', 'x', 'x')")
    infos = {i.name: i for i in list_segments(store)}
    assert "did you mean 'orders'" in (infos["Broken"].error or "")
    assert "taken by a built-in rfm segment" in (infos["lost"].error or "")
    assert infos["Lost"].error is None
    rows = customer_rows(store)
    assert all("Broken" not in row["segments"] for row in rows)
    with pytest.raises(FilterError):
        segment_customer_ids(store, "Broken")


def test_parallel_readers_share_one_store(store: Store) -> None:
    errors: list[BaseException] = []
    expected = [i.count for i in list_segments(store)]

    def work() -> None:
        try:
            for _ in range(3):
                assert [i.count for i in list_segments(store)] == expected
                customer_rows(store, where="orders > 0", limit=2)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_empty_store_has_empty_segments() -> None:
    store = open_store(":memory:")
    infos = list_segments(store)
    assert all(info.count == 0 and info.share == 0.0 for info in infos)
    assert customer_rows(store) == []
    assert count_matching(store, 'rfm_segment = "Lost"') == 0


def test_parse_rfm_table_is_reexported_behaviour() -> None:
    assert parse_rfm_table(TWO_ROWS).names == ["Fans", "Lost", OTHERS]

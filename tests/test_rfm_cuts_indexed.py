"""Property: the RFM and VIP cuts read off indexes (what an incremental import stores) equal
the cuts of sorting every customer's figures (core/rfm_cuts.py `compute_cuts`).

Generated shops: customers with and without counting orders (the list holds 0s for those),
revenue negative, zero and tied, and changes to the stats after they were written (the
triggers keep the customer list in step).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from core.rfm_cuts import compute_cuts, indexed_cuts, save_cuts, stored_cuts
from core.store import open_store, utc_now

stats = st.tuples(
    st.integers(min_value=1, max_value=6),  # orders
    st.sampled_from([-500, 0, 0, 450, 900, 1290, 5000]) | st.integers(-2000, 20000),
    st.integers(min_value=738000, max_value=738030),  # last day
)
customers = st.lists(st.none() | stats, max_size=60)
changes = st.lists(
    st.tuples(st.integers(min_value=0, max_value=59), st.none() | stats), max_size=10
)


def write_stats(conn, customer_id: int, figures: tuple[int, int, int] | None) -> None:
    conn.execute("DELETE FROM customer_stats WHERE customer_id = ?", (customer_id,))
    if figures is not None:
        orders, revenue, last_day = figures
        conn.execute(
            "INSERT INTO customer_stats (customer_id, orders, revenue, first_day, last_day) "
            "VALUES (?, ?, ?, ?, ?)",
            (customer_id, orders, revenue, last_day - 10, last_day),
        )


@settings(max_examples=150, deadline=None)
@given(customers, changes)
@example([None, (1, 0, 738000), None], [])
@example([(2, -500, 738001), None, (1, 0, 738000), (3, 0, 738002)], [(0, None)])
@example([], [])
def test_indexed_cuts_equal_sorted_cuts(generated: list, later: list) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(Path(folder) / "shop.db", create=True)
        now = utc_now()
        with store.write() as conn:
            for n, figures in enumerate(generated, start=1):
                conn.execute(
                    "INSERT INTO customers (id, external_id, imported_at, updated_at) "
                    "VALUES (?, ?, ?, ?)",
                    (n, f"C{n}", now, now),
                )
                write_stats(conn, n, figures)
            for index, figures in later:
                if index < len(generated):
                    write_stats(conn, index + 1, figures)
            assert indexed_cuts(conn) == compute_cuts(conn, "main.customer_stats")
            save_cuts(conn)
        assert stored_cuts(store.conn) == compute_cuts(store.conn, "main.customer_stats")
        store.close()


def test_a_list_out_of_step_falls_back_to_sorting(tmp_path: Path) -> None:
    """Should the list ever disagree with the stats in size, the cuts are still right."""
    store = open_store(tmp_path / "shop.db", create=True)
    now = utc_now()
    with store.write() as conn:
        for n, revenue in enumerate((100, 200, 300), start=1):
            conn.execute(
                "INSERT INTO customers (id, imported_at, updated_at) VALUES (?, ?, ?)",
                (n, now, now),
            )
            write_stats(conn, n, (1, revenue, 738000 + n))
        conn.execute("UPDATE customer_pages SET orders = 0, revenue = 0 WHERE customer_id = 3")
        assert indexed_cuts(conn) == compute_cuts(conn, "main.customer_stats")
        assert indexed_cuts(conn).vip == 300
    store.close()

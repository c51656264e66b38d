"""Which columns a list shows and how wide (tui/column_fit.py): numbers in, numbers out."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from tui.column_fit import ColumnWant, fit_columns

# The customer list's columns as tui/widgets/customer_table.py describes them, with the
# widest cells of a typical page (titles of sortable columns keep 2 cells for the arrow).
NAME = ColumnWant("name", title=6, content=31, minimum=20, flexible=True, required=True)
EMAIL = ColumnWant("email", title=7, content=35, minimum=22, flexible=True, required=True)
COUNTRY = ColumnWant("country", title=6, content=2, give_way=3)
ORDERS = ColumnWant("orders", title=8, content=3, required=True)
SPENT = ColumnWant("spent", title=7, content=9, required=True)
CLV = ColumnWant("clv", title=5, content=10, give_way=4)
LAST = ColumnWant("last_order", title=12, content=10, give_way=2)
SEGMENT = ColumnWant("segment", title=7, content=19, minimum=9, flexible=True, give_way=1)
LIST = [NAME, EMAIL, COUNTRY, ORDERS, SPENT, CLV, LAST, SEGMENT]


def shown(width: int) -> list[str]:
    return list(fit_columns(width, LIST))


def test_at_80_columns_name_and_email_keep_20_and_22_cells_and_numbers_their_width():
    widths = fit_columns(78, LIST)  # 80 columns less the scroll bar
    assert widths["name"] >= 20 and widths["email"] >= 22
    assert widths["orders"] == 8  # "Orders ▼": the title with its arrow, not 6 + padding
    assert widths["spent"] == 9  # "€1,234.56"
    assert sum(widths.values()) + 2 * len(widths) <= 78


def test_lower_value_columns_give_way_first_and_come_back_in_order():
    assert shown(78) == ["name", "email", "orders", "spent", "segment"]
    # 20 + 22 + 8 + 9 and 2 cells of padding each: 67; the segment 11 more, Last order 14.
    assert shown(99) == ["name", "email", "orders", "spent", "last_order", "segment"]
    assert shown(100) == ["name", "email", "country", "orders", "spent", "last_order", "segment"]
    assert shown(111) == shown(100)
    assert shown(112) == LIST_KEYS
    assert shown(60) == ["name", "email", "orders", "spent"]


LIST_KEYS = [want.key for want in LIST]


def test_a_wide_terminal_shows_every_cell_whole():
    widths = fit_columns(198, LIST)
    assert widths == {want.key: want.natural for want in LIST}


def test_short_needs_are_met_whole_before_long_ones_share_the_rest():
    # 124 - (20+22+6+8+9+10+12+9 + 8 × 2) = 12 spare: the segment needs 10 of it, the
    # name (11 short) gets the rest before the email (13 short).
    widths = fit_columns(124, LIST)
    assert widths["segment"] == 19
    assert (widths["name"], widths["email"]) == (22, 22)


def test_a_narrow_list_of_short_values_takes_no_more_than_it_needs():
    short = ColumnWant("name", title=6, content=8, minimum=20, flexible=True, required=True)
    assert fit_columns(200, [short]) == {"name": 8}


def test_fill_shares_what_no_column_needs_among_the_flexible_ones():
    short = ColumnWant("name", title=6, content=8, minimum=20, flexible=True, required=True)
    count = ColumnWant("orders", title=8, content=3, required=True)
    label = ColumnWant("segment", title=7, content=4, minimum=9, flexible=True, give_way=1)
    # 100 - (8 + 8 + 7) - 3 × 2 = 71 spare: 36 and 35, the number column as it was.
    widths = fit_columns(100, [short, count, label], fill=True)
    assert widths == {"name": 8 + 36, "orders": 8, "segment": 7 + 35}
    assert sum(widths.values()) + 2 * len(widths) == 100


def test_required_columns_show_even_when_they_do_not_fit():
    assert fit_columns(10, [NAME, EMAIL, SEGMENT]) == {"name": 20, "email": 22}


@given(
    width=st.integers(0, 400),
    contents=st.lists(st.integers(0, 300), min_size=len(LIST), max_size=len(LIST)),
)
def test_widths_fit_the_terminal_and_a_wider_one_never_shows_fewer_columns(
    width: int, contents: list[int]
):
    wants = [
        ColumnWant(w.key, w.title, c, w.minimum, w.flexible, w.required, w.give_way)
        for w, c in zip(LIST, contents, strict=True)
    ]
    widths = fit_columns(width, wants)
    required = sum(w.least + 2 for w in wants if w.required)
    used = sum(widths.values()) + 2 * len(widths)
    assert used <= max(width, required)
    filled = fit_columns(width, wants, fill=True)
    assert set(filled) == set(widths)
    # Filling takes the whole width when there is room (name and email are flexible).
    assert sum(filled.values()) + 2 * len(filled) == max(width, used)
    for want in wants:
        if want.key in widths:
            assert want.least <= widths[want.key] <= want.natural
    wider = fit_columns(width + 1, wants)
    assert set(widths) <= set(wider)
    assert all(wider[key] >= widths[key] for key in widths if set(wider) == set(widths))

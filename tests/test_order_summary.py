"""Order summaries add up: the figures a draft shows make its total (issue 12).

`reconcile` is checked on hand-made orders; then, for generated orders (lines, a discount,
shipping imported or not, tax included or added, rounding noise), the thank-you text body is
rendered and the figures it shows are read back: lines make the items, and items - discount
+ shipping + tax make the total shown, to the cent.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.compose import Composer
from core.compose.context import CustomerData, CustomerRecord, OrderLine, OrderRecord
from core.compose.order_summary import OrderFigures, OrderSums, reconcile
from tests.compose_support import TODAY, build_shop


def test_the_issue_example_shows_where_the_rest_comes_from() -> None:
    """9,90 + 12,90 and a total of 25,42 with no shipping column: the rest is shipping."""
    sums = reconcile(OrderFigures(total=2542, line_totals=[990, 1290]))
    assert sums == OrderSums(total=2542, items=2280, shipping=262, lines_priced=True)


def test_shopify_order_with_discount_shipping_and_tax_on_top() -> None:
    figures = OrderFigures(total=3433 + 100, line_totals=[1980, 1290], subtotal=3270,
                           discount=327, shipping=490, tax=100, tax_included=False)  # fmt: skip
    assert reconcile(figures) == OrderSums(3533, 3270, 327, 490, 100, lines_priced=True)


def test_included_tax_is_not_added_again() -> None:
    figures = OrderFigures(total=2380, line_totals=[2380], tax=380, tax_included=True)
    assert reconcile(figures) == OrderSums(2380, lines_priced=True)


def test_unknown_tax_inclusion_takes_the_reading_that_adds_up() -> None:
    on_top = OrderFigures(total=2380, line_totals=[2000], shipping=0, tax=380)
    assert reconcile(on_top) == OrderSums(2380, 2000, None, None, 380, lines_priced=True)
    included = OrderFigures(total=2000, line_totals=[2000], shipping=0, tax=380)
    assert reconcile(included) == OrderSums(2000, lines_priced=True)


def test_tax_on_top_is_not_taken_for_shipping() -> None:
    """No shipping column, tax of unknown inclusion: 20,00 + 3,80 tax = 23,80 is tax."""
    figures = OrderFigures(total=2380, line_totals=[2000], tax=380)
    assert reconcile(figures) == OrderSums(2380, 2000, None, None, 380, lines_priced=True)
    # Included, with shipping: 20,00 (3,19 tax inside) + 4,90 shipping.
    figures = OrderFigures(total=2490, line_totals=[2000], tax=319)
    assert reconcile(figures) == OrderSums(2490, 2000, None, 490, None, lines_priced=True)


def test_rounded_line_prices_fall_back_to_the_imported_subtotal() -> None:
    """Three at 3,33 make 9,99 but the shop charged 10,00: the lines lose their amounts."""
    figures = OrderFigures(total=1490, line_totals=[999], subtotal=1000, shipping=490)
    assert reconcile(figures) == OrderSums(1490, 1000, None, 490, None, lines_priced=False)


def test_figures_that_never_add_up_show_the_total_alone() -> None:
    figures = OrderFigures(total=1000, line_totals=[1200], shipping=490)
    assert reconcile(figures) == OrderSums(1000)
    # Lines worth more than the total and no discount imported: no negative shipping.
    assert reconcile(OrderFigures(total=1000, line_totals=[1200])) == OrderSums(1000)


def test_an_unpriced_line_hides_every_line_amount() -> None:
    figures = OrderFigures(total=1490, line_totals=[1000, None], subtotal=1000)
    assert reconcile(figures) == OrderSums(1490, 1000, None, 490, None, lines_priced=False)


# -- the rendered body -----------------------------------------------------------------------

AMOUNT = re.compile(r"€([\d,]+\.\d\d)")
ROW = re.compile(r"^  (Subtotal|Discount(?: \([^)]*\))?|Shipping|Tax|Total): (−?)€([\d,]+\.\d\d)$")


@cache
def _composer() -> Composer:
    return Composer(build_shop(), Path("/nonexistent-owner-templates"), today=TODAY)


def cents(text: str) -> int:
    return int(Decimal(text.replace(",", "")) * 100)


def shown_figures(text: str) -> tuple[list[int], dict[str, int]]:
    """The line amounts and the summary rows of an English thank-you text body."""
    block = text.split("Here's what you ordered:\n\n", 1)[1].split("\n\n\n", 1)[0]
    block = block.split("\n\nHow lovely", 1)[0].split("\n\nYou've now", 1)[0]
    lines, rows = [], {}
    for row in block.splitlines():
        if match := ROW.match(row):
            label = match[1].split(" ")[0]
            rows[label] = -cents(match[3]) if match[2] else cents(match[3])
        elif " × " in row:
            lines += [cents(amount) for amount in AMOUNT.findall(row)]
    return lines, rows


@st.composite
def orders(draw: st.DrawFn) -> OrderRecord:
    prices = draw(st.lists(st.integers(1, 20_000), min_size=1, max_size=4))
    quantities = draw(st.lists(st.integers(1, 5), min_size=len(prices), max_size=len(prices)))
    unpriced = draw(st.booleans()) and draw(st.booleans())
    lines = [OrderLine(f"S{i}", f"Item {i}", q, None if unpriced and i == 0 else p)
             for i, (p, q) in enumerate(zip(prices, quantities, strict=True))]  # fmt: skip
    items = sum(p * q for p, q in zip(prices, quantities, strict=True))
    discount = draw(st.one_of(st.just(0), st.integers(0, items)))
    shipping = draw(st.sampled_from([0, 390, 490, 1290]))
    tax = draw(st.integers(0, items // 4))
    tax_included = draw(st.booleans())
    total = items - discount + shipping + (0 if tax_included else tax)
    total += draw(st.sampled_from([0, 0, 0, 1, -1, 250]))  # rounding, a charge not exported
    total = max(total, 0)
    return OrderRecord(
        id=1, number="#1", day=TODAY.toordinal() - 1, currency="EUR", total=total,
        refunded=0, discount_code="CODE" if discount else None,
        subtotal=draw(st.sampled_from([items, None])),
        discount=discount,
        shipping=draw(st.sampled_from([shipping, None])),
        tax=draw(st.sampled_from([tax, None])),
        tax_included=draw(st.sampled_from([int(tax_included), None])),
        fulfillment=None, lines=lines,
    )  # fmt: skip


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=orders())
def test_the_figures_in_the_text_body_add_up_to_the_total_shown(order: OrderRecord) -> None:
    composer = _composer()
    compiled = composer.compiled(composer.template("thank-you"), "en")
    record = CustomerRecord(1, "ann@example.com", "Ann", None, "GB", "en", 1, None, 1,
                            order.total, order.day, order.day)  # fmt: skip
    draft = composer.render_data(compiled, CustomerData(record, orders=[order]), None)
    lines, rows = shown_figures(draft.text)
    assert rows["Total"] == order.total  # the total is always shown, and is what was paid
    if lines:
        assert len(lines) == len(order.lines)
        assert sum(lines) == rows.get("Subtotal", rows["Total"])
    if "Subtotal" in rows:
        parts = rows["Subtotal"] + rows.get("Discount", 0) + rows.get("Shipping", 0)
        assert parts + rows.get("Tax", 0) == rows["Total"], draft.text
    else:
        assert set(rows) == {"Total"}

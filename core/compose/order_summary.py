"""An order's figures as a draft lists them: only sums that add up.

Shop exports do not always reconcile: a file without a shipping column, a subtotal after
the discount (Shopify) or before it (WooCommerce), taxes added on top or included, rounding in
the line prices. A summary that prints 9,90 € + 12,90 € = 25,42 € embarrasses the shop, so
`reconcile` picks the first reading of the imported figures under which

    items - discount + shipping + tax (when added on top) = total

holds to the cent, and otherwise shows the total alone. All amounts are in cents.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class OrderFigures:
    """What the store knows about one order's money; None where the export did not say.

    `subtotal` is the items before the order's discount (the importers store it so: Shopify's
    Subtotal is after the discount, and its reader adds the discount back).
    """

    total: int
    line_totals: Sequence[int | None] = ()
    subtotal: int | None = None
    discount: int | None = None
    shipping: int | None = None
    tax: int | None = None
    tax_included: bool | None = None


@dataclass(frozen=True, slots=True)
class OrderSums:
    """The rows a summary shows (None: not shown); they always add up to `total`.

    `lines_priced` says whether each line's amount is shown (then they add up to `items`).
    """

    total: int
    items: int | None = None
    discount: int | None = None
    shipping: int | None = None
    tax: int | None = None
    lines_priced: bool = False

    def adds_up(self) -> bool:
        if self.items is None:
            return all(v is None for v in (self.discount, self.shipping, self.tax))
        parts = self.items - (self.discount or 0) + (self.shipping or 0) + (self.tax or 0)
        return parts == self.total


def reconcile(figures: OrderFigures) -> OrderSums:
    """The most detailed summary of `figures` that adds up (see the module's docstring).

    Readings that need no guess come first: shipping as imported, or no shipping at all. Only
    then is the remainder called shipping (a tax added on top is not mistaken for it).
    """
    readings = [sums for sums, _ in sorted(_readings(figures), key=lambda pair: pair[1])]
    for sums in readings:
        if sums.adds_up():
            return _drop_empty(sums)
    return OrderSums(total=figures.total)


def _readings(f: OrderFigures) -> Iterator[tuple[OrderSums, bool]]:
    """Candidate summaries, most detailed first: the priced lines, then the imported
    subtotal; tax included or added on top; shipping imported, or the remainder. Each with
    whether its shipping is a guessed remainder."""
    priced = bool(f.line_totals) and all(t is not None for t in f.line_totals)
    items_options: list[tuple[int, bool]] = []
    if priced:
        items_options.append((sum(t or 0 for t in f.line_totals), True))
    if f.subtotal is not None:
        items_options.append((f.subtotal, False))
    if f.tax_included is None:
        tax_options = [None, f.tax] if f.tax else [None]
    else:
        tax_options = [None if f.tax_included or not f.tax else f.tax]
    discount = f.discount or None
    for items, lines_priced in items_options:
        for tax in tax_options:
            if f.shipping is not None:
                yield OrderSums(f.total, items, discount, f.shipping, tax, lines_priced), False
            else:
                remainder = f.total - (items - (discount or 0) + (tax or 0))
                if remainder >= 0:
                    sums = OrderSums(f.total, items, discount, remainder, tax, lines_priced)
                    yield sums, remainder > 0


def _drop_empty(sums: OrderSums) -> OrderSums:
    """No zero rows, and no items row when it only repeats the total."""
    shipping = sums.shipping or None
    tax = sums.tax or None
    items = sums.items
    if not sums.discount and shipping is None and tax is None:
        items = None
    return OrderSums(sums.total, items, sums.discount or None, shipping, tax, sums.lines_priced)

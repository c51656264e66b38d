"""What brings customers back (issue 16): per product, per discount code of the first order,
per first-order month. Definitions and worked examples: docs/drivers.md.

The one public entry for `retain-tui products`, `retain-tui drivers` and the app.
"""

from core.drivers.first_orders import code_group, first_order_of
from core.drivers.groups import GROUPINGS, MIN_COMPARABLE, CustomerTotals, driver_groups
from core.drivers.products import (
    DEFAULT_SORT,
    SORT_COLUMNS,
    SortError,
    parse_sort,
    product_figures,
)

__all__ = [
    "DEFAULT_SORT",
    "GROUPINGS",
    "MIN_COMPARABLE",
    "SORT_COLUMNS",
    "CustomerTotals",
    "SortError",
    "code_group",
    "driver_groups",
    "first_order_of",
    "parse_sort",
    "product_figures",
]

"""Each customer's purchase history as the models read it, from the store up to the as-of date.

A transaction is a customer's counting orders on one calendar day (`customer_days`, kept by
every import): cancelled and fully refunded orders are no purchase, as everywhere in the app
(core/summaries.py), and two orders on one day are one transaction, as in the literature.
Per customer with a counting order on or before the as-of date:

- x: repeat transactions (days with orders after the first one);
- t_x: time from the first to the last transaction; T: from the first to the as-of date;
- m: mean net value (total − refunds) of the repeat transactions, the first one left out as
  in Fader & Hardie's Gamma-Gamma note; 0 without repeats.

Time is in weeks (days / 7), the unit of the literature (CDNOW's α = 4.414 is in weeks).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from core.store import Store

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

    from core.predict.bgnbd import Floats

TIME_UNIT = "weeks"
DAYS_PER_UNIT = 7.0

# Every customer's days up to ?1, in one pass over customer_days in key order. The first day
# is the one without a previous day (prev_day is the customer's previous order day).
_HISTORY = """
    SELECT customer_id, count(*) - 1, min(day), max(day),
           sum(revenue) - sum(CASE WHEN prev_day IS NULL THEN revenue ELSE 0 END)
    FROM customer_days WHERE day <= ?1
    GROUP BY customer_id ORDER BY customer_id
"""


@dataclass(frozen=True)
class History:
    """Per customer (ascending id) x, t_x and T in weeks, and m in currency units."""

    as_of: date
    ids: NDArray[np.int64]
    x: Floats
    t_x: Floats
    big_t: Floats
    m: Floats

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def repeat_customers(self) -> int:
        return int((self.x > 0).sum())


def read_history(store: Store, as_of: date) -> History:
    """The history of every customer with a counting order on or before `as_of`."""
    import numpy as np

    rows = store.execute(_HISTORY, (as_of.toordinal(),)).fetchall()
    table = np.array(rows, dtype=np.int64).reshape(-1, 5)
    ids, x, first, last, repeat_cents = table.T
    day = as_of.toordinal()
    x_float = x.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.where(x > 0, repeat_cents / 100.0 / np.maximum(x_float, 1.0), 0.0)
    return History(
        as_of=as_of,
        ids=ids,
        x=x_float,
        t_x=(last - first) / DAYS_PER_UNIT,
        big_t=(day - first) / DAYS_PER_UNIT,
        m=m,
    )

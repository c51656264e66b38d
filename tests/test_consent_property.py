"""Property: consent "no" survives any sequence of imports (issue 11).

Random sequences of customers files (generic and Shopify columns) and orders files, with
yes/no/unknown consent, one address under several ids, guest orders, changed emails, and
spellings of an address differing only by case, space, zero-width characters or NFKC forms.
Once a "no" has been imported for an address, no customer holding it accepts marketing, and
the composer's recipient decision (what `export` drafts from) never includes it.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from core.compose import Composer, Discount
from core.importers import import_file
from core.store import Store, open_store
from core.values import email_key
from tests.compose_support import TODAY

ADDRESSES = ("anna@example.com", "bob@example.com", "cleo@shop.example")
IDS = ("C1", "C2", "C3", "C4")
SHOPIFY_HEADER = (
    "Customer ID,First Name,Last Name,Email,Accepts Email Marketing,Default Address Company,"
    "Default Address Address1,Default Address Address2,Default Address City,"
    "Default Address Province Code,Default Address Country Code,Default Address Zip,"
    "Default Address Phone,Phone,Accepts SMS Marketing,Total Spent,Total Orders,Note,"
    "Tax Exempt,Tags"
)


def _full_width(text: str) -> str:
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else ch for ch in text)


SPELLINGS = (
    lambda a: a,
    str.upper,
    lambda a: f"  {a} ",
    lambda a: a + "\u200b",
    lambda a: "\ufeff" + a.title(),
    lambda a: a.replace("@", "\u200d@"),
    _full_width,
)


@dataclass(frozen=True)
class Row:
    external_id: str | None  # None: a guest (orders only)
    address: str  # the normalised address the row is about
    spelling: int
    consent: str  # "yes", "no" or ""

    @property
    def email(self) -> str:
        return SPELLINGS[self.spelling](self.address)


@dataclass(frozen=True)
class ImportFile:
    kind: str  # "customers", "shopify-customers" or "orders"
    rows: tuple[Row, ...]


def rows(guests: bool) -> st.SearchStrategy[tuple[Row, ...]]:
    ids = st.sampled_from(IDS + ((None,) if guests else ()))
    row = st.builds(
        Row,
        ids,
        st.sampled_from(ADDRESSES),
        st.integers(0, len(SPELLINGS) - 1),
        st.sampled_from(("yes", "no", "")),
    )
    return st.lists(row, min_size=1, max_size=6).map(tuple)


files = st.one_of(
    st.builds(ImportFile, st.just("customers"), rows(guests=False)),
    st.builds(ImportFile, st.just("shopify-customers"), rows(guests=False)),
    st.builds(ImportFile, st.just("orders"), rows(guests=True)),
)


def write(folder: Path, number: int, item: ImportFile) -> tuple[Path, str]:
    path = folder / f"{number}.csv"
    if item.kind == "customers":
        lines = ["id,email,accepts_marketing"]
        lines += [f"{r.external_id},{r.email},{r.consent}" for r in item.rows]
    elif item.kind == "shopify-customers":
        lines = [SHOPIFY_HEADER]
        lines += [f"'7100{r.external_id},,,{r.email},{r.consent}" + "," * 15 for r in item.rows]
    else:
        lines = ["order_id,ordered_at,customer_id,email,total,accepts_marketing"]
        lines += [
            f"F{number}-{n},2024-0{1 + n % 9}-1{n % 10},{r.external_id or ''},{r.email},"
            f"{10 + n}.00,{r.consent}"
            for n, r in enumerate(item.rows)
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, "orders" if item.kind == "orders" else "customers"


def marketing_recipients(store: Store, templates: Path) -> set[str]:
    """The normalised addresses a win-back (marketing) export would draft to."""
    ids = [row[0] for row in store.conn.execute("SELECT id FROM customers")]
    composer = Composer(store, templates, today=TODAY)
    chosen = composer.recipients(ids, "win-back", discount=Discount(percent=Decimal(10)))
    return {email_key(r.email) for r in chosen if r.included}


@settings(max_examples=60)
@given(st.lists(files, min_size=1, max_size=5))
def test_consent_no_survives_any_sequence_of_imports(sequence: list[ImportFile]) -> None:
    refused: set[str] = set()
    with tempfile.TemporaryDirectory() as folder_name:
        folder = Path(folder_name)
        with open_store(folder / "shop.db", create=True) as store:
            for number, item in enumerate(sequence):
                path, kind = write(folder, number, item)
                result = import_file(store, path, kind)
                assert result.rows_rejected == 0, result.errors
                refused |= {r.address for r in item.rows if r.consent == "no"}
                consenting = {
                    key
                    for key, accepts in store.conn.execute(
                        "SELECT email_key, accepts_marketing FROM customers"
                    )
                    if accepts == 1
                }
                assert not consenting & refused
                assert not marketing_recipients(store, folder / "templates") & refused

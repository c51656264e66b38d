"""Referral credit at import (issue 15): a new customer's first counting order carrying a
referral code credits its owner once; hand-checked import sequences, then a brute-force
property over random shops imported in random pieces, repeated and duplicated."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.importers import import_file
from core.importers.summary import summary_lines
from core.store import Store, open_store
from tests.codes_support import GENERIC_HEADER, generic_row, write_csv
from tests.referral_support import add_referral_code, credited, credits, ledger, referral_points

ANN, BOB, CY, DEE = "ann@example.com", "bob@example.com", "cy@example.com", "dee@example.com"
CODE = "REF-AAAAAAAA"


def load(store: Store, tmp_path: Path, name: str, rows: list[list[str]]):
    return import_file(store, write_csv(tmp_path / name, GENERIC_HEADER, rows), "orders")


def shop_with_ann_code(store: Store, tmp_path: Path) -> None:
    load(store, tmp_path, "first.csv", [
        generic_row("1001", ANN, "2024-11-01", "30.00", ""),
        generic_row("1002", BOB, "2024-11-02", "40.00", ""),
    ])  # fmt: skip
    add_referral_code(store, CODE, ANN)


def test_a_new_customer_with_a_code_credits_the_referrer_once(store: Store, tmp_path: Path) -> None:
    shop_with_ann_code(store, tmp_path)
    rows = [generic_row("1003", CY, "2024-12-01", "50.00", " ref-aaaaaaaa ")]
    result = load(store, tmp_path, "second.csv", rows)
    assert (result.referrals_credited, result.referrals_reversed) == (1, 0)
    assert ("referrals credited", 1) in [(line.label, line.count) for line in summary_lines(result)]
    assert credited(store) == {CY: ANN}
    order_id = store.scalar("SELECT id FROM orders WHERE external_id = '1003'")
    cy = store.scalar("SELECT id FROM customers WHERE email = ?", (CY,))
    assert ledger(store) == [(ANN, 500, f"order {order_id} of customer {cy}", "2024-12-01")]
    again = load(store, tmp_path, "again.csv", rows)  # the same file again
    assert (again.referrals_credited, again.referrals_reversed) == (0, 0)
    # cy's later orders with the code add nothing: cy is an existing customer now
    load(store, tmp_path, "later.csv", [
        generic_row("1003", CY, "2024-12-01", "50.00", " ref-aaaaaaaa "),
        generic_row("1004", CY, "2024-12-09", "20.00", CODE),
    ])  # fmt: skip
    assert referral_points(store) == {ANN: 500}


def test_the_referrer_and_existing_customers_get_nothing(store: Store, tmp_path: Path) -> None:
    shop_with_ann_code(store, tmp_path)
    result = load(store, tmp_path, "second.csv", [
        generic_row("1003", ANN, "2024-12-01", "50.00", CODE),  # her own code
        generic_row("1004", BOB, "2024-12-02", "50.00", CODE),  # bob ordered before
    ])  # fmt: skip
    assert result.referrals_credited == 0
    assert credits(store) == {} and referral_points(store) == {}


def test_a_code_in_a_list_credits_and_an_unknown_code_does_not(
    store: Store, tmp_path: Path
) -> None:
    shop_with_ann_code(store, tmp_path)
    load(store, tmp_path, "second.csv", [
        generic_row("1003", CY, "2024-12-01", "50.00", "SOMMER15; ref-aaaaaaaa"),
        generic_row("1004", DEE, "2024-12-01", "50.00", "REF-AAAAAAAB"),
    ])  # fmt: skip
    assert credited(store) == {CY: ANN}


def test_a_refunded_referred_order_takes_the_credit_back(store: Store, tmp_path: Path) -> None:
    shop_with_ann_code(store, tmp_path)
    load(store, tmp_path, "second.csv", [generic_row("1003", CY, "2024-12-01", "50.00", CODE)])
    result = load(store, tmp_path, "refunded.csv", [
        generic_row("1003", CY, "2024-12-01", "50.00", CODE, status="refunded"),
    ])  # fmt: skip
    assert (result.referrals_credited, result.referrals_reversed) == (0, 1)
    assert credits(store) == {CY: (ANN, "reversed")}
    order_id = store.scalar("SELECT id FROM orders WHERE external_id = '1003'")
    reference = f"order {order_id} of customer {store.scalar('SELECT max(id) FROM customers')}"
    assert ledger(store) == [
        (ANN, 500, reference, "2024-12-01"),
        (ANN, -500, f"{reference} reversed", "2024-12-01"),
    ]
    # cy's next order, without a code, is now the first counting one: still nothing due
    load(store, tmp_path, "third.csv", [generic_row("1005", CY, "2024-12-20", "10.00", "")])
    assert referral_points(store) == {}
    # the shop un-refunds the order (a corrected export): credited again, once
    load(store, tmp_path, "fixed.csv", [generic_row("1003", CY, "2024-12-01", "50.00", CODE)])
    assert credited(store) == {CY: ANN} and referral_points(store) == {ANN: 500}
    assert ledger(store)[-1] == (ANN, 500, f"{reference} #2", "2024-12-01")


def test_an_earlier_order_imported_later_takes_the_credit_back(
    store: Store, tmp_path: Path
) -> None:
    shop_with_ann_code(store, tmp_path)
    load(store, tmp_path, "second.csv", [generic_row("1003", CY, "2024-12-01", "50.00", CODE)])
    assert credited(store) == {CY: ANN}
    result = load(store, tmp_path, "older.csv", [
        generic_row("0999", CY, "2024-10-01", "50.00", ""),
    ])  # fmt: skip
    assert result.referrals_reversed == 1
    assert credited(store) == {} and referral_points(store) == {}


# -- property: whatever the order of imports, repeats and duplicated rows ------------------

PEOPLE = [f"p{n}@example.com" for n in range(6)]
REFERRERS = {"REF-22222222": PEOPLE[0], "REF-33333333": PEOPLE[1]}
SEED_DAY = "2020-01-01"


def cell_for(choice: int) -> str:
    """0: no code; 1, 2: a referral code as typed (case, spaces); 3: one in a list; 4: a
    code nobody holds."""
    return ["", " ref-22222222", "REF-33333333 ", "SOMMER; ref-33333333", "REF-44444444"][choice]


order_versions = st.tuples(
    st.integers(0, len(PEOPLE) - 1),  # customer
    st.integers(1, 20),  # day in December 2024
    st.integers(0, 4),  # code cell
    st.booleans(),  # refunded
)


def expected_credits(final: dict[str, tuple[int, int, int, bool]]) -> dict[str, str]:
    """Brute force: referred email -> referrer email, from the last version of each order."""
    first: dict[int, tuple[int, str]] = {}
    for external_id, (person, day, _choice, refunded) in final.items():
        if refunded:
            continue
        if person not in first or (day, external_id) < first[person]:
            first[person] = (day, external_id)
    seeded = {PEOPLE.index(email) for email in REFERRERS.values()}
    result = {}
    for person, (_day, external_id) in first.items():
        if person in seeded:
            continue  # referrers ordered in 2020: existing customers
        cell = cell_for(final[external_id][2])
        parts = [part.strip().upper() for part in cell.replace(";", ",").split(",")]
        held = sorted(code for code in parts if code in REFERRERS)
        if held and REFERRERS[held[0]] != PEOPLE[person]:
            result[PEOPLE[person]] = REFERRERS[held[0]]
    return result


def check_against_brute_force(store: Store, final: dict[str, tuple[int, int, int, bool]]):
    want = expected_credits(final)
    assert credited(store) == want
    points: dict[str, int] = {}
    for referrer in want.values():
        points[referrer] = points.get(referrer, 0) + 500
    assert referral_points(store) == points


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    imports=st.lists(
        st.lists(st.tuples(st.integers(0, 7), order_versions, st.booleans()), max_size=6),
        min_size=1,
        max_size=4,
    ),
    replay=st.lists(st.integers(0, 3), max_size=3),
)
def test_credit_follows_the_last_version_of_each_order_exactly_once(
    tmp_path_factory: pytest.TempPathFactory, imports: list[list[tuple]], replay: list[int]
) -> None:
    """Files of random orders (a version per order: customer, day, code cell, refunded),
    rows duplicated at random, imported in turn, then some of them again in any order: the
    credits and the ledger's net points always equal the brute force over the last version
    of each order imported."""
    folder = tmp_path_factory.mktemp("referrals")
    with open_store(folder / "shop.db", create=True) as store:
        load(store, folder, "seed.csv", [
            generic_row("S0", PEOPLE[0], SEED_DAY, "10.00", ""),
            generic_row("S1", PEOPLE[1], SEED_DAY, "10.00", ""),
        ])  # fmt: skip
        for code, email in REFERRERS.items():
            add_referral_code(store, code, email)
        files: list[tuple[Path, dict[str, tuple[int, int, int, bool]]]] = []
        for number, rows in enumerate(imports):
            cells, versions = [], {}
            for order, version, duplicated in rows:
                external_id = f"{order:03d}"
                if external_id in versions:
                    continue  # one version of an order per file
                versions[external_id] = version
                person, day, choice, refunded = version
                row = generic_row(
                    external_id, PEOPLE[person], f"2024-12-{day:02d}", "20.00",
                    cell_for(choice), status="refunded" if refunded else "paid",
                )  # fmt: skip
                cells += [row, row] if duplicated else [row]
            if cells:
                files.append((write_csv(folder / f"import{number}.csv", GENERIC_HEADER, cells),
                              versions))  # fmt: skip
        final: dict[str, tuple[int, int, int, bool]] = {}
        for index in [*range(len(files)), *(i for i in replay if i < len(files))]:
            file, versions = files[index]
            import_file(store, file, "orders")
            final.update(versions)
            check_against_brute_force(store, final)


def test_an_erased_customer_s_credit_stays_as_it_was(store: Store, tmp_path: Path) -> None:
    """Erasure clears the code typed at checkout from the referred customer's order; a later
    import of their orders must not read that as "no longer referred"."""
    from core.erasure import forget_customers

    shop_with_ann_code(store, tmp_path)
    load(store, tmp_path, "second.csv", [generic_row("1003", CY, "2024-12-01", "50.00", CODE)])
    cy = store.scalar("SELECT id FROM customers WHERE email = ?", (CY,))
    forget_customers(store, [cy])
    assert store.scalar("SELECT discount_code FROM orders WHERE external_id = '1003'") is None
    result = load(store, tmp_path, "third.csv", [
        generic_row("1003", CY, "2024-12-01", "50.00", CODE, status="refunded"),
        generic_row("1005", CY, "2024-12-20", "10.00", ""),
    ])  # fmt: skip
    assert (result.referrals_credited, result.referrals_reversed) == (0, 0)
    assert referral_points(store) == {ANN: 500}
    assert store.scalar("SELECT state FROM referral_credits WHERE referred_id = ?", (cy,)) == (
        "credited"
    )

"""RFM scoring by cut values and the RFM table: checked against the definitions, written out."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.rfm import (
    DEFAULT_RFM_TABLE,
    OTHERS,
    TABLE_PATH_SETTING,
    TABLE_TEXT_SETTING,
    RfmTableError,
    decode_score_code,
    load_rfm_table,
    parse_rfm_table,
    score,
    score_code,
    score_cuts,
)
from core.store import open_store

# The issue's table, typed out again: (name, R, F, M) with inclusive ranges.
ISSUE_TABLE = [
    ("Champions", (5, 5), (5, 5), (5, 5)),
    ("Loyal Customers", (3, 5), (4, 5), (3, 5)),
    ("Potential Loyalists", (4, 5), (2, 3), (2, 5)),
    ("New Customers", (5, 5), (1, 1), (1, 5)),
    ("Promising", (4, 4), (1, 1), (1, 5)),
    ("Need Attention", (3, 3), (2, 5), (2, 5)),
    ("About To Sleep", (3, 3), (1, 1), (1, 5)),
    ("Can't Lose Them", (1, 2), (4, 5), (4, 5)),
    ("At Risk", (1, 2), (2, 5), (2, 5)),
    ("Hibernating", (2, 2), (1, 1), (1, 5)),
    ("Lost", (1, 1), (1, 1), (1, 5)),
]


def reference_score(value: int, values: list[int]) -> int:
    """min(5, 1 + floor(5 L / n)), L = how many values are strictly worse (smaller)."""
    worse = sum(1 for other in values if other < value)
    return min(5, 1 + (5 * worse) // len(values))


def reference_segment(r: int, f: int, m: int) -> str:
    for name, (r0, r1), (f0, f1), (m0, m1) in ISSUE_TABLE:
        if r0 <= r <= r1 and f0 <= f <= f1 and m0 <= m <= m1:
            return name
    return "Others"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=-5, max_value=12), min_size=1, max_size=60))
def test_cut_scores_equal_the_rank_formula(values: list[int]) -> None:
    cuts = score_cuts(values)
    assert len(cuts) == 4
    for value in values:
        assert score(value, cuts) == reference_score(value, values)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([7], [1]),  # one customer: nobody is worse
        ([3, 3, 3, 3], [1, 1, 1, 1]),  # all equal: ties share the lowest score
        ([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]),
        ([1, 2, 2, 2, 9], [1, 2, 2, 2, 5]),
        ([10, 20], [1, 3]),  # L=1, n=2: 1 + floor(5/2) = 3
    ],
)
def test_scores_of_small_cases(values: list[int], expected: list[int]) -> None:
    cuts = score_cuts(values)
    assert [score(value, cuts) for value in values] == expected
    assert [reference_score(value, values) for value in values] == expected


def test_no_values_no_cuts() -> None:
    assert score_cuts([]) == ()


def test_default_table_is_the_issue_table_and_places_every_triple_once() -> None:
    assert [(r.name, r.r, r.f, r.m) for r in DEFAULT_RFM_TABLE.rules] == ISSUE_TABLE
    codes = DEFAULT_RFM_TABLE.codes()
    placed = sorted(code for members in codes.values() for code in members)
    assert placed == list(range(125))
    for r in range(1, 6):
        for f in range(1, 6):
            for m in range(1, 6):
                name = reference_segment(r, f, m)
                assert DEFAULT_RFM_TABLE.classify(r, f, m) == name
                assert score_code(r, f, m) in codes[name]
                assert decode_score_code(score_code(r, f, m)) == (r, f, m)


def test_toml_round_trip() -> None:
    table = parse_rfm_table(DEFAULT_RFM_TABLE.to_toml())
    assert table.rules == DEFAULT_RFM_TABLE.rules


def test_ranges_may_be_written_several_ways() -> None:
    table = parse_rfm_table(
        '[[segment]]\nname = "Best"\nr = 5\nf = "4-5"\nm = "3–5"\n'
        '[[segment]]\nname = "Rest"\nr = [1, 5]\nf = [1, 5]\nm = [1, 5]\n'
    )
    assert table.rules[0].r == (5, 5) and table.rules[0].f == (4, 5)
    assert table.rules[0].m == (3, 5)
    assert table.names == ["Best", "Rest", OTHERS]
    assert table.classify(1, 1, 1) == "Rest"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not toml [", "not valid TOML"),
        ("", "no [[segment]] rows"),
        ('[[segment]]\nname = "A"\nr = [0, 5]\nf = 1\nm = 1\n', "scores run from 1 to 5"),
        ('[[segment]]\nname = "A"\nr = [1, 6]\nf = 1\nm = 1\n', "scores run from 1 to 5"),
        ('[[segment]]\nname = "A"\nr = [4, 2]\nf = 1\nm = 1\n', "low end 4 is above high end 2"),
        ('[[segment]]\nname = "A"\nr = [1, 2, 3]\nf = 1\nm = 1\n', "expected two scores"),
        ('[[segment]]\nname = "A"\nf = 1\nm = 1\n', "segment 1 ('A'): r: missing"),
        ('[[segment]]\nname = ""\nr = 1\nf = 1\nm = 1\n', "needs a name"),
        ('[[segment]]\nr = 1\nf = 1\nm = 1\n', "needs a name"),
        ('[[segment]]\nname = "A"\nr = 1\nf = 1\nm = 1\n'
         '[[segment]]\nname = "a"\nr = 2\nf = 1\nm = 1\n', "already used by segment 1"),
        ('[[segment]]\nname = "Others"\nr = 1\nf = 1\nm = 1\n', "reserved"),
        ('[[segment]]\nname = "A"\nr = 1\nf = 1\nm = 1\nx = 2\n', "unknown key 'x'"),
        ('[[segment]]\nname = "A"\nr = true\nf = 1\nm = 1\n', "expected [lo, hi]"),
        ('[[segment]]\nname = "A"\nr = "x-y"\nf = 1\nm = 1\n', "not a range"),
        ('title = "x"\n', "unknown key 'title'"),
    ],
)  # fmt: skip
def test_bad_tables_are_refused_with_a_clear_reason(text: str, message: str) -> None:
    with pytest.raises(RfmTableError, match=None) as caught:
        parse_rfm_table(text, "my.toml")
    assert message in str(caught.value)
    assert str(caught.value).startswith("my.toml")


def test_table_in_force_path_then_setting_path_then_text_then_default(tmp_path) -> None:
    store = open_store(":memory:")
    assert load_rfm_table(store) is DEFAULT_RFM_TABLE
    store.set_setting(TABLE_TEXT_SETTING, '[[segment]]\nname = "Text"\nr = 1\nf = 1\nm = 1\n')
    assert load_rfm_table(store).names == ["Text", OTHERS]
    file = tmp_path / "rfm.toml"
    file.write_text('[[segment]]\nname = "File"\nr = 1\nf = 1\nm = 1\n', encoding="utf-8")
    store.set_setting(TABLE_PATH_SETTING, str(file))
    assert load_rfm_table(store).names == ["File", OTHERS]
    other = tmp_path / "other.toml"
    other.write_text('[[segment]]\nname = "Other"\nr = 1\nf = 1\nm = 1\n', encoding="utf-8")
    assert load_rfm_table(store, other).names == ["Other", OTHERS]
    with pytest.raises(RfmTableError, match="cannot read"):
        load_rfm_table(store, tmp_path / "missing.toml")

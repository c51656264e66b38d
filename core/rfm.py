"""RFM: recency, frequency and monetary scores 1–5 by rank, and the table that names segments.

A value x among n customers scores `min(5, 1 + floor(5 × L / n))`, L being the number of
customers with a strictly worse value. The score only grows as x gets better, so each measure
is fully described by four cut values: score(x) = 1 + the number of cuts x is better than.
That turns 350,000 per-customer ranks into four comparisons per customer in SQL.

The segment names come from an ordered table of score ranges; the first row whose three ranges
all hold names the customer, else `Others`. The owner may replace the table with a TOML file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.segment_errors import SegmentError
from core.store import Store

OTHERS = "Others"
SCORES = range(1, 6)
TABLE_PATH_SETTING = "rfm.table_path"
TABLE_TEXT_SETTING = "rfm.table"
MAX_NAME_LENGTH = 60

ScoreRange = tuple[int, int]


class RfmTableError(SegmentError):
    """A replacement RFM table is not valid; the message says where and why."""


@dataclass(frozen=True)
class RfmRule:
    """One row of the RFM table: a name and inclusive score ranges for R, F and M."""

    name: str
    r: ScoreRange
    f: ScoreRange
    m: ScoreRange

    def matches(self, r: int, f: int, m: int) -> bool:
        return (
            self.r[0] <= r <= self.r[1]
            and self.f[0] <= f <= self.f[1]
            and self.m[0] <= m <= self.m[1]
        )

    def describe(self) -> str:
        """'R 3–5, F 4–5, M 3–5': the definition shown next to the segment."""
        return ", ".join(
            f"{label} {lo}" if lo == hi else f"{label} {lo}–{hi}"
            for label, (lo, hi) in (("R", self.r), ("F", self.f), ("M", self.m))
        )


@dataclass(frozen=True)
class RfmTable:
    """The ordered rules; `source` says where they came from (default, settings or a file)."""

    rules: tuple[RfmRule, ...]
    source: str = "default"

    @property
    def names(self) -> list[str]:
        """Every RFM segment name, in table order, ending with `Others`."""
        return [rule.name for rule in self.rules] + [OTHERS]

    def classify(self, r: int, f: int, m: int) -> str:
        for rule in self.rules:
            if rule.matches(r, f, m):
                return rule.name
        return OTHERS

    def codes(self) -> dict[str, list[int]]:
        """Segment name -> the score codes (see `score_code`) it holds: all 125 placed once."""
        by_name: dict[str, list[int]] = {name: [] for name in self.names}
        for r in SCORES:
            for f in SCORES:
                for m in SCORES:
                    by_name[self.classify(r, f, m)].append(score_code(r, f, m))
        return by_name

    def definition(self, name: str) -> str:
        for rule in self.rules:
            if rule.name == name:
                return rule.describe()
        return "no row above matches"

    def to_toml(self) -> str:
        lines = [
            "# retain-tui RFM table: the first row whose R, F and M ranges all hold names the",
            f'# customer; customers matching no row are "{OTHERS}". Scores run from 1 to 5.',
        ]
        for rule in self.rules:
            lines += [
                "",
                "[[segment]]",
                f"name = {_toml_string(rule.name)}",
                f"r = [{rule.r[0]}, {rule.r[1]}]",
                f"f = [{rule.f[0]}, {rule.f[1]}]",
                f"m = [{rule.m[0]}, {rule.m[1]}]",
            ]
        return "\n".join(lines) + "\n"


def score_code(r: int, f: int, m: int) -> int:
    """One integer 0..124 for a score triple, so SQL can test membership with `IN (...)`."""
    return (r - 1) * 25 + (f - 1) * 5 + (m - 1)


def decode_score_code(code: int) -> tuple[int, int, int]:
    return code // 25 + 1, code // 5 % 5 + 1, code % 5 + 1


DEFAULT_RFM_TABLE = RfmTable(
    tuple(
        RfmRule(name, (r0, r1), (f0, f1), (m0, m1))
        for name, r0, r1, f0, f1, m0, m1 in (
            ("Champions", 5, 5, 5, 5, 5, 5),
            ("Loyal Customers", 3, 5, 4, 5, 3, 5),
            ("Potential Loyalists", 4, 5, 2, 3, 2, 5),
            ("New Customers", 5, 5, 1, 1, 1, 5),
            ("Promising", 4, 4, 1, 1, 1, 5),
            ("Need Attention", 3, 3, 2, 5, 2, 5),
            ("About To Sleep", 3, 3, 1, 1, 1, 5),
            ("Can't Lose Them", 1, 2, 4, 5, 4, 5),
            ("At Risk", 1, 2, 2, 5, 2, 5),
            ("Hibernating", 2, 2, 1, 1, 1, 5),
            ("Lost", 1, 1, 1, 1, 1, 5),
        )
    )
)


def score_cuts(values: Sequence[int]) -> tuple[int, ...]:
    """The four cut values for `values` (any order), where larger means better.

    score(x) >= k  <=>  L >= ceil((k - 1) * n / 5)  <=>  x > sorted(values)[p_k - 1]
    with p_k = ceil((k - 1) * n / 5), since L counts the values strictly below x.
    """
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return ()
    return tuple(ordered[-(-(k - 1) * n // 5) - 1] for k in range(2, 6))


def score(value: int, cuts: Iterable[int]) -> int:
    """The 1–5 score of `value` given its measure's cuts (larger is better)."""
    return 1 + sum(value > cut for cut in cuts)


def parse_rfm_table(text: str, source: str = "RFM table") -> RfmTable:
    """Read and validate a TOML RFM table: `[[segment]]` rows with name, r, f and m.

    A range is `[lo, hi]`, a single score `5`, or text like `"3-5"`.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RfmTableError(f"{source}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - {"segment"})
    if unknown:
        raise RfmTableError(
            f"{source}: unknown key {unknown[0]!r}; the table is a list of [[segment]] rows"
        )
    rows = data.get("segment")
    if not isinstance(rows, list) or not rows:
        raise RfmTableError(f"{source}: no [[segment]] rows")
    rules: list[RfmRule] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(rows, start=1):
        where = f"{source}: segment {number}"
        if not isinstance(row, dict):
            raise RfmTableError(f"{where}: expected a table with name, r, f and m")
        extra = sorted(set(row) - {"name", "r", "f", "m"})
        if extra:
            raise RfmTableError(f"{where}: unknown key {extra[0]!r} (keys: name, r, f, m)")
        name = _rule_name(row.get("name"), where)
        where = f"{source}: segment {number} ({name!r})"
        if name.casefold() in seen:
            raise RfmTableError(
                f"{where}: the name is already used by segment {seen[name.casefold()]}"
            )
        if name.casefold() == OTHERS.casefold():
            raise RfmTableError(f"{where}: {OTHERS!r} is reserved for customers matching no row")
        seen[name.casefold()] = number
        ranges = [_score_range(row.get(key), f"{where}: {key}") for key in ("r", "f", "m")]
        rules.append(RfmRule(name, *ranges))
    return RfmTable(tuple(rules), source)


def _rule_name(value: object, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RfmTableError(f"{where}: needs a name (text)")
    name = " ".join(value.split())
    if len(name) > MAX_NAME_LENGTH:
        raise RfmTableError(f"{where}: name longer than {MAX_NAME_LENGTH} characters")
    if any(not ch.isprintable() for ch in name):
        raise RfmTableError(f"{where}: name contains control characters")
    return name


def _score_range(value: object, where: str) -> ScoreRange:
    if value is None:
        raise RfmTableError(f"{where}: missing (give [lo, hi] with scores 1 to 5)")
    if isinstance(value, str):
        parts = value.replace("–", "-").split("-")
        try:
            numbers = [int(part) for part in parts]
        except ValueError:
            raise RfmTableError(f'{where}: {value!r} is not a range like "3-5"') from None
    elif isinstance(value, bool):
        raise RfmTableError(f"{where}: expected [lo, hi], not {value!r}")
    elif isinstance(value, int):
        numbers = [value]
    elif isinstance(value, list) and all(
        isinstance(item, int) and not isinstance(item, bool) for item in value
    ):
        numbers = list(value)
    else:
        raise RfmTableError(f"{where}: expected [lo, hi] with scores 1 to 5, not {value!r}")
    if len(numbers) == 1:
        numbers *= 2
    if len(numbers) != 2:
        raise RfmTableError(f"{where}: expected two scores [lo, hi], got {len(numbers)}")
    lo, hi = numbers
    if not (1 <= lo <= 5 and 1 <= hi <= 5):
        raise RfmTableError(f"{where}: scores run from 1 to 5, got [{lo}, {hi}]")
    if lo > hi:
        raise RfmTableError(f"{where}: low end {lo} is above high end {hi}")
    return lo, hi


def load_rfm_table(store: Store, path: str | Path | None = None) -> RfmTable:
    """The table in force: `path` if given, else the `rfm.table_path` setting's file, else
    the TOML text in the `rfm.table` setting, else the shipped default."""
    chosen = path or store.get_setting(TABLE_PATH_SETTING)
    if chosen:
        file = Path(chosen).expanduser()
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RfmTableError(f"{file}: cannot read the RFM table ({exc})") from None
        return parse_rfm_table(text, str(file))
    stored = store.get_setting(TABLE_TEXT_SETTING)
    if stored:
        return parse_rfm_table(stored, f"setting {TABLE_TEXT_SETTING}")
    return DEFAULT_RFM_TABLE


def _toml_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'

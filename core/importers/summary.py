"""What an import did, in words: one wording for `retain-tui import` and the app's import
screen, so the two never say different things about the same file.

Each count is a `SummaryLine` with the first of its rows (rejected by line, applied in
part) as plain text; the caller escapes them for its screen, since they quote the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from core.codes.redemptions import reuse_text
from core.importers import ImportResult
from core.nps.importer import ResponsesResult

SHOWN_ROWS = 20
"""How many rejected or partly applied rows a summary lists (the rest are counted)."""
LINE_WIDTH = 28
"""A label and its count take this many characters in the CLI's aligned column."""
SUPPRESSED_NOTE = "(suppressed addresses stay at no: `retain-tui suppressed`)"

Tone = Literal["", "bad", "warning"]


@dataclass(frozen=True)
class SummaryLine:
    """`rows rejected 1`, with the first rows it counts and how many more there are."""

    label: str
    count: int
    tone: Tone = ""
    rows: list[str] = field(default_factory=list)
    more: int = 0
    note: str = ""

    def aligned(self) -> str:
        """`rows read          1,234`: the label, then the count right-aligned."""
        return f"{self.label} {self.count:>{LINE_WIDTH - len(self.label)},}"

    def more_text(self) -> str:
        return f"… and {self.more:,} more" if self.more else ""


def layout(result: ImportResult | ResponsesResult) -> str:
    """`shopify orders, utf-8, comma-delimited, dates day first`: how the file was read."""
    dates = {"DMY": ", dates day first", "MDY": ", dates month first"}.get(
        result.date_order or "", ""
    )
    return f"{result.format} {result.kind}, {result.encoding}, {result.delimiter}-delimited{dates}"


def summary_lines(result: ImportResult, shown: int = SHOWN_ROWS) -> list[SummaryLine]:
    """Every count the import reports, in the order both the CLI and the app show them."""
    lines = [SummaryLine("rows read", result.rows_read)]
    if result.kind == "orders":
        lines += [
            SummaryLine("orders added", result.orders_added),
            SummaryLine("orders updated", result.orders_updated),
            SummaryLine("orders unchanged", result.orders_unchanged),
        ]
    lines += [
        SummaryLine("customers added", result.customers_added),
        SummaryLine("customers updated", result.customers_updated),
        _rejected(result.rows_rejected, result.errors, shown),
    ]
    if result.warnings:  # applied in part: e.g. an email that belongs to another customer
        lines.append(
            SummaryLine(
                "rows applied in part",
                len(result.warnings),
                "warning",
                result.warnings[:shown],
                max(0, len(result.warnings) - shown),
            )
        )
    if result.consent_suppressed:
        lines.append(
            SummaryLine(
                "marketing yes refused",
                result.consent_suppressed,
                "warning",
                note=SUPPRESSED_NOTE,
            )
        )
    if result.codes_redeemed:  # campaign codes the new or changed orders carried
        lines.append(SummaryLine("campaign codes redeemed", result.codes_redeemed))
    if result.referrals_credited:
        lines.append(SummaryLine("referrals credited", result.referrals_credited))
    if result.referrals_reversed:
        lines.append(SummaryLine("referral credits taken back", result.referrals_reversed))
    if result.points_codes_used:
        lines.append(SummaryLine("loyalty points codes used (points deducted)",
                                 result.points_codes_used))  # fmt: skip
    if result.points_codes_returned:
        lines.append(SummaryLine("loyalty points codes given back (order no longer counts)",
                                 result.points_codes_returned))  # fmt: skip
    if result.codes_reused:
        lines.append(
            SummaryLine(
                "codes used twice or more",
                len(result.codes_reused),
                "warning",
                [reuse_text(reuse) for reuse in result.codes_reused[:shown]],
                max(0, len(result.codes_reused) - shown),
            )
        )
    return lines


def response_lines(result: ResponsesResult, shown: int = SHOWN_ROWS) -> list[SummaryLine]:
    """The counts of `import responses` (core/nps/), in the order they are shown."""
    return [
        SummaryLine("rows read", result.rows_read),
        SummaryLine("answers added", result.responses_added),
        SummaryLine("comments updated", result.responses_updated),
        SummaryLine("answers unchanged", result.responses_unchanged),
        _rejected(result.rows_rejected, result.errors, shown),
    ]


def _rejected(count: int, errors: list[str], shown: int) -> SummaryLine:
    return SummaryLine(
        "rows rejected", count, "bad" if count else "", errors[:shown],
        max(0, count - min(shown, len(errors))),
    )  # fmt: skip


def timing(result: ImportResult | ResponsesResult) -> str:
    if isinstance(result, ResponsesResult):  # read, then one short write: no merge to time
        return f"took {result.seconds:.2f} s"
    return (
        f"took {result.seconds:.2f} s ({result.rows_per_second:,.0f} rows/s), "
        f"of which {result.merge_seconds:.2f} s merging"
    )

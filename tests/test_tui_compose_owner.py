"""The compose screen does not trip the owner up (issue 12): it opens on the template that
drafts the most, Enter leaves the discount field, the dropdowns leave the summary readable,
counts are singular where they should be, messages name the screen's controls, and the
footer shows t, l and d."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.widgets import Input, Select, Static
from textual.widgets._select import SelectOverlay

import tui.screens.compose_planner as compose_planner
from core.compose import (
    Composer,
    Draft,
    FailedDraft,
    TemplateFit,
    best_fit,
    fit_sample,
    parse_discount,
    template_fits,
)
from core.segments import list_segments, segment_customer_ids
from core.store import open_store
from tests.tui_email_fixtures import (  # noqa: F401
    TODAY,
    choose,
    compose_for_segment,
    email_app_fixture,
    home_fixture,
)
from tests.tui_fixtures import (  # noqa: F401
    pilot_test,
    settle,
    shop_db_fixture,
    shown_notices,
    until,
    visible_text,
)
from tui.app import RetainApp
from tui.screens.compose import Audience, ComposeScreen
from tui.screens.compose_text import APP_WORDS, app_words, fit_notice
from tui.screens.export_drafts import ExportScreen
from tui.screens.template_picker import TemplatePickerScreen


def text_of(screen, selector: str) -> str:
    return str(screen.query_one(selector, Static).visual)


def audiences(shop_db: Path) -> dict[str, list[int]]:
    """Every saved segment of the test shop, everyone, and each customer on their own."""
    with open_store(shop_db) as store:
        chosen = {s.name: segment_customer_ids(store, s.name) for s in list_segments(store)}
        everyone = [row[0] for row in store.execute("SELECT id FROM customers ORDER BY id")]
    chosen["everyone"] = everyone
    chosen.update({f"customer {cid}": [cid] for cid in everyone})
    return chosen


def fits_by_drafting(composer: Composer, ids: list[int]) -> dict[str, int]:
    """Each usable template's draft count, found by drafting everyone (the slow, sure way)."""
    counts = {}
    for info in composer.templates(available_only=True):
        discount = parse_discount("10%", currency="EUR") if "discount" in info.needs else None
        items = list(composer.drafts(ids, info.name, discount=discount))
        assert not [item for item in items if isinstance(item, FailedDraft)]
        counts[info.name] = sum(isinstance(item, Draft) for item in items)
    return counts


def test_each_template_counts_what_drafting_decides(
    email_app: RetainApp, shop_db: Path, home: Path
) -> None:
    """`email_app` gives the shop the settings every template needs."""
    with open_store(shop_db) as store:
        composer = Composer(store, home / "templates", today=TODAY)
        names = [info.name for info in composer.templates(available_only=True)]
        assert len(names) >= 2
        for label, ids in audiences(shop_db).items():
            counted = {fit.template: fit.drafted for fit in template_fits(composer, ids, names)}
            assert counted == fits_by_drafting(composer, ids), label


def test_the_best_fit_drafts_the_most_and_the_list_order_breaks_ties() -> None:
    fits = [TemplateFit("a", 3, 9), TemplateFit("b", 5, 9), TemplateFit("c", 5, 9)]
    assert best_fit(fits) == TemplateFit("b", 5, 9)
    assert best_fit([TemplateFit("a", 0, 2), TemplateFit("b", 0, 2)]) == TemplateFit("a", 0, 2)
    assert best_fit([]) is None


def test_a_long_audience_is_counted_on_an_evenly_spread_sample() -> None:
    ids = list(range(1, 101))
    assert fit_sample(ids, 200) is ids
    assert fit_sample(ids, 10) == [1, 11, 21, 31, 41, 51, 61, 71, 81, 91]
    assert len(fit_sample(list(range(70_095)), 5_000)) == 5_000


def test_the_notice_says_when_the_count_was_a_sample() -> None:
    whole = fit_notice(TemplateFit("feedback", 1, 1), 1)
    assert whole == "Opened on feedback: it drafts 1 of 1 customer, the most of any template."
    sampled = fit_notice(TemplateFit("feedback", 4_300, 5_000), 70_095)
    assert sampled == (
        "Opened on feedback: it drafts the most of any template "
        "(4,300 of a sample of 5,000 of the 70,095 customers)."
    )


@pilot_test
async def test_it_opens_on_the_template_that_drafts_the_most(
    email_app: RetainApp, shop_db: Path, home: Path
):
    with open_store(shop_db) as store:
        ids = segment_customer_ids(store, "vip")
        counts = fits_by_drafting(Composer(store, home / "templates", today=TODAY), ids)
    most = max(counts.values())
    expected = next(name for name, n in counts.items() if n == most)  # the first on a tie
    assert expected != next(iter(counts)), "the test needs a segment the first does not fit"
    async with email_app.run_test(size=(80, 24)) as pilot:
        screen = await compose_for_segment(pilot, "vip")
        assert screen.query_one("#template", Select).value == expected
        assert screen.fit is not None and screen.fit.drafted == most
        notices = [n.message for n in shown_notices(email_app)]
        customers = f"{len(ids)} customer" + ("" if len(ids) == 1 else "s")
        assert f"Opened on {expected}: it drafts {most} of {customers}, the most" in notices[-1]


@pilot_test
async def test_a_template_chosen_while_counting_stops_the_count_and_is_kept(
    email_app: RetainApp, monkeypatch: pytest.MonkeyPatch
):
    started = threading.Event()

    def slow_fits(composer, ids, templates):
        started.set()
        composer.store.execute(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1e9) "
            "SELECT count(*) FROM n"
        ).fetchall()  # minutes, unless interrupted
        raise AssertionError("the count was not interrupted")
        yield

    monkeypatch.setattr(compose_planner, "template_fits", slow_fits)
    async with email_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = ComposeScreen(Audience("VIP", segment="vip"), today=TODAY)
        await email_app.push_screen(screen)
        await until(pilot, started.is_set, "the count", workers=False)
        screen.query_one("#template", Select).value = "thank-you"
        await until(
            pilot,
            lambda: (
                screen.plan is not None
                and screen.plan.template == "thank-you"
                and screen.previews > 0
            ),
            workers=False,
        )
        await settle(pilot)
        assert screen.fit is None and screen.query_one("#template", Select).value == "thank-you"
        screen.reload()  # the store changed: the owner's choice stays
        await settle(pilot)
        assert screen.query_one("#template", Select).value == "thank-you"


@pilot_test
async def test_one_customer_one_draft_is_said_in_the_singular(email_app: RetainApp):
    customer = 1  # feedback and win-back draft for this customer
    async with email_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = ComposeScreen(Audience("Anna", customer_ids=(customer,)), today=TODAY)
        await email_app.push_screen(screen)
        await until(pilot, lambda: screen.previews > 0 and screen.plan is not None)
        assert screen.plan.drafted == 1
        assert text_of(screen, "#recipient-summary") == "Anna: 1 customer, 1 gets a draft"
        await choose(pilot, screen, "thank-you")
        summary = text_of(screen, "#recipient-summary")
        assert summary.startswith("Anna: 1 customer, 0 get a draft; left out: 1 ")


@pilot_test
async def test_enter_applies_the_discount_and_keys_are_commands_again(email_app: RetainApp):
    async with email_app.run_test(size=(80, 24)) as pilot:
        screen = await compose_for_segment(pilot, "lapsed")
        await choose(pilot, screen, "win-back")
        field = screen.query_one("#discount", Input)
        await pilot.press("d")
        assert screen.focused is field
        seen = screen.previews
        await pilot.press("1", "0", "%", "enter")
        assert screen.discount is not None and screen.discount.percent == 10  # at once
        assert screen.focused is screen.table
        await pilot.press("t")  # the template picker: a key, not a letter in the field
        assert field.value == "10%"
        assert isinstance(email_app.screen, TemplatePickerScreen)
        await pilot.press("escape")
        await until(pilot, lambda: screen.previews > seen, "the preview with the discount")
        assert "WINBACK10" in text_of(screen, "#preview-head")


@pilot_test
async def test_the_dropdowns_do_not_cover_the_summary_at_80_by_24(email_app: RetainApp):
    async with email_app.run_test(size=(80, 24)) as pilot:
        screen = await compose_for_segment(pilot, "lapsed")
        summary = screen.query_one("#recipient-summary", Static)
        for key in ("l", "t"):
            # `t` opens the template picker; the Select still drops down from the keyboard
            screen.query_one(f"#{'language' if key == 'l' else 'template'}").focus()
            await pilot.press("enter")
            await settle(pilot)
            overlay = screen.query_one(f"#{'language' if key == 'l' else 'template'}")
            options = overlay.query_one(SelectOverlay)
            assert options.display and options.region.height > 1
            assert not options.region.overlaps(summary.region)
            assert "5 get a draft" in visible_text(email_app)
            await pilot.press("escape")
            await settle(pilot)


@pilot_test
async def test_the_footer_shows_template_language_and_discount_at_80_columns(
    email_app: RetainApp,
):
    async with email_app.run_test(size=(80, 24)) as pilot:
        await compose_for_segment(pilot, "lapsed")
        footer = "\n".join(visible_text(email_app).splitlines()[-2:])  # two lines at 80
        for shown in ("t Template", "l Language", "d Discount", "x Export", "n Next", "? Help"):
            assert shown in footer


@pytest.mark.parametrize("option", [option for option, _control in APP_WORDS])
def test_messages_name_the_controls_not_cli_options(option: str) -> None:
    said = app_words(f"nothing was written ({option} something)")
    assert "--" not in said


@pilot_test
async def test_export_says_tick_overwrite_and_a_bad_discount_names_the_field(
    email_app: RetainApp, tmp_path: Path
):
    async with email_app.run_test(size=(80, 24)) as pilot:
        screen = await compose_for_segment(pilot, "lapsed")
        await choose(pilot, screen, "win-back")
        field = screen.query_one("#discount", Input)
        field.focus()
        await pilot.press("1", "0", "x", "enter")
        problem = text_of(screen, "#compose-problem")
        assert problem.startswith("Discount: discount '10x'") and "--" not in problem
        field.value = ""
        field.focus()
        await pilot.press("1", "0", "%", "enter")
        assert screen.discount is not None
        out = tmp_path / "drafts"
        out.mkdir()
        (out / "someone-else.txt").write_text("keep me")
        await pilot.press("x")
        await settle(pilot)
        dialog = email_app.screen
        assert isinstance(dialog, ExportScreen)
        dialog.query_one("#export-path", Input).value = str(out)
        await pilot.press("ctrl+s")
        await until(pilot, lambda: dialog.finished == 1, "the refusal")
        said = text_of(dialog, "#export-summary")
        assert "tick Overwrite" in said and "--" not in said
        assert str(dialog.query_one("#export-overwrite").label) == "Overwrite"

"""The flow form with the prediction and NPS triggers: said back in words as you type,
refused in one line, saved as typed (docs/flows.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.store import open_store
from tests.test_tui_flows import fill, flows_in, open_flows, open_form, text_of
from tests.tui_email_fixtures import EMAIL_SETTINGS
from tests.tui_fixtures import (  # noqa: F401
    app_fixture,
    pilot_test,
    shop_db_fixture,
    until,
)
from tui.app import RetainApp


@pytest.fixture(autouse=True)
def shop_can_mail(shop_db: Path) -> None:
    with open_store(shop_db) as store:
        for key, value in EMAIL_SETTINGS.items():
            store.set_setting(key, value)


@pilot_test
async def test_the_new_triggers_are_said_in_words_and_bad_ones_refused(
    app: RetainApp, shop_db: Path
):
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_flows(pilot)
        form = await open_form(pilot)
        await fill(pilot, form, trigger="p-alive-below:1", delay="0")
        words = " ".join(text_of(form, "#trigger-words").split())
        assert words.startswith("--trigger 'p-alive-below:1': X is a probability between 0")
        await fill(pilot, form, trigger="p-alive-below:0.3")
        assert text_of(form, "#trigger-words") == (
            "✓ Emails each customer on p_alive falling below 0.3."
        )
        await fill(pilot, form, trigger="nps-answer:angry")
        assert "use nps-answer:detractor (scores 0-6)" in " ".join(
            text_of(form, "#trigger-words").split()
        )
        await fill(pilot, form, name="unhappy", trigger="nps-answer:detractor", delay="1",
                   template="thank-you")  # fmt: skip
        assert text_of(form, "#trigger-words") == (
            "✓ Emails each customer 1 day after a score of 0-6."
        )
        await pilot.press("ctrl+s")
        await until(pilot, lambda: app.screen is screen, "back on the list")
    flow = flows_in(shop_db)["unhappy"]
    assert (str(flow.trigger), flow.delay_days, flow.enabled) == ("nps-answer:detractor", 1, False)

"""The compose screen says when a template takes no discount, and will not export one (#12)."""

from __future__ import annotations

from tests.test_tui_compose import notices, text_of, type_discount
from tests.tui_email_fixtures import (  # noqa: F401
    choose,
    compose_for_segment,
    email_app_fixture,
    home_fixture,
)
from tests.tui_fixtures import (  # noqa: F401
    pilot_test,
    settle,
    shop_db_fixture,
)
from tui.app import RetainApp
from tui.screens.export_drafts import ExportScreen


@pilot_test
async def test_a_discount_on_feedback_is_refused_on_screen(email_app: RetainApp):
    async with email_app.run_test(size=(80, 24)) as pilot:
        screen = await compose_for_segment(pilot, "lapsed")
        await choose(pilot, screen, "feedback")
        assert not screen.query_one("#compose-problem").display
        await type_discount(pilot, screen, "10%")
        problem = (
            "template 'feedback' takes no discount (template.toml: discount = refused): "
            "export without a discount"
        )
        assert text_of(screen, "#compose-problem") == problem
        assert "Discount code" not in text_of(screen, "#preview-head")
        await pilot.press("escape", "x")  # out of the field, then export
        await settle(pilot)
        assert not isinstance(pilot.app.screen, ExportScreen)
        assert f"Cannot export yet: {problem}" in notices(pilot.app)

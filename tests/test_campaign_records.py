"""Campaign look-ups (the API the campaigns and codes commands use) and what erasure keeps."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.campaigns import (
    Campaign,
    CampaignRequest,
    UnknownCampaignError,
    campaign_names,
    export_campaign,
    find_campaign,
    require_campaign,
)
from core.compose import Composer, parse_discount
from core.erasure import forget_customers
from tests.clock import campaign_clock
from tests.compose_support import TODAY, build_shop, without_audience


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    campaign_clock(monkeypatch, "2026-11-06T09:00:00+00:00")
    without_audience(tmp_path / "mine", "win-back")
    store = build_shop(tmp_path / "shop.db")
    yield store
    store.close()


def run(store, tmp_path: Path, name: str, ids: list[int]) -> None:
    composer = Composer(store, tmp_path / "mine", today=TODAY)
    discount = parse_discount("10%", currency="EUR")
    request = CampaignRequest(audience="customers", audience_detail={"customers": ids}, name=name)
    export_campaign(composer, request, ids, "win-back", tmp_path / f"{name}.csv", fmt="csv",
                    discount=discount)  # fmt: skip


def test_campaigns_are_found_by_name(shop, tmp_path: Path) -> None:
    run(shop, tmp_path, "first", [1, 2])
    run(shop, tmp_path, "second", [3])
    assert campaign_names(shop) == ["first", "second"]
    found = find_campaign(shop, "first")
    assert isinstance(found, Campaign)
    assert (found.name, found.template, found.kind, found.audience) == (
        "first", "win-back", "marketing", "customers")  # fmt: skip
    assert found.discount is not None and found.discount["kind"] == "percent"
    assert found.discount["value"] == 1000 and found.discount["prefix"] == "WINBACK"
    assert found.audience_detail == {"customers": [1, 2]}
    assert (found.created_at, found.holdout_percent) == ("2026-11-06T09:00:00+00:00", 0)
    assert find_campaign(shop, "third") is None
    with pytest.raises(UnknownCampaignError, match=r"no campaign named 'third' \(campaigns: "
                       r"first, second\)"):  # fmt: skip
        require_campaign(shop, "third")


def test_an_unknown_name_in_an_empty_shop_says_there_is_none(shop) -> None:
    with pytest.raises(UnknownCampaignError, match=r"no campaign named 'x' \(no campaign yet\)"):
        require_campaign(shop, "x")


def test_forgetting_a_person_keeps_their_campaign_rows(shop, tmp_path: Path) -> None:
    run(shop, tmp_path, "first", [1, 2])
    before = shop.execute(
        "SELECT * FROM campaign_recipients ORDER BY customer_id").fetchall()  # fmt: skip
    codes = shop.execute("SELECT code, customer_id FROM discount_codes ORDER BY 2").fetchall()
    forget_customers(shop, [1])
    assert shop.execute("SELECT * FROM campaign_recipients ORDER BY customer_id").fetchall() == (
        before)  # fmt: skip
    assert shop.execute("SELECT code, customer_id FROM discount_codes ORDER BY 2").fetchall() == (
        codes)  # fmt: skip


def test_a_preview_says_a_capped_customer_would_be_left_out(shop, tmp_path: Path) -> None:
    run(shop, tmp_path, "first", [1])
    composer = Composer(shop, tmp_path / "mine", today=TODAY)
    discount = parse_discount("10%", currency="EUR")
    assert composer.render(1, "win-back", discount=discount).excluded == "contacted_recently"
    assert composer.render(2, "win-back", discount=discount).excluded is None
    assert composer.render(1, "thank-you").excluded != "contacted_recently"  # transactional
    composer.min_gap_days = 0
    assert composer.render(1, "win-back", discount=discount).excluded is None

"""`customer.p_alive` and `customer.clv` in email templates, from the stored predictions."""

from __future__ import annotations

from pathlib import Path

from core.predict.stored import save_predictions
from tests.compose_support import FOOTER_EN, build_shop, composer_for, write_template

FIT = {
    "as_of": "2024-11-30", "horizon_days": 365, "monthly_discount_rate": 0.01,
    "time_unit": "weeks", "r": 0.24, "alpha": 4.4, "a": 0.79, "b": 2.4, "p": 6.2, "q": 3.7,
    "v": 15.4, "customers": 1, "repeat_customers": 1, "revenue_90_days": 100,
}  # fmt: skip


def test_templates_see_the_customers_predictions(tmp_path: Path) -> None:
    shop = build_shop()
    save_predictions(shop, FIT, [(1, 0.8342, 2.5, 3550, 123456)])
    text = (
        "{{ customer.p_alive }}|{{ customer.clv|money if customer.clv is not none }}|"
        "{{ customer.clv }}\n"
    )
    write_template(tmp_path, "pred", {"en.subject.txt": "x", "en.txt": text + FOOTER_EN})
    composer = composer_for(shop, tmp_path)
    assert composer.compiled(composer.template("pred"), "en").needs.segments
    first = composer.render(1, "pred").text.splitlines()[0]
    assert first == "0.8342|1.234,56\xa0€|1234.56"  # customer 1 reads German
    assert composer.render(2, "pred").text.splitlines()[0] == "None||None"  # no prediction

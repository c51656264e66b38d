"""core/predict's formulas against direct, slow evaluations of the papers' equations.

The references here use only `math` (no scipy): BG/NBD's likelihood is the paper's equation
(6) as written (a sum of two products, no logs), Gamma-Gamma's is the integral over ν of the
Gamma density of the mean, summed numerically; the hypergeometric function is its series.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.predict import bgnbd, gamma_gamma
from core.predict.bgnbd import BgNbd
from core.predict.fitting import FitError, fit_bgnbd, fit_gamma_gamma
from core.predict.gamma_gamma import GammaGamma
from core.predict.history import History
from core.predict.scoring import DAYS_PER_MONTH, fit_check, score

CDNOW = BgNbd(r=0.243, alpha=4.414, a=0.793, b=2.426)
SPEND = GammaGamma(p=6.25, q=3.74, v=15.44)


def beta(a: float, b: float) -> float:
    return math.gamma(a) * math.gamma(b) / math.gamma(a + b)


def slow_bgnbd_likelihood(params: BgNbd, x: int, t_x: float, big_t: float) -> float:
    """Fader, Hardie & Lee (2005), equation (6), term by term."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    common = math.gamma(r + x) * alpha**r / math.gamma(r)
    first = beta(a, b + x) / beta(a, b) * common / (alpha + big_t) ** (r + x)
    second = 0.0
    if x > 0:
        second = beta(a + 1, b + x - 1) / beta(a, b) * common / (alpha + t_x) ** (r + x)
    return first + second


def slow_gamma_gamma_density(params: GammaGamma, x: int, m: float) -> float:
    """f(m | x) = ∫ Gamma(m; px, νx) · Gamma(ν; q, γ) dν, by Simpson's rule in plain Python."""
    p, q, v = params.p, params.q, params.v

    def integrand(nu: float) -> float:
        shape, rate = p * x, nu * x
        mean_density = math.exp(
            shape * math.log(rate) + (shape - 1) * math.log(m) - rate * m - math.lgamma(shape)
        )
        nu_density = math.exp(q * math.log(v) + (q - 1) * math.log(nu) - v * nu - math.lgamma(q))
        return mean_density * nu_density

    # ν ~ Gamma(q, γ) has mean q/γ; integrate far enough past it, in log-spaced pieces.
    top = 60.0 * max(q / v, p / m)
    steps = 20_000
    width = top / steps
    total = integrand(width * 1e-6) + integrand(top)
    for i in range(1, steps):
        total += (4 if i % 2 else 2) * integrand(i * width)
    return total * width / 3


def series_hyp2f1(a: float, b: float, c: float, z: float) -> float:
    total, term, n = 1.0, 1.0, 0
    while abs(term) > 1e-15 * abs(total) or n < 5:
        term *= (a + n) * (b + n) / ((c + n) * (n + 1)) * z
        total += term
        n += 1
    return total


histories = st.tuples(
    st.integers(min_value=0, max_value=30),
    st.floats(min_value=0.0, max_value=1.0),
    st.floats(min_value=0.1, max_value=80.0),
).map(lambda v: (v[0], 0.0 if v[0] == 0 else v[1] * v[2], v[2]))
parameters = st.builds(
    BgNbd,
    r=st.floats(0.05, 5.0),
    alpha=st.floats(0.5, 30.0),
    a=st.floats(0.1, 5.0),
    b=st.floats(0.5, 10.0),
)


@settings(max_examples=200, deadline=None)
@given(params=parameters, history=histories)
def test_the_bgnbd_log_likelihood_is_the_papers_equation_6(
    params: BgNbd, history: tuple[int, float, float]
) -> None:
    x, t_x, big_t = history
    ours = bgnbd.log_likelihood(params, np.array([float(x)]), np.array([t_x]), np.array([big_t]))
    assert ours[0] == pytest.approx(math.log(slow_bgnbd_likelihood(params, x, t_x, big_t)),
                                    rel=1e-9, abs=1e-9)  # fmt: skip


@pytest.mark.parametrize(("x", "m"), [(1, 12.0), (2, 30.5), (5, 8.0), (12, 55.0)])
def test_the_gamma_gamma_log_likelihood_is_the_integral_over_nu(x: int, m: float) -> None:
    ours = gamma_gamma.log_likelihood(SPEND, np.array([float(x)]), np.array([m]))
    assert ours[0] == pytest.approx(math.log(slow_gamma_gamma_density(SPEND, x, m)), abs=1e-6)


def test_a_hand_checked_likelihood() -> None:
    # x = 0, T = 1, r = α = a = b = 1: Γ(1)·1/(Γ(1)·2) · B(1,1)/B(1,1) = 1/2.
    ones = BgNbd(1.0, 1.0, 1.0, 1.0)
    ll = bgnbd.log_likelihood(ones, np.array([0.0]), np.array([0.0]), np.array([1.0]))
    assert ll[0] == pytest.approx(math.log(0.5))


@settings(max_examples=30, deadline=None)
@given(params=parameters, data=st.lists(histories, min_size=3, max_size=12))
def test_the_bgnbd_gradient_is_the_slope_of_the_likelihood(
    params: BgNbd, data: list[tuple[int, float, float]]
) -> None:
    x, t_x, big_t = (np.array(column, dtype=float) for column in zip(*data, strict=True))
    weights = np.ones_like(x)
    point = np.log([params.r, params.alpha, params.a, params.b])
    _value, gradient = bgnbd.negative_log_likelihood(point, x, t_x, big_t, weights)
    for i in range(4):
        step = np.zeros(4)
        step[i] = 1e-6
        up, _ = bgnbd.negative_log_likelihood(point + step, x, t_x, big_t, weights)
        down, _ = bgnbd.negative_log_likelihood(point - step, x, t_x, big_t, weights)
        assert gradient[i] == pytest.approx((up - down) / 2e-6, rel=1e-4, abs=1e-6)


def test_the_gamma_gamma_gradient_is_the_slope_of_the_likelihood() -> None:
    x = np.array([1.0, 2.0, 3.0, 7.0, 1.0])
    m = np.array([10.0, 35.5, 20.0, 12.25, 80.0])
    point = np.log([3.0, 2.5, 20.0])
    data = gamma_gamma.SpendData.of(x, m)
    value, gradient = gamma_gamma.negative_log_likelihood(point, data)
    per_customer = gamma_gamma.log_likelihood(GammaGamma(3.0, 2.5, 20.0), x, m)
    assert value == pytest.approx(-per_customer.mean(), rel=1e-12)
    for i in range(3):
        step = np.zeros(3)
        step[i] = 1e-6
        up, _ = gamma_gamma.negative_log_likelihood(point + step, data)
        down, _ = gamma_gamma.negative_log_likelihood(point - step, data)
        assert gradient[i] == pytest.approx((up - down) / 2e-6, rel=1e-5)


def slow_p_alive(params: BgNbd, x: int, t_x: float, big_t: float) -> float:
    """P(alive) = 1 / (1 + a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)), x > 0 (Fader et al., note 021)."""
    if x == 0:
        return 1.0
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    return 1 / (1 + a / (b + x - 1) * ((alpha + big_t) / (alpha + t_x)) ** (r + x))


@settings(max_examples=200, deadline=None)
@given(params=parameters, history=histories, later=st.floats(0.0, 1.0))
def test_p_alive_rises_with_recency_at_equal_frequency_and_age(
    params: BgNbd, history: tuple[int, float, float], later: float
) -> None:
    x, t_x, big_t = history
    more_recent = t_x + later * (big_t - t_x)
    both = bgnbd.p_alive(params, np.array([float(x)] * 2), np.array([t_x, more_recent]),
                         np.array([big_t] * 2))  # fmt: skip
    assert both[0] == pytest.approx(slow_p_alive(params, x, t_x, big_t), rel=1e-9)
    assert 0 <= both[0] <= both[1] + 1e-12 <= 1 + 1e-12


def test_the_expected_transactions_of_a_new_customer_are_the_papers_equation_9() -> None:
    # A customer seen at time 0 with nothing yet (x = 0, T = 0) is a random new customer:
    # E[X(t)] = (a+b−1)/(a−1) · [1 − (α/(α+t))^r · 2F1(r, b; a+b−1; t/(α+t))].
    r, alpha, a, b = CDNOW.r, CDNOW.alpha, CDNOW.a, CDNOW.b
    for t in (1.0, 13.0, 39.0, 78.0):
        expected = (
            (a + b - 1)
            / (a - 1)
            * (1 - (alpha / (alpha + t)) ** r * series_hyp2f1(r, b, a + b - 1, t / (alpha + t)))
        )
        ours = bgnbd.expected_transactions(CDNOW, t, np.zeros(1), np.zeros(1), np.zeros(1))
        assert ours[0] == pytest.approx(expected, rel=1e-9)


def test_the_count_probabilities_add_up_to_one() -> None:
    t = np.array([0.5, 10.0, 39.0, 200.0])
    total = sum(bgnbd.probability_of_count(CDNOW, n, t) for n in range(400))
    assert total == pytest.approx(np.ones(4), abs=1e-6)


def test_expected_spend_shrinks_the_own_mean_towards_the_population_mean() -> None:
    spend = gamma_gamma.expected_spend(
        SPEND, np.array([0.0, 1.0, 50.0]), np.array([0.0, 99.0, 99.0])
    )
    population = 6.25 * 15.44 / 2.74
    assert spend[0] == pytest.approx(population)
    own = 6.25 / (6.25 + 2.74)  # p·x / (p·x + q − 1) at x = 1
    assert spend[1] == pytest.approx((1 - own) * population + own * 99.0)
    assert population < spend[1] < spend[2] < 99.0


def one_customer(x: int, t_x_days: int, age_days: int, m: float) -> History:
    from datetime import date

    return History(
        as_of=date(2024, 1, 1),
        ids=np.array([1]),
        x=np.array([float(x)]),
        t_x=np.array([t_x_days / 7]),
        big_t=np.array([age_days / 7]),
        m=np.array([m]),
    )


def test_clv_without_discounting_is_expected_orders_times_spend() -> None:
    history = one_customer(3, 200, 300, 40.0)
    scores = score(history, CDNOW, SPEND, 365, 0.0)
    assert scores.clv[0] == pytest.approx(scores.expected_orders[0] * scores.expected_spend[0])


def test_clv_discounts_each_month_by_the_monthly_rate() -> None:
    history = one_customer(3, 200, 300, 40.0)
    rate = 0.05
    scores = score(history, CDNOW, SPEND, 50, rate)  # a month and 19.56 days
    x, t_x, big_t = history.x, history.t_x, history.big_t
    month_1 = bgnbd.expected_transactions(CDNOW, DAYS_PER_MONTH / 7, x, t_x, big_t)[0]
    both = bgnbd.expected_transactions(CDNOW, 50 / 7, x, t_x, big_t)[0]
    by_hand = month_1 / 1.05 + (both - month_1) / 1.05 ** (50 / DAYS_PER_MONTH)
    assert scores.clv[0] == pytest.approx(by_hand * scores.expected_spend[0])
    assert scores.expected_orders[0] == pytest.approx(both)


def test_the_fit_check_counts_customers_by_repeat_transactions() -> None:
    from datetime import date

    x = np.array([0, 0, 1, 3, 7, 9], dtype=float)
    history = History(date(2024, 1, 1), np.arange(6), x, x, np.full(6, 20.0), np.zeros(6))
    rows = fit_check(history, CDNOW)
    assert [row.repeat_transactions for row in rows] == ["0", "1", "2", "3", "4", "5", "6", "7+"]
    assert [row.actual for row in rows] == [2, 1, 0, 1, 0, 0, 0, 2]
    assert sum(row.expected for row in rows) == pytest.approx(6)
    p_none = bgnbd.probability_of_count(CDNOW, 0, np.array([20.0]))[0]
    assert rows[0].expected == pytest.approx(6 * p_none)


def test_a_fit_recovers_the_parameters_of_simulated_customers() -> None:
    rng = np.random.default_rng(7)
    truth = BgNbd(r=0.5, alpha=6.0, a=0.8, b=3.0)
    n = 20_000
    rate = rng.gamma(truth.r, 1 / truth.alpha, n)
    drop = rng.beta(truth.a, truth.b, n)
    big_t = rng.uniform(10, 60, n)
    x, t_x = np.zeros(n), np.zeros(n)
    for i in range(n):
        clock, count = 0.0, 0
        while True:
            clock += rng.exponential(1 / rate[i])
            if clock > big_t[i]:
                break
            count += 1
            x[i], t_x[i] = count, clock
            if rng.random() < drop[i]:
                break
    fitted = fit_bgnbd(x, t_x, big_t).params
    assert fitted.r == pytest.approx(truth.r, rel=0.15)
    assert fitted.alpha == pytest.approx(truth.alpha, rel=0.2)
    assert fitted.a == pytest.approx(truth.a, rel=0.25)
    assert fitted.b == pytest.approx(truth.b, rel=0.3)


def test_a_fit_that_cannot_converge_is_refused() -> None:
    # Every customer's order values identical: the spend of a customer does not vary, so
    # the Gamma-Gamma shape p runs off to infinity.
    x = np.full(300, 3.0)
    m = np.full(300, 20.0)
    with pytest.raises(FitError, match="Gamma-Gamma"):
        fit_gamma_gamma(x, m)

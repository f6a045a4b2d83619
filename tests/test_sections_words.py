"""The words of the sections: a trend sentence never contradicts itself, whatever the weeks cost."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from vaultledger.notes.trend import (
    FLAT_PERCENT_HALVES, FLAT_PERCENT_PER_WEEK, Trend, change_words, signed_percent, standouts, trend_of,
)

SENTENCE = re.compile(
    r"^(?P<verdict>Steady|Rising|Falling|Slightly rising|Slightly falling|Uneven): "
    r"(?:the weekly line is about flat|about (?P<slope>[+−]\d+) % a week), (?:and|but|though) "
    r"the second half cost (?:about the same as the first \(\$[\d,.]+ against \$[\d,.]+\)"
    r"|\$[\d,.]+, (?P<halves>\d+) % (?P<more>more|less) than the first \(\$[\d,.]+\)"
    r"|\$[\d,.]+ where the first cost nothing)\.$"
)
costs = st.decimals(min_value=0, max_value=500, places=2)


def direction_of(number: int) -> int:
    return (number > 0) - (number < 0)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(costs, st.integers(1, 7)), min_size=0, max_size=16), costs, costs)
def test_a_trend_sentence_says_what_its_figures_say(weeks: list[tuple[Decimal, int]], first: Decimal,
                                                    second: Decimal) -> None:
    trend = trend_of(weeks, (first, second))
    sentence = trend.sentence
    if trend.direction is None:
        assert sentence == "Too few weeks with usage to tell a trend."
        return
    found = SENTENCE.match(sentence)
    assert found is not None, sentence
    slope = int(found["slope"].replace("−", "-")) if found["slope"] else 0
    if "where the first cost nothing" in sentence:
        halves = 1
    else:
        halves = (1 if found["more"] == "more" else -1) if found["halves"] else 0
    assert abs(slope) >= FLAT_PERCENT_PER_WEEK or slope == 0, sentence  # a shown slope is past the flat line
    assert not found["halves"] or int(found["halves"]) >= FLAT_PERCENT_HALVES, sentence
    verdict = found["verdict"]
    signs = {direction_of(slope), halves}
    expected = {"Steady": {0}, "Rising": {1}, "Falling": {-1}, "Uneven": {1, -1},
                "Slightly rising": {0, 1}, "Slightly falling": {0, -1}}[verdict]
    assert signs == expected, sentence


def test_a_flat_line_with_a_busier_second_half_is_called_slightly_rising() -> None:
    weeks = [(Decimal(7), 7)] * 6
    assert trend_of(weeks, (Decimal(20), Decimal(24))).sentence == (
        "Slightly rising: the weekly line is about flat, but the second half cost $24.00, 20 % more than "
        "the first ($20.00).")


def test_weeks_with_usage_below_three_tell_no_trend() -> None:
    trend = trend_of([(Decimal(0), 7), (Decimal(5), 7), (Decimal(0), 7), (Decimal(9), 7)], (Decimal(5), Decimal(9)))
    assert trend.percent_per_week is None and trend.sentence == "Too few weeks with usage to tell a trend."


def test_the_weeks_that_stood_out_are_the_far_ones_biggest_first() -> None:
    rates = [Decimal(v) for v in ("1.0", "1.1", "0.9", "1.5", "1.0", "0.5")]
    assert standouts(rates) == [(3, 50.0), (5, -50.0)]  # equally far: in week order
    assert standouts(rates[:2]) == []


@pytest.mark.parametrize(("now", "before", "calls", "relative", "words"), [
    (Decimal(12), Decimal(10), 3, "", "20 % more than 2026-W10, which cost $10.00"),
    (Decimal(8), Decimal(10), 3, "last week", "20 % less than last week (2026-W10), which cost $10.00"),
    (Decimal("10.01"), Decimal(10), 3, "", "About the same as 2026-W10, which cost $10.00"),
    (Decimal(5), Decimal(0), 0, "", "No usage logged in 2026-W10"),
    (Decimal(5), Decimal(0), 0, "last week", "No usage logged last week (2026-W10)"),
    (Decimal(5), Decimal(0), 4, "", "2026-W10 cost nothing: its calls were free or unpriced"),
])
def test_the_change_against_the_previous_period_in_words(now: Decimal, before: Decimal, calls: int, relative: str,
                                                         words: str) -> None:
    assert change_words(now, before, calls, "2026-W10", relative) == words


@pytest.mark.parametrize(("percent", "shown"), [(12.4, "+12 %"), (-7.6, "−8 %"), (0.2, "+<1 %"), (0, "0 %")])
def test_signed_percentages_never_round_a_change_to_nothing(percent: float, shown: str) -> None:
    assert signed_percent(percent) == shown


def test_old_template_words_are_still_there_for_copied_templates() -> None:
    trend = Trend(1.0, Decimal(1), Decimal(2))
    assert trend.slope_words == "flat week over week" and trend.halves_words.startswith("second half $2.00")

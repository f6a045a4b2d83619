"""Charts as SVG text made here, so a dashboard needs no chart library and no network.

Every label goes through `html.escape`; colours are CSS classes (`series-0` …), so the page's
stylesheet picks them for light and dark themes alike.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

SERIES_COLOURS = 8  # classes series-0 … series-7; further series reuse them in turn

# Room around the plot, in SVG user units.
_LEFT, _RIGHT, _TOP, _BOTTOM = 64, 12, 12, 36
# A fixed canvas: a year of days makes thinner bars, not a wider chart the page would shrink to a strip.
_WIDTH, _HEIGHT = 1080, 300


@dataclass(frozen=True)
class StackedBars:
    """Bars over `labels` (e.g. days), each stacked from the series' values at that position."""

    labels: Sequence[str]
    series: Sequence[tuple[str, Sequence[Decimal]]]  # (name, one value per label), bottom first
    title: str
    value_text: Callable[[Decimal], str]  # how a value reads in tooltips and on the axis ($1.23)
    tick_labels: Sequence[str] | None = None  # shorter labels under the bars (default: the labels)

    def totals(self) -> list[Decimal]:
        return [sum((values[index] for _, values in self.series), Decimal(0)) for index in range(len(self.labels))]


def stacked_bar_svg(chart: StackedBars) -> str:
    """The chart as one `<svg>` element with a title, axis ticks and a `<title>` tooltip per bar part."""
    width = _WIDTH
    top = nice_top(max(chart.totals(), default=Decimal(0)))
    parts = [f'<svg class="chart" role="img" aria-label="{html.escape(chart.title)}" viewBox="0 0 {width} {_HEIGHT}" '
             f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{html.escape(chart.title)}</title>"]
    parts += _y_axis(top, width, chart.value_text)
    parts += _bars(chart, top, width)
    parts += _x_labels(chart.tick_labels or chart.labels, width)
    parts.append("</svg>")
    return "\n".join(parts)


def nice_top(value: Decimal) -> Decimal:
    """The smallest 1, 2 or 5 × 10ⁿ at or above `value` (1 for nothing), so ticks fall on round numbers."""
    if value <= 0:
        return Decimal(1)
    step = Decimal(1).scaleb(value.adjusted())
    for factor in (1, 2, 5, 10):
        if step * factor >= value:
            return step * factor
    return step * 10  # unreachable: 10 × 10ⁿ exceeds any value of exponent n


def _plot_height() -> int:
    return _HEIGHT - _TOP - _BOTTOM


def _y_of(value: Decimal, top: Decimal) -> float:
    return _TOP + _plot_height() * (1 - float(value / top))


def _y_axis(top: Decimal, width: int, value_text: Callable[[Decimal], str]) -> list[str]:
    # 2 × 10ⁿ reads best in quarters (0.5 steps), 1 and 5 × 10ⁿ in fifths (0.2 and 1 steps).
    intervals = 4 if top.scaleb(-top.adjusted()) == 2 else 5
    lines = []
    for tick in range(intervals + 1):
        value = top * tick / intervals
        y = _y_of(value, top)
        lines.append(f'<line class="grid" x1="{_LEFT}" y1="{y:.1f}" x2="{width - _RIGHT}" y2="{y:.1f}"/>')
        lines.append(f'<text class="axis" x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
                     f"{html.escape(value_text(value))}</text>")
    return lines


def _bars(chart: StackedBars, top: Decimal, width: int) -> list[str]:
    step = (width - _LEFT - _RIGHT) / max(len(chart.labels), 1)
    bar = max(step * 0.8, 1.0)
    shapes = []
    for index, label in enumerate(chart.labels):
        below = Decimal(0)
        x = _LEFT + step * index + (step - bar) / 2
        for number, (name, values) in enumerate(chart.series):
            value = values[index]
            if value <= 0:
                continue
            y_top, y_bottom = _y_of(below + value, top), _y_of(below, top)
            tip = f"{label} · {name}: {chart.value_text(value)}"
            shapes.append(f'<rect class="series-{number % SERIES_COLOURS}" x="{x:.1f}" y="{y_top:.1f}" '
                          f'width="{bar:.1f}" height="{max(y_bottom - y_top, 0.5):.1f}">'
                          f"<title>{html.escape(tip)}</title></rect>")
            below += value
    return shapes


def _x_labels(labels: Sequence[str], width: int) -> list[str]:
    """Some labels under the bars: as many as fit without overlapping, the first and last among them."""
    if not labels:
        return []
    step = (width - _LEFT - _RIGHT) / len(labels)
    room = 7 * max(map(len, labels)) + 20  # an 11px label's width, about, and a gap
    every = max(1, math.ceil(room / step))
    chosen = sorted({*range(0, len(labels), every), len(labels) - 1})
    if len(chosen) > 1 and chosen[-1] - chosen[-2] < every:
        chosen.pop(-2)  # the last label always shows; the one before it would overlap it
    y = _HEIGHT - _BOTTOM + 18
    return [f'<text class="axis" x="{_LEFT + step * (index + 0.5):.1f}" y="{y}" text-anchor="middle">'
            f"{html.escape(labels[index])}</text>" for index in chosen]

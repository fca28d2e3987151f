"""Bar charts a person can read at a glance, drawn on the server.

A chart is a list of bars, one a line: its label and its figure as words (which wrap on a
phone), and under them a bar drawn in SVG, its length a percentage of the chart's width so it
fits any screen without shrinking the words. A bar may stack two series: the first solid, the
second hatched, told apart by pattern as well as shade. Screen readers get one sentence for the
chart and the full figures in the table that always follows it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from transparency.tables import Table

SOLID = "solid"
HATCHED = "hatched"
MOST_BARS = 20


@dataclass(frozen=True)
class Series:
    label: str
    style: str = SOLID


@dataclass(frozen=True)
class Segment:
    x: float  # per cent of the chart's width
    width: float
    style: str


@dataclass
class Bar:
    label: str
    text: str
    segments: list[Segment]


@dataclass
class Chart:
    id: str
    title: str
    series: list[Series]
    bars: list[Bar]
    summary: str
    note: str = ""

    @property
    def legend(self) -> bool:
        return len(self.series) > 1


@dataclass
class Section:
    """One figure of a dashboard: its chart and the table behind it."""

    id: str
    title: str
    chart: Chart | None
    table: Table
    intro: str = ""
    extra: list[Table] = field(default_factory=list)


def bar_chart(
    *,
    id: str,
    title: str,
    series: Sequence[Series],
    items: Sequence[tuple[str, Sequence[int | float]]],
    text: Callable[[Sequence[int | float]], str],
    summary: Callable[[str, Sequence[int | float]], str] | None = None,
    largest_first: bool = True,
    empty: str = "Nothing to show yet.",
) -> Chart:
    """`items` are (label, one value per series). Bars longest first (or in the order given),
    at most MOST_BARS of them; the table below the chart holds every row."""
    rows = [(label, list(values)) for label, values in items]
    if largest_first:
        rows.sort(key=lambda r: -sum(r[1]))
    note = ""
    if len(rows) > MOST_BARS:
        note = f"The {MOST_BARS} largest of {len(rows)}; the table below has them all."
        rows = rows[:MOST_BARS]
    longest = max((sum(v) for _, v in rows), default=0)
    if longest <= 0:
        return Chart(id, title, list(series), [], empty, "")
    bars = []
    for label, values in rows:
        segments, x = [], 0.0
        for value, one in zip(values, series, strict=True):
            width = 0.0 if longest <= 0 or value <= 0 else max(0.5, 100.0 * value / longest)
            segments.append(Segment(round(x, 2), round(min(width, 100.0 - x), 2), one.style))
            x += width
        bars.append(Bar(label, text(values), segments))
    if summary is not None:
        sentence = summary(bars[0].label, rows[0][1])
    else:
        sentence = f"{title}. Largest: {bars[0].label}, {bars[0].text}."
    return Chart(id, title, list(series), bars, sentence, note)

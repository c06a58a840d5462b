"""The registry over time: how many substances each regime controlled, drawn by the server.

The home page shows, for one jurisdiction, the number of distinct named substances in force per
regime (narcotic drugs, psychotropic substances, non-medical substances, precursor chemicals) on
every day from 2014 to the chosen end, as step lines, with each instrument's effective date
marked on the time axis. The figures change only on the days a listing starts or ends, so they
are computed for those days alone, from one read of the listings.

The geometry is computed here, in SVG user units; the template draws it, so that every word on
the chart goes through the page's translations and every text is escaped. The table of the same
figures is the chart's text alternative.
"""

import datetime
from dataclasses import dataclass, field

from registry.models import Instrument, Listing, Schedule

START = datetime.date(2014, 1, 1)
WIDTH, HEIGHT = 760, 300
LEFT, RIGHT, TOP, BOTTOM = 52, 18, 14, 44
REGIMES = Schedule.Regime.values


@dataclass
class Series:
    """One regime's line: its step path and the counts it passes through."""

    regime: str
    label: str
    path: str
    last: int


@dataclass
class Marker:
    """An instrument on the time axis."""

    x: float
    date: datetime.date
    instruments: list[Instrument]


@dataclass
class Row:
    """The figures of one day on which something changed, for the table."""

    date: datetime.date
    counts: list[int]
    classes: int
    instruments: list[Instrument] = field(default_factory=list)


@dataclass
class Chart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    series: list[Series]
    markers: list[Marker]
    x_ticks: list[tuple[float, int]]
    y_ticks: list[tuple[float, int]]
    rows: list[Row]
    start: datetime.date
    end: datetime.date
    regimes: list[tuple[str, str]]


def _nice_ceiling(value: int) -> int:
    """The next round number at or above `value` (50, 100, 200, 250, 500, ...)."""
    if value <= 10:
        return 10
    step = 10
    while True:
        for factor in (1, 2, 2.5, 5):
            top = int(step * factor)
            if top >= value:
                return top
        step *= 10


def build_chart(*, end: datetime.date, jurisdiction: str = "CN", start: datetime.date = START):
    """The chart of counts per regime from `start` to `end` (inclusive) in one jurisdiction."""
    end = max(end, start + datetime.timedelta(days=1))
    listings = list(
        Listing.objects.in_jurisdiction(jurisdiction)
        .filter(effective_from__lte=end)
        .values_list(
            "schedule__regime",
            "substance_id",
            "substance_class_id",
            "effective_from",
            "effective_to",
        )
        .order_by()
    )
    instruments = list(
        Instrument.objects.filter(
            jurisdiction__code__iexact=jurisdiction, effective_on__gte=start, effective_on__lte=end
        ).order_by("effective_on", "uid")
    )
    days = {start}
    for _regime, _s, _c, begins, ends in listings:
        days.update(d for d in (begins, ends) if d and start < d <= end)
    days.update(i.effective_on for i in instruments)
    rows = []
    for day in sorted(days):
        in_force = [row for row in listings if row[3] <= day and (row[4] is None or row[4] > day)]
        counts = [
            len({row[1] for row in in_force if row[0] == regime and row[1]}) for regime in REGIMES
        ]
        classes = len({row[2] for row in in_force if row[2]})
        rows.append(Row(day, counts, classes, [i for i in instruments if i.effective_on == day]))

    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    span = (end - start).days
    top_count = _nice_ceiling(max((max(r.counts) for r in rows), default=0))

    def x(day: datetime.date) -> float:
        return round(LEFT + (day - start).days / span * plot_w, 1)

    def y(count: int) -> float:
        return round(TOP + plot_h - count / top_count * plot_h, 1)

    labels = dict(Schedule.Regime.choices)
    series = []
    for position, regime in enumerate(REGIMES):
        if not any(r.counts[position] for r in rows):
            continue
        first = rows[0]
        path = [f"M{x(first.date)} {y(first.counts[position])}"]
        for row in rows[1:]:
            path.append(f"H{x(row.date)} V{y(row.counts[position])}")
        path.append(f"H{x(end)}")
        series.append(Series(regime, labels[regime], " ".join(path), rows[-1].counts[position]))

    x_ticks = [
        (x(datetime.date(year, 1, 1)), year)
        for year in range(start.year, end.year + 1)
        if start <= datetime.date(year, 1, 1) <= end
    ]
    y_ticks = [(y(top_count * i // 5), top_count * i // 5) for i in range(6)]
    markers = [Marker(x(r.date), r.date, r.instruments) for r in rows if r.instruments]
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=WIDTH - RIGHT,
        plot_top=TOP,
        plot_bottom=HEIGHT - BOTTOM,
        series=series,
        markers=markers,
        x_ticks=x_ticks,
        y_ticks=y_ticks,
        rows=rows,
        start=start,
        end=end,
        regimes=[(regime, labels[regime]) for regime in REGIMES],
    )

"""Chart geometry for server-drawn SVG: no JavaScript, no inline styles.

The functions here only compute where things go (bars, labels, grid and target lines) as
dataclasses; ``templates/reports/_charts.html`` writes the SVG and CSS classes give the
colours. Across, every position is a percentage of the plot's width; down, it is in CSS
pixels. So a chart fills whatever width the page gives it while its text stays at its CSS
size (12 px) on a 360 px phone and on a desktop alike: the SVG has no ``viewBox`` to scale
its text down (issue 16: text shrank to 5-8 px on phones). Tick labels sit left of the plot,
in the figure's padding.

The dashboard charts are built from the same :class:`~lms.plugins.reports.dashboard.Table`
objects as the tables beside them (each cell keeps its number in ``value``), so a chart
cannot disagree with its table and no figure is queried twice.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import has_app_context
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from markupsafe import Markup, escape

WIDTH = 100.0  # across: percent of the plot's width
PLOT_END = 78.0  # a row chart's bars end here at most; the rest holds each bar's value
FONT = 12  # CSS pixels, the smallest text a chart draws
LABEL_ROOM = 20  # the label line above each horizontal bar
BAR_THICKNESS = 14
ROW_GAP = 8
COLUMN_PLOT_HEIGHT = 180
LABEL_CHARS = 40  # a row label's characters that fit a 300 px phone plot at 12 px
@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    value: float
    label: str  # the category (shown on the axis or above the bar)
    value_label: str  # the number as shown
    series: int = 0  # CSS class chart-series-N
    minor: bool = False  # an axis label hidden on narrow screens (every other month)
    label_x: float = 0.0
    label_y: float = 0.0
    value_x: float = 0.0
    value_y: float = 0.0


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    label: str = ""
    label_x: float = 0.0
    label_y: float = 0.0
    anchor: str = "start"


@dataclass
class Chart:
    """One chart: ``kind`` is ``columns`` (vertical bars) or ``rows`` (horizontal bars)."""

    key: str
    kind: str
    title: str
    desc: str
    width: float
    height: float
    bars: list[Bar] = field(default_factory=list)
    grid: list[Line] = field(default_factory=list)
    axis_labels: list[Bar] = field(default_factory=list)  # category labels under columns
    target: Line | None = None
    series: list[str] = field(default_factory=list)  # legend labels, by series index
    scale_max: float = 0.0

    @property
    def empty(self) -> bool:
        return not self.bars


def nice_ceiling(value: float, steps: int = 4) -> float:
    """The smallest "round" number >= ``value`` divisible into ``steps`` round steps
    (1, 2, 2.5 or 5 times a power of ten each); at least 1."""
    if value <= 0:
        return float(steps)
    raw = value / steps
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * power + 1e-9:
            return factor * power * steps
    return 10 * power * steps  # pragma: no cover - the loop always returns


def number_label(value: float) -> str:
    """12.5 -> "12.5" (English) or "12,5" (Indonesian), 20.0 -> "20": one decimal at most,
    in the user's locale (Babel), as JP are written elsewhere."""
    rounded = round(float(value), 1)
    if has_app_context():
        return format_decimal(rounded, format="#,##0.#")
    return f"{rounded:.1f}".rstrip("0").rstrip(".") if not rounded.is_integer() else str(int(rounded))


def month_label(value: Any) -> str:
    """A ``YYYY-MM`` month as its short name in the user's locale ("Jan", "Agu")."""
    year, month = str(value)[:7].split("-")
    first = date(int(year), int(month), 1)
    return format_date(first, "MMM") if has_app_context() else first.strftime("%b")


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: max(limit - 1, 1)].rstrip() + "…"


def column_chart(key: str, title: str, desc: str, categories: list[str], series: list[tuple[str, list[float]]],
                 *, scale_max: float | None = None, suffix: str = "", integer: bool = False) -> Chart:
    """Vertical bars, one group per category and one bar per series in each group. Bar
    heights are proportional to the values on a scale from 0 to a round maximum (with
    whole-number grid steps when ``integer``, for counts). With more than six categories,
    every other axis label is ``minor`` (hidden on a phone, where they would collide),
    counting back from the latest, which always shows."""
    top, bottom = FONT + 8, FONT + 14
    height = top + COLUMN_PLOT_HEIGHT + bottom
    plot_left, plot_right = 0.0, WIDTH
    base = top + COLUMN_PLOT_HEIGHT
    values = [value for _, data in series for value in data]
    scale = scale_max or nice_ceiling(max(values, default=0.0))
    if integer:
        scale = math.ceil(scale / 4) * 4
    chart = Chart(key, "columns", title, desc, WIDTH, height, series=[name for name, _ in series], scale_max=scale)
    for step in range(5):
        y = base - COLUMN_PLOT_HEIGHT * step / 4
        chart.grid.append(Line(plot_left, y, plot_right, y, number_label(scale * step / 4) + suffix,
                               plot_left, y + FONT / 3, "end"))
    if not categories:
        return chart
    slot = (plot_right - plot_left) / len(categories)
    bar_width = slot * 0.8 / max(len(series), 1)
    thin = len(categories) > 6
    for index, category in enumerate(categories):
        left = plot_left + slot * index + slot * 0.1
        chart.axis_labels.append(Bar(left, base, slot * 0.8, 0, 0, category, "", label_x=left + slot * 0.4,
                                     label_y=base + FONT + 4,
                                     minor=thin and (len(categories) - 1 - index) % 2 == 1))
        for number, (name, data) in enumerate(series):
            value = max(float(data[index] or 0.0), 0.0)
            bar_height = COLUMN_PLOT_HEIGHT * min(value, scale) / scale
            x = left + bar_width * number
            chart.bars.append(Bar(x, base - bar_height, bar_width, bar_height, value, f"{category} · {name}",
                                  number_label(value) + suffix, number, value_x=x + bar_width / 2,
                                  value_y=base - bar_height - 3))
    return chart


def row_chart(key: str, title: str, desc: str, items: list[tuple[str, float | None]], *,
              target: float | None = None, target_label: str = "", scale_max: float | None = None,
              suffix: str = "", missing: str = "—") -> Chart:
    """Horizontal bars, one per item, each under its own label line (long names stay
    readable on a narrow screen); ``target`` draws a vertical line across all rows. An item
    whose value is None gets no bar and ``missing`` as its value."""
    top = FONT + 10 if target is not None else 4
    row = LABEL_ROOM + BAR_THICKNESS + ROW_GAP
    height = top + row * len(items) + 4
    plot_left, plot_right = 0.0, PLOT_END
    plot_width = plot_right - plot_left
    values = [value for _, value in items if value is not None]
    scale = scale_max or nice_ceiling(max(values + [target or 0.0], default=0.0))
    chart = Chart(key, "rows", title, desc, WIDTH, height, scale_max=scale)
    for index, (label, value) in enumerate(items):
        y = top + row * index
        bar_y = y + LABEL_ROOM
        shown = 0.0 if value is None else max(float(value), 0.0)
        width = plot_width * min(shown, scale) / scale
        chart.bars.append(Bar(plot_left, bar_y, width, BAR_THICKNESS, shown, shorten(label, LABEL_CHARS),
                              missing if value is None else number_label(shown) + suffix, 0,
                              label_x=plot_left, label_y=y + FONT + 2,
                              value_x=plot_left + width, value_y=bar_y + BAR_THICKNESS - 2))
    if target is not None:
        x = plot_left + plot_width * min(max(target, 0.0), scale) / scale
        anchor = "end" if x > WIDTH / 2 else "start"
        chart.target = Line(x, top - 4, x, height - 2, target_label, x, FONT, anchor)
    return chart


def _at(value: float) -> str:
    """A coordinate as the template's ``|round(1)`` prints it (``str(round(value, 1))``)."""
    return str(round(value, 1))


def bars_markup(chart: Chart) -> Markup:
    """The ``<rect>`` of each bar with its label and value texts, as one escaped string for
    ``templates/reports/_charts.html``: across in percent, down in pixels; a row's value
    sits 4 px right of its bar's end (``dx``). A unit's people chart has 200 bars; in Jinja
    their ~2,000 rounded and escaped fields cost ~8 ms a page, here ~1."""
    rows = chart.kind == "rows"
    value_place = ' dx="4"' if rows else ' text-anchor="middle"'
    parts = []
    for bar in chart.bars:
        label = escape(bar.label)
        value_label = escape(bar.value_label)
        if rows:
            parts.append(f'\n  <text class="chart-label" x="{_at(bar.label_x)}%" y="{_at(bar.label_y)}">{label}</text>')
        parts.append(f'\n  <rect class="chart-bar chart-series-{escape(bar.series)}" x="{_at(bar.x)}%" y="{_at(bar.y)}"'
                     f' width="{_at(bar.width)}%" height="{_at(bar.height)}"><title>{label}: {value_label}</title></rect>')
        if rows or bar.value > 0:
            parts.append(f'\n  <text class="chart-value" x="{_at(bar.value_x)}%" y="{_at(bar.value_y)}"{value_place}>'
                         f'{value_label}</text>')
    return Markup("".join(parts))


# --- the dashboard's charts ------------------------------------------------------------------

def _column(table, key: str) -> list[Any]:
    index = next(i for i, column in enumerate(table.columns) if column.key == key)
    return [row.cells[index] for row in table.rows]


def dashboard_charts(tables: dict, target: float | None) -> dict[str, list[Chart]]:
    """The dashboard's charts by section (``trends``, ``people``, ``modules``), from its tables."""
    trends, people, modules = tables["trends"], tables["people"], tables["modules"]
    months = [month_label(cell.value) for cell in _column(trends, "month")]

    def numbers(table, key):
        return [float(cell.value or 0) for cell in _column(table, key)]

    jp = column_chart("trend-jp", _("JP earned per month"),
                      _("Bar chart of the JP earned each month over the last 12 months; the figures are in "
                        "the table below."), months, [(_("JP earned"), numbers(trends, "jp"))])
    done = column_chart("trend-done", _("Completions per month"),
                        _("Bar chart of modules and courses completed each month over the last 12 months; "
                          "the figures are in the table below."), months,
                        [(_("Modules completed"), numbers(trends, "modules")),
                         (_("Courses completed"), numbers(trends, "courses"))], integer=True)
    names = [cell.text for cell in _column(people, "name")]
    if target is None:  # librarians of libraries with different targets: no one line for all
        people_jp = row_chart("people-jp", _("JP this year"),
                              _("Bar chart of each librarian's JP this year; their own library's target is in "
                                "the table below, with the figures."), list(zip(names, numbers(people, "jp"))))
    else:
        people_jp = row_chart("people-jp", _("JP this year against the target"),
                              _("Bar chart of each librarian's JP this year, with a line at the target of "
                                "%(target)s JP; the figures are in the table below.", target=number_label(target)),
                              list(zip(names, numbers(people, "jp"))), target=target,
                              target_label=_("Target %(target)s JP", target=number_label(target)))
    titles = [cell.text for cell in _column(modules, "module")]
    rates = [cell.value for cell in _column(modules, "pass_rate")]
    passes = row_chart("module-pass", _("Pass rate per module"),
                       _("Bar chart of the share of submitted quiz attempts that passed, per module; modules "
                         "without attempts have no bar. The figures are in the table below."),
                       list(zip(titles, rates)), scale_max=100.0, suffix="%")
    return {"trends": [jp, done], "people": [people_jp], "modules": [passes]}

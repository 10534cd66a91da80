"""Server-drawn charts for the needs analysis: geometry only, rendered by a template.

The Locus-for-Focus chart places each competency at (mean importance, mean discrepancy);
two lines at the grand means split the plot into four quadrants. This module works out
every coordinate; ``templates/needs/analysis/_macros.html`` writes the SVG (so text is
escaped by Jinja, and colours come from CSS classes: no inline styles, no script).

Across, positions are percentages of the plot's width; down, CSS pixels. The SVG has no
``viewBox``, so its text keeps its CSS size (12-13 px) on a phone and a desktop alike
(issue 16: it shrank to 6 px on a phone). Labels are placed so they clear each other on
the narrowest plot (:data:`NARROW` px); wider plots only move them further apart.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from flask import has_app_context
from flask_babel import format_decimal

from lms.plugins.needs.analysis import RoundAnalysis

WIDTH, HEIGHT = 100, 400  # across: percent of the plot; down: CSS pixels
TOP, BOTTOM = 20, 48  # room above the plot and, below it, for the ticks and the axis title
NARROW = 250  # px: the plot's width on a 360 px phone, where labels must not collide
CHAR = 7.5  # px: a label character's width at 12 px (bold digits)
# Where a point's label may go, in order of preference: (dx, dy, text-anchor).
LABEL_SPOTS = ((7, -6, "start"), (-7, -6, "end"), (7, 15, "start"), (-7, 15, "end"), (9, 4, "start"),
               (-9, 4, "end"), (0, -9, "middle"), (0, 19, "middle"))


@dataclass
class Rect:
    x: float
    y: float
    width: float
    height: float
    quadrant: str  # focus | watch | maintain | low


@dataclass
class Point:
    competency_id: str
    label: str  # the competency's rank: short, so labels of nearby points do not collide
    cx: float
    cy: float
    label_x: float  # percent, like cx; the label sits ``label_dx`` px to the side
    label_y: float
    anchor: str  # text-anchor: start | end | middle
    quadrant: str
    importance: float
    discrepancy: float
    label_dx: float = 0.0


@dataclass
class Tick:
    position: float  # x (on the x axis) or y (on the y axis)
    label: str


@dataclass
class QuadrantChart:
    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    cross_x: float  # the vertical line (mean importance), in pixels
    cross_y: float  # the horizontal line (mean discrepancy), in pixels
    mean_importance: float
    mean_discrepancy: float
    rects: list[Rect] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)


def _label(value: float) -> str:
    """A tick's number in the user's locale ("3,5" in Indonesian)."""
    if has_app_context():
        return format_decimal(value, format="#,##0.#")
    return f"{value:g}"


def quadrant_chart(analysis: RoundAnalysis) -> QuadrantChart | None:
    """The chart's geometry, or None when no competency has self-assessment data."""
    plotted = [c for c in analysis.competencies if c.n_self and c.mean_importance is not None]
    if not plotted or analysis.mean_importance is None:
        return None
    # Importance means cluster high (3-5); the axis starts at the whole number below the
    # lowest mean so the points spread out, as Locus-for-Focus charts usually do.
    x_min, x_max = float(max(1, min(math.floor(min(c.mean_importance for c in plotted)), 4))), 5.0
    low = min([c.mean_discrepancy for c in plotted] + [analysis.mean_discrepancy, 0.0])
    high = max([c.mean_discrepancy for c in plotted] + [analysis.mean_discrepancy, 1.0])
    y_min, y_max = math.floor(low), math.ceil(high)
    if y_max - y_min < 1:
        y_max = y_min + 1
    left, top, right, bottom = 0, TOP, WIDTH, HEIGHT - BOTTOM

    # Points stay clear of the frame: the scales run inside a padding (more at the top and
    # bottom, where the quadrant labels are).
    pad, pad_top, pad_bottom = 4, 30, 26

    def px(value: float) -> float:
        return round(left + pad + (value - x_min) / (x_max - x_min) * (right - left - 2 * pad), 2)

    def py(value: float) -> float:
        return round(bottom - pad_bottom - (value - y_min) / (y_max - y_min) * (bottom - top - pad_bottom - pad_top),
                     1)

    cx, cy = px(analysis.mean_importance), py(analysis.mean_discrepancy)
    chart = QuadrantChart(WIDTH, HEIGHT, left, top, right, bottom, cx, cy,
                          analysis.mean_importance, analysis.mean_discrepancy)
    chart.rects = [
        Rect(left, top, cx - left, cy - top, "watch"),
        Rect(cx, top, right - cx, cy - top, "focus"),
        Rect(left, cy, cx - left, bottom - cy, "low"),
        Rect(cx, cy, right - cx, bottom - cy, "maintain"),
    ]
    x_step = 0.5 if x_max - x_min <= 2 else 1.0
    chart.x_ticks = [Tick(px(x_min + i * x_step), _label(x_min + i * x_step))
                     for i in range(int((x_max - x_min) / x_step) + 1)]
    step = 1 if y_max - y_min <= 8 else 2
    chart.y_ticks = [Tick(py(v), _label(v)) for v in range(y_min, y_max + 1, step)]
    placed: list[tuple[float, float, float, float]] = []  # label boxes at NARROW px: x0, y0, x1, y1
    dots = [(px(c.mean_importance) * NARROW / WIDTH, py(c.mean_discrepancy)) for c in plotted]
    for c in sorted(plotted, key=lambda c: c.rank or 0):
        x, y = px(c.mean_importance), py(c.mean_discrepancy)
        label = str(c.rank or "")
        dx, dy, anchor = _label_spot(x * NARROW / WIDTH, y, len(label) * CHAR, placed, dots, top)
        chart.points.append(Point(c.competency_id, label, x, y, x, y + dy, anchor, c.quadrant or "low",
                                  c.mean_importance, c.mean_discrepancy, dx))
    return chart


def _label_spot(x: float, y: float, width: float, placed: list, dots: list, top: float) -> tuple[float, float, str]:
    """The first of :data:`LABEL_SPOTS` whose box (at the narrow width) overlaps no label
    placed so far and no other point; remembers the chosen box in ``placed``."""
    def box(dx: float, dy: float, anchor: str) -> tuple[float, float, float, float]:
        start = x + dx - (width if anchor == "end" else width / 2 if anchor == "middle" else 0)
        return (start, y + dy - 10, start + width, y + dy + 2)

    def clear(b) -> bool:
        if b[1] < top + 24 or b[0] < 0 or b[2] > NARROW:
            return False  # the quadrant labels' strip, or outside the plot
        if any(b[0] < p[2] + 1 and p[0] < b[2] + 1 and b[1] < p[3] and p[1] < b[3] for p in placed):
            return False
        return not any(b[0] - 5 < dx_ < b[2] + 5 and b[1] - 5 < dy_ < b[3] + 5 for dx_, dy_ in dots
                       if (dx_, dy_) != (x, y))

    for dx, dy, anchor in LABEL_SPOTS:
        candidate = box(dx, dy, anchor)
        if clear(candidate):
            placed.append(candidate)
            return dx, dy, anchor
    dx, dy, anchor = LABEL_SPOTS[0]
    placed.append(box(dx, dy, anchor))
    return dx, dy, anchor

"""Server-drawn charts for the needs analysis: geometry only, rendered by a template.

The Locus-for-Focus chart places each competency at (mean importance, mean discrepancy);
two lines at the grand means split the plot into four quadrants. This module works out
every coordinate; ``templates/needs/analysis/_macros.html`` writes the SVG (so text is
escaped by Jinja, and colours come from CSS classes: no inline styles, no script).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from lms.plugins.needs.analysis import RoundAnalysis

WIDTH, HEIGHT = 640, 440
LEFT, RIGHT, TOP, BOTTOM = 64, 20, 20, 56


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
    label_x: float
    label_y: float
    anchor: str  # text-anchor: start | end
    quadrant: str
    importance: float
    discrepancy: float


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
    left, top, right, bottom = LEFT, TOP, WIDTH - RIGHT, HEIGHT - BOTTOM

    # Points stay clear of the frame: the scales run inside a padding (more at the top,
    # where the quadrant labels are).
    pad, pad_top = 14, 30

    def px(value: float) -> float:
        return round(left + pad + (value - x_min) / (x_max - x_min) * (right - left - 2 * pad), 1)

    def py(value: float) -> float:
        return round(bottom - pad - (value - y_min) / (y_max - y_min) * (bottom - top - pad - pad_top), 1)

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
    for c in plotted:
        x, y = px(c.mean_importance), py(c.mean_discrepancy)
        near_right = x > right - 40
        chart.points.append(Point(c.competency_id, str(c.rank or ""), x, y, x - 7 if near_right else x + 7,
                                  max(y - 6, top + 10), "end" if near_right else "start", c.quadrant or "low",
                                  c.mean_importance, c.mean_discrepancy))
    return chart

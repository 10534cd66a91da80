"""Chart geometry (bar sizes proportional to values, the target line where the target is)
and the SVG the macro writes: accessible, no inline style or script."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from flask import render_template_string

from lms.plugins.reports import charts
from tests.reports.test_dashboard import world  # noqa: F401 - the dashboard's hand-built data

SVG = "{http://www.w3.org/2000/svg}"


def test_nice_ceiling():
    assert charts.nice_ceiling(0) == 4
    assert charts.nice_ceiling(7) == 8  # steps of 2
    assert charts.nice_ceiling(20) == 20  # steps of 5
    assert charts.nice_ceiling(22) == 40  # steps of 10
    assert charts.nice_ceiling(0.3) == 0.4


def test_column_heights_are_proportional():
    chart = charts.column_chart("c", "T", "D", ["a", "b", "c"], [("JP", [10.0, 5.0, 0.0])])
    assert chart.scale_max == 10  # 10 / 4 = 2.5, a round step
    a, b, c = chart.bars
    assert b.height * 2 == pytest.approx(a.height)
    assert c.height == 0
    assert a.height == pytest.approx(charts.COLUMN_PLOT_HEIGHT * 10 / chart.scale_max)
    # bars stand on one baseline
    assert a.y + a.height == pytest.approx(b.y + b.height) == pytest.approx(c.y)
    assert [bar.value_label for bar in chart.bars] == ["10", "5", "0"]


def test_grouped_columns_sit_side_by_side_in_their_slot():
    chart = charts.column_chart("c", "T", "D", ["a", "b"], [("m", [1.0, 2.0]), ("c", [4.0, 0.0])])
    first_m, first_c, second_m, second_c = chart.bars
    assert (first_m.series, first_c.series) == (0, 1)
    assert first_c.x == pytest.approx(first_m.x + first_m.width)
    assert first_c.height == pytest.approx(4 * first_m.height)
    assert second_m.x > first_c.x + first_c.width
    assert all(bar.x + bar.width <= chart.width for bar in chart.bars)


def test_rows_and_the_target_line():
    chart = charts.row_chart("r", "T", "D", [("Ani", 30.0), ("Budi", 7.5), ("Citra", None)], target=20,
                             target_label="Target 20 JP")
    assert chart.scale_max == 40
    ani, budi, citra = chart.bars
    plot_width = charts.PLOT_END
    assert ani.width == pytest.approx(plot_width * 30 / 40)
    assert budi.width * 4 == pytest.approx(ani.width)
    assert (citra.width, citra.value_label) == (0, "—")
    assert chart.target.x1 == chart.target.x2 == pytest.approx(plot_width * 20 / 40)
    assert chart.target.y1 < ani.y and chart.target.y2 > citra.y + citra.height  # across every row
    assert budi.y > ani.y + ani.height  # one row each, no overlap
    assert chart.height >= citra.y + citra.height


def test_a_target_above_every_value_widens_the_scale():
    chart = charts.row_chart("r", "T", "D", [("Ani", 2.0)], target=20)
    assert chart.scale_max == 20
    assert chart.target.x1 == pytest.approx(charts.PLOT_END)


def test_long_labels_are_shortened():
    chart = charts.row_chart("r", "T", "D", [("x" * 200, 1.0)])
    assert len(chart.bars[0].label) < 80 and chart.bars[0].label.endswith("…")


def render(chart) -> str:
    return render_template_string('{% from "reports/_charts.html" import svg_chart %}{{ svg_chart(chart, "t") }}',
                                  chart=chart)


def test_svg_is_accessible_and_has_no_inline_style_or_script(app):
    chart = charts.row_chart("r", "JP <b>", "Desc & more", [("<script>alert(1)</script>", 3.0)], target=2,
                             target_label="Target")
    with app.test_request_context():
        html = render(chart)
    assert "<script" not in html and "style=" not in html and not re.search(r"\son[a-z]+=", html)
    assert "&lt;script&gt;" in html and "JP &lt;b&gt;" in html
    svg = ET.fromstring(re.search(r"<svg.*</svg>", html, re.S).group(0))
    # no viewBox: the text is not scaled down on a phone; across, positions are percentages
    assert svg.get("role") == "img" and svg.get("width") == "100%" and svg.get("viewBox") is None
    assert svg.find(f"{SVG}title").text == "JP <b>" and svg.find(f"{SVG}desc").text == "Desc & more"
    assert svg.get("aria-labelledby") == "chart-r-title chart-r-desc"
    assert '<figcaption class="chart-title" id="chart-r-title">JP &lt;b&gt;</figcaption>' in html  # a visible title
    rect = svg.find(f"{SVG}rect")
    assert rect.get("class") == "chart-bar chart-series-0"
    assert rect.get("width").endswith("%")
    assert float(rect.get("width")[:-1]) == pytest.approx(chart.bars[0].width, abs=0.05)
    target = svg.find(f"{SVG}line[@class='chart-target']")
    assert float(target.get("x1")[:-1]) == pytest.approx(chart.target.x1, abs=0.05)
    assert 'href="#t"' in html


def test_dashboard_draws_its_charts_from_its_tables(world):  # noqa: F811
    response = world["client"].get("/reports/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    svgs = {key: ET.fromstring(svg) for key, svg in
            ((m.group(1), m.group(0)) for m in re.finditer(r'<svg[^>]*id="chart-([a-z-]+)".*?</svg>', html, re.S))}
    assert set(svgs) == {"people-jp", "module-pass", "trend-jp", "trend-done"}
    assert "style=" not in "".join(re.findall(r"<svg.*?</svg>", html, re.S))
    # people: ani 0 JP, budi 2.5 JP against a target of 20 (scale 20)
    people = svgs["people-jp"]
    bars = {rect.find(f"{SVG}title").text: float(rect.get("width")[:-1]) for rect in people.iter(f"{SVG}rect")}
    assert bars["Budi Santoso: 2.5"] == pytest.approx(charts.PLOT_END * 2.5 / 20, abs=0.06)
    target = people.find(f"{SVG}line[@class='chart-target']")
    assert float(target.get("x1")[:-1]) == pytest.approx(charts.PLOT_END, abs=0.05)
    # modules: marc 2 of 3 passed (67 %), ddc 1 of 1 (100 %) on a 0-100 scale
    widths = sorted(float(rect.get("width")[:-1]) for rect in svgs["module-pass"].iter(f"{SVG}rect"))
    plot = charts.PLOT_END
    assert widths[-2:] == [pytest.approx(plot * 0.67, abs=0.06), pytest.approx(plot, abs=0.06)]
    # trends: this month's 2.5 JP is the only non-zero column
    heights = [float(rect.get("height")) for rect in svgs["trend-jp"].iter(f"{SVG}rect")]
    assert len(heights) == 12 and heights[-1] > 0 and not any(heights[:-1])


def test_counts_get_whole_number_grid_lines():
    chart = charts.column_chart("c", "T", "D", ["a", "b"], [("n", [1.0, 0.0])], integer=True)
    assert chart.scale_max == 4
    assert [line.label for line in chart.grid] == ["0", "1", "2", "3", "4"]
    months = charts.column_chart("c", "T", "D", [str(m) for m in range(12)], [("n", [0.0] * 12)])
    assert [label.minor for label in months.axis_labels][-2:] == [True, False]  # the latest month always shows
    few = charts.column_chart("c", "T", "D", ["a", "b", "c"], [("n", [0.0] * 3)])
    assert not any(label.minor for label in few.axis_labels)  # few labels: all show


def test_chart_numbers_and_months_speak_the_users_language(app):
    """Tick and value labels are Babel's decimals, months Babel's short names (issue 16)."""
    from flask_babel import force_locale

    with app.test_request_context(), force_locale("id"):
        chart = charts.row_chart("r", "T", "D", [("Ani", 12.25)])
        assert chart.bars[0].value_label == "12,2" or chart.bars[0].value_label == "12,3"
        assert [charts.month_label(m) for m in ("2026-01", "2026-08", "2025-12")] == ["Jan", "Agu", "Des"]
    with app.test_request_context(), force_locale("en"):
        assert charts.number_label(1234.5) == "1,234.5"
        assert charts.month_label("2026-08") == "Aug"


# The bars loop _charts.html had before bars_markup wrote it in Python (kept here as the
# reference: the page must not change by a byte).
JINJA_BARS = """
  {%- for bar in chart.bars %}
  {%- if chart.kind == "rows" %}
  <text class="chart-label" x="{{ bar.label_x|round(1) }}%" y="{{ bar.label_y|round(1) }}">{{ bar.label }}</text>
  {%- endif %}
  <rect class="chart-bar chart-series-{{ bar.series }}" x="{{ bar.x|round(1) }}%" y="{{ bar.y|round(1) }}" \
width="{{ bar.width|round(1) }}%" height="{{ bar.height|round(1) }}"><title>{{ bar.label }}: {{ bar.value_label }}\
</title></rect>
  {%- if chart.kind == "rows" or bar.value > 0 %}
  <text class="chart-value" x="{{ bar.value_x|round(1) }}%" y="{{ bar.value_y|round(1) }}"\
{% if chart.kind == "columns" %} text-anchor="middle"{% else %} dx="4"{% endif %}>{{ bar.value_label }}</text>
  {%- endif %}
  {%- endfor %}"""


def test_bars_markup_is_what_the_template_loop_wrote(app):
    rows = charts.row_chart("r", "T", "D", [('Ani <"&\'> Suryaningsih', 12.25), ("Budi", None), ("Cici", 0.0),
                                            ("Dedi", 1 / 3), ("Eka", 40)], target=20.0, target_label="Target")
    columns = charts.column_chart("c", "T", "D", ["Jan", "Feb", "Mar"],
                                  [("Modul <b>", [3.0, 0.0, 7.0]), ("Kursus", [1.0, 2.0, 0.0])], integer=True)
    with app.test_request_context():
        for chart in (rows, columns):
            assert str(charts.bars_markup(chart)) == render_template_string(JINJA_BARS, chart=chart)

"""Tables in Markdown prose are shown inside a labelled, keyboard-focusable scroll region
(axe "scrollable-region-focusable"), whether the HTML was stored before or after this rule."""
from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale

from lms.markup import prose

LESSON = "<p>Ruas:</p><table><thead><tr><th>Tag</th></tr></thead><tbody><tr><td>245</td></tr></tbody></table>"


def test_a_table_gets_a_focusable_labelled_region(app):
    with app.test_request_context(), force_locale("id"):
        html = str(prose(LESSON))
    assert html.startswith('<p>Ruas:</p><div class="table-wrap" role="region" tabindex="0" aria-label="Tabel"><table>')
    assert html.endswith("</table></div>")


def test_prose_without_tables_is_unchanged_and_empty_is_empty(app):
    with app.test_request_context():
        assert str(prose("<p>Halo</p>")) == "<p>Halo</p>"
        assert str(prose(None)) == ""


def test_templates_use_the_filter(app):
    with app.test_request_context():
        assert "role=\"region\"" in render_template_string("{{ html|prose }}", html=LESSON)

"""Form fields tell assistive technology about their hints and errors (WCAG 1.3.1, 3.3.2),
and the focus ring keeps 3:1 against the page it is drawn on (WCAG 1.4.11)."""
from __future__ import annotations

import re
from pathlib import Path

from flask import render_template_string
from wtforms import Form, StringField
from wtforms.validators import InputRequired

FIELD = '{% from "_macros.html" import field %}{{ field(form.code, hint=hint) }}'
CSS = Path(__file__).resolve().parents[1] / "lms" / "static" / "css" / "pembina.css"


class CodeForm(Form):
    code = StringField("Kode", validators=[InputRequired()])


def described_by(html: str) -> list[str]:
    match = re.search(r'<input[^>]*aria-describedby="([^"]*)"', html)
    return match.group(1).split() if match else []


def test_a_hint_is_tied_to_its_input(app):
    with app.test_request_context():
        html = render_template_string(FIELD, form=CodeForm(), hint="Huruf kecil dan angka.")
    assert described_by(html) == ["code-hint"]
    assert 'id="code-hint"' in html


def test_an_error_and_a_hint_are_both_announced(app):
    form = CodeForm(data={"code": ""})
    form.validate()
    with app.test_request_context():
        html = render_template_string(FIELD, form=form, hint="Huruf kecil dan angka.")
    assert described_by(html) == ["code-hint", "code-error"]
    assert 'aria-invalid="true"' in html and 'id="code-error"' in html


def test_a_field_without_hint_or_error_points_nowhere(app):
    with app.test_request_context():
        html = render_template_string(FIELD, form=CodeForm(), hint=None)
    assert "aria-describedby" not in html


def _luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(a: str, b: str) -> float:
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_focus_ring_has_three_to_one_where_it_is_drawn():
    css = CSS.read_text(encoding="utf-8")
    colours = dict(re.findall(r"--([a-z-]+):\s*(#[0-9a-fA-F]{6})", css))
    ring = re.search(r"^:focus-visible \{ outline: 3px solid var\(--([a-z-]+)\)", css, re.M).group(1)
    for background in ("paper", "card"):
        assert _contrast(colours[ring], colours[background]) >= 3, background
    header = re.search(r"\.site-header :focus-visible[^{]*\{ outline-color: var\(--([a-z-]+)\)", css).group(1)
    assert _contrast(colours[header], colours["brand"]) >= 3

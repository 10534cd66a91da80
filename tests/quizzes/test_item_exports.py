"""The item analysis exports: one row per question, the same cells as the page's table
(checked against the figures worked out by hand in ``test_item_analysis``), CSV with a BOM,
XLSX with typed values, and the page's access rules."""
from __future__ import annotations

import csv
import html as htmllib
import io
import re

from openpyxl import load_workbook

from lms.auth.models import UnitSupervisor
from lms.extensions import db
from tests.quizzes.test_item_analysis import data  # noqa: F401 - the fixture

HEADER = ["#", "Question", "Question ID", "Type", "Answers", "Left blank", "Facility", "Discrimination",
          "Correlation", "Flags"]


def text(fragment: str) -> str:
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def page_table(client, version_id: int) -> list[list[str]]:
    """Header and question rows of the page's ``#items`` table (the option sub-tables left out)."""
    response = client.get(f"/quiz/items/{version_id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    head = re.search(r'<table[^>]* id="items">\s*<thead><tr>(.*?)</tr>', page, re.S).group(1)
    rows = [[text(th) for th in re.findall(r"<th[^>]*>(.*?)</th>", head, re.S)]]
    for row in re.findall(r'<tr id="item-[^"]+"[^>]*>(.*?)</tr>', page, re.S):
        rows.append([text(td) for td in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)])
    return rows


def csv_rows(client, version_id: int) -> list[list[str]]:
    response = client.get(f"/quiz/items/{version_id}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert response.headers["Content-Disposition"] == f'attachment; filename="pembina-item-analysis-{version_id}.csv"'
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def xlsx_sheet(client, version_id: int):
    response = client.get(f"/quiz/items/{version_id}/export.xlsx")
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.data)).worksheets[0]


def as_page(value, column: int) -> str:
    """An XLSX value written the way the page writes it."""
    if value is None:
        return "" if column == 9 else "—"
    if column == 6:  # facility: a share, formatted as a percentage with one decimal
        return f"{100 * value:.1f}%"
    if column in (7, 8):
        return f"{value:.2f}"
    return str(value)


def english_trainer(client_as):
    trainer = client_as("trainer")
    trainer.user.locale = "en"
    db.session.commit()
    return trainer


def test_exports_equal_the_page_and_the_hand_figures(data, client_as):  # noqa: F811
    trainer = english_trainer(client_as)
    version_id = data["version"].id
    page = page_table(trainer, version_id)
    assert page[0] == HEADER
    rows = {row[2]: row for row in page[1:]}
    # marc-245: facility 1/6, discrimination -0.5, correlation -6/sqrt(120) = -0.548; hard, negative
    assert rows["marc-245"][4:] == ["6", "1", "16.7%", "-0.50", "-0.55", "Too hard, Negative discrimination"]
    # marc-multi: 3/6, 1.0, -3/sqrt(30) = -0.548; no flag
    assert rows["marc-multi"][4:] == ["6", "1", "50.0%", "1.00", "-0.55", ""]
    # marc-tf: everyone right: easy, discrimination 0 (weak), no correlation (no variance)
    assert rows["marc-tf"][4:] == ["6", "0", "100.0%", "0.00", "—", "Too easy, Weak discrimination"]
    assert [row[0] for row in page[1:]] == ["1", "2", "3", "4"]
    assert csv_rows(trainer, version_id) == page
    sheet = xlsx_sheet(trainer, version_id)
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == HEADER and all(cell.font.bold for cell in sheet[1])
    assert [[as_page(value, i) for i, value in enumerate(row)] for row in values[1:]] == page[1:]
    first = values[1]
    assert isinstance(first[0], int) and isinstance(first[4], int) and isinstance(first[6], float)
    assert sheet.cell(row=2, column=7).number_format == "0.0%"


def test_supervisor_exports_count_only_their_units(data, client_as, org):  # noqa: F811
    supervisor = client_as("supervisor", unit_code="branch-b")
    supervisor.user.locale = "en"
    db.session.add(UnitSupervisor(unit_id=org["branch_b"].id, user_id=supervisor.user.id))
    db.session.commit()
    version_id = data["version"].id
    page = page_table(supervisor, version_id)
    # branch-b: A4 and A5 only (marc-245 answered 650 and left blank: both wrong)
    assert {row[2]: row[4:7] for row in page[1:]}["marc-245"] == ["2", "1", "0.0%"]
    assert csv_rows(supervisor, version_id) == page


def test_export_access(data, client_as):  # noqa: F811
    version_id = data["version"].id
    librarian, trainer = client_as("librarian"), client_as("trainer")
    for suffix in ("export.csv", "export.xlsx"):
        assert librarian.get(f"/quiz/items/{version_id}/{suffix}").status_code == 403
        assert trainer.get(f"/quiz/items/999999/{suffix}").status_code == 404
        assert trainer.get(f"/quiz/items/{version_id}/{suffix}").status_code == 200


def test_page_links_to_the_exports(data, client_as):  # noqa: F811
    page = english_trainer(client_as).get(f"/quiz/items/{data['version'].id}").get_data(as_text=True)
    assert f'href="/quiz/items/{data["version"].id}/export.csv"' in page
    assert f'href="/quiz/items/{data["version"].id}/export.xlsx"' in page

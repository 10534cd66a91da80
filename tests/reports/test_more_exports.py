"""Exports of the competency heatmap and of the annual report's tables: the same cells as
the page (parsed from its HTML), CSV with a BOM, XLSX with typed values, the same filters
and access rules (a unit out of reach is a 404 on the exports as on the page; librarians 403)."""
from __future__ import annotations

import csv
import html as htmllib
import io
import re
from datetime import datetime

import pytest
from openpyxl import load_workbook

from sqlalchemy import select

from lms.auth.models import Unit, User
from lms.clock import local_today
from lms.extensions import db
from tests.reports import test_annual, test_competencies
from tests.reports.test_dashboard import Tables


@pytest.fixture
def heat(app, org, make_user, imported):
    """The heatmap test's world (see ``test_competencies.world``)."""
    return test_competencies.world.__wrapped__(app, org, make_user, imported)


@pytest.fixture
def annual_world(app, org, make_user, imported):
    """The annual report test's world (see ``test_annual.world``)."""
    return test_annual.world.__wrapped__(app, org, make_user, imported)


def text(fragment: str) -> str:
    return " ".join(htmllib.unescape(re.sub(r"<[^>]+>", "", fragment)).split())


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.data.startswith(b"\xef\xbb\xbf") and response.mimetype == "text/csv"
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def book(response):
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return load_workbook(io.BytesIO(response.data))


def as_page(value, blank: str = "—") -> str:
    """An XLSX value as the page writes it."""
    if value is None:
        return blank
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


# --- the heatmap ---------------------------------------------------------------------------------

def heatmap_page(client, query: str) -> tuple[list[str], list[str], list[str], list[list[str]]]:
    """(person user ids, unit ids, competency ids, [area, competency, cells...] per competency
    row) of the page."""
    response = client.get("/reports/competencies" + query)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    users = re.findall(r'<th scope="col" data-user="(\d+)">', page)
    units = re.findall(r'<th scope="col" data-unit="(\d+)">', page)
    competencies, rows = [], []
    for body in re.findall(r"<tbody>(.*?)</tbody>", page, re.S):
        area = text(re.search(r'<th scope="rowgroup"[^>]*>(.*?)</th>', body, re.S).group(1))
        for cid, row in re.findall(r'<tr data-competency="([^"]+)">(.*?)</tr>', body, re.S):
            competencies.append(cid)
            rows.append([area] + [text(cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)])
    return users, units, competencies, rows


@pytest.mark.parametrize("query, min_group", [("", 5), ("?position=Pustakawan Ahli Pertama", 5),
                                               ("?unit={section}", 1)])
def test_heatmap_exports_equal_the_page(app, heat, query, min_group):
    app.config["NEEDS_MIN_GROUP"] = min_group
    section = heat["org"]["section_a1"]
    query = query.format(section=section.id)
    client = test_competencies.signed_in(app, "boss")
    users, units, competencies, page = heatmap_page(client, query)
    rows = csv_rows(client.get(f"/reports/competencies/export.csv{query}"))
    # The header: area, competency, a column per person "Name (Unit)", one per unit's needs rank.
    people = {str(u.id): f"{u.full_name} ({u.unit.name})" for u in db.session.scalars(select(User))}
    unit_names = {str(u.id): u.name for u in db.session.scalars(select(Unit))}
    assert rows[0] == ["Area", "Competency"] + [people[u] for u in users] + \
        [f"Needs priority rank: {unit_names[u]}" for u in units]
    assert rows[1:] == page
    # Worked out by hand in test_competencies: cat-marc ani 60, budi 33, cici 100, dedi none.
    marc = rows[1 + competencies.index("cat-marc")]
    by_user = dict(zip(users, marc[2:2 + len(users)], strict=True))
    expected = {str(heat[k].id): v for k, v in {"ani": "60", "budi": "33", "cici": "100", "dedi": "—"}.items()}
    assert by_user == {u: expected.get(u, "—") for u in users}  # the others have no answers
    assert str(heat["eko"].id) not in users  # branch-b: outside the boss's units
    if query.startswith("?unit"):  # NEEDS_MIN_GROUP = 1 for the section: cat-marc ranks first
        assert users == [str(heat["ani"].id)] and units == [str(section.id)] and marc[-1] == "1"
    joiner = "&" if query else "?"
    sheet = book(client.get(f"/reports/competencies/export.xlsx{query}{joiner}sort=name")).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert [str(v) for v in values[0]] == rows[0]
    n = len(users)
    assert [[as_page(v, "—" if 2 <= i < 2 + n else "") for i, v in enumerate(row)] for row in values[1:]] == page
    assert all(isinstance(v, (int, type(None))) for row in values[1:] for v in row[2:])


def test_heatmap_export_access(app, heat):
    client = test_competencies.signed_in(app, "boss")
    for suffix in ("export.csv", "export.xlsx"):
        for bad in (heat["org"]["branch_b"].id, "abc", 999999):
            assert client.get(f"/reports/competencies/{suffix}?unit={bad}").status_code == 404, bad
        for username in ("librarian", "trainer"):
            other = test_competencies.signed_in(app, username)
            assert other.get(f"/reports/competencies/{suffix}").status_code == 403


def test_heatmap_page_links_keep_the_filters(app, heat):
    client = test_competencies.signed_in(app, "boss")
    page = client.get("/reports/competencies?position=Pustakawan+Ahli+Pertama").get_data(as_text=True)
    assert 'href="/reports/competencies/export.csv?position=Pustakawan+Ahli+Pertama"' in page
    assert 'href="/reports/competencies/export.xlsx?position=Pustakawan+Ahli+Pertama"' in page


# --- the annual report ---------------------------------------------------------------------------

def annual_query(world) -> str:
    return f"?unit={world['org']['branch_a'].id}&year={test_annual.YEAR}"


def test_annual_exports_equal_the_page(annual_world):
    client, query = annual_world["client"], annual_query(annual_world)
    tables = Tables(test_annual.page(client, query)).tables
    people = csv_rows(client.get(f"/reports/annual/export.csv{query}&table=people"))
    courses = csv_rows(client.get(f"/reports/annual/export.csv{query}&table=courses"))
    assert people == tables["annual-people"] and courses == tables["annual-courses"]
    # by hand (test_annual.world): ani 12 + 10 = 22 met; budi 2.5 + 4 = 6.5 not met
    assert people[0] == ["No.", "Name", "Position", "JP from Pembina courses", "JP from verified external training",
                         "Total JP", "JP target", "Target"]
    assert people[1:] == [["1", "Ani Suryaningsih", test_annual.AHLI, "12", "10", "22", "20", "Met"],
                          ["2", "Budi Santoso", "Asisten Perpustakaan Mahir", "2.5", "4", "6.5", "20", "Not met"]]
    assert sorted(courses[1:]) == sorted([[annual_world["sample"].title_en, "1", "12"], ["Course One", "1", "2.5"]])
    # CSV defaults to the people table; the XLSX without ?table= holds both, as sheets.
    assert csv_rows(client.get(f"/reports/annual/export.csv{query}")) == people
    workbook = book(client.get(f"/reports/annual/export.xlsx{query}"))
    assert workbook.sheetnames == ["JP per librarian", "Completions per course"]
    for sheet, expected in zip(workbook.worksheets, (people, courses), strict=True):
        values = list(sheet.iter_rows(values_only=True))
        assert [[as_page(v) for v in row] for row in values] == expected
        assert all(cell.font.bold for cell in sheet[1])
    assert isinstance(list(workbook.worksheets[0].iter_rows(min_row=3, values_only=True))[0][5], float)
    one = book(client.get(f"/reports/annual/export.xlsx{query}&table=courses"))
    assert one.sheetnames == ["Completions per course"]


def test_annual_export_filename_and_section_filter(annual_world):
    client, org = annual_world["client"], annual_world["org"]
    response = client.get(f"/reports/annual/export.csv?unit={org['section_a1'].id}&year={test_annual.YEAR}")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="pembina-annual-{org["section_a1"].id}-{test_annual.YEAR}-people.csv"')
    assert [row[1] for row in csv_rows(response)[1:]] == ["Ani Suryaningsih"]


def test_annual_export_refusals(annual_world, app):
    client, org = annual_world["client"], annual_world["org"]
    for suffix in ("export.csv", "export.xlsx"):
        for query in (f"?unit={org['branch_b'].id}", f"?unit={org['library'].id}", "?unit=abc",
                      f"?year={local_today().year + 1}", "?year=20x5", "?table=users", "?table=people;x"):
            assert client.get(f"/reports/annual/{suffix}{query}").status_code == 404, (suffix, query)
        assert test_annual.client_for(app, "ani").get(f"/reports/annual/{suffix}").status_code == 403
    assert client.get("/reports/annual/export.csv?table=people,courses").status_code == 404  # one table per CSV
    admin = test_annual.client_for(app, "admin")
    rows = csv_rows(admin.get(f"/reports/annual/export.csv?unit={org['branch_b'].id}&year={test_annual.YEAR}"))
    assert [row[1] for row in rows[1:]] == ["Orang Lain"]


def test_annual_page_links_to_the_exports(annual_world):
    client, query = annual_world["client"], annual_query(annual_world)
    page = test_annual.page(client, query)
    unit = annual_world["org"]["branch_a"].id
    assert f'href="/reports/annual/export.csv?table=people&amp;unit={unit}&amp;year={test_annual.YEAR}"' in page
    assert f'href="/reports/annual/export.xlsx?table=courses&amp;unit={unit}&amp;year={test_annual.YEAR}"' in page
    assert "export.csv" not in test_annual.page(client, query + "&print=1")


def test_annual_rounding_is_shared_with_the_dashboard(app):
    """The page and the exports round JP half up, like the dashboard (0.25 -> 0.3, not 0.2)."""
    from lms.plugins.reports import annual

    person = annual.PersonYear(user_id=1, name="X", position="", pembina_jp=0.25, external_jp=0.0, courses=0,
                               modules=0, trainings=0, target=20)
    report = annual.AnnualReport(unit=None, year=2025, target=20, people=[person], courses=[],
                                 totals=annual.totals_of([person]), needs=None)
    cells = annual.people_table(report).rows[0].cells
    assert [c.text for c in cells[3:7]] == ["0.3", "0", "0.3", "20"]
    assert cells[5].value == pytest.approx(0.3)


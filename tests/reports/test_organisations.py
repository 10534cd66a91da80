"""Reports per library (issue 20, item 3): a supervisor of one library sees nothing of
another, a library filter narrows an install-wide admin's reports to one library, and a
provincial supervisor sees the libraries below them side by side - each with its own
calendar year (time zone) and its own JP target. Figures are worked out by hand."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook

from lms import organisations
from lms.auth.models import Organisation, UnitSupervisor
from lms.clock import utcnow
from lms.extensions import db
from lms.plugins.learning.models import CourseCompletion, ModuleCompletion
from tests.conftest import OTHER_MARKER
from tests.needs.test_analysis import FULL, PARTIAL, quiz
from tests.quizzes.conftest import module
from tests.reports.test_dashboard import Tables

# 23:30 WIB on 31 December of last year: still last year in Jakarta, already 00:30 on
# 1 January in Makassar (WITA, UTC+8)
THIS_YEAR = utcnow().astimezone(timezone(timedelta(hours=7))).year
NEW_YEAR_EVE = datetime(THIS_YEAR - 1, 12, 31, 16, 30, tzinfo=timezone.utc)


def supervise(user, unit):
    """``user`` supervises ``unit`` and reads English (the tests compare English labels)."""
    db.session.add(UnitSupervisor(user_id=user.id, unit_id=unit.id))
    user.locale = "en"
    db.session.commit()


def without_library_filter(html: str) -> str:
    """The page without the library filter's choices (an admin may pick any library)."""
    return re.sub(r'<select id="organisation".*?</select>', "", html, flags=re.S)


@pytest.fixture
def network(app, org, other_org, make_unit, make_user, imported):
    """A provincial service ``prov`` above both libraries; ``lib`` (Jakarta, target 20) and
    ``lib-seb`` (Makassar, target 10).

    lib: a1 (section-a1) 12 JP now, quiz PARTIAL (3 of 5 points); a2 (branch-a) 25 JP now,
    quiz FULL (5 of 5); a3 (branch-b) 7 JP at 23:30 WIB on 31 December last year (not this
    year in Jakarta), nothing else. lib-seb: s1 (seb-branch) 10 JP at that same moment
    (00:30 WITA on 1 January: this year in Makassar), quiz 1 of 3 points; s2 (seb-section)
    4 JP now. Each completion comes with a module completion (an active learner).
    """
    province = make_unit("prov", "Dinas Perpustakaan Provinsi", "province")
    org["library"].parent = province
    other_org["library"].parent = province
    db.session.flush()
    organisations.make_organisation(province)
    seb = db.session.get(Organisation, other_org["library"].id)
    seb.time_zone, seb.jp_target = "Asia/Makassar", 10.0
    db.session.commit()
    course_id, marc = module("marc").course_id, module("marc").id
    now = utcnow()
    people = {
        "a1": make_user("a1", unit=org["section_a1"], full_name="Ani Satu"),
        "a2": make_user("a2", unit=org["branch_a"], full_name="Ani Dua"),
        "a3": make_user("a3", unit=org["branch_b"], full_name="Ani Tiga"),
        "s1": make_user("s1", unit=other_org["branch"], full_name=f"Sari {OTHER_MARKER}"),
        "s2": make_user("s2", unit=other_org["section"], full_name=f"Santi {OTHER_MARKER}"),
    }
    for name, jp, when in (("a1", 12.0, now), ("a2", 25.0, now), ("a3", 7.0, NEW_YEAR_EVE),
                           ("s1", 10.0, NEW_YEAR_EVE), ("s2", 4.0, now)):
        person = people[name]
        db.session.add(CourseCompletion(user_id=person.id, course_id=course_id, completed_at=when, jp=jp))
        if name != "a3":
            db.session.add(ModuleCompletion(user_id=person.id, module_id=marc, completed_at=when))
    db.session.commit()
    quiz(people["a1"], "marc", PARTIAL, now)
    quiz(people["a2"], "marc", FULL, now)
    quiz(people["s1"], "marc", {"marc-245": 0.0, "marc-multi": 0.5}, now)
    return {"province": province, "lib": org["library"], "seb": other_org["library"], **people}


def rows_of(html: str, key: str) -> dict[str, list[str]]:
    table = Tables(html).tables[key]
    return {row[0]: row for row in table[1:]}


def test_side_by_side_for_a_provincial_supervisor(app, network, client_as):
    """Each library in its own year and against its own target (figures in the fixture)."""
    app.config["NEEDS_MIN_GROUP"] = 2
    client = client_as("supervisor", unit_code="prov")
    supervise(client.user, network["province"])
    home = client.get("/reports/").get_data(as_text=True)
    assert 'href="/reports/organisations"' in home  # linked: the viewer spans several libraries
    response = client.get("/reports/organisations")
    assert response.status_code == 200
    rows = rows_of(response.get_data(as_text=True), "organisations")
    # staff, active, completions, mean JP, target, reached %, mastery %
    assert rows["Perpustakaan Uji"][1:] == ["3", "2", "2", "12.3", "20", "33", "80"]
    assert rows[f"Perpustakaan {OTHER_MARKER}"][1:] == ["2", "2", "2", "7", "10", "50", "33"]
    assert rows["Dinas Perpustakaan Provinsi"][1:] == ["0", "0", "0", "—", "20", "—", "—"]

    exported = list(csv.reader(io.StringIO(client.get("/reports/organisations/export.csv")
                                           .data.decode("utf-8-sig"))))
    assert exported[0][0] == "Library" and len(exported) == 4
    assert {row[0]: row[1:] for row in exported[1:]}["Perpustakaan Uji"] == ["3", "2", "2", "12.3", "20", "33", "80"]
    sheet = load_workbook(io.BytesIO(client.get("/reports/organisations/export.xlsx").data)).active
    values = {row[0]: row[1:] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert values[f"Perpustakaan {OTHER_MARKER}"][:2] == (2, 2)


def test_small_libraries_show_their_staff_count_only(app, network, client_as):
    app.config["NEEDS_MIN_GROUP"] = 3
    client = client_as("supervisor", unit_code="prov")
    supervise(client.user, network["province"])
    rows = rows_of(client.get("/reports/organisations").get_data(as_text=True), "organisations")
    assert rows[f"Perpustakaan {OTHER_MARKER}"][1:] == ["2", "—", "—", "—", "10", "—", "—"]
    assert rows["Perpustakaan Uji"][1:] == ["3", "2", "2", "12.3", "20", "33", "80"]


def test_dashboard_of_a_provincial_supervisor_says_whose_rows(app, network, client_as):
    """People of two libraries: a library column, each person's own target, and a note;
    s1's 10 JP of 00:30 WITA on 1 January count this year, a3's 7 JP of the same moment in
    Jakarta do not."""
    client = client_as("supervisor", unit_code="prov")
    supervise(client.user, network["province"])
    html = client.get("/reports/").get_data(as_text=True)
    assert 'id="libraries-note"' in html and 'id="organisation"' in html
    table = Tables(html).tables["people"]
    assert table[0][:2] == ["Name", "Library"]
    rows = {row[0]: row for row in table[1:]}
    # columns: name, library, unit, position, assigned, done, overdue, latest, best, jp, target, last
    assert rows[f"Sari {OTHER_MARKER}"][1] == f"Perpustakaan {OTHER_MARKER}"
    assert rows[f"Sari {OTHER_MARKER}"][9:11] == ["10", "10"]
    assert rows["Ani Tiga"][9:11] == ["0", "20"]
    assert rows["Ani Dua"][9:11] == ["25", "20"]


def test_library_filter_narrows_an_admin_to_one_library(app, network, client_as):
    client = client_as("admin")
    client.user.locale = "en"
    db.session.commit()
    lib = network["lib"].id
    for path in (f"/reports/?organisation={lib}", f"/reports/competencies?organisation={lib}",
                 f"/reports/export.csv?table=people&organisation={lib}",
                 f"/reports/competencies/export.csv?organisation={lib}"):
        response = client.get(path)
        assert response.status_code == 200, path
        text = without_library_filter(response.data.decode("utf-8-sig"))
        assert OTHER_MARKER not in text, path
        assert "Ani Satu" in text, path
    unfiltered = client.get("/reports/").get_data(as_text=True)
    assert f"Sari {OTHER_MARKER}" in unfiltered and 'id="libraries-note"' in unfiltered
    side_by_side = rows_of(client.get("/reports/organisations").get_data(as_text=True), "organisations")
    assert set(side_by_side) == {"Perpustakaan Uji", f"Perpustakaan {OTHER_MARKER}", "Dinas Perpustakaan Provinsi"}


def test_one_library_supervisor_sees_nothing_of_the_other(app, network, client_as):
    """lib's supervisor: no page or export of the reports names the other library, and its
    id as a filter is a 404 (no hint that it exists)."""
    client = client_as("supervisor", unit_code="lib")
    supervise(client.user, network["lib"])
    for path in ("/reports/", "/reports/competencies", "/reports/annual/", "/reports/organisations",
                 "/reports/export.xlsx", "/reports/export.csv?table=people",
                 "/reports/annual/export.csv?table=people", "/reports/organisations/export.csv",
                 "/reports/competencies/export.csv"):
        response = client.get(path)
        assert response.status_code == 200, path
        body = response.data if path.endswith(".xlsx") else response.data.decode("utf-8-sig")
        if path.endswith(".xlsx"):
            sheets = load_workbook(io.BytesIO(body))
            body = " ".join(str(cell) for sheet in sheets for row in sheet.iter_rows(values_only=True)
                            for cell in row)
        assert OTHER_MARKER not in body, path
    page = client.get("/reports/").get_data(as_text=True)
    assert 'id="organisation"' not in page and 'id="libraries-note"' not in page  # one library: no filter
    seb = network["seb"].id
    for path in (f"/reports/?organisation={seb}", f"/reports/competencies?organisation={seb}",
                 f"/reports/export.csv?table=people&organisation={seb}", f"/reports/annual/?unit={seb}"):
        assert client.get(path).status_code == 404, path


def test_annual_report_of_the_province_uses_each_librarys_year(app, network, client_as):
    client = client_as("supervisor", unit_code="prov")
    supervise(client.user, network["province"])
    response = client.get(f"/reports/annual/?unit={network['province'].id}&year={THIS_YEAR}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    rows = {row[1]: row for row in Tables(html).tables["annual-people"][1:]}
    # No., name, library, position, Pembina JP, external JP, total, target, met
    assert rows[f"Sari {OTHER_MARKER}"][2] == f"Perpustakaan {OTHER_MARKER}"
    assert rows[f"Sari {OTHER_MARKER}"][6:9] == ["10", "10", "Met"]
    assert rows["Ani Tiga"][6:9] == ["0", "20", "Not met"]
    assert 'id="libraries-note"' in html


def test_an_organisation_admin_reads_the_reports_of_their_library_only(app, network, client_as):
    """An admin of ``lib`` alone (an organisation role, not a supervisor) opens the reports:
    the views opt in with ``scoped=True`` and count ``lib``'s people only."""
    from lms.auth.models import OrganisationRole

    client = client_as("librarian", unit_code="lib")
    client.user.organisation_roles.append(OrganisationRole(organisation_id=network["lib"].id, role="admin"))
    client.user.locale = "en"
    db.session.commit()
    page = client.get("/reports/")
    assert page.status_code == 200 and "Ani Satu" in page.get_data(as_text=True)
    for path in ("/reports/", "/reports/competencies", "/reports/annual/", "/reports/organisations",
                 "/reports/export.csv?table=people", "/reports/annual/export.csv?table=people",
                 f"/reports/people/{network['a1'].id}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert OTHER_MARKER not in response.data.decode("utf-8-sig"), path
    assert client.get(f"/reports/people/{network['s1'].id}").status_code == 404
    assert client.get(f"/reports/?organisation={network['seb'].id}").status_code == 404

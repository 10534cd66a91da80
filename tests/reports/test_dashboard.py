"""The supervisor dashboard: figures against hand-built data, scoping, sorting, bad filters,
and exports that equal the page cell for cell."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from html.parser import HTMLParser

import pytest
from babel.dates import format_date
from openpyxl import load_workbook

from lms.auth.models import UnitSupervisor
from lms.clock import local_today, utcnow
from lms.extensions import db
from lms.plugins.learning.models import Assignment, CourseCompletion, LessonView, ModuleCompletion
from lms.plugins.quizzes.models import IN_PROGRESS, SUBMITTED, QuizAttempt
from lms.plugins.quizzes import services as quiz_services
from tests.conftest import login
from tests.quizzes.conftest import module

ANI = "Ani Suryaningsih — Pustakawan Ahli"  # a dash outside ASCII: the BOM test reads it back
AHLI = "Pustakawan Ahli Pertama"


class Tables(HTMLParser):
    """The text of every cell of every ``<table id="table-...">`` on a page."""

    def __init__(self, page: str):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._table = None
        self._cell = None
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and (attrs.get("id") or "").startswith("table-"):
            self._table = attrs["id"][len("table-"):]
            self.tables[self._table] = []
        elif self._table and tag == "tr":
            self.tables[self._table].append([])
        elif self._table and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif self._table and tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            self.tables[self._table][-1].append(text.rstrip(" ▲▼"))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def page_tables(client, query: str = "") -> dict[str, list[list[str]]]:
    response = client.get("/reports/" + query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return Tables(response.get_data(as_text=True)).tables


ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
DECIMAL_TEXT = re.compile(r"^-?\d+\.\d+%?$")


def on_page(rows: list[list[str]], locale: str = "en") -> list[list[str]]:
    """An export's rows as the page shows them: the same text, but days in the one date
    format and numbers with the reader's decimal sign (docs/i18n.md); exports keep machine
    formats."""
    def cell(text):
        if isinstance(text, str) and ISO_DAY.match(text):
            return format_date(datetime.strptime(text, "%Y-%m-%d").date(), "medium", locale=locale)
        if locale == "id" and isinstance(text, str) and DECIMAL_TEXT.match(text):
            return text.replace(".", ",")
        return text
    return [[cell(text) for text in row] for row in rows]


def body_rows(table: list[list[str]]) -> dict[str, list[str]]:
    return {row[0]: row for row in table[1:]}


def attempt(user, slug, percent, when, status=SUBMITTED):
    """A raw attempt row (the quizzes plugin's score summary is refreshed for it, as its
    services do on every start, submit and regrade)."""
    target = module(slug)
    number = 1 + db.session.query(QuizAttempt).filter_by(user_id=user.id, module_id=target.id).count()
    row = QuizAttempt(user_id=user.id, module_id=target.id, module_version_id=target.current_version_id,
                      number=number, status=status, layout={}, started_at=when - timedelta(minutes=5),
                      submitted_at=when if status == SUBMITTED else None, percent=percent,
                      passed=None if percent is None else percent >= 60)
    db.session.add(row)
    db.session.flush()
    quiz_services.refresh_scores([(user.id, target.id)])


@pytest.fixture
def world(app, org, make_user, imported):
    """Hand-built figures (the expected values are worked out in each test):

    - ani (section-a1, AHLI): marc assigned to her (due yesterday) and to the library (due in
      10 days: the earlier date wins), the course assigned to branch-a (due 5 days ago), ddc
      assigned to her position (due in 10 days); quiz marc 50 then 87.5, ddc 70 (latest);
      reads marc 300 + 330 s.
    - budi (branch-a): the course (branch-a) and marc (library) apply; completed marc and the
      course (2.5 JP, now); marc 100; an unfinished ddc attempt; reads marc 600 s.
    - other (branch-b): outside the supervisor's units, with activity that must not count.
    """
    today = local_today()
    boss = make_user("boss", roles=("supervisor",), unit=org["branch_a"], locale="en")
    db.session.add(UnitSupervisor(user_id=boss.id, unit_id=org["branch_a"].id))
    ani = make_user("ani", unit=org["section_a1"], full_name=ANI, position=AHLI)
    budi = make_user("budi", unit=org["branch_a"], full_name="Budi Santoso", position="Asisten Perpustakaan Mahir")
    other = make_user("other", unit=org["branch_b"], full_name="Orang Lain", position=AHLI)
    marc, ddc = module("marc"), module("ddc")
    course_id = marc.course_id
    db.session.add_all([
        Assignment(user_id=ani.id, module_id=marc.id, due_on=today - timedelta(days=1)),
        Assignment(unit_id=org["library"].id, module_id=marc.id, due_on=today + timedelta(days=10)),
        Assignment(unit_id=org["branch_a"].id, course_id=course_id, due_on=today - timedelta(days=5)),
        Assignment(position=AHLI, module_id=ddc.id, due_on=today + timedelta(days=10)),
    ])
    now = utcnow()
    attempt(ani, "marc", 50.0, now - timedelta(hours=5))
    attempt(ani, "marc", 87.5, now - timedelta(hours=4))
    attempt(ani, "ddc", 70.0, now - timedelta(hours=3))
    attempt(budi, "marc", 100.0, now - timedelta(hours=6))
    attempt(budi, "ddc", None, now - timedelta(hours=2), status=IN_PROGRESS)
    attempt(other, "marc", 10.0, now - timedelta(hours=1))
    db.session.add_all([
        LessonView(user_id=ani.id, module_id=marc.id, lesson_slug="a", seconds=300, last_seen=now - timedelta(hours=6)),
        LessonView(user_id=ani.id, module_id=marc.id, lesson_slug="b", seconds=330, last_seen=now - timedelta(hours=6)),
        LessonView(user_id=budi.id, module_id=marc.id, lesson_slug="a", seconds=600, last_seen=now - timedelta(hours=7)),
        LessonView(user_id=other.id, module_id=marc.id, lesson_slug="a", seconds=9999, last_seen=now),
        ModuleCompletion(user_id=budi.id, module_id=marc.id, completed_at=now - timedelta(hours=6)),
        CourseCompletion(user_id=budi.id, course_id=course_id, completed_at=now - timedelta(hours=6), jp=2.5),
        ModuleCompletion(user_id=other.id, module_id=marc.id, completed_at=now),
        CourseCompletion(user_id=other.id, course_id=course_id, completed_at=now, jp=4.0),
    ])
    db.session.commit()
    client = app.test_client()
    assert login(client, "boss").status_code == 302
    return {"client": client, "boss": boss, "ani": ani, "budi": budi, "other": other, "today": today,
            "org": org}


HEADER = ["Name", "Unit", "Position", "Assigned", "Assigned and completed", "Overdue", "Latest score (%)",
          "Best score (%)", "JP this year", "JP target", "Last activity"]


def test_per_librarian_figures(world):
    tables = page_tables(world["client"])
    assert tables["people"][0] == HEADER
    rows = body_rows(tables["people"])
    assert set(rows) == {ANI, "Budi Santoso"}  # never "Orang Lain" of branch-b
    # ani: 3 items (marc, course, ddc), none done, marc and the course overdue; latest ddc 70,
    # best 87.5 -> 88 (rounded half up); no JP
    assert rows[ANI][1:] == ["Seksi A1", AHLI, "3", "0", "2", "70", "88", "0", "20", rows[ANI][10]]
    # budi: the course and marc (via the library), both done; 100 %; 2.5 JP
    assert rows["Budi Santoso"][1:] == ["Cabang A", "Asisten Perpustakaan Mahir", "2", "2", "0", "100", "100", "2.5",
                                       "20", rows["Budi Santoso"][10]]
    days = [world["today"], world["today"] - timedelta(days=1)]
    assert {rows[ANI][10], rows["Budi Santoso"][10]} <= {format_date(day, "medium", locale="en") for day in days}


def test_per_module_figures(world):
    rows = body_rows(page_tables(world["client"])["modules"])
    marc = next(row for title, row in rows.items() if "MARC" in title.upper())
    ddc = next(row for title, row in rows.items() if "DDC" in title.upper() or "Dewey" in title)
    # marc: ani and budi (not other); budi completed; 3 submitted, 2 passed -> 67 %; mean of
    # 50, 87.5, 100 = 79.17 -> 79; 3 attempts by 2 learners -> 1.5; 1230 s = 20.5 min -> 0:21
    assert marc[2:] == ["2", "1", "67", "79", "1.5", "0:21"]
    # ddc: ani (submitted) and budi (attempt in progress); 1 submitted, passed; 70; 1 attempt
    assert ddc[2:] == ["2", "0", "100", "70", "1", "0:00"]


def test_trends_count_this_month_in_scope(world):
    rows = page_tables(world["client"])["trends"]
    assert len(rows) == 13  # header and 12 months
    this_month = f"{world['today'].year}-{world['today'].month:02d}"
    assert rows[-1] == [this_month, "1", "1", "2.5"]  # budi's; other's 4 JP are not in view
    assert all(row[1:] == ["0", "0", "0"] for row in rows[1:-1])


def test_unit_filter_narrows_and_refuses_other_units(world):
    client, org = world["client"], world["org"]
    rows = body_rows(page_tables(client, f"?unit={org['section_a1'].id}")["people"])
    assert set(rows) == {ANI}
    for bad in (str(org["branch_b"].id), str(org["library"].id), "1 OR 1=1", "1;DROP TABLE users", "999999",
                "-1", "１"):
        assert client.get("/reports/", query_string={"unit": bad}).status_code == 404, bad
        assert client.get("/reports/export.csv", query_string={"unit": bad}).status_code == 404, bad
        assert client.get("/reports/export.xlsx", query_string={"unit": bad}).status_code == 404, bad


def test_position_filter_is_a_bound_parameter(world):
    client = world["client"]
    assert set(body_rows(page_tables(client, "?position=" + AHLI)["people"])) == {ANI}
    response = client.get("/reports/", query_string={"position": "x' OR '1'='1"})
    assert response.status_code == 200
    assert ANI not in response.get_data(as_text=True) and "Budi Santoso" not in response.get_data(as_text=True)


def test_sorting_is_whitelisted(world):
    client = world["client"]
    names = lambda query: [row[0] for row in page_tables(client, query)["people"][1:]]  # noqa: E731
    assert names("") == [ANI, "Budi Santoso"]
    assert names("?sort=jp&dir=desc") == ["Budi Santoso", ANI]
    assert names("?sort=overdue&dir=desc") == [ANI, "Budi Santoso"]
    assert names("?sort=best") == [ANI, "Budi Santoso"]
    assert names("?sort=unit") == ["Budi Santoso", ANI]  # Cabang A before Seksi A1
    for bad in ("password_hash", "name;DROP TABLE users", "1", "full_name desc"):
        assert names(f"?sort={bad}&dir=sideways") == [ANI, "Budi Santoso"], bad


def _xlsx_text(value) -> str:
    """An XLSX cell as the page writes it (the page's formatting, applied to the typed value)."""
    if value is None:
        return "—"
    if isinstance(value, timedelta):
        minutes = int(value.total_seconds() // 60)
        return f"{minutes // 60}:{minutes % 60:02d}"
    if isinstance(value, datetime):  # openpyxl reads a date cell back as midnight
        return value.date().isoformat()
    if isinstance(value, (int, float)):
        return f"{value:g}"
    return str(value)


@pytest.mark.parametrize("query", ["", "?sort=jp&dir=desc", "?position=" + AHLI])
def test_exports_equal_the_page(world, query):
    client = world["client"]
    page = page_tables(client, query)
    joiner = "&" if query else "?"
    book = load_workbook(io.BytesIO(client.get("/reports/export.xlsx" + query).data))
    for name in ("people", "modules", "trends"):
        response = client.get(f"/reports/export.csv{query}{joiner}table={name}")
        assert response.status_code == 200
        assert response.headers["Content-Disposition"].endswith(f'-{world["today"].isoformat()}.csv"')
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
        assert on_page(rows) == page[name], name
        sheet = book.worksheets[("people", "modules", "trends").index(name)]
        cells = [[_xlsx_text(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
        assert on_page(cells) == page[name], name
        assert all(cell.font.bold for cell in sheet[1])
    people = book.worksheets[0]
    numbers = [row for row in people.iter_rows(min_row=2, values_only=True)]
    assert all(isinstance(row[3], int) and isinstance(row[8], (int, float)) for row in numbers)


def test_csv_has_bom_and_indonesian_text(world):
    response = world["client"].get("/reports/export.csv?table=people")
    assert response.data.startswith(b"\xef\xbb\xbf")
    assert response.mimetype == "text/csv"
    text = response.data.decode("utf-8")
    assert ANI in text and AHLI in text and "Seksi A1" in text


def test_one_table_per_csv_and_unknown_tables_refused(world):
    client = world["client"]
    assert client.get("/reports/export.csv?table=people,modules").status_code == 404
    assert client.get("/reports/export.csv?table=users").status_code == 404
    assert client.get("/reports/export.xlsx?table=people;x").status_code == 404
    book = load_workbook(io.BytesIO(client.get("/reports/export.xlsx?table=modules").data))
    assert len(book.worksheets) == 1


@pytest.mark.parametrize("role", ["librarian", "trainer"])
def test_librarians_and_trainers_get_403(client_as, imported, role):
    client = client_as(role)
    for path in ("/reports/", "/reports/export.csv?table=people", "/reports/export.xlsx"):
        assert client.get(path).status_code == 403, path


def test_admin_sees_everyone(world, client_as):
    admin = client_as("admin")
    names = set(body_rows(page_tables(admin)["people"]))
    assert names == {ANI, "Budi Santoso", "Orang Lain"}
    branch_b = world["org"]["branch_b"].id
    assert set(body_rows(page_tables(admin, f"?unit={branch_b}")["people"])) == {"Orang Lain"}


def test_supervisor_home_panel_and_nav(world):
    page = world["client"].get("/").get_data(as_text=True)
    assert "2 of 2 librarians are below the JP target of 20 this year" in page
    assert "Overdue assignments: 2" in page
    assert 'href="/reports/"' in page


def test_supervisor_without_units_sees_nobody(client_as, imported, make_user, org):
    make_user("someone", unit=org["branch_a"], full_name="Seseorang")
    client = client_as("supervisor")  # no UnitSupervisor row: supervises nothing
    tables = page_tables(client)  # Indonesian, the default: renders too
    assert "people" not in tables and "Seseorang" not in client.get("/reports/").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(client.get("/reports/export.csv").data.decode("utf-8-sig"))))
    assert len(rows) == 1  # the header alone


def test_jp_this_year_adds_verified_external_training_only(world):
    """budi: 2.5 course JP + 3 verified external JP this year = 5.5; his submitted and
    rejected records and last year's verified one do not count."""
    from lms.plugins.records.models import REJECTED, SUBMITTED as RECORD_SUBMITTED, VERIFIED, ExternalTraining

    today = world["today"]
    budi = world["budi"]

    def record(status, jp, end_on):
        return ExternalTraining(user_id=budi.id, entered_by_id=budi.id, kind="seminar", provider="P", topic="T",
                                start_on=end_on, end_on=end_on, jp=jp, status=status, rejection_reason="",
                                evidence_name="e.pdf", evidence_stored=f"{jp:032.0f}"[-32:] + ".pdf",
                                evidence_type="application/pdf", evidence_size=10, evidence_sha256="0" * 64)
    db.session.add_all([record(VERIFIED, 3.0, today), record(RECORD_SUBMITTED, 7.0, today),
                        record(REJECTED, 11.0, today), record(VERIFIED, 13.0, today.replace(year=today.year - 1))])
    db.session.commit()
    rows = body_rows(page_tables(world["client"])["people"])
    assert rows["Budi Santoso"][8] == "5.5" and rows[ANI][8] == "0"


def test_dashboard_statement_count_is_fixed(world, app, make_user, org):
    """The page is a fixed number of statements whatever the unit holds: three tables (one
    statement for people, one for modules, two for trends) after one look-up of the
    viewer's units for the whole request, plus the filters and the layout - no statement
    per person or module."""
    from sqlalchemy import event

    client = world["client"]
    client.get("/reports/")  # warm: the session user is loaded the same way on every request
    seen: list[str] = []

    def note(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert client.get("/reports/").status_code == 200
        first = len(seen)
        for number in range(5):  # more people and activity: the same statements
            person = make_user(f"extra{number}", unit=org["section_a1"], full_name=f"Extra {number}")
            attempt(person, "marc", 40.0 + number, utcnow())
        db.session.commit()
        seen.clear()
        assert client.get("/reports/").status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert len(seen) == first
    statements = [s for s in seen if "quiz_attempts" in s]
    assert not statements, "the dashboard reads the quiz score summary, never the attempts"
    figures = [s for s in seen if any(t in s for t in ("quiz_scores", "lesson_views", "module_completions",
                                                        "course_completions"))]
    assert len(figures) == 4, figures  # people, modules, and trends' two
    # the viewer's units: looked up once (parse_filters) and once inside the unit filter's
    # list, not again by people, modules, trends and the position filter
    assert len([s for s in seen if "unit_supervisors" in s]) == 2, seen
    assert len(seen) == PAGE_STATEMENTS, seen


PAGE_STATEMENTS = 9  # user, units, people, modules, trends (2), unit filter, positions, notifications


def test_resolved_scope_serves_only_its_viewer(world, app, org):
    """The units parse_filters looked up travel with the filters, but only for the viewer
    they were looked up for: another viewer's statements look up their own units."""
    from lms.plugins.reports import dashboard

    with app.test_request_context("/reports/"):
        boss = db.session.get(type(world["boss"]), world["boss"].id)
        other = db.session.get(type(world["other"]), world["other"].id)
        filters = dashboard.parse_filters(boss, {"unit": str(org["section_a1"].id)})
        assert filters == dashboard.Filters(unit_id=org["section_a1"].id)  # the scope is not compared
        assert set(filters.scope.people) < set(filters.scope.viewer)
        names = {f.name for f in dashboard.people_figures(boss, filters)}
        assert names == {ANI}
        everyone = dashboard.parse_filters(boss, {})
        assert ANI in {f.name for f in dashboard.people_figures(boss, everyone)}
        assert dashboard.people_figures(other, everyone) == []  # 'other' supervises nothing
        assert {f.name for f in dashboard.people_figures(boss, dashboard.Filters(unit_id=org["section_a1"].id))} == names


def test_table_cells_and_person_links_are_escaped(world, make_user, org):
    """Names, units and positions are text, never markup: in a plain cell and in the link
    to the person's record alike (report_rows writes the cells without Jinja)."""
    person = make_user("tricky", unit=org["section_a1"], full_name='<b>Tri & "Ki"</b>', position="<i>Ahli</i>")
    db.session.commit()
    html = world["client"].get("/reports/").get_data(as_text=True)
    assert "<b>Tri" not in html and "<i>Ahli" not in html
    assert f'<a href="/reports/people/{person.id}">&lt;b&gt;Tri &amp; &#34;Ki&#34;&lt;/b&gt;</a></td>' in html
    assert '<td data-col="position">&lt;i&gt;Ahli&lt;/i&gt;</td>' in html

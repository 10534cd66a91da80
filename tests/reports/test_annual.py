"""The annual competency-development report: figures against hand-built data (JP in and out
of the year at local midnight, verified and unverified external training), target met or
not, scoping, bad input, and the needs-round summary hidden under the minimum group."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from lms.auth.models import UnitSupervisor
from lms.clock import local_today, year_bounds
from lms.extensions import db
from lms.plugins.courses.models import Course
from lms.plugins.learning.models import CourseCompletion, ModuleCompletion
from lms.plugins.needs.models import SELF, NeedsRound, NeedsRoundUnit, StaffAnswer, StaffResponse, Survey
from lms.plugins.records.models import REJECTED, SUBMITTED, VERIFIED, ExternalTraining
from lms.plugins.reports import annual
from tests.conftest import login
from tests.quizzes.conftest import module
from tests.reports.test_dashboard import Tables, body_rows

YEAR = 2025
AHLI = "Pustakawan Ahli Pertama"


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=timezone.utc)


def external(user, status: str, jp: float, end_on: date) -> None:
    n = db.session.query(ExternalTraining).count() + 1
    db.session.add(ExternalTraining(
        user_id=user.id, kind="workshop", provider="P", topic=f"T{n}", start_on=end_on, end_on=end_on, jp=jp,
        status=status, rejection_reason="", evidence_name="e.pdf", evidence_stored=f"{n:032x}.pdf",
        evidence_type="application/pdf", evidence_size=10, evidence_sha256="0" * 64))


def extra_course(like: Course, slug: str, title: str) -> Course:
    course = Course(slug=slug, topic_id=like.topic_id, title_id=title, title_en=title, summary_id="", summary_en="",
                    level=like.level, version_label="1", jp=1, source_hash=slug)
    db.session.add(course)
    db.session.flush()
    return course


def client_for(app, username: str):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


@pytest.fixture
def world(app, org, make_user, imported):
    """Library time is WIB (UTC+7). In 2025, for branch-a and the section below it:

    - ani (section-a1): the sample course, 12 JP at 23:30 WIB on 31 Dec 2025 (counts);
      course one, 6 JP at 00:30 WIB on 1 Jan 2026 (does not); marc completed in 2025;
      external: verified 10 JP (June 2025, counts), submitted 5 and rejected 7 (2025, do
      not), verified 3 ending 31 Dec 2024 (does not). 12 + 10 = 22 >= 20: met.
    - budi (branch-a): course one, 2.5 JP in March 2025; course two, 4 JP at 23:59 WIB on
      31 Dec 2024 (does not); marc in May and ddc at 00:00 WIB on 1 Jan 2025 (both count);
      verified 4 JP ending 31 Dec 2025. 2.5 + 4 = 6.5 < 20: not met.
    - a trainer of branch-a (not a librarian) and orang (branch-b): must not count.
    """
    boss = make_user("boss", roles=("supervisor",), unit=org["branch_a"], locale="en")
    db.session.add(UnitSupervisor(user_id=boss.id, unit_id=org["branch_a"].id))
    ani = make_user("ani", unit=org["section_a1"], full_name="Ani Suryaningsih", position=AHLI, locale="en")
    budi = make_user("budi", unit=org["branch_a"], full_name="Budi Santoso", position="Asisten Perpustakaan Mahir")
    trainer = make_user("tina", roles=("trainer",), unit=org["branch_a"], full_name="Tina Trainer")
    orang = make_user("orang", unit=org["branch_b"], full_name="Orang Lain")
    make_user("admin", roles=("admin",), unit=org["library"], locale="en")
    marc, ddc = module("marc"), module("ddc")
    sample = db.session.get(Course, marc.course_id)
    one = extra_course(sample, "satu", "Course One")
    two = extra_course(sample, "dua", "Course Two")
    db.session.add_all([
        CourseCompletion(user_id=ani.id, course_id=sample.id, completed_at=utc(2025, 12, 31, 16, 30), jp=12),
        CourseCompletion(user_id=ani.id, course_id=one.id, completed_at=utc(2025, 12, 31, 17, 30), jp=6),
        ModuleCompletion(user_id=ani.id, module_id=marc.id, completed_at=utc(2025, 12, 31, 16, 30)),
        CourseCompletion(user_id=budi.id, course_id=one.id, completed_at=utc(2025, 3, 10, 3), jp=2.5),
        CourseCompletion(user_id=budi.id, course_id=two.id, completed_at=utc(2024, 12, 31, 16, 59), jp=4),
        ModuleCompletion(user_id=budi.id, module_id=marc.id, completed_at=utc(2025, 5, 1, 3)),
        ModuleCompletion(user_id=budi.id, module_id=ddc.id, completed_at=utc(2024, 12, 31, 17, 0)),
        CourseCompletion(user_id=trainer.id, course_id=two.id, completed_at=utc(2025, 6, 1), jp=5),
        CourseCompletion(user_id=orang.id, course_id=sample.id, completed_at=utc(2025, 6, 1), jp=30),
    ])
    external(ani, VERIFIED, 10, date(2025, 6, 1))
    external(ani, SUBMITTED, 5, date(2025, 7, 1))
    external(ani, REJECTED, 7, date(2025, 7, 2))
    external(ani, VERIFIED, 3, date(2024, 12, 31))
    external(budi, VERIFIED, 4, date(2025, 12, 31))
    external(orang, VERIFIED, 8, date(2025, 6, 1))
    db.session.commit()
    return {"boss": boss, "ani": ani, "budi": budi, "org": org, "client": client_for(app, "boss"),
            "sample": sample, "one": one}


def page(client, query: str = "", status: int = 200) -> str:
    response = client.get("/reports/annual/" + query)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response.get_data(as_text=True)


def test_year_bounds_are_local_midnights(app):
    start, end = year_bounds(YEAR)
    assert start == utc(2024, 12, 31, 17) and end == utc(2025, 12, 31, 17)  # WIB = UTC+7


def test_per_person_figures(world):
    people = {p.name: p for p in annual.people_year(world["org"]["branch_a"].id, YEAR)}
    assert set(people) == {"Ani Suryaningsih", "Budi Santoso"}  # no trainer, nobody of branch-b
    ani, budi = people["Ani Suryaningsih"], people["Budi Santoso"]
    assert (ani.pembina_jp, ani.external_jp, ani.total_jp, ani.courses, ani.modules, ani.trainings) == (
        12.0, 10.0, 22.0, 1, 1, 1)
    assert ani.met
    assert (budi.pembina_jp, budi.external_jp, budi.total_jp, budi.courses, budi.modules, budi.trainings) == (
        2.5, 4.0, 6.5, 1, 2, 1)
    assert not budi.met


def test_the_other_year_holds_the_other_side_of_midnight(world):
    people = {p.name: p for p in annual.people_year(world["org"]["branch_a"].id, 2026)}
    assert (people["Ani Suryaningsih"].pembina_jp, people["Ani Suryaningsih"].external_jp) == (6.0, 0.0)
    people = {p.name: p for p in annual.people_year(world["org"]["branch_a"].id, 2024)}
    assert (people["Budi Santoso"].pembina_jp, people["Budi Santoso"].modules) == (4.0, 0)
    assert people["Ani Suryaningsih"].external_jp == 3.0


def test_target_met_exactly_and_after_rounding(app):
    person = annual.PersonYear(1, "A", "", pembina_jp=0.1, external_jp=19.9, courses=0, modules=0, trainings=0,
                               target=20)
    assert person.met  # 0.1 + 19.9 is 19.999999999999996 in floating point
    person.external_jp = 19.8
    assert not person.met


def test_page_shows_totals_people_and_courses(world):
    html = page(world["client"], f"?unit={world['org']['branch_a'].id}&year={YEAR}")
    assert f"Staff Competency Development Report {YEAR} — Cabang A" in html
    tables = Tables(html).tables
    rows = body_rows([row[1:] for row in tables["annual-people"]])
    assert rows["Ani Suryaningsih"] == ["Ani Suryaningsih", AHLI, "12", "10", "22", "20", "Met"]
    assert rows["Budi Santoso"] == ["Budi Santoso", "Asisten Perpustakaan Mahir", "2.5", "4", "6.5", "20", "Not met"]
    courses = tables["annual-courses"]
    assert courses[0] == ["Course", "Completions", "JP earned"]
    assert sorted(courses[1:]) == sorted([[world["sample"].title_en, "1", "12"], ["Course One", "1", "2.5"]])
    # Totals: 2 librarians, 1 met, 22 + 6.5 = 28.5 JP (14.5 + 14), 2 courses, 3 modules, 2 trainings
    totals = annual.totals_of(annual.people_year(world["org"]["branch_a"].id, YEAR))
    assert (totals.librarians, totals.met, totals.total_jp, totals.pembina_jp, totals.external_jp, totals.courses,
            totals.modules, totals.trainings) == (2, 1, 28.5, 14.5, 14.0, 2, 3, 2)
    for dt, dd in (("Librarians", "2"), ("Reached the JP target", "1 / 2"), ("Total JP", "28.5"),
                   ("Courses completed", "2"), ("Modules completed", "3"), ("External trainings verified", "2")):
        assert f"<dt>{dt}</dt><dd>{dd}</dd>" in html


def test_section_narrows_to_its_people(world):
    html = page(world["client"], f"?unit={world['org']['section_a1'].id}&year={YEAR}")
    assert set(body_rows([row[1:] for row in Tables(html).tables["annual-people"]])) == {"Ani Suryaningsih"}


def test_default_is_the_supervised_unit_and_this_year(world):
    html = page(world["client"])
    assert f"Staff Competency Development Report {local_today().year} — Cabang A" in html


def test_other_unit_and_bad_input_are_refused(world, app):
    client, org = world["client"], world["org"]
    for query in (f"?unit={org['branch_b'].id}", f"?unit={org['library'].id}", "?unit=abc", "?unit=999999",
                  "?unit=1%20OR%201=1", f"?year={local_today().year + 1}", "?year=1999", "?year=20x5",
                  "?year=99999"):
        page(client, query, 404)
    admin = client_for(app, "admin")
    assert "Cabang B" in page(admin, f"?unit={org['branch_b'].id}&year={YEAR}")
    librarian = client_for(app, "ani")
    assert librarian.get("/reports/annual/").status_code == 403


def test_print_view_has_no_script_and_hides_controls(world):
    html = page(world["client"], f"?unit={world['org']['branch_a'].id}&year={YEAR}&print=1")
    assert "annual-print" in html and 'class="filters' not in html
    assert "<script" not in html and "style=" not in html and "onclick" not in html
    normal = page(world["client"], f"?unit={world['org']['branch_a'].id}&year={YEAR}")
    assert "print=1" in normal and "annual-print" not in normal


# --- the needs summary ------------------------------------------------------------------------

def needs_round(units=(), closes_on=date(2025, 3, 31)) -> NeedsRound:
    survey = db.session.query(Survey).filter_by(slug="self-test").one_or_none()
    if survey is None:
        survey = Survey(slug="self-test", kind=SELF, title_id="Survei", title_en="Survey", source_hash="x")
        db.session.add(survey)
        db.session.flush()
    found = NeedsRound(title=f"Asesmen {closes_on.isoformat()}", opens_on=closes_on - timedelta(days=30),
                       closes_on=closes_on, self_survey_id=survey.id)
    db.session.add(found)
    db.session.flush()
    for unit in units:
        db.session.add(NeedsRoundUnit(round_id=found.id, unit_id=unit.id))
    db.session.commit()
    return found


def respond(found: NeedsRound, user, unit) -> None:
    """cat-marc I=5 A=1 (MWDS 20: need 1), cat-classification I=4 A=3 (MWDS 4: need 0.2),
    cs-reference-interview I=3 A=3 (no need) - the same for every respondent."""
    response = StaffResponse(round_id=found.id, survey_id=found.self_survey_id, kind=SELF, subject_id=user.id,
                             rater_id=user.id, unit_id=unit.id, position=user.position)
    response.answers = [StaffAnswer(competency_id="cat-marc", importance=5, ability=1),
                        StaffAnswer(competency_id="cat-classification", importance=4, ability=3),
                        StaffAnswer(competency_id="cs-reference-interview", importance=3, ability=3)]
    db.session.add(response)
    db.session.commit()


def test_needs_summary_hidden_below_min_group_and_shown_at_it(world, app, make_user):
    app.config["NEEDS_MIN_GROUP"] = 3
    org, client = world["org"], world["client"]
    found = needs_round()
    respond(found, world["ani"], org["section_a1"])
    respond(found, world["budi"], org["branch_a"])
    query = f"?unit={org['branch_a'].id}&year={YEAR}"
    html = page(client, query)
    assert found.title in html and "Respondents in this unit: 2." in html
    assert 'id="needs-hidden"' in html and "fewer than 3 people" in html
    assert "table-annual-needs" not in html and "MARC 21 format" not in html

    carla = make_user("carla", unit=org["section_a1"], full_name="Carla")
    respond(found, carla, org["section_a1"])
    html = page(client, query)
    assert "Respondents in this unit: 3." in html and 'id="needs-hidden"' not in html
    needs = Tables(html).tables["annual-needs"]
    # priority = the self-assessment need: 1, 0.2, 0 -> 100, 20, 0 (ranked)
    assert needs[1:] == [["1", "MARC 21 format", "100"], ["2", "DDC classification", "20"],
                         ["3", "Reference interview", "0"]]
    # the section alone has 2 respondents: hidden there
    assert 'id="needs-hidden"' in page(client, f"?unit={org['section_a1'].id}&year={YEAR}")


def test_needs_round_must_cover_the_unit_and_close_in_the_year(world):
    org = world["org"]
    assert annual.round_for(org["branch_a"].id, YEAR) is None
    elsewhere = needs_round(units=[org["branch_b"]])
    assert annual.round_for(org["branch_a"].id, YEAR) is None
    assert annual.round_for(org["branch_b"].id, YEAR).id == elsewhere.id
    above = needs_round(units=[org["library"]], closes_on=date(2025, 4, 30))
    assert annual.round_for(org["section_a1"].id, YEAR).id == above.id  # scoped to a unit above
    needs_round(closes_on=date(2026, 1, 15))  # closed the following year
    assert annual.round_for(org["section_a1"].id, YEAR).id == above.id
    html = page(world["client"], f"?unit={org['branch_a'].id}&year=2024")
    assert "No needs-assessment round covering this unit closed in 2024." in html

"""The librarian's profile and training record: who may open it, what the competency
profile shows (mastery worked out by hand, ratings, targets, the self-assessment only for
the person), courses, modules, external training and JP this year."""
from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from lms.auth.models import UnitSupervisor
from lms.clock import local_today, utcnow
from lms.extensions import db
from lms.plugins.learning.models import Certificate, CourseCompletion, ModuleCompletion
from lms.plugins.records.models import REJECTED, SUBMITTED, VERIFIED, ExternalTraining
from lms.plugins.reports import profile
from tests.conftest import login
from tests.needs.test_analysis import PARTIAL, make_round, quiz, rate, self_assess
from tests.quizzes.conftest import module
from tests.reports.test_dashboard import Tables

AHLI = "Pustakawan Ahli Pertama"  # competencies.yml: cs-reference-interview targets 3 for it


def record(user, kind, jp, status, end_on, topic):
    row = ExternalTraining(user_id=user.id, kind=kind, provider="Perpusnas", topic=topic, start_on=end_on,
                           end_on=end_on, jp=jp, status=status, rejection_reason="",
                           evidence_name="bukti.pdf", evidence_stored=f"{topic}.pdf", evidence_type="application/pdf",
                           evidence_size=10, evidence_sha256="0" * 64)
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def world(app, org, make_user, imported):
    """ani (section-a1, AHLI) with, worked out by hand:

    - quiz answers on cat-marc: PARTIAL (3 of 5 points: 1 + 2 x 0.5 + 0 + 1) and a second
      attempt with marc-multi right (2 of 2 points) and marc-tf ungraded (ignored): 5 of 7
      points = 71.4 % -> "71"; 5 graded answers; an unsubmitted attempt is ignored;
    - the latest closed round: her self-assessment cat-marc (I 5, A 2); supervisors rated
      cat-marc 3 and 4 (mean 3.5), cs-reference-interview 2 (target 3 for AHLI);
    - the course completed now (2.5 JP, certificate SERT-ANI) and one last year (4 JP);
    - external: verified 3 JP this year, submitted 5 JP, rejected 7 JP, verified 11 JP last
      year -> JP this year = 2.5 + 3 = 5.5.
    """
    today = local_today()
    boss = make_user("boss", roles=("supervisor",), unit=org["branch_a"], locale="en")
    boss2 = make_user("boss2", roles=("supervisor",), unit=org["branch_a"], locale="en")
    other_boss = make_user("otherboss", roles=("supervisor",), unit=org["branch_b"], locale="en")
    db.session.add_all([UnitSupervisor(user_id=boss.id, unit_id=org["branch_a"].id),
                        UnitSupervisor(user_id=boss2.id, unit_id=org["branch_a"].id),
                        UnitSupervisor(user_id=other_boss.id, unit_id=org["branch_b"].id)])
    ani = make_user("ani", unit=org["section_a1"], full_name="Ani Suryani", position=AHLI, locale="en")
    budi = make_user("budi", unit=org["section_a1"], full_name="Budi Santoso", locale="en")
    make_user("admin", roles=("admin",), locale="en")
    make_user("trainer", roles=("trainer",), unit=org["branch_a"], locale="en")
    db.session.commit()

    needs_round = make_round(opens=today - timedelta(days=60), closes=today - timedelta(days=30))
    self_assess(needs_round, ani, {"cat-marc": (5, 2)})
    rate(needs_round, boss, ani, {"cat-marc": 3, "cs-reference-interview": 2})
    rate(needs_round, boss2, ani, {"cat-marc": 4})

    now = utcnow()
    quiz(ani, "marc", PARTIAL, now - timedelta(hours=3))
    quiz(ani, "marc", {"marc-multi": 1.0, "marc-tf": None}, now - timedelta(hours=2))
    quiz(ani, "marc", {"marc-245": 1.0}, None, status="in_progress")

    marc = module("marc")
    completion = CourseCompletion(user_id=ani.id, course_id=marc.course_id, completed_at=now - timedelta(hours=1),
                                  jp=2.5)
    db.session.add_all([completion, ModuleCompletion(user_id=ani.id, module_id=marc.id,
                                                     completed_at=now - timedelta(hours=1))])
    db.session.flush()
    db.session.add(Certificate(code="SERT-ANI", completion_id=completion.id, user_id=ani.id,
                               course_id=marc.course_id, full_name=ani.full_name, course_title_id="Contoh",
                               course_title_en="Sample", completed_on=today, jp=2.5))
    db.session.commit()
    last_year = date(today.year - 1, 6, 1)
    record(ani, "seminar", 3.0, VERIFIED, today, "Seminar literasi")
    record(ani, "workshop", 5.0, SUBMITTED, today, "Lokakarya katalog")
    record(ani, "conference", 7.0, REJECTED, today, "Konferensi ditolak")
    record(ani, "course", 11.0, VERIFIED, last_year, "Kursus tahun lalu")
    return {"ani": ani, "budi": budi, "boss": boss, "round": needs_round}


def signed_in(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def page(app, username, user):
    return signed_in(app, username).get(f"/reports/people/{user.id}")


@pytest.mark.parametrize("viewer, status", [
    ("ani", 200),  # herself
    ("boss", 200),  # a supervisor over section-a1 (through branch-a)
    ("admin", 200),
    ("otherboss", 404),  # supervises branch-b only
    ("budi", 404),  # another librarian
    ("trainer", 404),  # no supervision
])
def test_access(app, world, viewer, status):
    assert page(app, viewer, world["ani"]).status_code == status


def test_unknown_person_is_404_and_anonymous_goes_to_login(app, world, client):
    assert signed_in(app, "admin").get("/reports/people/999999").status_code == 404
    assert client.get(f"/reports/people/{world['ani'].id}").status_code in (302, 401)


def test_me_redirects_a_librarian_to_her_own_record(app, world):
    response = signed_in(app, "ani").get("/reports/me")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/reports/people/{world['ani'].id}")
    assert signed_in(app, "boss").get("/reports/me").status_code == 403


def test_nav_offers_my_record_to_librarians(app, world):
    assert 'href="/reports/me"' in signed_in(app, "ani").get("/").get_data(as_text=True)
    assert 'href="/reports/me"' not in signed_in(app, "boss").get("/").get_data(as_text=True)


def competency_rows(html: str) -> dict[str, list[str]]:
    rows = Tables(html).tables["profile"]
    return {row[0]: row for row in rows[1:] if len(row) > 1}


def test_competency_profile_figures(app, world):
    html = page(app, "boss", world["ani"]).get_data(as_text=True)
    rows = competency_rows(html)
    # name, mastery %, graded answers, supervisor rating, target
    # the last column: observed application (evaluations plugin), none here
    assert rows["MARC 21 format"] == ["MARC 21 format", "71", "5", "3.5", "4", "—"]
    assert rows["Reference interview"] == ["Reference interview", "—", "0", "2", "3", "—"]
    assert rows["DDC classification"] == ["DDC classification", "—", "0", "—", "4", "—"]
    assert 'class="num heat m-3" data-col="mastery">71<' in html
    assert 'class="num heat m-none" data-col="mastery">—<' in html
    lines = {line.competency.id: line for _area, items in profile.build(world["boss"], world["ani"], "en").areas
             for line in items}
    assert lines["cat-marc"].mastery.earned == pytest.approx(5.0)
    assert lines["cat-marc"].mastery.points == pytest.approx(7.0)
    assert lines["cat-marc"].percent == pytest.approx(500 / 7)


def test_self_assessment_only_for_the_person(app, world):
    own = page(app, "ani", world["ani"]).get_data(as_text=True)
    assert competency_rows(own)["MARC 21 format"] == ["MARC 21 format", "71", "5", "3.5", "4", "—", "—", "5", "2"]
    assert "My importance" in own
    for viewer in ("boss", "admin"):
        html = page(app, viewer, world["ani"]).get_data(as_text=True)
        assert "My importance" not in html and 'data-col="importance"' not in html
        assert 'data-col="ability"' not in html
    built = profile.build(world["boss"], world["ani"], "en")
    assert all(line.importance is None and line.ability is None for _a, items in built.areas for line in items)


def test_courses_modules_and_certificate_link_only_for_the_owner(app, world):
    own = page(app, "ani", world["ani"]).get_data(as_text=True)
    courses = Tables(own).tables["courses"]
    assert len(courses) == 2 and courses[1][2:] == ["2.5", "SERT-ANI"]
    assert 'href="/learning/certificates/SERT-ANI"' in own
    boss = page(app, "boss", world["ani"]).get_data(as_text=True)
    assert "SERT-ANI" in boss and "/learning/certificates/SERT-ANI" not in boss
    modules = Tables(own).tables["modules"]
    assert len(modules) == 2 and modules[1][0] == "Mengenal MARC 21"


def test_external_training_listed_with_status_and_links(app, world):
    html = page(app, "boss", world["ani"]).get_data(as_text=True)
    rows = {row[2]: row for row in Tables(html).tables["external"][1:]}
    assert set(rows) == {"Seminar literasi", "Lokakarya katalog", "Konferensi ditolak", "Kursus tahun lalu"}
    assert rows["Seminar literasi"][0] == "Seminar" and rows["Seminar literasi"][5] == "Verified"
    assert rows["Lokakarya katalog"][5] == "Waiting for verification"
    assert rows["Konferensi ditolak"][5] == "Rejected"
    assert rows["Kursus tahun lalu"][4] == "11"
    for found in re.findall(r'data-record="(\d+)"', html):
        assert f'href="/records/{found}"' in html


def test_jp_this_year_is_courses_plus_verified_external_only(app, world):
    built = profile.build(world["ani"], world["ani"], "en")
    assert built.jp_total == pytest.approx(2.5 + 3.0)
    assert built.jp_external == pytest.approx(3.0)
    assert built.jp_courses == pytest.approx(2.5)
    html = page(app, "ani", world["ani"]).get_data(as_text=True)
    assert '<strong id="jp-total">5.5</strong>' in html
    assert "Courses in Pembina: 2.5 JP · verified external training: 3 JP" in html


def test_without_a_closed_round_no_ratings(app, world):
    world["round"].closes_on = local_today() + timedelta(days=1)
    db.session.commit()
    built = profile.build(world["ani"], world["ani"], "en")
    assert built.needs_round is None
    assert all(line.rating is None and line.importance is None for _a, items in built.areas for line in items)
    assert page(app, "ani", world["ani"]).status_code == 200


def test_pages_render_in_indonesian(app, world):
    world["ani"].locale = "id"
    db.session.commit()
    html = page(app, "ani", world["ani"]).get_data(as_text=True)
    assert page(app, "ani", world["ani"]).status_code == 200
    assert "5,5" in html  # JP this year, Indonesian decimals

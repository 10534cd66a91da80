"""Each library's own calendar and JP target (issue 20, item 3): a library in Asia/Makassar
(WITA, UTC+8) counts a course completed at 23:30 WIB on 31 December - 00:30 on 1 January
in Makassar - in the new year, dates its certificate 1 January, and holds its staff to its
own JP target; a library in Jakarta counts the same moment in the old year."""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from babel.dates import format_date

from lms.auth.models import Organisation
from lms.clock import local_today, utcnow, year_bounds
from lms.extensions import db
from lms.plugins.learning import overview
from lms.plugins.learning.models import CourseCompletion
from lms.plugins.learning.services import issue_certificate
from tests.quizzes.conftest import module

THIS_YEAR = utcnow().astimezone(timezone(timedelta(hours=7))).year
NEW_YEAR_EVE = datetime(THIS_YEAR - 1, 12, 31, 16, 30, tzinfo=timezone.utc)  # 23:30 WIB, 00:30 WITA


@pytest.fixture
def wita(app, org, other_org, make_user, imported):
    """lib-seb in Makassar with a target of 10 JP; seb and jkt each completed the course at
    23:30 WIB on 31 December last year (10 JP)."""
    seb_library = db.session.get(Organisation, other_org["library"].id)
    seb_library.time_zone, seb_library.jp_target = "Asia/Makassar", 10.0
    seb = make_user("seb", unit=other_org["branch"], locale="en")
    jkt = make_user("jkt", unit=org["branch_a"], locale="en")
    course_id = module("marc").course_id
    completions = {user.username: CourseCompletion(user_id=user.id, course_id=course_id,
                                                   completed_at=NEW_YEAR_EVE, jp=10.0) for user in (seb, jkt)}
    db.session.add_all(completions.values())
    db.session.commit()
    return {"seb": seb, "jkt": jkt, "completions": completions, "library": seb_library}


def test_clock_takes_the_organisation(app, wita):
    start, _end = year_bounds(THIS_YEAR, wita["library"])
    assert start == datetime(THIS_YEAR - 1, 12, 31, 16, 0, tzinfo=timezone.utc)  # midnight WITA
    assert year_bounds(THIS_YEAR, None)[0] == datetime(THIS_YEAR - 1, 12, 31, 17, 0, tzinfo=timezone.utc)
    assert local_today(wita["library"]) in (date.today(), date.today() + timedelta(days=1),
                                            date.today() - timedelta(days=1))


def test_the_new_year_starts_at_the_librarys_midnight(app, wita):
    assert overview.jp_in_year(wita["seb"].id, THIS_YEAR) == 10.0
    assert overview.jp_in_year(wita["seb"].id, THIS_YEAR - 1) == 0.0
    assert overview.jp_in_year(wita["jkt"].id, THIS_YEAR) == 0.0  # Jakarta: still last year
    assert overview.jp_in_year(wita["jkt"].id, THIS_YEAR - 1) == 10.0
    progress = overview.jp_progress(wita["seb"].id)
    assert (progress.earned, progress.target) == (10.0, 10.0)
    assert overview.jp_progress(wita["jkt"].id).target == 20.0


def test_certificates_are_dated_in_the_librarys_time_zone(app, wita):
    assert issue_certificate(wita["completions"]["seb"]).completed_on == date(THIS_YEAR, 1, 1)
    assert issue_certificate(wita["completions"]["jkt"]).completed_on == date(THIS_YEAR - 1, 12, 31)


def test_my_learning_and_profile_use_the_librarys_year_and_target(app, wita):
    from tests.conftest import login

    client = app.test_client()
    assert login(client, "seb").status_code == 302
    learning = client.get("/learning/").get_data(as_text=True)
    assert re.search(r'<p class="jp-figure"><strong>10</strong> of 10 JP</p>', learning), learning
    profile = client.get(f"/reports/people/{wita['seb'].id}").get_data(as_text=True)
    assert '<strong id="jp-total">10</strong> of 10 JP' in profile
    new_year = format_date(date(THIS_YEAR, 1, 1), "medium", locale="en")  # the completed course's date
    assert f"<td>{new_year}</td>" in profile and f"<td>{new_year}</td>" in learning

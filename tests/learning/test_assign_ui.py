# ruff: noqa: F811 - the fixtures imported from tests.notifications.conftest are parameters here
"""The assignment pages: supervisors assign a course or module to one of their librarians,
one of their units or a position among their staff; the librarians it reaches are notified;
the list shows done/targeted and the overdue ones; deleting is audited; nobody reaches
outside their units, whatever ids they post."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.clock import local_today
from lms.extensions import db
from lms.plugins.learning import services as learning
from lms.plugins.learning.models import Assignment, ModuleCompletion
from lms.plugins.notifications.models import Notification
from tests.conftest import csrf_token, deliver_mail, from_host, post_form
from tests.notifications.conftest import signed_in, staff  # noqa: F401 - fixtures
from tests.quizzes.conftest import module


@pytest.fixture
def sari(imported, staff, signed_in):
    """Supervisor of branch-a, reading English."""
    return signed_in(staff["sari"], locale="en")


def today():
    return local_today()


def form(subject, target, due=None):
    return {"subject": subject, "target": target, "due_on": (due or today() + timedelta(days=7)).isoformat()}


def assignments():
    db.session.expire_all()
    return list(db.session.scalars(select(Assignment).order_by(Assignment.id)))


def notified(key="assignment.new"):
    db.session.expire_all()
    return sorted(db.session.scalars(select(Notification.user_id).where(Notification.key == key)))


def test_unit_assignment_reaches_members_of_units_below_and_notifies_them(sari, staff):
    marc = module("marc")
    due = today() + timedelta(days=5)
    response = post_form(sari, "/assignments/new", form(f"module:{marc.id}", f"unit:{staff['ani'].unit_id}", due),
                         token_from="/assignments/new")
    assert response.status_code == 302, response.get_data(as_text=True)
    (made,) = assignments()
    assert (made.module_id, made.course_id, made.unit_id, made.due_on, made.assigned_by_id) == (
        marc.id, None, staff["ani"].unit_id, due, staff["sari"].id)
    # ani (branch-a) and budi (section-a1, below it); not dodi (branch-b), not the supervisor
    assert notified() == sorted([staff["ani"].id, staff["budi"].id])
    row = db.session.scalar(select(Notification).where(Notification.user_id == staff["ani"].id))
    assert row.params["assignment_id"] == made.id and row.params["due"] == due.isoformat()
    assert row.url == "/learning/"
    page = sari.get("/assignments/").get_data(as_text=True)
    assert "Cabang A" in page and "0 of 2" in page


def test_progress_counts_done_over_targeted_and_marks_overdue(sari, staff):
    marc, ddc = module("marc"), module("ddc")
    learning.assign(module_id=marc.id, unit_id=staff["ani"].unit_id, due_on=today() - timedelta(days=1),
                    assigned_by_id=staff["sari"].id)
    learning.assign(module_id=ddc.id, user_id=staff["budi"].id, due_on=today() - timedelta(days=1),
                    assigned_by_id=staff["sari"].id)
    db.session.add_all([ModuleCompletion(user_id=staff["budi"].id, module_id=marc.id),
                        ModuleCompletion(user_id=staff["budi"].id, module_id=ddc.id),
                        ModuleCompletion(user_id=staff["dodi"].id, module_id=marc.id)])  # not targeted
    db.session.commit()
    page = sari.get("/assignments/").get_data(as_text=True)
    rows = re.findall(r'<tr class="(overdue|)" data-assignment="\d+">(.*?)</tr>', page, re.S)
    by_target = {("Budi" in body): (css, re.search(r'class="progress">([^<]*)<', body).group(1))
                 for css, body in rows}
    assert by_target[False] == ("overdue", "1 of 2")  # the unit: budi done, ani not -> overdue
    assert by_target[True] == ("", "1 of 1")  # budi's own: done, so not overdue although past due


def test_course_assignment(sari, staff):
    course_id = module("marc").course_id
    response = post_form(sari, "/assignments/new", form(f"course:{course_id}", f"user:{staff['ani'].id}"))
    assert response.status_code == 302
    (made,) = assignments()
    assert (made.course_id, made.module_id, made.user_id) == (course_id, None, staff["ani"].id)
    assert notified() == [staff["ani"].id]


def test_supervisor_position_becomes_one_assignment_per_holder_in_her_units(sari, staff):
    # "Pustakawan Ahli": ani in branch-a and dodi in branch-b; only ani is sari's
    response = post_form(sari, "/assignments/new", form(f"module:{module('marc').id}", "position:Pustakawan Ahli"))
    assert response.status_code == 302
    (made,) = assignments()
    assert (made.user_id, made.position) == (staff["ani"].id, None)
    assert notified() == [staff["ani"].id]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "learning.assigned"))
    assert entry.details["via_position"] == "Pustakawan Ahli"


def test_admin_position_is_a_position_assignment(imported, staff, signed_in):
    admin = signed_in(staff["adi"], locale="en")
    page = admin.get("/assignments/new").get_data(as_text=True)
    assert 'value="position:Arsiparis"' in page
    response = post_form(admin, "/assignments/new", form(f"module:{module('marc').id}", "position:Pustakawan Ahli"))
    assert response.status_code == 302
    (made,) = assignments()
    assert (made.position, made.user_id, made.unit_id) == ("Pustakawan Ahli", None, None)
    assert notified() == sorted([staff["ani"].id, staff["dodi"].id])


def test_form_offers_only_her_people_units_and_positions(sari, staff):
    page = sari.get("/assignments/new").get_data(as_text=True)
    for value in (f"user:{staff['ani'].id}", f"user:{staff['budi'].id}", f"unit:{staff['ani'].unit_id}",
                  f"unit:{staff['budi'].unit_id}", "position:Pustakawan Ahli", "position:Asisten Perpustakaan Mahir"):
        assert f'value="{value}"' in page, value
    for value in (f"user:{staff['dodi'].id}", f"user:{staff['sari'].id}", f"unit:{staff['dodi'].unit_id}",
                  "position:Arsiparis"):
        assert f'value="{value}"' not in page, value


@pytest.mark.parametrize("target", ["user:{dodi}", "unit:{branch_b}", "position:Arsiparis", "user:{sari}",
                                    "unit:999999", "user:abc", "everyone:1"])
def test_tampered_targets_are_refused(sari, staff, target):
    target = target.format(dodi=staff["dodi"].id, branch_b=staff["dodi"].unit_id, sari=staff["sari"].id)
    response = post_form(sari, "/assignments/new", form(f"module:{module('marc').id}", target))
    assert response.status_code == 400
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert assignments() == [] and notified() == []


@pytest.mark.parametrize(("data", "message"), [
    ({"due_on": "{yesterday}"}, "The due date cannot be in the past."),
    ({"due_on": ""}, "This field is required."),
    ({"due_on": "31-12-2026"}, "Not a valid date value."),
    ({"subject": ""}, "This field is required."),
    ({"subject": "module:999999"}, "Not a valid choice"),
])
def test_bad_input_reshows_the_form_and_saves_nothing(sari, staff, data, message):
    values = form(f"module:{module('marc').id}", f"user:{staff['ani'].id}")
    values.update({key: value.format(yesterday=(today() - timedelta(days=1)).isoformat())
                   for key, value in data.items()})
    response = post_form(sari, "/assignments/new", values)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and "Please correct the marked fields." in page
    assert 'id="save-assignment"' in page  # the form again
    assert assignments() == [] and notified() == []


def test_due_today_is_allowed(sari, staff):
    response = post_form(sari, "/assignments/new", form(f"module:{module('marc').id}", f"user:{staff['ani'].id}",
                                                        today()))
    assert response.status_code == 302
    assert assignments()[0].due_on == today()


def test_without_csrf_token_nothing_is_saved(sari, staff):
    response = sari.post("/assignments/new", data=form(f"module:{module('marc').id}", f"user:{staff['ani'].id}"))
    assert response.status_code == 400
    assert assignments() == []


def test_librarians_and_trainers_cannot_assign(imported, staff, signed_in, make_user):
    ani = signed_in(staff["ani"])
    assert ani.get("/assignments/").status_code == 403
    assert ani.get("/assignments/new").status_code == 403
    trainer = signed_in(make_user("tina", roles=("trainer",)))
    assert trainer.get("/assignments/new").status_code == 403


def test_list_shows_only_her_units(sari, staff, signed_in):
    learning.assign(module_id=module("marc").id, user_id=staff["dodi"].id, assigned_by_id=staff["tono"].id)
    learning.assign(module_id=module("ddc").id, unit_id=staff["budi"].unit_id, assigned_by_id=staff["adi"].id)
    db.session.commit()
    page = sari.get("/assignments/").get_data(as_text=True)
    assert "Seksi A1" in page and "Dodi" not in page
    tono = signed_in(staff["tono"], locale="en").get("/assignments/").get_data(as_text=True)
    assert "Dodi" in tono and "Seksi A1" not in tono


def test_delete_is_audited_and_scoped(sari, staff, signed_in):
    mine = learning.assign(module_id=module("marc").id, user_id=staff["ani"].id, assigned_by_id=staff["sari"].id)
    theirs = learning.assign(module_id=module("marc").id, user_id=staff["dodi"].id, assigned_by_id=staff["tono"].id)
    db.session.commit()
    mine_id, theirs_id = mine.id, theirs.id
    token = csrf_token(sari, "/assignments/")
    assert sari.post(f"/assignments/{theirs_id}/delete", data={"csrf_token": token}).status_code == 404
    assert sari.post(f"/assignments/{mine_id}/delete", data={}).status_code == 400  # no token
    assert [a.id for a in assignments()] == [mine_id, theirs_id]
    response = sari.post(f"/assignments/{mine_id}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    assert [a.id for a in assignments()] == [theirs_id]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "learning.assignment_deleted"))
    assert (entry.target_id, entry.actor_id, entry.details["user_id"]) == (str(mine_id), staff["sari"].id,
                                                                           staff["ani"].id)


def test_new_assignment_is_emailed_when_smtp_is_configured(sari, staff, mail_on):
    post_form(sari, "/assignments/new", form(f"module:{module('marc').id}", f"unit:{staff['ani'].unit_id}"))
    deliver_mail()
    assert sorted(address for rcpt, _ in mail_on.messages for address in rcpt) == [
        "ani@perpustakaan.test", "budi@perpustakaan.test"]
    (budi,) = mail_on.to("budi@perpustakaan.test")
    title = module("marc").current_version.title_en
    assert budi["Subject"].startswith(f"New assignment: {title}, due ")
    assert "http://127.0.0.1:5000/learning/" in budi.get_content()  # BASE_URL's development default


def test_assigning_many_librarians_talks_no_smtp_in_the_request(sari, staff, mail_on, make_user):
    """The request only queues: the SMTP server sees no connection until the outbox is
    delivered, however many librarians the assignment reaches (issue 18)."""
    from lms.mail.models import OutboxMessage

    for number in range(40):
        make_user(f"pustakawan{number}", unit=staff["ani"].unit, email=f"p{number}@perpustakaan.test")
    response = post_form(sari, "/assignments/new", form(f"module:{module('marc').id}", f"unit:{staff['ani'].unit_id}"))
    assert response.status_code == 302
    assert (mail_on.connections, mail_on.messages) == (0, [])
    queued = db.session.scalars(select(OutboxMessage.status)).all()
    assert queued == ["queued"] * 42  # ani, budi and the 40
    result = deliver_mail()
    assert (result.sent, len(mail_on.messages), mail_on.connections) == (42, 42, 1)  # one connection


def test_no_email_when_smtp_is_not_configured(sari, staff, smtp_sink):
    post_form(sari, "/assignments/new", form(f"module:{module('marc').id}", f"unit:{staff['ani'].unit_id}"))
    assert smtp_sink.messages == []
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 2


def test_assigned_librarian_sees_it_on_my_learning(sari, staff, signed_in):
    post_form(sari, "/assignments/new", form(f"module:{module('marc').id}", f"unit:{staff['ani'].unit_id}"))
    budi = signed_in(staff["budi"])
    page = budi.get("/learning/").get_data(as_text=True)
    assigned = page.split('id="assigned"', 1)[1].split("</section>", 1)[0]
    assert module("marc").current_version.title_en in assigned and "assigned to your unit" in assigned


def test_assignment_email_links_to_the_configured_site_whatever_the_host(sari, staff, mail_on):
    """The Host header is the client's to choose: the link in the e-mail is BASE_URL's."""
    from_host(sari, "evil.example")
    response = post_form(sari, "/assignments/new", form(f"module:{module('marc').id}", f"user:{staff['ani'].id}"))
    assert response.status_code == 302
    deliver_mail()
    body = mail_on.to("ani@perpustakaan.test")[0].get_content()
    assert "http://127.0.0.1:5000/learning/" in body and "evil.example" not in body

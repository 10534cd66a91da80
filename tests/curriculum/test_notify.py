"""Assignments made outside the assignment form notify the librarians they reach: the
curriculum's approval and ``lms learning assign`` fire ``lms_assignment_created`` after
committing, and the notifications plugin writes one notification per librarian reached."""
from __future__ import annotations

from sqlalchemy import func, select

from lms.extensions import db
from lms.plugins.curriculum import proposals, services
from lms.plugins.learning.models import Assignment
from lms.plugins.notifications.models import Notification
from tests.curriculum.conftest import SELF_ANSWERS


def notified() -> dict[str, int]:
    """{username: number of "assignment.new" notifications}."""
    from lms.auth.models import User

    db.session.expire_all()
    rows = db.session.execute(select(User.username, func.count(Notification.id))
                              .join(Notification, Notification.user_id == User.id)
                              .where(Notification.key == "assignment.new").group_by(User.username))
    return dict(rows.all())


def test_approval_notifies_every_librarian_of_the_scope(app, evidence, trainer, org, make_user):
    carl = make_user("carl", unit=org["section_a1"])  # below branch-a: reached through the root unit
    dana = make_user("dana", unit=org["branch_b"])
    dana.active = False  # inactive librarians are not reached
    make_user("sari", roles=("supervisor",), unit=org["branch_a"])  # not a librarian
    db.session.commit()
    result = services.approve(proposals.propose(actor_id=trainer.id), trainer)
    # Whole-organisation round: two items (ddc, marc), each assigned to the root unit, which
    # reaches ani, bob and carl - one notification each per assignment.
    assert result.assignments == 2
    assert notified() == {"ani": 2, "bob": 2, "carl": 2}
    rows = db.session.scalars(select(Notification).where(Notification.user_id == carl.id)).all()
    assert {row.url for row in rows} == {"/learning/"}
    titles = {row.params["title_en"] for row in rows}
    assert len(titles) == 2


def test_approval_of_a_unit_round_notifies_only_that_unit(app, org, make_user, make_round, answer, trainer):
    ani = make_user("ani", unit=org["branch_a"], locale="en")
    carl = make_user("carl", unit=org["section_a1"])
    make_user("bob", unit=org["branch_b"])
    needs_round = make_round(title="Cabang A", units=[org["branch_a"]])
    answer(needs_round, ani, SELF_ANSWERS["ani"])
    answer(needs_round, carl, SELF_ANSWERS["bob"])
    result = services.approve(proposals.propose(actor_id=trainer.id), trainer)
    assert result.assignments >= 1
    assert {a.unit_id for a in db.session.scalars(select(Assignment))} == {org["branch_a"].id}
    assert notified() == {"ani": result.assignments, "carl": result.assignments}  # bob is in branch-b


def test_skipped_assignments_notify_nobody_again(app, evidence, trainer):
    services.approve(proposals.propose(actor_id=trainer.id), trainer)
    before = notified()
    again = services.approve(proposals.propose(actor_id=trainer.id), trainer)
    assert again.assignments == 0 and again.skipped == 2
    assert notified() == before


def test_cli_assign_notifies_the_librarians_reached(app, runner, imported, org, make_user):
    ani = make_user("ani", unit=org["branch_a"])
    make_user("carl", unit=org["section_a1"])
    make_user("bob", unit=org["branch_b"])
    result = runner.invoke(args=["learning", "assign", "contoh/ddc", "--user", "ani", "--due", "2030-01-31"])
    assert result.exit_code == 0, result.output
    assert notified() == {"ani": 1}
    row = db.session.scalar(select(Notification).where(Notification.user_id == ani.id))
    assert row.params["due"] == "2030-01-31" and row.url == "/learning/"
    result = runner.invoke(args=["learning", "assign", "contoh", "--unit", "branch-a"])
    assert result.exit_code == 0, result.output
    assert notified() == {"ani": 2, "carl": 1}


def test_cli_assign_refused_notifies_nobody(app, runner, imported, org, make_user):
    make_user("ani", unit=org["branch_a"])
    result = runner.invoke(args=["learning", "assign", "contoh/ddc", "--user", "ani", "--unit", "branch-a"])
    assert result.exit_code != 0
    assert notified() == {} and db.session.scalar(select(func.count(Assignment.id))) == 0

"""An assignment and the notifications it sends are one transaction (issue 22).

The assignment used to be committed first and the librarians told afterwards, so a worker
killed in between left an assignment nobody was told of. A plugin that fails at a chosen
point of the hook stands in for the kill.
"""
from __future__ import annotations

from sqlalchemy import func, select

from lms.extensions import db
from lms.hookspecs import hookimpl
from lms.plugins.learning.models import Assignment
from lms.plugins.notifications.models import Notification
from tests.conftest import deliver_mail


class WorkerKilled(RuntimeError):
    """Stands in for the SIGKILL."""


def crash_when_announced(app, **placement):
    class Crasher:
        @hookimpl(**placement)
        def lms_assignment_created(self, assignment, user_ids):
            raise WorkerKilled("after the assignment, before its commit")

    app.extensions["lms.plugins"].register(Crasher(), name="crasher")
    return lambda: app.extensions["lms.plugins"].unregister(name="crasher")


def count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def assign(runner):
    return runner.invoke(args=["learning", "assign", "contoh/marc", "--user", "ani"])


def test_a_failure_before_the_notifications_keeps_no_assignment_nobody_was_told_of(app, staff, imported,
                                                                                    runner, mail_on):
    undo = crash_when_announced(app, tryfirst=True)
    result = assign(runner)
    assert isinstance(result.exception, WorkerKilled)
    assert (count(Assignment), count(Notification)) == (0, 0)
    assert mail_on.messages == []
    undo()
    assert assign(runner).exit_code == 0
    assert (count(Assignment), count(Notification)) == (1, 1)
    deliver_mail()
    assert [rcpt for rcpt, _ in mail_on.messages] == [["ani@perpustakaan.test"]]


def test_no_email_goes_out_for_an_assignment_that_was_rolled_back(app, staff, imported, runner, mail_on):
    crash_when_announced(app, trylast=True)  # after the notifications plugin wrote its rows
    result = assign(runner)
    assert isinstance(result.exception, WorkerKilled)
    assert (count(Assignment), count(Notification)) == (0, 0)
    deliver_mail()
    assert mail_on.messages == []  # its outbox row went with the rolled-back transaction

"""The outbox against a real SMTP server (aiosmtpd, tests/smtp_server.py): delivery with
Date and Message-ID, refusals (550 fails, 451 retries later), a connection dropped in the
middle of a message or after its final dot, leases, and the admins' page of failures."""
from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from sqlalchemy import select, update

from lms.clock import aware, utcnow
from lms.extensions import db
from lms.mail import services
from lms.mail.models import OutboxMessage
from tests.conftest import csrf_token, deliver_mail
from tests.smtp_server import free_port


def queue(count: int = 1, to: str = "ani@perpustakaan.test", **fields) -> list[OutboxMessage]:
    rows = [services.enqueue(to, f"Pesan {number}", f"Isi pesan {number} – ç", kind="test", **fields)
            for number in range(count)]
    db.session.commit()
    return rows


def rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def make_due() -> None:
    """The back-off has passed (instead of waiting a minute)."""
    db.session.execute(update(OutboxMessage).where(OutboxMessage.status == "queued")
                       .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()


def test_delivery_with_date_and_message_id_fixed_when_queued(app, mail_on):
    app.config["BASE_URL"] = "https://pembina.example.go.id"
    (plain,) = queue()
    (rich,) = queue(to="budi@perpustakaan.test", html="<p>Halo <b>Budi</b></p>")
    assert mail_on.messages == []  # queued only
    result = deliver_mail()
    assert (result.sent, result.retrying, result.failed) == (2, 0, 0)
    (first,) = mail_on.to("ani@perpustakaan.test")
    (second,) = mail_on.to("budi@perpustakaan.test")
    stored = rows()
    assert first["Message-ID"] == stored[0].message_id and second["Message-ID"] == stored[1].message_id
    assert first["Message-ID"].endswith("@pembina.example.go.id>")  # BASE_URL's host
    assert parsedate_to_datetime(first["Date"]) == aware(stored[0].created_at).replace(microsecond=0)
    assert first["Subject"] == "Pesan 0" and "Isi pesan 0 – ç" in first.get_content()
    assert second.get_body(("html",)).get_content().strip() == "<p>Halo <b>Budi</b></p>"
    assert [(row.status, row.attempts, row.sent_at is not None, row.last_error) for row in stored] == [
        ("sent", 1, True, None)] * 2
    assert deliver_mail().sent == 0 and len(mail_on.messages) == 2  # nothing twice


def test_an_enqueued_mail_is_lost_with_a_rolled_back_transaction(app, mail_on):
    services.enqueue("ani@perpustakaan.test", "Tidak jadi", "-", kind="test")
    db.session.rollback()
    deliver_mail()
    assert rows() == [] and mail_on.messages == []


def test_enqueue_refuses_what_is_not_one_address_and_flattens_the_subject(app, mail_on):
    for bad in ("", "ani", "a@b, c@d", "ani@perpustakaan.test\r\nBcc: x@y"):
        with pytest.raises(ValueError):
            services.enqueue(bad, "x", "y", kind="test")
    row = services.enqueue("ani@perpustakaan.test", "Baris\r\nBcc: x@y", "y", kind="test")
    assert row.subject == "Baris Bcc: x@y"


def test_nothing_is_queued_without_a_mail_server(app):
    assert services.enqueue("ani@perpustakaan.test", "x", "y", kind="test") is None


def test_a_permanent_refusal_fails_at_once_and_shows_in_the_report(app, mail_on, runner):
    mail_on.refuse["nobody@perpustakaan.test"] = "550 5.1.1 No such user"
    queue(to="nobody@perpustakaan.test")
    queue()
    result = deliver_mail()
    assert (result.sent, result.failed) == (1, 1)
    failed, sent = rows()
    assert (failed.status, failed.attempts) == ("failed", 1)
    assert "550" in failed.last_error and "No such user" in failed.last_error
    make_due()
    deliver_mail()
    assert len(mail_on.messages) == 1  # never retried by itself
    report = runner.invoke(args=["mail", "send", "--report"]).output
    assert "0 sent, 0 to retry, 0 failed." in report
    assert "Outbox: 0 queued, 0 sending, 1 sent, 1 failed, 0 unconfirmed." in report
    assert f"failed #{failed.id} test to nobody@perpustakaan.test after 1 attempt(s): RCPT TO: 550" in report
    assert runner.invoke(args=["mail", "status"]).output == report.split("\n", 1)[1]


def test_a_temporary_refusal_is_retried_later_with_back_off(app, mail_on):
    mail_on.refuse["ani@perpustakaan.test"] = "451 4.3.0 Try again later"
    queue()
    before = utcnow()
    assert deliver_mail().retrying == 1
    (row,) = rows()
    assert (row.status, row.attempts) == ("queued", 1) and "451" in row.last_error
    wait = aware(row.next_attempt_at) - before
    assert timedelta(seconds=59) < wait < timedelta(seconds=70)  # MAIL_RETRY_BASE_SECONDS
    assert deliver_mail().retrying == 0  # not due yet: not tried again
    make_due()
    deliver_mail()
    (row,) = rows()
    assert row.attempts == 2 and aware(row.next_attempt_at) - utcnow() > timedelta(seconds=110)  # doubled
    del mail_on.refuse["ani@perpustakaan.test"]
    make_due()
    assert deliver_mail().sent == 1
    (row,) = rows()
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, None)
    assert len(mail_on.messages) == 1


def test_temporary_failures_end_in_failed_after_the_maximum(app, mail_on):
    app.config["MAIL_MAX_ATTEMPTS"] = 2
    mail_on.refuse["ani@perpustakaan.test"] = "421 4.7.0 Busy"
    queue()
    deliver_mail()
    make_due()
    assert deliver_mail().failed == 1
    (row,) = rows()
    assert row.status == "failed" and "gave up after 2 attempts" in row.last_error


def test_a_connection_dropped_mid_message_is_retried_and_delivered_once(app, mail_on):
    """The server hangs up while the message is still arriving (it is larger than what the
    sockets can buffer, so the hang-up surely comes before the final dot)."""
    mail_on.drop_mid_message = 1
    big = "baris yang panjang sekali untuk mengisi pesan ini\n" * 240_000  # ~12 MB
    services.enqueue("ani@perpustakaan.test", "Besar", big, kind="test")
    db.session.commit()
    result = deliver_mail()
    assert result.retrying == 1 and mail_on.messages == []
    (row,) = rows()
    assert row.status == "queued" and row.handed_over_at is None and "connection lost" in row.last_error
    make_due()
    assert deliver_mail().sent == 1
    (message,) = mail_on.messages
    assert message[1]["Message-ID"] == row.message_id and message[1].get_content().replace("\r\n", "\n") == big


def test_a_connection_dropped_after_the_final_dot_is_never_sent_again(app, mail_on, client_as):
    """RFC 1047's window: the server has the whole message but the answer never comes. The row
    is presumed sent and flagged unconfirmed; sending it again could duplicate it."""
    mail_on.drop_after_dot = 1
    queue(2)
    result = deliver_mail()
    assert (result.unconfirmed, result.sent) == (1, 1)
    first, second = rows()
    assert first.status == "sent" and first.last_error.startswith("unconfirmed: no answer after the final dot")
    make_due()
    deliver_mail()
    assert mail_on.message_ids() == {first.message_id: 1, second.message_id: 1}
    page = client_as("admin", unit_code="lib").get("/admin/mail/").get_data(as_text=True)
    assert "Terkirim tanpa konfirmasi server" in page and "no answer after the final dot" in page


def test_an_unreachable_server_costs_no_attempt(app, smtp_sink):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port())
    queue()
    assert deliver_mail().unavailable
    (row,) = rows()
    assert (row.status, row.attempts) == ("queued", 0)


def test_a_claimed_row_is_not_claimed_again_until_its_lease_ends(app, mail_on):
    (row,) = queue()
    first = services.claim()
    assert first is not None and first[0] == row.id
    assert services.claim() is None  # held by the first worker
    db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    second = services.claim()  # the first worker's lease ran out before it handed the row over
    assert second is not None and second[1] != first[1]
    # The first worker wakes up: its hand-over is refused, so it never writes the final dot.
    outcome = services.Pass()
    connection = services.smtp.Connection(app.config)
    connection.open()
    services._send_one(connection, *first, outcome)
    connection.quit()
    assert mail_on.messages == [] and outcome.sent == 0
    assert rows()[0].status == "sending"  # still the second worker's
    connection.open()
    services._send_one(connection, *second, outcome)
    connection.quit()
    assert len(mail_on.messages) == 1 and rows()[0].status == "sent"


def test_admins_see_failed_messages_and_retry_them(app, mail_on, client_as):
    mail_on.refuse["nobody@perpustakaan.test"] = "550 No such user"
    (row,) = queue(to="nobody@perpustakaan.test")
    deliver_mail()
    assert client_as("librarian").get("/admin/mail/").status_code == 403
    admin = client_as("admin", unit_code="lib")
    page = admin.get("/admin/mail/").get_data(as_text=True)
    assert "nobody@perpustakaan.test" in page and "550 No such user" in page
    assert admin.post(f"/admin/mail/{row.id}/retry", data={}).status_code == 400  # no CSRF token: refused
    assert rows()[0].status == "failed"
    response = admin.post(f"/admin/mail/{row.id}/retry", data={"csrf_token": csrf_token(admin, "/admin/mail/")})
    assert response.status_code == 302
    (row,) = rows()
    assert (row.status, row.attempts) == ("queued", 0)
    del mail_on.refuse["nobody@perpustakaan.test"]
    assert deliver_mail().sent == 1
    from lms.audit.models import AuditEntry

    assert db.session.scalar(select(AuditEntry.action).where(AuditEntry.target_type == "mail")) == "mail.retried"

"""The outbox under personal-data rights: a person's e-mails are in their download, are
deleted with them when they are erased (a queued one is never sent to them), and sent or
failed e-mails go after PRIVACY_RETENTION_MAIL_DAYS while queued ones stay."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from lms.clock import utcnow
from lms.extensions import db
from lms.mail import services
from lms.mail.models import OutboxMessage
from lms.privacy import services as privacy


def _queue(to: str, user_id: int | None, subject: str) -> OutboxMessage:
    message = services.enqueue(to, subject, "Isi pesan.", kind="notification", user_id=user_id)
    db.session.commit()
    return message


def test_download_lists_the_persons_emails_and_erasure_deletes_them(app, mail_on, make_user):
    ani = make_user("ani", email="ani@perpustakaan.test")
    budi = make_user("budi", email="budi@perpustakaan.test")
    _queue("ani@perpustakaan.test", ani.id, "Penugasan baru")
    _queue("ani@perpustakaan.test", None, "Tautan atur ulang kata sandi")  # by address only
    _queue("budi@perpustakaan.test", budi.id, "Untuk Budi")
    download = privacy.build_download(ani)
    assert download.counts["emails"] == 2
    download.file.close()

    privacy.erase(ani, None)
    left = db.session.scalars(select(OutboxMessage.recipient)).all()
    assert left == ["budi@perpustakaan.test"]  # nothing will ever be sent to ani's old address


def test_purge_deletes_old_sent_mail_and_keeps_what_waits(app, mail_on):
    sent = _queue("a@perpustakaan.test", None, "Lama, terkirim")
    waiting = _queue("b@perpustakaan.test", None, "Lama, menunggu")
    recent = _queue("c@perpustakaan.test", None, "Baru, terkirim")
    long_ago = utcnow() - timedelta(days=91)
    sent.status, sent.sent_at, sent.created_at = "sent", long_ago, long_ago
    waiting.created_at = long_ago
    recent.status, recent.sent_at = "sent", utcnow()
    db.session.commit()
    assert privacy.purge(dry_run=True)["emails"] == 1
    assert db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.id == sent.id)) is not None
    assert privacy.purge()["emails"] == 1
    subjects = sorted(db.session.scalars(select(OutboxMessage.subject)))
    assert subjects == ["Baru, terkirim", "Lama, menunggu"]

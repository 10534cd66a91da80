"""``lms mail worker`` as a real process on a real database (the test's SQLite file, or the
PostgreSQL of LMS_TEST_DATABASE_URL) against a real SMTP server: killed with SIGKILL in the
middle of a batch - also at the worst moment, after the server accepted a message and before
the worker could mark it - and restarted, and two workers at once. Every message reaches the
server exactly once, counted by Message-ID."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.mail import services
from lms.mail.models import OutboxMessage

LMS = str(Path(sys.executable).parent / "lms")


@pytest.fixture
def outbox(app, mail_on):
    """``outbox(n)`` queues n messages and returns their Message-IDs."""
    def make(count: int) -> list[str]:
        rows = [services.enqueue(f"pustakawan{number}@perpustakaan.test", f"Pesan {number}", f"Isi {number}",
                                 kind="test") for number in range(count)]
        db.session.commit()
        ids = [row.message_id for row in rows]
        db.session.remove()  # the worker processes need the database to themselves
        return ids

    return make


@pytest.fixture
def start_worker(app, mail_on, tmp_path):
    """``start_worker()`` runs ``lms mail worker`` on the test's database; all are stopped
    at the end."""
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        env = {**os.environ, "LMS_DATABASE_URL": app.config["DATABASE_URL"], "LMS_SECRET_KEY": "test-secret-key",
               "LMS_INSTANCE_PATH": str(tmp_path / "instance"), "LMS_MAIL_SERVER": "127.0.0.1",
               "LMS_MAIL_PORT": str(mail_on.port), "LMS_MAIL_FROM": "pembina@perpustakaan.test",
               "LMS_MAIL_LEASE_SECONDS": "2", "LMS_MAIL_RETRY_BASE_SECONDS": "1"}
        process = subprocess.Popen([LMS, "mail", "worker", "--poll", "0.1"], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def wait_for(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.02)


def statuses() -> Counter:
    db.session.remove()
    return Counter(db.session.scalars(select(OutboxMessage.status)))


def stop(process: subprocess.Popen) -> str:
    """SIGTERM: the worker finishes the message in hand and exits cleanly."""
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "mail worker: stopped" in err
    return err


def test_a_worker_killed_mid_batch_and_restarted_delivers_every_message_exactly_once(outbox, start_worker,
                                                                                   mail_on):
    expected = outbox(40)
    mail_on.delay = 0.01  # the server takes a moment to answer, as a real one does
    worker = start_worker()
    for reached in (6, 17, 29):
        wait_for(lambda reached=reached: len(mail_on.messages) >= reached)
        worker.kill()  # SIGKILL: no clean-up of any kind
        worker.wait(timeout=10)
        worker = start_worker()
    wait_for(lambda: statuses() == Counter({"sent": 40}))
    stop(worker)
    assert mail_on.message_ids() == Counter(dict.fromkeys(expected, 1))


def test_killed_after_the_server_accepted_and_before_the_mark_it_is_not_sent_again(outbox, start_worker,
                                                                                   mail_on):
    """The hard case: the server has message 5 (it answers after the kill), the row is not
    marked sent. The restarted worker must not send it a second time."""
    expected = outbox(12)
    worker = start_worker()
    mail_on.kill_after[5] = worker.pid
    assert worker.wait(timeout=60) == -signal.SIGKILL
    worker = start_worker()
    wait_for(lambda: statuses() == Counter({"sent": 12}))
    stop(worker)
    assert mail_on.message_ids() == Counter(dict.fromkeys(expected, 1))
    fifth = mail_on.messages[4][1]["Message-ID"]
    row = db.session.scalar(select(OutboxMessage).where(OutboxMessage.message_id == fifth))
    assert row.last_error.startswith(services.UNCONFIRMED)  # presumed sent, shown to admins


def test_two_workers_at_once_deliver_each_message_once(outbox, start_worker, mail_on):
    expected = outbox(40)
    mail_on.delay = 0.005
    workers = [start_worker(), start_worker()]
    wait_for(lambda: statuses() == Counter({"sent": 40}))
    for worker in workers:
        stop(worker)
    assert mail_on.message_ids() == Counter(dict.fromkeys(expected, 1))


def test_sigterm_stops_an_idle_worker_cleanly(outbox, start_worker):
    outbox(0)
    worker = start_worker()
    assert worker.stderr.readline().startswith("mail worker: polling every 0.1 s")
    time.sleep(0.5)
    assert worker.poll() is None
    stop(worker)

"""Fixtures for notifications and assignments: a small staff in the test organisation and a
real SMTP server (aiosmtpd) on 127.0.0.1 that keeps what it receives."""
from __future__ import annotations

import socket
from email import message_from_bytes
from email.policy import default as default_policy

import pytest

from lms.extensions import db
from tests.conftest import login


class Sink:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str):
        return [message for rcpt, message in self.messages if address in rcpt]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_sink():
    """A running SMTP server; ``sink.port`` to point MAIL_PORT at, ``sink.messages`` received."""
    from aiosmtpd.controller import Controller

    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def mail_on(app, smtp_sink):
    """E-mail configured to go to the sink."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port, MAIL_FROM="pembina@perpustakaan.test")
    return smtp_sink


@pytest.fixture
def staff(org, make_user):
    """Supervisor ``sari`` of branch-a; librarians ``ani`` (branch-a, Pustakawan Ahli),
    ``budi`` (section-a1 below branch-a, Asisten Perpustakaan Mahir, reads English), ``dodi``
    (branch-b, Pustakawan Ahli) and ``eka`` (branch-b, Arsiparis: a position outside
    branch-a); supervisor ``tono`` of branch-b; admin ``adi``."""
    people = {
        "ani": make_user("ani", unit=org["branch_a"], position="Pustakawan Ahli", email="ani@perpustakaan.test"),
        "budi": make_user("budi", unit=org["section_a1"], position="Asisten Perpustakaan Mahir",
                          email="budi@perpustakaan.test", locale="en"),
        "dodi": make_user("dodi", unit=org["branch_b"], position="Pustakawan Ahli", email="dodi@perpustakaan.test"),
        "eka": make_user("eka", unit=org["branch_b"], position="Arsiparis"),
        "sari": make_user("sari", roles=("supervisor",), unit=org["branch_a"], email="sari@perpustakaan.test"),
        "tono": make_user("tono", roles=("supervisor",), unit=org["branch_b"]),
        "adi": make_user("adi", roles=("admin",), unit=org["library"]),
    }
    people["sari"].supervised_units.append(org["branch_a"])
    people["tono"].supervised_units.append(org["branch_b"])
    for user in people.values():
        if user.username != "budi":
            user.locale = "id"
    db.session.commit()
    return people


@pytest.fixture
def signed_in(app):
    """``signed_in(user, locale=None)`` -> a test client signed in as ``user``."""
    def make(user, locale: str | None = None):
        if locale is not None:
            user.locale = locale
            db.session.commit()
        client = app.test_client()
        response = login(client, user.username)
        assert response.status_code == 302, response.get_data(as_text=True)
        client.user = user
        return client

    return make

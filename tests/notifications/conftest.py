"""Fixtures for notifications and assignments: a small staff in the test organisation and a
real SMTP server (``smtp_sink`` and ``mail_on`` live in tests/conftest.py)."""
from __future__ import annotations

import pytest

from lms.extensions import db
from tests.conftest import login


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

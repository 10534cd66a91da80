"""Discussion fixtures: the sample course imported (modules ``marc`` and ``ddc`` of course
``contoh``), a small staff across two branches, and helpers to sign in and post.

People (password ``PASSWORD`` of tests/conftest.py):
``ani`` librarian branch-a, ``eko`` librarian section-a1 (below branch-a), ``dodi``
librarian branch-b, ``budi`` trainer (library), ``sari`` supervisor of branch-a (member of
branch-a), ``tono`` supervisor of branch-b, ``adi`` admin.
"""
from __future__ import annotations

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.plugins.courses.models import Course, Module
from tests.conftest import login


def module(slug: str) -> Module:
    return db.session.scalar(select(Module).join(Course).where(Course.slug == "contoh", Module.slug == slug))


@pytest.fixture
def people(org, make_user):
    found = {
        "ani": make_user("ani", unit=org["branch_a"], email="ani@perpustakaan.test"),
        "eko": make_user("eko", unit=org["section_a1"], email="eko@perpustakaan.test"),
        "dodi": make_user("dodi", unit=org["branch_b"], email="dodi@perpustakaan.test"),
        "budi": make_user("budi", roles=("trainer",), unit=org["library"], email="budi@perpustakaan.test"),
        "sari": make_user("sari", roles=("supervisor",), unit=org["branch_a"]),
        "tono": make_user("tono", roles=("supervisor",), unit=org["branch_b"]),
        "adi": make_user("adi", roles=("admin",), unit=org["library"]),
    }
    found["sari"].supervised_units.append(org["branch_a"])
    found["tono"].supervised_units.append(org["branch_b"])
    db.session.commit()
    return found


@pytest.fixture
def marc(imported) -> Module:
    """Module ``marc`` of the sample course (competency cat-marc)."""
    return module("marc")


@pytest.fixture
def signed_in(app, people):
    """``signed_in("ani")`` -> a test client signed in as that person (``client.user``)."""
    def make(username: str):
        client = app.test_client()
        response = login(client, username)
        assert response.status_code == 302, response.get_data(as_text=True)
        client.user = people[username]
        return client

    return make

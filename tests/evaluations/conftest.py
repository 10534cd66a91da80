"""Evaluation fixtures over the sample course (``tests/fixtures/courses``: module ``marc`` ->
cat-marc, ``ddc`` -> cat-classification), with three behaviour indicators on each of those
competencies, and people:

- ani: librarian in section-a1 (below branch-a); bob: librarian in branch-b;
- citra: supervisor of branch-a (so of ani); dedi: supervisor of branch-b (not of ani).

Time moves by replacing ``services.today`` (``move_to``), as tests elsewhere replace a
module's ``utcnow``.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import select

from lms.auth.models import UnitSupervisor
from lms.extensions import db
from lms.plugins.courses.models import Competency, Course, Module
from lms.plugins.evaluations import services
from lms.plugins.learning.models import ModuleCompletion
from lms.clock import local_today, local_zone
from tests.conftest import login

INDICATORS = {
    "cat-marc": [{"id": "Mengisi indikator 245", "en": "Sets the 245 indicators"},
                 {"id": "Memakai subruas yang tepat", "en": "Uses the right subfields"},
                 {"id": "Memeriksa ruas 008", "en": "Checks the 008 field"}],
    "cat-classification": [{"id": "Menentukan subjek dari isi", "en": "Decides the subject from the content"},
                           {"id": "Memakai tabel pembantu", "en": "Uses the auxiliary tables"},
                           {"id": "Menulis nomor panggil lengkap", "en": "Writes the full call number"}],
}


def module(slug: str) -> Module:
    return db.session.scalar(select(Module).join(Course).where(Course.slug == "contoh", Module.slug == slug))


@pytest.fixture
def world(app, org, make_user, imported):
    for competency_id, found in INDICATORS.items():
        db.session.get(Competency, competency_id).indicators = found
    people = {
        "ani": make_user("ani", unit=org["section_a1"], full_name="Ani Lestari"),
        "bob": make_user("bob", unit=org["branch_b"], full_name="Bob Hasan"),
        "citra": make_user("citra", roles=("supervisor",), unit=org["branch_a"], full_name="Citra Dewi"),
        "dedi": make_user("dedi", roles=("supervisor",), unit=org["branch_b"], full_name="Dedi Putra"),
        "tari": make_user("tari", roles=("trainer",), unit=org["library"], full_name="Tari Trainer"),
    }
    db.session.add_all([UnitSupervisor(unit_id=org["branch_a"].id, user_id=people["citra"].id),
                        UnitSupervisor(unit_id=org["branch_b"].id, user_id=people["dedi"].id)])
    db.session.commit()
    return {"org": org, **people}


def complete(user, slug: str, days_ago: int = 0) -> ModuleCompletion:
    """``user`` completed module ``slug`` ``days_ago`` days ago (noon, local time)."""
    day = local_today() - timedelta(days=days_ago)
    completion = ModuleCompletion(user_id=user.id, module_id=module(slug).id,
                                  completed_at=datetime.combine(day, time(12), tzinfo=local_zone()))
    db.session.add(completion)
    db.session.commit()
    return completion


@pytest.fixture
def move_to(monkeypatch):
    """``move_to(days)``: the evaluations' today is ``days`` after the real one."""
    def move(days: int):
        day = local_today() + timedelta(days=days)
        monkeypatch.setattr(services, "today", lambda: day)
        return day

    return move


def client_of(app, username: str):
    client = app.test_client()
    response = login(client, username)
    assert response.status_code == 302, response.get_data(as_text=True)
    return client


def good_ratings(values=(3, 4, 2)) -> dict:
    return {f"f{index}": str(value) for index, value in enumerate(values)}

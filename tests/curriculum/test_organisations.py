"""Curricula belong to one organisation: approving one library's curriculum leaves another
library's curriculum, assignments and learning paths as they were (issue 20)."""
from __future__ import annotations

from flask_babel import force_locale
from sqlalchemy import select

from lms.auth.models import Organisation, Unit
from lms.extensions import db
from lms.plugins.curriculum import paths, proposals, services
from lms.plugins.learning.models import Assignment
from tests.conftest import OTHER_MARKER


def test_approval_in_one_library_leaves_the_others_paths_and_assignments(app, evidence, other_org, make_round,
                                                                         answer, make_user):
    with force_locale("en"):
        before = [(step.module.slug, step.score, step.reason) for step in paths.learning_path(evidence["ani"], "en")]
    assert before
    # The other library's round closed later, with other priorities; its trainer approves a curriculum.
    seb_round = make_round(title=f"Putaran {OTHER_MARKER}", closed_days_ago=1, organisation=other_org["library"])
    for index in range(2):
        person = make_user(f"seb{index}", unit=other_org["branch"], locale="en")
        answer(seb_round, person, {"cat-marc": (5, 1), "cat-classification": (1, 1), "cs-reference-interview": (1, 1)})
    seb_trainer = make_user("seb-trainer", roles=("trainer",), unit=other_org["library"])
    draft = proposals.propose(seb_round, actor_id=seb_trainer.id)
    services.approve(draft, seb_trainer)

    with force_locale("en"):
        after = [(step.module.slug, step.score, step.reason) for step in paths.learning_path(evidence["ani"], "en")]
    assert after == before
    lib_units = select(Unit.id).where(Unit.organisation_id == evidence["ani"].unit.organisation_id)
    assert db.session.scalar(select(Assignment.id).where(Assignment.unit_id.in_(lib_units))) is None
    lib = db.session.get(Organisation, evidence["ani"].unit.organisation_id)
    assert services.active_version(lib.unit_id) is None and services.in_force(lib.unit_id) is None
    assert services.active_version(other_org["library"].id).id == draft.id


def test_another_librarys_curriculum_is_a_404(app, evidence, other_org, make_round, answer, make_user, client_as):
    seb_round = make_round(title=f"Putaran {OTHER_MARKER}", organisation=other_org["library"])
    answer(seb_round, make_user("seb0", unit=other_org["branch"]), {"cat-marc": (5, 1)})
    draft = proposals.propose(seb_round)
    trainer = client_as("trainer")
    assert trainer.get(f"/curriculum/{draft.id}").status_code == 404
    assert OTHER_MARKER not in trainer.get("/curriculum/").get_data(as_text=True)
    assert OTHER_MARKER not in trainer.get("/curriculum/content-gaps").get_data(as_text=True)


def test_a_library_without_its_own_curriculum_follows_the_one_above(app, evidence, make_unit, org, make_user):
    from lms import organisations

    service = make_unit("prov", "Dinas Provinsi", "province")
    org["library"].parent = service
    db.session.commit()
    organisations.assign_organisations()
    db.session.commit()
    evidence["round"].organisation_id = service.id
    db.session.commit()
    head = make_user("prov-trainer", roles=("trainer",), unit=service)
    version = services.approve(proposals.propose(evidence["round"], actor_id=head.id), head).version
    assert version.organisation_id == service.id
    assert services.in_force(org["library"].id).id == version.id
    assert paths.path_round(evidence["ani"]).id == evidence["round"].id

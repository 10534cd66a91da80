"""Approval (assignments, audit, supersession, staleness) and the pages: permissions, CSRF,
editing with tampered ids, the content-gap report."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.clock import local_today
from lms.extensions import db
from lms.plugins.curriculum import proposals, services
from lms.plugins.curriculum.models import ACTIVE, ALL, DRAFT, SUPERSEDED, CurriculumItem, CurriculumVersion
from lms.plugins.curriculum.services import CurriculumError
from lms.plugins.learning.models import Assignment
from tests.conftest import csrf_token, login, post_form
from tests.curriculum.conftest import module


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def supervisor_of(make_user, username: str, unit, locale: str = "en"):
    user = make_user(username, roles=("supervisor",), unit=unit, locale=locale)
    user.supervised_units.append(unit)
    db.session.commit()
    return user


def old_active() -> CurriculumVersion:
    version = CurriculumVersion(number=services.next_number(), status=ACTIVE)
    version.items.append(CurriculumItem(module_id=module("marc").id, position=1, audience=ALL,
                                        reason={"manual": True}))
    db.session.add(version)
    db.session.commit()
    return version


# --- the service ---------------------------------------------------------------------------------

def test_approve_creates_assignments_audits_and_supersedes(app, evidence, trainer, org, client):
    previous = old_active()
    draft = proposals.propose(actor_id=trainer.id)
    result = services.approve(draft, trainer)
    db.session.expire_all()
    assert db.session.get(CurriculumVersion, previous.id).status == SUPERSEDED
    version = db.session.get(CurriculumVersion, draft.id)
    assert version.status == ACTIVE and version.approved_by_id == trainer.id and version.approved_at is not None
    # Whole-organisation round: one assignment per item for the root unit.
    due = local_today() + timedelta(days=30)
    rows = sorted((a.module_id, a.unit_id, a.due_on) for a in db.session.scalars(select(Assignment)))
    assert rows == sorted([(module("ddc").id, org["library"].id, due), (module("marc").id, org["library"].id, due)])
    assert result.assignments == 2 and result.skipped == 0
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "curriculum.approved"))
    assert entry.actor_id == trainer.id and entry.details["round_id"] == evidence["round"].id
    assert entry.details["superseded"] == 1
    # The librarian sees them on My learning.
    login(client, "ani")
    page = client.get("/learning/").get_data(as_text=True)
    assigned = page[page.index('id="assigned"'):page.index('id="recommended"')]
    assert "/courses/contoh/ddc/" in assigned and "/courses/contoh/marc/" in assigned
    assert "assigned to your unit" in assigned


def test_identical_assignments_are_not_created_twice(app, evidence, trainer, org):
    due = local_today() + timedelta(days=30)
    db.session.add(Assignment(module_id=module("ddc").id, unit_id=org["library"].id, due_on=due))
    db.session.commit()
    result = services.approve(proposals.propose(), trainer)
    assert (result.assignments, result.skipped) == (1, 1)
    assert count(Assignment) == 2


def test_stale_after_a_newer_round_closed_nothing_changes(app, evidence, trainer, make_round, answer):
    previous = old_active()
    draft = proposals.propose()
    newer = make_round(title="Putaran Baru", closed_days_ago=1)
    answer(newer, evidence["ani"], {"cat-marc": (5, 1)})
    with pytest.raises(CurriculumError, match="Putaran Baru"):
        services.approve(draft, trainer)
    db.session.rollback()
    db.session.expire_all()
    assert db.session.get(CurriculumVersion, draft.id).status == DRAFT
    assert db.session.get(CurriculumVersion, previous.id).status == ACTIVE
    assert count(Assignment) == 0
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "curriculum.approved")) is None


def test_stale_when_the_active_version_changed(app, evidence, trainer):
    draft = proposals.propose()
    old_active()  # someone made another version active after the proposal
    with force_locale("en"), pytest.raises(CurriculumError, match="active curriculum changed"):
        services.approve(draft, trainer)
    assert db.session.get(CurriculumVersion, draft.id).status == DRAFT
    assert count(Assignment) == 0


def test_only_a_draft_can_be_approved(app, evidence, trainer):
    version = old_active()
    with force_locale("en"), pytest.raises(CurriculumError, match="Only a draft"):
        services.approve(version, trainer)


def test_supervisor_permissions_follow_the_round_scope(app, org, make_user, make_round):
    branch_head = supervisor_of(make_user, "sup-a", org["branch_a"])
    library_head = supervisor_of(make_user, "sup-lib", org["library"])
    whole = make_round(title="Semua")
    branch_round = make_round(title="Cabang A", units=[org["branch_a"]])
    both = make_round(title="Dua cabang", units=[org["branch_a"], org["branch_b"]])
    assert not services.can_manage(branch_head, whole)
    assert services.can_manage(library_head, whole)
    assert services.can_manage(branch_head, branch_round)
    assert not services.can_manage(branch_head, both)
    assert services.can_manage(library_head, both)
    librarian = make_user("lib", unit=org["branch_a"])
    assert not services.can_manage(librarian, branch_round)


# --- the pages -----------------------------------------------------------------------------------

def signed_in(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def test_librarian_gets_403(app, evidence, client):
    login(client, "ani")
    assert client.get("/curriculum/").status_code == 403
    assert client.get("/curriculum/content-gaps").status_code == 403
    assert client.post("/curriculum/propose", data={}).status_code in (400, 403)


def test_supervisor_not_covering_the_scope_is_refused(app, evidence, make_user, org):
    supervisor_of(make_user, "sup-a", org["branch_a"])
    client = signed_in(app, "sup-a")
    assert client.get("/curriculum/").status_code == 200
    response = post_form(client, "/curriculum/propose", {}, token_from="/curriculum/content-gaps")
    assert response.status_code == 403
    assert count(CurriculumVersion) == 0
    draft = proposals.propose()
    page = client.get(f"/curriculum/{draft.id}").get_data(as_text=True)
    assert 'id="approve"' not in page
    response = post_form(client, f"/curriculum/{draft.id}/approve", {}, token_from="/curriculum/")
    assert response.status_code == 403
    assert db.session.get(CurriculumVersion, draft.id).status == DRAFT


def test_supervisor_proposes_sees_diff_and_approves(app, evidence, make_user, org):
    supervisor_of(make_user, "sup-lib", org["library"])
    client = signed_in(app, "sup-lib")
    page = client.get("/curriculum/").get_data(as_text=True)
    assert 'id="propose"' in page
    response = post_form(client, "/curriculum/propose", {}, token_from="/curriculum/")
    assert response.status_code == 302
    draft = db.session.scalar(select(CurriculumVersion))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "change-added" in page and "DDC classification: priority #1 (0.56) in Putaran 2026" in page
    response = post_form(client, f"/curriculum/{draft.id}/approve", {}, token_from=f"/curriculum/{draft.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(CurriculumVersion, draft.id).status == ACTIVE
    assert count(Assignment) == 2
    index = client.get("/curriculum/").get_data(as_text=True)
    assert "Active curriculum: version 1" in index and "Sup-Lib" in index


def test_stale_draft_page_explains_and_approve_is_refused(app, evidence, trainer, make_round, answer):
    draft = proposals.propose()
    newer = make_round(title="Putaran Baru", closed_days_ago=1)
    answer(newer, evidence["bob"], {"cat-marc": (5, 1)})
    client = signed_in(app, "tina")
    page = client.get(f"/curriculum/{draft.id}").get_data(as_text=True)
    assert 'id="stale"' in page and "Putaran Baru" in page and 'id="approve"' not in page
    token = csrf_token(client, f"/curriculum/{draft.id}")
    response = client.post(f"/curriculum/{draft.id}/approve", data={"csrf_token": token})
    assert response.status_code == 409
    assert "Putaran Baru" in response.get_data(as_text=True)
    assert db.session.get(CurriculumVersion, draft.id).status == DRAFT and count(Assignment) == 0


def test_approve_without_csrf_is_refused(app, evidence, trainer):
    draft = proposals.propose()
    client = signed_in(app, "tina")
    assert client.post(f"/curriculum/{draft.id}/approve", data={}).status_code == 400
    assert client.post(f"/curriculum/{draft.id}/edit", data={"item_id": draft.items[0].id,
                                                              "action": "remove"}).status_code == 400
    db.session.expire_all()
    assert db.session.get(CurriculumVersion, draft.id).status == DRAFT
    assert len(db.session.get(CurriculumVersion, draft.id).items) == 2


def test_edit_remove_move_due_and_add(app, evidence, trainer):
    draft = proposals.propose()
    ddc_item, marc_item = draft.items
    client = signed_in(app, "tina")
    path = f"/curriculum/{draft.id}"
    assert post_form(client, f"{path}/edit", {"item_id": marc_item.id, "action": "up"},
                     token_from=path).status_code == 302
    db.session.expire_all()
    assert [i.module.slug for i in db.session.get(CurriculumVersion, draft.id).items] == ["marc", "ddc"]
    new_due = (local_today() + timedelta(days=90)).isoformat()
    assert post_form(client, f"{path}/edit", {"item_id": ddc_item.id, "action": "due", "due_on": new_due},
                     token_from=path).status_code == 302
    assert post_form(client, f"{path}/edit", {"item_id": marc_item.id, "action": "remove"},
                     token_from=path).status_code == 302
    db.session.expire_all()
    items = db.session.get(CurriculumVersion, draft.id).items
    assert [(i.module.slug, i.position, i.due_on.isoformat()) for i in items] == [("ddc", 1, new_due)]
    assert post_form(client, f"{path}/add", {"module_id": module("marc").id, "due_on": ""},
                     token_from=path).status_code == 302
    db.session.expire_all()
    items = db.session.get(CurriculumVersion, draft.id).items
    assert [(i.module.slug, i.position, i.reason.get("manual")) for i in items] == [("ddc", 1, None),
                                                                                  ("marc", 2, True)]


def test_tampered_ids_are_refused(app, evidence, trainer):
    other = proposals.propose()
    other_item_id = other.items[0].id
    services.discard(other, trainer)
    draft = proposals.propose()
    client = signed_in(app, "tina")
    path = f"/curriculum/{draft.id}"
    response = post_form(client, f"{path}/edit", {"item_id": other_item_id, "action": "remove"}, token_from=path)
    assert response.status_code == 400
    assert "That item is not part of this draft" in response.get_data(as_text=True)
    response = post_form(client, f"{path}/edit", {"item_id": draft.items[0].id, "action": "explode"},
                         token_from=path)
    assert response.status_code == 400
    response = post_form(client, f"{path}/add", {"module_id": 99999}, token_from=path)
    assert response.status_code == 400
    db.session.expire_all()
    assert len(db.session.get(CurriculumVersion, draft.id).items) == 2
    assert len(db.session.get(CurriculumVersion, other.id).items) == 2
    # A discarded version cannot be edited any more.
    response = post_form(client, f"/curriculum/{other.id}/edit", {"item_id": other_item_id, "action": "remove"},
                         token_from=path)
    assert response.status_code == 400 and "Only a draft can be changed" in response.get_data(as_text=True)


def test_discard(app, evidence, trainer):
    draft = proposals.propose()
    client = signed_in(app, "tina")
    response = post_form(client, f"/curriculum/{draft.id}/discard", {}, token_from=f"/curriculum/{draft.id}")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(CurriculumVersion, draft.id).status == "discarded"


def test_propose_without_closed_round_shows_message(app, trainer):
    client = signed_in(app, "tina")
    page = client.get("/curriculum/").get_data(as_text=True)
    assert 'id="propose"' not in page and "No needs round has closed yet" in page


def test_content_gap_report_flags_competency_without_module(app, evidence, trainer):
    client = signed_in(app, "tina")
    page = client.get("/curriculum/content-gaps").get_data(as_text=True)
    row = re.search(r'<tr id="gap-cs-reference-interview">.*?</tr>', page, re.S).group(0)
    assert "Reference interview" in row and "No module yet" in row
    # Sorted by priority: cat-classification (0.56), cs-reference-interview (0.35), cat-marc (0.30).
    assert page.index("gap-cat-classification") < page.index("gap-cs-reference-interview") < page.index(
        "gap-cat-marc")
    assert "no quiz attempts" in page


def test_cli_approve(app, evidence, trainer, runner):
    proposals.propose()
    result = runner.invoke(args=["curriculum", "approve", "1", "--by", "tina"])
    assert result.exit_code == 0, result.output
    assert "2 assignment(s) created" in result.output
    again = runner.invoke(args=["curriculum", "approve", "1", "--by", "tina"])
    assert again.exit_code != 0 and "Only a draft" in again.output


def test_pages_render_in_indonesian_with_history(app, evidence, make_user, org):
    head = supervisor_of(make_user, "kepala", org["library"], locale="id")
    previous = old_active()
    draft = proposals.propose(actor_id=head.id)
    client = signed_in(app, "kepala")
    page = client.get(f"/curriculum/{draft.id}").get_data(as_text=True)
    assert "Klasifikasi DDC" in page  # the reason names the competency in Indonesian
    assert 'id="approve"' in page and 'name="csrf_token"' in page
    services.approve(draft, head)
    index = client.get("/curriculum/").get_data(as_text=True)
    history = index[index.index('id="history"'):]
    assert "Putaran 2026" in history and "Kepala" in history
    assert f'href="/curriculum/{previous.id}"' in history and f'href="/curriculum/{draft.id}"' in history
    assert client.get(f"/curriculum/{previous.id}").status_code == 200
    assert client.get("/curriculum/content-gaps").status_code == 200
    assert client.get("/curriculum/9999").status_code == 404


def test_an_approval_whose_notifications_fail_keeps_nothing(app, evidence, trainer):
    """Issue 22: the approval, its assignments and the notifications they send are one
    transaction. The approval used to be committed before the librarians were told, so a
    worker killed in between left an active curriculum nobody had heard of."""
    from lms.hookspecs import hookimpl
    from lms.plugins.notifications.models import Notification

    class Crasher:
        @hookimpl(tryfirst=True)
        def lms_assignment_created(self, assignment, user_ids):
            raise RuntimeError("worker killed")

    previous = old_active()
    draft = proposals.propose(actor_id=trainer.id)
    app.extensions["lms.plugins"].register(Crasher(), name="crasher")
    with pytest.raises(RuntimeError, match="worker killed"):
        services.approve(draft, trainer)
    db.session.expire_all()
    assert db.session.get(CurriculumVersion, draft.id).status == DRAFT
    assert db.session.get(CurriculumVersion, previous.id).status == ACTIVE
    assert db.session.scalar(select(func.count()).select_from(Assignment)) == 0
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0
    app.extensions["lms.plugins"].unregister(name="crasher")
    assert services.approve(draft, trainer).assignments == 2
    assert db.session.scalar(select(func.count()).select_from(Notification)) > 0

"""Supervisors verify or reject their units' records (POST, CSRF, audited); nobody reviews
their own record or another unit's."""
from __future__ import annotations

from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.extensions import db
from lms.plugins.records.models import REJECTED, SUBMITTED, VERIFIED, ExternalTraining
from tests.conftest import post_form
from tests.records.conftest import add_record


def _record() -> ExternalTraining:
    db.session.expire_all()
    return db.session.scalars(select(ExternalTraining)).one()


def _audit(action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_review_queue_lists_submitted_records_of_own_units_only(app, people):
    add_record(people["lib_a"], topic="Konservasi naskah")
    add_record(people["lib_b"], topic="Layanan anak")
    page_a = people["sup_a"].get("/records/review").get_data(as_text=True)
    assert "Konservasi naskah" in page_a and "Layanan anak" not in page_a
    page_b = people["sup_b"].get("/records/review").get_data(as_text=True)
    assert "Layanan anak" in page_b and "Konservasi naskah" not in page_b
    page_admin = people["admin"].get("/records/review").get_data(as_text=True)
    assert "Konservasi naskah" in page_admin and "Layanan anak" in page_admin
    assert people["lib_a"].get("/records/review").status_code == 403


def test_supervisor_verifies_and_it_is_audited(app, people):
    add_record(people["lib_a"], jp="6")
    record = _record()
    show = f"/records/{record.id}"
    assert "Verification" in people["sup_a"].get(show).get_data(as_text=True)
    response = post_form(people["sup_a"], f"{show}/verify", {}, token_from=show)
    assert response.status_code == 302
    record = _record()
    assert (record.status, record.verified_by_id) == (VERIFIED, people["sup_a"].user.id)
    assert record.verified_at is not None
    [entry] = _audit("training_record.verified")
    assert (entry.target_type, entry.target_id, entry.actor_id) == ("external_training", str(record.id),
                                                                   people["sup_a"].user.id)
    assert entry.details["jp"] == 6.0
    # verified: the owner can no longer change or delete it
    assert people["lib_a"].get(f"{show}/edit").status_code == 403
    response = post_form(people["lib_a"], f"{show}/delete", {}, token_from="/records/")
    assert response.status_code == 302
    assert _record().status == VERIFIED


def test_rejection_needs_a_reason_and_shows_it_to_the_owner(app, people):
    add_record(people["lib_a"])
    record = _record()
    show = f"/records/{record.id}"
    response = post_form(people["sup_a"], f"{show}/reject", {"reason": "  "}, token_from=show)
    assert response.status_code == 400
    assert "Give a reason for the rejection." in response.get_data(as_text=True)
    assert _record().status == SUBMITTED and _audit("training_record.rejected") == []
    response = post_form(people["sup_a"], f"{show}/reject", {"reason": "The certificate is not legible."},
                         token_from=show)
    assert response.status_code == 302
    record = _record()
    assert (record.status, record.rejection_reason) == (REJECTED, "The certificate is not legible.")
    [entry] = _audit("training_record.rejected")
    # kept beside the log for the record's owner, so their erasure reaches it (docs/privacy.md)
    assert "reason" not in entry.details
    assert [(p.key, p.value, p.user_id) for p in entry.personal] == [
        ("reason", "The certificate is not legible.", record.user_id)]
    page = people["lib_a"].get(show).get_data(as_text=True)
    assert "Rejected" in page and "The certificate is not legible." in page


def test_verify_and_reject_without_csrf_are_refused(app, people):
    add_record(people["lib_a"])
    record = _record()
    assert people["sup_a"].post(f"/records/{record.id}/verify").status_code == 400
    assert people["sup_a"].post(f"/records/{record.id}/reject", data={"reason": "x"}).status_code == 400
    assert _record().status == SUBMITTED
    assert _audit("training_record.verified") == [] and _audit("training_record.rejected") == []


def test_other_units_supervisor_gets_404(app, people):
    add_record(people["lib_a"])
    record = _record()
    show = f"/records/{record.id}"
    response = post_form(people["sup_b"], f"{show}/verify", {}, token_from="/records/review")
    assert response.status_code == 404
    assert _record().status == SUBMITTED


def test_nobody_verifies_their_own_record(app, people, make_user, org):
    from lms.auth.models import UnitSupervisor
    from tests.conftest import login

    boss = make_user("boss", roles=("librarian", "supervisor"), unit=org["branch_a"], locale="en")
    db.session.add(UnitSupervisor(unit_id=org["branch_a"].id, user_id=boss.id))
    db.session.commit()
    client = app.test_client()
    login(client, "boss")
    client.user = boss
    add_record(client)
    record = _record()
    assert record.user_id == boss.id
    assert "Verification" not in client.get(f"/records/{record.id}").get_data(as_text=True)
    post_form(client, f"/records/{record.id}/verify", {}, token_from=f"/records/{record.id}")
    assert _record().status == SUBMITTED
    # ...but the supervisor above (sup_a, over branch A) can
    post_form(people["sup_a"], f"/records/{record.id}/verify", {}, token_from=f"/records/{record.id}")
    assert _record().status == VERIFIED


def test_creation_is_audited(app, people):
    add_record(people["sup_a"], user_id=str(people["lib_a"].user.id), jp="3")
    [entry] = _audit("training_record.created")
    assert entry.actor_id == people["sup_a"].user.id
    assert entry.details == {"user_id": people["lib_a"].user.id, "jp": 3.0, "kind": "seminar"}

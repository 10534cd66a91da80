"""Organisations (issue 20, item 1): a library's name, signatory, e-mail signature, time zone
and JP target live in the database, not in code; pages, certificates and e-mails read them."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lms import organisations
from lms.audit.models import AuditEntry
from lms.auth import services as auth
from lms.auth.models import Organisation, Unit, User
from lms.clock import utcnow
from lms.extensions import db
from tests.conftest import post_form

ROOT = Path(__file__).resolve().parent.parent


def test_nothing_about_the_first_library_is_left_in_code_templates_or_translations():
    """Its name may appear only in demo and benchmark data (demo modules, benchmark data modules)."""
    found = []
    for path in [*ROOT.glob("lms/**/*.py"), *ROOT.glob("templates/**/*.html"), *ROOT.glob("lms/**/*.po")]:
        if path.name in ("demo.py", "bench_data.py"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"palangka\s?raya", line, re.IGNORECASE):
                found.append(f"{path.relative_to(ROOT)}:{number}")
    assert found == []


def test_every_top_level_unit_is_an_organisation_and_units_below_belong_to_it(app, org):
    library = org["library"]
    assert db.session.get(Organisation, library.id).full_name == "Perpustakaan Uji"
    assert {unit.organisation_id for unit in org.values()} == {library.id}
    top = auth.save_unit(None, code="kab-x", name="Perpustakaan Kabupaten X", kind="library", parent=None)
    child = auth.save_unit(None, code="kab-x-layanan", name="Layanan", kind="section", parent=top)
    assert db.session.get(Organisation, top.id).full_name == "Perpustakaan Kabupaten X"
    assert (top.organisation_id, child.organisation_id) == (top.id, top.id)


def test_a_unit_with_people_is_not_moved_into_another_library(app, org, make_user):
    other = auth.save_unit(None, code="kab-y", name="Perpustakaan Kabupaten Y", kind="library", parent=None)
    make_user("ani", unit=org["section_a1"])
    before = (org["branch_a"].parent_id, org["section_a1"].organisation_id)
    with pytest.raises(auth.ServiceError, match="1 (person|orang)"):
        auth.save_unit(org["branch_a"], code="branch-a", name="Cabang A", kind="branch", parent=other)
    db.session.rollback()
    db.session.expire_all()
    assert (org["branch_a"].parent_id, org["section_a1"].organisation_id) == before
    # an empty unit may move, and takes the other library's id
    empty = org["branch_b"]
    auth.save_unit(empty, code="branch-b", name="Cabang B", kind="branch", parent=other)
    assert db.session.get(Unit, empty.id).organisation_id == other.id


def rename(library: Unit, **values) -> None:
    organisation = db.session.get(Organisation, library.id)
    current = {name: getattr(organisation, name) for name in organisations.SETTINGS}
    organisations.save_settings(organisation, **{**current, **values})


def test_footer_names_the_signed_in_persons_library_and_the_home_one_when_signed_out(app, org, client_as):
    rename(org["library"], full_name="Perpustakaan Daerah Kabupaten Kotawaringin Timur")
    librarian = client_as("librarian")
    assert "Kotawaringin Timur" in librarian.get("/").get_data(as_text=True)
    assert "Kotawaringin Timur" in app.test_client().get("/login").get_data(as_text=True)
    # two top-level libraries and no HOME_ORGANISATION: a signed-out page names Pembina alone
    auth.save_unit(None, code="kab-y", name="Perpustakaan Kabupaten Y", kind="library", parent=None)
    page = app.test_client().get("/login").get_data(as_text=True)
    assert "Kotawaringin Timur" not in page and "Kabupaten Y" not in page
    app.config["HOME_ORGANISATION"] = "kab-y"
    assert "Kabupaten Y" in app.test_client().get("/login").get_data(as_text=True)
    assert "Kotawaringin Timur" in librarian.get("/").get_data(as_text=True)  # signed in: their own


def test_settings_are_validated_and_nothing_changes_on_error(app, org, client_as):
    admin = client_as("admin")
    path = f"/admin/organisations/{org['library'].id}"
    good = {"full_name": "Perpustakaan Uji", "short_name": "Uji", "time_zone": "Asia/Makassar", "jp_target": "24",
            "default_locale": "id", "signatory_name": "Dr. Maria Ulfah, S.IP., M.Hum.",
            "signatory_position": "Kepala Perpustakaan", "signatory_nip": "198001012005012001",
            "email_signature": "Salam, Perpustakaan Uji"}
    for field, value in [("signatory_nip", "1980"), ("time_zone", "Mars/Olympus"), ("jp_target", "900"),
                         ("full_name", ""), ("default_locale", "fr")]:
        response = post_form(admin, path, {**good, field: value})
        assert response.status_code == 400, field
    organisation = db.session.get(Organisation, org["library"].id)
    db.session.refresh(organisation)
    assert (organisation.time_zone, organisation.signatory_nip) == ("Asia/Jakarta", "")
    assert post_form(admin, path, good).status_code == 302
    db.session.refresh(organisation)
    assert (organisation.time_zone, organisation.jp_target, organisation.signatory_nip) == \
        ("Asia/Makassar", 24, "198001012005012001")
    event = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "organisation.updated")).one()
    assert "signatory_nip" in event.details["fields"]
    # without a CSRF token, nothing happens
    assert admin.post(path, data={**good, "short_name": "X"}).status_code == 400
    db.session.refresh(organisation)
    assert organisation.short_name == "Uji"


@pytest.mark.parametrize("role", ["librarian", "trainer", "supervisor"])
def test_only_admins_see_the_libraries_pages(app, org, client_as, role):
    client = client_as(role)
    assert client.get("/admin/organisations").status_code == 403
    assert client.get(f"/admin/organisations/{org['library'].id}").status_code == 403


def test_an_admin_makes_a_unit_a_library(app, org, client_as):
    admin = client_as("admin")
    page = admin.get("/admin/organisations").get_data(as_text=True)
    assert "Perpustakaan Uji" in page and f'value="{org["branch_b"].id}"' in page
    response = post_form(admin, "/admin/organisations/new", {"unit_id": org["branch_b"].id},
                         token_from="/admin/organisations")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Organisation, org["branch_b"].id).full_name == "Cabang B"
    assert db.session.get(Unit, org["branch_b"].id).organisation_id == org["branch_b"].id
    # a unit that is a library already is not offered, and posting it is refused
    assert post_form(admin, "/admin/organisations/new", {"unit_id": org["library"].id},
                     token_from="/admin/organisations").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 2


def test_demo_library_comes_from_demo_data(app, runner):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    organisation = db.session.scalar(select(Organisation).join(Unit, Unit.id == Organisation.unit_id)
                                     .where(Unit.code == "pkp"))
    assert organisation.signatory_name.startswith("Erlina Simanjuntak")
    assert db.session.scalar(select(func.count()).select_from(Unit).where(Unit.organisation_id.is_(None))) == 0
    assert runner.invoke(args=["demo"]).exit_code == 0  # idempotent
    # the province and its two libraries, each with its own signatory
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 3
    kotim = db.session.scalar(select(Organisation).join(Unit, Unit.id == Organisation.unit_id)
                              .where(Unit.code == "kotim"))
    assert kotim.signatory_name.startswith("Hj. Siti Rahmah") and kotim.unit.parent.code == "kalteng"


def test_mail_signature_is_the_recipients_library(app, org, make_user, mail_on):
    from tests.conftest import deliver_mail

    rename(org["library"], email_signature="Salam hangat, Perpustakaan Daerah Kotawaringin Timur")
    make_user("ani", unit=org["branch_a"], email="ani@example.test")
    client = app.test_client()
    post_form(client, "/password/forgot", {"identifier": "ani"})
    deliver_mail()
    (message,) = mail_on.to("ani@example.test")
    assert message.get_content().rstrip().endswith("Salam hangat, Perpustakaan Daerah Kotawaringin Timur")


def test_user_loader_brings_the_library_in_the_same_statement(app, org, client_as):
    """The footer's library costs no query of its own: it comes with the signed-in user."""
    from sqlalchemy import event

    librarian = client_as("librarian")
    statements: list[str] = []

    def remember(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", remember)
    try:
        page = librarian.get("/privasi").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", remember)
    assert "Perpustakaan Uji" in page
    reading = [statement for statement in statements if "organisations" in statement]
    assert reading and all("user_sessions" in statement for statement in reading), reading


def test_ids_below_and_supervised_ids_follow_the_tree(app, make_unit, make_user, org, other_org):
    from lms.extensions import db

    province = make_unit("prov", "Dinas Provinsi", "library")
    org["library"].parent = province
    other_org["library"].parent = province
    organisations.assign_organisations()
    db.session.commit()
    below = set(db.session.scalars(organisations.ids_below([province.id])))
    assert below == {province.id, org["library"].id, other_org["library"].id}
    assert set(db.session.scalars(organisations.ids_below([org["library"].id]))) == {org["library"].id}
    head = make_user("kepala", roles=("supervisor",), unit=org["branch_a"])
    head.supervised_units.append(org["branch_b"])
    db.session.commit()
    assert set(db.session.scalars(organisations.supervised_ids(head))) == {org["library"].id}


def test_an_organisation_role_is_held_there_only(app, make_user, org, other_org):
    from lms.auth.models import OrganisationRole
    from lms.extensions import db

    person = make_user("ratna", roles=("librarian",), unit=org["branch_a"])
    assert not person.holds("admin") and person.organisations_for("admin") == frozenset()
    person.organisation_roles.append(OrganisationRole(organisation_id=other_org["library"].id, role="trainer"))
    person.organisation_roles.append(OrganisationRole(organisation_id=org["library"].id, role="admin"))
    db.session.commit()
    db.session.expire_all()
    person = db.session.get(type(person), person.id)
    assert person.holds("admin") and person.holds("trainer") and not person.has_role("admin")
    assert person.organisations_for("trainer") == {other_org["library"].id}
    assert person.organisations_for("admin") == {org["library"].id}


def test_two_demo_libraries_each_have_their_own_name_on_pages_certificates_and_mail(full_demo, mail_on):
    """Issue 20's "done when": two organisations side by side in the demo, with different names
    on every page (the footer), on certificates and in e-mail."""
    from lms.core.demo import DEMO_PASSWORD
    from lms.plugins.courses.models import Course
    from lms.plugins.learning.models import CourseCompletion
    from lms.plugins.learning.services import issue_certificate
    from tests.conftest import deliver_mail, login

    palangka, sampit = "Perpustakaan Kota Palangkaraya", "Perpustakaan Daerah Kabupaten Kotawaringin Timur"
    people = {u.username: u for u in db.session.scalars(select(User).where(User.username.in_(["ani", "yohana"])))}
    course = db.session.scalar(select(Course).where(Course.slug == "layanan-pelanggan"))
    codes = {}
    for username, person in people.items():
        completion = CourseCompletion(user_id=person.id, course_id=course.id, completed_at=utcnow(), jp=course.jp)
        db.session.add(completion)
        db.session.flush()
        codes[username] = issue_certificate(completion).code
        db.session.commit()
    for username, own, other in (("ani", palangka, sampit), ("yohana", sampit, palangka)):
        client = full_demo.test_client()
        assert login(client, username, DEMO_PASSWORD).status_code == 302
        for url in ("/", "/learning/", f"/learning/certificates/{codes[username]}"):
            page = client.get(url, follow_redirects=True).get_data(as_text=True)
            assert own in page and other not in page, (username, url)
        # Sampit's private course: in its own catalogue, not found for Palangka Raya
        catalogue = client.get("/courses/").get_data(as_text=True)
        assert ("Sungai Mentaya" in catalogue) == (username == "yohana")
        assert client.get("/courses/layanan-keliling-mentaya/").status_code == (200 if username == "yohana" else 404)
        verified = full_demo.test_client().get(f"/verify/{codes[username]}").get_data(as_text=True)
        assert own in verified and other not in verified
        people[username].email = f"{username}@example.test"
        db.session.commit()
        client.get("/logout")
        post_form(full_demo.test_client(), "/password/forgot", {"identifier": username})
    deliver_mail()
    assert mail_on.to("ani@example.test")[0].get_content().rstrip().endswith(palangka)
    assert mail_on.to("yohana@example.test")[0].get_content().rstrip().endswith("Kotawaringin Timur, Sampit")

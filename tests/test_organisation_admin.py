"""Scoped administration (issue 20, docs/organisations.md section 2): an organisation admin
manages the people, units, imports, settings and audit entries of their library only; nothing
of the library beside it (``other_org``, every name carrying OTHER_MARKER) shows, its ids
answer 404, and reaching for more (an install-wide role, another library's unit or roles) is
refused with a form error and written to the audit log."""
from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from lms.audit.models import AuditEntry
from lms.audit.services import record
from lms.auth.importer import parse_users_csv
from lms.auth.models import Organisation, OrganisationRole, Unit, User
from lms.auth.scoping import scoped_users, supervised_unit_ids
from lms.extensions import db
from tests.conftest import OTHER_MARKER, PASSWORD, csrf_token, login, post_form


def grant(user: User, role: str, unit: Unit) -> None:
    db.session.add(OrganisationRole(user_id=user.id, organisation_id=unit.id, role=role))
    db.session.commit()


def fresh(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def refusals() -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "admin.refused")))


@pytest.fixture
def people(make_user, org, other_org):
    """A librarian in each library; audit entries about each library's person and unit."""
    ours = make_user("ani", unit=org["section_a1"], full_name="Ani Pustakawan")
    theirs = make_user("seb-staf", unit=other_org["branch"], full_name=f"Staf {OTHER_MARKER}")
    record("user.created", "user", ours.id, note="ours-entry")
    record("user.created", "user", theirs.id, note=f"{OTHER_MARKER}-entry")
    record("unit.created", "unit", other_org["section"].id, code=f"{OTHER_MARKER}-unit")
    db.session.commit()
    return {"ours": ours, "theirs": theirs}


@pytest.fixture
def lib_admin(app, make_user, org, other_org):
    """An organisation admin of ``lib`` (no install-wide role but librarian), signed in, English."""
    user = make_user("kepala", roles=("librarian",), unit=org["branch_a"], full_name="Kepala Lib", locale="en")
    grant(user, "admin", org["library"])
    client = app.test_client()
    assert login(client, "kepala").status_code == 302
    client.user = user
    return client


def edit_data(user: User, **overrides) -> dict:
    data = {"username": user.username, "full_name": user.full_name, "email": user.email or "", "nip": "",
            "position": "", "locale": user.locale, "roles": sorted(user.role_names),
            "unit_id": str(user.unit_id or 0), "supervised": [str(unit.id) for unit in user.supervised_units]}
    data.update(overrides)
    return data


# --- the access layer -------------------------------------------------------------------------

def test_scoped_rule_is_an_explicit_opt_in(app):
    """Only views declared ``scoped`` admit an organisation role; creating a library is not one."""
    from lms.auth.access import ScopedRoles, access_rule

    assert isinstance(access_rule(app, "admin.users"), ScopedRoles)
    assert access_rule(app, "admin.users") == frozenset({"admin"})  # fresh sign-in rules still apply
    assert not isinstance(access_rule(app, "admin.organisation_new"), ScopedRoles)
    assert isinstance(access_rule(app, "grading.queue"), ScopedRoles)
    assert access_rule(app, "grading.queue").scoped == frozenset({"trainer"})


def test_organisation_admin_opens_their_pages_and_nothing_install_wide(lib_admin, org, people):
    for url in ("/admin/users", "/admin/units", "/admin/organisations", "/admin/audit", "/admin/users/new",
                "/admin/users/import", f"/admin/users/{people['ours'].id}", f"/admin/units/{org['branch_b'].id}",
                f"/admin/organisations/{org['library'].id}"):
        assert lib_admin.get(url).status_code == 200, url
    page = lib_admin.get("/admin/users").get_data(as_text=True)
    assert 'href="/admin/units"' in page  # the Administer menu
    # not declared scoped: install-wide admins only
    assert post_form(lib_admin, "/admin/organisations/new", {"unit_id": str(org["branch_b"].id)},
                     token_from="/admin/users").status_code == 403
    assert db.session.get(Organisation, org["branch_b"].id) is None
    assert lib_admin.get("/grading/").status_code == 403


def test_organisation_admin_sees_nothing_of_the_other_library(lib_admin, people, org, other_org):
    pages = {url: lib_admin.get(url) for url in (
        "/admin/users", "/admin/users?q=staf", "/admin/units", "/admin/organisations", "/admin/audit",
        "/admin/users/new", f"/admin/users/{people['ours'].id}", "/admin/units/new",
        f"/admin/units/{org['branch_a'].id}")}
    for url, response in pages.items():
        assert response.status_code == 200, url
        assert OTHER_MARKER not in response.get_data(as_text=True), url
    assert "Ani Pustakawan" in pages["/admin/users"].get_data(as_text=True)
    assert "Cabang B" in pages["/admin/units"].get_data(as_text=True)
    assert "Perpustakaan Uji" in pages["/admin/organisations"].get_data(as_text=True)
    assert "ours-entry" in pages["/admin/audit"].get_data(as_text=True)


def test_the_other_librarys_ids_answer_404(lib_admin, people, other_org):
    theirs = people["theirs"]
    token = csrf_token(lib_admin, "/admin/users")
    for url in (f"/admin/users/{theirs.id}", f"/admin/units/{other_org['branch'].id}",
                f"/admin/units/{other_org['library'].id}", f"/admin/organisations/{other_org['library'].id}"):
        assert lib_admin.get(url).status_code == 404, url
    for url in (f"/admin/users/{theirs.id}", f"/admin/users/{theirs.id}/active",
                f"/admin/users/{theirs.id}/reset-password", f"/admin/organisations/{other_org['library'].id}"):
        assert lib_admin.post(url, data={"csrf_token": token, "active": "0"}).status_code == 404, url
    user = fresh(theirs.id)
    assert user.active and user.check_password(PASSWORD)


def test_the_install_wide_admin_still_sees_both_libraries(client_as, people):
    admin = client_as("admin")
    page = admin.get("/admin/users").get_data(as_text=True)
    assert OTHER_MARKER in page and "Ani Pustakawan" in page
    assert OTHER_MARKER in admin.get("/admin/audit").get_data(as_text=True)


# --- roles ----------------------------------------------------------------------------------------

def test_organisation_admin_cannot_grant_an_install_wide_role(lib_admin, people):
    ours = people["ours"]
    response = post_form(lib_admin, f"/admin/users/{ours.id}", edit_data(ours, roles=["librarian", "admin"]))
    assert response.status_code == 400
    assert "Only an administrator of the whole install can give the roles admin." in response.get_data(as_text=True)
    assert fresh(ours.id).role_names == {"librarian"}
    assert [entry.target_id for entry in refusals()] == [str(ours.id)]
    page = lib_admin.get(f"/admin/users/{ours.id}").get_data(as_text=True)
    assert 'value="admin"' not in page and 'value="trainer"' not in page  # never offered


def test_organisation_admin_grants_trainer_for_their_library_only(lib_admin, people, org, other_org):
    ours = people["ours"]
    theirs_library = f"trainer:{other_org['library'].id}"
    response = post_form(lib_admin, f"/admin/users/{ours.id}", edit_data(ours, library_roles=[theirs_library]))
    assert response.status_code == 400
    assert "only for your own libraries" in response.get_data(as_text=True)
    assert fresh(ours.id).organisation_roles == []
    assert len(refusals()) == 1

    response = post_form(lib_admin, f"/admin/users/{ours.id}",
                         edit_data(ours, library_roles=[f"trainer:{org['library'].id}"]))
    assert response.status_code == 302
    user = fresh(ours.id)
    assert user.organisations_for("trainer") == {org["library"].id} and not user.has_role("trainer")
    changed = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.organisation_roles_changed")).all()
    assert [entry.details["after"] for entry in changed] == [["trainer@lib"]]


def test_organisation_admin_cannot_change_an_account_with_wider_power(lib_admin, make_user, org):
    boss = make_user("boss", roles=("admin",), unit=org["branch_a"])
    page = lib_admin.get(f"/admin/users/{boss.id}").get_data(as_text=True)
    assert "Only an administrator of the whole install can change it." in page
    assert "Reset password" not in page
    token = csrf_token(lib_admin, "/admin/users")
    assert lib_admin.post(f"/admin/users/{boss.id}/reset-password", data={"csrf_token": token}).status_code == 403
    assert lib_admin.post(f"/admin/users/{boss.id}/active", data={"csrf_token": token, "active": "0"}).status_code == 403
    user = fresh(boss.id)
    assert user.check_password(PASSWORD) and user.active
    assert [entry.details["reason"] for entry in refusals()] == ["account_beyond_scope"] * 2


def test_organisation_admin_creates_users_only_in_their_units(lib_admin, org, other_org):
    data = {"username": "baru", "full_name": "Orang Baru", "email": "", "nip": "", "position": "", "locale": "id",
            "roles": ["librarian"], "unit_id": str(other_org["branch"].id), "password": ""}
    response = post_form(lib_admin, "/admin/users/new", data)
    assert response.status_code == 400 and "Choose a unit of your own library." in response.get_data(as_text=True)
    assert fresh(lib_admin.user.id) is not None and db.session.scalar(select(User).where(User.username == "baru")) is None
    assert len(refusals()) == 1
    data.update(unit_id=str(org["branch_b"].id), library_roles=[f"admin:{org['library'].id}"])
    assert post_form(lib_admin, "/admin/users/new", data).status_code == 200  # the temporary password page
    created = db.session.scalar(select(User).where(User.username == "baru"))
    assert created.unit_id == org["branch_b"].id and created.organisations_for("admin") == {org["library"].id}


def test_organisation_admin_cannot_remove_their_own_library_admin_role(lib_admin):
    me = lib_admin.user
    response = post_form(lib_admin, f"/admin/users/{me.id}", edit_data(me, library_roles=[]))
    assert response.status_code == 400
    assert fresh(me.id).organisations_for("admin")


def test_global_admin_grants_library_roles_in_the_user_form(client_as, people, org, other_org):
    admin = client_as("admin")
    theirs = people["theirs"]
    page = admin.get(f"/admin/users/{theirs.id}").get_data(as_text=True)
    assert f'value="admin:{org["library"].id}"' in page and f'value="trainer:{other_org["library"].id}"' in page
    response = post_form(admin, f"/admin/users/{theirs.id}",
                         edit_data(theirs, library_roles=[f"admin:{other_org['library'].id}"]))
    assert response.status_code == 302
    assert fresh(theirs.id).organisations_for("admin") == {other_org["library"].id}
    page = admin.get(f"/admin/users/{theirs.id}").get_data(as_text=True)
    checked = re.findall(r'<input checked[^>]*name="library_roles"[^>]*value="([^"]+)"', page)
    assert checked == [f"admin:{other_org['library'].id}"]
    response = post_form(admin, f"/admin/users/{theirs.id}", edit_data(theirs, library_roles=[]))
    assert response.status_code == 302 and fresh(theirs.id).organisation_roles == []


# --- units and settings --------------------------------------------------------------------------

def test_organisation_admin_places_units_inside_their_library_only(lib_admin, org, other_org):
    unit_data = {"code": "baru", "name": "Seksi Baru", "kind": "section", "active": "y"}
    for parent in ("0", str(other_org["branch"].id)):
        response = post_form(lib_admin, "/admin/units/new", {**unit_data, "parent_id": parent})
        assert response.status_code == 400
        assert "Choose a unit of your own library." in response.get_data(as_text=True)
    assert db.session.scalar(select(Unit).where(Unit.code == "baru")) is None
    assert len(refusals()) == 2
    response = post_form(lib_admin, "/admin/units/new", {**unit_data, "parent_id": str(org["branch_b"].id)})
    assert response.status_code == 302
    # their library's own unit keeps its place (top level) and can be renamed
    library = org["library"]
    response = post_form(lib_admin, f"/admin/units/{library.id}",
                         {"code": "lib", "name": "Perpustakaan Uji Baru", "kind": "library", "parent_id": "0",
                          "active": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Unit, library.id).name == "Perpustakaan Uji Baru"


def test_organisation_admin_edits_their_librarys_settings(lib_admin, org):
    page = lib_admin.get("/admin/organisations").get_data(as_text=True)
    assert "Make it a library" not in page
    form = {"full_name": "Perpustakaan Uji", "short_name": "Uji", "time_zone": "Asia/Makassar", "jp_target": "24",
            "default_locale": "id", "signatory_name": "", "signatory_position": "", "signatory_nip": "",
            "email_signature": ""}
    assert post_form(lib_admin, f"/admin/organisations/{org['library'].id}", form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Organisation, org["library"].id).time_zone == "Asia/Makassar"


# --- scoping for the rest of the app --------------------------------------------------------------

def test_an_organisation_admins_supervised_units_are_their_librarys(org, other_org, make_user, people):
    user = make_user("kepala2", roles=("librarian",), unit=org["branch_a"])
    grant(user, "admin", org["library"])
    user = fresh(user.id)
    assert set(db.session.scalars(supervised_unit_ids(user))) == {unit.id for unit in org.values()}
    names = {person.username for person in db.session.scalars(scoped_users(user))}
    assert "ani" in names and "seb-staf" not in names
    from lms.auth.scoping import admin_scope

    scope = admin_scope(user)
    assert scope.organisation_ids == {org["library"].id} and not scope.has_user(people["theirs"])


def test_a_provincial_admin_manages_the_libraries_below(make_unit, make_user, org):
    """An organisation admin of a provincial service manages the libraries below it too."""
    from lms import organisations

    province = make_unit("prov", "Dinas Provinsi", "library")
    organisations.assign_organisations()
    db.session.commit()
    library = org["library"]
    library.parent = province
    db.session.commit()
    organisations.assign_organisations()
    db.session.commit()
    user = make_user("dinas", roles=("librarian",), unit=province)
    grant(user, "admin", province)
    from lms.auth.scoping import admin_scope

    scope = admin_scope(fresh(user.id))
    assert scope.organisation_ids == {province.id, library.id}
    assert org["section_a1"].id in scope.unit_ids


# --- the user importer ----------------------------------------------------------------------------

HEADER = "username,full_name,email,roles,unit\n"


def test_a_row_without_a_unit_is_refused_once_there_are_two_libraries(org, other_org):
    result = parse_users_csv((HEADER + "tanpa,Tanpa Unit,,librarian,\nada,Ada Unit,,librarian,branch-a\n").encode())
    assert len(result.errors) == 1 and re.match(r"(line|baris) 2: .*unit", result.errors[0]), result.errors


def test_the_cli_names_the_file_and_line_of_a_row_without_a_unit(org, other_org, runner, tmp_path):
    path = tmp_path / "staf.csv"
    path.write_text(HEADER + "ada,Ada Unit,,librarian,branch-a\ntanpa,Tanpa Unit,,librarian,\n", encoding="utf-8")
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code != 0
    assert re.search(rf"^{re.escape(str(path))}: (line|baris) 3: .*unit", result.stderr, re.M), result.stderr
    assert db.session.scalar(select(User).where(User.username == "ada")) is None


def test_organisation_admins_import_names_only_their_units_and_roles(lib_admin, org, other_org):
    data = (HEADER + "satu,Satu,,librarian,seb-branch\ndua,Dua,,admin,branch-a\ntiga,Tiga,,librarian,\n"
            "empat,Empat,,supervisor,branch-b\n").encode()
    response = lib_admin.post("/admin/users/import", data={
        "csrf_token": csrf_token(lib_admin, "/admin/users/import"), "file": (io.BytesIO(data), "staf.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert re.search(r"line 2: unknown unit &#39;seb-branch&#39;: use a unit code of your library", page)
    assert "line 3: only an administrator of the whole install can give the role(s) admin" in page
    assert "line 4: the unit is empty" in page
    assert OTHER_MARKER not in page
    assert db.session.scalar(select(User).where(User.username.in_(["satu", "dua", "tiga", "empat"]))) is None
    assert [entry.details["lines"] for entry in refusals()] == [[2, 3]]


def test_the_cli_grants_and_revokes_a_role_for_one_library(runner, make_user, org, other_org):
    make_user("ani", unit=org["branch_a"])
    result = runner.invoke(args=["users", "grant", "ani", "trainer", "--library", "lib"])
    assert result.exit_code == 0, result.output
    ani = db.session.scalar(select(User).where(User.username == "ani"))
    assert fresh(ani.id).organisations_for("trainer") == {org["library"].id}
    assert "librarian,trainer@lib" in runner.invoke(args=["users", "list"]).output
    assert runner.invoke(args=["users", "grant", "ani", "admin", "--library", "seb-branch"]).exit_code != 0  # not a library
    assert runner.invoke(args=["users", "revoke", "ani", "trainer", "--library", "lib"]).exit_code == 0
    assert fresh(ani.id).organisation_roles == []
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(ani.id))).all()
    assert actions.count("user.organisation_roles_changed") == 2


def test_a_forged_cross_site_post_writes_nothing_not_even_a_refusal(lib_admin, people, make_user, org):
    ours, boss = people["ours"], make_user("boss", roles=("admin",), unit=org["branch_a"])
    data = edit_data(ours, roles=["librarian", "admin"])  # no csrf_token
    assert lib_admin.post(f"/admin/users/{ours.id}", data=data).status_code == 400
    assert lib_admin.post(f"/admin/users/{boss.id}/reset-password", data={}).status_code in (400, 403)
    assert lib_admin.post("/admin/units/new", data={"code": "x", "name": "X", "kind": "section",
                                                    "parent_id": "0"}).status_code == 400
    assert refusals() == [] and fresh(ours.id).role_names == {"librarian"}

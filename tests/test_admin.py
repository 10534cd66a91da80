"""Admin pages: users (list, create, edit, (de)activate, reset password), units, audit log."""
from __future__ import annotations

import html
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEntry, AuditLogIsAppendOnly
from lms.audit.services import record
from lms.auth.models import Unit, UnitSupervisor, User, UserRole
from lms.extensions import db
from tests.conftest import PASSWORD, csrf_token, login, post_form

TEMP_PASSWORD_RE = re.compile(r"\b([0-9a-f]{6}-[0-9a-f]{6}-[0-9a-f]{6})\b")


@pytest.fixture
def admin(client_as, org):
    """An admin of branch-a, signed in, reading English."""
    client = client_as("admin")
    client.user.locale = "en"
    db.session.commit()
    client.user_id = client.user.id
    return client


@pytest.fixture
def ids(org):
    return {key: unit.id for key, unit in org.items()}


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def get_user(username: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def entries(action: str, target_id=None) -> list[AuditEntry]:
    db.session.expire_all()
    query = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
    if target_id is not None:
        query = query.where(AuditEntry.target_id == str(target_id))
    return list(db.session.scalars(query))


def field_errors(page: str, field_id: str) -> str:
    if field_id == "roles":  # a fieldset of checkboxes, with its own error list
        match = re.search(r'<fieldset class="field has-error">\s*<legend>[^<]*</legend>.*?'
                          r'<ul class="errors">(.*?)</ul>', page, re.S)
    else:
        match = re.search(rf'<ul class="errors" id="{field_id}-error">(.*?)</ul>', page, re.S)
    assert match, f"no error shown for {field_id}"
    return html.unescape(match.group(1))


def flashes(page: str) -> str:
    return html.unescape(" ".join(re.findall(r'<p class="flash flash-\w+">(.*?)</p>', page, re.S)))


def new_user_data(**overrides) -> dict:
    data = {"username": "wedari", "full_name": "Ni Luh Putu Ayu Wédari", "email": "wedari@perpus.example.id",
            "nip": "", "position": "Asisten Perpustakaan Mahir", "locale": "id", "roles": ["librarian"],
            "unit_id": "0", "password": ""}
    data.update(overrides)
    return data


def edit_data(user: User, **overrides) -> dict:
    """What the edit page would send back unchanged, with ``overrides`` applied."""
    data = {"username": user.username, "full_name": user.full_name, "email": user.email or "",
            "nip": user.nip or "", "position": user.position or "", "locale": user.locale,
            "roles": sorted(user.role_names), "unit_id": str(user.unit_id or 0),
            "supervised": [str(unit.id) for unit in user.supervised_units]}
    data.update(overrides)
    return data


# --- creating users -------------------------------------------------------------------------

def test_create_user_with_roles_and_unit(admin, ids):
    before = count(User)
    response = post_form(admin, "/admin/users/new", new_user_data(
        username="Wedari", roles=["librarian", "trainer"], unit_id=str(ids["section_a1"]),
        supervised=[str(ids["branch_b"])]))
    assert response.status_code == 200 and 'id="temporary-password"' in response.get_data(as_text=True)
    assert count(User) == before + 1
    user = get_user("wedari")
    assert user.full_name == "Ni Luh Putu Ayu Wédari" and user.email == "wedari@perpus.example.id"
    assert user.role_names == {"librarian", "trainer"}
    assert user.unit_id == ids["section_a1"]
    assert [unit.code for unit in user.supervised_units] == ["branch-b"]
    assert user.active and user.must_change_password
    [entry] = entries("user.created", user.id)
    assert entry.actor_id == admin.user_id
    assert entry.details == {"roles": ["librarian", "trainer"], "unit": "section-a1"}  # the person by id only
    # the generated temporary password is shown once and works
    shown = TEMP_PASSWORD_RE.findall(response.get_data(as_text=True))
    assert len(shown) == 1 and user.check_password(shown[0])
    assert not TEMP_PASSWORD_RE.search(admin.get("/admin/users").get_data(as_text=True))


def test_create_user_with_a_given_password(admin, app):
    response = post_form(admin, "/admin/users/new", new_user_data(password="sandi-sementara-99"))
    assert response.status_code == 302
    assert not TEMP_PASSWORD_RE.search(flashes(admin.get("/admin/users").get_data(as_text=True)))
    newcomer = app.test_client()
    assert login(newcomer, "wedari", "sandi-sementara-99").status_code == 302
    assert newcomer.get("/").headers["Location"] == "/account"


def test_duplicate_username_reshows_the_form(admin, make_user):
    make_user("ani")
    before = count(User)
    response = post_form(admin, "/admin/users/new", new_user_data(username="ANI", full_name="Another Ani"))
    assert response.status_code == 400
    assert "already taken" in field_errors(response.get_data(as_text=True), "username")
    assert count(User) == before
    assert get_user("ani").full_name == "Ani"
    assert not entries("user.created")


def test_duplicate_nip_reshows_the_form(admin, make_user):
    make_user("ani", nip="198701012010012001")
    before = count(User)
    response = post_form(admin, "/admin/users/new", new_user_data(nip="198701012010012001"))
    assert response.status_code == 400
    assert "NIP" in field_errors(response.get_data(as_text=True), "nip")
    assert count(User) == before


def test_missing_full_name_is_refused(admin):
    before = count(User)
    response = post_form(admin, "/admin/users/new", new_user_data(full_name="  "))
    assert response.status_code == 400
    assert "required" in field_errors(response.get_data(as_text=True), "full_name")
    assert count(User) == before


@pytest.mark.parametrize("overrides,field", [
    ({"email": "not-an-address"}, "email"),
    ({"username": "wé dari"}, "username"),
    ({"password": "short"}, "password"),
    ({"password": "wedari-is-my-name"}, "password"),
    ({"roles": []}, "roles"),
], ids=["email", "username", "short password", "password with username", "no role"])
def test_invalid_fields_are_refused(admin, overrides, field):
    before = count(User)
    response = post_form(admin, "/admin/users/new", new_user_data(**overrides))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert field_errors(page, field)
    others = {"email", "username", "password", "full_name", "nip"} - {field}
    assert not any(f'id="{other}-error"' in page for other in others)
    assert count(User) == before


@pytest.mark.parametrize("overrides", [
    {"roles": ["superuser"]},
    {"roles": ["librarian", "superuser"]},
    {"unit_id": "9999"},
    {"unit_id": "abc"},
    {"supervised": ["9999"]},
    {"locale": "fr"},
], ids=["forged role", "forged extra role", "unknown unit", "non-numeric unit", "unknown supervised unit",
        "unknown locale"])
def test_forged_choices_are_refused_on_create(admin, overrides):
    before, roles_before = count(User), count(UserRole)
    response = post_form(admin, "/admin/users/new", new_user_data(**overrides))
    assert response.status_code == 400
    assert count(User) == before and count(UserRole) == roles_before
    assert get_user("wedari") is None


# --- editing users --------------------------------------------------------------------------

@pytest.fixture
def budi(make_user, org):
    return make_user("budi", roles=("librarian",), unit=org["branch_a"], full_name="Budi Santoso")


def test_edit_page_shows_the_current_values(admin, budi, ids):
    page = admin.get(f"/admin/users/{budi.id}").get_data(as_text=True)
    assert 'value="budi"' in page and "readonly" in page
    assert re.search(r'<input checked id="roles-\d" name="roles"[^>]*value="librarian"', page)
    assert f'<option selected value="{ids["branch_a"]}">' in page


def test_roles_change_is_audited(admin, budi):
    response = post_form(admin, f"/admin/users/{budi.id}", edit_data(budi, roles=["trainer", "supervisor"]))
    assert response.status_code == 302
    assert get_user("budi").role_names == {"trainer", "supervisor"}
    [entry] = entries("user.roles_changed", budi.id)
    assert entry.details == {"before": ["librarian"], "after": ["supervisor", "trainer"]}
    assert entry.actor_id == admin.user_id
    assert not entries("user.unit_changed") and not entries("user.supervision_changed")


def test_unit_change_is_audited(admin, budi, ids):
    response = post_form(admin, f"/admin/users/{budi.id}", edit_data(budi, unit_id=str(ids["branch_b"])))
    assert response.status_code == 302
    assert get_user("budi").unit_id == ids["branch_b"]
    [entry] = entries("user.unit_changed", budi.id)
    assert entry.details == {"before": "branch-a", "after": "branch-b"}
    assert not entries("user.roles_changed")


def test_removing_the_unit_is_audited(admin, budi):
    post_form(admin, f"/admin/users/{budi.id}", edit_data(budi, unit_id="0"))
    assert get_user("budi").unit is None
    assert entries("user.unit_changed", budi.id)[0].details == {"before": "branch-a", "after": None}


def test_supervision_change_is_audited(admin, budi, ids):
    data = edit_data(budi, roles=["librarian", "supervisor"],
                     supervised=[str(ids["branch_b"]), str(ids["section_a1"])])
    assert post_form(admin, f"/admin/users/{budi.id}", data).status_code == 302
    assert sorted(unit.code for unit in get_user("budi").supervised_units) == ["branch-b", "section-a1"]
    [entry] = entries("user.supervision_changed", budi.id)
    assert entry.details == {"before": [], "after": ["branch-b", "section-a1"]}
    budi = get_user("budi")
    assert post_form(admin, f"/admin/users/{budi.id}", edit_data(budi, supervised=[])).status_code == 302
    assert get_user("budi").supervised_units == []
    assert entries("user.supervision_changed", budi.id)[1].details == {
        "before": ["branch-b", "section-a1"], "after": []}


def test_saving_without_changes_writes_no_audit_entry(admin, budi):
    assert post_form(admin, f"/admin/users/{budi.id}", edit_data(budi)).status_code == 302
    for action in ("user.roles_changed", "user.unit_changed", "user.supervision_changed"):
        assert not entries(action)


def test_other_fields_are_saved(admin, budi):
    data = edit_data(budi, full_name="Budi Santoso, S.IP.", email="budi@perpus.example.id", nip="1990",
                     position="Pustakawan Ahli Pertama", locale="en")
    assert post_form(admin, f"/admin/users/{budi.id}", data).status_code == 302
    budi = get_user("budi")
    assert (budi.full_name, budi.email, budi.nip, budi.position, budi.locale) == (
        "Budi Santoso, S.IP.", "budi@perpus.example.id", "1990", "Pustakawan Ahli Pertama", "en")


def test_an_admin_cannot_remove_their_own_admin_role(admin):
    me = db.session.get(User, admin.user_id)
    response = post_form(admin, f"/admin/users/{me.id}", edit_data(me, roles=["librarian"]))
    assert response.status_code == 400
    assert "own administrator role" in field_errors(response.get_data(as_text=True), "roles")
    assert get_user(me.username).role_names == {"admin"}
    assert not entries("user.roles_changed")
    assert admin.get("/admin/users").status_code == 200


def test_an_admin_may_add_roles_to_themselves(admin):
    me = db.session.get(User, admin.user_id)
    response = post_form(admin, f"/admin/users/{me.id}", edit_data(me, roles=["admin", "trainer"]))
    assert response.status_code == 302
    assert get_user(me.username).role_names == {"admin", "trainer"}


def test_an_admin_may_remove_the_admin_role_of_another_admin(admin, make_user):
    other = make_user("kepala", roles=("admin", "supervisor"))
    response = post_form(admin, f"/admin/users/{other.id}", edit_data(other, roles=["supervisor"]))
    assert response.status_code == 302
    assert get_user("kepala").role_names == {"supervisor"}


def test_forged_username_change_is_refused(admin, budi):
    response = post_form(admin, f"/admin/users/{budi.id}",
                         edit_data(budi, username="budi2", full_name="Changed", roles=["admin"]))
    assert response.status_code == 400
    budi = get_user("budi")
    assert budi is not None and get_user("budi2") is None
    assert budi.full_name == "Budi Santoso" and budi.role_names == {"librarian"}
    assert not entries("user.roles_changed")


@pytest.mark.parametrize("overrides", [
    {"roles": ["librarian", "superuser"]},
    {"unit_id": "9999"},
    {"supervised": ["9999"]},
], ids=["forged role", "unknown unit", "unknown supervised unit"])
def test_forged_choices_are_refused_on_edit(admin, budi, ids, overrides):
    response = post_form(admin, f"/admin/users/{budi.id}", edit_data(budi, full_name="Changed", **overrides))
    assert response.status_code == 400
    budi = get_user("budi")
    assert budi.full_name == "Budi Santoso" and budi.role_names == {"librarian"}
    assert budi.unit_id == ids["branch_a"] and budi.supervised_units == []


def test_duplicate_nip_is_refused_on_edit(admin, budi, make_user):
    make_user("ani", nip="1987")
    response = post_form(admin, f"/admin/users/{budi.id}", edit_data(budi, nip="1987", full_name="Changed"))
    assert response.status_code == 400
    assert "NIP" in field_errors(response.get_data(as_text=True), "nip")
    assert get_user("budi").nip is None and get_user("budi").full_name == "Budi Santoso"


def test_keeping_ones_own_nip_is_fine(admin, make_user):
    ani = make_user("ani", nip="1987")
    assert post_form(admin, f"/admin/users/{ani.id}", edit_data(ani, full_name="Ani L.")).status_code == 302
    assert get_user("ani").full_name == "Ani L."


def test_unknown_user_is_404(admin):
    assert admin.get("/admin/users/9999").status_code == 404


# --- (de)activation and password reset ------------------------------------------------------

def set_active(client, user_id: int, active: bool):
    return post_form(client, f"/admin/users/{user_id}/active", {"active": "1" if active else "0"},
                     token_from=f"/admin/users/{user_id}")


def test_deactivation_keeps_everything_and_stops_sign_in(admin, app, budi, ids):
    budi_client = app.test_client()
    assert login(budi_client, "budi").status_code == 302
    budi.supervised_units = [db.session.get(Unit, ids["branch_b"])]
    record("user.password_changed", "user", budi.id, actor_id=budi.id)
    db.session.commit()
    before = {"users": count(User), "roles": count(UserRole), "supervision": count(UnitSupervisor),
              "audit about budi": len(entries("user.password_changed", budi.id))}

    response = set_active(admin, budi.id, False)
    assert response.status_code == 302 and response.headers["Location"] == f"/admin/users/{budi.id}"
    budi = get_user("budi")
    assert budi is not None and budi.active is False
    assert budi.role_names == {"librarian"} and budi.unit_id == ids["branch_a"]
    assert [unit.code for unit in budi.supervised_units] == ["branch-b"]
    assert before == {"users": count(User), "roles": count(UserRole), "supervision": count(UnitSupervisor),
                      "audit about budi": len(entries("user.password_changed", budi.id))}
    [entry] = entries("user.deactivated", budi.id)
    assert entry.actor_id == admin.user_id
    # the open session ends and a new sign-in is refused
    assert budi_client.get("/").status_code == 302
    assert login(app.test_client(), "budi").status_code == 401  # the same answer as a wrong password
    # still listed, marked deactivated
    page = admin.get("/admin/users?status=inactive").get_data(as_text=True)
    assert "<td>budi</td>" in page

    assert set_active(admin, budi.id, True).status_code == 302
    assert get_user("budi").active is True
    assert len(entries("user.activated", budi.id)) == 1
    assert login(app.test_client(), "budi").status_code == 302


def test_deactivating_twice_writes_one_entry(admin, budi):
    set_active(admin, budi.id, False)
    set_active(admin, budi.id, False)
    assert len(entries("user.deactivated", budi.id)) == 1


def test_an_admin_cannot_deactivate_themselves(admin):
    response = set_active(admin, admin.user_id, False)
    assert response.status_code == 302
    me = db.session.get(User, admin.user_id)
    db.session.refresh(me)
    assert me.active is True
    assert not entries("user.deactivated")
    page = admin.get(f"/admin/users/{admin.user_id}").get_data(as_text=True)
    assert "cannot deactivate your own account" in flashes(page)
    assert admin.get("/admin/users").status_code == 200  # still signed in


def test_reset_password_gives_a_working_temporary_password(admin, app, budi):
    budi_client = app.test_client()
    login(budi_client, "budi")
    response = post_form(admin, f"/admin/users/{budi.id}/reset-password", {}, token_from=f"/admin/users/{budi.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "New temporary password for budi" in page
    [password] = TEMP_PASSWORD_RE.findall(page)
    assert len(entries("user.password_reset", budi.id)) == 1
    assert budi_client.get("/").status_code == 302  # the old session is over
    assert login(app.test_client(), "budi", PASSWORD).status_code == 401  # the old password is gone
    client = app.test_client()
    assert login(client, "budi", password).status_code == 302
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert get_user("budi").must_change_password


def cookie_values(app, response) -> list[str]:
    """Every cookie the response sets, and the session cookie decoded as Flask reads it."""
    values = []
    for header in response.headers.getlist("Set-Cookie"):
        name, _, rest = header.partition("=")
        value = rest.split(";", 1)[0]
        values.append(value)
        if name == app.config["SESSION_COOKIE_NAME"] and value:
            serializer = app.session_interface.get_signing_serializer(app)
            values.append(repr(serializer.loads(value)))
    return values


def test_temporary_password_never_travels_in_a_cookie(admin, app, budi):
    """The reset answers with the password in the page (once, not cacheable); no cookie set
    then or on the next page holds it, not even inside the signed session."""
    response = post_form(admin, f"/admin/users/{budi.id}/reset-password", {}, token_from=f"/admin/users/{budi.id}")
    [password] = TEMP_PASSWORD_RE.findall(response.get_data(as_text=True))
    assert response.headers["Cache-Control"] == "no-store"
    following = admin.get(f"/admin/users/{budi.id}")
    assert password not in following.get_data(as_text=True)
    for value in cookie_values(app, response) + cookie_values(app, following):
        assert password not in value
    session_cookie = admin.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert password not in repr(app.session_interface.get_signing_serializer(app).loads(session_cookie.value))


def test_generated_password_of_a_new_account_never_travels_in_a_cookie(admin, app):
    response = post_form(admin, "/admin/users/new", new_user_data())
    [password] = TEMP_PASSWORD_RE.findall(response.get_data(as_text=True))
    assert response.headers["Cache-Control"] == "no-store"
    following = admin.get("/admin/users")
    assert password not in following.get_data(as_text=True)
    for value in cookie_values(app, response) + cookie_values(app, following):
        assert password not in value
    session_cookie = admin.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert password not in repr(app.session_interface.get_signing_serializer(app).loads(session_cookie.value))


# --- the users list --------------------------------------------------------------------------

@pytest.fixture
def staff(make_user, org):
    make_user("ani", roles=("librarian",), unit=org["branch_a"], full_name="Ani Lestari", nip="198701")
    make_user("budi", roles=("trainer",), unit=org["branch_b"], full_name="Budi Santoso", active=False)
    make_user("cici", roles=("librarian", "supervisor"), unit=org["section_a1"], full_name="Cici Wulandari")
    make_user("dodi", roles=("librarian",), unit=None, full_name="Dodi Lestari")


STAFF = {"ani", "budi", "cici", "dodi", "u-admin"}


def listed(client, query: str = "") -> set[str]:
    response = client.get("/admin/users" + query)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    return {name for name in STAFF if f"<td>{name}</td>" in page}


def test_users_list_shows_everyone_without_filters(admin, staff):
    assert listed(admin) == STAFF


@pytest.mark.parametrize("query,expected", [
    ("?q=lestari", {"ani", "dodi"}),
    ("?q=LESTARI", {"ani", "dodi"}),
    ("?q=cici", {"cici"}),
    ("?q=198701", {"ani"}),
    ("?q=nobody-at-all", set()),
    ("?q=%25", set()),  # % and _ are literal, not wildcards
    ("?q=_", set()),
    ("?role=supervisor", {"cici"}),
    ("?role=librarian", {"ani", "cici", "dodi"}),
    ("?role=admin", {"u-admin"}),
    ("?status=inactive", {"budi"}),
    ("?status=active", {"ani", "cici", "dodi", "u-admin"}),
    ("?role=librarian&status=active&q=lestari", {"ani", "dodi"}),
    ("?unit=&role=&status=&q=", STAFF),
    ("?role=bogus&status=bogus", STAFF),
])
def test_users_list_filters(admin, staff, query, expected):
    assert listed(admin, query) == expected


def test_users_list_filters_by_unit(admin, staff, ids):
    assert listed(admin, f"?unit={ids['branch_a']}") == {"ani", "u-admin"}
    assert listed(admin, f"?unit={ids['branch_b']}") == {"budi"}
    assert listed(admin, f"?unit={ids['section_a1']}&role=supervisor") == {"cici"}
    assert listed(admin, f"?unit={ids['branch_b']}&status=active") == set()


def test_users_list_keeps_the_filters_selected(admin, staff, ids):
    page = admin.get(f"/admin/users?unit={ids['branch_b']}&role=trainer&status=inactive&q=bu").get_data(as_text=True)
    assert f'<option value="{ids["branch_b"]}" selected>' in page
    assert '<option value="trainer" selected>' in page and '<option value="inactive" selected>' in page
    assert 'value="bu"' in page


@pytest.mark.parametrize("path", ["/admin/users", "/admin/users/new", "/admin/units", "/admin/units/new",
                                  "/admin/audit", "/admin/users/import"])
def test_admin_pages_are_for_admins_only(client_as, path):
    assert client_as("supervisor", "trainer").get(path).status_code == 403


# --- units ---------------------------------------------------------------------------------

def unit_data(**overrides) -> dict:
    data = {"name": "Seksi B1", "code": "section-b1", "kind": "section", "parent_id": "0", "active": "y"}
    data.update(overrides)
    return data


def get_unit(code: str) -> Unit | None:
    db.session.expire_all()
    return db.session.scalar(select(Unit).where(Unit.code == code))


def test_units_page_lists_the_tree(admin):
    page = admin.get("/admin/units").get_data(as_text=True)
    order = [page.index(f"<code>{code}</code>") for code in ("lib", "branch-a", "section-a1", "branch-b")]
    assert order == sorted(order)


def test_create_unit(admin, ids):
    before = count(Unit)
    response = post_form(admin, "/admin/units/new", unit_data(parent_id=str(ids["branch_b"])))
    assert response.status_code == 302 and response.headers["Location"] == "/admin/units"
    assert count(Unit) == before + 1
    unit = get_unit("section-b1")
    assert unit.name == "Seksi B1" and unit.kind == "section" and unit.parent_id == ids["branch_b"] and unit.active
    [entry] = entries("unit.created", unit.id)
    assert entry.details == {"code": "section-b1", "parent": "branch-b"}
    assert entry.actor_id == admin.user_id


def test_move_a_unit(admin, ids):
    response = post_form(admin, f"/admin/units/{ids['section_a1']}",
                         unit_data(name="Seksi A1", code="section-a1", parent_id=str(ids["branch_b"])))
    assert response.status_code == 302
    assert get_unit("section-a1").parent_id == ids["branch_b"]
    [entry] = entries("unit.moved", ids["section_a1"])
    assert entry.details == {"before": "branch-a", "after": "branch-b"}


def test_edit_unit_without_moving_writes_no_move_entry(admin, ids):
    response = post_form(admin, f"/admin/units/{ids['branch_a']}",
                         unit_data(name="Cabang A (Utara)", code="branch-a", kind="branch",
                                   parent_id=str(ids["library"])))
    assert response.status_code == 302
    assert get_unit("branch-a").name == "Cabang A (Utara)"
    assert not entries("unit.moved")


def test_duplicate_unit_code_is_refused(admin, ids):
    before = count(Unit)
    response = post_form(admin, "/admin/units/new", unit_data(code="Branch-A"))
    assert response.status_code == 400
    assert "branch-a" in field_errors(response.get_data(as_text=True), "code")
    assert count(Unit) == before
    # taking another unit's code on edit is refused too
    response = post_form(admin, f"/admin/units/{ids['branch_b']}",
                         unit_data(name="Cabang B", code="branch-a", kind="branch", parent_id=str(ids["library"])))
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), "code")
    assert get_unit("branch-b") is not None


def test_bad_unit_code_is_refused(admin):
    before = count(Unit)
    response = post_form(admin, "/admin/units/new", unit_data(code="seksi b1!"))
    assert response.status_code == 400
    assert field_errors(response.get_data(as_text=True), "code")
    assert count(Unit) == before


@pytest.mark.parametrize("unit_key,parent_key", [
    ("library", "section_a1"),   # below its grandchild
    ("branch_a", "section_a1"),  # below its child
    ("branch_a", "branch_a"),    # below itself
])
def test_unit_cycles_are_refused(admin, ids, unit_key, parent_key):
    db.session.expire_all()
    unit = db.session.get(Unit, ids[unit_key])
    old_parent, code, name, kind = unit.parent_id, unit.code, unit.name, unit.kind
    response = post_form(admin, f"/admin/units/{unit.id}",
                         unit_data(name=name + " X", code=code, kind=kind, parent_id=str(ids[parent_key])))
    assert response.status_code == 400
    assert "below itself" in field_errors(response.get_data(as_text=True), "parent_id")
    unit = get_unit(code)
    assert unit.parent_id == old_parent and unit.name == name
    assert not entries("unit.moved")


def test_forged_unit_choices_are_refused(admin, ids):
    before = count(Unit)
    assert post_form(admin, "/admin/units/new", unit_data(parent_id="9999")).status_code == 400
    assert post_form(admin, "/admin/units/new", unit_data(kind="kingdom")).status_code == 400
    assert count(Unit) == before


# --- the audit log ---------------------------------------------------------------------------

def test_audit_page_lists_newest_first(admin):
    for action, year in (("test.oldest", 2023), ("test.newest", 2025), ("test.middle", 2024)):
        db.session.add(AuditEntry(action=action, target_type="test", at=datetime(year, 1, 1, tzinfo=timezone.utc),
                                  details={"note": action}))
    db.session.commit()
    page = admin.get("/admin/audit").get_data(as_text=True)
    positions = [page.index(f'title="{action}"') for action in ("test.newest", "test.middle", "test.oldest")]
    assert positions == sorted(positions)


def test_audit_page_shows_who_did_what(admin, budi):
    post_form(admin, f"/admin/users/{budi.id}", edit_data(budi, roles=["trainer"]))
    page = html.unescape(admin.get("/admin/audit").get_data(as_text=True))
    row = re.search(r"<tr>\s*<td>[^<]*</td>\s*<td>u-admin</td>\s*<td><span title=\"user.roles_changed\">"
                    r"Roles changed</span></td>\s*<td>Account " + str(budi.id) + r"</td>\s*<td><small>(.*?)</small>", page)
    assert row, page
    details = re.sub(r"</?code>", "", row.group(1))  # the keys are the stored JSON's, as code
    assert "before: librarian" in details and "after: trainer" in details
    assert "user.roles_changed" in admin.get("/admin/audit?action=user.").get_data(as_text=True)
    assert "user.roles_changed" not in admin.get("/admin/audit?action=unit.").get_data(as_text=True)


def test_audit_entries_cannot_be_updated(app):
    entry = record("user.created", "user", 1, username="ani")
    db.session.commit()
    entry.details = {"username": "someone-else"}
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    entry.action = "user.deleted"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.expire_all()
    stored = db.session.get(AuditEntry, entry.id)
    assert stored.action == "user.created" and stored.details == {"username": "ani"}


def test_audit_entries_cannot_be_deleted(app):
    entry = record("user.created", "user", 1, username="ani")
    db.session.commit()
    db.session.delete(entry)
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.flush()
    db.session.rollback()
    assert count(AuditEntry) == 1


# --- CSRF -------------------------------------------------------------------------------------

def test_every_state_changing_admin_post_needs_a_csrf_token(admin, budi, ids):
    def snapshot():
        db.session.expire_all()
        users = [(u.username, u.full_name, u.active, u.password_hash, sorted(u.role_names), u.unit_id)
                 for u in db.session.scalars(select(User).order_by(User.id))]
        units = [(u.code, u.name, u.parent_id) for u in db.session.scalars(select(Unit).order_by(Unit.id))]
        return users, units, count(AuditEntry)

    before = snapshot()
    posts = [
        ("/admin/users/new", new_user_data()),
        (f"/admin/users/{budi.id}", edit_data(budi, full_name="Changed", roles=["admin"])),
        (f"/admin/users/{budi.id}/active", {"active": "0"}),
        (f"/admin/users/{budi.id}/reset-password", {}),
        ("/admin/units/new", unit_data()),
        (f"/admin/units/{ids['section_a1']}", unit_data(name="Changed", code="section-a1",
                                                        parent_id=str(ids["branch_b"]))),
    ]
    for path, data in posts:
        assert admin.post(path, data=data).status_code == 400, path
        assert admin.post(path, data={**data, "csrf_token": "forged"}).status_code == 400, path
    assert snapshot() == before
    # the same posts with a token do go through (so the 400s above came from the missing token)
    assert post_form(admin, f"/admin/users/{budi.id}/active", {"active": "0"},
                     token_from=f"/admin/users/{budi.id}").status_code == 302
    assert get_user("budi").active is False


def test_a_token_from_another_session_is_refused(admin, app, budi):
    other = app.test_client()
    foreign_token = csrf_token(other, "/login")
    response = admin.post(f"/admin/users/{budi.id}/active", data={"active": "0", "csrf_token": foreign_token})
    assert response.status_code == 400
    assert get_user("budi").active is True

"""Bulk user import from CSV: the service, ``lms users import FILE`` and the admin upload page.

Every file is checked whole first; one bad row means nothing is imported, and every
problem is reported as ``line N: message`` with the line a spreadsheet would show.
"""
from __future__ import annotations

import html
import io
import re

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.auth.importer import import_users_csv
from lms.auth.models import User
from lms.extensions import db
from tests.conftest import csrf_token, login

HEADER = "username,full_name,email,roles,unit\n"
WEDARI = "Ni Luh Putu Ayu Wédari"
GOOD_CSV = (HEADER
            + f"wedari,{WEDARI},wedari@perpus.example.id,librarian;trainer,branch-a\n"
            + "budi.s,Budi Santoso,,supervisor,section-a1\n"
            + "citra,Citra Dewi Kusumawardhani,,,\n")
IMPORT_URL = "/admin/users/import"
# The CLI runs without a request; its messages may come out in the default language (Indonesian).
LINE = r"(?:line|baris)"


def user_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(User))


def get_user(username: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.username == username))


def created_entries() -> list[AuditEntry]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == "user.created")))


def run_import(data: bytes | str):
    """Call the service as the admin page does, with English messages."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    with force_locale("en"):
        return import_users_csv(data)


def assert_good_import_created(passwords: dict[str, str]) -> None:
    """The three users of GOOD_CSV exist as described, with working temporary passwords."""
    wedari, budi, citra = get_user("wedari"), get_user("budi.s"), get_user("citra")
    assert wedari.full_name == WEDARI
    assert wedari.email == "wedari@perpus.example.id"
    assert wedari.role_names == {"librarian", "trainer"}
    assert wedari.unit.code == "branch-a"
    assert budi.role_names == {"supervisor"} and budi.unit.code == "section-a1"
    assert citra.role_names == {"librarian"} and citra.unit is None  # empty roles -> librarian
    assert set(passwords) == {"wedari", "budi.s", "citra"}
    assert len(set(passwords.values())) == 3
    for user in (wedari, budi, citra):
        assert user.active and user.must_change_password
        assert user.check_password(passwords[user.username])
    entries = created_entries()
    assert sorted(entry.target_id for entry in entries) == sorted(str(u.id) for u in (wedari, budi, citra))
    by_target = {entry.target_id: entry for entry in entries}
    assert by_target[str(wedari.id)].details["roles"] == ["librarian", "trainer"]
    assert by_target[str(wedari.id)].details["unit"] == "branch-a"


# --- the service ------------------------------------------------------------------------

def test_good_file_creates_every_user(org):
    before = user_count()
    result = run_import(GOOD_CSV)
    assert result.ok, result.errors
    assert [row.username for row in result.rows] == ["wedari", "budi.s", "citra"]
    assert user_count() == before + 3
    assert_good_import_created(result.temporary_passwords)


def test_password_column_is_used_and_not_returned(org):
    csv = "username,full_name,email,roles,unit,password,nip,position\n" \
          "dewi,Dewi Sartika,,librarian,branch-b,sandi-awal-2024-xyz,198701012010012001,Pustakawan Ahli\n" \
          "eko,Eko Prasetyo,,trainer,,,,\n"
    result = run_import(csv)
    assert result.ok, result.errors
    assert set(result.temporary_passwords) == {"eko"}
    dewi = get_user("dewi")
    assert dewi.check_password("sandi-awal-2024-xyz") and dewi.must_change_password
    assert dewi.nip == "198701012010012001" and dewi.position == "Pustakawan Ahli"
    assert get_user("eko").check_password(result.temporary_passwords["eko"])


def test_semicolon_delimited_file(org):
    csv = ("username;full_name;email;roles;unit\r\n"
           f'wedari;{WEDARI};wedari@perpus.example.id;"librarian;trainer";branch-a\r\n'
           "budi.s;Budi Santoso;;supervisor;section-a1\r\n"
           "citra;Citra Dewi Kusumawardhani;;;\r\n")
    result = run_import(csv)
    assert result.ok, result.errors
    assert_good_import_created(result.temporary_passwords)


def test_utf8_with_bom(org):
    result = run_import(b"\xef\xbb\xbf" + GOOD_CSV.encode("utf-8"))
    assert result.ok, result.errors
    assert_good_import_created(result.temporary_passwords)


def test_semicolons_with_bom_and_other_role_separators(org):
    csv = "\ufeffusername;full_name;email;roles;unit\nputu;I Putu Gede Ngurah Rai;;trainer|admin;lib\n"
    result = run_import(csv.encode("utf-8"))
    assert result.ok, result.errors
    putu = get_user("putu")
    assert putu.role_names == {"trainer", "admin"} and putu.unit.code == "lib"
    assert putu.full_name == "I Putu Gede Ngurah Rai"


def test_non_ascii_names_survive(org):
    names = [WEDARI, "Anak Agung Ayu Ngurah Puspawati Çandra", "Siti Nur’aini"]
    csv = HEADER + "".join(f"user{i},{name},,,\n" for i, name in enumerate(names))
    result = run_import(csv)
    assert result.ok, result.errors
    for i, name in enumerate(names):
        assert get_user(f"user{i}").full_name == name


BAD_FILES = {
    "missing columns": (b"username,full_name,email\nani,Ani,\n",
                        ["line 1: missing column(s): roles, unit"]),
    "unknown column": ((HEADER.strip() + ",hobby\n" + "ani,Ani,,,,reading\n").encode(),
                       ["line 1: unknown column(s): hobby"]),
    "repeated column": (b"username,full_name,email,roles,unit,email\nani,Ani,,,,\n",
                        ["line 1: repeated column(s): email"]),
    "duplicate username in the file": ((HEADER + "ani,Ani,,,\nbudi,Budi,,,\nANI,Ani Lagi,,,\n").encode(),
                                       ["line 4: username 'ani' appears twice (also on line 2)"]),
    "unknown role": ((HEADER + "ani,Ani,,librarian;boss,\n").encode(),
                     ["line 2: unknown role(s) boss"]),
    "unknown unit": ((HEADER + "ani,Ani,,,branch-a\nbudi,Budi,,,nowhere\n").encode(),
                     ["line 3: unknown unit 'nowhere'"]),
    "bad e-mail": ((HEADER + "ani,Ani,ani@perpus,,\n").encode(),
                   ["line 2: email 'ani@perpus' is not an e-mail address"]),
    "bad username": ((HEADER + "a n i,Ani,,,\n").encode(),
                     ["line 2: username 'a n i' must be 2-64 characters"]),
    "empty full name": ((HEADER + "ani,  ,,,\n").encode(), ["line 2: full_name is empty"]),
    "too few cells": ((HEADER + "ani,Ani,,,\nbudi,Budi,,\n").encode(),
                      ["line 3: expected 5 cells, found 4"]),
    "too many cells": ((HEADER + "ani,Ani,,,,extra\n").encode(), ["line 2: expected 5 cells, found 6"]),
    "empty file": (b"", ["line 1: the file is empty"]),
    "blank file": (b"\r\n  \r\n", ["line 1: the file is empty"]),
    "header only": (HEADER.encode(), ["line 2: the file has a header but no users"]),
    "header and blank lines": ((HEADER + ",,,,\n\n").encode(), ["line 2: the file has a header but no users"]),
    "short password": (b"username,full_name,email,roles,unit,password\nani,Ani,,,,pendek\n",
                       ["line 2: The password must have at least 10 characters."]),
    "password with the username": (b"username,full_name,email,roles,unit,password\nani,Ani,,,,ani-1234567890\n",
                                   ["line 2: The password must not contain the username."]),
    "unknown locale": (b"username,full_name,email,roles,unit,locale\nani,Ani,,,,fr\n",
                       ["line 2: locale must be one of id, en"]),
    "line numbers count blank lines": ((HEADER + "ani,Ani,,,\n\n\nbudi,Budi,,boss,\n").encode(),
                                       ["line 5: unknown role(s) boss"]),
    "latin-1 bytes": ((HEADER + "ani,Ani,,,\n" + f"wedari,{WEDARI},,,\n").encode("cp1252"),
                      ["line 3: the file is not UTF-8"]),
    "utf-16 with BOM": (GOOD_CSV.encode("utf-16"), ["line 1: the file is UTF-16"]),
}


@pytest.mark.parametrize("data,expected", list(BAD_FILES.values()), ids=list(BAD_FILES))
def test_bad_file_reports_the_line_and_imports_nothing(org, data, expected):
    before, audit_before = user_count(), len(created_entries())
    result = run_import(data)
    assert not result.ok
    assert len(result.errors) == len(expected), result.errors
    for message, wanted in zip(result.errors, expected):
        assert message.startswith(wanted), result.errors
    assert user_count() == before
    assert len(created_entries()) == audit_before


def test_encoding_messages_name_utf8_and_the_byte(org):
    latin = run_import((HEADER + "wedari,Wédari,,,\n").encode("latin-1"))
    assert "UTF-8" in latin.errors[0] and "0xe9" in latin.errors[0]
    utf16 = run_import(b"\xfe\xff" + GOOD_CSV.encode("utf-16-be"))
    assert utf16.errors[0].startswith("line 1:") and "UTF-16" in utf16.errors[0] and "UTF-8" in utf16.errors[0]


def test_username_already_in_the_database(org, make_user):
    make_user("ani")
    before = user_count()
    result = run_import(HEADER + "budi,Budi,,,\nAni,Ani Lain,,,\n")
    assert result.errors == ["line 3: username 'ani' already exists"]
    assert user_count() == before
    assert get_user("budi") is None


def test_nip_already_in_the_database_or_twice_in_the_file(org, make_user):
    make_user("ani", nip="1987")
    before = user_count()
    result = run_import("username,full_name,email,roles,unit,nip\n"
                        "budi,Budi,,,,1987\ncici,Cici,,,,2001\ndodi,Dodi,,,,2001\n")
    assert result.errors == ["line 2: NIP 1987 already belongs to another user",
                             "line 4: NIP 2001 appears twice (also on line 3)"]
    assert user_count() == before


def test_every_bad_row_is_reported_not_just_the_first(org, make_user):
    make_user("taken")
    before = user_count()
    csv = (HEADER
           + "ani,Ani,,,\n"              # 2 fine
           + "budi,Budi,,boss,\n"        # 3 unknown role
           + "cici,Cici,cici@,,\n"       # 4 bad e-mail
           + "dodi,Dodi,,,\n"            # 5 fine
           + "ani,Ani Dua,,,\n"          # 6 duplicate of line 2
           + "eka,Eka,,,nowhere,x\n"     # 7 wrong number of cells
           + "taken,Taken,,,\n"          # 8 already in the database
           + "fani,Fani,,trainer,atlantis\n")  # 9 unknown unit
    result = run_import(csv)
    lines = [int(re.match(r"line (\d+):", message).group(1)) for message in result.errors]
    assert lines == [3, 4, 6, 7, 8, 9], result.errors
    assert "also on line 2" in result.errors[2]
    assert user_count() == before
    assert get_user("ani") is None and get_user("dodi") is None


def test_several_problems_on_one_row_are_all_reported(org):
    result = run_import(HEADER + "ani,,ani@,boss,nowhere\n")
    assert len(result.errors) == 4
    assert all(message.startswith("line 2: ") for message in result.errors)


# --- the CLI ------------------------------------------------------------------------------

def test_cli_imports_a_good_file_and_prints_the_passwords(org, runner, tmp_path):
    path = tmp_path / "staff.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD_CSV.encode("utf-8"))
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code == 0, result.output
    printed = dict(re.findall(r"created (\S+)\s+temporary password: (\S+)", result.stdout))
    assert_good_import_created(printed)
    assert "3 user(s) imported" in result.stdout


@pytest.mark.parametrize("data,line,text", [
    ((HEADER + "ani,Ani,,,\nbudi,Budi,,,nowhere\n").encode(), 3, "nowhere"),
    ((HEADER + "ani,Ani,,,\n" + f"wedari,{WEDARI},,,\n").encode("cp1252"), 3, "UTF-8"),
    (b"username,full_name\nani,Ani\n", 1, "email, roles, unit"),
], ids=["unknown unit", "latin-1", "missing columns"])
def test_cli_refuses_a_bad_file(org, runner, tmp_path, data, line, text):
    path = tmp_path / "staff.csv"
    path.write_bytes(data)
    before = user_count()
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code != 0
    assert isinstance(result.exception, SystemExit), result.exception  # a clean exit, not a crash
    assert re.search(rf"^{re.escape(str(path))}: {LINE} {line}: .*{re.escape(text)}", result.stderr, re.M), \
        result.stderr
    assert "created" not in result.stdout
    assert user_count() == before


def test_cli_reports_every_bad_row(org, runner, tmp_path):
    path = tmp_path / "staff.csv"
    path.write_text(HEADER + "ani,Ani,,boss,\nbudi,Budi,,,\ncici,Cici,,,nowhere\n", encoding="utf-8")
    before = user_count()
    result = runner.invoke(args=["users", "import", str(path)])
    assert result.exit_code != 0
    assert re.findall(rf"^{re.escape(str(path))}: {LINE} (\d+):", result.stderr, re.M) == ["2", "4"]
    assert user_count() == before


def test_cli_needs_an_existing_file(runner, tmp_path):
    result = runner.invoke(args=["users", "import", str(tmp_path / "missing.csv")])
    assert result.exit_code != 0


# --- the admin page -----------------------------------------------------------------------

@pytest.fixture
def admin(client_as):
    """An admin signed in, reading English."""
    client = client_as("admin")
    client.user.locale = "en"
    db.session.commit()
    return client


def upload(client, data: bytes, with_token: bool = True, filename: str = "staff.csv"):
    form = {"file": (io.BytesIO(data), filename)}
    if with_token:
        form["csrf_token"] = csrf_token(client, IMPORT_URL)
    return client.post(IMPORT_URL, data=form, content_type="multipart/form-data")


def section(page: str, element_id: str) -> str:
    match = re.search(rf'<section[^>]*id="{element_id}".*?</section>', page, re.S)
    assert match, f"no #{element_id} on the page"
    return html.unescape(match.group(0))


def test_page_shows_the_form(admin):
    page = admin.get(IMPORT_URL)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in text and 'name="file"' in text


def test_upload_of_a_good_file_shows_the_temporary_passwords(admin):
    before = user_count()
    response = upload(admin, GOOD_CSV.encode("utf-8"))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'id="import-errors"' not in page
    result = section(page, "import-result")
    rows = re.findall(r"<tr><td>([^<]+)</td><td>([^<]+)</td><td><code>([^<]+)</code></td></tr>", result)
    assert [(name, full) for name, full, _ in rows] == [
        ("wedari", WEDARI), ("budi.s", "Budi Santoso"), ("citra", "Citra Dewi Kusumawardhani")]
    assert user_count() == before + 3
    assert_good_import_created({name: password for name, _, password in rows})
    assert {entry.actor_id for entry in created_entries()} == {admin.user.id}


def test_imported_user_signs_in_with_the_shown_password_and_must_change_it(admin, app):
    page = upload(admin, (HEADER + f"wedari,{WEDARI},,,branch-b\n").encode("utf-8")).get_data(as_text=True)
    password = re.search(r"<td>wedari</td><td>[^<]+</td><td><code>([^<]+)</code>", page).group(1)
    newcomer = app.test_client()
    assert login(newcomer, "wedari", password).status_code == 302
    response = newcomer.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/account"


def test_upload_of_a_bad_file_lists_every_error_and_imports_nothing(admin):
    before = user_count()
    response = upload(admin, (HEADER + "ani,Ani,,boss,\nbudi,Budi,,,\ncici,Cici,,,nowhere\n").encode())
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert 'id="import-result"' not in page
    errors = section(page, "import-errors")
    items = re.findall(r"<li>(.*?)</li>", errors)
    assert items == ["line 2: unknown role(s) boss; use librarian, trainer, supervisor, admin",
                     "line 4: unknown unit 'nowhere'"]
    assert user_count() == before


@pytest.mark.parametrize("data,wanted", [
    ((HEADER + f"wedari,{WEDARI},,,\n").encode("cp1252"), "line 2: the file is not UTF-8"),
    (GOOD_CSV.encode("utf-16"), "line 1: the file is UTF-16"),
    (b"", "line 1: the file is empty"),
], ids=["latin-1", "utf-16", "empty"])
def test_upload_of_a_file_in_the_wrong_encoding(admin, data, wanted):
    before = user_count()
    response = upload(admin, data)
    assert response.status_code == 400
    assert wanted in section(response.get_data(as_text=True), "import-errors")
    assert user_count() == before


def test_errors_follow_the_admins_language(client_as):
    admin = client_as("admin")  # Indonesian, the default
    response = upload(admin, (HEADER + "ani,Ani,,,\nbudi,Budi,,,nowhere\n").encode())
    assert response.status_code == 400
    assert "baris 3: " in section(response.get_data(as_text=True), "import-errors")


def test_upload_without_a_file_is_refused(admin):
    before = user_count()
    response = admin.post(IMPORT_URL, data={"csrf_token": csrf_token(admin, IMPORT_URL)},
                          content_type="multipart/form-data")
    assert response.status_code == 400
    assert user_count() == before


def test_too_large_a_file_is_refused(admin, app):
    app.config["USER_IMPORT_MAX_BYTES"] = 64
    before = user_count()
    response = upload(admin, GOOD_CSV.encode("utf-8"))
    assert response.status_code == 400
    assert 'id="file-error"' in response.get_data(as_text=True)
    assert user_count() == before


def test_upload_without_csrf_token_is_refused(admin):
    before = user_count()
    response = upload(admin, GOOD_CSV.encode("utf-8"), with_token=False)
    assert response.status_code == 400
    assert user_count() == before


def test_upload_with_a_forged_csrf_token_is_refused(admin):
    before = user_count()
    response = admin.post(IMPORT_URL, data={"csrf_token": "forged", "file": (io.BytesIO(GOOD_CSV.encode()), "a.csv")},
                          content_type="multipart/form-data")
    assert response.status_code == 400
    assert user_count() == before


@pytest.mark.parametrize("role", ["librarian", "trainer", "supervisor"])
def test_only_admins_may_import(client_as, role):
    client = client_as(role)
    before = user_count()
    assert client.get(IMPORT_URL).status_code == 403
    form = {"csrf_token": csrf_token(client, "/"), "file": (io.BytesIO(GOOD_CSV.encode()), "staff.csv")}
    assert client.post(IMPORT_URL, data=form, content_type="multipart/form-data").status_code == 403
    assert user_count() == before


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(IMPORT_URL)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")

"""The password rules (NIST SP 800-63B) everywhere a password is set: the account page, an
admin's new account, the CSV import and ``lms users create-admin``."""
from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from lms.auth import passwords
from lms.auth.importer import import_users_csv
from lms.auth.services import validate_password
from tests.conftest import PASSWORD, login, post_form

WEAK = ["aaaaaaaaaa", "1234567890", "qwertyuiop", "abcabcabcabc", "qwerty123456", "0987654321", "1q2w3e4r5t6y",
        "Password123", "P@ssw0rd2024", "passwordpassword", "bismillah123", "Bismillah!!", "sayang2024",
        "Sayang Kamu 123", "rahasia12345", "indonesia1945", "merdeka1945", "katasandi1", "perpustakaan",
        "pustakawan2024", "palangkaraya", "PALANGKARAYA123", "iloveyou123", "ｐａｓｓｗｏｒｄ１２３",
        "pembina2024!", "abc123xyz789", "sayangsayang", "1111111111"]
STRONG = ["correct-horse-battery", "kopi pagi di taman kota", "bunga melati di rak buku tua",
          "bismillah8362951047", "Rak 7: majalah lama, jangan dipinjam!", "ｋｏｐｉ　ｐａｇｉ　ｄｉ　ｋｏｔａ", "x" * 3 + "9f$Kq2!mZr",
          " ".join(f"rak-{n} berisi buku ke-{n * 7}" for n in range(9))]


@pytest.mark.parametrize("password", WEAK)
def test_common_repetitive_and_sequential_passwords_are_refused(app, password):
    assert validate_password(password, "ani", "Ani Lestari") is not None


@pytest.mark.parametrize("password", STRONG)
def test_long_phrases_of_any_printable_characters_are_accepted(app, password):
    assert validate_password(password, "ani", "Ani Lestari") is None


@pytest.mark.parametrize("password,username,full_name", [
    ("xx-ani-xx-long-enough", "ani", ""),
    ("putu-ayu-luh-2024", "wedari", "Ni Luh Putu Ayu Wédari"),
    ("Santoso Budi 1980", "bsantoso", "Budi Santoso"),
    ("pembina-pembina-77", "ani", ""),
])
def test_the_username_the_persons_name_and_the_sites_name_are_refused(app, password, username, full_name):
    assert validate_password(password, username, full_name) is not None


def test_deployment_words_are_refused(app):
    assert validate_password("perpusda-sampit-2024", "ani") is None
    app.config["PASSWORD_CONTEXT_WORDS"] = "perpusda, sampit"
    assert validate_password("perpusda-sampit-2024", "ani") is not None


def test_length_limits_and_control_characters(app):
    assert validate_password("a" * 3 + "Kq2!mZ", "ani") is not None  # 9 characters
    assert validate_password("kata demi kata " * 18, "ani") is not None  # 256+
    assert validate_password("tab\there-is-bad-1", "ani") is not None


def test_the_list_ships_with_the_package_and_holds_indonesian_passwords():
    listed = passwords.common_passwords()
    assert len(listed) > 2500
    assert {"bismillah", "sayang", "rahasia", "indonesia", "merdeka", "password123", "katasandi",
            "perpustakaan", "pustakawan", "palangkaraya", "123456", "qwerty"} <= listed


def test_messages_are_translated(app):
    with force_locale("id"):
        assert "umum" in validate_password("password123456", "ani")
    with force_locale("en"):
        assert "common" in validate_password("password123456", "ani")


# --- every way of setting a password -------------------------------------------------------

def change(client, current: str, new: str):
    return post_form(client, "/account", {"pw-current_password": current, "pw-new_password": new,
                                          "pw-confirm": new})


@pytest.mark.parametrize("new", ["aaaaaaaaaa", "1234567890", "bismillah123", PASSWORD])
def test_account_page_refuses_weak_and_current_passwords(client, make_user, new):
    make_user("ani")
    login(client, "ani")
    response = change(client, PASSWORD, new)
    assert response.status_code == 400
    assert "pw-new_password-error" in response.get_data(as_text=True)
    post_form(client, "/logout", {}, token_from="/")
    assert login(client, "ani").status_code == 302


def test_the_temporary_password_an_admin_issued_cannot_be_kept(app, client_as, make_user):
    """Re-entering the temporary password as the "new" one would clear the must-change flag
    while the admin still knows it."""
    budi = make_user("budi")
    admin = client_as("admin")
    page = post_form(admin, f"/admin/users/{budi.id}/reset-password", {},
                     token_from=f"/admin/users/{budi.id}").get_data(as_text=True)
    temporary = re.search(r"<code>([0-9a-f-]{20})</code>", page).group(1)
    client = app.test_client()
    assert login(client, "budi", temporary).status_code == 302
    assert change(client, temporary, temporary).status_code == 400
    assert client.get("/").headers["Location"] == "/account"  # still must change it
    assert change(client, temporary, "buku tua di rak tiga").status_code == 302
    assert client.get("/").status_code == 200


def test_admin_cannot_give_a_common_password(client_as):
    admin = client_as("admin")
    response = post_form(admin, "/admin/users/new", {
        "username": "wedari", "full_name": "Wedari", "email": "", "nip": "", "position": "", "locale": "id",
        "roles": ["librarian"], "unit_id": "0", "password": "perpustakaan2024"})
    assert response.status_code == 400
    assert 'id="password-error"' in response.get_data(as_text=True)


def test_import_refuses_common_passwords_per_line(app):
    data = ("username,full_name,email,roles,unit,password\n"
            "dewi,Dewi Lestari,,,,bismillah123\n"
            "eko,Eko Prasetyo,,,,eko-prasetyo-77\n").encode()
    with force_locale("en"):
        result = import_users_csv(data)
    assert not result.ok
    assert [message.split(":")[0] for message in result.errors] == ["line 2", "line 3"]


def test_create_admin_refuses_a_common_password(runner):
    result = runner.invoke(args=["users", "create-admin", "--username", "boss", "--full-name", "Boss",
                                 "--password", "password123"])
    assert result.exit_code != 0
    ok = runner.invoke(args=["users", "create-admin", "--username", "boss", "--full-name", "Boss",
                             "--password", "kunci gudang arsip lantai dua"])
    assert ok.exit_code == 0, ok.output

"""Signing in and out, throttling, safe redirects, passwords, deactivated accounts."""
from __future__ import annotations

import pytest
from sqlalchemy import event, select

from lms.audit.models import AuditEntry
from lms.auth.models import User
from lms.extensions import db
from lms.security import is_safe_next
from tests.conftest import PASSWORD, csrf_token, login, post_form


def test_login_and_logout(client, make_user):
    make_user("ani")
    response = login(client, "ani")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    response = post_form(client, "/logout", {}, token_from="/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_usernames_are_case_insensitive_at_login(client, make_user):
    make_user("ani")
    assert login(client, "  ANI ").status_code == 302


def test_wrong_username_and_wrong_password_get_the_same_answer(client, make_user):
    make_user("ani")
    wrong_password = login(client, "ani", "nope-nope-nope")
    wrong_user = login(client, "nobody", "nope-nope-nope")
    assert wrong_password.status_code == wrong_user.status_code == 401
    strip = lambda r: r.get_data(as_text=True).split('name="csrf_token"')[0]  # noqa: E731
    assert "flash-error" in wrong_password.get_data(as_text=True)
    assert strip(wrong_password).replace("ani", "") == strip(wrong_user).replace("nobody", "")


def test_login_without_csrf_token_is_refused(client, make_user):
    make_user("ani")
    response = client.post("/login", data={"username": "ani", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_login_with_forged_csrf_token_is_refused(client, make_user):
    make_user("ani")
    response = client.post("/login", data={"username": "ani", "password": PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 400


def test_logout_needs_post_with_csrf(client, make_user):
    make_user("ani")
    login(client, "ani")
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still signed in


def test_deactivated_user_cannot_sign_in(client, make_user):
    make_user("gone", active=False)
    response = login(client, "gone")
    assert response.status_code == 401
    assert client.get("/").status_code == 302


def test_a_deactivated_account_answers_exactly_like_a_wrong_password(app, make_user):
    """Right or wrong password, a deactivated account gets the generic failure, by the same
    statements (one hash, one failure counted) as a wrong password for an active name."""
    make_user("gone", active=False)
    make_user("ani")
    seen: list[list[str]] = []

    measuring = [False]

    def record(_conn, _cursor, statement, _params, _context, _many):
        if measuring[0]:  # the POST only, not the sign-in page fetched for its CSRF token
            seen[-1].append(" ".join(statement.split()))

    answers = {}
    event.listen(db.engine, "before_cursor_execute", record)
    try:
        for case_name, username, password in [("gone, right", "gone", PASSWORD), ("gone, wrong", "gone", "nope-nope-nope"),
                                              ("ani, wrong", "ani", "nope-nope-nope")]:
            client = app.test_client()
            token = csrf_token(client)
            seen.append([])
            measuring[0] = True
            response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
            measuring[0] = False
            body = response.get_data(as_text=True).split('name="csrf_token"')[0].replace(username, "NAME")
            answers[case_name] = (response.status_code, body, seen[-1])
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert answers["gone, right"][0] == 401
    assert answers["gone, right"][:2] == answers["gone, wrong"][:2] == answers["ani, wrong"][:2]
    assert answers["gone, right"][2] == answers["gone, wrong"][2] == answers["ani, wrong"][2]


def test_deactivation_ends_an_open_session(app, client, make_user):
    user = make_user("ani")
    login(client, "ani")
    assert client.get("/").status_code == 200
    user.active = False
    user.session_version += 1
    db.session.commit()
    assert client.get("/").status_code == 302


# Throttling (delays, caps, concurrency) is tested in tests/test_throttle.py.

def test_success_resets_the_failure_count(app, client, make_user):
    make_user("ani")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        login(client, "ani", "wrong-password-x")
    assert login(client, "ani").status_code == 302
    post_form(client, "/logout", {}, token_from="/")
    for _ in range(app.config["LOGIN_MAX_FAILURES"] - 1):
        login(client, "ani", "wrong-password-x")
    assert login(client, "ani").status_code == 302


@pytest.mark.parametrize("target", ["/admin/users", "/account?x=1"])
def test_next_redirects_to_local_paths(client, make_user, target):
    make_user("ani")
    response = login(client, "ani", next=target)
    assert response.headers["Location"] == target


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/\\evil.example",
                                    "javascript:alert(1)", "http:/evil", " //evil.example", "/\t/evil"])
def test_next_never_redirects_off_site(client, make_user, target):
    make_user("ani")
    response = login(client, "ani", next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_is_safe_next():
    assert is_safe_next("/courses?topic=x")
    for bad in (None, "", "courses", "//x", "/\\x", "https://x", "/\x00"):
        assert not is_safe_next(bad)


def test_anonymous_request_goes_to_login_with_next(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/account")


def test_remember_me_sets_a_persistent_httponly_cookie(client, make_user):
    make_user("ani")
    response = login(client, "ani", remember="y")
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0] and "Expires=" in remember[0]
    session_cookie = [c for c in cookies if c.startswith("pembina_session=")][0]
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie


def test_password_change(client, make_user):
    make_user("ani")
    login(client, "ani")
    response = post_form(client, "/account", {"pw-current_password": PASSWORD,
                                              "pw-new_password": "a-brand-new-secret",
                                              "pw-confirm": "a-brand-new-secret"})
    assert response.status_code == 302
    assert client.get("/").status_code == 200  # this session stays valid
    post_form(client, "/logout", {}, token_from="/")
    assert login(client, "ani").status_code == 401
    assert login(client, "ani", "a-brand-new-secret").status_code == 302
    user = db.session.scalar(select(User).where(User.username == "ani"))
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.password_changed",
                                                      AuditEntry.target_id == str(user.id)))


@pytest.mark.parametrize("fields,message_part", [
    ({"pw-current_password": "wrong-current-pw", "pw-new_password": "a-brand-new-secret",
      "pw-confirm": "a-brand-new-secret"}, "pw-current_password-error"),
    ({"pw-current_password": PASSWORD, "pw-new_password": "short", "pw-confirm": "short"}, "pw-new_password-error"),
    ({"pw-current_password": PASSWORD, "pw-new_password": "a-brand-new-secret",
      "pw-confirm": "different-secret-1"}, "pw-confirm-error"),
    ({"pw-current_password": PASSWORD, "pw-new_password": "xx-ani-xx-long-enough",
      "pw-confirm": "xx-ani-xx-long-enough"}, "pw-new_password-error"),
])
def test_bad_password_changes_reshow_the_form(client, make_user, fields, message_part):
    make_user("ani")
    login(client, "ani")
    response = post_form(client, "/account", fields)
    assert response.status_code == 400
    assert message_part in response.get_data(as_text=True)
    post_form(client, "/logout", {}, token_from="/")
    assert login(client, "ani").status_code == 302  # old password still works


def test_old_session_cookie_dies_after_password_change_elsewhere(app, make_user):
    make_user("ani")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "ani")
    login(phone, "ani")
    post_form(laptop, "/account", {"pw-current_password": PASSWORD, "pw-new_password": "a-brand-new-secret",
                                   "pw-confirm": "a-brand-new-secret"})
    assert laptop.get("/").status_code == 200
    assert phone.get("/").status_code == 302


def test_temporary_password_forces_a_change(client, make_user):
    make_user("newbie", must_change_password=True)
    login(client, "newbie")
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    post_form(client, "/account", {"pw-current_password": PASSWORD, "pw-new_password": "my-own-secret-pw",
                                   "pw-confirm": "my-own-secret-pw"})
    assert client.get("/").status_code == 200


def test_language_preference_is_saved_on_account(client, make_user):
    user = make_user("ani")
    login(client, "ani")
    response = post_form(client, "/account", {"prefs-locale": "en"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "en"


def test_passwords_are_hashed_with_a_kdf(app, make_user):
    user = make_user("ani")
    assert PASSWORD not in user.password_hash
    assert User.__table__.c.password_hash is not None
    real = User(username="x", full_name="x")
    app.config["PASSWORD_METHOD"] = "scrypt"
    real.set_password("some-password-123")
    assert real.password_hash.startswith("scrypt:")
    assert real.check_password("some-password-123") and not real.check_password("other")


def test_login_page_token_is_present(client):
    assert csrf_token(client)

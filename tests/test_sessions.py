"""Server-side sessions (lms/auth/sessions.py): signing out ends a session on the server,
remember-me tokens are rotated, limited and revoked, and admin work after a remember-me
sign-in asks for the password again. Cookies are copied between test clients the way an
attacker would copy them between browsers."""
from __future__ import annotations

import time
from datetime import timedelta

from flask_login import encode_cookie
from sqlalchemy import func, select

from lms.extensions import db
from tests.conftest import PASSWORD, csrf_token, login, post_form

SESSION = "pembina_session"
REMEMBER = "remember_token"
NEW_PASSWORD = "a-brand-new-secret"


def cookie(client, name: str) -> str | None:
    found = client.get_cookie(name)
    return found.value if found is not None else None


def browser_with(app, **cookies):
    """Another browser that holds only ``cookies``."""
    other = app.test_client()
    for name, value in cookies.items():
        other.set_cookie(name, value)
    return other


def signed_in(client) -> bool:
    response = client.get("/")
    assert response.status_code in (200, 302)
    return response.status_code == 200


def sign_out(client) -> None:
    assert post_form(client, "/logout", {}, token_from="/").status_code == 302


def test_the_old_session_cookie_is_refused_after_sign_out(app, client, make_user):
    make_user("ani")
    login(client, "ani")
    stolen = cookie(client, SESSION)
    assert signed_in(browser_with(app, **{SESSION: stolen}))  # a copy works while the session lives
    sign_out(client)
    client.set_cookie(SESSION, stolen)
    assert not signed_in(client)
    assert not signed_in(browser_with(app, **{SESSION: stolen}))


def test_the_remember_me_cookie_is_refused_after_sign_out(app, client, make_user):
    make_user("ani")
    login(client, "ani", remember="y")
    remembered = cookie(client, REMEMBER)
    sign_out(client)
    assert cookie(client, REMEMBER) is None  # the browser forgets it...
    assert not signed_in(browser_with(app, **{REMEMBER: remembered}))  # ...and so does the server


def test_the_remember_me_token_rotates_on_use_and_the_old_one_dies(app, client, make_user):
    make_user("ani")
    login(client, "ani", remember="y")
    first = cookie(client, REMEMBER)
    restored = browser_with(app, **{REMEMBER: first})
    assert signed_in(restored)
    second = cookie(restored, REMEMBER)
    assert second and second != first
    assert not signed_in(browser_with(app, **{REMEMBER: first}))  # a replayed, rotated token
    assert signed_in(browser_with(app, **{REMEMBER: second}))


def test_each_sign_in_gets_its_own_remember_me_token(app, make_user):
    make_user("ani")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "ani", remember="y")
    login(phone, "ani", remember="y")
    assert cookie(laptop, REMEMBER) != cookie(phone, REMEMBER)


def test_a_remember_me_cookie_made_from_the_user_id_signs_nobody_in(app, make_user):
    """The old cookie carried ``user_id:session_version``: anyone with the secret key, or a
    cookie from before the upgrade, must not be able to sign in with such a value."""
    user = make_user("ani")
    forged = encode_cookie(f"{user.id}:{user.session_version}")
    assert not signed_in(browser_with(app, **{REMEMBER: forged}))
    assert not signed_in(browser_with(app, **{REMEMBER: "r:not-a-token|" + "0" * 128}))


def test_an_expired_remember_me_token_is_refused_by_the_server(app, client, make_user):
    """The browser may keep the cookie past its Expires; the server counts the days itself."""
    make_user("ani")
    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(seconds=1)
    login(client, "ani", remember="y")
    remembered = cookie(client, REMEMBER)
    time.sleep(1.2)
    refused = browser_with(app, **{REMEMBER: remembered})
    assert not signed_in(refused)
    assert cookie(refused, REMEMBER) is None  # and the dead cookie is cleared


def test_a_restored_session_keeps_the_first_expiry(app, client, make_user):
    """Rotation does not extend remember-me: it ends REMEMBER_COOKIE_DURATION after the
    password was typed, however often the token was used in between."""
    from lms.auth.models import UserSession

    make_user("ani")
    login(client, "ani", remember="y")
    restored = browser_with(app, **{REMEMBER: cookie(client, REMEMBER)})
    assert signed_in(restored)
    db.session.expire_all()
    ends = db.session.scalars(select(UserSession.remember_expires_at).order_by(UserSession.id)).all()
    assert len(ends) == 2 and ends[0] == ends[1]


def test_a_password_change_signs_out_every_other_session(app, make_user):
    make_user("ani")
    laptop, phone = app.test_client(), app.test_client()
    login(laptop, "ani", remember="y")
    login(phone, "ani", remember="y")
    phone_remembered = cookie(phone, REMEMBER)
    response = post_form(laptop, "/account", {"pw-current_password": PASSWORD, "pw-new_password": NEW_PASSWORD,
                                              "pw-confirm": NEW_PASSWORD})
    assert response.status_code == 302
    assert not signed_in(phone)
    assert not signed_in(browser_with(app, **{REMEMBER: phone_remembered}))
    assert signed_in(laptop)  # the browser that changed it goes on, still remembered
    assert signed_in(browser_with(app, **{REMEMBER: cookie(laptop, REMEMBER)}))


def test_an_admin_reset_ends_the_users_remembered_sessions(app, make_user, client_as):
    user = make_user("ani")
    phone = app.test_client()
    login(phone, "ani", remember="y")
    remembered = cookie(phone, REMEMBER)
    admin = client_as("admin")
    page = admin.get(f"/admin/users/{user.id}")
    assert page.status_code == 200
    response = post_form(admin, f"/admin/users/{user.id}/reset-password", {}, token_from=f"/admin/users/{user.id}")
    assert response.status_code in (200, 302)
    assert not signed_in(phone)
    assert not signed_in(browser_with(app, **{REMEMBER: remembered}))


def remembered_admin(app, make_user):
    """An admin's browser signed in again from remember-me (not fresh)."""
    make_user("root", roles=("admin",))
    first = app.test_client()
    login(first, "root", remember="y")
    return browser_with(app, **{REMEMBER: cookie(first, REMEMBER)})


def test_admin_pages_after_a_remember_me_sign_in_ask_for_the_password(app, make_user):
    browser = remembered_admin(app, make_user)
    assert signed_in(browser)  # ordinary pages need no password
    response = browser.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"] == "/reauthenticate?next=/admin/users"
    prompt = browser.get(response.headers["Location"])
    assert prompt.status_code == 200 and 'name="password"' in prompt.get_data(as_text=True)
    wrong = browser.post("/reauthenticate", data={"password": "wrong-password-x", "next": "/admin/users",
                                                  "csrf_token": csrf_token(browser, "/reauthenticate")})
    assert wrong.status_code == 401
    assert browser.get("/admin/users").status_code == 302  # still not fresh
    right = browser.post("/reauthenticate", data={"password": PASSWORD, "next": "/admin/users",
                                                  "csrf_token": csrf_token(browser, "/reauthenticate")})
    assert right.status_code == 302 and right.headers["Location"] == "/admin/users"
    assert browser.get("/admin/users").status_code == 200


def test_admin_only_actions_elsewhere_ask_for_the_password_too(app, make_user):
    """A POST to an admin-only view outside the admin pages (here: a new discussion board)
    goes to the prompt, and back to the page it came from - not replayed."""
    from lms.plugins.discussions.models import Board

    browser = remembered_admin(app, make_user)
    form_page = "/discussions/boards/new"
    assert browser.get(form_page).status_code == 200  # reading needs no password
    response = browser.post(form_page, data={"csrf_token": csrf_token(browser, form_page), "name": "Umum"},
                            headers={"Referer": f"http://localhost{form_page}"})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/reauthenticate?next={form_page}"
    assert db.session.scalar(select(func.count()).select_from(Board)) == 0


def test_the_password_prompt_is_throttled_like_sign_in(app, make_user):
    browser = remembered_admin(app, make_user)
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        response = browser.post("/reauthenticate", data={"password": "wrong-password-x",
                                                         "csrf_token": csrf_token(browser, "/reauthenticate")})
        assert response.status_code == 401
    locked = browser.post("/reauthenticate", data={"password": PASSWORD,
                                                   "csrf_token": csrf_token(browser, "/reauthenticate")})
    assert locked.status_code == 429


def test_the_password_prompt_only_follows_local_next(app, make_user):
    browser = remembered_admin(app, make_user)
    response = browser.post("/reauthenticate", data={"password": PASSWORD, "next": "https://evil.example/",
                                                     "csrf_token": csrf_token(browser, "/reauthenticate")})
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_the_account_page_lists_sessions_and_signs_out_everywhere_else(app, make_user):
    make_user("ani")
    laptop, phone = app.test_client(), app.test_client()
    for browser, agent, remember in ((laptop, "Mozilla/5.0 (Windows NT 10.0) Gecko/20100101 Firefox/140.0", ""),
                                     (phone, "Mozilla/5.0 (Linux; Android 14) Chrome/140.0 Mobile Safari/537.36", "y")):
        browser.post("/login", data={"username": "ani", "password": PASSWORD, "remember": remember,
                                     "csrf_token": csrf_token(browser)}, headers={"User-Agent": agent})
    phone_remembered = cookie(phone, REMEMBER)
    page = laptop.get("/account").get_data(as_text=True)
    assert "Firefox, Windows" in page and "Chrome, Android" in page
    response = post_form(laptop, "/account/sessions/end-others", {}, token_from="/account")
    assert response.status_code == 302
    assert signed_in(laptop)
    assert not signed_in(phone)
    assert not signed_in(browser_with(app, **{REMEMBER: phone_remembered}))
    page = laptop.get("/account").get_data(as_text=True)
    assert "Chrome, Android" not in page and "Sign out everywhere else" not in page


def test_last_seen_is_written_only_when_minutes_old(app, client, make_user):
    """No write per request: a session seen a minute ago is left alone, one seen ten minutes
    ago is noted (and the page still works)."""
    from datetime import datetime, timezone

    from sqlalchemy import update

    from lms.auth.models import UserSession
    from lms.clock import aware

    make_user("ani")
    login(client, "ani")

    def last_seen() -> datetime:
        db.session.expire_all()
        return aware(db.session.scalar(select(UserSession.last_seen_at)))

    for minutes, moves in ((1, False), (10, True)):
        earlier = datetime.now(timezone.utc) - timedelta(minutes=minutes)
        db.session.execute(update(UserSession).values(last_seen_at=earlier))
        db.session.commit()
        assert signed_in(client)
        assert (last_seen() > earlier + timedelta(seconds=30)) is moves

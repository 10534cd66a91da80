"""Password reset by e-mail (issue 18): the same answer whether or not an account exists, no
e-mail for an unknown name, a signed link valid for an hour and only once, throttled per
account and per address, the password rules, every session ended, audited; both languages."""
from __future__ import annotations

import re
import pytest
from sqlalchemy import func, select

from lms.audit.models import AuditEntry
from lms.auth import reset
from lms.auth.models import User, UserSession
from lms.extensions import db
from lms.mail.models import OutboxMessage
from tests.conftest import PASSWORD, csrf_token, deliver_mail, login

NEW_PASSWORD = "kapuas mengalir ke laut jawa"
LINK_RE = re.compile(r"http://127\.0\.0\.1:5000(/password/reset/[A-Za-z0-9_.\-]+)")


@pytest.fixture
def ani(make_user):
    return make_user("ani", email="Ani@Perpustakaan.test", full_name="Ani Lestari")


def ask(client, identifier: str, **kwargs):
    return client.post("/password/forgot", data={"identifier": identifier,
                                                 "csrf_token": csrf_token(client, "/password/forgot")}, **kwargs)


def outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def link_in(message) -> str:
    match = LINK_RE.search(message.get_content())
    assert match, message.get_content()
    return match.group(1)


def reset_to(client, path: str, password: str = NEW_PASSWORD):
    return client.post(path, data={"new_password": password, "confirm": password,
                                   "csrf_token": csrf_token(client, path)})


def test_the_login_page_links_to_the_request_page_in_both_languages(client, mail_on):
    page = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in page and "Lupa kata sandi?" in page
    client.post("/language", data={"lang": "en", "next": "/login", "csrf_token": csrf_token(client)})
    english = client.get("/login").get_data(as_text=True)
    assert 'href="/password/forgot"' in english and "Forgot your password?" in english


def test_unknown_and_known_names_get_the_same_answer_and_only_known_ones_an_email(client, ani, mail_on):
    answers = [ask(client, name) for name in ("ani", "ani@perpustakaan.test", "nobody", "nobody@nowhere.test")]
    assert {response.status_code for response in answers} == {200}
    bodies = {re.sub(r'name="csrf_token"[^>]*>', "", response.get_data(as_text=True)) for response in answers}
    assert len(bodies) == 1  # byte for byte the same page
    rows = outbox()
    assert [(row.recipient, row.kind, row.user_id) for row in rows] == [("Ani@Perpustakaan.test", "password_reset",
                                                                         ani.id)] * 2
    deliver_mail()
    assert len(mail_on.messages) == 2 and not mail_on.to("nobody@nowhere.test")


def test_the_link_resets_the_password_once_ends_every_session_and_is_audited(app, client, ani, mail_on):
    other_browser = app.test_client()
    assert login(other_browser, "ani").status_code == 302
    assert ask(client, "ani").status_code == 200
    deliver_mail()
    (message,) = mail_on.to("Ani@Perpustakaan.test")
    assert message["Subject"] == "Atur ulang kata sandi Pembina Anda"  # ani reads Indonesian
    path = link_in(message)
    form = client.get(path)
    assert form.status_code == 200 and form.headers["Referrer-Policy"] == "no-referrer"
    assert form.headers["Cache-Control"] == "no-store"
    response = reset_to(client, path)
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert other_browser.get("/account").status_code == 302  # signed out there
    assert db.session.scalar(select(func.count()).select_from(UserSession).where(
        UserSession.user_id == ani.id, UserSession.revoked_at.is_(None))) == 0
    assert login(app.test_client(), "ani", NEW_PASSWORD).status_code == 302
    assert login(app.test_client(), "ani", PASSWORD).status_code == 401
    again = reset_to(app.test_client(), path, "sungai barito yang panjang")
    assert again.status_code == 400  # used up
    assert login(app.test_client(), "ani", NEW_PASSWORD).status_code == 302
    actions = db.session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == str(ani.id))
                                 .order_by(AuditEntry.id)).all()
    assert actions == ["user.password_reset_requested", "user.password_reset_by_email"]


def test_the_password_rules_apply_and_nothing_changes_on_a_refusal(client, ani, mail_on):
    ask(client, "ani")
    deliver_mail()
    path = link_in(mail_on.messages[0][1])
    response = reset_to(client, path, "password123")
    assert response.status_code == 400
    assert login(client, "ani").status_code == 302  # the old password still works
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    assert reset_to(client, path).status_code == 302  # and the link still does


def test_the_link_expires_after_an_hour_and_dies_with_a_password_change(app, ani, monkeypatch):
    token = reset.make_token(ani)
    assert reset.user_for(token) == ani
    assert reset.user_for(token[:-2] + "xx") is None  # a forged signature
    import itsdangerous.timed

    real_time = itsdangerous.timed.time.time
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: real_time() + 3601)
    assert reset.user_for(token) is None
    monkeypatch.setattr(itsdangerous.timed.time, "time", real_time)
    ani.set_password("sebuah kata sandi lain sekali")
    db.session.commit()
    assert reset.user_for(token) is None
    fresh = reset.make_token(ani)
    ani.active = False
    db.session.commit()
    assert reset.user_for(fresh) is None


def test_a_token_for_another_purpose_is_refused(app, ani):
    from itsdangerous import URLSafeTimedSerializer

    other = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt="something-else").dumps(
        {"u": ani.id, "f": reset.fingerprint(ani)})
    assert reset.user_for(other) is None


def test_throttled_per_account_silently_and_per_address_openly(app, client, ani, mail_on):
    app.config.update(PASSWORD_RESET_PER_ACCOUNT=2, PASSWORD_RESET_PER_ADDRESS=4)
    for _ in range(3):
        assert ask(client, "ani").status_code == 200
    assert len(outbox()) == 2  # the third answer looked the same, but sent nothing
    assert ask(client, "nobody").status_code == 200
    for name in ("ani", "nobody"):  # the fifth request from this address on: refused, for any name
        response = ask(client, name)
        assert response.status_code == 429 and int(response.headers["Retry-After"]) > 3000
    elsewhere = ask(client, "ani", environ_base={"REMOTE_ADDR": "10.0.0.9"})
    assert elsewhere.status_code == 200 and len(outbox()) == 2  # the account's limit holds everywhere


def test_the_english_reader_gets_an_english_email(client, make_user, mail_on):
    make_user("budi", email="budi@perpustakaan.test", locale="en", full_name="Budi Santoso")
    ask(client, "BUDI@perpustakaan.test")
    deliver_mail()
    (message,) = mail_on.messages
    assert message[1]["Subject"] == "Reset your Pembina password"
    body = message[1].get_content()
    assert "Hello Budi Santoso," in body and "within 60 minutes" in body


def test_without_a_mail_server_the_page_says_to_ask_an_admin(client, ani):
    response = client.get("/password/forgot")
    assert response.status_code == 200
    assert "Mintalah administrator mengatur ulang kata sandi Anda." in response.get_data(as_text=True)
    assert 'name="identifier"' not in response.get_data(as_text=True)


def test_a_deactivated_account_gets_no_email(client, make_user, mail_on):
    make_user("lama", email="lama@perpustakaan.test", active=False)
    assert ask(client, "lama").status_code == 200
    assert outbox() == []


def test_two_simultaneous_uses_of_one_link_set_one_password(app, ani, mail_on):
    from lms.auth import services

    token = reset.make_token(ani)
    services.reset_password_with_token(token, NEW_PASSWORD, None)
    with pytest.raises(services.ServiceError):
        services.reset_password_with_token(token, "sungai barito yang panjang", None)
    db.session.expire_all()
    assert db.session.get(User, ani.id).check_password(NEW_PASSWORD)

"""Retention (``lms privacy purge``) and the public privacy page."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from lms.auth.models import LoginThrottle, UserSession
from lms.clock import utcnow
from lms.extensions import db
from lms.plugins.learning.models import ModuleCompletion
from lms.plugins.notifications.models import Notification
from tests.conftest import login


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def seed_old_and_new(make_user):
    """For each kind one row past its retention and one within it."""
    ani = make_user("ani")
    now = utcnow()
    db.session.add_all([
        Notification(user_id=ani.id, kind="assignment", key="x", params={}, created_at=now - timedelta(days=400)),
        Notification(user_id=ani.id, kind="assignment", key="x", params={}, created_at=now - timedelta(days=10)),
        UserSession(user_id=ani.id, token_hash="a" * 64, session_version=1, created_at=now - timedelta(days=200),
                    last_seen_at=now - timedelta(days=200), expires_at=now - timedelta(days=199)),
        UserSession(user_id=ani.id, token_hash="b" * 64, session_version=1, created_at=now,
                    last_seen_at=now, expires_at=now + timedelta(hours=12)),
        LoginThrottle(key="user:someone", failures=3, window_start=now - timedelta(days=31)),
        LoginThrottle(key="user:other", failures=1, window_start=now - timedelta(minutes=5)),
    ])
    db.session.commit()
    return ani


def test_purge_dry_run_counts_and_purge_deletes_only_what_is_past_retention(app, runner, make_user):
    seed_old_and_new(make_user)
    dry = runner.invoke(args=["privacy", "purge", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "notifications: would delete 1" in dry.output
    assert "sessions: would delete 1" in dry.output
    assert "login_attempts: would delete 1" in dry.output
    assert (count(Notification), count(UserSession), count(LoginThrottle)) == (2, 2, 2)
    done = runner.invoke(args=["privacy", "purge"])
    assert done.exit_code == 0, done.output
    assert "notifications: deleted 1" in done.output and "sessions: deleted 1" in done.output
    assert (count(Notification), count(UserSession), count(LoginThrottle)) == (1, 1, 1)
    again = runner.invoke(args=["privacy", "purge"])
    assert "notifications: deleted 0" in again.output


def test_purge_follows_the_settings_and_never_touches_training(app, runner, make_user):
    ani = seed_old_and_new(make_user)
    app.config["PRIVACY_RETENTION_NOTIFICATIONS_DAYS"] = 0  # kept for ever
    app.config["PRIVACY_RETENTION_SESSIONS_DAYS"] = 365
    result = runner.invoke(args=["privacy", "purge"])
    assert result.exit_code == 0, result.output
    assert "notifications" not in result.output and "sessions: deleted 0" in result.output
    assert (count(Notification), count(UserSession)) == (2, 2)
    assert ani.id and count(ModuleCompletion) == 0  # nothing of learning is a retention kind
    assert "completion" not in result.output and "training" not in result.output


def test_privacy_page_is_public_in_both_languages_and_linked(app, client):
    app.config["PRIVACY_CONTACT"] = "privasi@perpustakaan.example"
    app.config["PRIVACY_RETENTION_SESSIONS_DAYS"] = 77
    page = client.get("/privasi")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Pengendali data pribadi" in text and "privasi@perpustakaan.example" in text and "77 hari" in text
    assert "UU PDP" in text
    assert client.get("/privacy").status_code == 200
    assert 'href="/privasi"' in client.get("/login").get_data(as_text=True)
    client.post("/language", data={"lang": "en", "csrf_token": _token(client)})
    english = client.get("/privacy").get_data(as_text=True)
    assert "Data controller" in english and "77 days" in english


def test_privacy_page_is_in_the_footer_of_signed_in_pages(app, make_user):
    make_user("ani")
    client = app.test_client()
    login(client, "ani")
    assert 'href="/privasi"' in client.get("/").get_data(as_text=True)


def _token(client) -> str:
    from tests.conftest import csrf_token

    return csrf_token(client, "/login")

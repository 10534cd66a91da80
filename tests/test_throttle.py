"""Login throttling: progressive delays per username and address, a cap per address, a
ceiling per username that slows but never locks, and counts that hold under concurrency.

The throttle's clock is a test clock (``clock.advance(seconds)``), so delays are checked
exactly without sleeping; the database is real (SQLite file or PostgreSQL).
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from lms.auth import throttle
from lms.auth.models import LoginThrottle, User
from lms.extensions import db
from tests.conftest import PASSWORD, csrf_token, serve_app

ATTACKER = "203.0.113.66"
OFFICE = "10.20.0.7"


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(throttle, "utcnow", fake)
    return fake


def attempt(app, username: str, password: str = PASSWORD, address: str = OFFICE, client=None):
    """One sign-in from ``address`` (a fresh browser unless ``client`` is given)."""
    client = client or app.test_client()
    environ = {"REMOTE_ADDR": address}
    token = csrf_token(client)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token},
                       environ_base=environ)


def add_user(username: str) -> None:
    """A user for an app built in the test (the ``make_user`` fixture belongs to ``app``)."""
    user = User(username=username, full_name=username.title(), active=True)
    user.set_roles(["librarian"])
    user.set_password(PASSWORD)
    db.session.add(user)
    db.session.commit()


def failures(key: str) -> int | None:
    db.session.expire_all()
    row = db.session.get(LoginThrottle, key)
    return row.failures if row else None


def test_delays_grow_for_one_name_from_one_address(app, make_user, clock):
    make_user("ani")
    free = app.config["LOGIN_MAX_FAILURES"]
    for _ in range(free):
        assert attempt(app, "ani", "wrong-password-x").status_code == 401
    waits = []
    for _ in range(4):
        refused = attempt(app, "ani")  # even the right password waits now
        assert refused.status_code == 429
        assert "flash-error" in refused.get_data(as_text=True)
        waits.append(int(refused.headers["Retry-After"]))
        clock.advance(waits[-1])
        assert attempt(app, "ani", "wrong-password-x").status_code == 401
    assert waits == [1, 2, 4, 8]
    clock.advance(16)
    assert attempt(app, "ani").status_code == 302


def test_the_wait_is_told_in_seconds_and_capped(tmp_path, monkeypatch):
    for app in serve_app(tmp_path, LOGIN_MAX_DELAY_SECONDS=20, BABEL_DEFAULT_LOCALE="en"):
        clock = Clock()
        monkeypatch.setattr(throttle, "utcnow", clock)
        waits = []
        for _ in range(12):
            clock.advance(60)
            attempt(app, "ghost", "wrong-password-x")
            refused = attempt(app, "ghost", "wrong-password-x")
            if refused.status_code == 429:
                waits.append(int(refused.headers["Retry-After"]))
        assert max(waits) == 20 and waits[-1] == 20
        assert "Please wait 20 seconds and try again." in refused.get_data(as_text=True)


def test_an_attacker_elsewhere_cannot_lock_the_person_out(app, make_user, clock):
    make_user("ani")
    make_user("boss", roles=("admin",))
    for _ in range(40):
        for name in ("ani", "boss"):
            response = attempt(app, name, "guess-guess-guess", address=ATTACKER)
            assert response.status_code in (401, 429)
        clock.advance(30)
    assert attempt(app, "ani", address=ATTACKER).status_code == 429  # the attacker's address waits
    assert attempt(app, "ani", address=OFFICE).status_code == 302
    assert attempt(app, "boss", address=OFFICE).status_code == 302


def test_unknown_usernames_are_slowed_alike(app, clock):
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        assert attempt(app, "ghost", "whatever-password").status_code == 401
    assert attempt(app, "ghost", "whatever-password").status_code == 429


def test_one_address_trying_many_names_waits(app, make_user, clock):
    make_user("ani")
    for number in range(app.config["LOGIN_MAX_FAILURES_PER_IP"]):
        assert attempt(app, f"staff{number}", "spray-password-1", address=ATTACKER).status_code == 401
    refused = attempt(app, "ani", address=ATTACKER)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) == app.config["LOGIN_LOCK_MINUTES"] * 60
    assert attempt(app, "ani", address=OFFICE).status_code == 302


def test_past_the_ceiling_a_name_is_slowed_everywhere_but_never_locked(tmp_path, monkeypatch):
    for app in serve_app(tmp_path, LOGIN_MAX_FAILURES_PER_USER=12):
        monkeypatch.setattr(throttle, "utcnow", Clock())
        add_user("ani")
        botnet = [f"198.51.100.{n}" for n in range(12)]
        for address in botnet:  # one guess each: every pair stays under its free failures
            assert attempt(app, "ani", "botnet-guess-1", address=address).status_code == 401
        assert failures("user:ani") == 12
        # an address that failed for the name now waits the longest delay
        refused = attempt(app, "ani", address=botnet[0])
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) == app.config["LOGIN_MAX_DELAY_SECONDS"]
        # a fresh address gets one guess, then waits the longest delay too
        assert attempt(app, "ani", "botnet-guess-2", address="192.0.2.1").status_code == 401
        assert int(attempt(app, "ani", address="192.0.2.1").headers["Retry-After"]) == \
            app.config["LOGIN_MAX_DELAY_SECONDS"]
        # and the person, from an address that has not failed, signs in
        assert attempt(app, "ani", address=OFFICE).status_code == 302
        assert failures("user:ani") is None  # a success resets the name's count


def test_a_quiet_window_forgets_a_pairs_failures(app, make_user, clock):
    make_user("ani")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        attempt(app, "ani", "wrong-password-x")
    assert attempt(app, "ani").status_code == 429
    clock.advance(app.config["LOGIN_LOCK_MINUTES"] * 60 + 1)
    assert attempt(app, "ani", "wrong-password-x").status_code == 401
    assert failures(f"pair:ani|{OFFICE}") == 1


# --- concurrency (issue 18): one atomic count per failure ------------------------------------

def fire_together(app, count: int, username_of, address_of) -> list[int]:
    """``count`` failed sign-ins at once, each from its own thread, client and app context."""
    clients = [app.test_client() for _ in range(count)]
    tokens = [csrf_token(client) for client in clients]
    barrier = threading.Barrier(count)
    statuses: list[int] = [0] * count

    def run(index: int) -> None:
        barrier.wait()
        response = clients[index].post("/login", data={
            "username": username_of(index), "password": "wrong-password-x", "csrf_token": tokens[index]},
            environ_base={"REMOTE_ADDR": address_of(index)})
        statuses[index] = response.status_code

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return statuses


@pytest.fixture
def roomy_app(tmp_path):
    """Limits high enough that no concurrent attempt is refused: every one must be counted."""
    yield from serve_app(tmp_path, LOGIN_MAX_FAILURES=1000, LOGIN_MAX_FAILURES_PER_IP=1000,
                         LOGIN_MAX_FAILURES_PER_USER=1000)


def test_concurrent_failures_are_each_counted_once(roomy_app, make_user):
    make_user("ani")
    count = 12
    statuses = fire_together(roomy_app, count, lambda i: "ani", lambda i: ATTACKER)
    assert statuses == [401] * count  # no 500 from two first inserts colliding
    assert failures("user:ani") == count
    assert failures(f"pair:ani|{ATTACKER}") == count
    assert failures(f"ip:{ATTACKER}") == count


def test_concurrent_first_failures_from_many_addresses(roomy_app):
    count = 12
    statuses = fire_together(roomy_app, count, lambda i: "nobody", lambda i: f"198.51.100.{i}")
    assert statuses == [401] * count
    assert failures("user:nobody") == count
    assert [failures(f"pair:nobody|198.51.100.{i}") for i in range(count)] == [1] * count


def test_rows_hold_only_counts(app, clock):
    attempt(app, "ani", "wrong-password-x")
    keys = set(db.session.scalars(select(LoginThrottle.key)))
    assert keys == {"user:ani", f"pair:ani|{OFFICE}", f"ip:{OFFICE}"}

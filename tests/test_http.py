"""Integers from outside are bounded (no 500 for a huge id, anywhere), and absolute links
come from the configured BASE_URL, never from the request's Host header (lms/http.py).

The sweeps run on the demo data, crawled the way a signed-in browser would find it, so each
route is asked with real slugs and ids and its view runs as far as the numbers take it. On
PostgreSQL (``LMS_TEST_DATABASE_URL``) ``2**31`` is where INTEGER overflows; on SQLite
``10**20`` is (it does not fit a 64-bit integer).
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import select
from werkzeug.routing import IntegerConverter

from lms import create_app
from lms.auth.models import Unit, User
from lms.config import ConfigError
from lms.core.demo import DEMO_PASSWORD
from lms.extensions import db
from lms.http import INT32_MAX, BoundedIntConverter, parse_int
from tests.conftest import PASSWORD, csrf_token, login, make_test_app

HUGE = ["2147483648", "9223372036854775808", "100000000000000000000"]
PATH_BAD = HUGE + ["-1", "+1", "1.0", "\u0663"]  # the last: ARABIC-INDIC DIGIT THREE
# 2**31 overflows PostgreSQL's INTEGER, 10**20 SQLite's 64-bit integer
QUERY_HUGE = ["2147483648", "100000000000000000000"]
QUERY_OTHER = ["9223372036854775808", "-1", "-2147483649", "abc", "1e3", "\u0663", ""]
# Every integer query parameter a view reads (grep int_arg / parse_int in lms/).
INT_PARAMS = ["page", "round", "unit", "year", "version", "from", "to", "user_id"]
ROOT = Path(__file__).resolve().parent.parent
HREF_RE = re.compile(r'href="(/[^"#]*)')
MAX_PER_ENDPOINT = 3


# --- the parser and the converter -------------------------------------------------------------

@pytest.mark.parametrize("raw, expected", [
    ("0", 0), ("42", 42), (" 7 ", 7), (str(INT32_MAX), INT32_MAX), ("2147483648", None),
    ("-1", None), ("+1", None), ("1.0", None), ("1e3", None), ("abc", None), ("", None), (None, None),
    ("\u0663", None), ("9" * 40, None),
])
def test_parse_int(raw, expected):
    assert parse_int(raw) == expected


def test_parse_int_signed_range():
    assert parse_int("-5", min=-10) == -5
    assert parse_int("-2147483649", min=-(2**31)) is None


def test_every_int_route_uses_the_bounded_converter(app):
    rules = [rule for rule in app.url_map.iter_rules() if rule._converters]
    ints = [rule for rule in rules for conv in rule._converters.values() if isinstance(conv, BoundedIntConverter)]
    assert len(ints) >= 40
    assert app.url_map.converters["int"] is BoundedIntConverter


# --- sweeps over every route --------------------------------------------------------------------

def _sweeper(app) -> User:
    """A user holding every role, supervising the whole demo organisation, so no access rule
    stops a request before its view reads the numbers."""
    root = db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))
    user = User(username="sweeper", full_name="Sweeper", unit=root, active=True)
    user.set_roles(["librarian", "trainer", "supervisor", "admin"])
    user.set_password(PASSWORD)
    user.supervised_units.append(root)
    db.session.add(user)
    db.session.commit()
    return user


def _crawl(app, client, limit: int = 600) -> dict[str, list[str]]:
    """GET pages reachable by links from the home page: endpoint -> up to a few paths."""
    adapter = app.url_map.bind("localhost")
    found: dict[str, list[str]] = {}
    queue, seen, visited = ["/"], {"/"}, 0
    while queue and visited < limit:
        path = queue.pop(0)
        try:
            endpoint, _values = adapter.match(urlsplit(path).path, method="GET")
        except Exception:
            continue
        if endpoint in ("static", "auth.logout") or len(found.get(endpoint, [])) >= MAX_PER_ENDPOINT:
            continue
        response = client.get(path)
        visited += 1
        assert response.status_code != 500, path
        found.setdefault(endpoint, []).append(path)
        if response.status_code == 200 and response.mimetype == "text/html":
            for link in HREF_RE.findall(response.get_data(as_text=True)):
                link = link.replace("&amp;", "&")
                if link not in seen:
                    seen.add(link)
                    queue.append(link)
    return found


def _example(rule, crawled: dict[str, list[str]], app) -> tuple[str, dict]:
    """A real path for ``rule`` (crawled) and its values; all-ones when the crawl missed it."""
    adapter = app.url_map.bind("localhost")
    for path in crawled.get(rule.endpoint, []):
        try:
            endpoint, values = adapter.match(urlsplit(path).path, method=sorted(rule.methods - {"HEAD", "OPTIONS"})[0])
        except Exception:
            continue
        if endpoint == rule.endpoint:
            return path, values
    return "", {name: 1 for name in rule.arguments}


def _with_value(rule, values: dict, name: str, raw: str) -> str:
    """The rule's path with ``name`` set to the raw text ``raw`` (not converted)."""
    marker = "999999123"
    _domain, path = rule.build({**values, name: int(marker)})
    return path.replace(marker, raw)


def _path_sweep(app, client, crawled) -> int:
    token = csrf_token(client, "/account") if _has(app, "/account") else csrf_token(client, "/login")
    checked = 0
    for rule in app.url_map.iter_rules():
        int_args = [name for name, conv in rule._converters.items() if isinstance(conv, IntegerConverter)]
        if not int_args:
            continue
        _path, values = _example(rule, crawled, app)
        for name in int_args:
            for raw in PATH_BAD:
                url = _with_value(rule, values, name, raw)
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    data = {"csrf_token": token} if method != "GET" else None
                    response = client.open(url, method=method, data=data)
                    if response.status_code == 308:  # another rule with a slug took it (/quiz/<slug>/<m>/)
                        url = response.headers["Location"]
                        response = client.open(url, method=method, data=data)
                    assert response.status_code in (404, 405), (rule.endpoint, method, url, response.status_code)
                    checked += 1
    return checked


def _has(app, path: str) -> bool:
    try:
        app.url_map.bind("localhost").match(path, method="GET")
        return True
    except Exception:
        return False


def _query_sweep(app, client, crawled) -> int:
    """Each parameter alone at each overflowing value; the other bad values (they can only
    fall back to a default or be refused) all parameters at once."""
    checked = 0
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("static", "auth.logout"):
            continue
        path, values = _example(rule, crawled, app)
        base = urlsplit(path or rule.build(values)[1]).path
        queries = [{name: raw} for name in INT_PARAMS for raw in QUERY_HUGE]
        queries += [{name: raw for name in INT_PARAMS} for raw in QUERY_OTHER]
        for query in queries:
            url = f"{base}?{urlencode(query)}"
            response = client.get(url)
            assert response.status_code != 500, (rule.endpoint, url)
            checked += 1
    return checked


@pytest.fixture
def demo(full_demo):
    """Everything ``lms demo`` makes on the real courses (a copy of the session's demo)."""
    return full_demo


def test_bad_integers_never_500_on_any_route(demo, app):
    """Huge, negative and signed ids in every ``<int:...>`` path are 404 (every method, with
    a valid CSRF token so POST views run too); huge, negative and non-numeric values of
    every integer query parameter on every GET page are never a 500. As a user holding
    every role (so no access rule stops the view first) and as a librarian."""
    _sweeper(app)
    for username, password in (("sweeper", PASSWORD), ("ani", DEMO_PASSWORD)):
        client = app.test_client()
        assert login(client, username, password).status_code == 302
        crawled = _crawl(app, client)
        if username == "sweeper":
            assert len(crawled) >= 60, sorted(crawled)  # the crawl reached most pages
        assert _path_sweep(app, client, crawled) >= 50 * len(PATH_BAD), username
        assert _query_sweep(app, client, crawled) >= 80 * (len(INT_PARAMS) * len(QUERY_HUGE) + len(QUERY_OTHER))


def test_bad_ids_in_a_form_are_ignored(demo, app):
    """Marking notifications read with ids no row can have changes nothing and fails nothing."""
    client = app.test_client()
    assert login(client, "ani", DEMO_PASSWORD).status_code == 302
    token = csrf_token(client, "/notifications/")
    response = client.post("/notifications/read", data={"csrf_token": token, "id": HUGE + ["-1", "x"]})
    assert response.status_code in (302, 303)


@pytest.mark.parametrize("path, data", [
    ("/needs/rounds/new", {"title": "Putaran", "opens_on": "2026-01-01", "closes_on": "2026-02-01",
                           "self_survey_id": "2147483648", "unit_ids": "100000000000000000000"}),
])
def test_huge_ids_in_forms_are_field_errors(client_as, path, data):
    """Id fields whose choices the service checks (or that the view never offered) refuse a
    number no row can have as a form error: nothing is saved, nothing overflows."""
    client = client_as("admin", "trainer")
    response = client.post(path, data={"csrf_token": csrf_token(client, path), **data})
    assert response.status_code in (200, 400), response.status_code


# --- the canonical address ----------------------------------------------------------------------

def _config(tmp_path, **extra):
    return {"INSTANCE_PATH": str(tmp_path), "SECRET_KEY": "s" * 40, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
            **extra}


def test_production_refuses_to_start_without_base_url(tmp_path, monkeypatch):
    for name in ("LMS_BASE_URL", "LMS_DIGEST_BASE_URL", "LMS_XAPI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="LMS_BASE_URL is not set in production"):
        create_app(_config(tmp_path, ENV="production"))


@pytest.mark.parametrize("bad", ["pembina.example.go.id", "ftp://x.example", "https://x.example/pembina",
                                 "https://x.example/?a=1", "https://user:pw@x.example", "https://x.example:99999"])
def test_a_malformed_base_url_is_refused(tmp_path, bad):
    with pytest.raises(ConfigError, match="LMS_BASE_URL"):
        create_app(_config(tmp_path, BASE_URL=bad))


def test_base_url_defaults_and_old_names(tmp_path):
    assert create_app(_config(tmp_path)).config["BASE_URL"] == "http://127.0.0.1:5000"
    app = create_app(_config(tmp_path, DIGEST_BASE_URL="https://Pembina.example.go.id/"))
    assert app.config["BASE_URL"] == "https://pembina.example.go.id"
    app = create_app(_config(tmp_path, XAPI_BASE_URL="https://pembina.example.go.id"))
    assert app.config["BASE_URL"] == "https://pembina.example.go.id"
    with pytest.raises(ConfigError, match="set twice"):
        create_app(_config(tmp_path, BASE_URL="https://a.example", DIGEST_BASE_URL="https://b.example"))


def test_trusted_hosts_in_production(tmp_path):
    app = create_app(_config(tmp_path, ENV="production", BASE_URL="https://pembina.example.go.id",
                             TRUSTED_HOSTS="intranet.perpus.local, 10.0.0.5"))
    assert app.config["TRUSTED_HOSTS"] == ["pembina.example.go.id", "intranet.perpus.local", "10.0.0.5",
                                           "127.0.0.1", "localhost"]
    assert create_app(_config(tmp_path)).config["TRUSTED_HOSTS"] is None  # development: any host


def test_production_refuses_unknown_hosts(tmp_path):
    """In production a request for another host is a 400 before any view runs; the site's
    host, the extra names and loopback (health probes on the machine itself) are served."""
    app = make_test_app(tmp_path, ENV="production", BASE_URL="https://pembina.example.go.id",
                        TRUSTED_HOSTS="intranet.perpus.local")
    client = app.test_client()
    for host in ("evil.example", "pembina.example.go.id.evil.example", "example.go.id"):
        assert client.get("/healthz/ping", headers={"Host": host}).status_code == 400, host
        assert client.get("/login", headers={"Host": host}).status_code == 400, host
    for host in ("pembina.example.go.id", "intranet.perpus.local:8000", "127.0.0.1:8000", "localhost"):
        assert client.get("/healthz/ping", headers={"Host": host}).status_code == 200, host

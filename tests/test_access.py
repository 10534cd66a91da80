"""Deny by default: every endpoint declares who may use it, anonymous users get nothing else."""
from __future__ import annotations

import re

import pytest
from flask import Blueprint

from lms.auth.access import PUBLIC, access_rule, roles_required
from tests.conftest import make_test_app, reset_database

# The only endpoints anyone may reach without signing in.
# auth.forgot_password and auth.reset_password: the password reset by e-mail (issue 18).
PUBLIC_ENDPOINTS = {"static", "auth.login", "core.healthz", "core.healthz_ping", "core.set_language",
                    "learning.verify", "auth.forgot_password", "auth.reset_password", "privacy.page",
                    "core.logo"}  # core.logo: library logos only, by content key (lms/logos.py)


def _example_url(rule) -> str:
    values = {name: 1 for name in rule.arguments}
    url = rule.rule
    for name in values:
        url = re.sub(r"<(?:[^:<>]+:)?%s>" % name, "1", url)
    return url


def test_every_endpoint_declares_an_access_rule(app):
    undeclared = [rule.endpoint for rule in app.url_map.iter_rules() if access_rule(app, rule.endpoint) is None]
    assert undeclared == []


def test_public_endpoints_are_exactly_the_allowed_list(app):
    public = {rule.endpoint for rule in app.url_map.iter_rules() if access_rule(app, rule.endpoint) == PUBLIC}
    assert public == PUBLIC_ENDPOINTS


def test_anonymous_requests_to_protected_endpoints_are_refused(app, client):
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC_ENDPOINTS:
            continue
        url = _example_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code in (302, 400, 403), (rule.endpoint, method, response.status_code)
            if response.status_code == 302:
                assert "/login" in response.headers["Location"], (rule.endpoint, method)
            checked += 1
    assert checked >= 15


def test_librarian_cannot_reach_admin_pages(client_as):
    client = client_as("librarian")
    for url in ("/admin/users", "/admin/units", "/admin/audit", "/admin/users/new", "/admin/users/import"):
        assert client.get(url).status_code == 403, url


def test_supervisor_and_trainer_cannot_reach_admin_pages(client_as):
    for role in ("supervisor", "trainer"):
        assert client_as(role).get("/admin/users").status_code == 403


def test_admin_reaches_admin_pages(client_as):
    client = client_as("admin")
    for url in ("/admin/users", "/admin/units", "/admin/audit", "/admin/users/new", "/admin/users/import"):
        assert client.get(url).status_code == 200, url


def test_view_without_declaration_is_refused_at_runtime(tmp_path):
    """A forgotten decorator closes the door: the request guard answers 403."""
    app = make_test_app(tmp_path)
    bp = Blueprint("forgot", __name__)

    @bp.route("/forgot")
    def forgot():
        return "leaked"

    @bp.route("/declared")
    @roles_required("admin")
    def declared():
        return "admin only"

    app.register_blueprint(bp)
    reset_database(app)
    client = app.test_client()
    response = client.get("/forgot")
    assert response.status_code == 403
    assert b"leaked" not in response.data
    assert access_rule(app, "forgot.forgot") is None
    assert client.get("/declared").status_code == 302  # asks to sign in


def test_roles_required_needs_a_role():
    with pytest.raises(ValueError):
        roles_required()

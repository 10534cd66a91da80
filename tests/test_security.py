"""Security headers, cookies and error pages."""
from __future__ import annotations

import re

from tests.conftest import login


def test_security_headers_on_pages(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_pages_have_no_inline_scripts_or_styles(client_as):
    page = client_as("admin").get("/").get_data(as_text=True)
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", page, re.S)
    assert not any(body.strip() for body in scripts)  # script files only (static/js/tables.js on table pages)
    assert all(re.search(r'\ssrc="/static/js/', tag) for tag in re.findall(r"<script\b[^>]*>", page))
    assert "style=" not in page and "onclick" not in page


def test_signed_in_pages_are_not_cached(client_as):
    assert client_as("librarian").get("/").headers["Cache-Control"] == "no-store"


def test_hsts_only_with_https(tmp_path, client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    from tests.conftest import make_test_app

    app = make_test_app(tmp_path, HTTPS="1")
    assert "Strict-Transport-Security" in app.test_client().get("/healthz").headers


def test_error_pages_are_friendly(client_as, client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and 'class="error-code">404' in response.get_data(as_text=True)
    forbidden = client_as("librarian").get("/admin/users")
    assert forbidden.status_code == 403 and 'class="error-code">403' in forbidden.get_data(as_text=True)


def test_json_errors_for_api_clients(client):
    response = client.get("/no-such-page", headers={"Accept": "application/json"})
    assert response.status_code == 404 and response.get_json()["status"] == 404


def test_user_text_is_escaped(client, make_user):
    make_user("xss", full_name='<script>alert("x")</script>')
    login(client, "xss")
    page = client.get("/").get_data(as_text=True)
    assert '<script>alert("x")</script>' not in page
    assert "&lt;script&gt;" in page


def test_server_errors_show_a_friendly_page(tmp_path):
    from flask import Blueprint

    from lms.auth.access import public
    from tests.conftest import make_test_app, reset_database

    app = make_test_app(tmp_path, PROPAGATE_EXCEPTIONS=False)
    bp = Blueprint("boom", __name__)

    @bp.route("/boom")
    @public
    def boom():
        raise RuntimeError("secret internals")

    app.register_blueprint(bp)
    reset_database(app)
    response = app.test_client().get("/boom")
    assert response.status_code == 500
    text = response.get_data(as_text=True)
    assert "secret internals" not in text and 'class="error-code">500' in text

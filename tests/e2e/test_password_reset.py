"""A person who forgot their password resets it from the login page, in Indonesian and in
English, with the link e-mailed through the outbox to a real SMTP server (aiosmtpd); an
unknown address gets the same answer and no e-mail (issue 18)."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from lms.mail import services as mail
from tests.e2e.test_journeys import sign_in, sign_out

pytestmark = pytest.mark.e2e

TIMEOUT_MS = 15_000
LINK_RE = re.compile(r"https?://[^/\s]+(/password/reset/[A-Za-z0-9_.\-]+)")


@pytest.fixture
def mail_app(live_app, smtp_sink):
    live_app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp_sink.port, MAIL_FROM="pembina@perpustakaan.test")
    return live_app


@pytest.fixture
def page(page: Page) -> Page:
    page.set_default_timeout(TIMEOUT_MS)
    page.set_default_navigation_timeout(TIMEOUT_MS)
    return page


def deliver(app) -> None:
    """What cron's ``lms mail send`` does."""
    with app.app_context():
        mail.deliver()


def ask_for_link(page: Page, base: str, identifier: str) -> str:
    page.goto(f"{base}/login")
    page.locator("#forgot-password").click()
    expect(page).to_have_url(f"{base}/password/forgot")
    page.locator("input[name=identifier]").fill(identifier)
    page.locator("main form button[type=submit]").click()
    answer = page.locator("#reset-requested")
    expect(answer).to_be_visible()
    return answer.inner_text()


def choose_password(page: Page, base: str, path: str, password: str) -> None:
    page.goto(base + path)
    page.locator("input[name=new_password]").fill(password)
    page.locator("input[name=confirm]").fill(password)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(f"{base}/login")


@pytest.mark.parametrize("language", ["id", "en"])
def test_a_forgotten_password_is_reset_from_the_login_page(page: Page, mail_app, live_url, smtp_sink, language):
    base, address = live_url, "ani@perpustakaan.palangkaraya.example"
    page.goto(f"{base}/login")
    if language == "en":
        page.locator("form.lang-switch button[value=en]").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
    link_text = "Lupa kata sandi?" if language == "id" else "Forgot your password?"
    expect(page.locator("#forgot-password")).to_have_text(link_text)

    known = ask_for_link(page, base, address)
    unknown = ask_for_link(page, base, "tidak.ada@perpustakaan.palangkaraya.example")
    assert known == unknown  # the same answer whether or not the address has an account
    deliver(mail_app)
    assert [rcpt for rcpt, _ in smtp_sink.messages] == [[address]]  # and no e-mail for the unknown one
    message = smtp_sink.messages[0][1]
    assert message["Subject"] == "Atur ulang kata sandi Pembina Anda"  # ani's own language
    assert message["Message-ID"] and message["Date"]
    path = LINK_RE.search(message.get_content()).group(1)

    new_password = f"sungai kahayan {language} mengalir tenang"
    choose_password(page, base, path, new_password)
    expect(page.locator(".flash, [role=status], .messages").first).to_be_visible()
    sign_in(page, base, "ani", new_password)
    sign_out(page)
    page.goto(base + path)  # the link is used up
    expect(page.get_by_role("alert")).to_be_visible()
    assert urlsplit(page.url).path == path

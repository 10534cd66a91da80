"""E-mail through the standard library, only when ``MAIL_SERVER`` is set.

Settings: ``MAIL_SERVER`` (host; empty = no e-mail), ``MAIL_PORT`` (25), ``MAIL_FROM``,
``MAIL_USERNAME``/``MAIL_PASSWORD`` (optional login), ``MAIL_STARTTLS`` (``1`` to upgrade).
A failure is logged and reported as ``False``: e-mail never breaks the request that
caused it (the in-app notification is already saved).
"""
from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app

from lms.config import as_bool

TIMEOUT = 10  # seconds; a dead mail server must not hang a page for long


def enabled() -> bool:
    return bool((current_app.config.get("MAIL_SERVER") or "").strip())


def build(to: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config.get("MAIL_FROM") or "pembina@localhost"
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)  # UTF-8 for Indonesian text
    return message


def send_all(messages: list[EmailMessage]) -> int:
    """Send ``messages`` over one connection; return how many were accepted."""
    if not messages or not enabled():
        return 0
    config = current_app.config
    sent = 0
    try:
        with smtplib.SMTP(config["MAIL_SERVER"].strip(), int(config.get("MAIL_PORT") or 25),
                          timeout=TIMEOUT) as smtp:
            if as_bool(config.get("MAIL_STARTTLS")):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            for message in messages:
                try:
                    smtp.send_message(message)
                    sent += 1
                except smtplib.SMTPException as error:
                    current_app.logger.warning("mail to %s refused: %s", message["To"], error)
    except (OSError, smtplib.SMTPException) as error:
        current_app.logger.warning("mail server %s unavailable: %s", config.get("MAIL_SERVER"), error)
    return sent

"""The SMTP transport (standard library), driven one message at a time by the outbox.

It speaks the DATA phase itself instead of ``smtplib.send_message`` so the outbox can commit
the hand-over between the message body and the final ``.``: the one moment after which the
server may have accepted the message (RFC 1047). Everything before it is safe to retry;
after it the row is never sent again (docs/operations.md).

Settings: ``MAIL_SERVER`` (host; empty = no e-mail), ``MAIL_PORT`` (25), ``MAIL_FROM``,
``MAIL_USERNAME``/``MAIL_PASSWORD`` (optional login), ``MAIL_STARTTLS`` (``1`` to upgrade),
``MAIL_TIMEOUT`` (seconds per SMTP step, 30).
"""
from __future__ import annotations

import re
import select
import smtplib
from collections.abc import Callable
from email.message import EmailMessage

from lms.config import as_bool


class Temporary(Exception):
    """The server did not take the message, and may later: retry (4xx, a drop, a timeout)."""


class Permanent(Exception):
    """The server refused the message for good (5xx)."""


class Unconfirmed(Exception):
    """The final "." was written but no answer came: the server may have accepted it."""


class LostClaim(Exception):
    """Another worker took the row (our lease ran out): this one must not send it."""


def _reply_error(code: int, text: bytes | str, step: str) -> Exception:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    message = f"{step}: {code} {text}".strip()[:480]
    return Permanent(message) if 500 <= code < 600 else Temporary(message)


def _dot_stuffed(message: EmailMessage) -> bytes:
    data = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))
    data = re.sub(rb"(?m)^\.", b"..", data)
    return data if data.endswith(b"\r\n") else data + b"\r\n"


class Connection:
    """One SMTP session, reused for the messages of a delivery pass."""

    def __init__(self, config) -> None:
        self.config = config
        self.smtp: smtplib.SMTP | None = None

    def open(self) -> None:
        config = self.config
        try:
            smtp = smtplib.SMTP(str(config["MAIL_SERVER"]).strip(), int(config.get("MAIL_PORT") or 25),
                                timeout=float(config.get("MAIL_TIMEOUT") or 30))
            if as_bool(config.get("MAIL_STARTTLS")):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            smtp.ehlo_or_helo_if_needed()
        except smtplib.SMTPResponseException as error:
            raise Temporary(f"connect: {error.smtp_code} {error.smtp_error!r}"[:480]) from error
        except (OSError, smtplib.SMTPException) as error:
            raise Temporary(f"connect: {error}"[:480]) from error
        self.smtp = smtp

    @property
    def is_open(self) -> bool:
        return self.smtp is not None and self.smtp.sock is not None

    def close(self) -> None:
        """Drop the connection without QUIT (a half-sent message is then discarded)."""
        if self.smtp is not None:
            self.smtp.close()
        self.smtp = None

    def quit(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                pass
        self.close()

    def send(self, message: EmailMessage, sender: str, recipient: str, hand_over: Callable[[], bool]) -> str:
        """Send ``message``; return the server's answer to the final ".".

        ``hand_over()`` is called (and must commit) just before the final "."; when it answers
        False the connection is dropped and :class:`LostClaim` raised. Raises
        :class:`Temporary`/:class:`Permanent` before the hand-over, and after it only when the
        server answered with a refusal; :class:`Unconfirmed` when it did not answer at all.
        """
        smtp = self.smtp
        assert smtp is not None
        try:
            code, text = smtp.mail(sender)
            if code != 250:
                smtp.rset()
                raise _reply_error(code, text, "MAIL FROM")
            code, text = smtp.rcpt(recipient)
            if code not in (250, 251):
                smtp.rset()
                raise _reply_error(code, text, "RCPT TO")
            code, text = smtp.docmd("DATA")
            if code != 354:
                raise _reply_error(code, text, "DATA")
            smtp.send(_dot_stuffed(message))
            if self._server_spoke():
                # An answer (or a closed connection) before the end of the data: refused early.
                code, text = smtp.getreply()
                self.close()
                raise _reply_error(code if code >= 400 else 451, text, "DATA (early answer)")
        except (Temporary, Permanent):
            raise
        except smtplib.SMTPResponseException as error:
            self.close()
            raise _reply_error(error.smtp_code, error.smtp_error, "SMTP") from error
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise Temporary(f"connection lost before the end of the message: {error}"[:480]) from error
        if not hand_over():
            self.close()
            raise LostClaim("another worker took this message")
        try:
            smtp.send(b".\r\n")
        except (OSError, smtplib.SMTPException) as error:
            # Not written: the server cannot have the end of the message.
            self.close()
            raise Temporary(f"connection lost before the final dot: {error}"[:480]) from error
        try:
            code, text = smtp.getreply()
        except (OSError, smtplib.SMTPException) as error:
            self.close()
            raise Unconfirmed(f"no answer after the final dot: {error}"[:480]) from error
        if code != 250:
            raise _reply_error(code, text, "end of data")
        return text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)

    def _server_spoke(self) -> bool:
        sock = self.smtp.sock if self.smtp else None
        if sock is None:
            return True
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable)

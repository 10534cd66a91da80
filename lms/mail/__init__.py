"""The mail outbox (core): every e-mail is a row written in the transaction that causes it,
delivered later by ``lms mail send`` / ``lms mail worker`` (docs/operations.md)."""

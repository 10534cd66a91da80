"""Sending xAPI statements to a learning record store (LRS), resumably.

``push`` POSTs statements to ``<lrs>/statements`` (xAPI 1.0.3, HTTP basic auth from the
settings ``XAPI_LRS_USERNAME`` / ``XAPI_LRS_PASSWORD``) in batches, and remembers every
statement the store accepted in ``xapi_deliveries`` (committed after each batch), so:

- a second push sends nothing already accepted, and a push stopped anywhere resumes;
- a connection error, a timeout, a 5xx, 429 or 408 is retried with exponential back-off,
  ``XAPI_LRS_RETRIES`` attempts in all; then the push stops (nothing is lost: run it again);
- a 400-like refusal (400, 413, 422) of a batch is bisected down to the statements the store
  refuses, each reported with the store's reason, and the rest go through;
- a 409 Conflict for one statement means the store already holds a statement with that id:
  it counts as accepted (statement ids are stable, see ``xapi.py``);
- 401, 403 and 404 stop at once: no statement could get through.

Only the standard library (urllib): no HTTP client dependency.
"""
from __future__ import annotations

import base64
import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import current_app

from lms.plugins.interop import services

XAPI_VERSION = "1.0.3"
RETRYABLE = {408, 429, 500, 502, 503, 504}
REFUSED = {400, 413, 422}  # a statement (or the batch's size) the store will not take
STOP = {401, 403, 404, 405}
REASON_LIMIT = 500  # characters of the store's answer kept in a report


class LrsError(Exception):
    """The push cannot go on (bad address or credentials, the store down past every retry)."""


@dataclass
class PushReport:
    """What a push did: ``sent`` statements POSTed, ``accepted`` by the store (``already``
    of them it held before: a 409), ``skipped`` as accepted by an earlier push, ``rejected``
    as (statement id, reason), and ``stopped`` the reason the push ended early, if it did."""

    sent: int = 0
    accepted: int = 0
    already: int = 0
    skipped: int = 0
    rejected: list[tuple[str, str]] = field(default_factory=list)
    stopped: str | None = None

    @property
    def ok(self) -> bool:
        return not self.rejected and self.stopped is None


def lrs_address(url: str) -> str:
    """The store's xAPI root without a trailing slash (``https://lrs.example/xAPI``).

    Refused: anything but http(s); a login in the address (credentials belong in the
    settings, not in shell history or process lists); plain http to a host other than this
    machine (basic auth would cross the network in clear text).
    """
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise LrsError(f"--lrs must be an http(s) address, e.g. https://lrs.example.org/xAPI: got {url!r}.")
    if parts.username or parts.password:
        raise LrsError("--lrs must not contain a user name or password: set LMS_XAPI_LRS_USERNAME and "
                       "LMS_XAPI_LRS_PASSWORD instead.")
    if parts.query or parts.fragment:
        raise LrsError(f"--lrs must be the xAPI root, without a query or fragment: got {url!r}.")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise LrsError(f"--lrs {url} is plain http: the password would cross the network in clear text. "
                       "Use https (plain http is allowed only to this machine).")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


@dataclass
class Client:
    """One store: where, how to sign in, and how hard to try."""

    root: str
    username: str
    password: str
    retries: int = 5
    backoff: float = 1.0
    timeout: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    log: Callable[[str], None] = lambda _line: None

    @classmethod
    def from_settings(cls, url: str, log: Callable[[str], None]) -> Client:
        config = current_app.config
        username, password = config.get("XAPI_LRS_USERNAME") or "", config.get("XAPI_LRS_PASSWORD") or ""
        if not username or not password:
            raise LrsError("Set LMS_XAPI_LRS_USERNAME and LMS_XAPI_LRS_PASSWORD (the store's basic-auth "
                           "credentials) before pushing.")
        return cls(lrs_address(url), str(username), str(password), retries=max(1, int(config["XAPI_LRS_RETRIES"])),
                   backoff=float(config["XAPI_LRS_BACKOFF_SECONDS"]),
                   timeout=float(config["XAPI_LRS_TIMEOUT_SECONDS"]), log=log)

    def _post_once(self, body: bytes) -> tuple[int, str]:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode("ascii")
        request = urllib.request.Request(f"{self.root}/statements", data=body, method="POST", headers={
            "Authorization": f"Basic {token}", "Content-Type": "application/json",
            "X-Experience-API-Version": XAPI_VERSION})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - http(s) only
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode("utf-8", "replace")

    def post(self, statements: list[dict]) -> tuple[int, str]:
        """POST ``statements``; retry what may pass later. Raises :class:`LrsError` when the
        store stays unreachable or failing through every attempt."""
        body = json.dumps(statements, ensure_ascii=False).encode("utf-8")
        problem = ""
        for attempt in range(1, self.retries + 1):
            try:
                status, text = self._post_once(body)
            except (urllib.error.URLError, OSError) as error:  # refused, reset, DNS, timeout
                problem = str(getattr(error, "reason", error))
            else:
                if status not in RETRYABLE:
                    return status, text
                problem = f"HTTP {status} {reason(text)}"
            if attempt < self.retries:
                delay = min(self.backoff * 2 ** (attempt - 1), 60.0)
                self.log(f"{self.root}: {problem}; retrying in {delay:g} s ({attempt}/{self.retries})")
                self.sleep(delay)
        raise LrsError(f"{self.root} did not accept the batch after {self.retries} attempt(s): {problem}")


def reason(text: str) -> str:
    """The store's explanation: a JSON ``detail``/``message``/``error`` when there is one."""
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("detail", "message", "error"):
            if data.get(key):
                value = data[key]
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                break
    text = " ".join(text.split())
    return text[:REASON_LIMIT] + ("..." if len(text) > REASON_LIMIT else "")


def _deliver(client: Client, batch: list[dict], report: PushReport) -> None:
    """Send ``batch``; on a refusal, split it in two until each refused statement stands
    alone and is reported; remember the accepted ones at once."""
    status, text = client.post(batch)
    report.sent += len(batch)
    if 200 <= status < 300:
        services.record_delivered(client.root, [item["id"] for item in batch])
        report.accepted += len(batch)
        return
    if status in STOP:
        raise LrsError(f"{client.root}/statements answered HTTP {status}: {reason(text)}")
    if len(batch) == 1:
        if status == 409:  # the store holds this id already
            services.record_delivered(client.root, [batch[0]["id"]])
            report.accepted += 1
            report.already += 1
        else:
            report.rejected.append((batch[0]["id"], f"HTTP {status}: {reason(text)}"))
        return
    if status not in REFUSED and status != 409:
        raise LrsError(f"{client.root}/statements answered HTTP {status}: {reason(text)}")
    report.sent -= len(batch)  # counted again in the halves
    middle = len(batch) // 2
    _deliver(client, batch[:middle], report)
    _deliver(client, batch[middle:], report)


def push(client: Client, statements: Iterable[dict], batch_size: int) -> PushReport:
    """Send every statement the store has not accepted yet, ``batch_size`` at a time."""
    report = PushReport()
    pending: list[dict] = []

    def flush() -> None:
        done = services.delivered(client.root, [item["id"] for item in pending])
        report.skipped += len(done)
        batch = [item for item in pending if item["id"] not in done]
        pending.clear()
        if batch:
            _deliver(client, batch, report)

    try:
        for item in statements:
            pending.append(item)
            if len(pending) >= batch_size:
                flush()
        flush()
    except LrsError as error:
        report.stopped = str(error)
    return report

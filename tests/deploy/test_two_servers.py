"""Two app servers, one database: docs/deploy.md's "Several app servers", run for real.

Two gunicorn servers (``gunicorn.conf.py``, production settings, two workers each) on
different ports, set up as docs/deploy.md tells an operator: the same PostgreSQL database
(``LMS_DATABASE_URL``), the same ``LMS_SECRET_KEY`` and ``LMS_BASE_URL``, one shared
evidence folder (``LMS_RECORDS_EVIDENCE_DIR``) and an instance folder each. A person uses
them through ``requests`` with one cookie jar, as a browser behind a load balancer would
(cookies belong to the host, not the port): every step is answered by the other server
than the one before it, so anything a server keeps for itself - a per-process secret, a
session or a throttle count in memory, a file on its own disk - fails a step.

PostgreSQL only (``LMS_TEST_DATABASE_URL``, as ``.ci/run``'s PostgreSQL step sets it):
SQLite is one file on one machine, not a set-up for several servers. The database is a
scratch one on that server, built with ``lms db upgrade`` like a real deployment, and
dropped afterwards; the servers are stopped in a finalizer, on failures too. ``BENCH_PORTS``
(``LOW-HIGH``) keeps the servers to a port range on a shared machine.
"""
from __future__ import annotations

import os
import re
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import TEST_DATABASE_URL, is_postgresql

pytestmark = pytest.mark.skipif(not is_postgresql(), reason="two app servers need PostgreSQL (LMS_TEST_DATABASE_URL)")

requests = pytest.importorskip("requests")

PASSWORD = "dua-server-satu-basis-data"
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
MAX_FAILURES_PER_ADDRESS = 4  # LMS_LOGIN_MAX_FAILURES_PER_IP for these servers (default 30)


@dataclass
class TwoServers:
    a: str  # base URLs
    b: str
    evidence: Path
    instances: tuple[Path, Path]
    servers: tuple  # the two bench.infra.Gunicorn processes


def prepare_database(url: str, tmp_path: Path) -> None:
    """The schema from the migrations (``lms db upgrade``), then one librarian in a unit."""
    from bench import infra
    from lms import create_app
    from lms.auth.models import Unit, User
    from lms.extensions import db

    infra.run_lms(["db", "upgrade"], url, tmp_path / "setup-instance")
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "setup only", "INSTANCE_PATH": str(tmp_path / "setup"),
                      "PASSWORD_METHOD": "pbkdf2:sha256:1000"})
    with app.app_context():
        unit = Unit(code="layanan", name="Bidang Layanan", kind="section")
        user = User(username="rina", full_name="Rina Pustakawan", unit=unit, active=True)
        user.set_roles(["librarian"])
        user.set_password(PASSWORD)
        db.session.add_all([unit, user])
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    """One database and one pair of servers for the module (starting them is most of its time)."""
    from bench import infra

    tmp_path = tmp_path_factory.mktemp("two-servers")
    with ExitStack() as stack:  # unwound on any failure below and after the test: servers, then the database
        url = stack.enter_context(infra.scratch_database(TEST_DATABASE_URL, tmp_path))
        prepare_database(url, tmp_path)
        evidence = tmp_path / "shared-evidence"
        settings = {  # docs/deploy.md, "Several app servers": the same on every server
            "LMS_BASE_URL": "http://pembina.test",
            "LMS_RECORDS_EVIDENCE_DIR": str(evidence),
            "LMS_PROXIES": "1",  # behind a load balancer: the client's address from X-Forwarded-For
            "LMS_LOGIN_MAX_FAILURES_PER_IP": str(MAX_FAILURES_PER_ADDRESS),
            "GUNICORN_ACCESS_LOG": "",
        }
        key = os.urandom(32).hex()
        servers, ports = [], []
        for name in ("a", "b"):
            port = infra.free_port(exclude=ports)
            ports.append(port)
            server = infra.Gunicorn(url, tmp_path, port=port, secret_key=key, workers=2,
                                    instance=tmp_path / f"instance-{name}", env=settings)
            stack.callback(server.stop)
            servers.append(server)
        stack.callback(lambda: [server.terminate() for server in servers])  # first: both stop at once
        for server in servers:
            try:
                server.wait_ready(timeout=120)
            except infra.BenchError as error:
                pytest.fail(f"{server.base} did not start: {error}")
        yield TwoServers(servers[0].base, servers[1].base, evidence, (tmp_path / "instance-a", tmp_path / "instance-b"),
                         tuple(servers))


def stack_session(request):
    """A ``requests`` session closed after the test: gunicorn's graceful stop would otherwise
    wait for its kept-alive connections."""
    session = requests.Session()
    request.addfinalizer(session.close)
    return session


def token(response) -> str:
    match = CSRF_RE.search(response.text)
    assert match, f"no CSRF token on {response.url} (HTTP {response.status_code})"
    return match.group(1)


def sign_in(browser, base: str, password: str = PASSWORD, username: str = "rina"):
    form = browser.get(f"{base}/login", timeout=60)
    return browser.post(f"{base}/login", data={"csrf_token": token(form), "username": username,
                                               "password": password, "next": ""},
                        allow_redirects=False, timeout=60)


def signed_in(browser, base: str) -> bool:
    """``/healthz/session`` answers a signed-in user and sends anyone else to sign in."""
    response = browser.get(f"{base}/healthz/session", allow_redirects=False, timeout=60)
    assert response.status_code in (200, 302), response.status_code
    return response.status_code == 200 and "Rina Pustakawan" in response.text


def test_a_person_uses_two_servers_as_one(two_servers, request):
    a, b = two_servers.a, two_servers.b
    browser = stack_session(request)

    # signed in on A: the session (cookie signed by A, row in the shared database) holds on B
    assert sign_in(browser, a).status_code == 302
    assert signed_in(browser, b) and signed_in(browser, a)

    # a form rendered by B, submitted to A: B's CSRF token is accepted by A; the evidence
    # is written by A into the shared folder
    form = browser.get(f"{b}/records/new", timeout=60)
    assert form.status_code == 200
    person = re.search(r'name="user_id" value="(\d+)"', form.text).group(1)  # a librarian: themselves
    evidence = b"%PDF-1.4\n% two servers\n" + os.urandom(4096) + b"\n%%EOF\n"
    saved = browser.post(f"{a}/records/new", allow_redirects=False, timeout=60, data={
        "csrf_token": token(form), "user_id": person, "kind": "seminar",
        "provider": "Perpustakaan Nasional", "topic": "Layanan referensi", "start_on": "2026-11-02",
        "end_on": "2026-11-03", "jp": "8", "competency_id": ""},
        files={"evidence": ("sertifikat.pdf", evidence, "application/pdf")})
    assert saved.status_code == 302, saved.text[-2000:]
    record = re.search(r"/records/(\d+)$", saved.headers["Location"]).group(1)

    # B serves the bytes A stored: the same file, from the shared folder, not an instance's
    download = browser.get(f"{b}/records/{record}/evidence", timeout=60)
    assert download.status_code == 200 and download.content == evidence
    assert len(list(two_servers.evidence.iterdir())) == 1
    assert not any(path.is_file() and path.suffix == ".pdf" for instance in two_servers.instances
                   for path in instance.rglob("*"))

    # signed out on B: signed out on A as well - even for a copy of the old cookie, because
    # the session ends on the server (user_sessions), not only in this browser
    stolen = stack_session(request)
    stolen.cookies.update(browser.cookies)
    assert signed_in(stolen, a)
    page = browser.get(f"{a}/healthz/session", timeout=60)
    out = browser.post(f"{b}/logout", data={"csrf_token": token(page)}, allow_redirects=False, timeout=60)
    assert out.status_code == 302 and out.headers["Location"].endswith("/login")
    assert not signed_in(browser, a)
    assert not signed_in(stolen, a) and not signed_in(stolen, b)


def test_the_login_throttle_counts_failures_on_both_servers_together(two_servers, request):
    """Wrong passwords, taken in turn by A and B: neither server alone reaches the limit for
    the address, both together do - and then both refuse even the right password."""
    a, b = two_servers.a, two_servers.b
    browser = stack_session(request)
    # the load balancer's word for where this client is (LMS_PROXIES=1): an address of its
    # own, so the lock does not touch the other test's requests
    browser.headers["X-Forwarded-For"] = "198.51.100.7"
    for attempt in range(MAX_FAILURES_PER_ADDRESS):
        server = (a, b)[attempt % 2]
        failed = sign_in(browser, server, password=f"salah-{attempt}")
        assert failed.status_code == 401, (attempt, failed.status_code)  # checked and counted, not refused
    for server in (a, b):
        refused = sign_in(browser, server)  # the right password, from the locked address
        assert refused.status_code == 429, (server, refused.status_code)
        assert int(refused.headers["Retry-After"]) > 60
    assert not signed_in(browser, a) and not signed_in(browser, b)


def test_each_server_has_its_own_control_socket(two_servers):
    """gunicorn (25.1+) opens a control socket for ``gunicornc``; its default is one path per
    user, so the second server on a machine took the first one's, and ``gunicornc -c
    "worker add 2"`` or ``shutdown`` reached whichever had started last. gunicorn.conf.py
    names it after the bind address: each server answers on its own, about its own workers."""
    import json
    import subprocess

    from bench import infra

    control = infra.BIN / "gunicornc"
    if not control.exists():
        pytest.skip("gunicorn before 25.1 has no control socket")
    paths = []
    for server in two_servers.servers:
        found = re.findall(r"Control socket listening at (\S+)", server.log_path.read_text())
        assert found, server.log_path.read_text()[-2000:]
        paths.append(found[-1])
        answer = subprocess.run([str(control), "-s", found[-1], "-c", "show workers", "-j"], capture_output=True,
                                text=True, timeout=30)
        assert answer.returncode == 0, answer.stdout + answer.stderr
        pids = sorted(worker["pid"] for worker in json.loads(answer.stdout)["workers"])
        assert pids == infra.children_of(server.process.pid), (server.base, found[-1])
    assert paths[0] != paths[1]

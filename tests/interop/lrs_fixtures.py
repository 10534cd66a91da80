"""A real learning record store for the tests: Ralph, started once per session from
``.venv-ralph`` (``make install-test`` creates it), and a small forwarding proxy in front
of it that counts what is sent and can play a store that is down.

Nothing here skips: a Ralph that cannot start fails the tests that need it, loudly.
"""
from __future__ import annotations

import base64
import http.server
import json
import os
import secrets
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RALPH_PYTHON = Path(os.environ.get("PEMBINA_RALPH_PYTHON") or ROOT / ".venv-ralph" / "bin" / "python")
RALPH_START_SECONDS = 90


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Ralph:
    """A running Ralph LRS: ``url`` is its xAPI root (``http://127.0.0.1:PORT/xAPI``)."""

    directory: Path
    username: str = "pembina"
    password: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    port: int = 0
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/xAPI"

    def env(self) -> dict[str, str]:
        return {**os.environ, "RALPH_APP_DIR": str(self.directory / "app"),
                "RALPH_AUTH_FILE": str(self.directory / "auth.json"), "RALPH_RUNSERVER_BACKEND": "fs",
                "RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH": str(self.directory / "data"),
                "RALPH_BACKENDS__DATA__FS__DEFAULT_DIRECTORY_PATH": str(self.directory / "data")}

    def start(self) -> None:
        if not RALPH_PYTHON.exists():
            pytest.fail(f"Ralph is not installed: {RALPH_PYTHON} is missing. Run `make install-test` "
                        "(it creates .venv-ralph with ralph-malph[cli,lrs,backend-fs]).", pytrace=False)
        (self.directory / "data").mkdir(parents=True, exist_ok=True)
        ralph = RALPH_PYTHON.parent / "ralph"
        if not (self.directory / "auth.json").exists():
            done = subprocess.run([str(ralph), "auth", "-u", self.username, "-p", self.password, "-s", "all",
                                   "-M", "mailto:lrs@example.org", "-w"], env=self.env(), capture_output=True,
                                  text=True, timeout=120)
            if done.returncode != 0:
                pytest.fail(f"`ralph auth` failed:\n{done.stderr[-3000:]}", pytrace=False)
        self.port = self.port or free_port()
        log = open(self.directory / "server.log", "ab")  # noqa: SIM115 - kept open for the process
        self.process = subprocess.Popen([str(RALPH_PYTHON), str(Path(__file__).with_name("ralph_server.py")),
                                         "127.0.0.1", str(self.port)], env=self.env(), stdout=log, stderr=log)
        deadline = time.monotonic() + RALPH_START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/__heartbeat__", timeout=2):
                    return
            except (urllib.error.URLError, OSError):
                time.sleep(0.3)
        self.stop()
        server_log = (self.directory / "server.log").read_text(errors="replace")[-3000:]
        pytest.fail(f"Ralph did not start on port {self.port}:\n{server_log}", pytrace=False)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        self.process = None

    def _get(self, path: str) -> dict:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers={
            "Authorization": f"Basic {token}", "X-Experience-API-Version": "1.0.3"})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def statements(self) -> list[dict]:
        """Every statement the store holds (following ``more`` pages)."""
        found: list[dict] = []
        path = "/xAPI/statements?limit=500"
        while path:
            page = self._get(path)
            found.extend(page["statements"])
            path = page.get("more") or ""
        return found


@pytest.fixture(scope="session")
def ralph(tmp_path_factory):
    """One Ralph LRS for the whole session. Tests tell their statements apart by the
    ``homePage`` of their actors (each test's own base URL: :func:`store_for`)."""
    server = Ralph(tmp_path_factory.mktemp("ralph"))
    server.start()
    yield server
    server.stop()


class Proxy(http.server.ThreadingHTTPServer):
    """Forwards to Ralph and counts the statements POSTed through it. ``fail_next`` answers
    the next N requests with 503; ``drop_next`` closes the next N connections unanswered;
    ``down`` answers every request with 503 until cleared."""

    daemon_threads = True

    def __init__(self, target: str):
        super().__init__(("127.0.0.1", 0), ProxyHandler)
        self.target = target
        self.posted: list[str] = []  # statement ids, in the order they reached the store
        self.requests = 0
        self.fail_next = 0
        self.drop_next = 0
        self.down = False
        self.pass_requests: int | None = None  # forward this many more requests, then go down
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/xAPI"


class ProxyHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *_args):  # quiet
        pass

    def do_POST(self):  # noqa: N802 - http.server's naming
        proxy: Proxy = self.server
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with proxy.lock:
            proxy.requests += 1
            if proxy.pass_requests is not None:
                if proxy.pass_requests <= 0:
                    proxy.down = True
                proxy.pass_requests -= 1
            if proxy.drop_next:
                proxy.drop_next -= 1
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if proxy.down or proxy.fail_next:
                proxy.fail_next = max(0, proxy.fail_next - 1)
                self._answer(503, b'{"detail": "maintenance"}')
                return
        request = urllib.request.Request(proxy.target + self.path.removeprefix("/xAPI"), data=body, method="POST",
                                         headers={key: value for key, value in self.headers.items()
                                                  if key.lower() not in ("host", "content-length")})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                status, answer = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, answer = error.code, error.read()
        if 200 <= status < 300:
            with proxy.lock:
                proxy.posted.extend(item["id"] for item in json.loads(body))
        self._answer(status, answer)

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def proxy(ralph):
    server = Proxy(ralph.url)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()

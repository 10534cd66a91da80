"""The machinery of ``make bench``: the scaled database (SQLite file or a PostgreSQL server of
its own), gunicorn, and signed-in HTTP clients. bench/run.py holds the scenarios and the report.

Everything started here is stopped by the context manager that started it, on errors and
Ctrl+C too; processes are stopped by their own id (gunicorn by its own process group).
"""
from __future__ import annotations

import http.client
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

if TYPE_CHECKING:
    from bench.run import Settings

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # run with the project's .venv/bin/python
PASSWORD = "pembina-demo"  # lms.core.demo.DEMO_PASSWORD, kept literal so importing this stays light
PORTS = (20000, 32000)  # below the ephemeral range (32768+), where wrk's own sockets live


class BenchError(RuntimeError):
    """The benchmark cannot go on (missing tool, server that does not start, bad answer)."""


# --- small tools -----------------------------------------------------------------------------

def log(line: str) -> None:
    print(line, flush=True)


def port_range() -> tuple[int, int]:
    """Where servers started here listen: ``BENCH_PORTS`` (``LOW-HIGH``, both included) when
    set - on a machine shared with others, each keeps to its own ports - else PORTS."""
    value = os.environ.get("BENCH_PORTS", "").strip()
    if not value:
        return PORTS
    low, _, high = value.partition("-")
    try:
        return int(low), int(high or low) + 1
    except ValueError:
        raise BenchError(f"BENCH_PORTS must be LOW-HIGH, not {value!r}") from None


def free_port(exclude: Iterable[int] = ()) -> int:
    """A free TCP port on 127.0.0.1 below the ephemeral range, none of ``exclude`` (ports
    chosen for servers that are not listening yet)."""
    rng = random.Random()
    low, high = port_range()
    taken = set(exclude)
    for _ in range(200):
        port = rng.randrange(low, high)
        if port in taken:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise BenchError("no free port found between %d and %d" % (low, high - 1))


def find_wrk() -> str | None:
    return shutil.which("wrk")


def lms_env(database_url: str, instance: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(LMS_DATABASE_URL=database_url, LMS_INSTANCE_PATH=str(instance))
    return env


def run_lms(args: list[str], database_url: str, instance: Path) -> None:
    """``lms <args>`` from the project folder (where ``courses/`` is), output passed through."""
    subprocess.run([str(BIN / "lms"), *args], cwd=ROOT, env=lms_env(database_url, instance), check=True)


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command may hold spaces and parentheses: the fields after the last ")" are fixed
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


# --- the database ----------------------------------------------------------------------------

@contextmanager
def scaled_database(settings: Settings) -> Iterator[str]:
    """The URL of a database holding ``lms demo --scale N`` data, built if not cached."""
    if settings.database_url:
        log(f"Database: {settings.database_url} (BENCH_DATABASE_URL, used as it is)")
        yield settings.database_url
        return
    settings.cache.mkdir(parents=True, exist_ok=True)
    instance = settings.cache / "instance"
    if settings.db == "sqlite":
        path = settings.cache / f"sqlite-{settings.data_name}.db"
        url = f"sqlite:///{path}"
        prepare_scaled(url, path.with_name(path.name + ".ok"), instance, settings,
                       reset=lambda: [p.unlink() for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"))
                                      if p.exists()])
        yield url
        return
    with postgres_cluster(settings.cache / f"postgres-{settings.data_name}") as server:
        url = server.url("pembina_scale")
        prepare_scaled(url, server.data.with_name(server.data.name + ".ok"), instance, settings,
                       reset=lambda: server.recreate("pembina_scale"))
        yield url


def prepare_scaled(url: str, marker: Path, instance: Path, settings: Settings, reset: Callable[[], object]) -> None:
    demo = ["demo", "--scale", str(settings.scale), "--attempts-per-librarian", str(settings.attempts)]
    if settings.organisations:
        demo += ["--organisations", str(settings.organisations)]
    if marker.exists():
        log(f"Database: reusing the {settings.data_name} data ({marker.with_suffix('')})")
        run_lms(["db", "upgrade"], url, instance)
        return
    log(f"Database: building the {settings.data_name} data (lms db upgrade + lms {' '.join(demo)}) ...")
    reset()
    run_lms(["db", "upgrade"], url, instance)
    run_lms(demo, url, instance)
    marker.write_text(" ".join(demo) + "\n")


class PostgresServer:
    """A PostgreSQL server of our own on 127.0.0.1 (data folder kept, server stopped after)."""

    def __init__(self, data: Path, port: int):
        self.data, self.port = data, port
        self.bin = self.find_bin()

    @staticmethod
    def find_bin() -> Path:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                       key=lambda p: [int(x) for x in re.findall(r"\d+", p.parent.parent.name)] or [0])
        if not found:
            raise BenchError("PostgreSQL server binaries not found (apt-get install -y postgresql)")
        return found[-1].parent

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        return subprocess.run([*prefix, *args], cwd="/", check=check, capture_output=True, text=True)

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def start(self) -> None:
        if not (self.data / "PG_VERSION").exists():
            self.data.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(self.data, "postgres", "postgres")
            self.data.chmod(0o700)
            self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust",
                      "-E", "UTF8", "--locale=C.UTF-8")
        # random_page_cost 1.1 (default 4, for spinning disks): the data sit on SSD or in the
        # page cache, and with the default PostgreSQL read a whole-table scan of quiz_scores
        # for a 200-person unit's dashboard instead of its index (see docs/deploy.md)
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k /tmp -c random_page_cost=1.1"
        result = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.data / "server.log"),
                           "-w", "-t", "60", "-o", options,
                           "start", check=False)
        if result.returncode != 0:
            raise BenchError(f"PostgreSQL did not start: {result.stdout}{result.stderr}")

    def restart(self, down: float = 0.0) -> None:
        """``pg_ctl restart -m fast`` (sessions are cut), as its two halves with ``down``
        seconds between them: a restart takes ~0.3 s, less than the app's one retry of a
        refused connection (lms/db_events.py), so only a longer gap shows /healthz's 503."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")
        time.sleep(down)
        self.start()

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop",
                  check=False)

    def recreate(self, name: str) -> None:
        for sql in (f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"'):
            self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-v", "ON_ERROR_STOP=1",
                      "-q", "-c", sql)


@contextmanager
def postgres_cluster(data: Path, port: int | None = None) -> Iterator[PostgresServer]:
    server = PostgresServer(data, port or free_port())
    log(f"PostgreSQL: starting {data} on 127.0.0.1:{server.port}")
    server.start()
    try:
        yield server
    finally:
        log("PostgreSQL: stopping")
        server.stop()


@contextmanager
def scratch_database(url: str, workdir: Path) -> Iterator[str]:
    """An empty database of the same kind as ``url`` (for the course import), dropped after."""
    if url.startswith("sqlite"):
        yield f"sqlite:///{workdir / 'import.db'}"
        return
    import psycopg
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = f"pembina_bench_{os.getpid()}_{random.randrange(10**6)}"
    admin = parsed.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)

    def execute(sql: str) -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(sql)

    execute(f'DROP DATABASE IF EXISTS "{name}"')
    execute(f'CREATE DATABASE "{name}"')
    try:
        yield parsed.set(database=name).render_as_string(hide_password=False)
    finally:
        execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- the server ------------------------------------------------------------------------------

class Gunicorn:
    """``gunicorn -c gunicorn.conf.py lms:create_app()`` in its own process group."""

    def __init__(self, database_url: str, workdir: Path, port: int | None = None, secret_key: str | None = None,
                 workers: int | None = None, instance: Path | None = None, env: dict[str, str] | None = None):
        # a restart (bench/faults.py) passes the port and secret key of the server it replaces,
        # so clients reconnect to the same address with their sessions still valid; a second
        # server of the same site (BENCH_SERVERS, tests/deploy) passes the first one's key and
        # its own ``instance`` folder; ``env`` adds or overrides LMS_* settings
        self.port = port or free_port()
        self.secret_key = secret_key or os.urandom(24).hex()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"gunicorn-{self.port}.log"
        instance = instance or workdir / "instance"
        instance.mkdir(parents=True, exist_ok=True)
        environment = lms_env(database_url, instance)
        environment.update(GUNICORN_BIND=f"127.0.0.1:{self.port}", LMS_ENV="production", LMS_BASE_URL=self.base,
                           LMS_SECRET_KEY=self.secret_key, GUNICORN_ACCESS_LOG="")
        if workers:
            environment["WEB_CONCURRENCY"] = str(workers)
        environment.update(env or {})
        self._terminated = False
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", str(ROOT / "gunicorn.conf.py"), "lms:create_app()"],
            cwd=ROOT, env=environment, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError("gunicorn exited:\n" + self.log_path.read_text()[-3000:])
            try:
                status, _headers, _body = Client(self.port).request("GET", "/healthz/ping")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError("gunicorn did not answer within %d s" % timeout)

    def worker_rss(self) -> list[float]:
        return [mb for mb in (rss_mb(pid) for pid in children_of(self.process.pid)) if mb is not None]

    def cpu_seconds(self) -> float:
        """CPU time of the master and its workers so far (workers restarted since are not counted)."""
        return sum(cpu_seconds(pid) for pid in [self.process.pid, *children_of(self.process.pid)])

    def terminate(self) -> None:
        """Ask for a graceful stop without waiting (several servers stop side by side: each
        master takes a few seconds after its workers have gone)."""
        if self.process.poll() is None and not self._terminated:
            self.process.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
            self._terminated = True

    def stop(self) -> None:
        if self.process.poll() is None:
            self.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its own group, started by us
                self.process.wait()
        self._log.close()


@contextmanager
def gunicorn(database_url: str, workdir: Path) -> Iterator[Gunicorn]:
    server = Gunicorn(database_url, workdir)
    try:
        server.wait_ready()
        time.sleep(1.0)  # the master answers once the first worker is up: let the others start too
        log(f"gunicorn: {server.base} (pid {server.process.pid}, {len(children_of(server.process.pid))} workers)")
        yield server
    finally:
        server.stop()


# --- several servers behind one port ---------------------------------------------------------

NGINX_CONF = """\
# written by bench/infra.py for one run; a round-robin reverse proxy, as docs/deploy.md describes
daemon off;
master_process on;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{
    worker_connections 4096;
}}
http {{
    access_log off;
    client_body_temp_path {prefix}/client_body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    client_max_body_size 16m;
    client_body_buffer_size 1m;
    proxy_max_temp_file_size 0;
    proxy_buffers 64 16k;
    upstream pembina {{
{servers}
        keepalive 64;
        keepalive_timeout 4s;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://pembina;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


def find_nginx() -> str | None:
    return shutil.which("nginx") or next((path for path in ("/usr/sbin/nginx",) if os.access(path, os.X_OK)), None)


class Nginx:
    """Debian's nginx in the foreground with a configuration of our own (its own prefix, pid
    file and logs under ``workdir``; the system's nginx, if any, is not touched): round robin
    over ``upstreams``, HTTP/1.1 with kept-alive connections to them. ``max_fails=0``: a
    server is never taken out of the rotation, so every error reaches the figures.
    ``keepalive_timeout`` stays under gunicorn's 5 s keep-alive, or nginx would reuse a
    connection gunicorn has just closed (and a POST on it is not retried: a 502)."""

    def __init__(self, upstreams: list[int], workdir: Path, port: int):
        binary = find_nginx()
        if binary is None:
            raise BenchError("nginx is not installed (apt-get install -y nginx; `make bench BENCH_SERVERS=2` does it)")
        self.binary, self.port = binary, port
        self.base = f"http://127.0.0.1:{port}"
        self.prefix = workdir / "nginx"
        self.prefix.mkdir(parents=True, exist_ok=True)
        servers = "\n".join(f"        server 127.0.0.1:{upstream} max_fails=0;" for upstream in upstreams)
        self.conf = self.prefix / "nginx.conf"
        self.conf.write_text(NGINX_CONF.format(prefix=self.prefix, servers=servers, port=port))
        self.log_path = self.prefix / "error.log"
        self._log = (self.prefix / "stderr.log").open("ab")
        self.process = subprocess.Popen([binary, "-p", str(self.prefix), "-c", str(self.conf), "-e", str(self.log_path)],
                                        stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def version(self) -> str:
        result = subprocess.run([self.binary, "-v"], capture_output=True, text=True)
        return (result.stderr or result.stdout).strip().rpartition("/")[2]

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                text = "".join(path.read_text(errors="replace")[-2000:] for path in (self.prefix / "stderr.log",
                                                                                     self.log_path) if path.exists())
                raise BenchError("nginx exited:\n" + text)
            try:
                if Client(self.port).request("GET", "/healthz/ping")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise BenchError("nginx did not answer within %d s" % timeout)

    def cpu_seconds(self) -> float:
        return sum(cpu_seconds(pid) for pid in [self.process.pid, *children_of(self.process.pid)])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # nginx's fast shutdown
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)  # its own group, started by us
                self.process.wait()
        self._log.close()


@dataclass
class Site:
    """What the load reaches: one gunicorn, or several behind one nginx port."""

    servers: list[Gunicorn]
    proxy: Nginx | None = None

    @property
    def port(self) -> int:
        return self.proxy.port if self.proxy else self.servers[0].port

    @property
    def base(self) -> str:
        return self.proxy.base if self.proxy else self.servers[0].base

    def worker_rss(self) -> list[float]:
        return [mb for server in self.servers for mb in server.worker_rss()]

    def cpu_seconds(self) -> dict[str, float]:
        """CPU seconds so far of each server (``:port``) and of the proxy."""
        found = {f":{server.port}": server.cpu_seconds() for server in self.servers}
        if self.proxy is not None:
            found["nginx"] = self.proxy.cpu_seconds()
        return found


@contextmanager
def site(database_url: str, workdir: Path, servers: int = 1, proxy: bool = False,
         workers: int | None = None) -> Iterator[Site]:
    """``servers`` gunicorn servers of one site, as docs/deploy.md sets several up: the same
    database, ``LMS_SECRET_KEY`` and ``LMS_BASE_URL``, one shared evidence folder, an instance
    folder each; with ``proxy`` (always with several servers) nginx in front, round robin,
    and ``LMS_PROXIES=1``. One server without a proxy is exactly :func:`gunicorn`'s."""
    if servers == 1 and not proxy:
        with gunicorn(database_url, workdir) as server:
            yield Site([server])
        return
    front_port = free_port()
    ports: list[int] = [front_port]
    env = {"LMS_BASE_URL": f"http://127.0.0.1:{front_port}", "LMS_PROXIES": "1",
           "LMS_RECORDS_EVIDENCE_DIR": str(workdir / "evidence")}
    key = os.urandom(24).hex()
    with ExitStack() as stack:
        started = []
        for number in range(1, servers + 1):
            port = free_port(exclude=ports)
            ports.append(port)
            server = Gunicorn(database_url, workdir, port=port, secret_key=key, workers=workers,
                              instance=workdir / f"instance-{number}", env=env)
            stack.callback(server.stop)
            started.append(server)
        stack.callback(lambda: [server.terminate() for server in started])  # runs first: all stop at once
        for server in started:
            server.wait_ready()
        time.sleep(1.0)  # the master answers once the first worker is up: let the others start too
        nginx = Nginx([server.port for server in started], workdir, front_port)
        stack.callback(nginx.stop)
        nginx.wait_ready()
        for server in started:
            log(f"gunicorn: {server.base} (pid {server.process.pid}, {len(children_of(server.process.pid))} workers)")
        log(f"nginx {nginx.version()}: {nginx.base}, round robin over {len(started)} server(s)")
        yield Site(started, nginx)


# --- signed-in people ------------------------------------------------------------------------

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Client:
    """A tiny HTTP client that keeps cookies (enough to sign in and prepare wrk's sessions)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    def request(self, method: str, path: str, form: dict | list | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Cookie": self.cookie_header()} if self.cookies else {}
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body, headers)
            response = conn.getresponse()
            data = response.read().decode("utf-8", "replace")
        finally:
            conn.close()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            value = rest.split(";", 1)[0]
            if value in ("", '""') or "1970" in cookie:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response.status, response.headers, data


@dataclass
class Session:
    username: str
    cookie: str
    csrf: str


def sign_in(port: int, username: str) -> tuple[Client, str]:
    client = Client(port)
    status, _h, page = client.request("GET", "/login")
    token = CSRF.search(page)
    if status != 200 or not token:
        raise BenchError(f"/login answered {status} without a CSRF token")
    status, headers, _page = client.request("POST", "/login", {"csrf_token": token.group(1), "username": username,
                                                                "password": PASSWORD, "next": ""})
    if status != 302:
        raise BenchError(f"{username} could not sign in (HTTP {status})")
    status, _h, page = client.request("GET", "/healthz/session")  # a fresh token for the new session
    token = CSRF.search(page)
    if status != 200 or not token:
        raise BenchError(f"/healthz/session answered {status} for {username}")
    return client, token.group(1)


def sign_in_all(port: int, usernames: list[str]) -> dict[str, tuple[Client, str]]:
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(usernames, pool.map(lambda name: sign_in(port, name), usernames), strict=True))


class FormFields(HTMLParser):
    """The answer fields of a quiz attempt page, filled with a valid answer each."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, str] = {}
        self._select: str | None = None
        self._options: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name") or ""
        if tag == "input" and name.startswith("q-") and name not in self.fields:
            kind = attrs.get("type", "text")
            self.fields[name] = attrs.get("value", "") if kind in ("radio", "checkbox") else "1"
        elif tag == "select" and name.startswith("q-"):
            self._select, self._options = name, []
        elif tag == "option" and self._select and attrs.get("value"):
            self._options.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            # the k-th list (q-<id>-<k>) takes the k-th choice: different positions and matches
            index = int(self._select.rsplit("-", 1)[1]) if self._select.count("-") == 2 else 0
            if self._options:
                self.fields[self._select] = self._options[index % len(self._options)]
            self._select = None


def quiz_body(client: Client, csrf: str, start_path: str) -> str | None:
    """Start an attempt, read its form, submit it; the answers as a form body (None: no quiz)."""
    status, headers, _page = client.request("POST", start_path, {"csrf_token": csrf})
    match = re.search(r"/quiz/attempt/(\d+)$", headers.get("Location", ""))
    if status != 302 or not match:
        return None
    attempt = match.group(1)
    status, _h, page = client.request("GET", f"/quiz/attempt/{attempt}")
    parser = FormFields()
    parser.feed(page)
    body = urlencode(sorted(parser.fields.items()))
    status, headers, _page = client.request("POST", f"/quiz/attempt/{attempt}/submit",
                                            [("csrf_token", csrf), *sorted(parser.fields.items())])
    if status != 302 or not headers.get("Location", "").endswith("/review"):
        raise BenchError(f"a prepared quiz submit answered {status} ({start_path})")
    return body

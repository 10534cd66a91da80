"""Gunicorn settings for Pembina in production (and for ``make bench``).

    .venv/bin/gunicorn -c gunicorn.conf.py "lms:create_app()"

Every value can be changed without editing this file, through the environment:

``GUNICORN_BIND``     address to listen on; default ``127.0.0.1:8000`` - a reverse proxy
                      (nginx, Caddy) in front terminates TLS and serves nothing else here.
``WEB_CONCURRENCY``   worker processes; default ``2 x CPUs`` (4 on the 2-core machine).
``GUNICORN_THREADS``  threads per worker; default 1 (2-4 when the database is on another host).
``GUNICORN_TIMEOUT``  seconds before a silent worker is restarted; default 60. With gthread
                      this does not stop a slow request (the worker's main loop keeps
                      notifying the arbiter while a thread works): requests bound their own
                      work - Markdown renders in time linear in its length (paragraphs
                      over 5,000 characters are not rendered, lms/plugins/courses/rendering.py),
                      the editor stops at 400,000 characters, posts at 10,000.
``GUNICORN_MAX_REQUESTS``  restart a worker after this many requests (0 = never, default).
``GUNICORN_ACCESS_LOG``    ``-`` for stdout, a file path, or empty (default: no access log;
                      the proxy logs requests).
``GUNICORN_CONTROL_SOCKET``  the Unix socket of ``gunicornc`` (gunicorn 25.1+); default one per
                      bind address, ``pembina-127.0.0.1-8000.ctl`` in ``$XDG_RUNTIME_DIR`` or
                      ``~/.gunicorn/`` (``--no-control-socket`` in ``GUNICORN_CMD_ARGS`` turns it off).

Gunicorn's own ``GUNICORN_CMD_ARGS`` still works and wins over this file.

Why these defaults (measured with ``make bench``, see docs/performance.md):

- **Processes for CPU, threads for waiting.** A request is mostly Python (routing,
  templates, Markdown already rendered at import) and holds the GIL, so throughput grows with
  processes up to the number of cores. Two workers per core keep a core busy while the other
  worker of the pair waits on the database, on a slow client or on a SQLite write lock.
- **gthread workers** keep browser connections alive (the sync worker closes every
  connection). **One thread each** by default: measured on the 2-core machine (SQLite,
  16 clients), 4 workers x 1 thread served the page floor at 1.5-2x the rate of 4 x 4,
  4 x 2 or 2 x 4 (the threads of a process only take turns holding the GIL, and pay for the
  switching); see docs/performance.md. Threads pay off when requests wait for I/O - a
  PostgreSQL server on another host: then try ``GUNICORN_THREADS=2`` to ``4``.
- **preload_app**: the app is built once in the master and forked, so workers share its
  code pages and - outside production, where ``LMS_SECRET_KEY`` is not set - all use the
  one secret key the master generated in the instance folder (workers generating their own
  at the same moment would sign sessions the others reject). ``create_app`` opens no
  database connection, so no connection is shared across the fork.
- **A control socket per server.** gunicorn's own default is one path per user
  (``~/.gunicorn/gunicorn.ctl``): a second server on the machine (two servers of one site, a
  benchmark, the two-server test) replaced the first one's socket, so ``gunicornc -c
  "worker add 2"`` or ``shutdown`` reached whichever started last, and stopping either
  deleted the other's socket. Named after the bind address, each server has its own
  (tests/deploy/test_two_servers.py).
- SQLite: every connection runs in WAL mode with ``synchronous=NORMAL`` and a 5 s busy
  timeout (``lms/db_events.py``), so readers never wait for the writer and concurrent
  writers queue instead of failing. PostgreSQL (``LMS_DATABASE_URL=postgresql://...``)
  needs nothing here: each worker has its own SQLAlchemy pool (5 connections + 10 overflow;
  size ``max_connections`` for workers x servers).
"""
from __future__ import annotations

import multiprocessing
import os
import re


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = _int("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count())
worker_class = "gthread"
threads = _int("GUNICORN_THREADS", 1)
timeout = _int("GUNICORN_TIMEOUT", 60)
graceful_timeout = 30
keepalive = 5  # seconds an idle keep-alive connection stays open (behind a proxy on the same host)
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = max_requests // 10
backlog = 2048
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
proc_name = "pembina"


def _control_socket(address: str) -> str:
    """``pembina-<bind address>.ctl`` where gunicorn would put its single default socket."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    folder = runtime if runtime and os.path.isdir(runtime) else os.path.join(os.path.expanduser("~"), ".gunicorn")
    return os.path.join(folder, "pembina-" + re.sub(r"[^A-Za-z0-9.-]+", "-", address).strip("-") + ".ctl")


control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or _control_socket(bind)
# gunicorn's own trust of X-Forwarded-Proto (the proxy on this host). The app's view of the
# client address comes from LMS_PROXIES (werkzeug's ProxyFix, docs/deploy.md).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

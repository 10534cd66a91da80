"""Faults under load: ``make faults``, i.e. ``python -m bench.faults`` (issue 22, "What to
prove"; docs/reliability.md shows the figures and how to read them).

On a small scaled database (``lms demo --scale N``, cached like ``make bench``'s) and the
app under gunicorn, each scenario runs quiz or reader load with wrk (bench/pembina.lua),
injects one fault and then reports what the clients saw (status counts; a *bare* 500 is a
5xx whose body is not Pembina's error page), the data after (``check_invariants``, the one
checker every scenario uses, and the attempt accounting of ``make bench``) and the time
until the service answered again:

``worker_kill``       SIGKILL a gunicorn worker every 2 s (3 times) under quiz submits.
``server_kill``       SIGKILL the whole server (master and workers) mid-write, start it again (SQLite).
``postgres_restart``  ``pg_ctl restart -m fast`` under quiz submits; /healthz polled meanwhile (PostgreSQL).
``backup_restore``    ``lms backup`` under quiz submits, ``lms restore`` into a fresh database, checked.
``disk_full``         the SQLite file on a small tmpfs filled to the last byte under quiz submits (SQLite, root).
``course_import``     ``lms courses import`` of a changed course while 16 readers read its pages.

Settings (environment): ``FAULTS_DB`` (``sqlite,postgres``), ``FAULTS_SCALE`` (50),
``FAULTS_ATTEMPTS`` (20 quiz attempts per librarian in the data), ``FAULTS_DURATION``
(6 s of load per scenario), ``FAULTS_CLIENTS`` (16), ``FAULTS_SCENARIOS`` (all),
``FAULTS_PG_PORT`` (a free one), ``FAULTS_RESULTS`` (``bench/faults.json``),
``BENCH_CACHE`` (shared with ``make bench``).

Everything started here (gunicorn, PostgreSQL, wrk, a tmpfs mount) is stopped or unmounted
in ``finally`` blocks, by its own process id. Exit code 0 only when every row is green.
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from bench import infra
from bench import run as bench
from bench.infra import ROOT, BenchError, Client, Gunicorn, children_of, log

# Pembina's 500 page in Indonesian (core/error.html and core/error_plain.html): a 5xx body
# without it is the server's bare error, which a client must never see
ERROR_MARKER = "Terjadi kesalahan di sistem kami"
SCENARIO_KEYS = ("worker_kill", "server_kill", "postgres_restart", "backup_restore", "disk_full", "course_import")
ONLY_ON = {"server_kill": "sqlite", "disk_full": "sqlite", "postgres_restart": "postgres"}


@dataclass
class FaultSettings:
    dbs: tuple[str, ...] = ("sqlite", "postgres")
    scale: int = 50
    attempts: int = 20
    duration: float = 6.0
    clients: int = 16
    only: tuple[str, ...] = ()
    pg_port: int | None = None
    cache: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "pembina-bench")
    results: Path = ROOT / "bench" / "faults.json"
    workers: int | None = None  # gunicorn workers (None: gunicorn.conf.py's default)
    kills: int = 3
    kill_every: float = 2.0

    def wants(self, key: str, db: str) -> bool:
        return (not self.only or key in self.only) and ONLY_ON.get(key, db) == db

    def bench_settings(self, db: str) -> bench.Settings:
        return bench.Settings(scale=self.scale, db=db, clients=self.clients, quiz_clients=self.clients,
                              cache=self.cache, attempts=self.attempts, duration=self.duration)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> FaultSettings:
        env = os.environ if env is None else env
        s = cls()
        if env.get("FAULTS_DB"):
            s.dbs = tuple(d.strip().lower() for d in env["FAULTS_DB"].split(",") if d.strip())
        s.scale = int(env.get("FAULTS_SCALE") or s.scale)
        s.attempts = int(env.get("FAULTS_ATTEMPTS") or s.attempts)
        s.duration = float(env.get("FAULTS_DURATION") or s.duration)
        s.clients = int(env.get("FAULTS_CLIENTS") or s.clients)
        s.only = tuple(k.strip() for k in (env.get("FAULTS_SCENARIOS") or "").split(",") if k.strip())
        s.pg_port = int(env["FAULTS_PG_PORT"]) if env.get("FAULTS_PG_PORT") else None
        if env.get("BENCH_CACHE"):
            s.cache = Path(env["BENCH_CACHE"])
        if env.get("FAULTS_RESULTS"):
            s.results = Path(env["FAULTS_RESULTS"])
        if set(s.dbs) - {"sqlite", "postgres"} or not s.dbs:
            raise BenchError("FAULTS_DB must list sqlite and/or postgres")
        if set(s.only) - set(SCENARIO_KEYS):
            raise BenchError(f"unknown FAULTS_SCENARIOS: {', '.join(sorted(set(s.only) - set(SCENARIO_KEYS)))}")
        return s


@dataclass
class Outcome:
    """One row of the table."""

    key: str
    db: str
    fault: str
    load: str
    clients_saw: dict = field(default_factory=dict)
    data_after: dict = field(default_factory=dict)
    recovery_s: float | None = None
    problems: list[str] = field(default_factory=list)
    notes: dict = field(default_factory=dict)

    @property
    def green(self) -> bool:
        return not self.problems


# --- the one invariant checker ---------------------------------------------------------------

@dataclass(frozen=True)
class Baseline:
    """The highest ids before a scenario's load: the checks of single attempts and module
    completions look at the rows written after it (the scale data writes those directly,
    without their events)."""

    attempt_id: int = 0
    event_id: int = 0
    module_completion_id: int = 0
    # the quiz takers' attempts left unfinished by the previous load's end: the first start
    # of this load reopens them, so they belong to it
    reopened: tuple[int, ...] = ()


def baseline(database_url: str, workdir: Path, people: People | None = None) -> Baseline:
    from sqlalchemy import func, select

    from lms.extensions import db
    from lms.plugins.interop.models import LearningEvent
    from lms.plugins.learning.models import ModuleCompletion
    from lms.plugins.quizzes.models import QuizAttempt

    from lms.auth.models import User

    with bench.app_context(database_url, workdir):
        found = Baseline(*(db.session.scalar(select(func.max(column))) or 0
                           for column in (QuizAttempt.id, LearningEvent.id, ModuleCompletion.id)))
        if people is None:
            return found
        names = [name for name, _start in people.plan.quizzers]
        reopened = tuple(db.session.scalars(select(QuizAttempt.id).where(
            QuizAttempt.status == "in_progress", QuizAttempt.user_id.in_(select(User.id).where(
                User.username.in_(names))))))
        return Baseline(found.attempt_id, found.event_id, found.module_completion_id, reopened)


SQLITE_TRIGGERS = {"audit_log_no_update", "audit_log_no_delete", "learning_events_no_update",
                   "learning_events_no_delete"}
POSTGRES_TRIGGERS = {"audit_log_no_change", "learning_events_no_change"}


def check_invariants(database_url: str, workdir: Path, since: Baseline = Baseline()) -> dict:
    """What must hold in any database Pembina leaves behind, read from the tables; every
    figure is a count of violations (0 is right) except ``integrity_check``.

    - a graded attempt (since ``since``) has one answer per question of its version and one
      ``passed``/``failed`` assessment event (counted per person, module and verdict);
    - a passed attempt whose module's requirements are now met has its module completion;
    - every ``quiz_scores`` row equals the recount ``lms quizzes rebuild-scores`` writes
      (computed in a transaction that is rolled back);
    - a module completion (since ``since``) has its ``completed`` event; every course
      completion exactly one certificate;
    - SQLite: ``PRAGMA integrity_check`` is ``ok`` and ``PRAGMA foreign_key_check`` empty;
    - the append-only triggers of the audit log and the learning events are still there.
    """
    from sqlalchemy import and_, func, or_, select, text

    from lms.extensions import db
    from lms.plugins.courses.models import Module, Question
    from lms.plugins.interop.models import LearningEvent
    from lms.plugins.learning import services as learning
    from lms.plugins.learning.models import Certificate, CourseCompletion, ModuleCompletion
    from lms.plugins.quizzes import services as quizzes
    from lms.plugins.quizzes.models import QuizAnswer, QuizAttempt, QuizScore

    found: dict = {}
    with bench.app_context(database_url, workdir):
        sqlite = db.engine.dialect.name == "sqlite"
        graded = and_(or_(QuizAttempt.id > since.attempt_id, QuizAttempt.id.in_(since.reopened)),
                      QuizAttempt.status == "submitted",
                      QuizAttempt.percent.is_not(None))
        answers = (select(QuizAnswer.attempt_id, func.count().label("n")).group_by(QuizAnswer.attempt_id).subquery())
        questions = (select(Question.module_version_id, func.count().label("n"))
                     .group_by(Question.module_version_id).subquery())
        found["graded_attempts_checked"] = db.session.scalar(select(func.count()).select_from(QuizAttempt)
                                                             .where(graded))
        found["answers_not_one_per_question"] = db.session.scalar(
            select(func.count()).select_from(QuizAttempt)
            .outerjoin(answers, answers.c.attempt_id == QuizAttempt.id)
            .outerjoin(questions, questions.c.module_version_id == QuizAttempt.module_version_id)
            .where(graded, func.coalesce(answers.c.n, 0) != func.coalesce(questions.c.n, 0)))

        verdict = {True: "passed", False: "failed"}
        attempts = {(u, m, verdict[bool(p)]): n for u, m, p, n in db.session.execute(
            select(QuizAttempt.user_id, QuizAttempt.module_id, QuizAttempt.passed, func.count())
            .where(graded).group_by(QuizAttempt.user_id, QuizAttempt.module_id, QuizAttempt.passed))}
        events = dict(((u, m, v), n) for u, m, v, n in db.session.execute(
            select(LearningEvent.user_id, LearningEvent.object_id, LearningEvent.verb, func.count())
            .where(LearningEvent.id > since.event_id, LearningEvent.object_type == "assessment",
                   LearningEvent.verb.in_(("passed", "failed")))
            .group_by(LearningEvent.user_id, LearningEvent.object_id, LearningEvent.verb)))
        found["graded_without_assessment_event"] = sum(max(0, n - events.get(k, 0)) for k, n in attempts.items())
        found["assessment_events_without_attempt"] = sum(max(0, n - attempts.get(k, 0)) for k, n in events.items())

        missing_completion = 0
        for user_id, module_id in sorted({(u, m) for u, m, v in attempts if v == "passed"}):
            module = db.session.get(Module, module_id)
            if module is not None and learning.module_requirements_met(user_id, module) \
                    and not learning.is_module_complete(user_id, module_id):
                missing_completion += 1
        found["module_complete_but_not_recorded"] = missing_completion

        columns = [getattr(QuizScore, name) for name in quizzes.SCORE_COLUMNS]
        kept = set(db.session.execute(select(*columns)).all())
        quizzes.rebuild_scores()
        recounted = set(db.session.execute(select(*columns)).all())
        db.session.rollback()
        found["quiz_scores_rows"] = len(kept)
        found["quiz_scores_not_equal_to_recount"] = len(kept ^ recounted)

        found["module_completions_without_event"] = db.session.scalar(
            select(func.count()).select_from(ModuleCompletion).where(
                ModuleCompletion.id > since.module_completion_id, ~select(LearningEvent.id).where(
                LearningEvent.user_id == ModuleCompletion.user_id, LearningEvent.verb == "completed",
                LearningEvent.object_type == "module", LearningEvent.object_id == ModuleCompletion.module_id)
                .exists()))
        found["course_completions_without_one_certificate"] = db.session.scalar(
            select(func.count()).select_from(CourseCompletion).where(
                select(func.count(Certificate.id)).where(Certificate.completion_id == CourseCompletion.id)
                .scalar_subquery() != 1))

        if sqlite:
            found["integrity_check"] = "; ".join(r[0] for r in db.session.execute(text("PRAGMA integrity_check")))
            found["foreign_key_violations"] = len(db.session.execute(text("PRAGMA foreign_key_check")).all())
            names = set(db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")))
            found["append_only_triggers_missing"] = len(SQLITE_TRIGGERS - names)
        else:
            names = set(db.session.scalars(text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")))
            found["append_only_triggers_missing"] = len(POSTGRES_TRIGGERS - names)
        db.session.rollback()
    return found


def invariant_problems(found: dict, where: str = "") -> list[str]:
    prefix = f"{where}: " if where else ""
    problems = [f"{prefix}{name} = {value}" for name, value in found.items()
                if isinstance(value, int) and value and name not in ("graded_attempts_checked", "quiz_scores_rows")]
    if "integrity_check" in found and found["integrity_check"] != "ok":
        problems.append(f"{prefix}integrity_check: {found['integrity_check'][:200]}")
    return problems


# --- load ------------------------------------------------------------------------------------

@dataclass
class People:
    """Signed-in sessions (valid on every server started with ``secret_key``)."""

    secret_key: str
    plan: bench.Plan
    quizzers: list[dict]
    readers: dict[str, tuple[Client, str]]


def sign_in_people(server: Gunicorn, database_url: str, workdir: Path, settings: FaultSettings, db: str) -> People:
    plan = bench.make_plan(database_url, workdir, settings.bench_settings(db))
    names = plan.readers + sorted({name for name, _path in plan.quizzers})
    people = infra.sign_in_all(server.port, names)
    quizzers = []
    for name, start in plan.quizzers:  # one attempt each now: it also closes any left open
        client, csrf = people[name]
        body = infra.quiz_body(client, csrf, start)
        if body is None:
            raise BenchError(f"{name} cannot start {start}")
        quizzers.append({"cookie": client.cookie_header(), "csrf": csrf, "start": start, "body": body})
    return People(server.secret_key, plan, quizzers, {name: people[name] for name in plan.readers})


class Wrk:
    """wrk running in the background; :meth:`result` waits for its report."""

    def __init__(self, base: str, script: Path, connections: int, seconds: float):
        wrk = infra.find_wrk()
        if wrk is None:
            raise BenchError("wrk is not installed (apt-get install -y wrk; `make faults` does it)")
        self.seconds = max(1, round(seconds))
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [wrk, f"-t{connections}", f"-c{connections}", f"-d{self.seconds}s", "--timeout", "20s", "-s", str(script),
             base + "/"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def at(self, seconds: float) -> None:
        """Sleep until ``seconds`` after wrk started."""
        time.sleep(max(0.0, self.started + seconds - time.monotonic()))

    def result(self) -> dict:
        try:
            out, err = self.process.communicate(timeout=self.seconds + 60)
        except subprocess.TimeoutExpired as error:
            self.stop()
            raise BenchError("wrk did not finish") from error
        line = next((line for line in out.splitlines() if line.startswith("BENCH_JSON ")), None)
        if self.process.returncode != 0 or line is None:
            raise BenchError(f"wrk failed ({self.process.returncode}): {out[-2000:]}{err[-2000:]}")
        return json.loads(line[len("BENCH_JSON "):])

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


@contextmanager
def wrk_load(base: str, script: Path, connections: int, seconds: float) -> Iterator[Wrk]:
    load = Wrk(base, script, connections, seconds)
    try:
        yield load
    finally:
        load.stop()


def quiz_script(workdir: Path, people: People) -> Path:
    return bench.wrk_script(workdir, "faults-quiz", "quiz", people.quizzers, error_marker=ERROR_MARKER)


def seen(report: dict) -> dict:
    """What the clients saw: responses by status, bare 5xx, socket errors and the slowest."""
    codes: dict[str, int] = {}
    for thread in report["threads"]:
        for code, n in (thread.get("codes") or {}).items() if isinstance(thread.get("codes"), dict) else ():
            codes[code] = codes.get(code, 0) + int(n)
    errors = {k: v for k, v in report["errors"].items() if v and k != "status"}
    return {"status": dict(sorted(codes.items())), "bare_5xx": sum(int(t.get("bare") or 0) for t in report["threads"]),
            "socket_errors": errors, "max_ms": round(report["max_us"] / 1000)}


def clients_summary(saw: dict) -> str:
    codes = saw.get("status", {})
    parts = [f"{code}: {n}" for code, n in codes.items()]
    if saw.get("bare_5xx") is not None:
        parts.append(f"bare 5xx: {saw['bare_5xx']}")
    if saw.get("socket_errors"):
        parts.append("socket errors: " + ", ".join(f"{k} {v}" for k, v in saw["socket_errors"].items()))
    if "old_version_pages" in saw:
        parts.append(f"old version {saw['old_version_pages']}, new version {saw['new_version_pages']}, "
                     f"neither {saw['neither_version']}")
    for extra in ("healthz", "note"):
        if saw.get(extra):
            parts.append(f"{extra}: {saw[extra]}")
    return "; ".join(parts)


def attempts_after(report: dict, database_url: str, workdir: Path, people: People, since: Baseline) -> dict:
    time.sleep(1.0)  # a request cut off by wrk's end finishes on the server
    names = [name for name, _start in people.plan.quizzers]
    rows = bench.count_attempts(database_url, workdir, names, min((since.attempt_id, *since.reopened)) - 1)
    return bench.check_attempts(report, {i: row for i, row in rows.items()
                                         if i > since.attempt_id or i in since.reopened})


def attempt_problems(checked: dict) -> list[str]:
    return [f"{k} = {checked[k]}" for k in ("lost", "duplicated", "submitted_but_not_graded",
                                             "answer_rows_not_one_per_question") if checked.get(k)]


class HealthPoller:
    """GET /healthz every 50 ms in a thread: (seconds since start when it answered, status or error name)."""

    def __init__(self, port: int):
        self.port = port
        self.samples: list[tuple[float, str]] = []
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/healthz", headers={"Accept": "application/json"})
                status = str(conn.getresponse().status)
                conn.close()
            except OSError as error:
                status = type(error).__name__
            # the time of the answer: a request queued behind the load answers later than it was sent
            self.samples.append((time.monotonic() - self.started, status))
            self._stop.wait(0.05)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for _at, status in self.samples:
            found[status] = found.get(status, 0) + 1
        return found

    def first_ok_after(self, at: float) -> float | None:
        """Seconds from ``at`` (since start) to the first 200 after a failure that followed ``at``."""
        failed = False
        for when, status in self.samples:
            if when < at:
                continue
            if status != "200":
                failed = True
            elif failed:
                return round(when - at, 2)
        return 0.0 if self.samples and not failed else None


@contextmanager
def health_poller(port: int) -> Iterator[HealthPoller]:
    poller = HealthPoller(port)
    try:
        yield poller
    finally:
        poller.stop()


@contextmanager
def server(database_url: str, workdir: Path, settings: FaultSettings, **kwargs) -> Iterator[Gunicorn]:
    process = Gunicorn(database_url, workdir, workers=settings.workers, **kwargs)
    try:
        process.wait_ready()
        time.sleep(1.0)  # the master answers once the first worker is up
        yield process
    finally:
        process.stop()


# --- the scenarios ---------------------------------------------------------------------------

@dataclass
class Context:
    settings: FaultSettings
    db: str
    url: str
    workdir: Path
    people: People
    postgres: infra.PostgresServer | None = None

    @property
    def load(self) -> str:
        return f"{self.settings.clients} clients submitting quizzes, {self.settings.duration:g} s"


def finish_quiz(ctx: Context, outcome: Outcome, report: dict, url: str, since: Baseline) -> None:
    outcome.clients_saw.update(seen(report))
    checked = attempts_after(report, url, ctx.workdir, ctx.people, since)
    found = check_invariants(url, ctx.workdir, since)
    outcome.data_after.update({k: checked[k] for k in ("attempts_submitted", "lost", "duplicated", "reopened",
                                                       "resubmitted")}, invariants=found)
    outcome.problems += attempt_problems(checked) + invariant_problems(found)
    if outcome.clients_saw["bare_5xx"]:
        outcome.problems.append(f"bare 5xx = {outcome.clients_saw['bare_5xx']}")
    if not checked["attempts_submitted"]:
        outcome.problems.append("no quiz submit succeeded under the load")


def worker_kill(ctx: Context) -> Outcome:
    s = ctx.settings
    outcome = Outcome("worker_kill", ctx.db, f"SIGKILL a gunicorn worker every {s.kill_every:g} s, {s.kills} times",
                      ctx.load)
    since = baseline(ctx.url, ctx.workdir, ctx.people)
    with server(ctx.url, ctx.workdir, s, secret_key=ctx.people.secret_key) as gunicorn:
        workers = len(children_of(gunicorn.process.pid))
        recoveries, killed = [], []
        duration = max(s.duration, s.kill_every * (s.kills + 1))
        with wrk_load(gunicorn.base, quiz_script(ctx.workdir, ctx.people), s.clients, duration) as load:
            for n in range(s.kills):
                load.at(s.kill_every * (n + 1) - 1.0)
                pids = children_of(gunicorn.process.pid)
                victim = pids[n % len(pids)]
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
                at = time.monotonic()
                while time.monotonic() - at < 30:  # the master forks a new worker
                    now = children_of(gunicorn.process.pid)
                    if len(now) >= workers and victim not in now:
                        break
                    time.sleep(0.02)
                recoveries.append(round(time.monotonic() - at, 2))
            report = load.result()
    outcome.load = f"{s.clients} clients submitting quizzes, {duration:g} s, {workers} workers"
    outcome.recovery_s = max(recoveries)
    outcome.notes.update(killed=len(killed), worker_back_s=recoveries)
    finish_quiz(ctx, outcome, report, ctx.url, since)
    return outcome


def server_kill(ctx: Context) -> Outcome:
    s = ctx.settings
    outcome = Outcome("server_kill", ctx.db, "SIGKILL the gunicorn master and every worker mid-write, start again",
                      ctx.load)
    since = baseline(ctx.url, ctx.workdir, ctx.people)
    duration = max(s.duration, 8)
    stack = ExitStack()
    with stack:
        first = stack.enter_context(server(ctx.url, ctx.workdir, s, secret_key=ctx.people.secret_key))
        with wrk_load(first.base, quiz_script(ctx.workdir, ctx.people), s.clients, duration) as load, \
                health_poller(first.port) as health:
            load.at(duration / 3)
            killed_at = time.monotonic() - health.started
            os.killpg(first.process.pid, signal.SIGKILL)  # its own process group, started by us
            first.process.wait()
            stack.enter_context(server(ctx.url, ctx.workdir, s, port=first.port,
                                       secret_key=ctx.people.secret_key))
            report = load.result()
            time.sleep(0.5)
        outcome.recovery_s = health.first_ok_after(killed_at)
        outcome.clients_saw["healthz"] = health.counts()
    outcome.load = f"{s.clients} clients submitting quizzes, {duration:g} s"
    finish_quiz(ctx, outcome, report, ctx.url, since)
    if outcome.recovery_s is None:
        outcome.problems.append("/healthz never answered 200 again")
    return outcome


PG_DOWN_S = 5.0  # long enough for a /healthz request queued behind the load to be served while it is down


def postgres_restart(ctx: Context) -> Outcome:
    s = ctx.settings
    outcome = Outcome("postgres_restart", ctx.db, f"PostgreSQL restarted (pg_ctl stop -m fast, down {PG_DOWN_S:g} s, "
                      "start)", ctx.load)
    assert ctx.postgres is not None
    since = baseline(ctx.url, ctx.workdir, ctx.people)
    duration = max(s.duration, 8) + PG_DOWN_S
    with server(ctx.url, ctx.workdir, s, secret_key=ctx.people.secret_key) as gunicorn:
        with wrk_load(gunicorn.base, quiz_script(ctx.workdir, ctx.people), s.clients, duration) as load, \
                health_poller(gunicorn.port) as health:
            load.at(duration / 3)
            restart_at = time.monotonic() - health.started
            started = time.monotonic()
            ctx.postgres.restart(PG_DOWN_S)
            outcome.notes["database_down_s"] = round(time.monotonic() - started, 2)
            report = load.result()
        back = health.first_ok_after(restart_at)
        # from the moment PostgreSQL answers again to /healthz's first 200
        outcome.recovery_s = None if back is None else round(max(0.0, back - outcome.notes["database_down_s"]), 2)
        outcome.notes["healthz_200_after_stop_s"] = back
        outcome.clients_saw["healthz"] = health.counts()
    outcome.load = f"{s.clients} clients submitting quizzes, {duration:g} s"
    finish_quiz(ctx, outcome, report, ctx.url, since)
    if not outcome.clients_saw["healthz"].get("503"):
        outcome.problems.append("/healthz never answered 503 while the database was down")
    if outcome.recovery_s is None:
        outcome.problems.append("/healthz never answered 200 again")
    return outcome


def backup_restore(ctx: Context) -> Outcome:
    s = ctx.settings
    outcome = Outcome("backup_restore", ctx.db, "lms backup under load, lms restore into a fresh database", ctx.load)
    since = baseline(ctx.url, ctx.workdir, ctx.people)
    backup = ctx.workdir / ("backup.db" if ctx.db == "sqlite" else "backup.dump")
    backup.unlink(missing_ok=True)
    with server(ctx.url, ctx.workdir, s, secret_key=ctx.people.secret_key) as gunicorn:
        with wrk_load(gunicorn.base, quiz_script(ctx.workdir, ctx.people), s.clients, s.duration) as load:
            load.at(s.duration / 3)
            started = time.monotonic()
            lms(["backup", str(backup)], ctx.url, ctx.workdir)
            outcome.notes["backup_s"] = round(time.monotonic() - started, 2)
            report = load.result()
    finish_quiz(ctx, outcome, report, ctx.url, since)
    with infra.scratch_database(ctx.url, ctx.workdir / "restored") if ctx.db == "postgres" else \
            _fresh_sqlite(ctx.workdir / "restored.db") as fresh:
        started = time.monotonic()
        lms(["restore", "--yes", str(backup)], fresh, ctx.workdir)
        outcome.recovery_s = round(time.monotonic() - started, 2)
        found = check_invariants(fresh, ctx.workdir, since)
    outcome.data_after["restored_invariants"] = found
    outcome.notes["restore_s"] = outcome.recovery_s
    outcome.problems += invariant_problems(found, "restored copy")
    if not found["graded_attempts_checked"]:
        outcome.problems.append("the backup holds no attempt of the load: taken too early to prove anything")
    return outcome


@contextmanager
def _fresh_sqlite(path: Path) -> Iterator[str]:
    for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        leftover.unlink(missing_ok=True)
    yield f"sqlite:///{path}"


def lms(args: list[str], database_url: str, workdir: Path) -> str:
    instance = workdir / "instance"
    instance.mkdir(exist_ok=True)
    done = subprocess.run([str(infra.BIN / "lms"), *args], cwd=ROOT, env=infra.lms_env(database_url, instance),
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise BenchError(f"lms {' '.join(args)} failed: {done.stdout[-1500:]}{done.stderr[-1500:]}")
    return done.stdout


def sqlite_copy(source_url: str, target: Path) -> str:
    """A consistent copy of an SQLite database (the online backup API), WAL folded in."""
    for leftover in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        leftover.unlink(missing_ok=True)
    src = sqlite3.connect(source_url.removeprefix("sqlite:///"))
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    return f"sqlite:///{target}"


@contextmanager
def small_filesystem(path: Path, megabytes: int) -> Iterator[Path]:
    """A tmpfs of ``megabytes`` at ``path`` (root only), unmounted on the way out."""
    if os.geteuid() != 0:
        raise BenchError("the disk-full scenario mounts a tmpfs: run as root, or leave it out (FAULTS_SCENARIOS)")
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={megabytes}m", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)]).returncode != 0:
            subprocess.run(["umount", "-l", str(path)])


def fill(path: Path) -> int:
    """Write ``path`` until the filesystem is full; the bytes written."""
    written, chunk = 0, b"\0" * (1 << 16)
    with open(path, "wb", buffering=0) as handle:
        while True:
            try:
                written += handle.write(chunk)
            except OSError:
                break
        for size in (4096, 512, 1):  # the last few bytes too
            while True:
                try:
                    written += handle.write(b"\0" * size)
                except OSError:
                    break
    return written


def one_submit(port: int, people: People) -> bool:
    name, start = people.plan.quizzers[0]
    client, csrf = infra.sign_in(port, name) if name not in people.readers else people.readers[name]
    try:
        return infra.quiz_body(client, csrf, start) is not None
    except BenchError:
        return False


def disk_full(ctx: Context) -> Outcome:
    s = ctx.settings
    outcome = Outcome("disk_full", ctx.db, "the filesystem of the database and its WAL full", ctx.load)
    source = Path(ctx.url.removeprefix("sqlite:///"))
    megabytes = int(source.stat().st_size / 2**20) + 24
    with small_filesystem(ctx.workdir / "small", megabytes) as small:
        url = sqlite_copy(ctx.url, small / "full.db")
        since = baseline(url, ctx.workdir, ctx.people)
        with server(url, ctx.workdir, s, secret_key=ctx.people.secret_key) as gunicorn:
            conn = sqlite3.connect(small / "full.db")  # the WAL from nothing: it must grow to write
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.close()
            outcome.notes["filler_mb"] = round(fill(small / "filler") / 2**20, 1)
            with wrk_load(gunicorn.base, quiz_script(ctx.workdir, ctx.people), s.clients, s.duration) as load:
                report = load.result()
            full_saw = seen(report)
            (small / "filler").unlink()
            started = time.monotonic()
            ok = False
            while not ok and time.monotonic() - started < 30:
                ok = one_submit(gunicorn.port, ctx.people)
            outcome.recovery_s = round(time.monotonic() - started, 2) if ok else None
        finish_quiz(ctx, outcome, report, url, since)
    outcome.clients_saw.update(full_saw)
    if not any(code.startswith("5") for code in full_saw["status"]):
        outcome.problems.append("the disk never filled up under the load (no error page): the fault was not reached")
    if full_saw["socket_errors"].get("timeout"):
        outcome.problems.append(f"{full_saw['socket_errors']['timeout']} requests hung (wrk timeouts)")
    if not ok:
        outcome.problems.append("no submit succeeded after the filler was deleted")
    outcome.problems = [p for p in outcome.problems if p != "no quiz submit succeeded under the load"]
    return outcome


COURSE = "katalogisasi"
MODULE_FILE = "01-deskripsi-bibliografis-rda.md"
OLD_TEXT = "Selama puluhan tahun, sebagian besar perpustakaan"  # in the lesson "Dari AACR2 ke RDA"
NEW_TEXT = "Selama puluhan tahun (versi uji impor), sebagian besar perpustakaan"
NEW_MODULE = """---
title: Modul Uji Impor
objectives:
  - Menunjukkan bahwa impor kursus berjalan sementara orang membaca.
competencies: [cat-descriptive]
minutes: 10
---
Modul ini ditambahkan oleh bench/faults.py.

## Satu-satunya pelajaran

Impor kursus berjalan sementara orang membaca.
"""


def canonical(client: Client, path: str) -> str:
    """The path a page answers 200 on (a redirect to it followed once)."""
    status, headers, _page = client.request("GET", path)
    if status in (301, 302, 307, 308) and headers.get("Location"):
        return "/" + headers["Location"].split("://", 1)[-1].split("/", 1)[-1]
    return path


def course_import(ctx: Context) -> Outcome:
    s = ctx.settings
    duration = s.duration + 10  # the import (a process of its own) takes ~5 s on a busy machine: both versions read
    outcome = Outcome("course_import", ctx.db, "lms courses import of a changed course (a lesson text changed, "
                      "a module added)", f"{s.clients} readers of that course's pages, {duration:g} s")
    courses = ctx.workdir / "courses-changed"
    shutil.rmtree(courses, ignore_errors=True)
    shutil.copytree(ROOT / "courses", courses)
    lms(["courses", "import", str(ROOT / "courses")], ctx.url, ctx.workdir)  # the old version, whatever ran before
    module = courses / COURSE / MODULE_FILE
    text = module.read_text()
    if OLD_TEXT not in text:
        raise BenchError(f"{module.relative_to(courses)} no longer holds {OLD_TEXT!r}: update bench/faults.py")
    module.write_text(text.replace(OLD_TEXT, NEW_TEXT, 1))
    (courses / COURSE / "99-modul-uji-impor.md").write_text(NEW_MODULE)
    since = baseline(ctx.url, ctx.workdir, ctx.people)
    with server(ctx.url, ctx.workdir, s, secret_key=ctx.people.secret_key) as gunicorn:
        name, (client, _csrf) = next(iter(ctx.people.readers.items()))
        client = Client(gunicorn.port)
        client.cookies = dict(ctx.people.readers[name][0].cookies)
        paths = [p for p in ctx.people.plan.lessons if p.startswith(f"/courses/{COURSE}/")]
        marked = []
        for path in paths:
            status, _h, page = client.request("GET", path)
            if status == 200 and OLD_TEXT in page:
                marked.append(path)
        if not marked:
            raise BenchError(f"no lesson page of {COURSE} shows {OLD_TEXT!r}")
        course_page = canonical(client, f"/courses/{COURSE}")
        read = marked + [canonical(client, marked[0].rsplit("/", 1)[0]), course_page]
        sessions = [{"cookie": c.cookie_header(), "paths": read, "marked": {p: True for p in marked}}
                    for c, _csrf in ctx.people.readers.values()]
        script = bench.wrk_script(ctx.workdir, "faults-read", "get", sessions, error_marker=ERROR_MARKER,
                                  markers=[OLD_TEXT, NEW_TEXT])
        with wrk_load(gunicorn.base, script, s.clients, duration) as load:
            load.at(1.0)
            started = time.monotonic()
            lms(["courses", "import", str(courses)], ctx.url, ctx.workdir)
            outcome.recovery_s = None
            outcome.notes["import_s"] = round(time.monotonic() - started, 2)
            report = load.result()
        status, _h, page = client.request("GET", marked[0])
        new_visible = status == 200 and NEW_TEXT in page
        status_new, _h, _page = client.request("GET", course_page)
    saw = seen(report)
    hits = {}
    for thread in report["threads"]:
        for index, n in (thread.get("marker_hits") or {}).items() if isinstance(thread.get("marker_hits"), dict) \
                else ():
            hits[index] = hits.get(index, 0) + int(n)
    saw["old_version_pages"], saw["new_version_pages"] = hits.get("1", 0), hits.get("2", 0)
    saw["neither_version"] = sum(int(t.get("unmarked") or 0) for t in report["threads"])
    outcome.clients_saw.update(saw)
    found = check_invariants(ctx.url, ctx.workdir, since)
    outcome.data_after["invariants"] = found
    outcome.data_after["new_text_shown_after"] = new_visible
    outcome.problems += invariant_problems(found)
    not_ok = {code: n for code, n in saw["status"].items() if code != "200"}
    if not_ok or saw["socket_errors"]:
        outcome.problems.append(f"readers saw {not_ok or ''} {saw['socket_errors'] or ''}".strip())
    if saw["neither_version"]:
        outcome.problems.append(f"{saw['neither_version']} pages showed neither the old nor the new text")
    if not new_visible or status_new != 200:
        outcome.problems.append("the new version is not shown after the import")
    if not saw["new_version_pages"] or not saw["old_version_pages"]:
        outcome.notes["warning"] = "the readers did not see both versions (import too fast or too slow)"
    return outcome


SCENARIOS = {"worker_kill": worker_kill, "postgres_restart": postgres_restart, "backup_restore": backup_restore,
             "server_kill": server_kill, "disk_full": disk_full, "course_import": course_import}
ORDER = ("worker_kill", "postgres_restart", "backup_restore", "server_kill", "disk_full", "course_import")


# --- the run ---------------------------------------------------------------------------------

@contextmanager
def database(settings: FaultSettings, db: str, workdir: Path) -> Iterator[tuple[str, infra.PostgresServer | None]]:
    """The scaled database of ``db``: for SQLite a copy of the cached file (a fault may break
    it; the cache stays clean), for PostgreSQL the cached cluster's database."""
    bs = settings.bench_settings(db)
    if db == "sqlite":
        with infra.scaled_database(bs) as url:
            yield sqlite_copy(url, workdir / "faults.db"), None
        return
    data = bs.cache / f"postgres-{bs.data_name}"
    with infra.postgres_cluster(data, settings.pg_port) as pg:
        url = pg.url("pembina_scale")
        infra.prepare_scaled(url, data.with_name(data.name + ".ok"), bs.cache / "instance", bs,
                             reset=lambda: pg.recreate("pembina_scale"))
        yield url, pg


def run_database(settings: FaultSettings, db: str, root: Path) -> list[Outcome]:
    workdir = root / db
    workdir.mkdir()
    outcomes = []
    with database(settings, db, workdir) as (url, pg):
        with server(url, workdir, settings) as first:
            log(f"[{db}] signing in {settings.clients} quiz takers and {settings.clients} readers ...")
            people = sign_in_people(first, url, workdir, settings, db)
        ctx = Context(settings, db, url, workdir, people, pg)
        for key in ORDER:
            if not settings.wants(key, db):
                continue
            log(f"[{db}] {key} ...")
            try:
                outcome = SCENARIOS[key](ctx)
            except BenchError as error:
                outcome = Outcome(key, db, key, ctx.load, problems=[f"could not run: {error}"])
            log(f"[{db}] {key}: {'green' if outcome.green else 'RED: ' + '; '.join(outcome.problems)}")
            outcomes.append(outcome)
    return outcomes


def data_summary(o: Outcome) -> str:
    d = o.data_after
    parts = []
    if "lost" in d:
        parts.append(f"{d['attempts_submitted']} submits acknowledged: lost {d['lost']}, duplicated {d['duplicated']}")
    for key, label in (("invariants", "invariants"), ("restored_invariants", "restored copy")):
        if key in d:
            bad = invariant_problems(d[key])
            extra = f", integrity {d[key]['integrity_check']}" if "integrity_check" in d[key] else ""
            parts.append(f"{label}: {'all hold' if not bad else '; '.join(bad)} "
                         f"({d[key]['graded_attempts_checked']} graded attempts checked{extra})")
    if "new_text_shown_after" in d:
        parts.append("new version shown after" if d["new_text_shown_after"] else "new version NOT shown")
    return "; ".join(parts)


def table(outcomes: list[Outcome]) -> str:
    lines = []
    for o in outcomes:
        recovery = "-" if o.recovery_s is None else f"{o.recovery_s:g} s"
        lines.append(f"{'green' if o.green else 'RED  '} {o.key} ({o.db})\n"
                     f"    fault:     {o.fault}\n    load:      {o.load}\n"
                     f"    clients:   {clients_summary(o.clients_saw)}\n    data:      {data_summary(o)}\n"
                     f"    recovery:  {recovery} {json.dumps(o.notes, ensure_ascii=False)}")
        for problem in o.problems:
            lines.append(f"    PROBLEM:   {problem}")
    return "\n".join(lines)


def run(settings: FaultSettings) -> dict:
    started, load_before = time.time(), os.getloadavg()
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="pembina-faults-") as root:
        for db in settings.dbs:
            outcomes += run_database(settings, db, Path(root))
    document = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
                "seconds": round(time.time() - started, 1),
                "settings": {"scale": settings.scale, "attempts_per_librarian": settings.attempts,
                             "duration_s": settings.duration, "clients": settings.clients, "dbs": list(settings.dbs)},
                "machine": bench.machine(load_before),
                "green": all(o.green for o in outcomes),
                "scenarios": [{**asdict(o), "green": o.green} for o in outcomes]}
    settings.results.parent.mkdir(parents=True, exist_ok=True)
    settings.results.write_text(json.dumps(document, indent=2, ensure_ascii=False, default=str) + "\n")
    log("")
    log(f"Pembina under faults, scale {settings.scale}, {', '.join(settings.dbs)}")
    log(table(outcomes))
    log(f"\n{'All green' if document['green'] else 'NOT all green'}; wrote {settings.results}")
    return document


def main() -> int:
    document: dict = {}

    def body() -> None:
        document.update(run(FaultSettings.from_env()))

    code = bench.as_command(body)
    return code or (0 if document.get("green") else 1)


if __name__ == "__main__":
    sys.exit(main())

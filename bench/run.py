"""Pembina's load test: ``make bench``, i.e. ``python -m bench.run`` from the project folder
(issue 7; docs/performance.md explains the scenarios and the figures).

1. A database with ``lms demo --scale N`` data (``BENCH_SCALE``, default 5,000), built once
   and kept in ``BENCH_CACHE`` under a name keyed by the scale (SQLite file, or a PostgreSQL
   data folder for ``BENCH_DB=postgres``), brought up to date with ``lms db upgrade`` on
   every run. ``BENCH_DATABASE_URL`` uses an existing database as it is instead.
2. The app under gunicorn (``gunicorn.conf.py``) on 127.0.0.1 at a free port below 32768.
3. People sign in (session cookie and CSRF token each); wrk (``bench/pembina.lua``, one
   thread per connection so each connection is one person) drives every HTTP scenario for
   ``BENCH_DURATION`` seconds.
4. After the quiz scenario the database is counted: every attempt wrk saw started exists
   once, every attempt it saw submitted is submitted and graded once, nothing else appeared.
5. In-process timings: the needs analysis over the whole organisation and the course import
   (first, into an empty database, and unchanged again).
6. One table on stdout and ``bench/results.json`` (``BENCH_RESULTS``): req/s, p50, p99, the
   ratios to both floors measured in this run, the gunicorn workers' RSS after each scenario,
   and the issue's targets, met or not.

Everything it starts (gunicorn, a PostgreSQL server, wrk) is stopped in ``finally`` blocks,
also on Ctrl+C and SIGTERM. Quiz attempts of the run stay in the cached database (a few
thousand next to a million at N = 5,000).

Settings (environment): ``BENCH_SCALE`` (5000), ``BENCH_DB`` (``sqlite`` | ``postgres``),
``BENCH_DURATION`` (15 s per scenario), ``BENCH_WARMUP`` (3 s, GET scenarios only),
``BENCH_CLIENTS`` (16), ``BENCH_QUIZ_CLIENTS`` (64), ``BENCH_CACHE``
(``$TMPDIR/pembina-bench``), ``BENCH_DATABASE_URL``, ``BENCH_RESULTS`` (``bench/results.json``,
``bench/results-postgres.json`` for PostgreSQL), ``BENCH_INPROCESS``
(``1``; ``0`` skips the in-process timings), ``BENCH_SERVERS`` (1; 2 or more: that many
gunicorn servers of one site sharing the same total of workers, behind Debian's nginx on one
port, round robin - docs/deploy.md's set-up; results in ``bench/results-2servers.json``),
``BENCH_PROXY`` (``1``: nginx in front of a single server too, to measure the proxy's own
cost; ``bench/results-proxy.json``), ``BENCH_PORTS`` (``LOW-HIGH``: the ports servers
started here may take), ``BENCH_ORGANISATIONS`` (14: the data are a province, ``lms demo
--organisations``; 0 for one organisation), ``BENCH_HEAVY_CLIENTS`` (2: clients for the
province-wide pages), ``BENCH_PAGE_REPEAT`` (7: in-process loads of each page).

The province's pages (issue 20): one library's dashboard (``kepala-palangka``), the
provincial head's dashboard over every library (``kepala-dinas``) and the side-by-side page
``/reports/organisations`` once the app has it (``has_endpoint``); a page the data or the
app cannot serve is left out and named under ``unavailable``. ``pages_inprocess`` loads
each page again in this process: SQL statements of one load, median and p95.
"""
from __future__ import annotations

import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import quote

from bench.infra import (ROOT, BenchError, Site, find_wrk, log, quiz_body, scaled_database, scratch_database,
                         sign_in_all, site)

LUA_SCRIPT = Path(__file__).resolve().parent / "pembina.lua"
SUPERVISOR = "kepala-layanan"  # lms.core.bench_data.BIG_HEAD: the 200-librarian unit (at N = 5,000)
LIBRARY_SUPERVISOR = "kepala-palangka"  # lms.core.bench_data.LIBRARY_HEAD: one library of the province
PROVINCE_SUPERVISOR = "kepala-dinas"  # lms.core.bench_data.ROOT_HEAD: the provincial service and every library
ORGANISATIONS_ENDPOINT = "reports.organisations"  # the provincial side-by-side page, measured once it exists
DEFAULT_ORGANISATIONS = 14  # make bench's province: Central Kalimantan's 13 regencies and 1 city
DEFAULT_ATTEMPTS = 200  # lms.core.bench_data.ATTEMPTS_PER_LIBRARIAN, literal so importing this stays light


# --- settings and scenarios ------------------------------------------------------------------

@dataclass
class Settings:
    scale: int = 5000
    db: str = "sqlite"
    duration: float = 15.0
    warmup: float = 3.0
    clients: int = 16
    quiz_clients: int = 64
    cache: Path = field(default_factory=lambda: Path(tempfile.gettempdir()) / "pembina-bench")
    database_url: str = ""
    results: Path = ROOT / "bench" / "results.json"
    inprocess: bool = True
    attempts: int = DEFAULT_ATTEMPTS  # quiz attempts per librarian in the data (lms demo --attempts-per-librarian)
    only: tuple[str, ...] = ()  # scenario keys to run; empty = all
    servers: int = 1  # gunicorn servers of one site; more than one: behind nginx
    proxy: bool = False  # nginx in front of a single server too
    # libraries below the provincial service that are organisations (lms demo --organisations);
    # from_env (make bench) defaults to DEFAULT_ORGANISATIONS, a Settings made in code to none
    organisations: int = 0
    heavy_clients: int = 2  # concurrency for the province-wide pages (seconds each: 16 would only queue)
    page_repeat: int = 7  # in-process loads of each page (pages_inprocess)
    # seconds of load (and of warm-up) for the province-wide pages; 0: as the others. One
    # load takes seconds, so 15 s would hold a handful of samples, or none on a busy machine
    heavy_duration: float = 0.0
    heavy_warmup: float = 0.0

    @property
    def proxied(self) -> bool:
        return self.proxy or self.servers > 1

    def workers_per_server(self) -> int | None:
        """Several servers share the workers one server would have (WEB_CONCURRENCY, else
        gunicorn.conf.py's 2 x CPUs), so the comparison with one server is like for like."""
        if self.servers == 1:
            return None
        total = int(os.environ.get("WEB_CONCURRENCY") or 2 * (os.cpu_count() or 1))
        return max(1, total // self.servers)

    @property
    def data_name(self) -> str:
        """The cached database's name: the scale, and the activity when it is not the default."""
        suffix = "" if self.attempts == DEFAULT_ATTEMPTS else f"-a{self.attempts}"
        suffix += f"-o{self.organisations}" if self.organisations else ""
        return f"scale-{self.scale}{suffix}"

    def wants(self, key: str) -> bool:
        return not self.only or key in self.only

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        settings = cls()
        settings.scale = int(env.get("BENCH_SCALE") or settings.scale)
        settings.db = (env.get("BENCH_DB") or settings.db).strip().lower()
        settings.duration = float(env.get("BENCH_DURATION") or settings.duration)
        settings.warmup = float(env.get("BENCH_WARMUP") or settings.warmup)
        settings.clients = int(env.get("BENCH_CLIENTS") or settings.clients)
        settings.quiz_clients = int(env.get("BENCH_QUIZ_CLIENTS") or settings.quiz_clients)
        if env.get("BENCH_CACHE"):
            settings.cache = Path(env["BENCH_CACHE"])
        settings.database_url = env.get("BENCH_DATABASE_URL", "")
        if env.get("BENCH_RESULTS"):
            settings.results = Path(env["BENCH_RESULTS"])
        settings.servers = int(env.get("BENCH_SERVERS") or settings.servers)
        settings.proxy = (env.get("BENCH_PROXY") or "0").strip().lower() in ("1", "true", "yes", "nginx")
        if not env.get("BENCH_RESULTS"):  # keep the latest results of each set-up side by side
            suffix = "-postgres" if settings.db == "postgres" else ""
            suffix += f"-{settings.servers}servers" if settings.servers > 1 else "-proxy" if settings.proxy else ""
            settings.results = settings.results.with_name(f"results{suffix}.json")
        settings.inprocess = env.get("BENCH_INPROCESS", "1") not in ("0", "false", "no")
        settings.attempts = int(env.get("BENCH_ATTEMPTS") or settings.attempts)
        settings.organisations = int(env.get("BENCH_ORGANISATIONS") or DEFAULT_ORGANISATIONS)
        settings.heavy_clients = int(env.get("BENCH_HEAVY_CLIENTS") or settings.heavy_clients)
        settings.page_repeat = int(env.get("BENCH_PAGE_REPEAT") or settings.page_repeat)
        settings.heavy_duration = float(env.get("BENCH_HEAVY_DURATION") or 60)
        settings.heavy_warmup = float(env.get("BENCH_HEAVY_WARMUP") or 15)
        settings.only = tuple(key.strip() for key in (env.get("BENCH_SCENARIOS") or "").split(",") if key.strip())
        unknown = set(settings.only) - {scenario.key for scenario in SCENARIOS}
        if unknown:
            raise BenchError(f"unknown BENCH_SCENARIOS: {', '.join(sorted(unknown))}")
        if settings.db not in ("sqlite", "postgres"):
            raise BenchError("BENCH_DB must be sqlite or postgres")
        if settings.scale < 10:
            raise BenchError("BENCH_SCALE must be at least 10")
        if not 1 <= settings.attempts <= 1000:
            raise BenchError("BENCH_ATTEMPTS must be between 1 and 1000")
        if not 0 <= settings.organisations <= DEFAULT_ORGANISATIONS:
            raise BenchError(f"BENCH_ORGANISATIONS must be between 0 and {DEFAULT_ORGANISATIONS}")
        if not 1 <= settings.servers <= 8:
            raise BenchError("BENCH_SERVERS must be between 1 and 8")
        return settings


@dataclass(frozen=True)
class Scenario:
    """One measured line of the table. ``kind`` is ``get`` or ``quiz`` (wrk) or ``inprocess``."""

    key: str
    label: str
    kind: str
    clients: str = "clients"  # which setting gives the concurrency: "clients", "quiz_clients", "heavy_clients"
    viewer: str = ""  # who loads ``path`` (page scenarios)
    path: str = ""


SCENARIOS = (
    Scenario("bare_floor", "bare floor: GET /healthz/ping, no session, no database", "get"),
    Scenario("page_floor", "page floor: a librarian's empty page (/healthz/session)", "get"),
    Scenario("lesson", "lesson: librarians reading lesson pages", "get"),
    Scenario("quiz_submit", "quiz submit: librarians starting and submitting attempts", "quiz", "quiz_clients"),
    Scenario("dashboard", f"dashboard: {SUPERVISOR}'s /reports/", "get", viewer=SUPERVISOR, path="/reports/"),
    Scenario("dashboard_library", f"dashboard of one library: {LIBRARY_SUPERVISOR}'s /reports/", "get",
             viewer=LIBRARY_SUPERVISOR, path="/reports/"),
    Scenario("dashboard_province", f"dashboard of the province: {PROVINCE_SUPERVISOR}'s /reports/", "get",
             "heavy_clients", viewer=PROVINCE_SUPERVISOR, path="/reports/"),
    Scenario("organisations", f"libraries side by side: {PROVINCE_SUPERVISOR}'s /reports/organisations", "get",
             "heavy_clients", viewer=PROVINCE_SUPERVISOR, path="/reports/organisations"),
    Scenario("pages_inprocess", "the dashboards and side by side in-process: statements, median, p95", "inprocess"),
    Scenario("needs_analysis", "needs analysis, whole organisation (in-process)", "inprocess"),
    Scenario("course_import_first", "course import of courses/, empty database (in-process)", "inprocess"),
    Scenario("course_import_again", "course import again, unchanged (in-process)", "inprocess"),
)


@dataclass
class Result:
    key: str
    label: str
    clients: int | None = None
    requests: int = 0
    seconds: float = 0.0
    rps: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    statements: int | None = None  # SQL statements of one load (in-process page timings)
    errors: int = 0
    ratio_rps_to_bare: float | None = None
    ratio_rps_to_page: float | None = None
    ratio_p50_to_page: float | None = None
    worker_rss_mb: list[float] = field(default_factory=list)
    notes: dict = field(default_factory=dict)


# --- what the database tells -----------------------------------------------------------------

@contextmanager
def app_context(database_url: str, workdir: Path):
    from lms import create_app
    from lms.extensions import db

    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(workdir / "inproc"),
                      "SECRET_KEY": "bench"})
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


@dataclass
class Plan:
    """Who does what: read from the scaled database before the load starts."""

    readers: list[str]
    quizzers: list[tuple[str, str]]  # (username, start path)
    lessons: list[str]
    # page scenarios that cannot run on these data or this code, with the reason: no library
    # organisations (BENCH_ORGANISATIONS=0), or the side-by-side page not built yet
    unavailable: dict[str, str] = field(default_factory=dict)


def make_plan(database_url: str, workdir: Path, settings: Settings) -> Plan:
    from sqlalchemy import select

    from lms.auth.models import User
    from lms.core import bench_data as scale
    from lms.extensions import db
    from lms.plugins.courses.models import Course, Module

    with app_context(database_url, workdir):
        unavailable = page_scenarios_unavailable()
        people = scale.people()
        if not people:
            raise BenchError("no scale data in this database (lms demo --scale N)")
        names = dict(db.session.execute(select(User.id, User.username)
                                        .where(User.id.in_([p.id for p in people]))).all())
        ordered = [names[p.id] for p in people]
        lessons, modules = [], []
        for course in db.session.scalars(select(Course).where(Course.published.is_(True)).order_by(Course.id)):
            for module in db.session.scalars(select(Module).where(Module.course_id == course.id,
                                                                  Module.active.is_(True)).order_by(Module.position)):
                version = module.current_version
                if version is None:
                    continue
                lessons += [f"/courses/{course.slug}/{module.slug}/{lesson.slug}" for lesson in version.lessons]
                # an essay waits for a grader: the scenario submits quizzes graded on the spot
                graded_at_once = all(question.type != "essay" for question in version.questions)
                if version.questions and graded_at_once and not (version.settings or {}).get("attempts"):
                    modules.append(f"/quiz/{course.slug}/{module.slug}/start")
    step = max(1, len(ordered) // settings.clients)
    readers = ordered[::step][:settings.clients]
    others = [name for name in ordered if name not in set(readers)] or ordered
    quizzers = []
    for index in range(settings.quiz_clients):  # distinct (person, module) pairs
        person = others[index % len(others)]
        quizzers.append((person, modules[(index // len(others) + index) % len(modules)]))
    if len(set(quizzers)) != len(quizzers):
        raise BenchError("not enough people and modules for BENCH_QUIZ_CLIENTS distinct pairs")
    return Plan(readers, quizzers, [quote(path, safe="/") for path in lessons], unavailable)


def page_scenarios_unavailable() -> dict[str, str]:
    """The page scenarios these data or this app cannot serve (in an app context), and why."""
    from sqlalchemy import select

    from lms.auth.models import Organisation, Unit, UnitSupervisor, User
    from lms.extensions import db
    from lms.pluginmanager import has_endpoint

    heads = set(db.session.scalars(
        select(User.username).join(UnitSupervisor, UnitSupervisor.user_id == User.id)
        .join(Organisation, Organisation.unit_id == UnitSupervisor.unit_id)
        .join(Unit, Unit.id == Organisation.unit_id).where(Unit.parent_id.is_not(None))))
    unavailable = {}
    if LIBRARY_SUPERVISOR not in heads:
        unavailable["dashboard_library"] = f"{LIBRARY_SUPERVISOR} heads no library (lms demo --organisations 0)"
    if not has_endpoint(ORGANISATIONS_ENDPOINT):
        unavailable["organisations"] = f"no page {ORGANISATIONS_ENDPOINT} in this app"
    return unavailable


def count_attempts(database_url: str, workdir: Path, usernames: list[str], after_id: int | None = None):
    """Attempts of ``usernames``: the highest id, or (after ``after_id``) id -> (status, answers, graded)."""
    from sqlalchemy import func, select

    from lms.auth.models import User
    from lms.extensions import db
    from lms.plugins.courses.models import Question
    from lms.plugins.quizzes.models import QuizAnswer, QuizAttempt

    with app_context(database_url, workdir):
        users = select(User.id).where(User.username.in_(usernames))
        if after_id is None:
            return db.session.scalar(select(func.max(QuizAttempt.id))) or 0
        answers = (select(QuizAnswer.attempt_id, func.count().label("n"), func.count(QuizAnswer.credit).label("graded"))
                   .group_by(QuizAnswer.attempt_id).subquery())
        questions = (select(Question.module_version_id, func.count().label("n"))
                     .group_by(Question.module_version_id).subquery())
        rows = db.session.execute(
            select(QuizAttempt.id, QuizAttempt.status, answers.c.n, answers.c.graded, QuizAttempt.percent,
                   questions.c.n)
            .outerjoin(answers, answers.c.attempt_id == QuizAttempt.id)
            .outerjoin(questions, questions.c.module_version_id == QuizAttempt.module_version_id)
            .where(QuizAttempt.user_id.in_(users), QuizAttempt.id > after_id))
        return {row[0]: (row[1], row[2] or 0, row[3] or 0, row[4], row[5] or 0) for row in rows}


def check_attempts(report: dict, rows: dict) -> dict:
    """Compare what wrk saw with the database.

    lost = acknowledged but not there (or not submitted); duplicated = a graded attempt
    that no start asked for (beyond one per request cut off by the end of the run) - two
    graded attempts for one submit. Not flaws, and counted apart: ``reopened``, a start
    that led to an attempt the same client had started before (after an error the quiz
    page offers the unfinished attempt again, as it should), and ``resubmitted``, a submit
    acknowledged again for an attempt already graded (a replay answers with the same result).
    """
    started = [int(i) for t in report["threads"] for i in t["started"].split(",") if i]
    submitted = [int(i) for t in report["threads"] for i in t["submitted"].split(",") if i]
    cut_off = sum(1 for t in report["threads"] if t["pending"] == "start")
    lost = len({i for i in started if i not in rows} | {i for i in submitted if rows.get(i, ("",))[0] != "submitted"})
    unexpected = [i for i in rows if i not in set(started)]
    duplicated = max(0, len(unexpected) - cut_off)
    ungraded = sum(1 for i in submitted if i in rows and (rows[i][3] is None or rows[i][2] != rows[i][1]))
    # one answer row per question of the attempt's version: fewer were lost, more duplicated
    answer_rows = sum(1 for i in submitted if i in rows and rows[i][1] != rows[i][4])
    return {"attempts_started": len(started), "attempts_submitted": len(submitted),
            "attempts_in_database": len(rows), "cut_off_by_the_end": cut_off,
            "lost": lost, "duplicated": duplicated, "submitted_but_not_graded": ungraded,
            "answer_rows_not_one_per_question": answer_rows,
            "reopened": len(started) - len(set(started)), "resubmitted": len(submitted) - len(set(submitted))}


# --- wrk -------------------------------------------------------------------------------------

def lua_value(value) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=True)  # ASCII only: a valid Lua string as well
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"[{lua_value(k)}] = {lua_value(v)}" for k, v in value.items()) + "}"
    return "{" + ", ".join(lua_value(v) for v in value) + "}"


def wrk_script(workdir: Path, key: str, mode: str, sessions: list[dict], **extra) -> Path:
    """bench/pembina.lua with its DATA table; ``extra`` adds keys (bench/faults.py's markers)."""
    path = workdir / f"{key}.lua"
    path.write_text(f"DATA = {lua_value({'mode': mode, 'sessions': sessions, **extra})}\n\n{LUA_SCRIPT.read_text()}")
    return path


def run_wrk(wrk: str, base: str, script: Path, connections: int, seconds: float) -> dict:
    duration = max(1, round(seconds))
    cmd = [wrk, f"-t{connections}", f"-c{connections}", f"-d{duration}s", "--timeout", "30s", "-s", str(script),
           base + "/"]
    try:
        result = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60)
    except subprocess.TimeoutExpired as error:
        raise BenchError(f"wrk did not finish: {' '.join(cmd)}") from error
    line = next((line for line in result.stdout.splitlines() if line.startswith("BENCH_JSON ")), None)
    if result.returncode != 0 or line is None:
        raise BenchError(f"wrk failed ({result.returncode}): {result.stdout[-2000:]}{result.stderr[-2000:]}")
    return json.loads(line[len("BENCH_JSON "):])


def http_result(scenario: Scenario, clients: int, report: dict) -> Result:
    seconds = report["duration_us"] / 1e6
    socket_errors = sum(report["errors"][k] for k in ("connect", "read", "write", "timeout"))
    bad = sum(t["bad"] for t in report["threads"])
    result = Result(scenario.key, scenario.label, clients, seconds=round(seconds, 2), errors=bad + socket_errors)
    if scenario.kind == "quiz":
        latencies = sorted(ms for t in report["threads"] for ms in (t["submit_ms"] or []))
        result.requests = len(latencies)
        if latencies:
            result.p50_ms = round(percentile(latencies, 50), 2)
            result.p95_ms = round(percentile(latencies, 95), 2)
            result.p99_ms = round(percentile(latencies, 99), 2)
        result.notes["all_requests"] = report["requests"]  # starts and submits
    else:
        result.requests = report["requests"]
        result.p50_ms = round(report["p50_us"] / 1000, 2)
        result.p95_ms = round(report["p95_us"] / 1000, 2) if "p95_us" in report else None
        result.p99_ms = round(report["p99_us"] / 1000, 2)
    result.rps = round(result.requests / seconds, 1) if seconds else None
    return result


def percentile(ordered: list[float], pct: float) -> float:
    """Nearest-rank percentile of a sorted list."""
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


# --- in-process timings ----------------------------------------------------------------------

def timed(call: Callable[[], object], repeat: int) -> tuple[float, list[float]]:
    """The median of ``repeat`` runs (one run when the first takes over 5 s)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        times.append(time.perf_counter() - start)
        if times[0] > 5:
            break
    return statistics.median(times), times


def time_needs_analysis(database_url: str, workdir: Path) -> Result:
    from sqlalchemy import func, select

    from lms.extensions import db
    from lms.plugins.needs import analysis, evidence
    from lms.plugins.needs.models import StaffResponse

    scenario = next(s for s in SCENARIOS if s.key == "needs_analysis")
    with app_context(database_url, workdir):
        needs_round = analysis.latest_closed_round()
        if needs_round is None:
            raise BenchError("no closed needs round in the scale data")
        responses = db.session.scalar(select(func.count()).select_from(StaffResponse)
                                      .where(StaffResponse.round_id == needs_round.id))
        # cold: the kept quiz evidence dropped (version raised), so the first run sums the
        # answers again and keeps them; then the runs every later visitor sees
        evidence.invalidate()
        db.session.commit()
        cold, _times = timed(lambda: analysis.analyze(needs_round), 1)
        median, times = timed(lambda: analysis.analyze(needs_round), 5)
    return Result(scenario.key, scenario.label, requests=len(times), seconds=round(median, 3),
                  p50_ms=round(median * 1000, 1), notes={"staff_responses": responses, "cold_s": round(cold, 3),
                                                          "runs_s": [round(t, 3) for t in times]})


def time_course_import(database_url: str, workdir: Path) -> list[Result]:
    from flask_migrate import upgrade

    from lms.plugins.courses import services

    first_s, again_s = (next(s for s in SCENARIOS if s.key == key)
                        for key in ("course_import_first", "course_import_again"))
    with scratch_database(database_url, workdir) as url, app_context(url, workdir):
        upgrade()
        start = time.perf_counter()
        report = services.import_courses([ROOT / "courses"])
        first = time.perf_counter() - start
        if not report.ok:
            raise BenchError("course import failed: " + "; ".join(report.problems[:5]))
        median, times = timed(lambda: services.import_courses([ROOT / "courses"]), 3)
        from lms.extensions import db

        db.session.remove()
    notes = {"modules_created": len(report.created)}
    return [Result(first_s.key, first_s.label, requests=1, seconds=round(first, 3), p50_ms=round(first * 1000, 1),
                   notes=notes),
            Result(again_s.key, again_s.label, requests=len(times), seconds=round(median, 3),
                   p50_ms=round(median * 1000, 1), notes={"runs_s": [round(t, 3) for t in times],
                                                          "share_of_first": round(median / first, 3)})]


def page_scenarios() -> list[Scenario]:
    return [s for s in SCENARIOS if s.kind == "get" and s.viewer]


def time_pages(database_url: str, workdir: Path, repeat: int, unavailable: dict[str, str],
               only: Callable[[str], bool] = lambda key: True) -> Result:
    """Each page scenario once more in this process, one viewer at a time: the SQL statements
    of one load (a ``before_cursor_execute`` listener), then the median and p95 of ``repeat``
    loads after a warm-up - the page's own cost, which the machine's other load and the
    queue of clients blur far less than wrk's latencies."""
    from sqlalchemy import event

    from lms import create_app
    from lms.extensions import db

    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(workdir / "inproc"),
                      "SECRET_KEY": "bench"})
    scenario = next(s for s in SCENARIOS if s.key == "pages_inprocess")
    pages = {}
    with app.app_context():
        engine = db.engine
    try:
        for page in page_scenarios():
            if page.key in unavailable or not only(page.key):
                continue
            client = app.test_client()
            sign_in_test_client(client, page.viewer)
            statements: list[str] = []
            record = statements_recorder(statements)
            first = client.get(page.path)  # warm-up: caches, the SQLite page cache, the plan cache
            if first.status_code != 200:
                raise BenchError(f"{page.path} answered {first.status_code} to {page.viewer}")
            event.listen(engine, "before_cursor_execute", record)
            try:
                client.get(page.path)
            finally:
                event.remove(engine, "before_cursor_execute", record)
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                client.get(page.path)
                times.append((time.perf_counter() - start) * 1000)
            ordered = sorted(times)
            pages[page.key] = {"viewer": page.viewer, "path": page.path, "statements": len(statements),
                               "bytes": len(first.data), "p50_ms": round(statistics.median(ordered), 1),
                               "p95_ms": round(percentile(ordered, 95), 1), "runs_ms": [round(t, 1) for t in times]}
            log(f"    {page.key}: {len(statements)} statements, median {pages[page.key]['p50_ms']:,} ms")
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return Result(scenario.key, scenario.label, requests=repeat * len(pages), notes={"pages": pages})


def statements_recorder(statements: list[str]) -> Callable:
    """A ``before_cursor_execute`` listener that appends each statement to ``statements``."""
    def record(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)
    return record


def sign_in_test_client(client, username: str) -> None:
    import re

    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get("/login").get_data(as_text=True))
    if token is None:
        raise BenchError("no CSRF token on /login")
    answer = client.post("/login", data={"username": username, "password": "pembina-demo",
                                         "csrf_token": token.group(1)})
    if answer.status_code != 302:
        raise BenchError(f"{username} could not sign in ({answer.status_code})")


# --- the run ---------------------------------------------------------------------------------

def run_http(settings: Settings, wrk: str, server: Site, database_url: str, workdir: Path) -> list[Result]:
    """Every HTTP scenario against ``server``: one gunicorn, or several behind one port."""
    plan = make_plan(database_url, workdir, settings)
    pages = [s for s in page_scenarios() if settings.wants(s.key) and s.key not in plan.unavailable]
    viewers = list(dict.fromkeys(s.viewer for s in pages))
    log(f"Signing in {len(plan.readers)} readers, {len(plan.quizzers)} quiz takers and {', '.join(viewers)} ...")
    people = sign_in_all(server.port, plan.readers + sorted({name for name, _path in plan.quizzers}) + viewers)

    def session(name: str, **extra) -> dict:
        client, csrf = people[name]
        return {"cookie": client.cookie_header(), "csrf": csrf, **extra}

    quizzers = []
    for name, start in plan.quizzers if settings.wants("quiz_submit") else ():  # also closes any attempt left open
        client, csrf = people[name]
        body = quiz_body(client, csrf, start)
        if body is None:
            raise BenchError(f"{name} cannot start {start}")
        quizzers.append(session(name, start=start, body=body))
    sessions = {
        "bare_floor": [{"paths": ["/healthz/ping"]}],
        "page_floor": [session(name, paths=["/healthz/session"]) for name in plan.readers],
        "lesson": [session(name, paths=plan.lessons) for name in plan.readers],
        **{s.key: [session(s.viewer, paths=[s.path])] for s in pages},
    }
    results = []
    for scenario in SCENARIOS:
        if scenario.kind == "inprocess" or not settings.wants(scenario.key):
            continue
        if scenario.key in plan.unavailable:
            log(f"  {scenario.key}: skipped, {plan.unavailable[scenario.key]}")
            continue
        clients = getattr(settings, scenario.clients)
        heavy = scenario.clients == "heavy_clients"
        duration = settings.heavy_duration if heavy and settings.heavy_duration else settings.duration
        warmup = settings.heavy_warmup if heavy and settings.heavy_warmup else settings.warmup
        if scenario.kind == "get":
            script = wrk_script(workdir, scenario.key, "get", sessions[scenario.key])
            if warmup > 0:
                run_wrk(wrk, server.base, script, clients, warmup)
            log(f"  {scenario.key}: {clients} clients, {duration:g} s ...")
            cpu_before = server.cpu_seconds()
            result = http_result(scenario, clients, run_wrk(wrk, server.base, script, clients, duration))
        else:
            users = [name for name, _path in plan.quizzers]
            before = count_attempts(database_url, workdir, users)
            script = wrk_script(workdir, scenario.key, "quiz", quizzers)
            log(f"  {scenario.key}: {clients} clients, {settings.duration:g} s ...")
            cpu_before = server.cpu_seconds()
            report = run_wrk(wrk, server.base, script, clients, settings.duration)
            result = http_result(scenario, clients, report)
            time.sleep(1.0)  # let a request cut off by wrk's end finish on the server
            result.notes.update(check_attempts(report, count_attempts(database_url, workdir, users, before)))
        result.worker_rss_mb = server.worker_rss()
        # CPU seconds of each server (and nginx) in the measured run: how the work was shared,
        # and each one's cost per request, which the machine's other load blurs less than req/s
        result.notes["cpu_s"] = {name: round(seconds - cpu_before.get(name, 0.0), 2)
                                 for name, seconds in server.cpu_seconds().items()}
        results.append(result)
    return results


def add_ratios(results: list[Result]) -> None:
    by_key = {r.key: r for r in results}
    bare, page = by_key.get("bare_floor"), by_key.get("page_floor")
    for result in results:
        if result.rps is None:
            continue
        if bare and bare.rps:
            result.ratio_rps_to_bare = round(result.rps / bare.rps, 3)
        if page and page.rps:
            result.ratio_rps_to_page = round(result.rps / page.rps, 3)
        if page and page.p50_ms and result.p50_ms is not None:
            result.ratio_p50_to_page = round(result.p50_ms / page.p50_ms, 2)


def targets(results: list[Result]) -> list[dict]:
    """The issue's targets (issue 7, item 5) on this run's figures."""
    r = {result.key: result for result in results}
    checks = []

    def check(name: str, value, limit: str, met: bool | None) -> None:
        checks.append({"target": name, "value": value, "limit": limit, "met": met})

    if "page_floor" in r and r["page_floor"].ratio_rps_to_bare is not None:
        check("page floor req/s vs bare floor", r["page_floor"].ratio_rps_to_bare, ">= 0.4",
              r["page_floor"].ratio_rps_to_bare >= 0.4)
    if "lesson" in r and r["lesson"].ratio_rps_to_page is not None:
        check("lesson req/s vs page floor", r["lesson"].ratio_rps_to_page, ">= 0.6", r["lesson"].ratio_rps_to_page >= 0.6)
        check(f"lesson p99 ms ({r['lesson'].clients} clients)", r["lesson"].p99_ms, "< 100", r["lesson"].p99_ms < 100)
    if "quiz_submit" in r:
        quiz = r["quiz_submit"]
        flaws = [quiz.notes.get(k) for k in ("lost", "duplicated", "submitted_but_not_graded",
                                             "answer_rows_not_one_per_question")]
        check("quiz submit: attempts lost / duplicated / ungraded / answers not one per question", flaws,
              "all 0", flaws == [0, 0, 0, 0])
        check(f"quiz submit p99 ms ({quiz.clients} clients)", quiz.p99_ms, "< 250",
              quiz.p99_ms is not None and quiz.p99_ms < 250)
    if "dashboard" in r and r["dashboard"].ratio_p50_to_page is not None:
        check("dashboard p50 vs page floor p50", r["dashboard"].ratio_p50_to_page, "<= 15",
              r["dashboard"].ratio_p50_to_page <= 15)
    if "needs_analysis" in r:
        check("needs analysis s", r["needs_analysis"].seconds, "< 1", r["needs_analysis"].seconds < 1)
    if "course_import_again" in r:
        share = r["course_import_again"].notes.get("share_of_first")
        check("unchanged re-import vs first import", share, "<= 0.10", share is not None and share <= 0.10)
    rss = [mb for result in results for mb in result.worker_rss_mb]
    if rss:
        check("gunicorn worker RSS MB (max)", max(rss), "< 150", max(rss) < 150)
    return checks


def table(results: list[Result], checks: list[dict]) -> str:
    def fmt(value, spec: str = ",.1f") -> str:
        return "-" if value is None else format(value, spec)

    head = f"{'scenario':<22}{'clients':>8}{'req/s':>10}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}{'x bare':>8}" \
           f"{'x page':>8}{'p50/page':>10}{'errors':>8}{'RSS MB':>8}"
    lines = [head, "-" * len(head)]
    for r in results:
        if r.key == "pages_inprocess":
            continue
        rss = max(r.worker_rss_mb) if r.worker_rss_mb else None
        lines.append(f"{r.key:<22}{fmt(r.clients, 'd'):>8}{fmt(r.rps):>10}{fmt(r.p50_ms, ',.2f'):>10}"
                     f"{fmt(r.p95_ms, ',.2f'):>10}{fmt(r.p99_ms, ',.2f'):>10}{fmt(r.ratio_rps_to_bare, '.2f'):>8}"
                     f"{fmt(r.ratio_rps_to_page, '.2f'):>8}{fmt(r.ratio_p50_to_page, '.1f'):>10}{r.errors:>8}{fmt(rss):>8}")
    pages = next((r.notes.get("pages") for r in results if r.key == "pages_inprocess"), None)
    if pages:
        lines += ["", f"{'in-process, one client':<34}{'statements':>11}{'median ms':>11}{'p95 ms':>10}{'kB':>8}"]
        for key, page in pages.items():
            lines.append(f"{key:<34}{page['statements']:>11}{page['p50_ms']:>11,.1f}{page['p95_ms']:>10,.1f}"
                         f"{page['bytes'] // 1024:>8,}")
    lines.append("")
    for c in checks:
        mark = "met   " if c["met"] else "MISSED"
        lines.append(f"  {mark} {c['target']}: {c['value']} (target {c['limit']})")
    return "\n".join(lines)


def machine(load_before: tuple[float, ...]) -> dict:
    """Where the figures come from; the load averages tell whether other work shared the cores."""
    import platform

    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()]}


def run(settings: Settings, extra: Callable[[str, Path, dict], None] | None = None) -> dict:
    """The whole benchmark; returns (and writes) the results document. ``extra(url, workdir,
    notes)`` runs on the same database after the load (the scaling curve's own figures)."""
    document_extra: dict = {}
    wrk = find_wrk()
    if wrk is None:
        raise BenchError("wrk is not installed (apt-get install -y wrk; `make bench` does it)")
    started, load_before = time.time(), os.getloadavg()
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pembina-bench-")))
        database_url = stack.enter_context(scaled_database(settings))
        with site(database_url, workdir, settings.servers, settings.proxy, settings.workers_per_server()) as server:
            results = run_http(settings, wrk, server, database_url, workdir)
            with app_context(database_url, workdir):
                unavailable_pages = page_scenarios_unavailable()
            workers = len(server.worker_rss())
            proxy = f"nginx {server.proxy.version()}" if server.proxy else None
        if settings.inprocess and settings.wants("pages_inprocess"):
            log("  pages in-process ...")
            results.append(time_pages(database_url, workdir, settings.page_repeat, unavailable_pages,
                                      lambda key: not settings.only or key in settings.only))
        if settings.inprocess and settings.wants("needs_analysis"):
            log("  needs analysis, in-process ...")
            results.append(time_needs_analysis(database_url, workdir))
        if settings.inprocess and (settings.wants("course_import_first") or settings.wants("course_import_again")):
            log("  course import, in-process ...")
            results.extend(time_course_import(database_url, workdir))
        if extra is not None:
            extra(database_url, workdir, document_extra)
    add_ratios(results)
    checks = targets(results)
    document = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "seconds": round(time.time() - started, 1),
        "settings": {"scale": settings.scale, "attempts_per_librarian": settings.attempts,
                     "db": settings.db if not settings.database_url else
                     settings.database_url.split(":", 1)[0], "duration_s": settings.duration,
                     "clients": settings.clients, "quiz_clients": settings.quiz_clients, "gunicorn_workers": workers,
                     "servers": settings.servers, "proxy": proxy},
        "machine": machine(load_before),
        "scenarios": {r.key: asdict(r) for r in results},
        "targets": checks,
        "unavailable": unavailable_pages,
        **document_extra,
    }
    settings.results.parent.mkdir(parents=True, exist_ok=True)
    settings.results.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    log("")
    where = (f"{settings.servers} servers ({workers} gunicorn workers in all) behind {proxy}" if settings.servers > 1
             else f"{workers} gunicorn workers" + (f" behind {proxy}" if proxy else ""))
    log(f"Pembina benchmark, scale {settings.scale}, {document['settings']['db']}, {where}, "
        f"{settings.duration:g} s per scenario")
    log(table(results, checks))
    log(f"\nWrote {settings.results}")
    return document


def as_command(call: Callable[[], object]) -> int:
    """Run ``call`` as a command's body: SIGTERM stops it as Ctrl+C does (the ``finally``
    blocks stop what it started), a :class:`BenchError` is one line on stderr; the exit code."""
    def stop(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    try:
        call()
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("bench: interrupted; everything it started is stopped", file=sys.stderr)
        return 130
    return 0


def main() -> int:
    return as_command(lambda: run(Settings.from_env()))


if __name__ == "__main__":
    sys.exit(main())

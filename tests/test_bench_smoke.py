"""The benchmark (``make bench``, bench/run.py) at a size the test suite can afford, so its
code cannot rot: tiny scale, one second per scenario, no timing assertions.

The floors' routes are checked here too (the bare one must not touch the session or the
database). The load part needs wrk: without it that test is skipped, unless ``CI=true``
(.ci/run installs wrk), where it fails - like the browser journeys without Chromium. With
``LMS_TEST_DATABASE_URL`` set to PostgreSQL, the smoke run builds its scale data in a
database of its own on that server.
"""
from __future__ import annotations

import json
import os
from contextlib import ExitStack
from pathlib import Path

import pytest
from sqlalchemy import event

from bench import curve, infra
from bench import run as bench
from lms.extensions import db as _db
from tests.conftest import TEST_DATABASE_URL, login


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def test_ping_answers_without_session_or_database(app, client):
    statements = []

    def record(*args):
        statements.append(args[2])

    event.listen(_db.engine, "before_cursor_execute", record)
    try:
        response = client.get("/healthz/ping")
    finally:
        event.remove(_db.engine, "before_cursor_execute", record)
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "ok\n"
    assert "Set-Cookie" not in response.headers
    assert statements == []


def test_session_page_is_the_layout_for_a_signed_in_user(client, make_user):
    assert client.get("/healthz/session").status_code == 302  # sign in first
    make_user("pustakawan", full_name="Rina Pustakawan")
    login(client, "pustakawan")
    page = client.get("/healthz/session").get_data(as_text=True)
    assert "Rina Pustakawan" in page and 'name="csrf_token"' in page


def test_settings_come_from_the_environment(tmp_path):
    settings = bench.Settings.from_env({"BENCH_SCALE": "20", "BENCH_DB": "Postgres", "BENCH_DURATION": "2",
                                        "BENCH_CACHE": str(tmp_path), "BENCH_INPROCESS": "0"})
    assert (settings.scale, settings.db, settings.duration, settings.cache, settings.inprocess) == \
        (20, "postgres", 2.0, tmp_path, False)
    assert bench.Settings.from_env({}).scale == 5000
    # make bench measures a province: 14 libraries below the provincial service
    assert bench.Settings.from_env({}).data_name == "scale-5000-o14"
    assert bench.Settings.from_env({"BENCH_ORGANISATIONS": "0"}).data_name == "scale-5000"
    curve = bench.Settings.from_env({"BENCH_ATTEMPTS": "20", "BENCH_SCENARIOS": "page_floor, dashboard"})
    assert curve.data_name == "scale-5000-a20-o14" and curve.wants("dashboard") and not curve.wants("lesson")
    with pytest.raises(infra.BenchError):
        bench.Settings.from_env({"BENCH_ORGANISATIONS": "15"})
    with pytest.raises(infra.BenchError):
        bench.Settings.from_env({"BENCH_SCENARIOS": "dashbord"})
    with pytest.raises(infra.BenchError):
        bench.Settings.from_env({"BENCH_ATTEMPTS": "0"})
    with pytest.raises(infra.BenchError):
        bench.Settings.from_env({"BENCH_DB": "mysql"})


def test_lua_data_and_percentiles():
    assert bench.lua_value({"mode": "get", "sessions": [{"paths": ["/a", "/b\"c"]}]}) == \
        '{["mode"] = "get", ["sessions"] = {{["paths"] = {"/a", "/b\\"c"}}}}'
    ordered = list(range(1, 101))
    assert bench.percentile(ordered, 50) == 50 and bench.percentile(ordered, 99) == 99
    assert 20000 <= infra.free_port() < 32768 or os.environ.get("BENCH_PORTS")


def test_attempt_accounting_finds_lost_and_duplicated():
    report = {"threads": [{"started": "1,2,", "submitted": "1,2,", "pending": "start"},
                          {"started": "3,", "submitted": "", "pending": "submit:3"}]}
    fine = {1: ("submitted", 8, 8, 50.0, 8), 2: ("submitted", 8, 8, 75.0, 8), 3: ("in_progress", 0, 0, None, 8),
            4: ("in_progress", 0, 0, None, 8)}  # 4: the start cut off by the end of the run
    assert bench.check_attempts(report, fine)["lost"] == 0
    assert bench.check_attempts(report, fine)["duplicated"] == 0
    lost = {k: v for k, v in fine.items() if k != 2}
    assert bench.check_attempts(report, lost)["lost"] == 1
    extra = {**fine, 5: ("submitted", 8, 8, 10.0, 8)}
    assert bench.check_attempts(report, extra)["duplicated"] == 1
    doubled = {**fine, 1: ("submitted", 16, 16, 50.0, 8)}
    assert bench.check_attempts(report, doubled)["answer_rows_not_one_per_question"] == 1


def test_reopening_an_unfinished_attempt_after_an_error_is_no_duplicate():
    """After a 500, a client's next start leads to its own unfinished attempt again (and a
    replayed submit to the same result): the attempt is one, and so is its grade."""
    report = {"threads": [{"started": "1,1,2,", "submitted": "1,2,2,", "pending": ""}]}
    rows = {1: ("submitted", 8, 8, 50.0, 8), 2: ("submitted", 8, 8, 75.0, 8)}
    checked = bench.check_attempts(report, rows)
    assert (checked["duplicated"], checked["lost"]) == (0, 0)
    assert (checked["reopened"], checked["resubmitted"]) == (1, 1)
    two_grades_for_one_submit = {**rows, 3: ("submitted", 8, 8, 75.0, 8)}
    assert bench.check_attempts(report, two_grades_for_one_submit)["duplicated"] == 1


def test_ratios_targets_and_table():
    results = [bench.Result("bare_floor", "", 16, rps=3000.0, p50_ms=5.0, p99_ms=9.0, worker_rss_mb=[90.0]),
               bench.Result("page_floor", "", 16, rps=1500.0, p50_ms=10.0, p99_ms=20.0),
               bench.Result("lesson", "", 16, rps=1000.0, p50_ms=15.0, p99_ms=40.0),
               bench.Result("quiz_submit", "", 64, rps=100.0, p50_ms=50.0, p99_ms=300.0,
                            notes={"lost": 0, "duplicated": 0, "submitted_but_not_graded": 0,
                                   "answer_rows_not_one_per_question": 0}),
               bench.Result("dashboard", "", 16, rps=50.0, p50_ms=200.0, p99_ms=400.0),
               bench.Result("needs_analysis", "", seconds=0.5, p50_ms=500.0),
               bench.Result("course_import_again", "", seconds=0.1, notes={"share_of_first": 0.05})]
    bench.add_ratios(results)
    assert results[1].ratio_rps_to_bare == 0.5 and results[2].ratio_rps_to_page == 0.667
    assert results[4].ratio_p50_to_page == 20.0
    met = {check["target"].split(" (")[0]: check["met"] for check in bench.targets(results)}
    assert met["page floor req/s vs bare floor"] and met["lesson req/s vs page floor"]
    assert not met["quiz submit p99 ms"] and not met["dashboard p50 vs page floor p50"]
    assert met["needs analysis s"] and met["unchanged re-import vs first import"]
    text = bench.table(results, bench.targets(results))
    assert "bare_floor" in text and "MISSED" in text


@pytest.fixture
def wrk() -> str:
    path = infra.find_wrk()
    if path is None:
        message = "wrk not found; install it with `apt-get install -y wrk` (make bench does)"
        if in_ci():
            pytest.fail(f"CI=true but the benchmark smoke run cannot run: {message}", pytrace=False)
        pytest.skip(message)
    return path


def test_the_whole_benchmark_at_a_tiny_scale(wrk, tmp_path, monkeypatch):
    # a second of warm-up per page scenario: on a busy machine a worker's first dashboard
    # could take the whole measured second, and the scenario would count no request
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    # a province of two libraries (20 people: the smallest scale with every library's units)
    settings = bench.Settings(scale=20, duration=1, warmup=1, clients=2, quiz_clients=2, cache=tmp_path / "cache",
                              results=tmp_path / "results.json", organisations=2, page_repeat=2)
    with ExitStack() as stack:
        if TEST_DATABASE_URL.startswith("postgresql"):  # the same run against PostgreSQL
            settings.database_url = stack.enter_context(infra.scratch_database(TEST_DATABASE_URL, tmp_path))
            for args in (["db", "upgrade"], ["demo", "--scale", "20", "--organisations", "2"]):
                infra.run_lms(args, settings.database_url, tmp_path / "instance")
        document = bench.run(settings)

    written = json.loads(Path(settings.results).read_text())
    # the side-by-side page is measured once the app has it; nothing else is left out
    assert set(written["unavailable"]) <= {"organisations"}
    assert ("organisations" in written["unavailable"]) != bench_app_has(bench.ORGANISATIONS_ENDPOINT)
    assert written["scenarios"].keys() == {scenario.key for scenario in bench.SCENARIOS} - set(written["unavailable"])
    assert written == json.loads(json.dumps(document))
    pages = written["scenarios"]["pages_inprocess"]["notes"]["pages"]
    assert {"dashboard", "dashboard_library", "dashboard_province"} <= set(pages)
    assert all(page["statements"] > 0 and page["p95_ms"] >= page["p50_ms"] > 0 for page in pages.values())
    for key in ("bare_floor", "page_floor", "lesson", "quiz_submit", "dashboard", "dashboard_library",
                "dashboard_province", *(["organisations"] if "organisations" in pages else [])):
        scenario = written["scenarios"][key]
        assert scenario["requests"] > 0 and scenario["errors"] == 0, (key, scenario)
        assert scenario["rps"] > 0 and scenario["p99_ms"] >= scenario["p95_ms"] >= scenario["p50_ms"] > 0
        assert scenario["ratio_rps_to_bare"] > 0 and scenario["worker_rss_mb"]
    quiz = written["scenarios"]["quiz_submit"]["notes"]
    assert quiz["lost"] == 0 and quiz["duplicated"] == 0 and quiz["submitted_but_not_graded"] == 0
    assert quiz["answer_rows_not_one_per_question"] == 0
    assert written["scenarios"]["needs_analysis"]["notes"]["staff_responses"] == 40
    assert written["scenarios"]["course_import_first"]["notes"]["modules_created"] > 0
    assert {check["target"] for check in written["targets"]}  # evaluated, whatever the figures
    # the cached database is reused by the next run
    assert (settings.cache / "sqlite-scale-20-o2.db.ok").exists() or settings.database_url


def bench_app_has(endpoint: str) -> bool:
    from lms import create_app

    return endpoint in create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"}).view_functions


@pytest.fixture
def nginx() -> str:
    path = infra.find_nginx()
    if path is None:
        message = "nginx not found; install it with `apt-get install -y nginx` (make bench BENCH_SERVERS=2 does)"
        if in_ci():
            pytest.fail(f"CI=true but the two-server benchmark cannot run: {message}", pytrace=False)
        pytest.skip(message)
    return path


def test_two_servers_behind_nginx_at_a_tiny_scale(wrk, nginx, tmp_path, monkeypatch):
    """``make bench BENCH_SERVERS=2``: two gunicorn servers sharing the workers one would
    have, behind one nginx port. Every request answered, both servers did part of the work,
    and no quiz attempt was lost or duplicated with starts and submits on either server."""
    monkeypatch.setenv("WEB_CONCURRENCY", "2")  # one worker per server
    settings = bench.Settings.from_env({"BENCH_SERVERS": "2", "BENCH_SCENARIOS": "bare_floor,page_floor,quiz_submit"})
    assert settings.results.name == "results-2servers.json" and settings.workers_per_server() == 1
    settings = bench.Settings(scale=10, duration=1, warmup=1, clients=2, quiz_clients=2, cache=tmp_path / "cache",
                              results=tmp_path / "results.json", inprocess=False, servers=2,
                              only=("bare_floor", "page_floor", "quiz_submit"))
    with ExitStack() as stack:
        if TEST_DATABASE_URL.startswith("postgresql"):  # the set-up docs/deploy.md describes
            settings.database_url = stack.enter_context(infra.scratch_database(TEST_DATABASE_URL, tmp_path))
            for args in (["db", "upgrade"], ["demo", "--scale", "10"]):
                infra.run_lms(args, settings.database_url, tmp_path / "instance")
        document = bench.run(settings)

    assert document["settings"]["servers"] == 2 and document["settings"]["proxy"].startswith("nginx")
    assert document["settings"]["gunicorn_workers"] == 2
    for key in ("bare_floor", "page_floor", "quiz_submit"):
        scenario = document["scenarios"][key]
        assert scenario["requests"] > 0 and scenario["errors"] == 0, (key, scenario)
        servers = {name: seconds for name, seconds in scenario["notes"]["cpu_s"].items() if name != "nginx"}
        assert len(servers) == 2 and all(seconds > 0 for seconds in servers.values()), (key, servers)
    quiz = document["scenarios"]["quiz_submit"]["notes"]
    assert quiz["lost"] == 0 and quiz["duplicated"] == 0 and quiz["submitted_but_not_graded"] == 0


def test_curve_growth_and_table():
    points = [{"attempts_total": 10_000, "attempts_in_unit": 400, "dashboard_inprocess_ms": 20.0,
               "dashboard_p50_ms": 100.0, "dashboard_p50_to_page": 5.0, "quiz_submit_p50_ms": 50.0,
               "quiz_submit_p99_ms": 90.0, "quiz_lost": 0, "quiz_duplicated": 0},
              {"attempts_total": 100_000, "attempts_in_unit": 4_000, "dashboard_inprocess_ms": 30.0,
               "dashboard_p50_ms": 150.0, "dashboard_p50_to_page": 6.0, "quiz_submit_p50_ms": 50.0,
               "quiz_submit_p99_ms": 95.0, "quiz_lost": 0, "quiz_duplicated": 0},
              {"attempts_total": 1_000_000, "attempts_in_unit": 40_000, "dashboard_inprocess_ms": 60.0,
               "dashboard_p50_ms": 300.0, "dashboard_p50_to_page": 12.0, "quiz_submit_p50_ms": 55.0,
               "quiz_submit_p99_ms": 99.0, "quiz_lost": 0, "quiz_duplicated": 0}]
    steps = curve.growth(points)
    assert [step["attempts_total"] for step in steps] == [10.0, 10.0]
    assert [step["dashboard_inprocess"] for step in steps] == [1.5, 2.0]
    text = curve.table(points, steps)
    assert "1,000,000" in text and "MISSED dashboard at the largest point" in text


def test_the_scaling_curve_at_a_tiny_scale(wrk, tmp_path, monkeypatch):
    """Two points of the curve (scale 10, ~2 and ~50 attempts each): each database is built
    with its own activity, and every scenario of the curve answered. The counts are taken
    after the run, which adds up to a few hundred attempts of its own: the points are far
    enough apart (~26 and ~500 written) for that not to blur them."""
    if TEST_DATABASE_URL.startswith("postgresql"):
        pytest.skip("the curve builds its own databases; the SQLite run covers its code")
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    base = bench.Settings(scale=10, duration=1, warmup=1, clients=2, quiz_clients=2, cache=tmp_path / "cache")
    monkeypatch.setattr(curve, "ROOT", tmp_path)  # the point files go to tmp_path/bench
    (tmp_path / "bench").mkdir()
    document = curve.curve(base, [2, 50], repeat=2)
    points = document["points"]
    assert json.loads((tmp_path / "bench" / "curve.json").read_text())["points"] == points
    assert len(document["growth"]) == 1 and document["target"]["limit"] == "<= 1.5"
    assert points[0]["attempts_total"] < points[1]["attempts_total"]
    assert points[0]["librarians_in_unit"] == points[1]["librarians_in_unit"] >= 1
    for p in points:
        assert p["dashboard_inprocess_ms"] > 0 and p["dashboard_p50_ms"] > 0 and p["quiz_submit_p50_ms"] > 0
        assert p["quiz_lost"] == 0 and p["quiz_duplicated"] == 0
    assert (tmp_path / "cache" / "sqlite-scale-10-a2.db.ok").exists()
    written = json.loads((tmp_path / "bench" / "curve-a50.json").read_text())
    assert written["settings"]["attempts_per_librarian"] == 50
    assert set(written["scenarios"]) == set(curve.CURVE_SCENARIOS)

"""``make faults`` (bench/faults.py) at a size the test suite can afford: one gunicorn worker
killed under ~3 s of quiz submits on SQLite, and nothing lost, duplicated or left without
what derives from it (the invariant checker every fault scenario uses). The whole set of
faults, on both databases, is ``make faults`` (docs/reliability.md).

Needs wrk like the benchmark's smoke test: skipped without it, failed without it in CI.
"""
from __future__ import annotations

import json

import pytest

from bench import faults, infra
from tests.conftest import TEST_DATABASE_URL
from tests.test_bench_smoke import in_ci


def test_settings_come_from_the_environment(tmp_path):
    settings = faults.FaultSettings.from_env({"FAULTS_DB": "sqlite", "FAULTS_SCALE": "20", "FAULTS_DURATION": "3",
                                              "FAULTS_SCENARIOS": "worker_kill,disk_full", "BENCH_CACHE": str(tmp_path)})
    assert (settings.dbs, settings.scale, settings.duration, settings.cache) == (("sqlite",), 20, 3.0, tmp_path)
    assert settings.wants("disk_full", "sqlite") and not settings.wants("disk_full", "postgres")
    assert not settings.wants("course_import", "sqlite")
    with pytest.raises(infra.BenchError):
        faults.FaultSettings.from_env({"FAULTS_SCENARIOS": "worker_kil"})
    with pytest.raises(infra.BenchError):
        faults.FaultSettings.from_env({"FAULTS_DB": "mysql"})


def test_bare_server_errors_are_told_from_error_pages():
    report = {"errors": {"connect": 0, "read": 2, "write": 0, "status": 5, "timeout": 0}, "max_us": 1500,
              "threads": [{"codes": {"302": 10, "500": 3}, "bare": 1}, {"codes": [], "bare": 0}]}
    saw = faults.seen(report)
    assert saw == {"status": {"302": 10, "500": 3}, "bare_5xx": 1, "socket_errors": {"read": 2}, "max_ms": 2}
    assert "bare 5xx: 1" in faults.clients_summary(saw)


@pytest.mark.slow
def test_a_worker_killed_under_quiz_load_loses_nothing(tmp_path, monkeypatch):
    if infra.find_wrk() is None:
        message = "wrk not found; install it with `apt-get install -y wrk` (make faults does)"
        if in_ci():
            pytest.fail(f"CI=true but the fault test cannot run: {message}", pytrace=False)
        pytest.skip(message)
    if TEST_DATABASE_URL.startswith("postgresql"):
        pytest.skip("builds its own SQLite scale data; `make faults` covers PostgreSQL")
    settings = faults.FaultSettings(dbs=("sqlite",), scale=10, attempts=5, duration=3, clients=4, only=("worker_kill",),
                                    cache=tmp_path / "cache", results=tmp_path / "faults.json", workers=2, kills=1,
                                    kill_every=1.5)
    document = faults.run(settings)
    (row,) = document["scenarios"]
    assert row["key"] == "worker_kill" and row["notes"]["killed"] == 1
    assert row["problems"] == [] and document["green"], row
    assert row["data_after"]["lost"] == 0 and row["data_after"]["duplicated"] == 0
    assert row["data_after"]["attempts_submitted"] > 0 and row["clients_saw"]["bare_5xx"] == 0
    checked = row["data_after"]["invariants"]
    assert checked["graded_attempts_checked"] > 0 and checked["integrity_check"] == "ok"
    assert json.loads(settings.results.read_text())["green"] is True

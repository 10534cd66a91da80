"""The scaling curve (issue 7, item 4): ``make bench-curve``, i.e. ``python -m bench.curve``.

The same organisation (``BENCH_SCALE`` librarians, 5,000 by default, with its 200-librarian
unit) with a shorter or longer history: ``lms demo --scale N --attempts-per-librarian K`` for
each K of ``BENCH_CURVE`` (``2,20,200``: about 10 thousand, 100 thousand and 1 million quiz
attempts at N = 5,000). On each database the floors, the dashboard of the 200-librarian unit
and the quiz submit run under gunicorn + wrk (bench/run.py, same settings), and the
dashboard is also timed in-process (median of ``CURVE_REPEAT`` page loads, one client, so the
figure does not depend on how busy the machine is as much as the wrk one).

The attempts of the viewed unit grow with K as well (everyone's history grows): the curve
shows how the cost follows the unit's own rows, and the growth per tenfold of the whole
table. Each point writes ``bench/curve-a<K>.json``; the curve is printed and written to
``bench/curve.json`` (``-postgres`` in both names with ``BENCH_DB=postgres``).
"""
from __future__ import annotations

import json
import os
import re
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

from bench.infra import ROOT, BenchError, log
from bench.run import SUPERVISOR, Settings, app_context, as_command, run

CURVE_SCENARIOS = ("bare_floor", "page_floor", "dashboard", "quiz_submit")
CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def data_size(database_url: str, workdir: Path) -> dict:
    """Quiz attempts in the whole table and in the viewed unit, and the unit's librarians."""
    from sqlalchemy import func, select

    from lms.auth.models import Unit, User
    from lms.core.bench_data import BIG_CODE
    from lms.extensions import db
    from lms.plugins.quizzes.models import QuizAttempt

    with app_context(database_url, workdir):
        unit = db.session.scalar(select(Unit.id).where(Unit.code == BIG_CODE))
        members = select(User.id).where(User.unit_id == unit)
        return {
            "attempts_total": db.session.scalar(select(func.count()).select_from(QuizAttempt)),
            "attempts_in_unit": db.session.scalar(select(func.count()).select_from(QuizAttempt)
                                                  .where(QuizAttempt.user_id.in_(members))),
            "librarians_in_unit": db.session.scalar(select(func.count()).select_from(User)
                                                    .where(User.unit_id == unit)),
        }


def dashboard_inprocess(database_url: str, workdir: Path, repeat: int) -> dict:
    """``GET /reports/`` as the unit's head through the app in this process: the median of
    ``repeat`` loads after one warm-up (signed in through the login form, CSRF included)."""
    from lms import create_app
    from lms.extensions import db

    app = create_app({"DATABASE_URL": database_url, "INSTANCE_PATH": str(workdir / "inproc"),
                      "SECRET_KEY": "bench"})
    client = app.test_client()
    token = CSRF_RE.search(client.get("/login").get_data(as_text=True))
    if token is None:
        raise BenchError("no CSRF token on /login")
    answer = client.post("/login", data={"username": SUPERVISOR, "password": "pembina-demo",
                                         "csrf_token": token.group(1)})
    if answer.status_code != 302:
        raise BenchError(f"{SUPERVISOR} could not sign in ({answer.status_code})")
    times = []
    for _ in range(repeat + 1):
        start = time.perf_counter()
        page = client.get("/reports/")
        times.append(time.perf_counter() - start)
        if page.status_code != 200:
            raise BenchError(f"/reports/ answered {page.status_code}")
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return {"median_ms": round(statistics.median(times[1:]) * 1000, 1),
            "runs_ms": [round(t * 1000, 1) for t in times[1:]]}


def point(base: Settings, attempts: int, repeat: int) -> dict:
    suffix = "-postgres" if base.db == "postgres" else ""
    settings = replace(base, attempts=attempts, only=CURVE_SCENARIOS, inprocess=False,
                       results=ROOT / "bench" / f"curve-a{attempts}{suffix}.json")

    def extra(database_url: str, workdir: Path, notes: dict) -> None:
        notes["data"] = data_size(database_url, workdir)
        log(f"  dashboard in-process, {repeat} loads ...")
        notes["dashboard_inprocess"] = dashboard_inprocess(database_url, workdir, repeat)

    document = run(settings, extra)
    scenarios = document["scenarios"]
    return {
        "attempts_per_librarian": attempts, **document["data"],
        "page_floor_p50_ms": scenarios["page_floor"]["p50_ms"],
        "dashboard_p50_ms": scenarios["dashboard"]["p50_ms"],
        "dashboard_p99_ms": scenarios["dashboard"]["p99_ms"],
        "dashboard_p50_to_page": scenarios["dashboard"]["ratio_p50_to_page"],
        "dashboard_inprocess_ms": document["dashboard_inprocess"]["median_ms"],
        "quiz_submit_rps": scenarios["quiz_submit"]["rps"],
        "quiz_submit_p50_ms": scenarios["quiz_submit"]["p50_ms"],
        "quiz_submit_p99_ms": scenarios["quiz_submit"]["p99_ms"],
        "quiz_lost": scenarios["quiz_submit"]["notes"].get("lost"),
        "quiz_duplicated": scenarios["quiz_submit"]["notes"].get("duplicated"),
    }


def ratio(before: dict, after: dict, key: str) -> float | None:
    return round(after[key] / before[key], 2) if before.get(key) and after.get(key) is not None else None


def growth(points: list[dict]) -> list[dict]:
    """Each point against the one before it: how much the table and the times grew."""
    steps = []
    for before, after in zip(points, points[1:]):
        steps.append({"from": before["attempts_total"], "to": after["attempts_total"],
                      "attempts_total": ratio(before, after, "attempts_total"), "attempts_in_unit": ratio(before, after, "attempts_in_unit"),
                      "dashboard_inprocess": ratio(before, after, "dashboard_inprocess_ms"),
                      "dashboard_p50_to_page": ratio(before, after, "dashboard_p50_to_page"),
                      "quiz_submit_p50": ratio(before, after, "quiz_submit_p50_ms")})
    return steps


def table(points: list[dict], steps: list[dict]) -> str:
    head = (f"{'attempts':>10}{'in unit':>9}{'dash ms':>9}{'dash p50':>10}{'x page':>8}{'quiz p50':>10}"
            f"{'quiz p99':>10}{'lost/dup':>10}")
    lines = [head, "-" * len(head)]
    for p in points:
        lines.append(f"{p['attempts_total']:>10,}{p['attempts_in_unit']:>9,}{p['dashboard_inprocess_ms']:>9,.1f}"
                     f"{p['dashboard_p50_ms']:>10,.1f}{p['dashboard_p50_to_page']:>8.1f}"
                     f"{p['quiz_submit_p50_ms'] or 0:>10,.1f}{p['quiz_submit_p99_ms'] or 0:>10,.1f}"
                     f"{p['quiz_lost']!s:>5}/{p['quiz_duplicated']!s:<4}")
    lines.append("")
    if steps:  # issue 7: the dashboard at the largest point within 1.5 x its time a tenth the size
        last = steps[-1]["dashboard_inprocess"]
        lines.append(f"  {'met   ' if last is not None and last <= 1.5 else 'MISSED'} dashboard at the largest point "
                     f"vs the one before: x{last} (target <= 1.5)")
    for s in steps:
        lines.append(f"  {s['from']:,} -> {s['to']:,} attempts (x{s['attempts_total']}, unit x{s['attempts_in_unit']}):"
                     f" dashboard in-process x{s['dashboard_inprocess']}, p50/page x{s['dashboard_p50_to_page']},"
                     f" quiz p50 x{s['quiz_submit_p50']}")
    return "\n".join(lines)


def curve(base: Settings, levels: list[int], repeat: int) -> dict:
    """Every point, the growth between them, the table on stdout and ``bench/curve.json``."""
    points = []
    for attempts in levels:
        log(f"\n=== Scaling curve: {attempts} attempts per librarian ===")
        points.append(point(base, attempts, repeat))
    steps = growth(points)
    target = steps[-1]["dashboard_inprocess"] if steps else None
    suffix = "-postgres" if base.db == "postgres" else ""
    out = ROOT / "bench" / f"curve{suffix}.json"
    document = {"when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "scale": base.scale, "db": base.db,
                "duration_s": base.duration, "points": points, "growth": steps,
                "target": {"dashboard_last_step": target, "limit": "<= 1.5",
                           "met": target is not None and target <= 1.5}}
    out.write_text(json.dumps(document, indent=2) + "\n")
    log(f"\nScaling curve, scale {base.scale}, {base.db} (dashboard of {SUPERVISOR}'s unit; quiz submit "
        f"with {base.quiz_clients} clients)")
    log(table(points, steps))
    log(f"\nWrote {out}")
    return document


def main() -> int:
    def body() -> None:
        levels = [int(k) for k in (os.environ.get("BENCH_CURVE") or "2,20,200").split(",") if k.strip()]
        curve(Settings.from_env(), levels, int(os.environ.get("CURVE_REPEAT") or 7))

    return as_command(body)


if __name__ == "__main__":
    sys.exit(main())

"""``lms evaluations open|remind|close|report``: run ``open``, ``remind`` and ``close`` once a
day (cron or a systemd timer); each is idempotent. ``--today`` runs them as on another day
(a catch-up after an outage, or a test)."""
from __future__ import annotations

import json
from datetime import date

import click
from flask.cli import with_appcontext
from flask_babel import gettext as _


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("use a date like 2026-12-31"), param_hint="--today") from None


TODAY = click.option("--today", "today", help="Run as on this local date (YYYY-MM-DD).")


@click.group("evaluations")
def evaluations() -> None:
    """Post-training evaluations (Kirkpatrick level 3)."""


@evaluations.command("open")
@TODAY
@with_appcontext
def open_command(today: str | None) -> None:
    """Open the evaluations due after completions (idempotent)."""
    from lms.plugins.evaluations import services

    report = services.open_windows(_day(today))
    click.echo(_("Opened %(n)d evaluations for %(people)d people.", n=report.opened, people=len(report.people)))
    if report.missed:
        click.echo(_("%(n)d completions were seen only after their window had ended; not opened.", n=report.missed))


@evaluations.command("remind")
@TODAY
@with_appcontext
def remind_command(today: str | None) -> None:
    """Remind people and supervisors of evaluations about to close (once per window)."""
    from lms.plugins.evaluations import services

    click.echo(_("Sent %(n)d reminders.", n=services.remind(_day(today))))


@evaluations.command("close")
@TODAY
@with_appcontext
def close_command(today: str | None) -> None:
    """Close the evaluations whose last day has passed."""
    from lms.plugins.evaluations import services

    click.echo(_("Closed %(n)d evaluations.", n=services.close(_day(today))))


@evaluations.command("report")
@click.option("--json", "as_json", is_flag=True, help="Print the results as JSON.")
@with_appcontext
def report_command(as_json: bool) -> None:
    """Print the application rate and the transfer gap per competency (whole organisation;
    groups under NEEDS_MIN_GROUP people show their size only)."""
    from lms.plugins.evaluations import results

    rows = results.by_competency(None)
    data = [{"competency": row.competency_id, "observed": row.observed, "hidden": row.hidden,
             "applied": None if row.hidden else row.applied, "rate": row.rate,
             "passed_observed": row.completed_observed,
             "passed_not_applied": None if row.gap_hidden else row.completed_not_applied, "gap": row.gap,
             "barriers": dict(row.top_barriers(10))} for row in rows]
    if as_json:
        click.echo(json.dumps({"competencies": data, "min_group": results.min_group()}, indent=2, ensure_ascii=False))
        return
    if not data:
        click.echo(_("No observations yet."))
        return
    click.echo(f"{'competency':28} {'observed':>8} {'applied':>8} {'rate':>6} {'gap':>6}")
    for item in data:
        rate = "-" if item["rate"] is None else f"{item['rate']:.0%}"
        gap = "-" if item["gap"] is None else f"{item['gap']:.0%}"
        applied = "<" + str(results.min_group()) if item["hidden"] else str(item["applied"])
        click.echo(f"{item['competency']:28} {item['observed']:>8} {applied:>8} {rate:>6} {gap:>6}")

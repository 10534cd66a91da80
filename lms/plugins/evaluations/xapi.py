"""Self-reports as learning events, so they travel as xAPI statements (docs/interop.md,
"Post-training evaluation").

Only when the interop plugin is on (it is in ``USES``, imported inside functions): the
evaluation works without it. A self-report is the person ``responded`` to the activity
"post-training evaluation of competency X" (``<base>/competencies/<id>/evaluation``), with
the mean frequency of the behaviours (1-4) as the result. The ``source`` names the answer
and its submission time, so each submission is one statement whoever writes it (the save
or ``lms interop backfill``), and a replaced answer is a new statement, not a changed one.

Supervisor observations are not sent: see docs/interop.md for why.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.extensions import db
from lms.pluginmanager import plugin_enabled
from lms.plugins.evaluations.models import SELF, EvaluationResponse, EvaluationWindow

VERB, OBJECT_TYPE = "responded", "evaluation"
SOURCE_PREFIX = "evaluation-self"


def interop_on() -> bool:
    return plugin_enabled("interop")


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def source(window_id: int, submitted_at: datetime) -> str:
    """``evaluation-self:<window id>:<submission time in UTC, to the microsecond>``."""
    return f"{SOURCE_PREFIX}:{window_id}:{_utc(submitted_at).strftime('%Y%m%dT%H%M%S.%fZ')}"


def result(frequencies: list[int]) -> dict:
    """The mean frequency (1 never .. 4 always) as ``raw`` with ``min``/``max``, and scaled
    to 0..1 (``(mean - 1) / 3``)."""
    mean = sum(frequencies) / len(frequencies)
    return {"score": {"scaled": round((mean - 1) / 3, 4), "raw": round(mean, 2), "min": 1, "max": 4},
            "completion": True}


def _row(window: EvaluationWindow, response: EvaluationResponse) -> dict:
    from lms.plugins.interop.services import evaluation_iri

    return {"user_id": window.user_id, "verb": VERB, "object_type": OBJECT_TYPE, "object_id": window.id,
            "iri": evaluation_iri(window.competency_id), "name": {"id-ID": window.competency_id},
            "source": source(window.id, response.submitted_at),
            "result": result([rating.frequency for rating in response.ratings]),
            "now": response.submitted_at}


def record(window: EvaluationWindow, response: EvaluationResponse) -> None:
    """Record the statement of a self-report just saved, in the caller's transaction."""
    if not interop_on() or response.kind != SELF or not response.ratings:
        return
    from lms.plugins.interop.services import add_event

    add_event(**_row(window, response))


def rows() -> Iterator[dict]:
    """The event of every self-report as it stands now (for ``lms interop backfill``)."""
    responses = db.session.scalars(
        select(EvaluationResponse).where(EvaluationResponse.kind == SELF)
        .options(selectinload(EvaluationResponse.ratings), selectinload(EvaluationResponse.window))
        .order_by(EvaluationResponse.id))
    for response in responses:
        if response.ratings:
            yield _row(response.window, response)


def record_all() -> int:
    """Record the events of self-reports that have none (the demo writes answers in bulk)
    and commit; how many were added. Nothing when the interop plugin is off."""
    if not interop_on():
        return 0
    from lms.plugins.interop.services import add_event

    added = sum(1 for item in rows() if add_event(**item) is not None)
    db.session.commit()
    return added

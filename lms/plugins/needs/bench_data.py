"""A needs round for the synthetic benchmark data (``lms demo --scale N``).

One closed round over the whole synthetic organisation (it closed 45 days ago, so the
needs analysis picks it by default): every librarian's self-assessment and their unit
head's rating of them - two staff responses per librarian, 10,000 at N = 5,000, with one
answer per competency each - and N / 10 patron responses imported through the real CSV
importer. Answers follow the shared latent abilities (:class:`lms.core.bench_data.Abilities`),
so the same people and competencies come out weak here and in the quiz results.
"""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta

from sqlalchemy import select

from lms.auth.models import Unit
from lms.clock import local_today, local_zone
from lms.core.bulk import bulk_writer
from lms.core.bench_data import BIG_CODE, Abilities, people, scale_root, timed, unit_heads
from lms.extensions import db
from lms.plugins.needs import patron
from lms.plugins.needs.demo import LIKERT_ID, _ensure_surveys, _level
from lms.plugins.needs.models import PATRON, SELF, SUPERVISOR, NeedsRound, StaffAnswer, StaffResponse, Survey

SEED = 89
PATRONS_PER_LIBRARIAN = 0.1
RESPONSE_COLUMNS = ("id", "round_id", "survey_id", "kind", "subject_id", "rater_id", "unit_id", "position",
                    "submitted_at", "updated_at")


def _competencies(survey: Survey) -> list[str]:
    return list(dict.fromkeys(item.competency_id for item in survey.items))


def seed(scale: int, log) -> None:
    """The round, its staff responses (bulk, one transaction) and its patron responses."""
    staff = people()
    root = scale_root()
    if not staff or root is None:
        return
    surveys = _ensure_surveys(log)
    if surveys is None:
        return
    today = local_today()
    needs_round = NeedsRound(title=f"Analisis Kebutuhan Pelatihan {today.year} (data skala {scale})",
                             opens_on=today - timedelta(days=75), closes_on=today - timedelta(days=45),
                             self_survey_id=surveys[SELF].id, supervisor_survey_id=surveys[SUPERVISOR].id,
                             patron_survey_id=surveys[PATRON].id, units=[root])
    db.session.add(needs_round)
    db.session.commit()
    heads = unit_heads()
    abilities = Abilities()
    zone = local_zone()
    opens = datetime.combine(needs_round.opens_on, time(8, 0), tzinfo=zone).timestamp()
    closes = datetime.combine(needs_round.closes_on, time(8, 0), tzinfo=zone).timestamp()
    own = _competencies(surveys[SELF])
    rated = _competencies(surveys[SUPERVISOR])
    # ids read now: inside the bulk block the session must not query (on PostgreSQL the
    # loading connection holds locks a session query would wait for)
    round_id, self_id, supervisor_id = needs_round.id, surveys[SELF].id, surveys[SUPERVISOR].id
    tables = (StaffResponse.__table__, StaffAnswer.__table__)
    with timed(log, "needs survey responses") as step, bulk_writer(*tables) as writer:
        responses = writer.buffer(StaffResponse.__table__, RESPONSE_COLUMNS)
        answers = writer.buffer(StaffAnswer.__table__, ("response_id", "competency_id", "importance", "ability"),
                                after=responses)
        response_id = writer.next_id(StaffResponse.__table__)
        for person in staff:
            rng = random.Random(SEED * 1_000_003 + person.id)
            level = {c: abilities(person.id, person.unit_id, c) for c in set(own) | set(rated)}
            when = writer.stamp(opens + rng.uniform(0, 20) * 86_400 + rng.uniform(0, 8 * 3600))
            responses.add((response_id, round_id, self_id, SELF, person.id, person.id,
                           person.unit_id, person.position, when, when))
            for competency_id in own:
                answers.add((response_id, competency_id, _level(rng, Abilities.importance(competency_id), 0.5),
                             _level(rng, level[competency_id], 0.6)))
            response_id += 1
            rater = heads.get(person.unit_id)
            if rater is None:
                continue
            when = writer.stamp(closes - rng.uniform(0, 10) * 86_400 + rng.uniform(0, 8 * 3600))
            responses.add((response_id, round_id, supervisor_id, SUPERVISOR, person.id, rater,
                           person.unit_id, person.position, when, when))
            for competency_id in rated:
                # supervisors see digital skills a little lower than staff rate themselves
                bias = -0.4 if competency_id.startswith("dig-") else -0.1
                answers.add((response_id, competency_id, None, _level(rng, level[competency_id] + bias, 0.5)))
            response_id += 1
        writer.flush()
        step.count("needs staff responses", responses.written)
        step.count("needs staff answers", answers.written)
    with timed(log, "patron responses (CSV import)") as step:
        imported = patron.import_patron_csv(_patron_csv(scale, surveys[PATRON], opens, closes),
                                            f"kepuasan-pemustaka-skala-{scale}.csv", surveys[PATRON].slug,
                                            round_id=round_id)
        step.count("patron responses", imported.record.rows)


def _patron_csv(scale: int, survey: Survey, opens: float, closes: float) -> bytes:
    """A form tool's CSV export: patrons of the regency libraries and of the main service
    desk rate the service; the unit column holds the unit's code."""
    rng = random.Random(SEED)
    root = scale_root()
    desks = list(db.session.execute(select(Unit.id, Unit.code).where(
        (Unit.parent_id == root.id) & ((Unit.kind == "branch") | (Unit.code == BIG_CODE))).order_by(Unit.id)))
    unit_column = (survey.settings or {}).get("unit_column") or "Lokasi layanan"
    lines = [";".join(f'"{cell}"' for cell in ["Stempel waktu", unit_column] + [i.text_id for i in survey.items])]
    count = max(20, round(scale * PATRONS_PER_LIBRARIAN))
    step = (closes - opens) / count
    for number in range(count):
        unit_id, code = desks[rng.randrange(len(desks))]
        # distinct timestamps: the importer treats identical rows as one response imported twice
        moment = datetime.fromtimestamp(opens + number * step + rng.uniform(0, step * 0.9), local_zone())
        cells = [moment.strftime("%Y-%m-%d %H:%M:%S"), code]
        for item in survey.items:
            mean = 1.6 + 0.6 * Abilities.unit_level(unit_id, item.competency_id)
            cells.append("" if rng.random() < 0.03 else LIKERT_ID[_level(rng, mean, 0.8)])
        lines.append(";".join(f'"{cell}"' for cell in cells))
    return ("\n".join(lines) + "\n").encode("utf-8")

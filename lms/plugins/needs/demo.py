"""Demo needs data: one closed round with every demo librarian's self-assessment, the unit
heads' ratings of their staff and about 200 patron responses.

The answers are drawn from a fixed random seed around a profile with visible patterns, so
the analysis tells a story at first run: cataloguing is strong (strongest in the processing
section), promoting the collection on social media and complaint handling are weak (the
branches most), the IT section is strong in digital skills, and ``ani`` is weakest in social
media and complex questions. Patron responses go through the real CSV importer.
"""
from __future__ import annotations

import random
from datetime import datetime, time, timedelta
from pathlib import Path

from flask_babel import gettext as _
from flask import current_app
from sqlalchemy import select

from lms.auth.models import Unit, User
from lms.clock import local_today, local_zone
from lms.core.demo import HOME_LIBRARY, SECOND_LIBRARY, library_members
from lms.extensions import db
from lms.plugins.courses.models import Competency
from lms.plugins.needs.models import PATRON, SELF, SUPERVISOR, NeedsRound, StaffAnswer, StaffResponse, Survey

ROUND_TITLE = "Analisis Kebutuhan Pelatihan 2026"
SURVEY_SLUGS = {SELF: "penilaian-diri", SUPERVISOR: "penilaian-atasan", PATRON: "kepuasan-pemustaka"}
SEED = 2026
PATRON_RESPONSES = 200

# Organisation-wide (importance, ability) around which answers are drawn.
PROFILE: dict[str, tuple[float, float]] = {
    "cat-descriptive": (4.3, 3.9), "cat-marc": (4.0, 3.7), "cat-classification": (4.4, 4.1),
    "cat-subject": (3.9, 3.6), "cat-automation": (4.2, 3.8),
    "dig-social-media": (4.8, 1.9), "dig-website": (4.2, 2.5), "dig-opac-mobile": (4.4, 3.0),
    "dig-literacy-safety": (4.1, 2.9), "dig-content-services": (3.4, 2.7),
    "cs-reference-interview": (4.7, 3.3), "cs-complex-queries": (4.2, 3.0), "cs-complaints": (4.6, 2.6),
    "cs-inclusive": (4.3, 2.7), "cs-standards": (3.6, 3.2),
}
# Ability shifts per unit and competency area (the area is the id's prefix).
UNIT_SHIFT: dict[str, dict[str, float]] = {
    "pengolahan": {"cat": 0.8},
    "tik": {"dig": 1.6, "cs": -0.3},
    "layanan": {"cs": 0.5},
    "pusling": {"cs": 0.3, "cat": -0.5},
    "cabang-jekan-raya": {"cat": -0.4, "cs": -0.3},
    "cabang-pahandut": {"cat": -0.4, "cs": -0.4},
    "cabang-sabangau": {"cat": -0.5, "cs": -0.2},
}
# Fixed answers for the people the walkthrough follows: (importance, ability).
PERSONAL: dict[str, dict[str, tuple[int, int]]] = {
    "ani": {"dig-social-media": (5, 1), "cs-complex-queries": (5, 2), "dig-website": (4, 2),
            "cs-complaints": (4, 3), "cat-classification": (4, 4), "cat-descriptive": (4, 4)},
}
# Patron-survey means per competency, and lower ones at the branches.
PATRON_MEAN: dict[str, float] = {
    "dig-social-media": 2.6, "dig-website": 2.9, "dig-opac-mobile": 3.1, "cs-complaints": 3.2,
    "cs-inclusive": 3.1, "cs-reference-interview": 4.0, "cs-complex-queries": 3.6,
}
PATRON_DEFAULT_MEAN = 3.8
# Where the 200 patron responses come from.
PATRON_UNITS = [("layanan", 70), ("cabang-jekan-raya", 40), ("cabang-pahandut", 40), ("cabang-sabangau", 30),
                ("pusling", 20)]
LIKERT_ID = {1: "Sangat tidak setuju", 2: "Tidak setuju", 3: "Netral", 4: "Setuju", 5: "Sangat setuju"}


def _level(rng: random.Random, mean: float, spread: float = 0.6) -> int:
    return max(1, min(5, round(rng.gauss(mean, spread))))


def _ensure_surveys(log) -> dict[str, Survey] | None:
    """The demo round's instruments, loaded from ``NEEDS_SURVEYS_DIR`` when missing."""
    from lms.plugins.needs import surveys as survey_files

    slugs = list(SURVEY_SLUGS.values())
    found = {s.slug: s for s in db.session.scalars(select(Survey).where(Survey.slug.in_(slugs)))}
    if len(found) < len(slugs):
        root = Path(current_app.config["NEEDS_SURVEYS_DIR"])
        if not root.is_dir():
            log(_("Demo needs round skipped: no survey folder %(folder)s.", folder=root))
            return None
        try:
            survey_files.import_surveys(root)
        except survey_files.SurveyError as error:
            log(_("Demo needs round skipped: the survey files have problems:"))
            for problem in error.problems:
                log(f"  {problem}")
            return None
        found = {s.slug: s for s in db.session.scalars(select(Survey).where(Survey.slug.in_(slugs)))}
    if len(found) < len(slugs):
        log(_("Demo needs round skipped: surveys %(slugs)s are missing.",
              slugs=", ".join(sorted(set(slugs) - set(found)))))
        return None
    return {kind: found[slug] for kind, slug in SURVEY_SLUGS.items()}


def _moment(day, rng: random.Random) -> datetime:
    local = datetime.combine(day, time(8, 0), tzinfo=local_zone()) + timedelta(minutes=rng.randrange(0, 8 * 60))
    return local.astimezone(local_zone())


def seed(log) -> None:
    """Add the demo needs rounds once each (idempotent: matched by their titles): the first
    library's, with its story, and the second library's own smaller one (issue 20)."""
    _seed_home(log)
    _seed_second_library(log)


# The second demo library (Sampit): its own closed round, weaker in customer service.
SECOND_ROUND_TITLE = "Analisis Kebutuhan Pelatihan Perpustakaan Daerah Kotawaringin Timur 2026"
SECOND_PROFILE: dict[str, tuple[float, float]] = {
    "cs-reference-interview": (4.5, 2.6), "cs-complaints": (4.6, 2.3), "cs-inclusive": (4.4, 2.4),
    "cat-classification": (4.0, 3.3), "dig-social-media": (4.2, 2.8),
}


def _seed_second_library(log) -> None:
    if db.session.scalar(select(NeedsRound.id).where(NeedsRound.title == SECOND_ROUND_TITLE)) is not None:
        return
    competencies = list(db.session.scalars(select(Competency.id).order_by(Competency.position)))
    surveys = _ensure_surveys(log) if competencies else None
    library = db.session.scalar(select(Unit).where(Unit.code == SECOND_LIBRARY))
    head = db.session.scalar(select(User).where(User.username == "rahmah"))
    if surveys is None or library is None or head is None:
        return
    rng = random.Random(SEED + 1)
    today = local_today()
    needs_round = NeedsRound(title=SECOND_ROUND_TITLE, opens_on=today - timedelta(days=60),
                             closes_on=today - timedelta(days=30), self_survey_id=surveys[SELF].id,
                             supervisor_survey_id=surveys[SUPERVISOR].id, units=[library],
                             organisation_id=library.id)
    db.session.add(needs_round)
    db.session.flush()
    staff = [user for user in db.session.scalars(select(User).where(User.active.is_(True),
                                                                    User.id.in_(library_members(SECOND_LIBRARY)))
                                                 .order_by(User.username))
             if user.has_role("librarian")]
    ratings = 0
    for user in staff:
        self_rated, rated = {}, {}
        for kind, rater in ((SELF, user), (SUPERVISOR, head)):
            if kind == SUPERVISOR and rater.id == user.id:
                continue
            day = needs_round.opens_on if kind == SELF else needs_round.closes_on - timedelta(days=10)
            when = _moment(day + timedelta(days=rng.randrange(0, 10)), rng)
            response = StaffResponse(round_id=needs_round.id, survey_id=surveys[kind].id, kind=kind,
                                     subject_id=user.id, rater_id=rater.id, unit_id=user.unit_id,
                                     position=user.position, submitted_at=when, updated_at=when)
            for competency_id in competencies:
                importance_mean, ability_mean = SECOND_PROFILE.get(competency_id, (3.6, 3.0))
                if kind == SELF:
                    self_rated[competency_id] = _level(rng, ability_mean)
                    answer = StaffAnswer(competency_id=competency_id, importance=_level(rng, importance_mean, 0.5),
                                         ability=self_rated[competency_id])
                else:
                    rated[competency_id] = _level(rng, self_rated[competency_id] - 0.2, 0.5)
                    answer = StaffAnswer(competency_id=competency_id, importance=None, ability=rated[competency_id])
                response.answers.append(answer)
            db.session.add(response)
            ratings += kind == SUPERVISOR
    db.session.commit()
    log(_("Demo needs round of the second library: %(staff)d self-assessments, %(ratings)d supervisor ratings.",
          staff=len(staff), ratings=ratings))


def _seed_home(log) -> None:
    """The first library's round, with the story the module docstring tells."""
    if db.session.scalar(select(NeedsRound.id).where(NeedsRound.title == ROUND_TITLE)) is not None:
        log(_("Demo needs round: already present."))
        return
    competencies = list(db.session.scalars(select(Competency.id).order_by(Competency.position)))
    if not competencies:
        log(_("Demo needs round skipped: import the courses first (lms courses import courses)."))
        return
    surveys = _ensure_surveys(log)
    if surveys is None:
        return
    units = {unit.code: unit for unit in db.session.scalars(select(Unit))}
    if "pkp" not in units:
        log(_("Demo needs round skipped: run the demo organisation first."))
        return
    rng = random.Random(SEED)
    today = local_today()
    needs_round = NeedsRound(title=ROUND_TITLE, opens_on=today - timedelta(days=75),
                             closes_on=today - timedelta(days=45), self_survey_id=surveys[SELF].id,
                             supervisor_survey_id=surveys[SUPERVISOR].id, patron_survey_id=surveys[PATRON].id,
                             units=[units["pkp"]], organisation_id=units["pkp"].organisation_id)
    db.session.add(needs_round)
    db.session.flush()

    codes = {unit_id: code for code, unit_id in ((u.code, u.id) for u in units.values())}
    staff = [user for user in db.session.scalars(select(User).where(User.active.is_(True),
                                                                    User.id.in_(library_members(HOME_LIBRARY)))
                                                 .order_by(User.username))
             if user.has_role("librarian")]
    abilities: dict[int, dict[str, int]] = {}
    for user in staff:
        shift = UNIT_SHIFT.get(codes.get(user.unit_id, ""), {})
        when = _moment(needs_round.opens_on + timedelta(days=rng.randrange(0, 20)), rng)
        response = StaffResponse(round_id=needs_round.id, survey_id=surveys[SELF].id, kind=SELF, subject_id=user.id,
                                 rater_id=user.id, unit_id=user.unit_id, position=user.position,
                                 submitted_at=when, updated_at=when)
        abilities[user.id] = {}
        for competency_id in competencies:
            importance_mean, ability_mean = PROFILE.get(competency_id, (3.5, 3.0))
            importance = _level(rng, importance_mean, 0.5)
            ability = _level(rng, ability_mean + shift.get(competency_id.split("-")[0], 0.0))
            importance, ability = PERSONAL.get(user.username, {}).get(competency_id, (importance, ability))
            abilities[user.id][competency_id] = ability
            response.answers.append(StaffAnswer(competency_id=competency_id, importance=importance, ability=ability))
        db.session.add(response)

    # Each unit head rates the staff of the units they supervise (not themselves); the head
    # of the library rates everyone no branch head covers.
    heads = {code: db.session.scalar(select(User).where(User.username == name))
             for name, code in (("citra", "cabang-jekan-raya"), ("frans", "cabang-pahandut"), ("erlina", "pkp"))}
    ratings = 0
    for user in staff:
        code = codes.get(user.unit_id, "")
        rater = heads.get(code) if code in heads and heads.get(code) is not None else heads.get("pkp")
        if rater is None or rater.id == user.id:
            continue
        when = _moment(needs_round.closes_on - timedelta(days=rng.randrange(0, 10)), rng)
        response = StaffResponse(round_id=needs_round.id, survey_id=surveys[SUPERVISOR].id, kind=SUPERVISOR,
                                 subject_id=user.id, rater_id=rater.id, unit_id=user.unit_id,
                                 position=user.position, submitted_at=when, updated_at=when)
        for competency_id in competencies:
            # Supervisors see digital promotion a little lower than staff rate themselves.
            bias = -0.4 if competency_id.startswith("dig-") else 0.0
            rating = _level(rng, abilities[user.id][competency_id] + bias, 0.5)
            response.answers.append(StaffAnswer(competency_id=competency_id, importance=None, ability=rating))
        db.session.add(response)
        ratings += 1
    db.session.commit()

    patrons = _import_patron_responses(needs_round, surveys[PATRON], units, rng)
    log(_("Demo needs round: %(staff)d self-assessments, %(ratings)d supervisor ratings, %(patrons)d "
          "patron responses.", staff=len(staff), ratings=ratings, patrons=patrons))


def _patron_csv(needs_round: NeedsRound, survey: Survey, units: dict[str, Unit], rng: random.Random) -> bytes:
    """The CSV a form tool would export: semicolons, Indonesian labels, a timestamp and the
    service location, as the Indonesian spreadsheet locale writes it."""
    unit_column = (survey.settings or {}).get("unit_column") or "Lokasi layanan"
    header = ["Stempel waktu", unit_column] + [item.text_id for item in survey.items]
    lines = [";".join(f'"{cell}"' for cell in header)]
    days = (needs_round.closes_on - needs_round.opens_on).days + 1
    for code, count in PATRON_UNITS:
        branch = code.startswith("cabang")
        for _number in range(count):
            when = _moment(needs_round.opens_on + timedelta(days=rng.randrange(0, days)), rng)
            cells = [when.strftime("%Y-%m-%d %H:%M:%S"), units[code].name]
            for item in survey.items:
                mean = PATRON_MEAN.get(item.competency_id, PATRON_DEFAULT_MEAN) - (0.3 if branch else 0.0)
                cells.append("" if rng.random() < 0.03 else LIKERT_ID[_level(rng, mean, 0.8)])
            lines.append(";".join(f'"{cell}"' for cell in cells))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _import_patron_responses(needs_round: NeedsRound, survey: Survey, units: dict[str, Unit],
                             rng: random.Random) -> int:
    from lms.plugins.needs import patron

    data = _patron_csv(needs_round, survey, units, rng)
    imported = patron.import_patron_csv(data, "kepuasan-pemustaka-demo.csv", survey.slug, round_id=needs_round.id)
    return imported.record.rows

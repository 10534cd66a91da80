"""The gap analysis: every figure checked against values worked out by hand.

The helpers at the top build rounds, responses, patron answers and quiz answers directly
in the database; the view, impact and CLI tests import them from here.
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from lms.extensions import db
from lms.plugins.courses.models import Competency, Module, Question
from lms.plugins.needs import analysis, evidence
from lms.plugins.needs.models import NeedsRound, PatronAnswer, PatronImport, PatronResponse, StaffAnswer
from lms.plugins.needs.models import StaffResponse, Survey, SurveyItem
from lms.plugins.quizzes.models import IN_PROGRESS, SUBMITTED, QuizAnswer, QuizAttempt

JAKARTA = timezone(timedelta(hours=7))  # the test app's BABEL_DEFAULT_TIMEZONE, Asia/Jakarta
WEIGHTS = {"self": 0.4, "supervisor": 0.3, "quiz": 0.15, "patron": 0.15}


# --- builders --------------------------------------------------------------------------------

def survey(kind: str) -> Survey:
    found = db.session.scalar(select(Survey).where(Survey.slug == f"t-{kind}"))
    if found:
        return found
    found = Survey(slug=f"t-{kind}", kind=kind, title_id=kind, title_en=kind, source_hash="0" * 64)
    db.session.add(found)
    db.session.commit()
    return found


def home_unit():
    """The library every round here belongs to (a round has an owner since migration 0026),
    created on first use when the test has no ``org``."""
    from lms import organisations
    from lms.auth.models import Organisation, Unit

    found = db.session.scalar(select(Unit).join(Organisation, Organisation.unit_id == Unit.id)
                              .where(Unit.parent_id.is_(None)).order_by(Unit.id).limit(1))
    if found is None:
        found = Unit(code="lib-home", name="Perpustakaan Rumah", kind="library")
        db.session.add(found)
        db.session.flush()
        organisations.assign_organisations()
        db.session.commit()
    return found


def make_round(title: str = "Putaran 2026", opens: date = date(2026, 1, 5), closes: date = date(2026, 1, 31)
               ) -> NeedsRound:
    needs_round = NeedsRound(title=title, opens_on=opens, closes_on=closes, organisation_id=home_unit().id)
    db.session.add(needs_round)
    db.session.commit()
    return needs_round


def self_assess(needs_round, user, answers: dict, unit=None, position=None) -> StaffResponse:
    """``answers``: competency id -> (importance, ability). Unit/position default to the user's."""
    response = StaffResponse(round_id=needs_round.id, survey_id=survey("self").id, kind="self",
                             subject_id=user.id, rater_id=user.id,
                             unit_id=(unit or user.unit).id if (unit or user.unit) else None,
                             position=position if position is not None else user.position)
    response.answers = [StaffAnswer(competency_id=cid, importance=i, ability=a) for cid, (i, a) in answers.items()]
    db.session.add(response)
    db.session.commit()
    return response


def rate(needs_round, rater, subject, answers: dict, position=None) -> StaffResponse:
    """A supervisor's ratings of ``subject``: competency id -> ability."""
    response = StaffResponse(round_id=needs_round.id, survey_id=survey("supervisor").id, kind="supervisor",
                             subject_id=subject.id, rater_id=rater.id,
                             unit_id=subject.unit.id if subject.unit else None,
                             position=position if position is not None else subject.position)
    response.answers = [StaffAnswer(competency_id=cid, importance=None, ability=a) for cid, a in answers.items()]
    db.session.add(response)
    db.session.commit()
    return response


def patron(needs_round, competency_id: str, values, unit=None) -> None:
    """One anonymous patron response per value, answering one item mapped to ``competency_id``."""
    instrument = survey("patron")
    item = db.session.scalar(select(SurveyItem).where(SurveyItem.survey_id == instrument.id,
                                                      SurveyItem.key == competency_id))
    if item is None:
        item = SurveyItem(survey_id=instrument.id, key=competency_id, position=0, text_id="t", text_en="t",
                          competency_id=competency_id)
        db.session.add(item)
    digest = hashlib.sha256(f"{needs_round.id}-{competency_id}-{values}-{unit}".encode()).hexdigest()
    upload = PatronImport(round_id=needs_round.id, survey_id=instrument.id, unit_id=unit.id if unit else None,
                          filename="p.csv", sha256=digest, rows=len(values))
    db.session.add(upload)
    db.session.flush()
    for line, value in enumerate(values, start=2):
        response = PatronResponse(import_id=upload.id, round_id=needs_round.id, unit_id=upload.unit_id, line=line,
                                  row_hash=hashlib.sha256(f"{digest}-{line}".encode()).hexdigest())
        db.session.add(response)
        db.session.flush()
        db.session.add(PatronAnswer(response_id=response.id, item_id=item.id, round_id=needs_round.id,
                                    competency_id=competency_id, unit_id=upload.unit_id, value=value))
    db.session.commit()


def questions(module_slug: str) -> dict[str, Question]:
    module = db.session.scalar(select(Module).where(Module.slug == module_slug))
    return {q.qid: q for q in module.current_version.questions}


def quiz(user, module_slug: str, credits: dict, submitted_at: datetime | None, status: str = SUBMITTED
         ) -> QuizAttempt:
    """An attempt with ``credits`` (qid -> credit 0..1, or None = not graded)."""
    module = db.session.scalar(select(Module).where(Module.slug == module_slug))
    number = len(db.session.scalars(select(QuizAttempt).where(QuizAttempt.user_id == user.id,
                                                              QuizAttempt.module_id == module.id)).all()) + 1
    attempt = QuizAttempt(user_id=user.id, module_id=module.id, module_version_id=module.current_version_id,
                          number=number, status=status, submitted_at=submitted_at)
    by_qid = questions(module_slug)
    attempt.answers = [QuizAnswer(question_id=by_qid[qid].id, response={"v": 1}, credit=credit)
                       for qid, credit in credits.items()]
    db.session.add(attempt)
    evidence.invalidate()  # written around grade_attempt, back-dated: the kept evidence must go
    db.session.commit()
    return attempt


def local(year, month, day, hour=12, minute=0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=JAKARTA).astimezone(timezone.utc)


def people(make_user, count: int, unit=None, prefix: str = "p", position=None):
    """``count`` librarians of ``unit`` (default: the home library: people without a unit
    belong to no organisation and are in nobody's round)."""
    unit = unit or home_unit()
    return [make_user(f"{prefix}{i}", unit=unit, position=position) for i in range(count)]


# The MARC quiz: marc-245 (1 point), marc-multi (2), marc-tf (1), marc-short (1), all cat-marc.
# Credits 1, 0.5, 0, 1 earn 1 + 1 + 0 + 1 = 3 of 5 points: mastery 0.6.
PARTIAL = {"marc-245": 1.0, "marc-multi": 0.5, "marc-tf": 0.0, "marc-short": 1.0}
FULL = {"marc-245": 1.0, "marc-multi": 1.0, "marc-tf": 1.0, "marc-short": 1.0}


# --- Borich MWDS -----------------------------------------------------------------------------

def test_mwds_by_hand(imported, make_user):
    needs_round = make_round()
    for user, pair in zip(people(make_user, 3), [(5, 2), (4, 3), (5, 1)], strict=True):
        self_assess(needs_round, user, {"cat-marc": pair})
    result = analysis.analyze(needs_round)
    score = result.by_id("cat-marc")
    # sum D = 3 + 1 + 4 = 8; mean I = 14/3; MWDS = 8 * 14/3 / 3
    assert score.n_self == 3 and result.respondents == 3
    assert score.sum_discrepancy == 8
    assert score.mean_importance == pytest.approx(14 / 3)
    assert score.mean_ability == pytest.approx(2.0)
    assert score.mean_discrepancy == pytest.approx(8 / 3)
    assert score.mwds == pytest.approx(12.444444, abs=1e-5)
    assert score.needs == {"self": pytest.approx(12.444444 / 20, abs=1e-6)}
    assert score.priority == pytest.approx(12.444444 / 20, abs=1e-6)  # one source: its own need
    assert score.rank == 1
    assert result.by_id("cat-classification").priority is None
    assert result.by_id("cat-classification").rank is None
    assert not result.empty


def test_priority_with_four_sources_and_with_one_missing(imported, make_user):
    needs_round = make_round()
    staff = people(make_user, 3)
    for user, pair in zip(staff, [(5, 2), (4, 3), (5, 1)], strict=True):
        self_assess(needs_round, user, {"cat-marc": pair})
    boss = make_user("boss", roles=("supervisor",))
    rate(needs_round, boss, staff[0], {"cat-marc": 2})  # no position: target 4, gap 2
    rate(needs_round, boss, staff[1], {"cat-marc": 3})  # gap 1; mean gap 1.5 -> need 0.375
    quiz(staff[0], "marc", PARTIAL, local(2026, 1, 20))  # mastery 3/5 -> need 0.4

    without_patron = analysis.analyze(needs_round).by_id("cat-marc")
    self_need = (8 * 14 / 3 / 3) / 20
    assert without_patron.needs == {"self": pytest.approx(self_need), "supervisor": pytest.approx(0.375),
                                    "quiz": pytest.approx(0.4)}
    # weights renormalised over the three sources with data: 0.4 + 0.3 + 0.15 = 0.85
    assert without_patron.priority == pytest.approx((0.4 * self_need + 0.3 * 0.375 + 0.15 * 0.4) / 0.85)
    assert without_patron.priority == pytest.approx(0.495752, abs=1e-6)

    patron(needs_round, "cat-marc", [4, 3, 2, 5])  # mean 3.5 -> need (5 - 3.5) / 4 = 0.375
    score = analysis.analyze(needs_round).by_id("cat-marc")
    assert score.patron_mean == pytest.approx(3.5) and score.n_patron == 4
    assert score.supervisor_mean == pytest.approx(2.5) and score.supervisor_target == pytest.approx(4.0)
    assert score.quiz_mastery == pytest.approx(0.6) and score.quiz_answers == 4
    # 0.4 * 0.62222 + 0.3 * 0.375 + 0.15 * 0.4 + 0.15 * 0.375 = 0.477639
    assert score.priority == pytest.approx(0.477639, abs=1e-6)


def test_weights_come_from_the_settings(app, imported, make_user):
    needs_round = make_round()
    user = make_user("solo", unit=home_unit())
    self_assess(needs_round, user, {"cat-marc": (5, 1)})  # MWDS 20 -> need 1
    patron(needs_round, "cat-marc", [5])  # need 0
    app.config["NEEDS_WEIGHTS"] = {"self": 1, "supervisor": 0, "quiz": 0, "patron": 3}
    assert analysis.analyze(needs_round).by_id("cat-marc").priority == pytest.approx(0.25)


def test_supervisor_target_from_the_framework(imported, make_user):
    needs_round = make_round()
    boss = make_user("boss", roles=("supervisor",))
    first = make_user("first", position="Pustakawan Ahli Pertama")  # target 3 in competencies.yml
    skilled = make_user("skilled", position="Asisten Perpustakaan Mahir")  # no target: NEEDS_DEFAULT_TARGET 4
    rate(needs_round, boss, first, {"cs-reference-interview": 2, "cat-classification": 5})
    rate(needs_round, boss, skilled, {"cs-reference-interview": 2, "cat-classification": 5})
    result = analysis.analyze(needs_round)
    score = result.by_id("cs-reference-interview")
    # gaps: 3 - 2 = 1 and 4 - 2 = 2; mean 1.5 -> need 0.375
    assert score.n_supervisor == 2
    assert score.supervisor_mean == pytest.approx(2.0)
    assert score.supervisor_target == pytest.approx(3.5)
    assert score.needs == {"supervisor": pytest.approx(0.375)}
    # ratings above the target: gaps -1 and -1 -> need clamped to 0, not negative
    assert result.by_id("cat-classification").needs == {"supervisor": 0.0}
    assert result.respondents == 0  # ratings are not self-assessments


def test_default_target_setting(app, imported, make_user):
    needs_round = make_round()
    rate(needs_round, make_user("boss", roles=("supervisor",)), make_user("x"), {"cat-marc": 2})
    app.config["NEEDS_DEFAULT_TARGET"] = 5
    assert analysis.analyze(needs_round).by_id("cat-marc").needs["supervisor"] == pytest.approx(0.75)


# --- quiz evidence ---------------------------------------------------------------------------

def test_quiz_mastery_counts_graded_submitted_answers_up_to_the_close(imported, make_user):
    needs_round = make_round(closes=date(2026, 1, 31))
    ana, budi = make_user("ana", unit=home_unit()), make_user("budi", unit=home_unit())
    quiz(ana, "marc", PARTIAL, local(2026, 1, 31, 23, 30))  # last local day, late evening: counts
    quiz(budi, "marc", {"marc-245": 0.0, "marc-multi": 1.0}, local(2026, 1, 10))  # 2 of 3 points
    quiz(budi, "marc", FULL, local(2026, 2, 1, 0, 30))  # after the close (local time): ignored
    quiz(ana, "marc", FULL, None, status=IN_PROGRESS)  # not submitted: ignored
    quiz(budi, "marc", {"marc-tf": None, "marc-short": 0.0}, local(2026, 1, 11))  # ungraded + 0 of 1
    score = analysis.analyze(needs_round).by_id("cat-marc")
    # earned 3 + 2 + 0 = 5 of 5 + 3 + 1 = 9 points
    assert score.quiz_answers == 4 + 2 + 1
    assert score.quiz_earned == pytest.approx(5.0) and score.quiz_points == pytest.approx(9.0)
    assert score.quiz_mastery == pytest.approx(5 / 9)
    assert score.needs == {"quiz": pytest.approx(4 / 9)}


def test_quiz_evidence_only_from_people_in_the_round_scope(imported, make_user, org):
    from lms.plugins.needs.models import NeedsRoundUnit

    needs_round = make_round()
    db.session.add(NeedsRoundUnit(round_id=needs_round.id, unit_id=org["branch_a"].id))
    db.session.commit()
    quiz(make_user("in", unit=org["section_a1"]), "marc", FULL, local(2026, 1, 10))
    quiz(make_user("out", unit=org["branch_b"]), "marc", {"marc-245": 0.0}, local(2026, 1, 10))
    assert analysis.analyze(needs_round).by_id("cat-marc").quiz_mastery == pytest.approx(1.0)


# --- filters ---------------------------------------------------------------------------------

def test_unit_filter_excludes_other_units_people_and_patron_answers(imported, make_user, org):
    needs_round = make_round()
    a1 = people(make_user, 2, org["section_a1"], "a")
    b = make_user("b0", unit=org["branch_b"])
    self_assess(needs_round, a1[0], {"cat-marc": (5, 2)})
    self_assess(needs_round, a1[1], {"cat-marc": (4, 3)})
    self_assess(needs_round, b, {"cat-marc": (5, 5)})
    patron(needs_round, "cat-marc", [2, 3], unit=org["branch_a"])
    patron(needs_round, "cat-marc", [5, 5, 5], unit=org["branch_b"])
    quiz(a1[0], "marc", PARTIAL, local(2026, 1, 10))
    quiz(b, "marc", FULL, local(2026, 1, 10))

    scoped = analysis.analyze(needs_round, unit_ids=[org["branch_a"].id])
    score = scoped.by_id("cat-marc")
    assert scoped.respondents == 2
    # D = 3 + 1 = 4, mean I = 4.5, MWDS = 4 * 4.5 / 2 = 9
    assert score.mwds == pytest.approx(9.0)
    assert score.n_patron == 2 and score.patron_mean == pytest.approx(2.5)
    assert score.quiz_mastery == pytest.approx(0.6)

    everyone = analysis.analyze(needs_round).by_id("cat-marc")
    assert everyone.n_self == 3 and everyone.n_patron == 5
    assert everyone.quiz_mastery == pytest.approx(8 / 10)

    other = analysis.analyze(needs_round, unit_ids=[org["branch_b"].id]).by_id("cat-marc")
    assert other.n_self == 1 and other.mwds == pytest.approx(0.0) and other.patron_mean == pytest.approx(5.0)


def test_snapshot_unit_not_the_current_one(imported, make_user, org):
    needs_round = make_round()
    moved = make_user("moved", unit=org["branch_b"])
    self_assess(needs_round, moved, {"cat-marc": (5, 1)}, unit=org["section_a1"])  # answered while in A1
    assert analysis.analyze(needs_round, unit_ids=[org["branch_a"].id]).respondents == 1
    assert analysis.analyze(needs_round, unit_ids=[org["branch_b"].id]).respondents == 0


def test_position_filter(imported, make_user):
    needs_round = make_round()
    self_assess(needs_round, make_user("x", position="Asisten Perpustakaan Mahir"), {"cat-marc": (5, 1)})
    self_assess(needs_round, make_user("y", position="Pustakawan Ahli Pertama"), {"cat-marc": (3, 3)})
    result = analysis.analyze(needs_round, position="Asisten Perpustakaan Mahir")
    assert result.respondents == 1 and result.by_id("cat-marc").mwds == pytest.approx(20.0)


# --- empty round, ranking and quadrants ------------------------------------------------------

def test_empty_round_divides_by_nothing(imported):
    result = analysis.analyze(make_round())
    assert result.empty and result.respondents == 0
    assert all(c.priority is None and c.rank is None and c.quadrant is None for c in result.competencies)
    assert result.mean_importance is None
    data = analysis.to_json(result)
    assert data["empty"] is True and data["respondents"] == 0
    assert [c["id"] for c in data["competencies"]] == ["cat-marc", "cat-classification", "cs-reference-interview"]


def test_ranking_and_locus_for_focus_quadrants(imported, make_user):
    db.session.add(Competency(id="cs-extra", area="customer-service", area_name_id="Layanan",
                              area_name_en="Service", name_id="Tambahan", name_en="Extra", position=99))
    db.session.commit()
    needs_round = make_round()
    self_assess(needs_round, make_user("solo", unit=home_unit()), {
        "cat-marc": (5, 1),  # I 5, D 4
        "cat-classification": (2, 1),  # I 2, D 1
        "cs-reference-interview": (4, 4),  # I 4, D 0
        "cs-extra": (3, 1),  # I 3, D 2
    })
    result = analysis.analyze(needs_round)
    # cross lines: mean I = 14/4 = 3.5, mean D = 7/4 = 1.75
    assert result.mean_importance == pytest.approx(3.5) and result.mean_discrepancy == pytest.approx(1.75)
    quadrants = {c.competency_id: c.quadrant for c in result.competencies}
    assert quadrants == {"cat-marc": "focus", "cat-classification": "low",
                         "cs-reference-interview": "maintain", "cs-extra": "watch"}
    # MWDS 20, 6, 2, 0 -> needs 1, .3, .1, 0
    assert [c.competency_id for c in result.competencies] == [
        "cat-marc", "cs-extra", "cat-classification", "cs-reference-interview"]
    assert [c.rank for c in result.competencies] == [1, 2, 3, 4]


def test_to_json_has_every_figure(imported, make_user):
    needs_round = make_round()
    for user, pair in zip(people(make_user, 3), [(5, 2), (4, 3), (5, 1)], strict=True):
        self_assess(needs_round, user, {"cat-marc": pair})
    data = analysis.to_json(analysis.analyze(needs_round))
    assert data["round"] == {"id": needs_round.id, "title": "Putaran 2026", "opens_on": "2026-01-05",
                             "closes_on": "2026-01-31"}
    assert data["weights"] == {**WEIGHTS, "application": 0.2} and data["respondents"] == 3  # + evaluations
    top = data["competencies"][0]
    assert top["id"] == "cat-marc" and top["rank"] == 1
    assert top["self"]["mwds"] == pytest.approx(112 / 9)
    assert top["priority"] == pytest.approx(112 / 9 / 20)
    assert top["sums"]["importance"] == 14 and top["sums"]["discrepancy"] == 8
    assert top["self"]["n"] == 3 and top["supervisor"]["mean"] is None and top["needs"] == {"self": top["priority"]}


# --- breakdown -------------------------------------------------------------------------------

def test_breakdown_hides_groups_under_five(imported, make_user, org):
    needs_round = make_round()
    for user in people(make_user, 4, org["branch_a"], "a", position="Asisten Perpustakaan Mahir"):
        self_assess(needs_round, user, {"cat-marc": (5, 1)})
    five = people(make_user, 5, org["branch_b"], "b", position="Asisten Perpustakaan Mahir")
    for user, pair in zip(five, [(5, 2), (4, 3), (5, 1), (3, 3), (3, 1)], strict=True):
        self_assess(needs_round, user, {"cat-marc": pair})

    groups = {g.label: g for g in analysis.breakdown(needs_round, by="unit")}
    assert groups["Cabang A"].n == 4 and groups["Cabang A"].hidden and groups["Cabang A"].competencies == {}
    shown = groups["Cabang B"]
    assert shown.n == 5 and not shown.hidden
    # D = 3 + 1 + 4 + 0 + 2 = 10, mean I = 20/5 = 4, MWDS = 10 * 4 / 5 = 8
    assert shown.competencies["cat-marc"].mwds == pytest.approx(8.0)
    assert shown.competencies["cat-marc"].mean_ability == pytest.approx(2.0)

    by_position = analysis.breakdown(needs_round, by="position")
    assert [(g.label, g.n, g.hidden) for g in by_position] == [("Asisten Perpustakaan Mahir", 9, False)]
    assert analysis.breakdown(needs_round, by="unit", unit_ids=[org["branch_a"].id])[0].hidden
    with pytest.raises(ValueError):
        analysis.breakdown(needs_round, by="colour")


# --- evidence --------------------------------------------------------------------------------

def test_evidence_writes_out_the_arithmetic(imported, make_user):
    needs_round = make_round()
    staff = people(make_user, 3)
    for user, pair in zip(staff, [(5, 2), (4, 3), (5, 1)], strict=True):
        self_assess(needs_round, user, {"cat-marc": pair})
    patron(needs_round, "cat-marc", [4, 3, 2, 5])
    found = analysis.evidence(needs_round, "cat-marc")
    assert found.score.sum_importance == 14 and found.score.n_self == 3
    assert found.weights == {"self": 0.4, "patron": 0.15}
    texts = [text for _stage, text in found.steps]
    assert "MWDS = Σ(I − A) × mean(I) / n = 8 × (14 / 3) / 3 = 12.444" in texts
    assert "mean = 14 / 4 = 3.5" in texts
    assert texts[-1] == "priority = (0.4 × 0.622 + 0.15 × 0.375) / (0.4 + 0.15) = 0.555"
    # (0.4 * 0.62222 + 0.15 * 0.375) / 0.55 = 0.554798
    assert found.score.priority == pytest.approx(0.554798, abs=1e-6)
    assert analysis.evidence(needs_round, "no-such") is None


# --- one librarian ---------------------------------------------------------------------------

def test_librarian_evidence_is_the_persons_own(imported, make_user, org):
    needs_round = make_round(closes=date(2020, 1, 31), opens=date(2020, 1, 1))  # closed: the default round
    me = make_user("me", unit=org["branch_a"], position="Pustakawan Ahli Pertama")
    other = make_user("other", unit=org["branch_a"])
    boss = make_user("boss", roles=("supervisor",))
    self_assess(needs_round, me, {"cat-marc": (5, 2), "cs-reference-interview": (4, 4)})
    self_assess(needs_round, other, {"cat-marc": (1, 1)})
    rate(needs_round, boss, me, {"cs-reference-interview": 2})  # target 3 for this position: gap 1
    rate(needs_round, boss, other, {"cat-marc": 1})
    quiz(me, "marc", PARTIAL, local(2020, 1, 10))
    quiz(other, "marc", FULL, local(2020, 1, 10))
    patron(needs_round, "cat-marc", [3, 4], unit=org["branch_a"])
    patron(needs_round, "cat-marc", [1], unit=org["branch_b"])

    mine = analysis.librarian_evidence(me)
    marc = mine["cat-marc"]
    assert (marc.importance, marc.ability, marc.discrepancy, marc.weighted_discrepancy) == (5, 2, 3, 15.0)
    assert marc.supervisor_rating is None
    assert marc.quiz_mastery == pytest.approx(0.6)
    assert marc.patron_mean == pytest.approx(3.5)
    # needs: self 15/20 = .75, quiz .4, patron .375
    assert marc.needs == {"self": pytest.approx(0.75), "quiz": pytest.approx(0.4), "patron": pytest.approx(0.375)}
    assert marc.personal_priority == pytest.approx((0.4 * 0.75 + 0.15 * 0.4 + 0.15 * 0.375) / 0.7)
    assert marc.org_rank is not None and marc.org_priority is not None
    reference = mine["cs-reference-interview"]
    assert reference.supervisor_rating == pytest.approx(2.0) and reference.target == pytest.approx(3.0)
    assert reference.needs["supervisor"] == pytest.approx(0.25)
    assert not mine["cat-classification"].has_evidence


def test_librarian_evidence_without_a_round(imported, make_user):
    assert analysis.librarian_evidence(make_user("nobody")) == {}


def test_quadrant_chart_geometry(imported, make_user):
    from lms.plugins.needs.charts import quadrant_chart

    needs_round = make_round()
    assert quadrant_chart(analysis.analyze(needs_round)) is None  # nothing to plot
    self_assess(needs_round, make_user("solo", unit=home_unit()), {"cat-marc": (5, 1), "cat-classification": (2, 1),
                                                 "cs-reference-interview": (4, 4)})
    chart = quadrant_chart(analysis.analyze(needs_round))
    points = {p.competency_id: p for p in chart.points}
    focus = next(r for r in chart.rects if r.quadrant == "focus")
    # SVG y grows downwards: the focus quadrant is right of and above the cross lines
    assert (focus.x, focus.y + focus.height) == (chart.cross_x, chart.cross_y)
    marc, low = points["cat-marc"], points["cat-classification"]
    assert marc.quadrant == "focus" and marc.cx > chart.cross_x and marc.cy < chart.cross_y
    assert low.quadrant == "low" and low.cx < chart.cross_x and low.cy > chart.cross_y
    assert chart.left < min(p.cx for p in points.values()) and max(p.cx for p in points.values()) < chart.right
    assert chart.top < min(p.cy for p in points.values()) and max(p.cy for p in points.values()) < chart.bottom

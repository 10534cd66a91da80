"""Quiz attempts and answers for the synthetic benchmark data (``lms demo --scale N``).

About 200 submitted attempts per librarian (1,000,000 at N = 5,000; ``lms demo --scale N
--attempts-per-librarian K`` sets another mean, for the benchmark's scaling curve), each with one answer
per question, over the past year. Each librarian works through a share (65-100 %) of the
modules, course by course in an order of their own: attempts until the quiz is passed (at
most six), then - on quizzes graded by the highest score with unlimited attempts - a few
more to improve the score, until the person's budget is spent. Quizzes graded otherwise,
or with an attempt limit, get one attempt (or the limit), so "passed" always agrees with
the module grade the app computes.

An answer is right with a probability that follows the person's ability in the question's
competency (:class:`lms.core.bench_data.Abilities`), the question's difficulty and the attempt
number; otherwise it is one of a few plausible wrong responses (some earn partial credit)
or, rarely, blank. Each question type writes its responses (``example_response``) and every
distinct response is graded once by the real question type, so credits, scores, percents
and pass/fail are what the grader would have written. A type graded by a person (an essay)
gets the credit of the response's quality as if its trainer had graded it (no grade rows
with rubric levels are written, so the grading queue of the benchmark data is empty). Attempt layouts are real layouts (four
arrangements per module version, drawn by the question types themselves).
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import select

from lms.core.bulk import Values, bulk_writer, in_parallel
from lms.core.bench_data import ATTEMPTS_PER_LIBRARIAN, DAYS, Abilities, Clock, Person, people, stable_fraction, timed
from lms.extensions import db
from lms.plugins.courses.models import Course, Module, ModuleVersion, Question
from lms.plugins.quizzes.models import SUBMITTED, QuizAnswer, QuizAttempt
from lms.plugins.quizzes.services import rebuild_scores, registry, settings

SEED = 83
UNTIL_PASS = 6  # attempts before a learner gives a quiz up
FIRST_ATTEMPTS_GUESS = 2.0  # attempts to pass, on average (the rest of the budget is retakes)
BLANK = 0.02  # share of questions left unanswered
MAX_CHANCE = 0.98  # of a right answer (or blank), however able the person
LAYOUTS = 4  # layout variants per module version
BATCH = 25  # librarians per task for a worker process

ATTEMPT_COLUMNS = ("id", "user_id", "module_id", "module_version_id", "number", "status", "layout", "started_at",
                   "deadline", "submitted_at", "score", "max_score", "percent", "passed")
ANSWER_COLUMNS = ("attempt_id", "saved_at", "question_id", "response", "credit")


WRONG_QUALITIES = (0.5, 0.5, 0.0)  # the wrong responses drawn per question: two partly right, one wrong


def _responses(rng: random.Random, qtype, data: dict) -> tuple[dict | None, list[dict | None]]:
    """(the right response, a few partly right or wrong ones), each written by the question
    type itself (``example_response``); a type that writes none leaves the question blank."""
    right = qtype.example_response(data, rng, 1.0)
    wrongs = [qtype.example_response(data, rng, quality) for quality in WRONG_QUALITIES]
    return right, wrongs


@dataclass
class Item:
    """One question, with its answers ready to write: (question id, JSON text or None, credit)."""

    id: int
    points: float
    competency: str
    difficulty: float  # added to the chance of a right answer
    right: tuple[int, str | None, float]
    wrongs: list[tuple[int, str | None, float]]
    blank: tuple[int, None, float]


@dataclass
class Quiz:
    module_id: int
    course_id: int
    version_id: int
    pass_mark: float
    limit: int  # attempts allowed, 0 = unlimited
    highest: bool  # graded by the best attempt (otherwise one attempt is drawn: first = last = average)
    time_limit: int
    items: list[Item] = field(default_factory=list)
    layouts: list[str] = field(default_factory=list)

    @property
    def retakes(self) -> bool:
        """Further attempts after a pass make sense (best attempt counts, no limit)."""
        return self.highest and not self.limit

    @cached_property
    def maximum(self) -> float:
        return sum(item.points for item in self.items)


def load_quizzes(rng: random.Random) -> list[Quiz]:
    """Every active module with a quiz, in course and module order."""
    types = registry()
    quizzes = []
    modules = db.session.scalars(
        select(Module).join(Course, Course.id == Module.course_id)
        .where(Module.active.is_(True), Module.current_version_id.is_not(None), Course.published.is_(True))
        .order_by(Course.id, Module.position))
    for module in modules:
        version: ModuleVersion = module.current_version
        questions: list[Question] = list(version.questions)
        if not questions:
            continue
        config = settings(version)
        quiz = Quiz(module.id, module.course_id, version.id, version.pass_mark, int(config["attempts"] or 0),
                    config["grading"] == "highest", int(config["time_limit"] or 0))
        for question in questions:
            qtype = types.get(question.type)
            right, wrongs = _responses(rng, qtype, question.data) if qtype else (None, [None])

            def graded(response, quality, qtype=qtype, question=question):
                credit = qtype.grade(question.data, response) if qtype else 0.0
                if credit is None:  # graded by a person (an essay): as a trainer would, by its quality
                    credit = quality
                return question.id, (None if response is None else json.dumps(response)), credit

            quiz.items.append(Item(question.id, question.points, question.competency_id or "",
                                   0.25 * (stable_fraction("q", question.qid) - 0.6), graded(right, 1.0),
                                   [graded(w, q) for w, q in zip(wrongs, WRONG_QUALITIES)], graded(None, 0.0)))
        for _variant in range(LAYOUTS):
            shuffle = bool(config["shuffle"])
            order = [q.id for q in questions]
            if shuffle:
                rng.shuffle(order)
            quiz.layouts.append(json.dumps({"questions": order, "items": {
                str(q.id): types[q.type].layout(q.data, rng, shuffle and q.shuffle) if q.type in types else {}
                for q in questions}}))
        quizzes.append(quiz)
    return quizzes


def _plan(rng: random.Random, quizzes: list[Quiz], per_librarian: int) -> tuple[list[Quiz], int]:
    """The quizzes a person takes, in order, and their attempt budget (about
    ``per_librarian``). A small budget is a shorter history, not a thinner one: fewer
    modules, each still attempted until passed (the default budget takes every planned module)."""
    by_course: dict[int, list[Quiz]] = {}
    for quiz in quizzes:
        by_course.setdefault(quiz.course_id, []).append(quiz)
    courses = list(by_course.values())
    rng.shuffle(courses)
    path = [quiz for course in courses for quiz in course]
    planned = max(1, round(len(path) * rng.uniform(0.65, 1.0)))
    budget = round(rng.gauss(per_librarian, 0.15 * per_librarian))
    taken = path[:min(planned, max(1, round(budget / FIRST_ATTEMPTS_GUESS)))]
    return taken, max(len(taken), budget)


class AttemptGenerator:
    """Draws the attempts of a batch of librarians (runs in a worker process, see
    :func:`lms.core.bulk.in_parallel`): attempt rows without their id, and answer rows whose
    first value is the attempt's index in the batch - the writer numbers them."""

    def __init__(self, quizzes: list[Quiz], values: Values, per_librarian: int = ATTEMPTS_PER_LIBRARIAN):
        self.quizzes, self.values, self.per_librarian = quizzes, values, per_librarian
        self.abilities, self.clock = Abilities(), Clock()

    def __call__(self, batch: list[Person]) -> tuple[list[tuple], list[tuple]]:
        stamp, moment = self.values.stamp, self.clock.moment
        attempt_rows: list[tuple] = []
        answer_rows: list[tuple] = []
        for person in batch:
            rng = random.Random(SEED * 1_000_003 + person.id)
            drawn = _draw_attempts(rng, self.quizzes, person, self.abilities, self.per_librarian)
            start = rng.uniform(0, 90)
            days = sorted(rng.uniform(start, DAYS - 0.5) for _ in drawn)
            previous_end = 0.0
            for (quiz, number, chosen, score, percent, passed), day in zip(drawn, days):
                started = max(moment(day), previous_end + 60)
                duration = rng.uniform(240, 1500)
                if quiz.time_limit:  # submitted in time
                    duration = min(duration, quiz.time_limit * 60 - 30)
                previous_end = submitted = started + duration
                head = (len(attempt_rows), stamp(submitted))
                attempt_rows.append((person.id, quiz.module_id, quiz.version_id, number, SUBMITTED,
                                     quiz.layouts[int(rng.random() * LAYOUTS)], stamp(started),
                                     stamp(started + quiz.time_limit * 60) if quiz.time_limit else None,
                                     head[1], round(score, 4), quiz.maximum, percent, passed))
                answer_rows.extend([head + answer for answer in chosen])
        return attempt_rows, answer_rows


def seed(scale: int, log, per_librarian: int = ATTEMPTS_PER_LIBRARIAN) -> None:
    """Write the attempts and answers of every synthetic librarian (one transaction), about
    ``per_librarian`` each."""
    staff = people()
    quizzes = load_quizzes(random.Random(SEED))
    if not staff or not quizzes:
        log("  quiz attempts skipped: no librarians or no quizzes")
        return
    batches = [staff[start:start + BATCH] for start in range(0, len(staff), BATCH)]
    tables = (QuizAttempt.__table__, QuizAnswer.__table__)
    with timed(log, "quiz attempts and answers") as step, bulk_writer(*tables) as writer:
        attempts = writer.buffer(QuizAttempt.__table__, ATTEMPT_COLUMNS)
        answers = writer.buffer(QuizAnswer.__table__, ANSWER_COLUMNS, after=attempts)
        first = writer.next_id(QuizAttempt.__table__)
        for attempt_rows, answer_rows in in_parallel(AttemptGenerator(quizzes, writer.values, per_librarian), batches):
            attempts.extend([(first + index,) + row for index, row in enumerate(attempt_rows)])
            answers.extend([(first + row[0],) + row[1:] for row in answer_rows])
            first += len(attempt_rows)
        writer.flush()
        step.count("quiz attempts", attempts.written)
        step.count("quiz answers", answers.written)
    with timed(log, "quiz scores (summary)") as step:
        step.count("quiz scores", rebuild_scores())
        db.session.commit()


def _draw_attempts(rng: random.Random, quizzes: list[Quiz], person, abilities: Abilities,
                   per_librarian: int = ATTEMPTS_PER_LIBRARIAN) -> list[tuple]:
    """Every attempt of one person, in order: (quiz, number, [(response, credit)...], score,
    percent, passed). Attempts until a pass (or giving up), then retakes from the budget."""
    taken, budget = _plan(rng, quizzes, per_librarian)
    extra = [0] * len(taken)
    retakers = [index for index, quiz in enumerate(taken) if quiz.retakes]
    for _retake in range(max(0, budget - round(FIRST_ATTEMPTS_GUESS * len(taken))) if retakers else 0):
        extra[retakers[int(rng.random() * len(retakers))]] += 1
    level: dict[str, float] = {}
    drawn = []
    for index, quiz in enumerate(taken):
        chances = []
        for item in quiz.items:
            ability = level.get(item.competency)
            if ability is None:
                ability = level[item.competency] = abilities(person.id, person.unit_id, item.competency)
            chances.append(BLANK + (1 - BLANK) * (0.3 + 0.12 * ability + item.difficulty))
        retakes, passed, number = extra[index], False, 0
        while True:
            if passed:  # improve the score while the budget and the quiz allow
                if not retakes or (quiz.limit and number >= quiz.limit):
                    break
                retakes -= 1
            elif number >= ((quiz.limit or UNTIL_PASS) if quiz.highest else 1):
                break  # given up (or the one attempt a first/last/average grade allows)
            number += 1
            chosen, score = _answer(rng.random, quiz.items, chances, 0.05 * (number - 1))
            percent = round(100.0 * score / quiz.maximum, 2) if quiz.maximum else 0.0
            drawn.append((quiz, number, chosen, score, percent, percent >= quiz.pass_mark))
            passed = passed or percent >= quiz.pass_mark
    return drawn


def _answer(draw, items: list[Item], chances: list[float], practice: float) -> tuple[list[tuple], float]:
    """One attempt's answers: right with the item's chance (plus practice), else blank or wrong."""
    chosen = []
    score = 0.0
    for item, chance in zip(items, chances):
        value = draw()
        if value < BLANK:
            answer = item.blank
        elif value < min(MAX_CHANCE, chance + practice):
            answer = item.right
        else:
            answer = item.wrongs[int(draw() * len(item.wrongs))]
        chosen.append(answer)
        score += answer[2] * item.points
    return chosen, score

"""Item analysis of one module version's quiz: how hard each question is and how well it
separates stronger from weaker attempts. For trainers and supervisors, after the fact.

Cases: **every submitted attempt of the version is one case** (the usual Moodle approach),
so a learner with three attempts counts three times. In-progress attempts, attempts not yet
graded and attempts on other versions never count. A supervisor's view counts only the
attempts of learners in their units (``supervised_unit_ids``); trainers and admins see all.

Per question (``x`` = the credit of the question in an attempt, 0..1, partial credit counts):

- **n**: answers graded (every submitted attempt has one per question; blanks get credit 0);
  **blank**: how many of them were left unanswered.
- **facility** = mean of ``x`` (the share answered right).
- **discrimination** = facility among the top third of attempts minus facility among the
  bottom third. Attempts are ranked by their percent, ascending, ties broken by attempt id
  (``row_number()`` in SQL); with ``N`` attempts each third holds ``floor(N/3)`` of them:
  rank ``r`` is in the bottom third when ``3r <= N`` and in the top third when
  ``3(N - r + 1) <= N``. None when ``N < 3``.
- **correlation**: the *corrected* item-total (point-biserial) correlation, Pearson between
  ``x`` and the attempt's score *without this question* (``y = score - x * points``), so a
  question is not correlated with itself. Worked from SQL sums:
  ``r = (nΣxy - ΣxΣy) / sqrt((nΣx² - (Σx)²)(nΣy² - (Σy)²))``; None when either variance is
  zero (everyone got the same credit, or the same rest score) or ``n < 2``.
- **options** (single, multiple, true/false): how often each option was chosen, as a count
  and a share of ``n`` (a multiple-answer question's shares may add up past 100 %).

Flags (thresholds below): ``easy`` facility > 0.9, ``hard`` facility < 0.2, ``negative``
discrimination < 0, ``weak`` 0 <= discrimination < 0.2.

Everything is aggregated in SQL (GROUP BY, a window function for the ranking, conditional
sums). Single-choice and true/false option counts are grouped in SQL on the JSON response
(``response['choice']``, portable through SQLAlchemy's JSON index on SQLite and
PostgreSQL); a multiple-answer response is a JSON list, which cannot be unnested portably,
so for those questions only ``(question_id, response)`` is streamed and counted in Python.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import Select, case, func, select

from lms.auth.models import User
from lms.exports import MISSING, Cell, Column, Row, Table, fixed_cell, half_up, int_cell, text_cell
from lms.extensions import db
from lms.plugins.courses.models import Course, Module, ModuleVersion, Question
from lms.plugins.quizzes.models import SUBMITTED, QuizAnswer, QuizAttempt

EASY_ABOVE = 0.9  # facility above this: too easy, tells little
HARD_BELOW = 0.2  # facility below this: too hard, or a wrong key
WEAK_BELOW = 0.2  # discrimination below this (but not negative): separates weakly
CHOICE_TYPES = ("single", "multiple", "truefalse")
STEM_LENGTH = 120


@dataclass
class OptionCount:
    label: str  # plain text
    count: int
    share: float  # of the question's answers, 0..1
    correct: bool


@dataclass
class ItemStats:
    question_id: int
    qid: str
    position: int
    type: str
    stem: str  # plain text, shortened
    n: int = 0
    blank: int = 0
    facility: float | None = None
    discrimination: float | None = None
    correlation: float | None = None
    flags: list[str] = field(default_factory=list)
    options: list[OptionCount] | None = None


@dataclass
class ItemAnalysis:
    version: ModuleVersion
    attempts: int
    average: float | None  # mean attempt percent
    items: list[ItemStats]


def _scope(query: Select, unit_ids) -> Select:
    if unit_ids is None:
        return query
    return query.where(QuizAttempt.user_id.in_(select(User.id).where(User.unit_id.in_(unit_ids))))


def _ranked(module_version_id: int, unit_ids):
    """CTE of the counted attempts with their rank by percent and how many there are."""
    query = (select(QuizAttempt.id.label("attempt_id"), QuizAttempt.score.label("score"),
                    QuizAttempt.percent.label("percent"),
                    func.row_number().over(order_by=(QuizAttempt.percent, QuizAttempt.id)).label("rank"),
                    func.count().over().label("total"))
             .where(QuizAttempt.module_version_id == module_version_id, QuizAttempt.status == SUBMITTED,
                    QuizAttempt.percent.is_not(None)))
    return _scope(query, unit_ids).cte("ranked")


def pearson(n: int, sx: float, sy: float, sxy: float, sxx: float, syy: float) -> float | None:
    """Pearson's r from sums; None when a variance is (numerically) zero."""
    if n < 2:
        return None
    var_x = n * sxx - sx * sx
    var_y = n * syy - sy * sy
    if var_x <= 1e-9 * max(1.0, n * sxx) or var_y <= 1e-9 * max(1.0, n * syy):
        return None
    return (n * sxy - sx * sy) / math.sqrt(var_x * var_y)


def flags_for(facility: float | None, discrimination: float | None) -> list[str]:
    """The warning flags of one question (see the module docstring for the thresholds)."""
    flags = []
    if facility is not None and facility > EASY_ABOVE:
        flags.append("easy")
    if facility is not None and facility < HARD_BELOW:
        flags.append("hard")
    if discrimination is not None and discrimination < 0:
        flags.append("negative")
    elif discrimination is not None and discrimination < WEAK_BELOW:
        flags.append("weak")
    return flags


def plain(html: str, length: int | None = None) -> str:
    """Text of rendered HTML, shortened to ``length`` characters with an ellipsis."""
    text = Markup(html or "").striptags()
    if length and len(text) > length:
        text = text[:length - 1].rstrip() + "…"
    return text


def _option_counts(ranked, questions: list[Question]) -> dict[int, Counter]:
    """question id -> Counter of option index (or True/False) -> times chosen."""
    counts: dict[int, Counter] = {q.id: Counter() for q in questions if q.type in CHOICE_TYPES}
    joined = lambda query: query.join(ranked, ranked.c.attempt_id == QuizAnswer.attempt_id)  # noqa: E731
    for qtype, key in (("single", QuizAnswer.response["choice"].as_integer()),
                       ("truefalse", QuizAnswer.response["value"].as_boolean())):
        ids = [q.id for q in questions if q.type == qtype]
        if not ids:
            continue
        query = joined(select(QuizAnswer.question_id, key.label("choice"), func.count().label("times"))
                       .where(QuizAnswer.question_id.in_(ids), QuizAnswer.response.is_not(None))
                       ).group_by(QuizAnswer.question_id, "choice")
        for question_id, choice, times in db.session.execute(query):
            if choice is not None:
                counts[question_id][choice] += times
    ids = [q.id for q in questions if q.type == "multiple"]
    if ids:
        query = joined(select(QuizAnswer.question_id, QuizAnswer.response)
                       .where(QuizAnswer.question_id.in_(ids), QuizAnswer.response.is_not(None)))
        for question_id, response in db.session.execute(query.execution_options(yield_per=2000)):
            counts[question_id].update(set(response.get("choices", [])))
    return counts


def _options(question: Question, counter: Counter, n: int) -> list[OptionCount]:
    share = (lambda count: count / n) if n else (lambda count: 0.0)
    if question.type == "truefalse":
        from flask_babel import gettext as _

        return [OptionCount(_("True"), counter[True], share(counter[True]), question.data.get("answer") is True),
                OptionCount(_("False"), counter[False], share(counter[False]), question.data.get("answer") is False)]
    options = question.data.get("options", [])
    return [OptionCount(plain(option.get("html", option.get("text", ""))), counter[index], share(counter[index]),
                        bool(option.get("correct")))
            for index, option in enumerate(options)]


def item_analysis(module_version_id: int, unit_ids=None) -> ItemAnalysis:
    """Item statistics of a module version's quiz over its submitted attempts.

    ``unit_ids`` (ids or a select of unit ids, e.g. ``supervised_unit_ids(user)``) limits the
    attempts to learners of those units; None counts everyone."""
    version = db.session.get(ModuleVersion, module_version_id)
    if version is None:
        raise LookupError(f"no module version {module_version_id}")
    ranked = _ranked(module_version_id, unit_ids)
    attempts, average = db.session.execute(select(func.count(), func.avg(ranked.c.percent))).one()

    x = QuizAnswer.credit
    y = ranked.c.score - QuizAnswer.credit * Question.points  # the rest score: this question left out
    bottom = 3 * ranked.c.rank <= ranked.c.total
    top = 3 * (ranked.c.total - ranked.c.rank + 1) <= ranked.c.total
    query = (select(QuizAnswer.question_id, func.count(), func.sum(x), func.sum(y), func.sum(x * y),
                    func.sum(x * x), func.sum(y * y),
                    func.sum(case((top, x), else_=0.0)), func.sum(case((top, 1), else_=0)),
                    func.sum(case((bottom, x), else_=0.0)), func.sum(case((bottom, 1), else_=0)),
                    func.sum(case((QuizAnswer.response.is_(None), 1), else_=0)))
             .join(ranked, ranked.c.attempt_id == QuizAnswer.attempt_id)
             .join(Question, Question.id == QuizAnswer.question_id)
             .where(QuizAnswer.credit.is_not(None))
             .group_by(QuizAnswer.question_id))
    sums = {row[0]: row[1:] for row in db.session.execute(query)}

    questions = list(db.session.scalars(select(Question).where(Question.module_version_id == module_version_id)
                                        .order_by(Question.position)))
    option_counts = _option_counts(ranked, questions)
    items = []
    for question in questions:
        item = ItemStats(question.id, question.qid, question.position, question.type,
                         plain(question.stem_html, STEM_LENGTH))
        row = sums.get(question.id)
        if row:
            n, sx, sy, sxy, sxx, syy, top_sum, top_n, bottom_sum, bottom_n, blank = row
            item.n, item.blank = n, blank or 0
            item.facility = sx / n
            if top_n and bottom_n:
                item.discrimination = top_sum / top_n - bottom_sum / bottom_n
            item.correlation = pearson(n, sx, sy, sxy, sxx, syy)
            item.flags = flags_for(item.facility, item.discrimination)
        if question.type in CHOICE_TYPES:
            item.options = _options(question, option_counts[question.id], item.n)
        items.append(item)
    return ItemAnalysis(version=version, attempts=attempts or 0,
                        average=round(average, 2) if average is not None else None, items=items)


@dataclass
class VersionCount:
    version: ModuleVersion
    attempts: int


@dataclass
class ModuleRow:
    course: Course
    module: Module
    versions: list[VersionCount] = field(default_factory=list)


def quiz_modules(unit_ids=None, module_id: int | None = None, viewer=None) -> list[ModuleRow]:
    """Every module version that has a quiz (of the courses ``viewer`` may see, when given),
    with its number of counted submitted attempts, grouped by module (course slug, module
    position, version number order)."""
    counts = _scope(select(QuizAttempt.module_version_id.label("version_id"), func.count().label("attempts"))
                    .where(QuizAttempt.status == SUBMITTED, QuizAttempt.percent.is_not(None))
                    .group_by(QuizAttempt.module_version_id), unit_ids).subquery()
    query = (select(ModuleVersion, Module, Course, func.coalesce(counts.c.attempts, 0))
             .join(Module, Module.id == ModuleVersion.module_id).join(Course, Course.id == Module.course_id)
             .outerjoin(counts, counts.c.version_id == ModuleVersion.id)
             .where(ModuleVersion.id.in_(select(Question.module_version_id)))
             .order_by(Course.slug, Module.position, ModuleVersion.number))
    if module_id is not None:
        query = query.where(Module.id == module_id)
    if viewer is not None:
        from lms.plugins.courses.services import visible_to

        query = query.where(visible_to(viewer))
    rows: dict[int, ModuleRow] = {}
    for version, module, course, attempts in db.session.execute(query):
        rows.setdefault(module.id, ModuleRow(course, module)).versions.append(VersionCount(version, attempts))
    return list(rows.values())


def flagged_count(unit_ids=None) -> int:
    """Questions flagged (too easy, too hard, weak or negative discrimination) in the current
    versions of active modules that have submitted attempts: for the trainer's home. One
    analysis per such version (a few statements each; a site has tens of quizzes)."""
    counted = (select(QuizAttempt.module_version_id).where(QuizAttempt.status == SUBMITTED,
                                                           QuizAttempt.percent.is_not(None)))
    versions = db.session.scalars(select(Module.current_version_id).where(
        Module.active.is_(True), Module.current_version_id.in_(counted)).order_by(Module.id))
    return sum(1 for version_id in list(versions) for item in item_analysis(version_id, unit_ids).items
               if item.flags)


# --- the table, for the page and the exports alike ---------------------------------------------

FLAG_LABELS = {"easy": _l("Too easy"), "hard": _l("Too hard"), "negative": _l("Negative discrimination"),
               "weak": _l("Weak discrimination")}

ITEM_COLUMNS = [
    Column("position", "#", True), Column("question", _l("Question")), Column("qid", _l("Question ID")),
    Column("type", _l("Type")), Column("n", _l("Answers"), True), Column("blank", _l("Left blank"), True),
    Column("facility", _l("Facility"), True), Column("discrimination", _l("Discrimination"), True),
    Column("correlation", _l("Correlation"), True), Column("flags", _l("Flags")),
]


def facility_cell(facility: float | None) -> Cell:
    """A share as a percentage with one decimal (62.5%); the XLSX keeps the share, shown as %."""
    if facility is None:
        return Cell(MISSING)
    shown = half_up(100 * facility, 1)
    return Cell(f"{shown:.1f}%", float(shown) / 100, "0.0%")


def flags_text(flags: list[str]) -> str:
    return ", ".join(str(FLAG_LABELS[flag]) for flag in flags)


def items_table(result: ItemAnalysis, types: dict) -> Table:
    """One row per question, formatted as the page shows it (``types``: the question-type
    registry, for the type's label)."""
    rows = []
    for item in result.items:
        label = types[item.type].label if item.type in types else item.type
        rows.append(Row([int_cell(item.position), text_cell(item.stem), text_cell(item.qid), text_cell(label),
                         int_cell(item.n), int_cell(item.blank), facility_cell(item.facility),
                         fixed_cell(item.discrimination), fixed_cell(item.correlation),
                         text_cell(flags_text(item.flags))], css="flagged" if item.flags else ""))
    return Table("items", _l("Item analysis"), ITEM_COLUMNS, rows)

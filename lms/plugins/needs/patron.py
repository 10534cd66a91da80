"""Patron-survey CSV import: the export of a form tool (Google Forms, Microsoft Forms,
KoboToolbox, a spreadsheet) becomes anonymous ``PatronResponse`` rows with one
``PatronAnswer`` per answered item.

Every problem is collected as ``line N: message`` and the whole file is refused when there
is one (nothing written). The file is read by :mod:`lms.plugins.needs.patron_files`
(encoding, dialect, the tools' meta columns, one date order per column). Header cells match
an item by its key or its Indonesian or English text; the columns the instrument lists in
``ignore_columns`` and its ``unit_column`` are skipped. Each answer is read on its item's
scale (:mod:`lms.plugins.needs.answer_scales`): a label, an abbreviation or a value of the
scale; "not applicable" is missing, counted in the report. A file is imported once per
survey (SHA-256); with a timestamp column, a row equal to another one in the file or in the
round (same time, unit and answers) is refused too.
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, insert, or_, select
from sqlalchemy.exc import IntegrityError

from lms.audit.services import record as audit_record
from lms.auth.models import Unit, User
from lms.clock import aware, local_today, local_zone
from lms.extensions import db
from lms.plugins.needs.answer_scales import DEFAULT_SCALE, READY, AnswerScale
from lms.plugins.needs.models import (PATRON, NeedsRound, PatronAnswer, PatronImport, PatronResponse, Survey,
                                      SurveyItem)
from lms.plugins.needs.patron_files import (DATE_PRIORITY, DAY_FIRST, MONTH_FIRST, PERSONAL, DateColumn,
                                            FileRefused, check_format, decode, meta_role, read_dates)
from lms.plugins.needs.patron_files import records as read_records

MAX_PROBLEMS = 100  # a wholly wrong file would otherwise list thousands of lines
SQL_CHUNK = 500


class PatronImportError(ValueError):
    """The file was refused; ``problems`` lists every ``line N: message`` (nothing written)."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def normalise(text: str) -> str:
    """Case-, whitespace- and trailing-punctuation-insensitive form of a header or label."""
    return re.sub(r"\s+", " ", text).strip().rstrip(".:?!*").strip().casefold()


# --- choosing the survey, round and unit -----------------------------------------------------

def patron_surveys() -> list[Survey]:
    return list(db.session.scalars(select(Survey).where(Survey.kind == PATRON).order_by(Survey.slug)))


def patron_rounds(rounds_where=None) -> list[NeedsRound]:
    """Rounds that run a patron survey, newest first (the upload page's choices); only those
    meeting ``rounds_where`` (the viewer's organisations, :func:`lms.plugins.needs.reach.visible`)."""
    query = select(NeedsRound).where(NeedsRound.patron_survey_id.is_not(None))
    if rounds_where is not None:
        query = query.where(rounds_where)
    return list(db.session.scalars(query.order_by(NeedsRound.closes_on.desc(), NeedsRound.id.desc())))


def default_round(survey: Survey, rounds_where=None) -> NeedsRound | None:
    """The open round running ``survey``, else the one that closed most recently."""
    today = local_today()
    base = select(NeedsRound).where(NeedsRound.patron_survey_id == survey.id)
    if rounds_where is not None:
        base = base.where(rounds_where)
    found = db.session.scalar(base.where(NeedsRound.opens_on <= today, NeedsRound.closes_on >= today)
                              .order_by(NeedsRound.closes_on.desc(), NeedsRound.id.desc()).limit(1))
    return found or db.session.scalar(base.where(NeedsRound.closes_on < today)
                                      .order_by(NeedsRound.closes_on.desc(), NeedsRound.id.desc()).limit(1))


def _resolve(survey_slug: str, round_id: int | None, unit_code: str | None,
             problems: list[str], rounds_where=None) -> tuple[Survey | None, NeedsRound | None, Unit | None]:
    survey = db.session.scalar(select(Survey).where(Survey.slug == survey_slug))
    if survey is None:
        problems.append(_("unknown survey %(slug)r (load it with `lms needs surveys import`)", slug=survey_slug))
        return None, None, None
    if survey.kind != PATRON:
        problems.append(_("survey %(slug)r is a %(kind)s survey, not a patron survey", slug=survey_slug,
                          kind=survey.kind))
        return None, None, None
    if round_id is not None:
        query = select(NeedsRound).where(NeedsRound.id == round_id)
        needs_round = db.session.scalar(query.where(rounds_where) if rounds_where is not None else query)
        if needs_round is None:
            problems.append(_("round %(id)s does not exist", id=round_id))
        elif needs_round.patron_survey_id != survey.id:
            problems.append(_("round %(round)r does not use the patron survey %(slug)r", round=needs_round.title,
                              slug=survey_slug))
            needs_round = None
    else:
        needs_round = default_round(survey, rounds_where)
        if needs_round is None:
            problems.append(_("no round uses the patron survey %(slug)r; create a round with it first",
                              slug=survey_slug))
    unit = None
    if unit_code:
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            problems.append(_("unknown unit %(code)r", code=unit_code))
    return survey, needs_round, unit


# --- reading the file --------------------------------------------------------------------------

@dataclass
class _Columns:
    items: dict[int, SurveyItem]  # column index -> item
    timestamp: int | None
    unit: int | None
    ignored: list[str] = field(default_factory=list)  # form-tool and `ignore_columns` columns
    personal: list[str] = field(default_factory=list)  # e-mail, name...: never stored


def item_scales(survey: Survey) -> dict[int, AnswerScale]:
    """Each item's answer scale (a survey loaded before scales existed: the agree scale)."""
    settings = survey.settings or {}
    stored = settings.get("scales") or {}
    default = settings.get("scale") or DEFAULT_SCALE
    per_item = settings.get("item_scales") or {}

    def scale(name: str) -> AnswerScale:
        return AnswerScale.from_settings(name, stored[name]) if name in stored else READY[name]

    return {item.id: scale(per_item.get(item.key, default)) for item in survey.items}


def _map_columns(header: list[str], survey: Survey, per_row_unit: bool, problems: list[str]) -> _Columns:
    by_text: dict[str, SurveyItem] = {}
    for item in survey.items:
        for text in (item.key, item.text_id, item.text_en):
            by_text.setdefault(normalise(text), item)
    settings = survey.settings or {}
    ignored = {normalise(name) for name in settings.get("ignore_columns") or []}
    unit_name = normalise(settings.get("unit_column") or "")
    columns = _Columns(items={}, timestamp=None, unit=None)
    used: dict[int, str] = {}
    date_rank = len(DATE_PRIORITY)
    for index, cell in enumerate(header):
        name = normalise(cell)
        bracket = re.search(r"\[(.+)\]$", cell.strip())  # Google Forms grids: "Question [row]"
        leaf = name.rsplit("/", 1)[-1]  # KoboToolbox groups: "group_layanan/p_find"
        item = (by_text.get(name) or (by_text.get(normalise(bracket.group(1))) if bracket else None)
                or by_text.get(leaf) or by_text.get(leaf.replace("_", "-")))
        role = meta_role(name)
        if item is not None:
            if item.id in used:
                problems.append("line 1: " + _("columns %(first)r and %(second)r are both item %(key)r",
                                               first=used[item.id], second=cell.strip(), key=item.key))
            used[item.id] = cell.strip()
            columns.items[index] = item
        elif unit_name and name == unit_name:
            columns.unit = index if per_row_unit else None
        elif role == PERSONAL:
            columns.personal.append(cell.strip())
        elif role in DATE_PRIORITY:
            columns.ignored.append(cell.strip())
            if DATE_PRIORITY[role] < date_rank:  # submission time before completion, start last
                columns.timestamp, date_rank = index, DATE_PRIORITY[role]
        elif role is not None or name in ignored:
            columns.ignored.append(cell.strip())
        elif not name:
            continue
        else:
            problems.append("line 1: " + _("column %(column)r matches no item of the survey %(slug)r (unmapped "
                                           "item); add it to `ignore_columns` if it is not a question",
                                           column=cell.strip(), slug=survey.slug))
    if columns.timestamp is not None:
        columns.ignored.remove(header[columns.timestamp].strip())
    if not columns.items and not problems:
        problems.append("line 1: " + _("no column matches an item of the survey %(slug)r", slug=survey.slug))
    return columns


def _row_hash(survey_id: int, submitted_at: datetime | None, unit_id: int | None,
              answers: dict[int, float]) -> str:
    """Over the scale's own values (an integer stays an integer, so files imported before
    scales existed keep their hashes)."""
    values = sorted((item_id, int(value) if float(value).is_integer() else value) for item_id, value in answers.items())
    content = json.dumps([survey_id, submitted_at.isoformat() if submitted_at else "", unit_id, values])
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def _unit_lookup() -> dict[str, int]:
    units = db.session.execute(select(Unit.id, Unit.code, Unit.name)).all()
    found = {name.strip(): unit_id for unit_id, _code, name in units}
    found.update({code: unit_id for unit_id, code, _name in units})  # codes win over names
    return found


@dataclass
class PatronImportResult:
    """What an import wrote and what a person checking it wants to know."""

    record: PatronImport
    ignored: list[str]  # meta columns, reported once
    personal: list[str]  # personal-data columns: read past, never stored
    not_applicable: dict[str, int]  # item key -> "not applicable" answers (counted as missing)
    date_column: str | None
    date_order: str | None  # DAY_FIRST, MONTH_FIRST, the given format, or None

    def lines(self) -> list[str]:
        """The report, one sentence a line, after the "Imported N responses" line."""
        lines = []
        if self.not_applicable:
            counts = ", ".join(f"{key} {n}" for key, n in self.not_applicable.items())
            lines.append(_("Not applicable (counted as missing, not as an answer): %(counts)s", counts=counts))
        if self.ignored:
            lines.append(_("Ignored columns (form-tool metadata): %(columns)s", columns=", ".join(self.ignored)))
        if self.personal:
            lines.append(_("Personal-data columns not stored: %(columns)s", columns=", ".join(self.personal)))
        if self.date_column and self.date_order:
            order = {DAY_FIRST: _("day/month/year"), MONTH_FIRST: _("month/day/year")}.get(self.date_order,
                                                                                         self.date_order)
            lines.append(_("Response dates from column %(column)r, read as %(order)s", column=self.date_column,
                           order=order))
        elif self.date_column:
            lines.append(_("Response dates from column %(column)r", column=self.date_column))
        return lines


def _parse_rows(records, columns: _Columns, survey: Survey, unit: Unit | None,
                allowed_unit_ids: Collection[int] | None, times: dict[int, datetime],
                not_applicable: dict[str, int], problems: list[str]) -> list[dict]:
    units = _unit_lookup() if columns.unit is not None else {}
    scales = item_scales(survey)
    header = records[0][1]
    rows: list[dict] = []
    for line, cells in records[1:]:
        if not any(cell.strip() for cell in cells):
            continue  # a blank line, or one of only delimiters
        if len(cells) > len(header) and any(cell.strip() for cell in cells[len(header):]):
            problems.append(_("line %(line)d: %(cells)d cells but the header names %(columns)d columns",
                              line=line, cells=len(cells), columns=len(header)))
            continue
        cells = cells + [""] * (len(header) - len(cells))
        before = len(problems)
        answers: dict[int, float] = {}
        missing = 0
        for index, item in columns.items.items():
            scale = scales[item.id]
            kind, point = scale.read(cells[index])
            if kind == "refused":
                problems.append(_("line %(line)d: column \"%(column)s\": \"%(value)s\" is not on the scale "
                                  "%(scale)s (allowed: %(allowed)s)", line=line, column=header[index].strip(),
                                  value=cells[index].strip(), scale=scale.name, allowed=scale.allowed()))
            elif kind == "na":
                not_applicable[item.key] = not_applicable.get(item.key, 0) + 1
                missing += 1
            elif point is not None:
                answers[item.id] = point.value
        submitted_at = times.get(line)
        unit_id = unit.id if unit is not None else None
        if columns.unit is not None and cells[columns.unit].strip():
            unit_id = units.get(cells[columns.unit].strip())
            if unit_id is None:
                problems.append(_("line %(line)d: unknown unit %(unit)r (use its code or its exact name)",
                                  line=line, unit=cells[columns.unit].strip()))
        if (allowed_unit_ids is not None and unit is None and len(problems) == before
                and unit_id not in allowed_unit_ids):
            problems.append(_("line %(line)d: the response is not for one of your units", line=line))
        if not answers and not missing and len(problems) == before:
            problems.append(_("line %(line)d: the response answers no item", line=line))
        if len(problems) == before:  # a response of only "not applicable" is still a response
            rows.append({"line": line, "submitted_at": submitted_at, "unit_id": unit_id,
                         "answers": {item_id: scales[item_id].common(value) for item_id, value in answers.items()},
                         "row_hash": _row_hash(survey.id, submitted_at, unit_id, answers)})
    return rows


def _check_duplicates(rows: list[dict], needs_round: NeedsRound, problems: list[str]) -> None:
    first_line: dict[str, int] = {}
    for row in rows:
        if row["row_hash"] in first_line:
            problems.append(_("line %(line)d: duplicate of line %(first)d", line=row["line"],
                              first=first_line[row["row_hash"]]))
        else:
            first_line[row["row_hash"]] = row["line"]
    hashes = list(first_line)
    for start in range(0, len(hashes), SQL_CHUNK):
        found = db.session.execute(
            select(PatronResponse.row_hash, PatronImport.filename).join(PatronImport)
            .where(PatronResponse.round_id == needs_round.id,
                   PatronResponse.row_hash.in_(hashes[start:start + SQL_CHUNK])))
        for row_hash, filename in found:
            problems.append(_("line %(line)d: this response was already imported (file %(file)s)",
                              line=first_line[row_hash], file=filename))


def _line_number(problem: str) -> int:
    match = re.match(r"\D*(\d+)", problem)  # "line 12: ..." in any language
    return int(match.group(1)) if match else 0


def import_patron_csv(data: bytes, filename: str, survey_slug: str, *, round_id: int | None = None,
                      unit_code: str | None = None, imported_by_id: int | None = None,
                      allowed_unit_ids: Collection[int] | None = None,
                      date_format: str | None = None, rounds_where=None) -> PatronImportResult:
    """Import one CSV export of a patron survey, all or nothing.

    ``round_id`` defaults to the open round running the survey, else the latest closed one;
    ``unit_code`` puts every response in that unit, else the survey's ``unit_column`` names
    it per row, else there is none. ``allowed_unit_ids`` (a supervisor's units) refuses rows
    for other units or none. ``date_format`` (``%d/%m/%Y``...) fixes the order of the dates
    when the column cannot tell. ``rounds_where`` limits the rounds to the importer's
    (another organisation's round "does not exist"). Raises :class:`PatronImportError` with
    every problem.
    """
    problems: list[str] = []
    limit = current_app.config["NEEDS_CSV_MAX_BYTES"]
    if len(data) > limit:
        raise PatronImportError([_("the file is larger than %(limit)d KB", limit=limit // 1024)])
    if date_format and (format_problem := check_format(date_format)):
        raise PatronImportError([format_problem])
    survey, needs_round, unit = _resolve(survey_slug, round_id, unit_code, problems, rounds_where)
    if survey is None:
        raise PatronImportError(problems)
    digest = hashlib.sha256(data).hexdigest()
    earlier = db.session.scalar(select(PatronImport).where(PatronImport.survey_id == survey.id,
                                                           PatronImport.sha256 == digest))
    if earlier is not None:
        when = aware(earlier.imported_at).astimezone(local_zone()).strftime("%Y-%m-%d %H:%M")
        raise PatronImportError([_("this file was already imported on %(when)s as %(file)r (import %(id)d)",
                                   when=when, file=earlier.filename, id=earlier.id)])
    if allowed_unit_ids is not None and unit is not None and unit.id not in allowed_unit_ids:
        problems.append(_("the unit %(code)r is not one of your units", code=unit.code))
    try:
        text = decode(data)
        records = read_records(text) if text.strip() else []
    except FileRefused as error:
        raise PatronImportError(problems + error.problems) from error
    if not records:
        raise PatronImportError(problems + [_("line 1: the file is empty")])
    if not any(any(cell.strip() for cell in cells) for _line, cells in records[1:]):
        raise PatronImportError(problems + [_("line 2: the file has a header line but no responses")])
    header = records[0][1]
    columns = _map_columns(header, survey, per_row_unit=unit is None, problems=problems)
    if not columns.items:
        raise PatronImportError(problems)
    line_problems: list[str] = []
    dates, date_problems = DateColumn(), []
    if columns.timestamp is not None:
        values = [(line, cells[columns.timestamp]) for line, cells in records[1:]
                  if columns.timestamp < len(cells) and cells[columns.timestamp].strip()]
        dates, date_problems = read_dates(values, header[columns.timestamp].strip(), date_format)
        line_problems += date_problems
    not_applicable: dict[str, int] = {}
    rows = _parse_rows(records, columns, survey, unit, allowed_unit_ids, dates.times, not_applicable, line_problems)
    if columns.timestamp is not None and needs_round is not None and not date_problems:
        _check_duplicates(rows, needs_round, line_problems)  # rows without their times would look alike
    problems += sorted(line_problems, key=_line_number)  # every one starts with its line
    if problems or needs_round is None:
        if len(problems) > MAX_PROBLEMS:
            hidden = len(problems) - MAX_PROBLEMS
            problems = problems[:MAX_PROBLEMS] + [_("… and %(n)d more problems", n=hidden)]
        raise PatronImportError(problems)
    record = _write(rows, survey, needs_round, unit, filename, digest, imported_by_id)
    keys = [item.key for item in survey.items]
    return PatronImportResult(
        record=record, ignored=columns.ignored, personal=columns.personal,
        not_applicable={key: not_applicable[key] for key in keys if key in not_applicable},
        date_column=header[columns.timestamp].strip() if columns.timestamp is not None else None,
        date_order=dates.order if dates.times else None)


def _write(rows: list[dict], survey: Survey, needs_round: NeedsRound, unit: Unit | None, filename: str,
           digest: str, imported_by_id: int | None) -> PatronImport:
    competency = {item.id: item.competency_id for item in survey.items}
    record = PatronImport(round_id=needs_round.id, survey_id=survey.id, unit_id=unit.id if unit else None,
                          filename=filename[:255], sha256=digest, rows=len(rows), imported_by_id=imported_by_id)
    try:
        db.session.add(record)
        db.session.flush()
        db.session.execute(insert(PatronResponse), [
            {"import_id": record.id, "round_id": needs_round.id, "unit_id": row["unit_id"], "line": row["line"],
             "submitted_at": row["submitted_at"], "row_hash": row["row_hash"]} for row in rows])
        ids = dict(db.session.execute(select(PatronResponse.line, PatronResponse.id)
                                      .where(PatronResponse.import_id == record.id)).all())
        db.session.execute(insert(PatronAnswer), [
            {"response_id": ids[row["line"]], "item_id": item_id, "round_id": needs_round.id,
             "competency_id": competency[item_id], "unit_id": row["unit_id"], "value": value}
            for row in rows for item_id, value in row["answers"].items()])
        audit_record("needs.patron_imported", "patron_import", record.id, actor_id=imported_by_id,
                     survey=survey.slug, round_id=needs_round.id, filename=record.filename, rows=len(rows),
                     unit=unit.code if unit else None)
        db.session.commit()
    except IntegrityError as error:  # the same file imported at the same moment by someone else
        db.session.rollback()
        raise PatronImportError([_("this file was already imported")]) from error
    return record


def recent_imports(unit_ids: Collection[int] | Select | None = None, imported_by_id: int | None = None,
                   limit: int = 50, rounds_where=None) -> list[dict]:
    """Earlier imports, newest first, with their round title, unit name and importer; with
    ``unit_ids`` (ids or a select of ids), only those for these units or made by
    ``imported_by_id`` (a supervisor's view)."""
    query = (select(PatronImport, NeedsRound.title, Unit.name, User.full_name)
             .join(NeedsRound, NeedsRound.id == PatronImport.round_id)
             .outerjoin(Unit, Unit.id == PatronImport.unit_id)
             .outerjoin(User, User.id == PatronImport.imported_by_id)
             .order_by(PatronImport.imported_at.desc(), PatronImport.id.desc()).limit(limit))
    if rounds_where is not None:
        query = query.where(rounds_where)
    if unit_ids is not None:
        ids = unit_ids if isinstance(unit_ids, Select) else list(unit_ids)
        query = query.where(or_(PatronImport.unit_id.in_(ids), PatronImport.imported_by_id == imported_by_id))
    return [{"record": record, "round": round_title, "unit": unit_name, "by": by}
            for record, round_title, unit_name, by in db.session.execute(query)]

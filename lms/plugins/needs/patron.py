"""Patron-survey CSV import: the export of a form tool (Google Forms, Microsoft Forms, a
spreadsheet) becomes anonymous ``PatronResponse`` rows with one ``PatronAnswer`` per item.

Every problem is collected as ``line N: message`` and the whole file is refused when there
is one (nothing written). Header cells match an item by its key or its Indonesian or English
text; a timestamp column is kept; the columns the instrument lists in ``ignore_columns``
and its ``unit_column`` are skipped. Values are 1-5 or Likert labels in Indonesian or
English. A file is imported once per survey (SHA-256); with a timestamp column, a row equal
to another one in the file or in the round (same time, unit and answers) is refused too.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, insert, or_, select
from sqlalchemy.exc import IntegrityError

from lms.audit.services import record as audit_record
from lms.auth.importer import decode_csv
from lms.auth.models import Unit, User, aware
from lms.extensions import db
from lms.plugins.learning.services import local_today, local_zone
from lms.plugins.needs.models import PATRON, NeedsRound, PatronAnswer, PatronImport, PatronResponse, Survey

TIMESTAMP_HEADERS = {"timestamp", "stempel waktu", "waktu", "tanggal", "submission time", "start time",
                     "completion time", "waktu mulai", "waktu selesai", "waktu pengiriman", "date", "time",
                     "submitted at", "tanggal pengisian", "waktu pengisian"}
LIKERT = {
    "sangat tidak setuju": 1, "tidak setuju": 2, "netral": 3, "ragu-ragu": 3, "ragu ragu": 3, "cukup": 3,
    "setuju": 4, "sangat setuju": 5,
    "strongly disagree": 1, "disagree": 2, "neither agree nor disagree": 3, "neutral": 3, "agree": 4,
    "strongly agree": 5,
}
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


# --- timestamps --------------------------------------------------------------------------

_YMD = re.compile(r"^(\d{4})[/-](\d{1,2})[/-](\d{1,2})[ T](\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?:\.\d+)?"
                  r"\s*([AaPp][Mm])?\s*(?:(?:GMT|UTC)\s*(?:([+-])(\d{1,2})(?::?(\d{2}))?)?)?$")
_XY_YEAR = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?:,?\s+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?"
                      r"\s*([AaPp][Mm])?)?$")


def _hour(hour: int, meridiem: str | None) -> int:
    if meridiem:
        hour = hour % 12 + (12 if meridiem.lower() == "pm" else 0)
    return hour


def parse_timestamp(value: str) -> datetime:
    """A form tool's timestamp as an aware UTC datetime (naive = the library's time zone).

    ISO 8601; ``YYYY/MM/DD HH:MM:SS`` with optional AM/PM and ``GMT+7``/``GMT+07:00``
    (Google Forms); ``DD/MM/YYYY HH:MM:SS`` (two-digit day and month, as the Indonesian
    spreadsheet locale writes) and ``M/D/YYYY H:MM:SS AM`` (one-digit parts or AM/PM, as US
    Microsoft Forms writes). Raises ValueError.
    """
    value = value.strip()
    moment: datetime | None = None
    match = _YMD.match(value)
    if match:
        year, month, day, hour, minute, second, meridiem, sign, off_h, off_m = match.groups()
        moment = datetime(int(year), int(month), int(day), _hour(int(hour), meridiem), int(minute), int(second or 0))
        if sign:
            offset = timedelta(hours=int(off_h), minutes=int(off_m or 0))
            moment = moment.replace(tzinfo=timezone(offset if sign == "+" else -offset))
        elif "GMT" in value or "UTC" in value:
            moment = moment.replace(tzinfo=timezone.utc)
    elif match := _XY_YEAR.match(value):
        first, second_part, year, hour, minute, second, meridiem = match.groups()
        a, b = int(first), int(second_part)
        padded = len(first) == 2 and len(second_part) == 2
        day_first = a > 12 or (b <= 12 and padded and not meridiem)
        day, month = (a, b) if day_first else (b, a)
        moment = datetime(int(year), month, day, _hour(int(hour or 0), meridiem), int(minute or 0), int(second or 0))
    else:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=local_zone())
    return moment.astimezone(timezone.utc)


def parse_value(value: str) -> int | None:
    """1-5 from a number or a Likert label; None for a blank cell; ValueError otherwise."""
    text = value.strip()
    if not text:
        return None
    if re.fullmatch(r"\d+", text):
        number = int(text)
    else:
        number = LIKERT.get(normalise(text), 0)
    if not 1 <= number <= 5:
        raise ValueError(text)
    return number


# --- choosing the survey, round and unit -----------------------------------------------------

def patron_surveys() -> list[Survey]:
    return list(db.session.scalars(select(Survey).where(Survey.kind == PATRON).order_by(Survey.slug)))


def patron_rounds() -> list[NeedsRound]:
    """Rounds that run a patron survey, newest first (the upload page's choices)."""
    return list(db.session.scalars(select(NeedsRound).where(NeedsRound.patron_survey_id.is_not(None))
                                   .order_by(NeedsRound.closes_on.desc(), NeedsRound.id.desc())))


def default_round(survey: Survey) -> NeedsRound | None:
    """The open round running ``survey``, else the one that closed most recently."""
    today = local_today()
    base = select(NeedsRound).where(NeedsRound.patron_survey_id == survey.id)
    found = db.session.scalar(base.where(NeedsRound.opens_on <= today, NeedsRound.closes_on >= today)
                              .order_by(NeedsRound.closes_on.desc(), NeedsRound.id.desc()).limit(1))
    return found or db.session.scalar(base.where(NeedsRound.closes_on < today)
                                      .order_by(NeedsRound.closes_on.desc(), NeedsRound.id.desc()).limit(1))


def _resolve(survey_slug: str, round_id: int | None, unit_code: str | None,
             problems: list[str]) -> tuple[Survey | None, NeedsRound | None, Unit | None]:
    survey = db.session.scalar(select(Survey).where(Survey.slug == survey_slug))
    if survey is None:
        problems.append(_("unknown survey %(slug)r (load it with `lms needs surveys import`)", slug=survey_slug))
        return None, None, None
    if survey.kind != PATRON:
        problems.append(_("survey %(slug)r is a %(kind)s survey, not a patron survey", slug=survey_slug,
                          kind=survey.kind))
        return None, None, None
    if round_id is not None:
        needs_round = db.session.get(NeedsRound, round_id)
        if needs_round is None:
            problems.append(_("round %(id)s does not exist", id=round_id))
        elif needs_round.patron_survey_id != survey.id:
            problems.append(_("round %(round)r does not use the patron survey %(slug)r", round=needs_round.title,
                              slug=survey_slug))
            needs_round = None
    else:
        needs_round = default_round(survey)
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
    items: dict[int, object]  # column index -> SurveyItem
    timestamp: int | None
    unit: int | None


def _map_columns(header: list[str], survey: Survey, per_row_unit: bool, problems: list[str]) -> _Columns:
    by_text: dict[str, object] = {}
    for item in survey.items:
        for text in (item.key, item.text_id, item.text_en):
            by_text.setdefault(normalise(text), item)
    settings = survey.settings or {}
    ignored = {normalise(name) for name in settings.get("ignore_columns") or []}
    unit_name = normalise(settings.get("unit_column") or "")
    columns = _Columns(items={}, timestamp=None, unit=None)
    used: dict[int, str] = {}
    for index, cell in enumerate(header):
        name = normalise(cell)
        bracket = re.search(r"\[(.+)\]$", cell.strip())  # Google Forms grids: "Question [row]"
        item = by_text.get(name) or (by_text.get(normalise(bracket.group(1))) if bracket else None)
        if item is not None:
            if item.id in used:
                problems.append("line 1: " + _("columns %(first)r and %(second)r are both item %(key)r",
                                               first=used[item.id], second=cell.strip(), key=item.key))
            used[item.id] = cell.strip()
            columns.items[index] = item
        elif name in TIMESTAMP_HEADERS:  # the first is kept ("Start time" before "Completion time")
            columns.timestamp = index if columns.timestamp is None else columns.timestamp
        elif unit_name and name == unit_name:
            columns.unit = index if per_row_unit else None
        elif name in ignored or not name:
            continue
        else:
            problems.append("line 1: " + _("column %(column)r matches no item of the survey %(slug)r (unmapped "
                                           "item); add it to `ignore_columns` if it is not a question",
                                           column=cell.strip(), slug=survey.slug))
    if not columns.items and not problems:
        problems.append("line 1: " + _("no column matches an item of the survey %(slug)r", slug=survey.slug))
    return columns


def _records(text: str) -> list[tuple[int, list[str]]]:
    """(first physical line, cells) of each record; quoted fields may span lines."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return records
        except csv.Error as error:  # a NUL byte, a cell over the csv module's size limit
            raise PatronImportError([_("line %(line)d: the file cannot be read as CSV (%(error)s)",
                                       line=start, error=str(error))]) from error
        records.append((start, cells))


def _row_hash(survey_id: int, submitted_at: datetime | None, unit_id: int | None,
              answers: dict[int, int]) -> str:
    content = json.dumps([survey_id, submitted_at.isoformat() if submitted_at else "", unit_id,
                          sorted(answers.items())])
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def _unit_lookup() -> dict[str, int]:
    units = db.session.execute(select(Unit.id, Unit.code, Unit.name)).all()
    found = {name.strip(): unit_id for unit_id, _code, name in units}
    found.update({code: unit_id for unit_id, code, _name in units})  # codes win over names
    return found


def _parse_rows(records, columns: _Columns, survey: Survey, unit: Unit | None,
                allowed_unit_ids: Collection[int] | None, problems: list[str]) -> list[dict]:
    units = _unit_lookup() if columns.unit is not None else {}
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
        answers: dict[int, int] = {}
        for index, item in columns.items.items():
            try:
                value = parse_value(cells[index])
            except ValueError:
                problems.append(_("line %(line)d: \"%(value)s\" in column \"%(column)s\" is not 1-5 or a Likert "
                                  "label", line=line, value=cells[index].strip(), column=header[index].strip()))
                continue
            if value is not None:
                answers[item.id] = value
        submitted_at = None
        if columns.timestamp is not None and cells[columns.timestamp].strip():
            try:
                submitted_at = parse_timestamp(cells[columns.timestamp])
            except ValueError:
                problems.append(_("line %(line)d: the time %(value)r is not a date and time this import knows",
                                  line=line, value=cells[columns.timestamp].strip()))
        unit_id = unit.id if unit is not None else None
        if columns.unit is not None and cells[columns.unit].strip():
            unit_id = units.get(cells[columns.unit].strip())
            if unit_id is None:
                problems.append(_("line %(line)d: unknown unit %(unit)r (use its code or its exact name)",
                                  line=line, unit=cells[columns.unit].strip()))
        if (allowed_unit_ids is not None and unit is None and len(problems) == before
                and unit_id not in allowed_unit_ids):
            problems.append(_("line %(line)d: the response is not for one of your units", line=line))
        if not answers and len(problems) == before:
            problems.append(_("line %(line)d: the response answers no item", line=line))
        if len(problems) == before:
            rows.append({"line": line, "submitted_at": submitted_at, "unit_id": unit_id, "answers": answers,
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
                      allowed_unit_ids: Collection[int] | None = None) -> PatronImport:
    """Import one CSV export of a patron survey, all or nothing.

    ``round_id`` defaults to the open round running the survey, else the latest closed one;
    ``unit_code`` puts every response in that unit, else the survey's ``unit_column`` names
    it per row, else there is none. ``allowed_unit_ids`` (a supervisor's units) refuses rows
    for other units or none. Raises :class:`PatronImportError` with every problem.
    """
    problems: list[str] = []
    limit = current_app.config["NEEDS_CSV_MAX_BYTES"]
    if len(data) > limit:
        raise PatronImportError([_("the file is larger than %(limit)d KB", limit=limit // 1024)])
    survey, needs_round, unit = _resolve(survey_slug, round_id, unit_code, problems)
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
    text, decode_problem = decode_csv(data)
    if decode_problem:
        raise PatronImportError(problems + [decode_problem])
    assert text is not None
    try:
        records = _records(text) if text.strip() else []
    except PatronImportError as error:
        raise PatronImportError(problems + error.problems) from error
    if not records:
        raise PatronImportError(problems + [_("line 1: the file is empty")])
    if not any(any(cell.strip() for cell in cells) for _line, cells in records[1:]):
        raise PatronImportError(problems + [_("line 2: the file has a header line but no responses")])
    columns = _map_columns(records[0][1], survey, per_row_unit=unit is None, problems=problems)
    if not columns.items:
        raise PatronImportError(problems)
    line_problems: list[str] = []
    rows = _parse_rows(records, columns, survey, unit, allowed_unit_ids, line_problems)
    if columns.timestamp is not None and needs_round is not None:
        _check_duplicates(rows, needs_round, line_problems)
    problems += sorted(line_problems, key=_line_number)  # every one starts with its line
    if problems or needs_round is None:
        if len(problems) > MAX_PROBLEMS:
            hidden = len(problems) - MAX_PROBLEMS
            problems = problems[:MAX_PROBLEMS] + [_("… and %(n)d more problems", n=hidden)]
        raise PatronImportError(problems)
    return _write(rows, survey, needs_round, unit, filename, digest, imported_by_id)


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
                   limit: int = 50) -> list[dict]:
    """Earlier imports, newest first, with their round title, unit name and importer; with
    ``unit_ids`` (ids or a select of ids), only those for these units or made by
    ``imported_by_id`` (a supervisor's view)."""
    query = (select(PatronImport, NeedsRound.title, Unit.name, User.full_name)
             .join(NeedsRound, NeedsRound.id == PatronImport.round_id)
             .outerjoin(Unit, Unit.id == PatronImport.unit_id)
             .outerjoin(User, User.id == PatronImport.imported_by_id)
             .order_by(PatronImport.imported_at.desc(), PatronImport.id.desc()).limit(limit))
    if unit_ids is not None:
        ids = unit_ids if isinstance(unit_ids, Select) else list(unit_ids)
        query = query.where(or_(PatronImport.unit_id.in_(ids), PatronImport.imported_by_id == imported_by_id))
    return [{"record": record, "round": round_title, "unit": unit_name, "by": by}
            for record, round_title, unit_name, by in db.session.execute(query)]

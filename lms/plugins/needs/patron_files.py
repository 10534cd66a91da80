"""Reading survey files as form tools write them: the encoding, the CSV dialect, the tools'
own (meta) columns and the dates of the submission-time column.

Every refusal is a ``line N: message`` raised as :class:`FileRefused`; nothing here writes.

- Encodings: UTF-8 with or without a byte-order mark; UTF-16 LE or BE with a byte-order
  mark (Excel's "Unicode text" is UTF-16 LE, tab-separated). Anything else that does not
  decode is refused at the line of the first bad byte.
- Dialect: :class:`csv.Sniffer` over the header and the first rows, restricted to comma,
  semicolon and tab; when it cannot tell (a file of one column), comma.
- Meta columns (:data:`META`): Google Forms, Microsoft Forms and KoboToolbox add columns
  that are not questions. They are skipped and reported once; the personal ones (e-mail,
  name, user name, phone) are never stored. The submission time becomes the response date.
- Dates: the day/month order of a ``N/N/YYYY`` column is decided from the whole column
  (a first part over 12 proves day first, a second part over 12 proves month first); a
  column with both is refused, and a column where no value decides is refused with a hint
  to pass ``--date-format``. ISO 8601 (Kobo's ``2026-11-03T14:05:33.000+07:00``) and
  ``YYYY/MM/DD`` (Google Forms' own download, ``2026/11/03 2:05:33 PM GMT+7``) have one
  order and need no decision. Naive times are in the library's time zone, except Kobo's
  ``_submission_time``, which the server writes in UTC.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from flask_babel import gettext as _

from lms.clock import local_zone

SNIFF_CHARS = 16_384
DELIMITERS = ",;\t"
DAY_FIRST, MONTH_FIRST = "%d/%m/%Y", "%m/%d/%Y"


class FileRefused(ValueError):
    """The file cannot be read; ``problems`` are ``line N: message``."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


# --- encoding and dialect ---------------------------------------------------------------------

def decode(data: bytes) -> str:
    """The text of ``data`` (see the module docstring for the encodings read)."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        codec, body = ("utf-16-le" if data.startswith(b"\xff\xfe") else "utf-16-be"), data[2:]
        try:
            return body.decode(codec)
        except UnicodeDecodeError as exc:
            line = body[:exc.start].decode(codec, errors="replace").count("\n") + 1
            raise FileRefused([_("line %(line)d: the file starts as UTF-16 but is not valid UTF-16",
                                 line=line)]) from exc
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = body[:exc.start].count(b"\n") + 1
        raise FileRefused([_("line %(line)d: the file is not UTF-8 (byte %(byte)s); save it as \"CSV UTF-8\" "
                             "and try again", line=line, byte=f"0x{body[exc.start]:02x}")]) from exc
    if "\x00" in text:  # UTF-16 without its byte-order mark decodes as UTF-8 full of NULs
        line = text[:text.index("\x00")].count("\n") + 1
        raise FileRefused([_("line %(line)d: the file contains NUL bytes (UTF-16 without a byte-order mark?); "
                             "save it as \"CSV UTF-8\" or \"Unicode text\" and try again", line=line)])
    return text


def sniff_delimiter(text: str) -> str:
    """Comma, semicolon or tab, as :class:`csv.Sniffer` reads the header and first rows."""
    sample = text[:SNIFF_CHARS]
    if len(text) > SNIFF_CHARS and "\n" in sample:
        sample = sample[:sample.rindex("\n")]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:  # one column, or rows too irregular to tell
        header = sample.split("\n", 1)[0]
        counts = {d: header.count(d) for d in DELIMITERS}
        best = max(counts, key=lambda d: counts[d])
        return best if counts[best] else ","


def records(text: str) -> list[tuple[int, list[str]]]:
    """(first physical line, cells) of each record; quoted fields may span lines."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    found = []
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return found
        except csv.Error as error:  # a cell over the csv module's size limit
            raise FileRefused([_("line %(line)d: the file cannot be read as CSV (%(error)s)",
                                 line=start, error=str(error))]) from error
        found.append((start, cells))


# --- meta columns -----------------------------------------------------------------------------

SUBMITTED, COMPLETED, TIMESTAMP, STARTED, META_ROLE, PERSONAL = (
    "submitted", "completed", "timestamp", "started", "meta", "personal")
# Lower number wins as the response date.
DATE_PRIORITY = {SUBMITTED: 0, COMPLETED: 1, TIMESTAMP: 2, STARTED: 3}

_GOOGLE = {"timestamp": SUBMITTED, "stempel waktu": SUBMITTED, "cap waktu": SUBMITTED,
           "email address": PERSONAL, "alamat email": PERSONAL, "score": META_ROLE, "skor": META_ROLE,
           "nilai": META_ROLE}
_MICROSOFT = {"id": META_ROLE, "start time": STARTED, "waktu mulai": STARTED, "completion time": COMPLETED,
              "waktu penyelesaian": COMPLETED, "waktu selesai": COMPLETED, "email": PERSONAL, "e-mail": PERSONAL,
              "surel": PERSONAL, "name": PERSONAL, "nama": PERSONAL, "last modified time": META_ROLE,
              "waktu modifikasi terakhir": META_ROLE, "waktu terakhir diubah": META_ROLE,
              "total points": META_ROLE, "total poin": META_ROLE, "quiz feedback": META_ROLE,
              "umpan balik kuis": META_ROLE}
_KOBO = {"start": STARTED, "end": COMPLETED, "today": META_ROLE, "deviceid": META_ROLE,
         "subscriberid": PERSONAL, "simserial": PERSONAL, "phonenumber": PERSONAL, "username": PERSONAL,
         "audit": META_ROLE, "_id": META_ROLE, "_uuid": META_ROLE, "_submission_time": SUBMITTED,
         "_validation_status": META_ROLE, "_notes": META_ROLE, "_status": META_ROLE, "_submitted_by": PERSONAL,
         "__version__": META_ROLE, "_version_": META_ROLE, "_tags": META_ROLE, "_index": META_ROLE,
         "_xform_id_string": META_ROLE, "_attachments": META_ROLE, "_geolocation": META_ROLE,
         "_parent_table_name": META_ROLE, "_parent_index": META_ROLE, "meta/instanceid": META_ROLE,
         "meta/instancename": META_ROLE, "meta/deprecatedid": META_ROLE, "meta/rootuuid": META_ROLE,
         "formhub/uuid": META_ROLE}
# Generic date columns of a hand-made spreadsheet.
_GENERIC = {name: TIMESTAMP for name in ("waktu", "tanggal", "date", "time", "submission time", "submitted at",
                                         "waktu pengiriman", "tanggal pengisian", "waktu pengisian")}
META: dict[str, str] = {**_GENERIC, **_KOBO, **_MICROSOFT, **_GOOGLE}
# Microsoft Forms quizzes add "Points - <question>" and "Feedback - <question>" per question.
_QUIZ_PREFIX = re.compile(r"^(points|feedback|poin|umpan balik)\s+-\s+", re.IGNORECASE)


def meta_role(name: str) -> str | None:
    """The role of a normalised header in a form tool's export, or None for a question."""
    if name in META:
        return META[name]
    return META_ROLE if _QUIZ_PREFIX.match(name) else None


# --- dates ------------------------------------------------------------------------------------

_YMD = re.compile(r"^(\d{4})[/-](\d{1,2})[/-](\d{1,2})(?:[ T](\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?:\.\d+)?)?"
                  r"\s*([AaPp][Mm])?\s*(?:(?:GMT|UTC)\s*(?:([+-])(\d{1,2})(?::?(\d{2}))?)?)?$")
_XY_YEAR = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(.*)$")
_TIME = re.compile(r"^(?:,?\s+|T)(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?:\.\d+)?\s*([AaPp]\.?[Mm]\.?)?$")
_TIME_DIRECTIVES = re.compile(r"%[HIMSpfzZ]")


def _hour(hour: int, meridiem: str | None) -> int:
    if meridiem:
        if not 1 <= hour <= 12:
            raise ValueError(hour)
        hour = hour % 12 + (12 if meridiem.replace(".", "").lower() == "pm" else 0)
    return hour


def _clock(rest: str) -> tuple[int, int, int]:
    """(hour, minute, second) of what follows the date: nothing, or ``H:MM[:SS] [AM]``."""
    if not rest.strip():
        return 0, 0, 0
    match = _TIME.match(rest)
    if not match:
        raise ValueError(rest)
    hour, minute, second, meridiem = match.groups()
    return _hour(int(hour), meridiem), int(minute), int(second or 0)


def _aware(moment: datetime, zone=None) -> datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone or local_zone())
    return moment.astimezone(timezone.utc)


# KoboToolbox writes the server's submission time in UTC without an offset.
NAIVE_UTC_COLUMNS = {"_submission_time"}


def parse_fixed(value: str, zone=None) -> datetime | None:
    """A time whose order is fixed (``YYYY/MM/DD ...`` or ISO 8601), else None. ValueError
    when it has that shape but is no real time."""
    value = value.strip()
    match = _YMD.match(value)
    if match:
        year, month, day, hour, minute, second, meridiem, sign, off_h, off_m = match.groups()
        moment = datetime(int(year), int(month), int(day), _hour(int(hour or 0), meridiem), int(minute or 0),
                          int(second or 0))
        if sign:
            offset = timedelta(hours=int(off_h), minutes=int(off_m or 0))
            moment = moment.replace(tzinfo=timezone(offset if sign == "+" else -offset))
        elif "GMT" in value or "UTC" in value:
            moment = moment.replace(tzinfo=timezone.utc)
        return _aware(moment, zone)
    if re.match(r"^\d{4}-\d{2}-\d{2}", value):
        return _aware(datetime.fromisoformat(value.replace("Z", "+00:00")), zone)
    return None


def parse_with_format(value: str, date_format: str, zone=None) -> datetime:
    """``value`` read with a strftime format. A format of the date alone (``%d/%m/%Y``)
    reads the time after it as the tools write it (``14:05:33``, ``2:05:33 PM``)."""
    value = value.strip()
    if _TIME_DIRECTIVES.search(date_format):
        return _aware(datetime.strptime(value, date_format), zone)
    fixed = parse_fixed(value, zone)
    if fixed is not None:  # ISO values keep their own order whatever the format says
        return fixed
    match = re.match(r"^(\S+?)((?:,?\s+|T).*)?$", value)
    if not match:
        raise ValueError(value)
    day = datetime.strptime(match.group(1), date_format)
    hour, minute, second = _clock(match.group(2) or "")
    return _aware(day.replace(hour=hour, minute=minute, second=second), zone)


def check_format(date_format: str) -> str | None:
    """A problem with a ``--date-format`` value, or None."""
    if not all(directive in date_format for directive in ("%d", "%m")) or not re.search(r"%[Yy]", date_format):
        return _("the date format %(format)r needs %%d, %%m and %%Y (for example %%d/%%m/%%Y or %%m/%%d/%%Y)",
                 format=date_format)
    try:
        datetime(2026, 11, 3, 14, 5, 33).strftime(date_format)
    except ValueError:
        return _("the date format %(format)r is not a valid format", format=date_format)
    return None


@dataclass
class DateColumn:
    """The times of one column, by line, and the order they were read in."""

    times: dict[int, datetime] = field(default_factory=dict)
    order: str | None = None  # DAY_FIRST, MONTH_FIRST, the given format, or None (no N/N/YYYY values)


def read_dates(values: list[tuple[int, str]], column: str, date_format: str | None) -> tuple[DateColumn, list[str]]:
    """Read every time of a column with one order for the whole column (module docstring)."""
    result, problems = DateColumn(order=date_format), []
    zone = timezone.utc if column.strip().casefold() in NAIVE_UTC_COLUMNS else None

    def unknown(line: int, value: str) -> None:
        problems.append(_("line %(line)d: the time %(value)r is not a date and time this import knows",
                          line=line, value=value))

    if date_format:
        for line, value in values:
            try:
                result.times[line] = parse_with_format(value, date_format, zone)
            except ValueError:
                problems.append(_("line %(line)d: the time %(value)r does not match the date format %(format)s",
                                  line=line, value=value.strip(), format=date_format))
        return result, problems
    pending: list[tuple[int, str, int, int]] = []
    for line, value in values:
        try:
            fixed = parse_fixed(value, zone)
        except ValueError:
            unknown(line, value.strip())
            continue
        if fixed is not None:
            result.times[line] = fixed
            continue
        match = _XY_YEAR.match(value.strip())
        if not match:
            unknown(line, value.strip())
            continue
        pending.append((line, value.strip(), int(match.group(1)), int(match.group(2))))
    if not pending:
        return result, problems
    day_first = next(((line, value) for line, value, a, b in pending if a > 12), None)
    month_first = next(((line, value) for line, value, a, b in pending if b > 12), None)
    if day_first and month_first:
        problems.append(_("line %(line)d: %(value)r can only be month/day/year, but line %(first)d: %(other)r can "
                          "only be day/month/year; one file cannot mix date orders (column %(column)r)",
                          line=month_first[0], value=month_first[1], first=day_first[0], other=day_first[1],
                          column=column))
        return result, problems
    if day_first or month_first:
        result.order = DAY_FIRST if day_first else MONTH_FIRST
    elif any(a != b for _line, _value, a, b in pending):
        line, value = next((line, value) for line, value, a, b in pending if a != b)
        problems.append(_("line %(line)d: the dates of column %(column)r can be read day/month/year or "
                          "month/day/year (for example %(value)r) and no date in the file tells which; choose the "
                          "order with --date-format %%d/%%m/%%Y or --date-format %%m/%%d/%%Y (on the upload page: "
                          "\"Date order\")", line=line, column=column, value=value))
        return result, problems
    else:
        result.order = DAY_FIRST  # every date reads the same either way (3/3/2026)
    for line, value, a, b in pending:
        day, month = (a, b) if result.order == DAY_FIRST else (b, a)
        match = _XY_YEAR.match(value)
        try:
            hour, minute, second = _clock(match.group(4))
            result.times[line] = _aware(datetime(int(match.group(3)), month, day, hour, minute, second), zone)
        except ValueError:
            unknown(line, value)
    return result, problems

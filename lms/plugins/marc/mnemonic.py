"""MARC records in mnemonic form, as MarcEdit (``.mrk``) and the Library of Congress write
them: one field per line, ``=245  10$aJudul :$bsub judul /$cpenulis.``.

Lines are read into pymarc's record model (``Record``, ``Field``, ``Subfield``,
``Indicators``); the key is stored as MARC-in-JSON (``Record.as_dict()``), a format other
tools read. pymarc's own ``MARCMakerReader`` stops at the first bad line without saying
where; here every line that is not a field gets its line number and a sentence, so an
author (``file:line``) and a learner (``Line 3: ...``) can fix all of them at once.

Blank indicators and blanks in control fields may be written ``#`` (LC), ``\\`` (MarcEdit)
or as a space; a literal dollar sign in a value is ``{dollar}``, as in MarcEdit.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from pymarc import Field, Indicators, Leader, Record, Subfield

BLANKS = "#\\ "
TAG_RE = re.compile(r"^\d{3}$")
CODE_RE = re.compile(r"^[a-z0-9]$")
DOLLAR = "{dollar}"
# Fixed-length control fields: their data is compared position by position.
FIXED_LENGTH = {"LDR": 24, "006": 18, "008": 40}
POSITIONAL = ("LDR", "006", "007", "008")
# Leader positions the system computes (record length, base address of data): a
# cataloguer writes zeros there, so they are never compared.
LEADER_COMPUTED = frozenset(range(0, 5)) | frozenset(range(12, 17))
# MARC 21 Bibliographic fields that are not repeatable (NR), checked in a key.
NON_REPEATABLE = frozenset({
    "LDR", "001", "003", "005", "008", "010", "018", "036", "038", "040", "042", "043", "044", "045", "066",
    "100", "110", "111", "130", "240", "243", "245", "254", "256", "263", "306", "357", "507", "514",
    "841", "842", "844", "882",
})
MAIN_ENTRIES = frozenset({"100", "110", "111", "130"})


class LineError(ValueError):
    """A line that cannot be read as a field; the message is fit to show."""


def is_control(tag: str) -> bool:
    return tag == "LDR" or tag < "010"


@dataclass
class Reading:
    """A record read from mnemonic lines: the entries in written order (the leader as a
    field tagged ``LDR``, control fields with ``data``), their line numbers, and the
    problems as (line, message)."""

    fields: list[Field] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)


def control_data(text: str) -> str:
    """Control-field data with every written blank (``#``, ``\\``) as the space it stands for."""
    return "".join(" " if ch in BLANKS else ch for ch in text)


def read_line(text: str, *, key: bool = False) -> Field:
    """One field from its mnemonic line (the text after ``=``). ``key``: the stricter
    checks of an answer key (lengths of fixed fields)."""
    tag, rest = text[:3], text[3:]
    if tag.upper() == "LDR":
        tag = "LDR"
    if tag != "LDR" and not TAG_RE.match(tag):
        raise LineError(_("“%(tag)s” is not a MARC tag: write three digits (or LDR) after the = "
                          "(for example =245)", tag=tag))
    if tag == "000":
        raise LineError(_("000 is not a MARC tag; the leader is written =LDR"))
    if not rest.strip():
        if is_control(tag):
            raise LineError(_("%(tag)s has no data", tag=tag))
        raise LineError(_("%(tag)s is a data field: write two indicators and $ subfields "
                          "(for example =%(tag)s  10$aText)", tag=tag))
    if not rest.startswith(" "):
        raise LineError(_("put two spaces after the tag (=%(tag)s  and then the rest)", tag=tag))
    if is_control(tag):
        data = rest[2:] if rest.startswith("  ") else rest[1:]
        if "$" in data:
            raise LineError(_("%(tag)s is a control field: it has data only, no $ subfields", tag=tag))
        if not data.strip():
            raise LineError(_("%(tag)s has no data", tag=tag))
        data = control_data(data)
        if key and tag in FIXED_LENGTH and len(data) != FIXED_LENGTH[tag]:
            raise LineError(_("%(tag)s has %(n)d characters; it has %(size)d (write each blank as # or \\)",
                              tag=tag, n=len(data), size=FIXED_LENGTH[tag]))
        return _control_field(tag, data)
    dollar = rest.find("$")
    if dollar < 0:
        raise LineError(_("%(tag)s is a data field: write two indicators and $ subfields "
                          "(for example =%(tag)s  10$aText)", tag=tag))
    head = rest[:dollar]
    indicators = head[2:] if head.startswith("  ") else head[1:]
    if len(indicators) != 2:
        raise LineError(_("write exactly two indicators between the tag and the first $, "
                          "# for a blank (for example =%(tag)s  10$aText)", tag=tag))
    for indicator in indicators:
        if indicator not in BLANKS and not indicator.isdigit():
            raise LineError(_("indicator “%(ind)s” of %(tag)s is not a digit or # (blank)", ind=indicator, tag=tag))
    subfields = []
    for part in rest[dollar + 1:].split("$"):
        if not part:
            raise LineError(_("a $ with no subfield code in %(tag)s", tag=tag))
        code, value = part[0], part[1:].replace(DOLLAR, "$").strip()
        if not CODE_RE.match(code):
            raise LineError(_("$%(code)s in %(tag)s: a subfield code is a lowercase letter or a digit",
                              code=code, tag=tag))
        if not value:
            raise LineError(_("$%(code)s in %(tag)s has no value", code=code, tag=tag))
        subfields.append(Subfield(code, value))
    return Field(tag, indicators=Indicators(*(" " if ch in BLANKS else ch for ch in indicators)),
                 subfields=subfields)


def _control_field(tag: str, data: str) -> Field:
    """A control field; the leader too, as a field tagged ``LDR`` (pymarc keeps the leader
    apart, and counts only 001-009 as control fields, so its data is set here)."""
    found = Field(tag, data=data)
    if tag == "LDR":
        found.data, found.control_field = data, True
    return found


def read_text(text: str, first_line: int = 1, *, key: bool = False) -> Reading:
    """Every non-blank line of ``text`` as a field; a line that is not one is a problem."""
    reading = Reading()
    for offset, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n")):
        stripped = raw.lstrip()
        if not stripped.strip():
            continue
        number = first_line + offset
        if not stripped.startswith("="):
            reading.problems.append((number, _("a field starts with = and its tag (for example =245  10$aText)")))
            continue
        try:
            found = read_line(stripped[1:], key=key)
        except LineError as error:
            reading.problems.append((number, str(error)))
            continue
        reading.fields.append(found)
        reading.lines.append(number)
    return reading


def key_problems(reading: Reading) -> list[tuple[int, str]]:
    """What no record may hold: a non-repeatable field twice, more than one main entry (1XX)."""
    problems = []
    seen: dict[str, int] = {}
    main: tuple[str, int] | None = None
    for found, line in zip(reading.fields, reading.lines):
        if found.tag in NON_REPEATABLE and found.tag in seen:
            problems.append((line, _("%(tag)s is not repeatable; it is on line %(first)d already",
                                     tag=found.tag, first=seen[found.tag])))
        seen.setdefault(found.tag, line)
        if found.tag in MAIN_ENTRIES:
            if main is not None and main[0] != found.tag:
                problems.append((line, _("a record has one main entry (1XX): %(tag)s here and %(other)s on "
                                         "line %(first)d", tag=found.tag, other=main[0], first=main[1])))
            main = main or (found.tag, line)
    return problems


# --- the stored key: MARC-in-JSON --------------------------------------------------------

def to_json(fields: list[Field]) -> dict:
    """MARC-in-JSON through pymarc's ``Record.as_dict()``; ``leader`` only when written."""
    record = Record(force_utf8=True)
    leader = next((f.data for f in fields if f.tag == "LDR"), None)
    if leader is not None:
        record.leader = Leader(leader)
    record.add_field(*(f for f in fields if f.tag != "LDR"))
    found = record.as_dict()
    if leader is None:
        found.pop("leader", None)
    return found


def from_json(data: dict) -> list[Field]:
    """The fields of a stored MARC-in-JSON record, the leader first (as ``LDR``)."""
    fields = [_control_field("LDR", str(data["leader"]))] if "leader" in data else []
    for entry in data.get("fields", []):
        ((tag, content),) = entry.items()
        if isinstance(content, str):
            fields.append(_control_field(tag, content))
        else:
            fields.append(Field(tag, indicators=Indicators(content["ind1"], content["ind2"]),
                                subfields=[Subfield(*next(iter(s.items()))) for s in content["subfields"]]))
    return fields


def line_of(found: Field) -> str:
    """A field as one mnemonic line, blanks written ``#`` (as the course texts write them)."""
    if found.control_field:
        return f"={found.tag}  " + found.data.replace(" ", "#")
    first, second = found.indicators
    return (f"={found.tag}  {first.replace(' ', '#')}{second.replace(' ', '#')}"
            + "".join(f"${s.code}{s.value.replace('$', DOLLAR)}" for s in found.subfields))


def label(tag: str, number: int, count: int) -> str:
    """How feedback names a field: ``245``, or ``650 (2)`` for the second of several."""
    return f"{tag} ({number})" if count > 1 else tag

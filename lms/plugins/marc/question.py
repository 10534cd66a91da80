"""The MARC record question type (``type: marc``): the key is a record in mnemonic lines,
the learner writes one in a textarea, and it is graded field by field
(:mod:`lms.plugins.marc.grading`).

The key is stored as MARC-in-JSON under ``record`` with the author's per-field notes beside
it; ``present`` shows the tolerance only, never a field of the key.
"""
from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from pymarc import Field, Indicators

from lms.plugins.marc import grading, mnemonic
from lms.plugins.marc.tags import tag_names
from lms.questions import QuestionType, ResponseError

MAX_RECORD = 10_000  # characters of a learner's record (a long record is ~3,000)
MAX_LINES = 300
SHOWN_READ_ERRORS = 5
TOLERANCE_SPLIT = re.compile(r"[\s,;]+")
TOLERANCE_LABELS = {"punctuation": _l("punctuation at the start and end of a subfield"),
                    "case": _l("capital and small letters"),
                    "order": _l("the order of repeated fields (such as two 650s)"),
                    "spaces": _l("spaces before punctuation")}


def parse_tolerance(value: str) -> tuple[list[str], str | None]:
    """The words of a ``tolerance:`` header, or an error sentence."""
    words = [word.lower() for word in TOLERANCE_SPLIT.split(value.strip()) if word]
    if not words:
        return [], _("tolerance lists what is not graded: %(words)s", words=", ".join(grading.TOLERANCES))
    unknown = [word for word in words if word not in grading.TOLERANCES]
    if unknown:
        return [], _("unknown tolerance %(word)r for a MARC record; use %(words)s",
                     word=unknown[0], words=", ".join(grading.TOLERANCES))
    return [word for word in grading.TOLERANCES if word in words], None


def _tolerance(data: dict) -> frozenset[str]:
    return frozenset(data.get("tolerance", ()))


def _clean(text: str) -> str:
    """The record as typed, with line ends made one kind and blank lines around it dropped
    (trailing spaces inside are kept: they may be blanks of a control field)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(lines)


class MarcRecord(QuestionType):
    """A whole MARC record (or the fields an exercise asks for), written in mnemonic form."""

    name, label, widget = "marc", _l("MARC record"), "marc/widget.html"
    kind, requirement = "answers", _l("MARC field lines such as `=245  10$aJudul /$cPenulis.`")

    @classmethod
    def parse(cls, block):
        problems: list[tuple[int, str]] = []
        tolerance: list[str] = []
        if "tolerance" in block.header:
            value, line = block.header["tolerance"]
            tolerance, error = parse_tolerance(value)
            if error:
                problems.append((line, error))
        notes = block.answer_notes or [{"credit": None, "feedback": ""} for _answer in block.answers]
        reading = mnemonic.Reading()
        kept_notes: list[str] = []
        for (text, line), note in zip(block.answers, notes):
            if note["credit"] is not None:
                problems.append((line, _("a MARC field line takes no credit `[..%]`: the record is graded "
                                         "field by field")))
                continue
            try:
                found = mnemonic.read_line(text, key=True)
            except mnemonic.LineError as error:
                problems.append((line, str(error)))
                continue
            reading.fields.append(found)
            reading.lines.append(line)
            kept_notes.append(note["feedback"])
        problems += mnemonic.key_problems(reading)
        if problems:
            return {}, problems
        # the leader leads the record, wherever it was written
        order = sorted(range(len(reading.fields)), key=lambda i: reading.fields[i].tag != "LDR")
        fields = [reading.fields[i] for i in order]
        kept_notes = [kept_notes[i] for i in order]
        data: dict[str, Any] = {"record": mnemonic.to_json(fields), "tolerance": tolerance}
        if any(kept_notes):
            data["notes"] = kept_notes
        return data, []

    @classmethod
    def render(cls, data, inline):
        out = dict(data)
        if data.get("notes"):
            out["notes_html"] = [str(inline(note)) if note else "" for note in data["notes"]]
        return out

    @classmethod
    def present(cls, data, layout):
        """The grading rules the learner may know (what is not graded) and the tag names of
        the live hint - nothing of the key."""
        return {"tolerance": [str(TOLERANCE_LABELS[word]) for word in data.get("tolerance", [])],
                "tags": tag_names()}

    @classmethod
    def read(cls, values, data, layout, field, form):
        text = _clean(values[0] if values else "")
        if not text.strip():
            return None
        if len(text) > MAX_RECORD or text.count("\n") >= MAX_LINES:
            raise ResponseError(_("The record is too long (at most %(n)d characters and %(lines)d lines).",
                                  n=MAX_RECORD, lines=MAX_LINES))
        reading = mnemonic.read_text(text)
        if reading.problems:
            shown = [_("Line %(n)d: %(problem)s.", n=line, problem=problem)
                     for line, problem in reading.problems[:SHOWN_READ_ERRORS]]
            more = len(reading.problems) - SHOWN_READ_ERRORS
            if more > 0:
                shown.append(_("and %(n)d more.", n=more))
            raise ResponseError("\n".join(shown))  # one line each on the page (white-space: pre-line)
        return {"text": text}

    @classmethod
    def outcome(cls, data, response) -> grading.Outcome:
        key = mnemonic.from_json(data["record"])
        given = mnemonic.read_text(response["text"]).fields if response and response.get("text") else []
        return grading.grade_record(key, given, _tolerance(data))

    @classmethod
    def grade(cls, data, response):
        if not response:
            return 0.0
        return round(cls.outcome(data, response).credit, 6)

    @classmethod
    def feedback(cls, data, response):
        """One line per field of the key (right, partly, missing) and per extra field, each
        with what is wrong and, when not right, the author's note for that field."""
        if not response:
            return []
        notes = data.get("notes_html") or []
        lines = []
        for outcome in cls.outcome(data, response).fields:
            name = mnemonic.label(outcome.tag, outcome.number, outcome.count)
            if outcome.status == "extra":
                text = _("%(field)s is not in the key: an extra field takes one unit off.", field=outcome.tag)
            elif outcome.status == "missing":
                text = _("%(field)s is missing.", field=name)
            elif outcome.status == "right" and outcome.problems:  # only the subfield order
                text = _("%(field)s is right; %(problems)s.", field=name,
                         problems="; ".join(_problem_text(p) for p in outcome.problems))
            elif outcome.status == "right":
                text = _("%(field)s is right.", field=name)
            else:
                text = _("%(field)s: %(problems)s", field=name,
                         problems="; ".join(_problem_text(p) for p in outcome.problems) + ".")
            note = ""
            if outcome.status in ("missing", "partly") and outcome.key_index is not None:
                note = notes[outcome.key_index] if outcome.key_index < len(notes) else ""
            mark = {"right": "✓", "partly": "±", "missing": "✗", "extra": "+"}[outcome.status]
            note_html = Markup(' <span class="marc-note">{}</span>').format(Markup(note)) if note else ""
            lines.append(str(Markup('<span class="marc-outcome marc-{status}" aria-hidden="true">{mark}</span> '
                                    '{text}{note}').format(status=outcome.status, mark=mark, text=text,
                                                           note=note_html)))
        return lines

    @classmethod
    def answer_html(cls, data):
        return _record_html("\n".join(mnemonic.line_of(f) for f in mnemonic.from_json(data["record"])))

    @classmethod
    def form_values(cls, response, layout, field):
        return {field: [response["text"]]} if response else {}

    @classmethod
    def response_html(cls, data, response):
        if not response or not isinstance(response.get("text"), str):
            return ""
        return _record_html(response["text"])

    @classmethod
    def example_response(cls, data, rng, quality):
        """The key as mnemonic lines; partly right: one indicator changed or one subfield
        (or, for a one-subfield field, the whole field) left out; wrong: a note field only."""
        fields = mnemonic.from_json(data["record"])
        if quality <= 0:
            return {"text": "=500  ##$aTidak tahu."}
        lines = [mnemonic.line_of(found) for found in fields]
        if quality < 1:
            data_fields = [i for i, found in enumerate(fields) if not found.control_field]
            index = rng.choice(data_fields or list(range(len(fields))))
            found = fields[index]
            if found.control_field:
                lines.pop(index)
            elif len(found.subfields) > 1 and rng.random() < 0.5:
                dropped = rng.randrange(len(found.subfields))
                lines[index] = mnemonic.line_of(Field(found.tag, indicators=found.indicators, subfields=[
                    s for i, s in enumerate(found.subfields) if i != dropped]))
            else:
                first, second = found.indicators
                changed = "0" if first.strip() not in ("0",) else "1"
                lines[index] = mnemonic.line_of(Field(found.tag, indicators=Indicators(changed, second),
                                                      subfields=found.subfields))
        return {"text": "\n".join(lines)}


def _record_html(text: str) -> str:
    """A record shown as written, lines kept (inline markup: it sits in a paragraph)."""
    return str(Markup('<code class="marc-record">{}</code>').format(text))


def _blank(value: str) -> str:
    return "#" if value == " " else value


def _problem_text(problem: grading.Problem) -> str:
    args = problem.args
    if problem.kind == "ind":
        return _("ind%(which)d is wrong (you wrote %(given)s)", which=args["which"], given=_blank(args["given"]))
    if problem.kind == "missing_subfield":
        return _("$%(code)s is missing", code=args["code"])
    if problem.kind == "subfield":
        return _("$%(code)s differs (you wrote “%(given)s”)", code=args["code"], given=args["given"])
    if problem.kind == "extra_subfield":
        return _("$%(code)s is not in the key (one unit off)", code=args["code"])
    if problem.kind == "subfield_order":
        return _("the subfields are in another order than in the key (not graded)")
    if problem.kind == "positions":
        return _("positions %(ranges)s differ", ranges=args["ranges"])
    return _("the data differs (you wrote “%(given)s”)", given=args["given"].replace(" ", "#"))

"""The quiz block syntax: one question per ```quiz fenced block.

The parser never raises anything but collecting :class:`Problem`s: on any text it returns
either a question or a list of problems with line numbers (a hypothesis test checks that).
Line numbers are absolute in the file: the caller passes the line of the block's first
content line. The syntax is documented for trainers in ``docs/authoring.md``.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from flask_babel import gettext as _
from flask_babel import pgettext

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
HEADER_RE = re.compile(r"^([A-Za-z_]+)\s*:\s*(.*)$")
HEADER_KEYS = ("id", "type", "competency", "points", "shuffle", "tolerance", "upload", "words")
# settings only some kinds of question read: (key, the answer kind that reads it)
KIND_KEYS = {"upload": "rubric", "words": "rubric"}
# A choice box is `[ ]`, `[x]` or a credit `[50%]` (partial credit, negative in multiple answers).
OPTION_RE = re.compile(r"^[-*+]\s+\[( |x|X|-?\d{1,3}(?:[.,]\d+)?\s*%)\]\s*(.*)$")
# An answer line may start with a credit: `= [50%] Katalog`.
ANSWER_RE = re.compile(r"^=\s*(?:\[(-?\d{1,3}(?:[.,]\d+)?)\s*%\]\s*)?(.*)$")
PAIR_START_RE = re.compile(r"^[-*+]\s+")
ARROW_RE = re.compile(r"->|=>|→")
ORDER_RE = re.compile(r"^(\d{1,3})[.)]\s+(.*)$")
FEEDBACK_RE = re.compile(r"^\s{2,}>\s?(.*)$|^\t>\s?(.*)$")
# A rubric (essay questions): top-level `- criterion` items, each with nested `  - N: level`.
RUBRIC_ITEM_RE = re.compile(r"^[-*+]\s+(.*)$")
RUBRIC_LEVEL_RE = re.compile(r"^\s+[-*+]\s+(.*)$")
LEVEL_RE = re.compile(r"^([^:\s]*)\s*:\s*(.*)$")


@dataclass
class Problem:
    line: int
    message: str


@dataclass
class QuizBlock:
    """The pieces of a quiz block, handed to the question type that builds its answer key."""

    header: dict[str, tuple[str, int]]  # key -> (value, line)
    options: list[dict[str, Any]]  # {"text", "correct", "feedback", "line"}
    answers: list[tuple[str, int]]  # `= text` lines
    pairs: list[tuple[str, str, int]]  # `left -> right` lines
    order: list[tuple[str, int]]  # numbered list items
    line: int  # where problems about the answers as a whole are reported
    # per `=` line, in the same order as ``answers``: {"credit": float | None, "feedback": str}
    answer_notes: list[dict[str, Any]] = field(default_factory=list)
    # an essay's rubric: [{"text", "line", "levels": [{"points", "text", "line"}]}]
    rubric: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class ParsedQuestion:
    """A question as written, ready to store: ``data`` holds the type-specific answer key."""

    id: str
    type: str
    text: str  # Markdown of the question stem
    line: int
    competency: str | None = None
    points: float = 1.0
    shuffle: bool = True
    feedback: str = ""  # general feedback, Markdown
    data: dict[str, Any] = field(default_factory=dict)


def _percent(text: str) -> float:
    """A credit written as a percentage (`50%`, `-33,3`) as a fraction (0.5, -0.333)."""
    return float(text.rstrip("%").strip().replace(",", ".")) / 100


def _as_number(text: str) -> float | None:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def parse_quiz_block(text: str, first_line: int, types: dict | None = None
                     ) -> tuple[ParsedQuestion | None, list[Problem]]:
    """Parse one quiz block's content (without the fences).

    ``types`` is the question-type registry (name -> class, see ``lms.questions``); the
    block's type builds its own answer key. Default: the built-in types.
    """
    if types is None:
        from lms.questions import builtin_registry

        types = builtin_registry()
    problems: list[Problem] = []
    lines = text.split("\n")
    header, index = _read_header(lines, first_line, problems)
    if not header:
        problems.append(Problem(first_line, _("a quiz block starts with settings such as `id: my-question-1`, "
                                              "then a blank line, then the question")))
        return None, problems
    question_id = _check_id(header, first_line, problems)
    start = index  # problems about the whole question point at its first non-blank line (inside the block)
    while start < len(lines) - 1 and not lines[start].strip():
        start += 1
    question_line = first_line + min(start, len(lines) - 1)
    declared = types.get(header.get("type", ("", 0))[0].lower())
    body_lines = lines[index:]
    rubric: list[dict[str, Any]] = []
    rubric_feedback: list[str] = []
    if declared is not None and declared.kind == "rubric":
        body_lines, rubric, rubric_feedback = _split_rubric(body_lines, first_line + index, problems)
    body = _read_body(body_lines, first_line + index, problems)
    body.rubric = rubric
    if rubric:
        body.feedback = rubric_feedback
    if not body.stem:
        problems.append(Problem(question_line, _("the question has no text")))
    _check_one_kind(body, problems)
    qtype = _question_type(header, body, types, first_line, problems)
    if qtype is None:
        problems.append(Problem(question_line, _("the question has no answers: add `- [x]` choices, `= answer` "
                                                 "lines, `left -> right` pairs or a numbered list")))
        return None, problems
    points, shuffle = _settings(header, problems)
    block = body.block(header, question_line)
    qclass = types[qtype]
    for key, kind in KIND_KEYS.items():
        if key in header and qclass.kind != kind:
            problems.append(Problem(header[key][1], _("the setting %(key)r is for essay questions (`type: essay`)",
                                                      key=key)))
    data: dict[str, Any] = {}
    if not getattr(block, {"choices": "options"}.get(qclass.kind, qclass.kind), None):
        problems.append(Problem(block.line, _("a %(type)s question needs %(requirement)s", type=qtype,
                                              requirement=str(qclass.requirement))))
    else:
        data, type_problems = qclass.parse(block)
        problems.extend(Problem(line, message) for line, message in type_problems)
    if problems:
        return None, problems
    return ParsedQuestion(id=question_id, type=qtype, text=body.stem, line=first_line,
                          competency=header.get("competency", (None, 0))[0] or None, points=points,
                          shuffle=shuffle, feedback="\n".join(body.feedback).strip(), data=data), []


def _read_header(lines: list[str], first_line: int, problems: list[Problem]
                 ) -> tuple[dict[str, tuple[str, int]], int]:
    """The `key: value` lines up to the first blank line, and the index where the body starts."""
    header: dict[str, tuple[str, int]] = {}
    index = 0
    while index < len(lines) and lines[index].strip():
        match = HEADER_RE.match(lines[index].strip())
        if not match:
            break
        key = match.group(1).lower()
        if key not in HEADER_KEYS:
            problems.append(Problem(first_line + index, _("unknown quiz setting %(key)r; use one of %(keys)s",
                                                          key=key, keys=", ".join(HEADER_KEYS))))
        elif key in header:
            problems.append(Problem(first_line + index, _("quiz setting %(key)r given twice", key=key)))
        else:
            header[key] = (match.group(2).strip(), first_line + index)
        index += 1
    return header, index


def _check_id(header: dict[str, tuple[str, int]], first_line: int, problems: list[Problem]) -> str:
    question_id, id_line = header.get("id", ("", first_line))
    if not question_id:
        problems.append(Problem(first_line, _("the question has no id; add a line like `id: marc-245-1`")))
    elif not ID_RE.match(question_id):
        problems.append(Problem(id_line, _("question id %(id)r may use lowercase letters, digits and "
                                           "hyphens only (at most 80)", id=question_id)))
    return question_id


@dataclass
class _Body:
    """What the lines after the header hold: the stem, the answer lines of each kind, the
    general feedback."""

    stem: str = ""
    options: list[dict[str, Any]] = field(default_factory=list)
    answers: list[tuple[str, int]] = field(default_factory=list)
    answer_notes: list[dict[str, Any]] = field(default_factory=list)
    pairs: list[tuple[str, str, int]] = field(default_factory=list)
    order: list[tuple[str, int]] = field(default_factory=list)
    feedback: list[str] = field(default_factory=list)
    rubric: list[dict[str, Any]] = field(default_factory=list)

    def block(self, header: dict[str, tuple[str, int]], question_line: int) -> QuizBlock:
        answer_lines = ([o["line"] for o in self.options] + [n for _text, n in self.answers]
                        + [n for *_texts, n in self.pairs] + [n for _text, n in self.order]
                        + [c["line"] for c in self.rubric])
        return QuizBlock(header=header, options=self.options, answers=self.answers, pairs=self.pairs,
                         order=self.order, line=min(answer_lines, default=question_line),
                         answer_notes=self.answer_notes, rubric=self.rubric)


def _read_body(body: list[str], body_start: int, problems: list[Problem]) -> _Body:
    """Sort the body's lines into stem, answers of each kind, per-answer and general feedback."""
    result = _Body()
    stem: list[str] = []
    seen_answers = False
    list_ends = _list_ends_stem(body)
    for offset, raw in enumerate(body):
        number = body_start + offset
        stripped = raw.strip()
        if not seen_answers and not stripped:
            stem.append(raw)
            continue
        feedback_match = FEEDBACK_RE.match(raw)
        if feedback_match and seen_answers:
            _attach_feedback(result, (feedback_match.group(1) or feedback_match.group(2) or "").strip(),
                             number, problems)
            continue
        option = OPTION_RE.match(stripped)
        answer = ANSWER_RE.match(stripped)
        pair = _pair(stripped) if not option else None
        ordered = ORDER_RE.match(stripped)
        indented = raw.startswith((" ", "\t"))
        if result.feedback and stripped and not stripped.startswith(">"):
            problems.append(Problem(number, _("text after the general feedback; the `>` feedback paragraph "
                                              "comes last")))
            continue
        if option and not indented:
            seen_answers = True
            mark = option.group(1)
            result.options.append({"text": option.group(2).strip(), "correct": mark in "xX",
                                   "credit": _percent(mark) if mark.endswith("%") else None,
                                   "feedback": "", "line": number})
        elif answer and not indented:
            seen_answers = True
            result.answers.append((answer.group(2).strip(), number))
            result.answer_notes.append({"credit": _percent(answer.group(1)) if answer.group(1) else None,
                                        "feedback": ""})
        elif pair and not indented:
            seen_answers = True
            result.pairs.append((pair[0], pair[1], number))
        elif ordered and not indented and (seen_answers or list_ends[offset]):
            seen_answers = True
            result.order.append((ordered.group(2).strip(), number))
        elif seen_answers and stripped.startswith(">"):
            result.feedback.append(stripped[1:].strip())
        elif seen_answers and not stripped:
            continue
        elif seen_answers:
            problems.append(Problem(number, _("unexpected line among the answers: %(line)r", line=stripped[:60])))
        else:
            stem.append(raw)
    result.stem = "\n".join(stem).strip()
    return result


def _split_rubric(body: list[str], body_start: int, problems: list[Problem]
                  ) -> tuple[list[str], list[dict[str, Any]], list[str]]:
    """An essay's rubric is the list that ends the question: from the first top-level
    `- criterion` line after which only list lines (`- criterion`, indented `- N: level`),
    blank lines and the `>` general feedback follow. Returns the body without the rubric and
    the feedback (blank lines in their place, so line numbers hold), the criteria and the
    general feedback's lines."""
    start = None
    offset = len(body) - 1
    while offset >= 0 and (not body[offset].strip() or body[offset].strip().startswith(">")
                           and not body[offset].startswith((" ", "\t"))):
        offset -= 1
    end = offset + 1  # the rubric ends here; the general feedback follows
    while offset >= 0:
        raw = body[offset]
        if not raw.strip() or RUBRIC_LEVEL_RE.match(raw):
            offset -= 1
            continue
        if RUBRIC_ITEM_RE.match(raw):
            start = offset
            offset -= 1
            continue
        break
    if start is None:
        return body, [], []
    criteria: list[dict[str, Any]] = []
    for offset in range(start, end):
        raw, number = body[offset], body_start + offset
        if not raw.strip():
            continue
        level = RUBRIC_LEVEL_RE.match(raw)
        if level is None:
            criteria.append({"text": RUBRIC_ITEM_RE.match(raw).group(1).strip(), "line": number, "levels": []})
            continue
        criterion = criteria[-1]
        found = LEVEL_RE.match(level.group(1).strip())
        value = _as_number(found.group(1)) if found else None
        if found is None or value is None or value < 0 or value > 100:
            problems.append(Problem(number, _("a rubric level is written `- N: description`, N the points of the "
                                              "level (a number from 0 to 100)")))
            continue
        if any(abs(known["points"] - value) < 1e-9 for known in criterion["levels"]):
            problems.append(Problem(number, _("the criterion %(text)r has two levels worth %(points)s points",
                                              text=criterion["text"], points=found.group(1))))
            continue
        if not found.group(2).strip():
            problems.append(Problem(number, _("a rubric level has no description")))
            continue
        criterion["levels"].append({"points": value, "text": found.group(2).strip(), "line": number})
    feedback = [raw.strip()[1:].strip() for raw in body[end:] if raw.strip()]
    return body[:start] + [""] * (len(body) - start), criteria, feedback


def _attach_feedback(body: _Body, note: str, number: int, problems: list[Problem]) -> None:
    """An indented `>` line: feedback on the choice or `=` answer above it."""
    if body.options and not (body.answers or body.pairs or body.order):
        body.options[-1]["feedback"] = (body.options[-1]["feedback"] + " " + note).strip()
    elif body.answers and not (body.options or body.pairs or body.order):
        body.answer_notes[-1]["feedback"] = (body.answer_notes[-1]["feedback"] + " " + note).strip()
    else:
        problems.append(Problem(number, _("indented `>` feedback belongs under a `- [ ]` choice or an "
                                          "`=` answer")))


def _check_one_kind(body: _Body, problems: list[Problem]) -> None:
    firsts = sorted((items[0]["line"] if name == "choices" else items[0][-1], name)
                    for name, items in (("choices", body.options), ("answers", body.answers),
                                        ("pairs", body.pairs), ("order", body.order)) if items)
    if len(firsts) > 1:  # reported where the second kind starts
        problems.append(Problem(firsts[1][0], _("a question mixes %(kinds)s; use one kind of answer",
                                                kinds=_answer_kinds([name for _line, name in firsts]))))


def _question_type(header: dict[str, tuple[str, int]], body: _Body, types: dict, first_line: int,
                   problems: list[Problem]) -> str | None:
    """The declared type (when known), else the one the answer lines imply."""
    declared, type_line = header.get("type", ("", first_line))
    declared = declared.lower()
    if declared and declared not in types:
        problems.append(Problem(type_line, _("unknown question type %(type)r; use one of %(types)s",
                                             type=declared, types=", ".join(types))))
        declared = ""
    return declared or _infer_type(body.options, body.answers, body.pairs, body.order)


def _settings(header: dict[str, tuple[str, int]], problems: list[Problem]) -> tuple[float, bool]:
    """The `points` and `shuffle` settings, checked."""
    points = 1.0
    if "points" in header:
        value = _as_number(header["points"][0])
        if value is None or value <= 0 or value > 100:
            problems.append(Problem(header["points"][1], _("points must be a number above 0 (at most 100)")))
        else:
            points = value
    shuffle = True
    if "shuffle" in header:
        word = header["shuffle"][0].lower()
        if word not in ("true", "false", "ya", "tidak", "yes", "no"):
            problems.append(Problem(header["shuffle"][1], _("shuffle must be true or false")))
        shuffle = word in ("true", "ya", "yes")
    return points, shuffle


def _answer_kinds(names: list[str]) -> str:
    """The kinds of answer lines a block mixes, for a message: "choices and answers"."""
    labels = {"choices": pgettext("answer kind", "choices"), "answers": pgettext("answer kind", "answers"),
              "pairs": pgettext("answer kind", "pairs"), "order": pgettext("answer kind", "order")}
    text = labels[names[0]]
    for name in names[1:]:
        text = _("%(first)s and %(second)s", first=text, second=labels[name])
    return text


def _list_ends_stem(body: list[str]) -> list[bool]:
    """For each line: does nothing but a numbered list (and `>` feedback) follow from it? A
    numbered list is the answer (ordering) only then. One pass from the end: asking it of
    every line anew was quadratic in the block's length."""
    ends = [True] * (len(body) + 1)
    for offset in range(len(body) - 1, -1, -1):
        stripped = body[offset].strip()
        ends[offset] = ends[offset + 1] and not (stripped and not ORDER_RE.match(stripped)
                                                  and not stripped.startswith(">"))
    return ends


def _pair(stripped: str) -> tuple[str, str] | None:
    """``left -> right`` of a matching line (``=>`` and ``→`` too), split at the first arrow,
    or None. Found with a plain search: the regex ``(.*?)\\s*->`` backtracked through long
    runs of spaces quadratically."""
    start = PAIR_START_RE.match(stripped)
    if not start:
        return None
    arrow = ARROW_RE.search(stripped, start.end())
    if not arrow:
        return None
    return stripped[start.end():arrow.start()].strip(), stripped[arrow.end():].strip()


def _infer_type(options, answers, pairs, order) -> str | None:
    if options:
        right = sum(1 for o in options if o["correct"])
        if right > 1 or (right == 0 and any((o["credit"] or 0) > 0 for o in options)):
            return "multiple"  # several [x], or only credits such as [50%] that add up
        return "single"
    if answers:
        return "short"
    if pairs:
        return "matching"
    if order:
        return "ordering"
    return None

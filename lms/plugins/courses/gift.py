"""Moodle GIFT: export a module's quiz, and turn GIFT questions into our quiz blocks.

Export reads the questions of the module's current version. Texts come from the version's
Markdown source (``ModuleVersion.source``, parsed again with the courses parser) so
formatting survives as Markdown (each question is marked ``[markdown]``); a question not
found in the source falls back to the stored, rendered ``Question.data`` with its HTML
reduced to text. Mapping (ours -> GIFT):

- single choice ``{=right ~wrong}``; multiple answers ``{~%50%a ~%50%b ~%-100%c}`` with the
  weights our grading uses (each right choice 100/right %, each wrong one -100/wrong %);
- true/false ``{T}`` / ``{F}``; short answer ``{=a =b}``; numeric ``{#3.14:0.01}``;
- matching ``{=a -> 1 =b -> 2}`` (GIFT has no unpaired right items: extra ones are named
  in a comment and left out);
- ordering has no GIFT form: ``// ordering question <qid> skipped``.

Per-choice feedback is ``#...``, general feedback ``####...``; ``~ = # { } :`` and the
backslash are escaped with a backslash, newlines written as ``\\n``.

Import (:func:`parse_gift`) reads the same types back and :func:`to_markdown` writes
``` ```quiz ``` blocks (see ``docs/authoring.md``). Every problem is reported as
``FILE:line: message``; any problem means nothing is written.

The commands are ``lms courses export-gift`` / ``import-gift`` (``lms/plugins/courses/cli.py``);
``lms interop export-gift`` / ``import-gift`` are aliases of the same commands.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask_babel import gettext as _

from lms.plugins.courses.parsing import question_types, split_body, split_front_matter
from lms.plugins.courses.quizparse import HEADER_RE, parse_quiz_block

SPECIAL = "\\~=#{}:"
# Escapes are swapped for private-use characters while parsing, like Moodle does.
PLACEHOLDERS = {ch: chr(0xE000 + index) for index, ch in enumerate(SPECIAL)}
RESTORE = {value: key for key, value in PLACEHOLDERS.items()}
NEWLINE_MARK = chr(0xE010)
TAG_RE = re.compile(r"<[^>]+>")
WEIGHT_RE = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
FORMAT_RE = re.compile(r"^\s*\[(markdown|html|plain|moodle)\]", re.IGNORECASE)
ID_CLEAN_RE = re.compile(r"[^a-z0-9-]+")
ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


# --- export --------------------------------------------------------------------------------

def escape(text: str) -> str:
    """Text safe inside GIFT: special characters behind a backslash, newlines as ``\\n``."""
    out = "".join("\\" + ch if ch in SPECIAL else ch for ch in text.replace("\r\n", "\n"))
    return out.replace("\n", "\\n")


def html_to_text(value: str) -> str:
    """Sanitised HTML reduced to plain text (the fallback when no Markdown source exists)."""
    return html.unescape(TAG_RE.sub("", value or "")).strip()


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _percent(value: float) -> str:
    return f"{round(value, 5):.5f}".rstrip("0").rstrip(".")


def _choice(marker: str, text: str, feedback: str) -> str:
    return f"\t{marker}{escape(text)}" + (f"#{escape(feedback)}" if feedback else "")


def question_gift(qid: str, qtype: str, stem: str, data: dict, feedback: str = "") -> str:
    """One question in GIFT, or a ``//`` comment when the type has no GIFT form."""
    head = f"::{escape(qid)}::[markdown]{escape(stem)} {{"
    general = [f"\t####{escape(feedback)}"] if feedback else []
    if qtype in ("single", "multiple"):
        options = data["options"]
        if qtype == "single":
            body = [_choice("=" if o["correct"] else "~", o["text"], o.get("feedback", "")) for o in options]
        else:
            right = sum(1 for o in options if o["correct"])
            wrong = len(options) - right
            body = [_choice("~%" + (_percent(100 / right) if o["correct"] else _percent(-100 / wrong)) + "%",
                            o["text"], o.get("feedback", "")) for o in options]
        return "\n".join([head, *body, *general, "}"])
    if qtype == "truefalse":
        return "\n".join([f"{head}{'T' if data['answer'] else 'F'}", *general, "}"])
    if qtype == "short":
        return "\n".join([head, *[f"\t={escape(answer)}" for answer in data["accepted"]], *general, "}"])
    if qtype == "numeric":
        return "\n".join([f"{head}#{_number(data['value'])}:{_number(data.get('tolerance') or 0)}", *general, "}"])
    if qtype == "matching":
        lines = []
        if data.get("distractors"):
            lines.append(f"// matching question {qid}: unpaired items left out: "
                         + "; ".join(item.replace("\n", " ") for item in data["distractors"]))
        body = [f"\t={escape(left)} -> {escape(right)}" for left, right in data["pairs"]]
        return "\n".join([*lines, head, *body, *general, "}"])
    return f"// {qtype} question {qid} skipped"


def _source_questions(version) -> dict[str, Any]:
    """The version's questions parsed again from its Markdown source, by qid (Markdown texts)."""
    problems: list[str] = []
    path = Path("module.md")
    text = (version.source or "").replace("\r\n", "\n")
    _meta, body, body_line = split_front_matter(path, text, problems)
    _intro, _lessons, blocks = split_body(path, body, body_line, problems)
    found = {}
    for block, line in blocks:
        question, _problems = parse_quiz_block(block, line, question_types())
        if question is not None:
            found[question.id] = question
    return found


def _text_data(qtype: str, data: dict) -> dict:
    """Stored (rendered) answer data with HTML reduced to text."""
    if qtype in ("single", "multiple"):
        return {"options": [{"text": html_to_text(o.get("html", o.get("text", ""))), "correct": o["correct"],
                             "feedback": html_to_text(o.get("feedback_html", o.get("feedback", "")))}
                            for o in data["options"]]}
    if qtype == "matching":
        return {"pairs": [[html_to_text(left), html_to_text(right)] for left, right in data["pairs"]],
                "distractors": [html_to_text(item) for item in data.get("distractors", [])]}
    return dict(data)


def export_version(version) -> str:
    """The GIFT text of a module version's quiz (every question, in order)."""
    try:
        source = _source_questions(version)
    except Exception:  # noqa: BLE001 - an unreadable source only means the HTML fallback
        source = {}
    parts = [f"// {version.module.course.slug}/{version.module.slug} v{version.number}: {version.title_id}"]
    for question in version.questions:
        parsed = source.get(question.qid)
        if parsed is not None and parsed.type == question.type:
            stem, data, feedback = parsed.text, parsed.data, parsed.feedback
        else:
            stem = html_to_text(question.stem_html)
            data = _text_data(question.type, question.data)
            feedback = html_to_text(question.feedback_html)
        parts.append(question_gift(question.qid, question.type, stem, data, feedback))
    return "\n\n".join(parts) + "\n"


# --- import --------------------------------------------------------------------------------

@dataclass
class GiftQuestion:
    """A question read from GIFT, in our terms (the data shape of ``lms.questions``)."""

    id: str
    type: str
    text: str
    line: int
    data: dict[str, Any] = field(default_factory=dict)
    feedback: str = ""


def _protect(text: str) -> str:
    out = []
    index = 0
    while index < len(text):
        ch = text[index]
        if ch == "\\" and index + 1 < len(text):
            following = text[index + 1]
            if following in PLACEHOLDERS:
                out.append(PLACEHOLDERS[following])
                index += 2
                continue
            if following == "n":
                out.append(NEWLINE_MARK)
                index += 2
                continue
        out.append(ch)
        index += 1
    return "".join(out)


def _restore(text: str) -> str:
    return "".join(RESTORE.get(ch, ch) for ch in text).replace(NEWLINE_MARK, "\n").strip()


def _chunks(text: str) -> list[tuple[int, str]]:
    """Questions separated by blank lines, ``//`` comment lines dropped: (first line, text)."""
    chunks: list[tuple[int, str]] = []
    current: list[str] = []
    start = 0
    for number, raw in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if raw.lstrip().startswith("//"):
            continue
        if not raw.strip():
            if current:
                chunks.append((start, "\n".join(current)))
                current = []
            continue
        if not current:
            start = number
        current.append(raw)
    if current:
        chunks.append((start, "\n".join(current)))
    return chunks


def _make_id(name: str, number: int, used: set[str]) -> str:
    base = ID_CLEAN_RE.sub("-", name.lower()).strip("-")[:72]
    if not base or not ID_RE.match(base):
        base = f"gift-{number}"
    candidate, suffix = base, 2
    while candidate in used:
        candidate, suffix = f"{base}-{suffix}", suffix + 1
    used.add(candidate)
    return candidate


def _answers(block: str) -> tuple[list[dict], str, str | None]:
    """Split a choice/short/matching block into answers, the general feedback and an error."""
    general = ""
    if "####" in block:
        block, general = block.split("####", 1)
    marks = [index for index, ch in enumerate(block) if ch in "=~"]
    if not marks:
        return [], general, _("no answers: write `=right` and `~wrong` choices")
    if block[:marks[0]].strip():
        return [], general, _("text before the first `=` or `~` answer: %(text)r",
                              text=_restore(block[:marks[0]])[:40])
    answers = []
    for position, start in enumerate(marks):
        end = marks[position + 1] if position + 1 < len(marks) else len(block)
        text, _sep, note = block[start + 1:end].partition("#")
        weight = None
        match = WEIGHT_RE.match(text.strip())
        if match:
            weight = float(match.group(1))
            text = text.strip()[match.end():]
        answers.append({"marker": block[start], "text": text, "feedback": _restore(note), "weight": weight,
                        "offset": start})
    return answers, general, None


def _classify(block: str) -> tuple[str, dict, str, str | None]:
    """(type, data, general feedback, error) of one answer block (escapes still protected)."""
    stripped = block.strip()
    head, _sep, note = stripped.partition("#")
    if head.strip().upper() in ("T", "TRUE", "F", "FALSE") and not stripped.startswith("#"):
        feedback = ""
        if "####" in stripped:
            feedback = stripped.split("####", 1)[1]
        return "truefalse", {"answer": head.strip().upper().startswith("T")}, _restore(feedback), None
    if stripped.startswith("#"):
        body = stripped[1:]
        general = ""
        if "####" in body:
            body, general = body.split("####", 1)
        body = body.split("#", 1)[0].strip()
        if "=" in body or "~" in body:
            return "", {}, "", _("only one numeric answer `{#value:tolerance}` is supported")
        try:
            if ".." in body:
                low, high = (float(part.strip()) for part in body.split("..", 1))
                value, tolerance = (low + high) / 2, abs(high - low) / 2
            else:
                value_text, _colon, tol_text = body.partition(":")
                value, tolerance = float(value_text.strip()), float(tol_text.strip() or 0)
        except ValueError:
            return "", {}, "", _("not a number: %(text)r (write `{#3.14:0.01}`)", text=_restore(body)[:40])
        return "numeric", {"value": value, "tolerance": abs(tolerance)}, _restore(general), None
    answers, general, error = _answers(block)
    if error:
        return "", {}, "", error
    general = _restore(general)
    if any("->" in a["text"] for a in answers):
        if any(a["marker"] != "=" or "->" not in a["text"] for a in answers):
            return "", {}, "", _("a matching question has only `=left -> right` answers")
        pairs = [[_restore(a["text"].split("->", 1)[0]), _restore(a["text"].split("->", 1)[1])] for a in answers]
        if len([p for p in pairs if p[0]]) < 2 or any(not right for _left, right in pairs):
            return "", {}, "", _("a matching question needs at least two `=left -> right` pairs")
        return "matching", {"pairs": [p for p in pairs if p[0]],
                            "distractors": [right for left, right in pairs if not left]}, general, None
    if all(a["marker"] == "=" and a["weight"] is None for a in answers):
        accepted = [_restore(a["text"]) for a in answers]
        if any(not text for text in accepted):
            return "", {}, "", _("an `=` answer is empty")
        return "short", {"accepted": accepted}, general, None
    options = []
    for a in answers:
        correct = a["marker"] == "=" or (a["weight"] is not None and a["weight"] > 0)
        options.append({"text": _restore(a["text"]), "correct": correct, "feedback": a["feedback"]})
    if any(not o["text"] for o in options):
        return "", {}, "", _("a choice has no text")
    right = sum(1 for o in options if o["correct"])
    if len(options) < 2 or right == 0:
        return "", {}, "", _("a choice question needs at least two choices, one of them right")
    return ("multiple" if right > 1 else "single"), {"options": options}, general, None


def parse_gift(text: str, filename: str) -> tuple[list[GiftQuestion], list[str]]:
    """Read GIFT text; return the questions and every problem as ``FILE:line: message``."""
    questions: list[GiftQuestion] = []
    problems: list[str] = []
    used: set[str] = set()
    number = 0
    for line, chunk in _chunks(text):
        if chunk.lstrip().startswith("$CATEGORY"):
            continue
        number += 1  # unnamed questions are called gift-<number>
        protected = _protect(chunk)
        name = ""
        body = protected.lstrip()
        if body.startswith("::"):
            end = body.find("::", 2)
            if end < 0:
                problems.append(f"{filename}:{line}: " + _("the question name `::name::` is not closed"))
                continue
            name, body = _restore(body[2:end]), body[end + 2:]
        fmt = FORMAT_RE.match(body)
        kind = "markdown"
        if fmt:
            kind, body = fmt.group(1).lower(), body[fmt.end():]
        opening = body.find("{")
        closing = body.find("}", opening + 1) if opening >= 0 else -1
        offset = len(protected) - len(body)
        if opening < 0:
            problems.append(f"{filename}:{line}: " + _("no answer block: a GIFT question needs `{...}`"))
            continue
        if closing < 0:
            where = line + protected[:offset + opening].count("\n")
            problems.append(f"{filename}:{where}: " + _("the answer block opened here is never closed with `}`"))
            continue
        before, after = body[:opening], body[closing + 1:]
        stem = _restore(before) + (" _____ " + _restore(after) if after.strip() else "")
        if kind == "html":
            stem = html_to_text(stem)
        block_line = line + protected[:offset + opening].count("\n")
        qtype, data, general, error = _classify(body[opening + 1:closing])
        if error:
            problems.append(f"{filename}:{block_line}: {error}")
            continue
        if not stem.strip():
            problems.append(f"{filename}:{line}: " + _("the question has no text"))
            continue
        questions.append(GiftQuestion(id=_make_id(name, number, used), type=qtype, text=stem.strip(), line=line,
                                      data=data, feedback=general))
    if not questions and not problems:
        problems.append(f"{filename}:1: " + _("no GIFT questions found"))
    return questions, problems


def _one_line(text: str) -> str:
    return " ".join(text.split())


def to_markdown(question: GiftQuestion) -> str:
    """One ``quiz`` block in our authoring syntax."""
    header = [f"id: {question.id}"]
    if question.type in ("multiple", "truefalse", "numeric"):
        header.append(f"type: {question.type}")
    answers: list[str] = []
    data = question.data
    if question.type in ("single", "multiple"):
        for option in data["options"]:
            answers.append(f"- [{'x' if option['correct'] else ' '}] {_one_line(option['text'])}")
            if option["feedback"]:
                answers.append(f"  > {_one_line(option['feedback'])}")
    elif question.type == "truefalse":
        answers.append("= benar" if data["answer"] else "= salah")
    elif question.type == "short":
        answers.extend(f"= {_one_line(answer)}" for answer in data["accepted"])
    elif question.type == "numeric":
        answers.append(f"= {_number(data['value'])}"
                       + (f" ± {_number(data['tolerance'])}" if data["tolerance"] else ""))
    elif question.type == "matching":
        answers.extend(f"- {_one_line(left)} -> {_one_line(right)}" for left, right in data["pairs"])
        answers.extend(f"- -> {_one_line(item)}" for item in data["distractors"])
    parts = ["\n".join(header), question.text, "\n".join(answers)]
    if question.feedback:
        parts.append("\n".join("> " + row for row in question.feedback.split("\n")))
    return "```quiz\n" + "\n\n".join(parts) + "\n```\n"


def existing_ids(path: Path) -> set[str]:
    """The question ids a module file already uses (its quiz blocks' ``id:`` headers)."""
    problems: list[str] = []
    _meta, body, line = split_front_matter(path, path.read_text(encoding="utf-8").replace("\r\n", "\n"), problems)
    ids = set()
    for block, _line in split_body(path, body, line, problems)[2]:
        for raw in block.split("\n"):
            match = HEADER_RE.match(raw.strip())
            if not match:
                break
            if match.group(1).lower() == "id":
                ids.add(match.group(2).strip())
    return ids


def check_blocks(questions: list[GiftQuestion], filename: str) -> list[str]:
    """Parse every generated block with the courses parser: what we write must import."""
    problems = []
    for question in questions:
        block = to_markdown(question)
        content = block.split("\n", 1)[1].rsplit("```", 1)[0].rstrip("\n")
        _parsed, block_problems = parse_quiz_block(content, 1, question_types())
        problems.extend(f"{filename}:{question.line}: {p.message}" for p in block_problems)
    return problems

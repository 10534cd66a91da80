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

# A Moodle essay comes in with one criterion whose levels are 0..points (1 point).
HOLISTIC_RUBRIC = ("- Jawaban secara keseluruhan", "  - 0: Belum memenuhi tugas.", "  - 1: Memenuhi tugas.")
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


def _weight_mark(marker: str, credit: float) -> str:
    return f"{marker}%{_percent(credit * 100)}%"


def question_gift(qid: str, qtype: str, stem: str, data: dict, feedback: str = "",
                  warnings: list[str] | None = None) -> str:
    """One question in GIFT, or a ``//`` comment when GIFT cannot hold it (then a warning is
    added to ``warnings``)."""
    from lms.questions import option_credit

    warnings = warnings if warnings is not None else []
    head = f"::{escape(qid)}::[markdown]{escape(stem)} {{"
    general = [f"\t####{escape(feedback)}"] if feedback else []
    if qtype in ("single", "multiple"):
        options = data["options"]
        if qtype == "single":
            body = [_choice("=" if o["correct"] else (_weight_mark("~", o["credit"]) if o.get("credit") else "~"),
                            o["text"], o.get("feedback", "")) for o in options]
        elif any("credit" in o for o in options):
            body = [_choice(_weight_mark("~", option_credit(o)), o["text"], o.get("feedback", "")) for o in options]
        else:
            right = sum(1 for o in options if o["correct"])
            wrong = len(options) - right
            body = [_choice("~%" + (_percent(100 / right) if o["correct"] else _percent(-100 / wrong)) + "%",
                            o["text"], o.get("feedback", "")) for o in options]
        return "\n".join([head, *body, *general, "}"])
    if qtype == "truefalse":
        right, wrong = data.get("feedback_right", ""), data.get("feedback_wrong", "")
        notes = (f"#{escape(wrong)}" if wrong or right else "") + (f"#{escape(right)}" if right else "")
        return "\n".join([f"{head}{'T' if data['answer'] else 'F'}{notes}", *general, "}"])
    if qtype == "short":
        if any("->" in answer for answer in data["accepted"]):
            warnings.append(f"short-answer question {qid} skipped: GIFT reads an answer with `->` as matching")
            return f"// short-answer question {qid} skipped: an answer contains `->`"
        credits = data.get("credits") or [1.0] * len(data["accepted"])
        notes = data.get("feedback") or [""] * len(data["accepted"])
        detailed = "credits" in data or "feedback" in data
        body = [f"\t={_weight_mark('', credit) if detailed else ''}{escape(answer)}"
                + (f"#{escape(note)}" if note else "") for answer, credit, note in zip(data["accepted"], credits, notes)]
        return "\n".join([head, *body, *general, "}"])
    if qtype == "classnumber":
        # GIFT knows no class numbers: a short answer with each accepted number written with
        # both decimal marks (Moodle compares text; segmentation marks are not carried)
        credits = data.get("credits") or [1.0] * len(data["accepted"])
        notes = data.get("feedback") or [""] * len(data["accepted"])
        detailed = "credits" in data or "feedback" in data
        body, seen = [], set()
        for answer, credit, note in zip(data["accepted"], credits, notes):
            for variant in _decimal_variants(answer):
                if variant.casefold() in seen:
                    continue
                seen.add(variant.casefold())
                body.append(f"\t={_weight_mark('', credit) if detailed else ''}{escape(variant)}"
                            + (f"#{escape(note)}" if note else ""))
        warnings.append(f"class-number question {qid} exported as a short answer: Moodle compares the text, so "
                        f"only the decimal point and comma are both accepted")
        return "\n".join([head, *body, *general, "}"])
    if qtype == "essay":
        warnings.append(f"essay question {qid} exported as a Moodle essay: its rubric is not carried (GIFT has none)")
        return "\n".join([head, *general, "}"])
    if qtype == "numeric":
        if "answers" not in data:
            return "\n".join([f"{head}#{_number(data['value'])}:{_number(data.get('tolerance') or 0)}", *general, "}"])
        body = []
        for index, answer in enumerate(data["answers"]):
            note = f"#{escape(answer['feedback'])}" if answer["feedback"] else ""
            if answer["value"] is None and answer["credit"] == 0 and index == len(data["answers"]) - 1:
                body.append(f"\t~#{escape(answer['feedback'])}")
            elif answer["value"] is None:
                body.append(f"\t={_weight_mark('', answer['credit'])}*{note}")
            else:
                body.append(f"\t={_weight_mark('', answer['credit'])}{_number(answer['value'])}:"
                            f"{_number(answer['tolerance'])}{note}")
        return "\n".join([f"{head}#", *body, *general, "}"])
    if qtype == "matching":
        body = [f"\t={escape(left)} -> {escape(right)}" for left, right in data["pairs"]]
        body += [f"\t= -> {escape(item)}" for item in data.get("distractors", [])]
        return "\n".join([head, *body, *general, "}"])
    warnings.append(f"{qtype} question {qid} skipped: GIFT has no {qtype} questions")
    return f"// {qtype} question {qid} skipped"


def _decimal_variants(answer: str) -> list[str]:
    """A class number as written and with the other decimal mark (959.8 and 959,8)."""
    other = re.sub(r"(?<=\d)[.,](?=\d)", lambda m: "," if m.group(0) == "." else ".", answer)
    return [answer] if other == answer else [answer, other]


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
                             "feedback": html_to_text(o.get("feedback_html", o.get("feedback", ""))),
                             **({"credit": o["credit"]} if "credit" in o else {})}
                            for o in data["options"]]}
    if qtype == "matching":
        return {"pairs": [[html_to_text(left), html_to_text(right)] for left, right in data["pairs"]],
                "distractors": [html_to_text(item) for item in data.get("distractors", [])]}
    if qtype == "truefalse":
        out = {"answer": data["answer"]}
        for key in ("feedback_right", "feedback_wrong"):
            if data.get(key + "_html"):
                out[key] = html_to_text(data[key + "_html"])
        return out
    if qtype == "short" and data.get("feedback_html"):
        return {**data, "feedback": [html_to_text(note) for note in data["feedback_html"]]}
    if qtype == "numeric" and "answers" in data:
        return {**data, "answers": [{**a, "feedback": html_to_text(a.get("feedback_html", ""))}
                                    for a in data["answers"]]}
    return dict(data)


def export_version(version, warnings: list[str] | None = None) -> str:
    """The GIFT text of a module version's quiz (every question, in order); what GIFT cannot
    hold is named in ``warnings``."""
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
        parts.append(question_gift(question.qid, question.type, stem, data, feedback, warnings))
    return "\n\n".join(parts) + "\n"


# --- import --------------------------------------------------------------------------------
# Moodle's own rules (question/format/gift/format.php): questions are separated by blank lines;
# `//` lines are comments; `\` escapes `~ = # { } :` and `\n` is a line break; `$CATEGORY:`
# starts a category; `::name::` names a question; the first `{` and the first `}` hold the
# answers (none: a description; `{}`: an essay); `[html]`, `[markdown]`, `[plain]`, `[moodle]`
# give a text's format, answers and feedback inherit the question's.

MOODLE_WEIGHT_RE = re.compile(r"^%(-*\d{1,2}\.?\d*)%")
BLANK = "_____"
TF_WORDS = ("T", "TRUE", "F", "FALSE")
HTML_TAG_RE = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")
ENTITY_OR_TAG_RE = re.compile(r"(<[^>]*>|&#?\w+;)")
TAG_NAME_RE = re.compile(r"<\s*([a-zA-Z][\w-]*)")
ATTRIBUTE_RE = re.compile(r"\s([a-zA-Z][\w:-]*)\s*=")
LINE_START_SPECIAL = "#-+=!?:|~"
NUMBER_START_RE = re.compile(r"^(\d+)([.)])")


@dataclass
class GiftQuestion:
    """A question read from GIFT: its quiz block in our syntax and that block parsed back
    (``parsed``, a ``ParsedQuestion``: what the courses import will store)."""

    id: str
    type: str
    text: str  # Markdown
    line: int
    answers: list[str] = field(default_factory=list)  # answer lines of the quiz block
    feedback: str = ""  # general feedback, Markdown
    parsed: Any = None

    @property
    def data(self) -> dict:
        return self.parsed.data if self.parsed is not None else {}


class GiftError(Exception):
    """A question Moodle would refuse too (or we cannot read): reported, nothing written."""


class Skip(Exception):
    """A question Pembina cannot hold: skipped with a warning (``--strict`` refuses)."""


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


def _chunks(text: str) -> list[tuple[list[int], str]]:
    """Questions separated by blank lines, lines trimmed and ``//`` comment lines dropped (as
    Moodle does): (the file line of each kept line, text)."""
    chunks: list[tuple[list[int], str]] = []
    current: list[str] = []
    numbers: list[int] = []
    for number, raw in enumerate(text.replace("\r\n", "\n").replace("\r", "\n").split("\n"), start=1):
        line = raw.strip()
        if line.startswith("//"):
            continue
        if not line:
            if current:
                chunks.append((numbers, "\n".join(current)))
                current, numbers = [], []
            continue
        current.append(line)
        numbers.append(number)
    if current:
        chunks.append((numbers, "\n".join(current)))
    return chunks


def _make_id(name: str, number: int, used: set[str]) -> str:
    base = ID_CLEAN_RE.sub("-", name.lower()).strip("-")[:72].strip("-")
    if not base or not ID_RE.match(base):
        base = f"gift-{number}"
    candidate, suffix = base, 2
    while candidate in used:
        candidate, suffix = f"{base}-{suffix}", suffix + 1
    used.add(candidate)
    return candidate


def _md_safe(node: str) -> str:
    """Text (HTML-escaped already) that Markdown shows as it is: emphasis, code and link marks
    become entities, line breaks ``&#10;``; Moodle's blank ``_____`` stays readable."""
    out = node.replace("\\", "&#92;").replace("*", "&#42;").replace("`", "&#96;").replace("[", "&#91;")
    out = out.replace("]", "&#93;").replace("→", "&#8594;").replace("\n", "&#10;")
    out = re.sub(r"(?<![\w_])_{5}(?![\w_])", "\0BLANK\0", out)
    out = out.replace("_", "&#95;").replace("\0BLANK\0", BLANK)
    return out


def _md_line_start(text: str) -> str:
    """A Markdown text whose first character cannot start a heading, list, answer line..."""
    match = NUMBER_START_RE.match(text)
    if match:
        return match.group(1) + f"&#{ord(match.group(2))};" + text[match.end():]
    if text and text[0] in LINE_START_SPECIAL:
        return f"&#{ord(text[0])};" + text[1:]
    return text


def _safe_html(value: str) -> str:
    """Sanitised HTML as Markdown that renders to the same HTML (text nodes made inert)."""
    parts = ENTITY_OR_TAG_RE.split(value)
    out = []
    for index, part in enumerate(parts):
        if index % 2:
            out.append(part.replace("\n", " ") if part.startswith("<") else part)
        else:
            out.append(_md_safe(part))
    return _md_line_start("".join(out).strip())


def _dropped_html(before: str, after: str) -> list[str]:
    """Tags and attributes the sanitiser removed (for the warning)."""
    from collections import Counter

    def counts(value: str) -> Counter:
        found: Counter = Counter(name.lower() for name in TAG_NAME_RE.findall(value))
        for tag in re.findall(r"<[^>]*>", value):
            found.update("@" + name.lower() for name in ATTRIBUTE_RE.findall(tag))
        return found

    missing = counts(before) - counts(after)
    return sorted(("<" + name + ">") if not name.startswith("@") else name[1:] for name in missing)


class _Text:
    """One text of a question with its format, turned into our Markdown (warnings collected)."""

    def __init__(self, warnings: list[str]):
        self.warnings = warnings

    @staticmethod
    def split_format(text: str, default: str) -> tuple[str, str]:
        """Moodle's parse_text_with_format: a leading `[html]` etc. (lowercase) names the format."""
        if text.startswith("["):
            end = text.find("]")
            name = text[1:end] if end > 0 else ""
            if name in ("moodle", "html", "plain", "markdown"):
                return name, text[end + 1:]
        return default, text

    def markdown(self, text: str, fmt: str, one_line: bool = False) -> str:
        """Protected GIFT text in ``fmt`` as Markdown for a stem, choice or feedback."""
        from lms.markdown_html import sanitise

        plain = _restore(text)
        if fmt == "markdown":
            if one_line and "\n" in plain:
                self.warnings.append(_("line breaks in %(text)r are joined into one line (choices and "
                                       "feedback are one line)", text=plain[:40]))
                return _one_line(plain)
            return plain
        if fmt == "moodle" and HTML_TAG_RE.search(plain):
            fmt, plain = "html", plain.replace("\n", "<br>\n")  # Moodle auto-format keeps HTML, breaks lines
        if fmt == "html":
            clean = sanitise(plain)
            dropped = _dropped_html(plain, clean)
            if dropped:
                self.warnings.append(_("HTML the lessons do not allow was removed: %(items)s",
                                       items=", ".join(dropped)))
            # the rel= the sanitiser adds to links comes back when the lesson renderer sanitises again
            return _safe_html(clean.replace(' rel="noopener noreferrer nofollow"', ""))
        return _md_line_start(_md_safe(html.escape(plain, quote=False)).replace("&#10;", "<br>"))

    def literal(self, text: str, fmt: str) -> str:
        """An accepted answer: compared as typed, so the format tag goes and HTML becomes text."""
        plain = _restore(text)
        return html_to_text(plain) if fmt == "html" else _one_line(plain)


def _comment(answer: str, fmt: str) -> tuple[str, str, str, str]:
    """Moodle's commentparser: text and feedback split at the first `#`, each with its format."""
    text, _sep, note = answer.partition("#")
    text_fmt, text = _Text.split_format(text.strip(), fmt)
    note_fmt, note = _Text.split_format(note.strip(), fmt)
    return text, text_fmt, note, note_fmt


def _weight(answer: str) -> tuple[float | None, str]:
    match = MOODLE_WEIGHT_RE.match(answer)
    if not match:
        return None, answer
    sign = -1 if match.group(1).startswith("-") else 1
    return sign * float(match.group(1).lstrip("-")) / 100, answer[match.end():]


def _split(answertext: str, separator: str) -> list[str]:
    """Moodle's explode on a separator, dropping an empty first piece."""
    parts = answertext.split(separator)
    if parts and not parts[0].strip():
        parts = parts[1:]
    return [part.strip() for part in parts]


def _credit(value: float) -> str:
    return f"[{_percent(value * 100)}%] "


def _decimal(value: float) -> str:
    from decimal import Decimal

    text = format(Decimal(repr(float(value))), "f")
    return text[:-2] if text.endswith(".0") else text


def _read_choices(answertext: str, fmt: str, texts: _Text) -> tuple[str, list[str]]:
    single = "=" in answertext  # Moodle: single choice when any answer is `=`
    answers = _split(answertext.replace("=", "~="), "~")
    if len(answers) < 2:
        raise GiftError(_("a choice question needs at least two answers"))
    lines: list[str] = []
    full_seen = False
    weights = []
    for answer in answers:
        if answer.startswith("="):
            weight, answer = 1.0, answer[1:]
            if MOODLE_WEIGHT_RE.match(answer.strip()):
                texts.warnings.append(_("`=%(text)s`: Moodle gives an `=` choice full credit and keeps the "
                                        "percentage as text; write `~%%50%%...` for partial credit",
                                        text=_restore(answer)[:30]))
        else:
            weight, answer = _weight(answer)
            weight = weight or 0.0
        text, text_fmt, note, note_fmt = _comment(answer, fmt)
        option = texts.markdown(text, text_fmt, one_line=True)
        if single:
            if weight < 0:
                texts.warnings.append(_("the negative credit of %(text)r is read as 0%%: a single choice never "
                                        "grades below 0", text=_restore(text)[:30]))
                weight = 0.0
            if weight == 1.0 and not full_seen:
                mark, full_seen = "[x] ", True
            else:
                mark = _credit(weight) if weight else "[ ] "
        else:
            mark = _credit(weight)
        weights.append(weight)
        lines.append(f"- {mark}{option}")
        if note:
            lines.append(f"  > {texts.markdown(note, note_fmt, one_line=True)}")
    return ("single" if single else "multiple"), lines


def _read_short(answertext: str, fmt: str, texts: _Text) -> list[str]:
    answers = _split(answertext, "=")
    if not answers:
        raise GiftError(_("a short-answer question needs at least one `=` answer"))
    lines = []
    for answer in answers:
        weight, answer = _weight(answer)
        text, text_fmt, note, note_fmt = _comment(answer, fmt)
        accepted = texts.literal(text, text_fmt)
        if not accepted:
            raise GiftError(_("an `=` answer is empty"))
        if "*" in accepted and accepted != "*":
            texts.warnings.append(_("Moodle reads `*` in %(text)r as \"any characters\"; Pembina compares it "
                                    "as typed (only an answer of just `*` matches anything)", text=accepted))
        lines.append("= " + (_credit(weight) if weight is not None and weight != 1.0 else "") + accepted)
        if note:
            lines.append(f"  > {texts.markdown(note, note_fmt, one_line=True)}")
    return lines


def _number_or_error(text: str) -> float:
    import math

    try:
        value = float(text.strip())
    except ValueError:
        raise GiftError(_("not a number: %(text)r (write `{#3.14:0.01}`)", text=_restore(text)[:40])) from None
    if not math.isfinite(value):
        raise GiftError(_("not a number: %(text)r (write `{#3.14:0.01}`)", text=_restore(text)[:40]))
    return value


def _read_numeric(answertext: str, fmt: str, texts: _Text) -> list[str]:
    answertext = answertext[1:]
    wrong = None
    if "~" in answertext:  # Moodle: everything after `~` is the feedback for any other number
        answertext, wrong = answertext[:answertext.index("~")], answertext[answertext.index("~"):]
    answers = _split(answertext, "=")
    if not answers:
        raise GiftError(_("a numeric question needs a number, such as `{#3.14:0.01}`"))
    lines = []
    for answer in answers:
        weight, answer = _weight(answer)
        text, _text_fmt, note, note_fmt = _comment(answer, fmt)
        text = _restore(text)
        if text == "*":
            shown = "*"
        else:
            if text.find("..") > 0:
                low, high = (_number_or_error(part) for part in text.split("..", 1))
                value, tolerance = (low + high) / 2, abs(high - (low + high) / 2)
            elif text.find(":") > 0:
                value_text, tolerance_text = text.split(":", 1)
                value, tolerance = _number_or_error(value_text), abs(_number_or_error(tolerance_text))
            else:
                value, tolerance = _number_or_error(text), 0.0
            shown = _decimal(value) + (f" ± {_decimal(tolerance)}" if tolerance else "")
        lines.append("= " + (_credit(weight) if weight is not None and weight != 1.0 else "") + shown)
        if note:
            lines.append(f"  > {texts.markdown(note, note_fmt, one_line=True)}")
    if wrong is not None:
        _text, _fmt, note, note_fmt = _comment(wrong[1:], fmt)
        lines.append("= [0%] *")
        if note:
            lines.append(f"  > {texts.markdown(note, note_fmt, one_line=True)}")
    return lines


def _read_matching(answertext: str, fmt: str, texts: _Text) -> list[str]:
    answers = _split(answertext, "=")
    if len(answers) < 2:
        raise GiftError(_("a matching question needs at least two `=left -> right` pairs"))
    lines = []
    for answer in answers:
        if "->" not in answer:
            raise GiftError(_("a matching question has only `=left -> right` answers"))
        left, right = answer.split("->", 1)
        left_fmt, left = _Text.split_format(left.strip(), fmt)
        left_md = texts.markdown(left, left_fmt, one_line=True) if _restore(left) else ""
        # Moodle keeps the right side as typed: plain text, except in a [markdown] question (ours)
        right_md = texts.markdown(right, "markdown" if fmt == "markdown" else "plain", one_line=True)
        lines.append(f"- {left_md} -> {right_md}" if left_md else f"- -> {right_md}")
    return lines


def _read_truefalse(answertext: str, fmt: str, texts: _Text) -> list[str]:
    bits = answertext.split("#", 2)
    answer = bits[0].strip() in ("T", "TRUE")
    wrong = _Text.split_format(bits[1].strip(), fmt) if len(bits) > 1 else (fmt, "")
    right = _Text.split_format(bits[2].strip(), fmt) if len(bits) > 2 else (fmt, "")
    lines = ["= benar" if answer else "= salah"]
    if _restore(right[1]):
        lines.append(f"  > {texts.markdown(right[1], right[0], one_line=True)}")
    if _restore(wrong[1]):
        lines.append("= [0%] " + ("salah" if answer else "benar"))
        lines.append(f"  > {texts.markdown(wrong[1], wrong[0], one_line=True)}")
    return lines


def _read_question(protected: str, texts: _Text) -> tuple[str, str, str, list[str], str]:
    """(name, type, stem Markdown, answer lines, general feedback Markdown) of one question."""
    text = protected
    name = ""
    if text.startswith("::"):
        text = text[2:]
        end = text.find("::")
        if end < 0:
            texts.warnings.append(_("the name is not closed with `::`: Moodle reads it as question text"))
        else:
            name, text = _restore(text[:end]), text[end + 2:].strip()
    opening, closing = text.find("{"), text.find("}")
    if opening < 0 and closing < 0:
        raise Skip(_("a description (text without answers) has no place in a Pembina quiz; put it in a lesson"))
    if opening < 0 or closing < opening:
        raise GiftError(_("the answer braces `{` and `}` do not match (write `\\{` and `\\}` for braces in text)"))
    answertext = text[opening + 1:closing].strip()
    stem = text[:opening] + ("" if text.endswith("}") else BLANK) + text[closing + 1:]
    general = ""
    if "####" in answertext:
        cut = answertext.rindex("####")
        answertext, general = answertext[:cut].strip(), answertext[cut + 4:]
    fmt, stem = _Text.split_format(stem, "moodle")
    general_fmt, general = _Text.split_format(general.strip(), fmt)
    if answertext == "":
        if "essay" not in (question_types() or {}):
            raise Skip(_("essay questions need manual grading, which is off here (the grading plugin)"))
        texts.warnings.append(_("an essay: imported with one holistic criterion (0 or 1 point); add a rubric "
                                "(`- criterion` with `  - N: level` lines) before publishing"))
        return name, "essay", texts.markdown(stem, fmt), list(HOLISTIC_RUBRIC), texts.markdown(
            general, general_fmt) if _restore(general) else ""
    if answertext.startswith("#"):
        qtype, lines = "numeric", _read_numeric(answertext, fmt, texts)
    elif "~" in answertext:
        qtype, lines = _read_choices(answertext, fmt, texts)
    elif "=" in answertext and "->" in answertext:
        qtype, lines = "matching", _read_matching(answertext, fmt, texts)
    else:
        check = answertext[:answertext.index("#")].strip() if answertext.find("#") > 0 else answertext
        if check in TF_WORDS:
            qtype, lines = "truefalse", _read_truefalse(answertext, fmt, texts)
        else:
            if check.upper() in TF_WORDS:
                texts.warnings.append(_("`{%(text)s}` is a short answer %(text)r, as Moodle reads it; write "
                                        "`{TRUE}` or `{FALSE}` (capitals) for a true/false question", text=check))
            qtype, lines = "short", _read_short(answertext, fmt, texts)
    return name, qtype, texts.markdown(stem, fmt), lines, texts.markdown(general, general_fmt) if _restore(
        general) else ""


def parse_gift(text: str, filename: str) -> tuple[list[GiftQuestion], list[str], list[str]]:
    """Read GIFT text as Moodle does. Returns the questions, the problems (questions Moodle
    would refuse: nothing may be written) and the warnings (questions skipped, anything
    dropped), each as ``FILE:line: message``."""
    from lms.plugins.courses.quizparse import parse_quiz_block

    questions: list[GiftQuestion] = []
    problems: list[str] = []
    warnings: list[str] = []
    used: set[str] = set()
    number = 0
    types = question_types()
    for numbers, chunk in _chunks(text):
        line = numbers[0]
        protected = _protect(chunk)
        if protected.startswith("$CATEGORY:"):
            warnings.append(f"{filename}:{line}: " + _("category %(name)r ignored: Pembina files questions by "
                                                       "module", name=_restore(protected[10:])))
            continue
        number += 1  # unnamed questions are called gift-<number>
        texts = _Text([])
        try:
            name, qtype, stem, lines, general = _read_question(protected, texts)
        except Skip as skip:
            warnings.append(f"{filename}:{line}: " + _("skipped: %(reason)s", reason=str(skip)))
            continue
        except GiftError as error:
            problems.append(f"{filename}:{line}: {error}")
            continue
        warnings.extend(f"{filename}:{line}: {warning}" for warning in texts.warnings)
        if not stem.strip():
            problems.append(f"{filename}:{line}: " + _("the question has no text"))
            continue
        question = GiftQuestion(id=_make_id(name, number, used), type=qtype, text=stem.strip(), line=line,
                                answers=lines, feedback=general.strip())
        block = to_markdown(question)
        content = block.split("\n", 1)[1].rsplit("```", 1)[0].rstrip("\n")
        parsed, block_problems = parse_quiz_block(content, 1, types)
        if block_problems:
            problems.extend(f"{filename}:{line}: {p.message}" for p in block_problems)
            continue
        if parsed.type != qtype or parsed.text != question.text:
            problems.append(f"{filename}:{line}: " + _("the question text cannot be written as a quiz block "
                                                       "(a line of it reads as an answer)"))
            continue
        question.parsed = parsed
        questions.append(question)
    if not questions and not problems and not warnings:
        problems.append(f"{filename}:1: " + _("no GIFT questions found"))
    return questions, problems, warnings


def _one_line(text: str) -> str:
    return " ".join(text.split())


def to_markdown(question: GiftQuestion) -> str:
    """One ``quiz`` block in our authoring syntax."""
    parts = [f"id: {question.id}\ntype: {question.type}", question.text, "\n".join(question.answers)]
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

"""Question types: each owns its answer-key parsing, its presentation and form widget,
reading a learner's response, grading (full and partial credit) and feedback.

The eight built-in types are the ones the Markdown format knows (docs/authoring.md); the marc and
grading plugins add `marc` and `essay` the same way.
The quizzes plugin registers them through the ``lms_question_types`` hook; another plugin
can add its own type the same way. The registry lives on the app
(``app.extensions["lms.question_types"]``), never in a module global.

Every method is a classmethod over plain data: ``data`` is the stored answer key,
``layout`` the per-attempt arrangement (fixed when the attempt starts, so a reload shows
the same order), ``response`` what the learner answered. ``present`` returns only what a
page may show - never the key.
"""
from __future__ import annotations

import math
import random
import re
from typing import Any, ClassVar

from babel.numbers import get_decimal_symbol
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import escape

MAX_TEXT = 500
MAX_NUMBER = 1e12
TRUE_WORDS = {"benar", "true", "betul", "ya"}
FALSE_WORDS = {"salah", "false", "tidak"}
NUMERIC_RE = re.compile(r"^(-?\d+(?:[.,]\d+)?)\s*(?:(?:±|\+-|\+/-)\s*(\d+(?:[.,]\d+)?))?$")


class ResponseError(ValueError):
    """A response that cannot be read (unknown option, not a number...)."""


class QuestionType:
    """Base class. Subclasses set ``name``, ``label`` and ``widget`` and override the rest."""

    name: ClassVar[str] = ""
    label: ClassVar[Any] = ""
    widget: ClassVar[str] = ""  # Jinja template of the form control
    # Graded by a person (essays): ``grade`` returns None for an answer awaiting its grader,
    # and ``grade_attempt`` keeps the credit the grader wrote. An attempt with such an
    # answer has no percent (it is "awaiting grading") until the last one is graded.
    manual: ClassVar[bool] = False
    review_template: ClassVar[str] = ""  # extra Jinja template on the result page, if any

    # -- authoring -------------------------------------------------------------------
    kind: ClassVar[str] = ""  # the answer lines it reads: choices, answers, pairs or order
    requirement: ClassVar[Any] = ""  # what a block of this type must hold, for the error message (lazy text)

    @classmethod
    def parse(cls, block) -> tuple[dict, list[tuple[int, str]]]:
        """Build the answer key from a quiz block (``lms.plugins.courses.quizparse.QuizBlock``)
        whose answer lines of ``kind`` are present; return (data, [(line, problem)])."""
        raise NotImplementedError

    @classmethod
    def render(cls, data: dict, inline) -> dict:
        """The stored key with texts rendered by ``inline`` (safe HTML). Default: unchanged."""
        return dict(data)

    # -- taking a quiz ---------------------------------------------------------------
    @classmethod
    def layout(cls, data: dict, rng: random.Random, shuffle: bool) -> dict:
        return {}

    @classmethod
    def present(cls, data: dict, layout: dict) -> dict:
        """What the page shows: no correct flags, no accepted answers, no order key."""
        return {}

    @classmethod
    def read(cls, values: list[str], data: dict, layout: dict, field: str, form) -> dict | None:
        """Read the response from the submitted form (``values`` = form.getlist(field)).
        Return None for "not answered"; raise ResponseError for impossible input."""
        raise NotImplementedError

    @classmethod
    def grade(cls, data: dict, response: dict | None) -> float:
        """Credit between 0 and 1."""
        raise NotImplementedError

    @classmethod
    def feedback(cls, data: dict, response: dict | None) -> list[str]:
        """Feedback HTML for this response (per-option feedback and the like)."""
        return []

    @classmethod
    def answer_html(cls, data: dict) -> str:
        """The correct answer, for showing after the attempt when the quiz allows it."""
        return ""

    @classmethod
    def form_values(cls, response: dict | None, layout: dict, field: str) -> dict[str, list[str]]:
        """The form fields that ``read`` would turn into ``response`` (field name -> values):
        what the widget shows for a saved answer. The same shape as a posted form, so a
        refused submit shows exactly what was posted and a reload what was saved."""
        return {}

    @classmethod
    def response_html(cls, data: dict, response: dict | None) -> str:
        """The learner's own answer as safe HTML, for the result page. Shows only what the
        learner gave, nothing of the key. Default: a text response, escaped."""
        if not response or not isinstance(response.get("text"), str):
            return ""
        return str(escape(response["text"]))

    @classmethod
    def review_extra(cls, answer) -> dict:
        """More for the result page's ``review_template`` about one stored answer (a
        ``QuizAnswer`` or None): a grader's levels and feedback. Default: nothing."""
        return {}

    # -- demo and benchmark data -----------------------------------------------------
    @classmethod
    def example_response(cls, data: dict, rng: random.Random, quality: float) -> dict | None:
        """A plausible response for generated data (``lms demo``, the benchmark), in exactly
        the shape ``read`` returns. ``quality`` 1 is the right answer (``grade`` gives 1);
        below 1 a response worth less - partly right where the type gives partial credit
        and ``quality`` is above 0, else wrong. ``rng`` draws the variant, so a seed
        repeats it. Optional: the default None leaves the question blank."""
        return None


def option_credit(option: dict) -> float:
    """A choice's credit: written (`[50%]`), else 1 for [x] and 0 for [ ]."""
    return option["credit"] if "credit" in option else (1.0 if option["correct"] else 0.0)


def _classic(credits: list[float]) -> bool:
    """Credits that are exactly the classic multiple-answers rule (right +1/right, wrong -1/wrong)."""
    right = [c for c in credits if c > 0]
    wrong = [c for c in credits if c <= 0]
    return (bool(right) and all(abs(c - 1 / len(right)) < 1e-6 for c in right)
            and all(abs(c + 1 / len(wrong)) < 1e-6 for c in wrong))


def _indices(values: list[str], size: int) -> list[int]:
    found = []
    for value in values:
        if not value.isdigit() or int(value) >= size:
            raise ResponseError(str(_l("Unknown choice.")))
        found.append(int(value))
    return found


def _permutation(rng: random.Random, size: int, shuffle: bool) -> list[int]:
    order = list(range(size))
    if shuffle:
        rng.shuffle(order)
    return order


class SingleChoice(QuestionType):
    name, label, widget = "single", _l("Single choice"), "quizzes/widgets/choices.html"
    kind, requirement = "choices", _l("`- [ ]` / `- [x]` choices")

    @classmethod
    def parse(cls, block):
        options = block.options
        problems = []
        if len(options) < 2:
            problems.append((options[0]["line"], _("a choice question needs at least two choices")))
        for option in options:
            if not option["text"]:
                problems.append((option["line"], _("a choice has no text")))
            credit = option.get("credit")
            if credit is not None and not -1 <= credit <= 1:
                problems.append((option["line"], _("a credit is between -100% and 100%")))
            elif credit is not None and credit < 0 and cls.name == "single":
                problems.append((option["line"], _("a negative credit is for multiple-answers questions "
                                                   "(`type: multiple`); a single choice never grades below 0")))
        texts = [o["text"].lower() for o in options]
        for option in options:
            if texts.count(option["text"].lower()) > 1:
                problems.append((option["line"], _("the choice %(text)r appears twice", text=option["text"])))
                break
        data, more = cls._parse_single(block, options) if cls.name == "single" else cls._parse_multiple(block, options)
        return ({}, problems + more) if problems else (data, more)

    @classmethod
    def _parse_single(cls, block, options):
        """One [x]; other choices may earn partial credit (`[50%]`, or `[100%]` for a second full answer)."""
        correct = sum(1 for o in options if o["correct"])
        if correct == 0:
            return {}, [(block.line, _("no correct answer: mark at least one choice with [x]"))]
        if correct > 1:
            return {}, [(block.line, _("type single has one correct choice; remove an [x] or use type multiple"))]
        out = []
        for o in options:
            item = {"text": o["text"], "correct": o["correct"], "feedback": o["feedback"]}
            if o.get("credit"):  # [0%] is the same as [ ]
                item["credit"] = o["credit"]
            out.append(item)
        return {"options": out}, []

    @classmethod
    def _parse_multiple(cls, block, options):
        """Without credits: right choices add, wrong ones subtract (the classic rule). With credits
        (`[50%]`, `[-100%]`; [x] = 100%, [ ] = 0%) each choice adds its credit, as in Moodle, and
        the positive credits must add up to 100%."""
        if not any(o.get("credit") is not None for o in options):
            if not any(o["correct"] for o in options):
                return {}, [(block.line, _("no correct answer: mark at least one choice with [x]"))]
            return {"options": [{"text": o["text"], "correct": o["correct"], "feedback": o["feedback"]}
                                for o in options]}, []
        credits = [o["credit"] if o.get("credit") is not None else (1.0 if o["correct"] else 0.0) for o in options]
        total = sum(c for c in credits if c > 0)
        if abs(total - 1) > 0.005:
            shown = "%g" % (total * 100)
            return {}, [(block.line, _("the positive credits of a multiple-answers question add up to 100%% "
                                       "(here %(total)s%%)", total=shown))]
        if _classic(credits):
            return {"options": [{"text": o["text"], "correct": c > 0, "feedback": o["feedback"]}
                                for o, c in zip(options, credits)]}, []
        return {"options": [{"text": o["text"], "correct": c > 0, "feedback": o["feedback"], "credit": c}
                            for o, c in zip(options, credits)]}, []

    @classmethod
    def render(cls, data, inline):
        return {"options": [{"html": inline(o["text"]), "correct": o["correct"],
                             "feedback_html": inline(o["feedback"]) if o["feedback"] else "",
                             **({"credit": o["credit"]} if "credit" in o else {})}
                            for o in data["options"]]}

    @classmethod
    def layout(cls, data, rng, shuffle):
        return {"order": _permutation(rng, len(data["options"]), shuffle)}

    @classmethod
    def present(cls, data, layout):
        return {"multiple": cls.name == "multiple",
                "options": [{"value": str(shown), "html": data["options"][index]["html"]}
                            for shown, index in enumerate(layout["order"])]}

    @classmethod
    def read(cls, values, data, layout, field, form):
        values = [v for v in values if v != ""]
        if not values:
            return None
        shown = _indices(values, len(layout["order"]))
        if cls.name == "single" and len(shown) > 1:
            raise ResponseError(str(_l("Choose one answer only.")))
        chosen = sorted({layout["order"][index] for index in shown})
        return {"choice": chosen[0]} if cls.name == "single" else {"choices": chosen}

    @classmethod
    def _chosen(cls, response) -> list[int]:
        if not response:
            return []
        return [response["choice"]] if "choice" in response else list(response.get("choices", []))

    @classmethod
    def grade(cls, data, response):
        options = data["options"]
        chosen = cls._chosen(response)
        if cls.name == "single" or any("credit" in o for o in options):
            # single choice: the chosen choice's credit; weighted multiple answers: the sum of them
            return max(0.0, min(1.0, sum(option_credit(options[i]) for i in chosen)))
        right = sum(1 for o in options if o["correct"])
        wrong = len(options) - right
        score = sum(1 for i in chosen if options[i]["correct"]) / right
        if wrong:
            score -= sum(1 for i in chosen if not options[i]["correct"]) / wrong
        return max(0.0, min(1.0, score))

    @classmethod
    def feedback(cls, data, response):
        return [data["options"][i]["feedback_html"] for i in cls._chosen(response)
                if data["options"][i].get("feedback_html")]

    @classmethod
    def answer_html(cls, data):
        return "; ".join(o["html"] for o in data["options"] if o["correct"])

    @classmethod
    def form_values(cls, response, layout, field):
        chosen = cls._chosen(response)
        return {field: [str(shown) for shown, index in enumerate(layout["order"]) if index in chosen]} if chosen else {}

    @classmethod
    def response_html(cls, data, response):
        return "; ".join(data["options"][i]["html"] for i in cls._chosen(response) if i < len(data["options"]))

    @classmethod
    def example_response(cls, data, rng, quality):
        options = data["options"]
        right = [i for i, option in enumerate(options) if option["correct"]]
        wrong = [i for i, option in enumerate(options) if not option["correct"]]
        if cls.name == "single":
            return {"choice": right[0] if quality >= 1 or not wrong else rng.choice(wrong)}
        if quality >= 1:
            return {"choices": right}
        if quality <= 0 and wrong:
            return {"choices": wrong}
        flipped = rng.randrange(len(options))  # one choice more or one less: partly right
        return {"choices": sorted(set(right) ^ {flipped}) or [flipped]}


class MultipleAnswers(SingleChoice):
    """Several right choices; partial credit: right choices add, wrong ones subtract, never below 0."""

    name, label = "multiple", _l("Multiple answers")


class TrueFalse(QuestionType):
    """`= benar` or `= salah`; feedback under it is shown to a learner who answers right, and an
    optional `= [0%]` line with the other word carries the feedback for a wrong answer."""

    name, label, widget = "truefalse", _l("True or false"), "quizzes/widgets/truefalse.html"
    kind, requirement = "answers", _l("one line `= benar` or `= salah`")

    @classmethod
    def parse(cls, block):
        answers, notes = block.answers, block.answer_notes or [{"credit": None, "feedback": ""}] * len(block.answers)
        words = [text.lower() for text, _line in answers]
        full = [i for i, note in enumerate(notes) if note["credit"] in (None, 1.0)]
        other = [i for i, note in enumerate(notes) if note["credit"] == 0.0]
        known = TRUE_WORDS | FALSE_WORDS
        if (len(full) != 1 or len(full) + len(other) != len(answers) or len(other) > 1
                or any(word not in known for word in words)
                or (other and (words[other[0]] in TRUE_WORDS) == (words[full[0]] in TRUE_WORDS))):
            return {}, [(answers[0][1], _("a truefalse question needs exactly one `= benar` or `= salah` (and "
                                          "optionally `= [0%] salah` / `= [0%] benar` for the wrong answer's "
                                          "feedback)"))]
        data = {"answer": words[full[0]] in TRUE_WORDS}
        if notes[full[0]]["feedback"]:
            data["feedback_right"] = notes[full[0]]["feedback"]
        if other and notes[other[0]]["feedback"]:
            data["feedback_wrong"] = notes[other[0]]["feedback"]
        return data, []

    @classmethod
    def render(cls, data, inline):
        out = {"answer": data["answer"]}
        for key in ("feedback_right", "feedback_wrong"):
            if data.get(key):
                out[key] = data[key]
                out[key + "_html"] = inline(data[key])
        return out

    @classmethod
    def present(cls, data, layout):
        return {}

    @classmethod
    def read(cls, values, data, layout, field, form):
        value = values[0] if values else ""
        if value == "":
            return None
        if value not in ("true", "false"):
            raise ResponseError(str(_l("Answer true or false.")))
        return {"value": value == "true"}

    @classmethod
    def grade(cls, data, response):
        return 1.0 if response is not None and response.get("value") == data["answer"] else 0.0

    @classmethod
    def feedback(cls, data, response):
        if response is None:
            return []
        key = "feedback_right_html" if cls.grade(data, response) else "feedback_wrong_html"
        return [data[key]] if data.get(key) else []

    @classmethod
    def answer_html(cls, data):
        return str(_l("True")) if data["answer"] else str(_l("False"))

    @classmethod
    def form_values(cls, response, layout, field):
        return {field: ["true" if response["value"] else "false"]} if response else {}

    @classmethod
    def response_html(cls, data, response):
        return "" if not response else (str(_l("True")) if response["value"] else str(_l("False")))

    @classmethod
    def example_response(cls, data, rng, quality):
        return {"value": bool(data["answer"]) if quality >= 1 else not data["answer"]}


def normalise_text(text: str) -> str:
    """Case- and space-insensitive form of a short answer."""
    return " ".join(text.casefold().split())


def _notes(block) -> list[dict]:
    return block.answer_notes or [{"credit": None, "feedback": ""} for _answer in block.answers]


def _answer_credits(block, notes) -> list[tuple[int, str]]:
    """Credits of `=` lines are between 0% and 100%, and one line earns 100%."""
    problems = [(line, _("the credit of an answer is between 0% and 100%"))
                for (_text, line), note in zip(block.answers, notes)
                if note["credit"] is not None and not 0 <= note["credit"] <= 1]
    if not problems and not any(note["credit"] in (None, 1.0) for note in notes):
        problems.append((block.line, _("one answer must earn 100% (an `=` line without a credit)")))
    return problems


class ShortAnswer(QuestionType):
    """Accepted answers in order; the first that matches gives its credit (`= [50%] Katalog`) and
    its feedback. An answer of just `*` matches anything (Moodle's catch-all)."""

    name, label, widget = "short", _l("Short answer"), "quizzes/widgets/short.html"
    kind, requirement = "answers", _l("`= answer` lines")

    @classmethod
    def parse(cls, block):
        notes = _notes(block)
        problems = [(line, _("an `=` line has no answer")) for text, line in block.answers if not text]
        problems += _answer_credits(block, notes)
        data: dict[str, Any] = {"accepted": [text for text, _line in block.answers]}
        credits = [1.0 if note["credit"] is None else note["credit"] for note in notes]
        if any(credit != 1.0 for credit in credits):
            data["credits"] = credits
        if any(note["feedback"] for note in notes):
            data["feedback"] = [note["feedback"] for note in notes]
        return data, problems

    @classmethod
    def render(cls, data, inline):
        out = dict(data)
        if data.get("feedback"):
            out["feedback_html"] = [inline(note) if note else "" for note in data["feedback"]]
        return out

    @classmethod
    def read(cls, values, data, layout, field, form):
        text = (values[0] if values else "").strip()
        if not text:
            return None
        if len(text) > MAX_TEXT:
            raise ResponseError(str(_l("The answer is too long.")))
        return {"text": text}

    @classmethod
    def _match(cls, data, response) -> int | None:
        """The index of the first accepted answer the response matches."""
        if not response:
            return None
        given = normalise_text(response["text"])
        for index, accepted in enumerate(data["accepted"]):
            if accepted.strip() == "*" or normalise_text(accepted) == given:
                return index
        return None

    @classmethod
    def grade(cls, data, response):
        index = cls._match(data, response)
        if index is None:
            return 0.0
        return data["credits"][index] if "credits" in data else 1.0

    @classmethod
    def feedback(cls, data, response):
        index = cls._match(data, response)
        notes = data.get("feedback_html") or []
        return [notes[index]] if index is not None and index < len(notes) and notes[index] else []

    @classmethod
    def form_values(cls, response, layout, field):
        return {field: [response["text"]]} if response else {}

    @classmethod
    def answer_html(cls, data):
        credits = data.get("credits") or [1.0] * len(data["accepted"])
        return " / ".join(str(escape(a)) for a, credit in zip(data["accepted"], credits)
                          if credit == 1.0 and a.strip() != "*")

    WRONG_EXAMPLES: ClassVar[tuple[str, ...]] = ("tidak tahu", "belum pernah dengar")

    @classmethod
    def example_response(cls, data, rng, quality):
        accepted = data["accepted"]
        credits = data.get("credits") or [1.0] * len(accepted)
        usable = [(text, credit) for text, credit in zip(accepted, credits) if text.strip() != "*"]
        if quality >= 1:
            return {"text": next(text for text, credit in usable if credit == 1.0).strip()}
        partly = [text for text, credit in usable if 0 < credit < 1]
        if quality > 0 and partly:
            return {"text": rng.choice(partly).strip()}
        return {"text": cls._wrong_text(data, rng)}

    @classmethod
    def _wrong_text(cls, data, rng) -> str:
        return rng.choice(cls.WRONG_EXAMPLES)


CLASS_SIGNS = ":+=()\"[]<>"  # UDC signs: kept as written, spaces around them ignored
CLASS_SEGMENT_MARKS = "'/\u2032\u2019"  # DDC segmentation marks: prime (', ′, ’) and slash
_CLASS_DECIMAL_RE = re.compile(r"(?<=\d),(?=\d)")
_CLASS_AROUND_RE = re.compile(r"\s*([" + re.escape(CLASS_SIGNS + ".") + r"])\s*")


def normalise_class_number(text: str) -> str:
    """A class number as text (DDC, UDC): "959,8" = "959.8" = " 959'8 " = "959/8", but
    "959.80" != "959.8" and "020" != "20" - digits are never read as a number.

    Normalised: surrounding and repeated spaces; a comma between digits read as the decimal
    point; the segmentation marks ``'`` (and the primes ′ ’) and ``/`` removed; spaces
    around the point and the UDC signs ``: + = ( ) " [ ] < >`` removed (the signs kept);
    letters compared without case. Nothing else: every digit, zero and sign counts."""
    value = _CLASS_DECIMAL_RE.sub(".", " ".join(text.split()))
    value = "".join(ch for ch in value if ch not in CLASS_SEGMENT_MARKS)
    value = _CLASS_AROUND_RE.sub(r"\1", value)
    return " ".join(value.split()).casefold()


class ClassNumber(ShortAnswer):
    """A class number (DDC, UDC): accepted answers like a short answer's (credits,
    feedback, `*`), compared as class numbers (:func:`normalise_class_number`)."""

    name, label, widget = "classnumber", _l("Class number"), "quizzes/widgets/short.html"
    requirement = _l("`= 959.8` lines (class numbers)")

    @classmethod
    def _match(cls, data, response):
        if not response:
            return None
        given = normalise_class_number(response["text"])
        for index, accepted in enumerate(data["accepted"]):
            if accepted.strip() == "*" or normalise_class_number(accepted) == given:
                return index
        return None

    @classmethod
    def _wrong_text(cls, data, rng):
        """The right number with one digit changed (a near miss, as learners make them)."""
        text = next(a for a in data["accepted"] if a.strip() != "*").strip()
        taken = {normalise_class_number(a) for a in data["accepted"]}
        digits = [i for i, ch in enumerate(text) if ch.isdigit()]
        rng.shuffle(digits)
        for index in digits:
            for step in (1, 2, 3):
                guess = text[:index] + str((int(text[index]) + step) % 10) + text[index + 1:]
                if normalise_class_number(guess) not in taken:
                    return guess
        return rng.choice(cls.WRONG_EXAMPLES)


def plain_number(value: float) -> str:
    """A number as a learner would type it back: no grouping (``parse_number`` would read
    "1.000" as one), the locale's decimal sign (3,5 in Indonesian), never an exponent."""
    text = format(value, "f").rstrip("0").rstrip(".") if value != int(value) else str(int(value))
    return text.replace(".", get_decimal_symbol(get_locale() or "id"))


def parse_number(text: str) -> float | None:
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


class Numeric(QuestionType):
    """`= 3.5 ± 0.1`. Several `=` lines (with credits such as `= [50%] 3.5 ± 1` and feedback, and
    `= [0%] *` for any other number) are tried in order, as Moodle does."""

    name, label, widget = "numeric", _l("Number"), "quizzes/widgets/numeric.html"
    kind, requirement = "answers", _l("a line like `= 245` or `= 3.5 ± 0.1`")

    @classmethod
    def parse(cls, block):
        notes = _notes(block)
        header_tolerance = None
        if "tolerance" in block.header:
            header_tolerance = parse_number(block.header["tolerance"][0])
            if header_tolerance is None or header_tolerance < 0:
                return {}, [(block.header["tolerance"][1], _("tolerance must be a number of 0 or more"))]
        answers = []
        for (text, line), note in zip(block.answers, notes):
            if text == "*":
                answers.append({"value": None, "tolerance": 0.0})
                continue
            match = NUMERIC_RE.match(text)
            if not match:
                return {}, [(line, _("not a number: %(text)r (write `= 3.5` or `= 3.5 ± 0.1`)", text=text))]
            tolerance = parse_number(match.group(2)) if match.group(2) else 0.0
            if header_tolerance is not None:
                tolerance = header_tolerance
            answers.append({"value": parse_number(match.group(1)), "tolerance": tolerance})
        problems = _answer_credits(block, notes)
        if problems:
            return {}, problems
        credits = [1.0 if note["credit"] is None else note["credit"] for note in notes]
        best = next(i for i, credit in enumerate(credits) if credit == 1.0)
        if answers[best]["value"] is None:
            return {}, [(block.answers[best][1], _("the answer that earns 100% is a number, not `*`"))]
        data: dict[str, Any] = dict(answers[best])
        if len(answers) > 1 or any(note["feedback"] for note in notes):
            data["answers"] = [{**answer, "credit": credit, "feedback": note["feedback"]}
                               for answer, credit, note in zip(answers, credits, notes)]
        return data, []

    @classmethod
    def render(cls, data, inline):
        out = dict(data)
        if "answers" in data:
            out["answers"] = [{**answer, "feedback_html": inline(answer["feedback"]) if answer["feedback"] else ""}
                              for answer in data["answers"]]
        return out

    @classmethod
    def read(cls, values, data, layout, field, form):
        text = (values[0] if values else "").strip()
        if not text:
            return None
        value = parse_number(text) if len(text) <= 40 else None
        if value is None:
            raise ResponseError(str(_l("Write a number, for example 12 or 3,5.")))
        if abs(value) > MAX_NUMBER:
            raise ResponseError(str(_l("The number is too large.")))
        return {"value": value}

    @staticmethod
    def _within(answer: dict, value: float) -> bool:
        return answer["value"] is None or abs(value - answer["value"]) <= answer["tolerance"] + 1e-9

    @classmethod
    def _match(cls, data, response) -> dict | None:
        if not response:
            return None
        for answer in data.get("answers") or [data]:
            if cls._within(answer, response["value"]):
                return answer
        return None

    @classmethod
    def grade(cls, data, response):
        answer = cls._match(data, response)
        return 0.0 if answer is None else answer.get("credit", 1.0)

    @classmethod
    def feedback(cls, data, response):
        answer = cls._match(data, response)
        return [answer["feedback_html"]] if answer is not None and answer.get("feedback_html") else []

    @classmethod
    def answer_html(cls, data):
        value = plain_number(data["value"])
        return value + (f" ± {plain_number(data['tolerance'])}" if data["tolerance"] else "")

    @classmethod
    def form_values(cls, response, layout, field):
        return {field: [plain_number(response["value"])]} if response else {}

    @classmethod
    def response_html(cls, data, response):
        return plain_number(response["value"]) if response else ""

    @classmethod
    def example_response(cls, data, rng, quality):
        if quality >= 1:
            return {"value": data["value"]}
        partly = [a for a in data.get("answers", []) if a["value"] is not None and 0 < a["credit"] < 1]
        if quality > 0 and partly:
            return {"value": rng.choice(partly)["value"]}
        values = [a["value"] for a in data.get("answers") or [data] if a["value"] is not None]
        step = 10 * max([a["tolerance"] for a in data.get("answers") or [data]]) + 1
        for k in (1, -2, 7, 50):
            guess = round(data["value"] + step * k * rng.choice((1, 3)), 6)  # 6 decimals: as a form reads it back
            if all(abs(guess - value) > step / 2 for value in values) and cls.grade(data, {"value": guess}) == 0:
                return {"value": guess}
        return {"value": round(data["value"] + 10 * step + 1000, 6)}


class Matching(QuestionType):
    """Each left item gets one right item; credit is the share matched correctly."""

    name, label, widget = "matching", _l("Matching"), "quizzes/widgets/matching.html"
    kind, requirement = "pairs", _l("`left -> right` pairs")

    @classmethod
    def parse(cls, block):
        problems = []
        first = block.pairs[0][2]
        real = [(left, right) for left, right, _line in block.pairs if left]
        if len(real) < 2:
            problems.append((first, _("a matching question needs at least two pairs")))
        for _left, right, line in block.pairs:
            if not right:
                problems.append((line, _("a pair has nothing after the arrow")))
        lefts = [left.lower() for left, _right in real]
        if len(set(lefts)) != len(lefts):
            problems.append((first, _("the same left item appears twice")))
        return {"pairs": [[left, right] for left, right in real],
                "distractors": [right for left, right, _line in block.pairs if not left]}, problems

    @classmethod
    def render(cls, data, inline):
        return {"pairs": [[inline(left), inline(right)] for left, right in data["pairs"]],
                "distractors": [inline(item) for item in data["distractors"]]}

    @classmethod
    def _rights(cls, data) -> list[str]:
        return [right for _left, right in data["pairs"]] + list(data["distractors"])

    @classmethod
    def layout(cls, data, rng, shuffle):
        return {"lefts": _permutation(rng, len(data["pairs"]), shuffle),
                "rights": _permutation(rng, len(cls._rights(data)), True)}

    @classmethod
    def present(cls, data, layout):
        rights = cls._rights(data)
        return {"lefts": [{"value": str(shown), "html": data["pairs"][index][0]}
                          for shown, index in enumerate(layout["lefts"])],
                "rights": [{"value": str(shown), "html": rights[index]}
                           for shown, index in enumerate(layout["rights"])]}

    @classmethod
    def read(cls, values, data, layout, field, form):
        matches = {}
        for shown_left, left in enumerate(layout["lefts"]):
            value = form.get(f"{field}-{shown_left}", "")
            if value == "":
                continue
            (shown_right,) = _indices([value], len(layout["rights"]))
            matches[str(left)] = layout["rights"][shown_right]
        return {"matches": matches} if matches else None

    @classmethod
    def grade(cls, data, response):
        if not response:
            return 0.0
        matches = response["matches"]
        right = sum(1 for index in range(len(data["pairs"])) if matches.get(str(index)) == index)
        return right / len(data["pairs"])

    @classmethod
    def answer_html(cls, data):
        return "; ".join(f"{left} → {right}" for left, right in data["pairs"])

    @classmethod
    def form_values(cls, response, layout, field):
        if not response:
            return {}
        matches = response["matches"]
        return {f"{field}-{shown}": [str(layout["rights"].index(matches[str(left)]))]
                for shown, left in enumerate(layout["lefts"])
                if str(left) in matches and matches[str(left)] in layout["rights"]}

    @classmethod
    def response_html(cls, data, response):
        if not response:
            return ""
        rights = cls._rights(data)
        return "; ".join(f"{left} → {rights[response['matches'][str(index)]]}"
                         for index, (left, _right) in enumerate(data["pairs"])
                         if str(index) in response["matches"] and response["matches"][str(index)] < len(rights))

    @classmethod
    def example_response(cls, data, rng, quality):
        count = len(data["pairs"])
        matches = {str(i): i for i in range(count)}
        if quality >= 1:
            return {"matches": matches}
        if quality <= 0:  # every item one place on: none right
            return {"matches": {str(i): (i + 1) % count for i in range(count)}}
        a, b = rng.sample(range(count), 2)
        matches[str(a)], matches[str(b)] = b, a
        distractors = len(data.get("distractors", []))
        if distractors and rng.random() < 0.5:
            matches[str(a)] = count + rng.randrange(distractors)
        return {"matches": matches}


class Ordering(QuestionType):
    """Put items in order; credit is the share of items in their right place."""

    name, label, widget = "ordering", _l("Ordering"), "quizzes/widgets/ordering.html"
    kind, requirement = "order", _l("a numbered list in the right order")

    @classmethod
    def parse(cls, block):
        problems = []
        first = block.order[0][1]
        items = [text for text, _line in block.order]
        if len(items) < 2:
            problems.append((first, _("an ordering question needs at least two items")))
        if len({item.lower() for item in items}) != len(items):
            problems.append((first, _("two items of the list are the same")))
        return {"items": items}, problems

    @classmethod
    def render(cls, data, inline):
        return {"items": [inline(item) for item in data["items"]]}

    @classmethod
    def layout(cls, data, rng, shuffle):
        order = list(range(len(data["items"])))
        for _attempt in range(10):  # never show the list already in the right order
            rng.shuffle(order)
            if order != sorted(order):
                break
        return {"order": order}

    @classmethod
    def present(cls, data, layout):
        return {"items": [{"value": str(shown), "html": data["items"][index]}
                          for shown, index in enumerate(layout["order"])],
                "positions": list(range(1, len(data["items"]) + 1))}

    @classmethod
    def read(cls, values, data, layout, field, form):
        size = len(layout["order"])
        positions = {}
        for shown, index in enumerate(layout["order"]):
            value = form.get(f"{field}-{shown}", "")
            if value == "":
                continue
            if not value.isdigit() or not 1 <= int(value) <= size:
                raise ResponseError(str(_l("Unknown position.")))
            positions[index] = int(value)
        if not positions:
            return None
        if len(positions) != size or len(set(positions.values())) != size:
            raise ResponseError(str(_l("Give every item a different position.")))
        return {"order": [index for index, _place in sorted(positions.items(), key=lambda item: item[1])]}

    @classmethod
    def grade(cls, data, response):
        if not response:
            return 0.0
        order = response["order"]
        return sum(1 for place, index in enumerate(order) if place == index) / len(data["items"])

    @classmethod
    def answer_html(cls, data):
        return " → ".join(data["items"])

    @classmethod
    def form_values(cls, response, layout, field):
        if not response:
            return {}
        place = {index: position for position, index in enumerate(response["order"], start=1)}
        return {f"{field}-{shown}": [str(place[index])] for shown, index in enumerate(layout["order"]) if index in place}

    @classmethod
    def response_html(cls, data, response):
        if not response:
            return ""
        return " → ".join(data["items"][index] for index in response["order"] if index < len(data["items"]))

    @classmethod
    def example_response(cls, data, rng, quality):
        size = len(data["items"])
        order = list(range(size))
        if quality >= 1:
            return {"order": order}
        if quality <= 0:  # every item one place on: none in its place
            return {"order": order[1:] + order[:1]}
        a, b = rng.sample(range(size), 2)
        order[a], order[b] = order[b], order[a]
        return {"order": order}


BUILTIN_TYPES: tuple[type[QuestionType], ...] = (SingleChoice, MultipleAnswers, TrueFalse, ShortAnswer, Numeric,
                                                 Matching, Ordering, ClassNumber)


def builtin_registry() -> dict[str, type[QuestionType]]:
    return {qtype.name: qtype for qtype in BUILTIN_TYPES}

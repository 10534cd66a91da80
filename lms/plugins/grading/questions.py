"""The essay question type: a written answer (and, when the question allows it, a file)
graded by a trainer against a rubric.

The rubric is the key: criteria, each with levels worth points. The credit of a graded
answer is the sum of the chosen levels' points over the sum of each criterion's highest
level. ``grade`` never decides: an answered essay waits for its grader (None), a blank one
earns 0 (there is nothing to grade).
"""
from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from lms.questions import QuestionType, ResponseError

UPLOAD_CHOICES = ("none", "optional", "required")
MAX_ESSAY = 20_000  # characters of a written answer
WORDS_RE = re.compile(r"^(\d{1,5})\s*-\s*(\d{1,5})$")


def word_count(text: str) -> int:
    return len(text.split())


def credit_of(rubric: list[dict], levels: list[float]) -> float:
    """Credit (0..1) of the chosen level points, one per criterion: their sum over the sum
    of each criterion's highest level."""
    best = sum(max(level["points"] for level in criterion["levels"]) for criterion in rubric)
    return sum(levels) / best if best else 0.0


class Essay(QuestionType):
    """`type: essay` with a rubric; `upload:` none | optional | required; `words: min-max`."""

    name, label, widget = "essay", _l("Essay or practical task"), "grading/widget.html"
    kind, requirement = "rubric", _l("a rubric: `- criterion` items with `  - N: level` under each")
    manual = True
    review_template = "grading/review_item.html"

    @classmethod
    def parse(cls, block):
        problems: list[tuple[int, str]] = []
        if block.options or block.answers or block.pairs or block.order:
            problems.append((block.line, _("an essay question is graded with its rubric; it has no choices, "
                                           "`=` answers, pairs or ordered list")))
        upload = "none"
        if "upload" in block.header:
            upload = block.header["upload"][0].lower()
            if upload not in UPLOAD_CHOICES:
                problems.append((block.header["upload"][1], _("upload must be none, optional or required")))
        words = None
        if "words" in block.header:
            match = WORDS_RE.match(block.header["words"][0])
            if not match or int(match.group(1)) > int(match.group(2)):
                problems.append((block.header["words"][1], _("words is a range like `80-400` (the least, then the "
                                                             "most words of the written answer)")))
            else:
                words = [int(match.group(1)), int(match.group(2))]
        if upload == "none" and words is not None and words[1] == 0:
            problems.append((block.header["words"][1], _("an essay without an upload needs room for words")))
        criteria = []
        for criterion in block.rubric:
            if not criterion["text"]:
                problems.append((criterion["line"], _("a rubric criterion has no text")))
            if not criterion["levels"]:
                problems.append((criterion["line"], _("the criterion %(text)r has no levels; write `  - 0: ...` "
                                                      "lines under it", text=criterion["text"])))
                continue
            if max(level["points"] for level in criterion["levels"]) <= 0:
                problems.append((criterion["line"], _("the criterion %(text)r has no level worth more than 0 "
                                                      "points", text=criterion["text"])))
            criteria.append({"text": criterion["text"],
                             "levels": [{"points": level["points"], "text": level["text"]}
                                        for level in sorted(criterion["levels"], key=lambda lv: lv["points"])]})
        texts = [c["text"].casefold() for c in criteria]
        for criterion in block.rubric:
            if texts.count(criterion["text"].casefold()) > 1:
                problems.append((criterion["line"], _("the criterion %(text)r appears twice", text=criterion["text"])))
                break
        data: dict[str, Any] = {"upload": upload, "rubric": criteria}
        if words is not None:
            data["words"] = words
        return data, problems

    @classmethod
    def render(cls, data, inline):
        return {**data, "rubric": [{"html": inline(c["text"]), "text": c["text"],
                                    "levels": [{**lv, "html": inline(lv["text"])} for lv in c["levels"]]}
                                   for c in data["rubric"]]}

    @classmethod
    def present(cls, data, layout):
        return {"upload": data.get("upload", "none"), "words": data.get("words")}

    @classmethod
    def read(cls, values, data, layout, field, form):
        """The written text; the hidden ``q-N-file`` says a file is already uploaded (files
        come through the upload form, never here). Only the upper word limit is refused
        here: a draft below the minimum must still be saved."""
        text = (values[0] if values else "").replace("\r\n", "\n").strip()
        has_file = data.get("upload", "none") != "none" and form.get(f"{field}-file") == "1"
        if len(text) > MAX_ESSAY:
            raise ResponseError(_("The answer is too long: at most %(n)d characters.", n=MAX_ESSAY))
        words = data.get("words")
        if words and word_count(text) > words[1]:
            raise ResponseError(_("Write at most %(most)d words (now %(now)d).", most=words[1],
                                  now=word_count(text)))
        if not text and not has_file:
            return None
        return {"text": text, **({"file": True} if has_file else {})}

    @classmethod
    def grade(cls, data, response):
        return None if response else 0.0

    @classmethod
    def form_values(cls, response, layout, field):
        if not response:
            return {}
        return {field: [response.get("text", "")], **({f"{field}-file": ["1"]} if response.get("file") else {})}

    @classmethod
    def response_html(cls, data, response):
        if not response or not response.get("text"):
            return ""
        paragraphs = [p for p in response["text"].split("\n\n") if p.strip()]
        return str(Markup("").join(Markup("<span class=\"essay-paragraph\">{}</span>").format(
            Markup("<br>").join(escape(line) for line in p.split("\n"))) for p in paragraphs))

    @classmethod
    def answer_html(cls, data):
        return ""

    EXAMPLE_SENTENCES = (
        "Saya membaca buku itu dari halaman judul dan verso halaman judul.",
        "Judul, pengarang, penerbit, dan tahun terbit saya catat sesuai sumber informasi utama.",
        "Nomor klasifikasi saya tentukan dari subjek utama buku dengan bantuan bagan DDC.",
        "Tajuk subjek saya pilih dari daftar tajuk subjek yang dipakai perpustakaan.",
        "Hasilnya saya periksa sekali lagi sebelum disimpan di SLiMS.",
        "Bagian yang masih ragu saya tanyakan kepada pustakawan senior.",
    )

    @classmethod
    def example_response(cls, data, rng, quality):
        """A short written answer - longer the better ``quality`` - within the word limit;
        its grade stays with a trainer (``grade`` gives None)."""
        count = 2 + round(max(0.0, min(1.0, quality)) * (len(cls.EXAMPLE_SENTENCES) - 2))
        text = " ".join(rng.sample(cls.EXAMPLE_SENTENCES, count))
        words = data.get("words")
        if words:
            text = " ".join(text.split()[:words[1]])
        return {"text": text} if text else None

    @classmethod
    def review_extra(cls, answer):
        from lms.plugins.grading import services

        return services.review_extra(answer) if answer is not None else {}

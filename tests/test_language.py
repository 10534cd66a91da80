"""One language at a time (issue 16 item 6): the main pages, as every demo role sees them in
Indonesian, carry no English words and no decimal points in their figures.

The pages are the demo (what ``make run`` seeds: the real courses, the surveys, every
plugin's demo data), reached from each person's home: the home itself, every link of the
navigation, and the pages those link to, one step further. What is checked is the app's own
text - lesson content and posts (``.prose``), code samples, scripts, the charts' SVG (drawn by
the charts module) and form values are left out, as are e-mail addresses; times of day
written the Indonesian way (``14.05`` after a year or "pukul") and a course's version as its
author wrote it ("Versi 1.0") are not decimals.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlparse

import pytest

from lms.core.demo import DEMO_PASSWORD
from tests.conftest import login

ROOT = Path(__file__).resolve().parents[1]
ROLES = ("ani", "budi", "citra", "erlina", "admin")  # librarian, trainer, supervisor, head, admin
PAGES_PER_PERSON = 45

# English that has leaked into the Indonesian UI before (question-type codes, the needs model's
# name, status codes, Python values) and common English UI words. Loanwords the KBBI accepts
# (kuis, dasbor, modul, skor) are Indonesian and not listed.
ENGLISH = re.compile(r"\b(single|multiple|truefalse|numeric|matching|ordering|Locus|Focus|submit|submitted|"
                     r"score|attempts?|pending|in_progress|true|false|True|False|None|nan|NaN|Dashboard|Quiz|"
                     r"Feedback|Results?|Passed|Failed|Overdue|Due|Download|Export|Version|Question|Answers?)\b")
AUDIT_CODE = re.compile(r"\b[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*\b")  # quiz.regraded, user.created
DECIMAL = re.compile(r"(?<![\d.,])\d+\.\d+(?![\d.])")
VERSION = re.compile(r"\b(Versi|Version|v)\s?\d+(\.\d+)+")  # a course's version, as its author wrote it
TIME = re.compile(r"(\b\d{4}|pukul) \d{1,2}\.\d{2}\b")
EMAIL = re.compile(r"\S+@\S+")
FILE_NAME = re.compile(r"\b[\w-]+\.(csv|xlsx|pdf|md|yml|png|jpe?g)\b")
SKIPPED = {"script", "style", "svg", "code", "pre", "textarea", "noscript"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class VisibleText(HTMLParser):
    """The page's own visible text (see the module docstring for what is left out) and its links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # per open element: is its content skipped?
        self.parts: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        if tag in VOID:
            return
        classes = (attrs.get("class") or "").split()
        # .prose: lessons and posts; .authored: a trainer's question text quoted in a table
        skipped = (tag in SKIPPED or "prose" in classes or "authored" in classes
                   or (self.stack and self.stack[-1]))
        self.stack.append(bool(skipped))

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.parts).split())


def problems_in(text: str) -> list[str]:
    text = FILE_NAME.sub(" ", EMAIL.sub(" ", VERSION.sub(" ", TIME.sub(" ", text))))
    found = [f"English word {m.group(0)!r}" for m in ENGLISH.finditer(text)]
    found += [f"action code {m.group(0)!r}" for m in AUDIT_CODE.finditer(text)]
    found += [f"decimal point {m.group(0)!r}" for m in DECIMAL.finditer(text)]
    return found


def _context(text: str, needle: str) -> str:
    index = text.find(needle)
    return text[max(0, index - 40):index + len(needle) + 40]


@pytest.fixture
def demo(full_demo):
    """What ``make run`` seeds: the real courses, the instruments, every plugin's demo (a copy
    of the session's demo)."""
    return full_demo


def _followable(href: str) -> str | None:
    href = urldefrag(href)[0]
    parsed = urlparse(href)
    if parsed.scheme or parsed.netloc or not href.startswith("/"):
        return None
    if re.search(r"\.(csv|xlsx|pdf|svg|png|ics)$|/export|/download|/logout|/static/", parsed.path):
        return None
    if "sort=" in parsed.query or "page=" in parsed.query:  # the same page in another order
        return None
    return href


def test_every_main_page_speaks_indonesian_only(demo):
    report: list[str] = []
    for username in ROLES:
        client = demo.test_client()
        assert login(client, username, DEMO_PASSWORD).status_code == 302
        queue, seen = ["/"], set()
        depth = {"/": 0}
        while queue and len(seen) < PAGES_PER_PERSON:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            response = client.get(path)
            if response.status_code != 200 or not response.content_type.startswith("text/html"):
                continue
            parser = VisibleText()
            parser.feed(response.get_data(as_text=True))
            for problem in problems_in(parser.text):
                needle = problem.split("'")[1] if "'" in problem else problem
                report.append(f"{username} {path}: {problem} in …{_context(parser.text, needle)}…")
            if depth[path] < 2:
                for href in parser.links:
                    target = _followable(href)
                    if target and target not in depth:
                        depth[target] = depth[path] + 1
                        queue.append(target)
    assert not report, "\n".join(sorted(set(report)))


# Chart templates draw SVG coordinates and their own labels (the charts modules own them).
CHART_TEMPLATES = {"reports/_charts.html", "needs/analysis/_macros.html"}
HAND_FORMATTED = re.compile(r"dateformat\(|datetimeformat\(|strftime|(?<!=\")\{\{ [\w.]+\.isoformat\(\) }}|'%[.+0-9]*[fg]|\"%[.+0-9]*[fg]"
                            r"|\|round\(\d\)(?!\|int)|%s%%'\|format")


def test_templates_print_figures_and_dates_through_the_locale_filters():
    """Every figure and date on a page goes through ``number``/``percent``/``date``/``datetime``
    (lms/i18n.py): a hand-written format prints a decimal point or a second date format.
    (An ISO date in an attribute - ``<time datetime=...>`` - is for machines and stays.)"""
    found = []
    for path in sorted((ROOT / "templates").rglob("*.html")):
        name = path.relative_to(ROOT / "templates").as_posix()
        if name in CHART_TEMPLATES:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if HAND_FORMATTED.search(line):
                found.append(f"templates/{name}:{number}: {line.strip()[:120]}")
    assert not found, "\n".join(found)

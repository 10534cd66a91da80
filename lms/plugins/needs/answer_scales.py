"""Answer scales of patron surveys: the points a form tool offers for a question, their
labels in Indonesian and English, abbreviations, the value of each point, and the labels
that mean "not applicable".

A patron survey names its scale in its YAML (``scale:`` for every item, ``scale:`` on an
item for that item) and may define its own under ``scales:``; the ready scales below need
no definition. The scale is kept resolved in ``Survey.settings`` so an import reads the
scale the survey was loaded with.

Reading a cell (:meth:`AnswerScale.read`): labels match case-insensitively after Unicode
NFKC and whitespace normalisation; a number matches when it is the value of a point; a
not-applicable label is *missing* (no answer stored, counted in the import report), never
zero and never a refusal; anything else is refused by the caller with the allowed labels.

Values enter the analysis on its common 1-5 range: a point's value ``v`` on a scale whose
values run from ``lo`` to ``hi`` is stored as ``1 + 4 * (v - lo) / (hi - lo)``, so the
lowest point is 1 and the highest 5 whatever the number of points (higher is better).
"""
from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass, field

from flask_babel import gettext as _

MIN_POINTS, MAX_POINTS = 2, 10
LABEL_MAX = 100
DEFAULT_SCALE = "setuju-5"
NUMBER_RE = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")
NOT_APPLICABLE = ["Tidak berlaku", "Not applicable", "N/A"]


def fold(text: str) -> str:
    """The form two labels are compared in: NFKC, case-folded, inner whitespace one space."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip().casefold()


@dataclass(frozen=True)
class Point:
    """One answer of a scale: its value, labels and abbreviations."""

    value: float
    label_id: str
    label_en: str
    abbr: tuple[str, ...] = ()
    also: tuple[str, ...] = ()  # other labels form tools write for the same point

    @property
    def labels(self) -> tuple[str, ...]:
        return (self.label_id, self.label_en, *self.abbr, *self.also)


@dataclass
class AnswerScale:
    """A named scale of 2-10 points (see the module docstring)."""

    name: str
    points: list[Point]
    not_applicable: list[str] = field(default_factory=list)

    @property
    def low(self) -> float:
        return min(point.value for point in self.points)

    @property
    def high(self) -> float:
        return max(point.value for point in self.points)

    def common(self, value: float) -> float:
        """``value`` on the analysis' 1-5 range."""
        return 1 + 4 * (value - self.low) / (self.high - self.low)

    def _index(self) -> dict[str, Point | None]:
        index: dict[str, Point | None] = {fold(label): None for label in self.not_applicable}
        for point in self.points:
            index.update({fold(label): point for label in point.labels})
        return index

    def read(self, cell: str) -> tuple[str, Point | None]:
        """``("blank", None)``, ``("na", None)``, ``("point", Point)`` or ``("refused", None)``."""
        text = fold(cell)
        if not text:
            return "blank", None
        index = self._index()
        if text in index:
            point = index[text]
            return ("na", None) if point is None else ("point", point)
        if NUMBER_RE.match(text):
            number = float(text.replace(",", "."))
            for point in self.points:
                if math.isclose(point.value, number):
                    return "point", point
        return "refused", None

    def allowed(self) -> str:
        """The allowed answers, for a refusal: ``1 Sangat tidak setuju (STS), ...``."""
        parts = []
        for point in self.points:
            extra = f" ({', '.join(point.abbr)})" if point.abbr else ""
            parts.append(f"{number_text(point.value)} {point.label_id}{extra}")
        text = ", ".join(parts)
        if self.not_applicable:
            text += "; " + _("not applicable: %(labels)s", labels=", ".join(self.not_applicable))
        return text

    def to_settings(self) -> dict:
        """The JSON kept in ``Survey.settings["scales"]``."""
        return {"points": [{"value": p.value, "id": p.label_id, "en": p.label_en, "abbr": list(p.abbr),
                            "also": list(p.also)} for p in self.points],
                "not_applicable": list(self.not_applicable)}

    @classmethod
    def from_settings(cls, name: str, data: dict) -> AnswerScale:
        return cls(name, [Point(float(p["value"]), p["id"], p["en"], tuple(p.get("abbr") or ()),
                                tuple(p.get("also") or ())) for p in data["points"]],
                   list(data.get("not_applicable") or []))


def number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _ready(name: str, rows: list[tuple], not_applicable: list[str] | None = None) -> AnswerScale:
    points = [Point(float(value), label_id, label_en, tuple(abbr), tuple(also))
              for value, label_id, label_en, abbr, also in rows]
    return AnswerScale(name, points, list(NOT_APPLICABLE if not_applicable is None else not_applicable))


# The ready scales. ``setuju-5`` is the agree scale every patron survey used before scales
# existed (it keeps the aliases that importer accepted: Netral, Ragu-ragu, Cukup). The
# public-service satisfaction survey (Survei Kepuasan Masyarakat, PermenPANRB 14/2017)
# rates each element on 4 points with the perception values 1-4; its questionnaires word the
# points as satisfaction or as quality, hence ``skm-puas-4`` and ``skm-baik-4``; ``puas-4``
# is the symmetric wording "Sangat tidak puas ... Sangat puas" many offices use instead.
READY: dict[str, AnswerScale] = {scale.name: scale for scale in (
    _ready("setuju-5", [
        (1, "Sangat tidak setuju", "Strongly disagree", ["STS", "SD"], []),
        (2, "Tidak setuju", "Disagree", ["TS", "D"], []),
        (3, "Netral", "Neither agree nor disagree", ["N", "R"], ["Ragu-ragu", "Ragu ragu", "Cukup", "Neutral"]),
        (4, "Setuju", "Agree", ["S", "A"], []),
        (5, "Sangat setuju", "Strongly agree", ["SS", "SA"], []),
    ]),
    _ready("puas-4", [
        (1, "Sangat tidak puas", "Very dissatisfied", ["STP"], []),
        (2, "Tidak puas", "Dissatisfied", ["TP"], []),
        (3, "Puas", "Satisfied", ["P"], []),
        (4, "Sangat puas", "Very satisfied", ["SP"], []),
    ]),
    _ready("skm-puas-4", [
        (1, "Tidak puas", "Not satisfied", ["TP"], []),
        (2, "Kurang puas", "Less than satisfied", ["KP"], []),
        (3, "Puas", "Satisfied", ["P"], []),
        (4, "Sangat puas", "Very satisfied", ["SP"], []),
    ]),
    _ready("skm-baik-4", [
        (1, "Tidak baik", "Poor", ["TB"], []),
        (2, "Kurang baik", "Fair", ["KB"], []),
        (3, "Baik", "Good", ["B"], []),
        (4, "Sangat baik", "Very good", ["SB"], []),
    ]),
)}


# --- reading ``scales:`` from a survey file ---------------------------------------------------

def _texts(value, where: str, what: str, problems: list[str]) -> list[str]:
    """One text or a list of texts."""
    if value is None:
        return []
    values = [value] if isinstance(value, (str, int, float)) and not isinstance(value, bool) else value
    if not isinstance(values, list) or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool)
                                                and str(v).strip() for v in values):
        problems.append(f"{where}: " + _("%(what)s must be a text or a list of texts", what=what))
        return []
    texts = [str(v).strip() for v in values]
    if any(len(text) > LABEL_MAX for text in texts):
        problems.append(f"{where}: " + _("%(what)s is longer than %(limit)d characters", what=what, limit=LABEL_MAX))
    return texts


def parse_scale(name: str, data, where, problems: list[str]) -> AnswerScale | None:
    """One scale from its YAML mapping; ``where(pattern)`` gives the ``path:line`` of a text."""
    before = len(problems)
    here = where(rf"^\s*{re.escape(name)}\s*:")
    if not isinstance(data, dict) or not isinstance(data.get("points"), list):
        problems.append(f"{here}: " + _("scale %(name)r needs a list of `points:`", name=name))
        return None
    for key in sorted(set(map(str, data)) - {"points", "not_applicable"}):
        key_line = where(rf"^\s*{re.escape(key)}\s*:")
        problems.append(f"{key_line}: " + _("unknown key `%(key)s`", key=key))
    raw = data["points"]
    if not MIN_POINTS <= len(raw) <= MAX_POINTS:
        problems.append(f"{here}: " + _("scale %(name)r has %(n)d points; a scale has %(min)d to %(max)d",
                                        name=name, n=len(raw), min=MIN_POINTS, max=MAX_POINTS))
    points: list[Point] = []
    for number, item in enumerate(raw, start=1):
        label = str(item.get("id", "")).strip() if isinstance(item, dict) else ""
        at = where(rf"id:\s*[\"']?{re.escape(label)}") if label else here
        if not isinstance(item, dict) or not label:
            problems.append(f"{at}: " + _("point %(n)d of the scale %(name)r needs an Indonesian label (`id:`)",
                                          n=number, name=name))
            continue
        for key in sorted(set(map(str, item)) - {"id", "en", "value", "abbr", "also"}):
            problems.append(f"{at}: " + _("unknown key `%(key)s`", key=key))
        value = item.get("value", number)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            problems.append(f"{at}: " + _("the value of %(label)r must be a number", label=label))
            continue
        english = str(item.get("en") or label).strip()
        if max(len(label), len(english)) > LABEL_MAX:
            problems.append(f"{at}: " + _("%(what)s is longer than %(limit)d characters", what=label, limit=LABEL_MAX))
        points.append(Point(float(value), label, english, tuple(_texts(item.get("abbr"), at, "`abbr`", problems)),
                            tuple(_texts(item.get("also"), at, "`also`", problems))))
    not_applicable = _texts(data.get("not_applicable"), where(r"^\s*not_applicable\s*:"), "`not_applicable`",
                            problems)
    scale = AnswerScale(name, points, not_applicable)
    _check_distinct(scale, where, problems)
    return scale if len(problems) == before else None


def _check_distinct(scale: AnswerScale, where, problems: list[str]) -> None:
    """Every label names one point (or not applicable); values differ; a numeric label
    may not name another point's value."""
    values: dict[float, str] = {}
    for point in scale.points:
        if point.value in values:
            at = where(rf"id:\s*[\"']?{re.escape(point.label_id)}")
            problems.append(f"{at}: " + _(
                "%(first)r and %(second)r have the same value %(value)s", first=values[point.value],
                second=point.label_id, value=number_text(point.value)))
        values.setdefault(point.value, point.label_id)
    owner: dict[str, str] = {}
    for point in [*scale.points, None]:
        labels = point.labels if point is not None else tuple(scale.not_applicable)
        meaning = point.label_id if point is not None else _("not applicable")
        at = (where(rf"id:\s*[\"']?{re.escape(point.label_id)}") if point is not None
              else where(r"^\s*not_applicable\s*:"))
        for label in dict.fromkeys(fold(text) for text in labels):
            if label in owner and owner[label] != meaning:
                problems.append(f"{at}: " + _(
                    "the label %(label)r means both %(first)r and %(second)r in the scale %(name)r",
                    label=label, first=owner[label], second=meaning, name=scale.name))
            owner.setdefault(label, meaning)
            if NUMBER_RE.match(label):
                number = float(label.replace(",", "."))
                if number in values and values[number] != meaning:
                    problems.append(f"{at}: " + _(
                        "the label %(label)r of %(first)r is the value of %(second)r", label=label, first=meaning,
                        second=values[number]))

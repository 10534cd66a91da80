"""Grading a MARC record field by field against the key, with partial credit.

Units of credit (docs/authoring.md explains them to authors):

- a data field of the key is worth 1 (its tag is there) + 1 per indicator + 1 per subfield
  (code and value, compared after the key's tolerance);
- a control field (and the leader) is worth 1 (tag) + 1 (data); in ``LDR``, ``006``,
  ``007`` and ``008`` the data unit is the share of character positions that agree (the
  leader's computed positions 00-04 and 12-16 are not compared);
- every field the key does not have, and every subfield a matched field has beyond the
  key's, takes one unit off - as much as a wrong subfield, so writing everything one can
  think of does not pay;
- credit = (units earned - units taken off) / units of the key, never below 0.

Tolerance (the key's ``tolerance:`` words) is opt-in: without it punctuation, case and the
order of repeated fields all count, because ISBD punctuation and subject order are part of
what is taught and leniency should be visible in the question's source. Runs of spaces
always count as one (a textarea hides them).

Fields are matched by tag. Several fields with one tag (two 650s) are matched in the order
written, or - with the ``order`` tolerance - so that together they earn the most. The order
of different tags is never graded. Subfields of a field are matched by code, the first $a
with the first $a; a different order of subfields is mentioned in the feedback only.
"""
from __future__ import annotations

import functools
import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field

from pymarc import Field

from lms.plugins.marc.mnemonic import LEADER_COMPUTED, POSITIONAL

TOLERANCES = ("punctuation", "case", "order", "spaces")
# ISBD and final punctuation: what a value may begin or end with that `punctuation` ignores.
EDGE_PUNCTUATION = " .,:;/=+"
SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([.,:;/=+])")
BEST_FIT_LIMIT = 10  # given fields of one tag matched best-fit; beyond (never in practice), in order


def normalise(value: str, tolerance: frozenset[str] | set[str]) -> str:
    """A subfield value as compared: runs of spaces are always one space (a textarea hides
    them), then what the tolerance ignores is taken away."""
    text = " ".join(value.split())
    if "spaces" in tolerance:
        text = SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)
    if "punctuation" in tolerance:
        text = text.strip(EDGE_PUNCTUATION)
    if "case" in tolerance:
        text = text.casefold()
    return text


@dataclass
class Problem:
    """One thing wrong with a field, as data: the feedback words it in the reader's language.
    ``kind``: ``ind`` (which, given), ``missing_subfield`` (code), ``subfield`` (code, given),
    ``extra_subfield`` (code), ``subfield_order``, ``data`` (given), ``positions`` (ranges)."""

    kind: str
    args: dict = field(default_factory=dict)


@dataclass
class FieldOutcome:
    """How one key field (or one extra field of the response) fared."""

    tag: str
    number: int  # 1-based among the key's fields with this tag; 0 for an extra field
    count: int  # how many fields the key has with this tag
    units: float  # what the key field is worth (0 for an extra field)
    earned: float = 0.0
    penalty: float = 0.0
    status: str = "right"  # right, partly, missing, extra
    problems: list[Problem] = field(default_factory=list)
    key_index: int | None = None  # the key field's position (for its author's note)


@dataclass
class Outcome:
    fields: list[FieldOutcome]

    @property
    def units(self) -> float:
        return sum(f.units for f in self.fields)

    @property
    def credit(self) -> float:
        units = self.units
        if not units:
            return 0.0
        earned = sum(f.earned for f in self.fields) - sum(f.penalty for f in self.fields)
        return max(0.0, min(1.0, earned / units))


def worth(key: Field) -> float:
    return 2.0 if key.control_field else 3.0 + len(key.subfields)


def _ranges(positions: list[int]) -> str:
    """[7, 8, 9, 10, 35] -> "07-10, 35"."""
    parts = []
    for _key, group in itertools.groupby(enumerate(positions), key=lambda item: item[1] - item[0]):
        run = [position for _index, position in group]
        parts.append(f"{run[0]:02d}" + (f"-{run[-1]:02d}" if len(run) > 1 else ""))
    return ", ".join(parts)


def compare(key: Field, given: Field, tolerance: frozenset[str]) -> tuple[float, float, list[Problem]]:
    """(units earned, units taken off, problems) of ``given`` against the key field of its tag."""
    if key.control_field:
        if key.tag in POSITIONAL:
            size = max(len(key.data), len(given.data))
            compared = [p for p in range(size) if key.tag != "LDR" or p not in LEADER_COMPUTED]
            wrong = [p for p in compared if key.data[p:p + 1] != given.data[p:p + 1]]
            share = 1 - len(wrong) / len(compared) if compared else 1.0
            return 1 + share, 0.0, ([Problem("positions", {"ranges": _ranges(wrong)})] if wrong else [])
        same = " ".join(key.data.split()) == " ".join(given.data.split())
        return (2.0, 0.0, []) if same else (1.0, 0.0, [Problem("data", {"given": given.data})])
    earned, penalty, problems = 1.0, 0.0, []  # same tag, so a data field too
    for which, (want, got) in enumerate(zip(key.indicators, given.indicators), start=1):
        if want == got:
            earned += 1
        else:
            problems.append(Problem("ind", {"which": which, "given": got}))
    given_by_code: dict[str, list[str]] = defaultdict(list)
    for sub in given.subfields:
        given_by_code[sub.code].append(sub.value)
    used: dict[str, int] = defaultdict(int)
    for sub in key.subfields:
        index = used[sub.code]
        used[sub.code] += 1
        values = given_by_code.get(sub.code, [])
        if index >= len(values):
            problems.append(Problem("missing_subfield", {"code": sub.code}))
        elif normalise(values[index], tolerance) == normalise(sub.value, tolerance):
            earned += 1
        else:
            problems.append(Problem("subfield", {"code": sub.code, "given": values[index]}))
    for code, values in given_by_code.items():
        for _extra in values[used.get(code, 0):]:
            penalty += 1
            problems.append(Problem("extra_subfield", {"code": code}))
    if not any(p.kind in ("missing_subfield", "extra_subfield") for p in problems):
        if [s.code for s in key.subfields] != [s.code for s in given.subfields]:
            problems.append(Problem("subfield_order"))
    return earned, penalty, problems


def _best_fit(keys: list[Field], given: list[Field], tolerance: frozenset[str]) -> list[int | None]:
    """For each key field, the index of the given field it is matched with (or None): the
    assignment that earns the most - a given field left unmatched costs its unit as an extra
    field - with ties going to the order written. Dynamic programming over the given fields
    still free (at most :data:`BEST_FIT_LIMIT` of one tag)."""
    gain = [[earned - penalty + 1 for earned, penalty, _problems in (compare(k, g, tolerance) for g in given)]
            for k in keys]

    @functools.lru_cache(maxsize=None)
    def best(index: int, free: int) -> tuple[float, tuple[int | None, ...]]:
        if index == len(keys):
            return 0.0, ()
        value, rest = best(index + 1, free)
        choice: tuple[float, tuple[int | None, ...]] = (value, (None, *rest))
        for j in range(len(given)):
            if free & (1 << j):
                value, rest = best(index + 1, free & ~(1 << j))
                if gain[index][j] + value > choice[0] + 1e-9:
                    choice = (gain[index][j] + value, (j, *rest))
        return choice

    return list(best(0, (1 << len(given)) - 1)[1])


def grade_record(key: list[Field], given: list[Field], tolerance: frozenset[str]) -> Outcome:
    """Match the given fields to the key's by tag and grade each (see the module docstring)."""
    key_by_tag: dict[str, list[int]] = defaultdict(list)
    for index, found in enumerate(key):
        key_by_tag[found.tag].append(index)
    given_by_tag: dict[str, list[Field]] = defaultdict(list)
    for found in given:
        given_by_tag[found.tag].append(found)
    outcomes: list[FieldOutcome | None] = [None] * len(key)
    extras: list[FieldOutcome] = []
    for tag, indexes in key_by_tag.items():
        keys, mine = [key[i] for i in indexes], given_by_tag.get(tag, [])
        if "order" in tolerance and 1 < max(len(keys), len(mine)) and len(mine) <= BEST_FIT_LIMIT:
            matched = _best_fit(keys, mine, tolerance)
        else:
            matched = [i if i < len(mine) else None for i in range(len(keys))]
        for number, (index, partner) in enumerate(zip(indexes, matched), start=1):
            outcome = FieldOutcome(tag, number, len(keys), worth(key[index]), key_index=index)
            if partner is None:
                outcome.status = "missing"
            else:
                outcome.earned, outcome.penalty, outcome.problems = compare(key[index], mine[partner], tolerance)
                outcome.status = "right" if outcome.earned >= outcome.units and not outcome.penalty else "partly"
            outcomes[index] = outcome
        taken = {m for m in matched if m is not None}
        extras += [FieldOutcome(tag, 0, len(keys), 0.0, penalty=1.0, status="extra")
                   for i in range(len(mine)) if i not in taken]
    for tag, mine in given_by_tag.items():
        if tag not in key_by_tag:
            extras += [FieldOutcome(tag, 0, 0, 0.0, penalty=1.0, status="extra") for _found in mine]
    return Outcome([o for o in outcomes if o is not None] + extras)

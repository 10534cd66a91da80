"""Survey instruments: ``courses/surveys/<slug>.yml`` files loaded into ``Survey`` and
``SurveyItem``.

A self-assessment or supervisor instrument names its competencies (``all`` or a list) and
gets one item per competency; a patron instrument lists its statements, each mapped to a
competency. Checking reports every problem as ``path:line: message`` at once; importing is
all or nothing, skips unchanged files (by ``source_hash``), updates items by key and
refuses to remove an item that already has answers.
"""
from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import func, or_, select

from lms.audit.services import record as audit_record
from lms.clock import utcnow
from lms.extensions import db
from lms.plugins.courses.models import Competency
from lms.plugins.needs.answer_scales import DEFAULT_SCALE, READY, AnswerScale, parse_scale
from lms.plugins.needs.models import (PATRON, SELF, SUPERVISOR, SURVEY_KINDS, NeedsRound, PatronAnswer,
                                      StaffAnswer, StaffResponse, Survey, SurveyItem)
from lms.yamlfiles import ID_RE, load_yaml

KEYS = {"kind", "title", "intro", "competencies", "items", "ignore_columns", "unit_column", "scales", "scale"}
ITEM_KEYS = {"id", "text", "competency", "scale"}
PATRON_ONLY = ("items", "ignore_columns", "unit_column", "scales", "scale")
TITLE_MAX = 300
TEXT_MAX = 500


class SurveyError(ValueError):
    """The instruments cannot be loaded; ``problems`` lists every ``path:line: message``."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class SurveySource:
    """One instrument file, checked and resolved (``all`` expanded to competency ids)."""

    slug: str
    path: Path
    kind: str
    title: dict[str, str]
    intro: dict[str, str]
    settings: dict
    items: list[dict] = field(default_factory=list)  # {key, text_id, text_en, competency_id}

    @property
    def source_hash(self) -> str:
        """SHA-256 of the resolved content: a new competency under ``all`` changes it too."""
        content = json.dumps([self.kind, self.title, self.intro, self.settings, self.items],
                             sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(content.encode("utf-8")).hexdigest()


@dataclass
class SurveyImport:
    """What :func:`import_surveys` did, by slug."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)


def _line_of(text: str, pattern: str, occurrence: int = 1) -> int:
    """The ``occurrence``-th line matching ``pattern`` (a regex applied to each line), else 1."""
    compiled = re.compile(pattern)
    for number, line in enumerate(text.split("\n"), start=1):
        if compiled.search(line):
            occurrence -= 1
            if occurrence == 0:
                return number
    return 1


def _key_line(text: str, key: str) -> int:
    return _line_of(text, rf"^\s*{re.escape(key)}\s*:")


def _value_line(text: str, value: str, occurrence: int = 1) -> int:
    """The line of a list entry or ``id:`` holding ``value`` (an item or competency id)."""
    return _line_of(text, rf"^\s*(-\s*)?(id:\s*)?[\"']?{re.escape(value)}[\"']?\s*(#.*)?$|"
                          rf"[\[,]\s*[\"']?{re.escape(value)}[\"']?\s*[\],]", occurrence)


def _bilingual(value, where: str, problems: list[str], what: str, limit: int,
               required: bool = True) -> dict[str, str]:
    """``{id: ..., en: ...}`` or one string for both; Indonesian is required."""
    if value is None and not required:
        return {"id": "", "en": ""}
    if isinstance(value, str) and value.strip():
        value = {"id": value}
    if not isinstance(value, dict) or not isinstance(value.get("id"), str) or not value["id"].strip():
        problems.append(f"{where}: " + _("%(what)s needs Indonesian text (`id:`), optionally English (`en:`)",
                                         what=what))
        return {"id": "", "en": ""}
    english = value.get("en")
    result = {"id": value["id"].strip(), "en": str(english).strip() if english else value["id"].strip()}
    if max(len(result["id"]), len(result["en"])) > limit:
        problems.append(f"{where}: " + _("%(what)s is longer than %(limit)d characters", what=what, limit=limit))
    return result


def _string_list(value, where: str, problems: list[str], name: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(f"{where}: " + _("`%(name)s` must be a list of texts", name=name))
        return []
    return [v.strip() for v in value]


def _competency_names() -> dict[str, dict[str, str]]:
    rows = db.session.execute(select(Competency.id, Competency.name_id, Competency.name_en)
                              .order_by(Competency.position, Competency.id))
    return {cid: {"id": name_id, "en": name_en} for cid, name_id, name_en in rows}


def parse_survey(path: Path, known: dict[str, dict[str, str]], problems: list[str]) -> SurveySource | None:
    """Read one instrument file; append its problems and return it (None if unusable)."""
    before = len(problems)
    slug = path.stem
    if not ID_RE.match(slug):
        problems.append(f"{path}:1: " + _("the file name %(slug)r is not a valid survey slug: use lowercase "
                                          "letters, digits and hyphens", slug=slug))
    data, text = load_yaml(path, problems)
    if len(problems) > before and data is None:
        return None
    if not isinstance(data, dict):
        problems.append(f"{path}:1: " + _("expected `kind:`, `title:` and the items of the survey"))
        return None
    for key in sorted(set(map(str, data)) - KEYS):
        problems.append(f"{path}:{_key_line(text, key)}: " + _("unknown key `%(key)s`", key=key))

    kind = data.get("kind")
    if kind not in SURVEY_KINDS:
        problems.append(f"{path}:{_key_line(text, 'kind')}: " + _("unknown kind %(kind)r: use self, supervisor or "
                                                                   "patron", kind=kind))
    title = _bilingual(data.get("title"), f"{path}:{_key_line(text, 'title')}", problems, _("title"), TITLE_MAX)
    intro = _bilingual(data.get("intro"), f"{path}:{_key_line(text, 'intro')}", problems, _("intro"), 20000,
                       required=False)

    items: list[dict] = []
    settings: dict = {}
    if kind in (SELF, SUPERVISOR):
        for key in PATRON_ONLY:
            if key in data:
                problems.append(f"{path}:{_key_line(text, key)}: " + _(
                    "`%(key)s` belongs to patron surveys; a %(kind)s survey lists `competencies:`",
                    key=key, kind=kind))
        items = _competency_items(data.get("competencies"), path, text, known, problems)
    elif kind == PATRON:
        if "competencies" in data:
            problems.append(f"{path}:{_key_line(text, 'competencies')}: " + _(
                "a patron survey maps each item to a competency; `competencies:` is for self and supervisor "
                "surveys"))
        items = _patron_items(data.get("items"), path, text, known, problems)
        where = f"{path}:{_key_line(text, 'ignore_columns')}"
        settings["ignore_columns"] = _string_list(data.get("ignore_columns"), where, problems, "ignore_columns")
        unit_column = data.get("unit_column")
        if unit_column is not None:
            if not isinstance(unit_column, str) or not unit_column.strip():
                problems.append(f"{path}:{_key_line(text, 'unit_column')}: " + _("`unit_column` must be a column name"))
            else:
                settings["unit_column"] = unit_column.strip()
        settings.update(_scales(data, items, path, text, problems))
    if len(problems) > before:
        return None
    return SurveySource(slug=slug, path=path, kind=kind, title=title, intro=intro, settings=settings, items=items)


def _competency_items(value, path: Path, text: str, known: dict, problems: list[str]) -> list[dict]:
    where = f"{path}:{_key_line(text, 'competencies')}"
    if value == "all":
        if not known:
            problems.append(f"{where}: " + _("no competencies are imported yet; run `lms courses import` first"))
        ids = list(known)
    elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        ids: list[str] = []
        for competency_id in value:
            line = f"{path}:{_value_line(text, competency_id, 2 if competency_id in ids else 1)}"
            if competency_id not in known:
                problems.append(f"{line}: " + _("unknown competency %(id)r", id=competency_id))
            elif competency_id in ids:
                problems.append(f"{line}: " + _("competency %(id)r is listed twice", id=competency_id))
            else:
                ids.append(competency_id)
    else:
        problems.append(f"{where}: " + _("`competencies:` must be `all` or a list of competency ids"))
        return []
    return [{"key": cid, "text_id": known[cid]["id"], "text_en": known[cid]["en"], "competency_id": cid}
            for cid in ids if cid in known]


def _line_from(text: str, pattern: str, start: int) -> int | None:
    """The first line at or after ``start`` matching ``pattern`` (case-insensitive)."""
    compiled = re.compile(pattern, re.IGNORECASE)
    for number, line in enumerate(text.split("\n")[start - 1:], start=start):
        if compiled.search(line):
            return number
    return None


def _scales(data: dict, items: list[dict], path: Path, text: str, problems: list[str]) -> dict:
    """``scales:`` (the survey's own), ``scale:`` (the default) and each item's ``scale:``,
    resolved into the settings an import reads; the ready scales need no definition."""
    scales_line = _key_line(text, "scales")
    defined: dict[str, AnswerScale] = {}
    raw = data.get("scales")
    if raw is not None and not isinstance(raw, dict):
        problems.append(f"{path}:{scales_line}: " + _("`scales:` must map scale names to their `points:`"))
        raw = {}
    for name, body in (raw or {}).items():
        name = str(name)
        start = _line_from(text, rf"^\s*{re.escape(name)}\s*:", scales_line) or scales_line

        def where(pattern: str, start: int = start) -> str:
            return f"{path}:{_line_from(text, pattern, start) or start}"

        if not ID_RE.match(name):
            problems.append(f"{path}:{start}: " + _("the scale name %(name)r is not valid: use lowercase letters, "
                                                   "digits and hyphens", name=name))
        elif name in READY:
            problems.append(f"{path}:{start}: " + _("%(name)r is a ready scale; give your own scale another name",
                                                   name=name))
        elif (scale := parse_scale(name, body, where, problems)) is not None:
            defined[name] = scale
    known = {**READY, **defined}
    broken = {str(name) for name in raw or {}} - set(known)  # refused above: say it once

    def unknown(name) -> bool:
        return not isinstance(name, str) or (name not in known and name not in broken)

    default = data.get("scale", DEFAULT_SCALE)
    if unknown(default):
        problems.append(f"{path}:{_key_line(text, 'scale')}: " + _(
            "unknown scale %(name)r (ready scales: %(ready)s; or define it under `scales:`)", name=default,
            ready=", ".join(READY)))
    if default not in known:
        default = DEFAULT_SCALE
    item_scales: dict[str, str] = {}
    for item in items:
        name = item.pop("scale", None)
        if name is None:
            continue
        if unknown(name):
            line = _line_of(text, rf"scale:\s*[\"']?{re.escape(str(name))}\b")
            problems.append(f"{path}:{line}: " + _("unknown scale %(name)r (ready scales: %(ready)s; or define it "
                                                   "under `scales:`)", name=name, ready=", ".join(READY)))
        elif name != default and name in known:
            item_scales[item["key"]] = name
    used = {default, *item_scales.values()}
    return {"scale": default, "item_scales": item_scales,
            "scales": {name: known[name].to_settings() for name in sorted(used)}}


def _patron_items(value, path: Path, text: str, known: dict, problems: list[str]) -> list[dict]:
    if not isinstance(value, list) or not value:
        problems.append(f"{path}:{_key_line(text, 'items')}: " + _("a patron survey needs a list of `items:`"))
        return []
    items: list[dict] = []
    seen: dict[str, int] = {}
    for number, item in enumerate(value, start=1):
        item_id = str(item.get("id", "")) if isinstance(item, dict) else ""
        seen[item_id] = seen.get(item_id, 0) + 1
        line = _value_line(text, item_id, seen[item_id]) if item_id else _key_line(text, "items")
        where = f"{path}:{line}"
        if not ID_RE.match(item_id):
            problems.append(f"{where}: " + _("item %(n)d needs an `id` of lowercase letters, digits and hyphens",
                                             n=number))
            continue
        if seen[item_id] > 1:
            problems.append(f"{where}: " + _("item id %(id)r is used twice", id=item_id))
            continue
        for key in sorted(set(map(str, item)) - ITEM_KEYS):
            problems.append(f"{where}: " + _("unknown key `%(key)s`", key=key))
        texts = _bilingual(item.get("text"), where, problems, _("item %(id)s", id=item_id), TEXT_MAX)
        competency_id = item.get("competency")
        if not competency_id:
            problems.append(f"{where}: " + _("item %(id)r needs a `competency:`", id=item_id))
        elif str(competency_id) not in known:
            line = _line_of(text, rf"competency:\s*[\"']?{re.escape(str(competency_id))}\b")
            problems.append(f"{path}:{line}: " + _("unknown competency %(id)r", id=competency_id))
        entry = {"key": item_id, "text_id": texts["id"], "text_en": texts["en"],
                 "competency_id": str(competency_id or "")}
        if "scale" in item:
            entry["scale"] = item["scale"]  # resolved (and removed) by _scales
        items.append(entry)
    return items


def check_surveys(root: Path) -> tuple[list[SurveySource], list[str]]:
    """Read every ``*.yml`` in ``root``; return the instruments and every problem."""
    problems: list[str] = []
    if not root.is_dir():
        return [], [f"{root}:1: " + _("no such folder")]
    paths = sorted(root.glob("*.yml"))
    if not paths:
        return [], [f"{root}:1: " + _("no survey files (*.yml) in this folder")]
    known = _competency_names()
    sources = [source for path in paths if (source := parse_survey(path, known, problems)) is not None]
    return sources, problems


def _answered_keys(survey: Survey, keys: set[str]) -> set[str]:
    """The item keys among ``keys`` that already have answers (patron or staff)."""
    items = [item for item in survey.items if item.key in keys]
    if not items:
        return set()
    answered = set(db.session.scalars(select(PatronAnswer.item_id).distinct()
                                      .where(PatronAnswer.item_id.in_([i.id for i in items]))))
    staff = set(db.session.scalars(
        select(StaffAnswer.competency_id).distinct().join(StaffResponse)
        .where(StaffResponse.survey_id == survey.id,
               StaffAnswer.competency_id.in_([i.competency_id for i in items]))))
    return {item.key for item in items if item.id in answered or item.competency_id in staff}


def _refusals(source: SurveySource, survey: Survey) -> list[str]:
    """Changes an import may not make to an instrument already in use."""
    problems = []
    if survey.kind != source.kind:
        used = db.session.scalar(select(func.count()).select_from(NeedsRound).where(or_(
            NeedsRound.self_survey_id == survey.id, NeedsRound.supervisor_survey_id == survey.id,
            NeedsRound.patron_survey_id == survey.id)))
        if used:
            problems.append(f"{source.path}:1: " + _("the kind cannot change from %(old)s to %(new)s: a round uses "
                                                     "this survey", old=survey.kind, new=source.kind))
    removed = {item.key for item in survey.items} - {item["key"] for item in source.items}
    for key in sorted(_answered_keys(survey, removed)):
        problems.append(f"{source.path}:1: " + _("item %(key)r already has answers and cannot be removed; keep it "
                                                 "in the file", key=key))
    return problems


def _apply(source: SurveySource, survey: Survey) -> None:
    survey.kind = source.kind
    survey.title_id, survey.title_en = source.title["id"], source.title["en"]
    survey.intro_id, survey.intro_en = source.intro["id"], source.intro["en"]
    survey.settings = dict(source.settings)
    survey.source_hash = source.source_hash
    survey.updated_at = utcnow()
    existing = {item.key: item for item in survey.items}
    wanted = {item["key"] for item in source.items}
    for item in list(survey.items):
        if item.key not in wanted:
            survey.items.remove(item)
    for position, data in enumerate(source.items):
        item = existing.get(data["key"])
        if item is None:
            item = SurveyItem(key=data["key"])
            survey.items.append(item)
        item.position = position
        item.text_id, item.text_en = data["text_id"], data["text_en"]
        item.competency_id = data["competency_id"]


def import_surveys(root: Path, actor_id: int | None = None) -> SurveyImport:
    """Load every instrument in ``root``: all or nothing (raises :class:`SurveyError` with
    every problem, nothing changed); unchanged files are skipped."""
    sources, problems = check_surveys(root)
    if problems:
        raise SurveyError(problems)
    existing = {s.slug: s for s in db.session.scalars(
        select(Survey).where(Survey.slug.in_([source.slug for source in sources])))}
    summary = SurveyImport()
    for source in sources:
        survey = existing.get(source.slug)
        if survey is not None and survey.source_hash == source.source_hash:
            summary.unchanged.append(source.slug)
        elif survey is not None:
            problems.extend(_refusals(source, survey))
            summary.updated.append(source.slug)
        else:
            summary.created.append(source.slug)
    if problems:
        raise SurveyError(problems)
    for source in sources:
        if source.slug in summary.unchanged:
            continue
        survey = existing.get(source.slug)
        if survey is None:
            survey = Survey(slug=source.slug)
            db.session.add(survey)
        _apply(source, survey)
    if summary.created or summary.updated:
        audit_record("needs.surveys_imported", "survey", None, actor_id=actor_id,
                     created=summary.created, updated=summary.updated)
    db.session.commit()
    return summary


def survey_rows() -> list[dict]:
    """The loaded instruments, for ``lms needs surveys list``."""
    counts = dict(db.session.execute(select(SurveyItem.survey_id, func.count()).group_by(SurveyItem.survey_id)).all())
    return [{"slug": s.slug, "kind": s.kind, "items": counts.get(s.id, 0), "title": s.title_id}
            for s in db.session.scalars(select(Survey).order_by(Survey.kind, Survey.slug))]

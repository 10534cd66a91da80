"""The competency framework (``competencies.yml``) and the topics (``topics.yml``)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from flask_babel import gettext as _

from lms.yamlfiles import ID_RE, load_yaml

# Behaviour indicators per competency (the post-training evaluation asks about each): none,
# or between these many - fewer says too little to observe, more tires the supervisor.
MIN_INDICATORS, MAX_INDICATORS = 3, 5


@dataclass
class Framework:
    topics: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> {"id": name, "en": name}
    areas: list[dict] = field(default_factory=list)
    competencies: dict[str, dict] = field(default_factory=dict)  # id -> {area, name, description, targets, indicators}


def _line_of_key(text: str, key: str) -> int:
    for number, line in enumerate(text.split("\n"), start=1):
        if re.match(rf"^\s*(-\s*)?(id:\s*)?{re.escape(key)}\b", line):
            return number
    return 1


def _bilingual(value, where: str, problems: list[str]) -> dict[str, str]:
    if isinstance(value, str):
        return {"id": value, "en": value}
    if not isinstance(value, dict) or not isinstance(value.get("id"), str) or not value.get("id"):
        problems.append(f"{where}: " + _("needs a name in Indonesian (`id:`), optionally English (`en:`)"))
        return {"id": "", "en": ""}
    return {"id": value["id"], "en": str(value.get("en") or value["id"])}


def _indicator_lines(text: str) -> dict[tuple[str, int], int]:
    """(competency id, indicator index) -> the line its ``- `` starts on, from the YAML
    node tree (the text cannot be searched: two competencies may share an indicator's words)."""
    lines: dict[tuple[str, int], int] = {}
    try:
        root = yaml.compose(text)
    except yaml.YAMLError:
        return lines

    def child(node, key):
        if isinstance(node, yaml.MappingNode):
            for key_node, value in node.value:
                if getattr(key_node, "value", None) == key:
                    return value
        return None

    for area in getattr(child(root, "areas"), "value", None) or []:
        for competency in getattr(child(area, "competencies"), "value", None) or []:
            comp_id = getattr(child(competency, "id"), "value", None)
            items = child(competency, "indicators")
            if comp_id and isinstance(items, yaml.SequenceNode):
                for index, item in enumerate(items.value):
                    lines[(str(comp_id), index)] = item.start_mark.line + 1
    return lines


def _indicators(value, comp_path: Path, comp_id: str, where: str, lines: dict, problems: list[str]) -> list[dict]:
    """The competency's behaviour indicators as ``[{"id": ..., "en": ...}]``; every problem
    is reported at its own line (none at all is allowed: the competency is not evaluated)."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(f"{where}: " + _("`indicators` must be a list of behaviours, each with `id:` and `en:`"))
        return []
    found: list[dict] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(value):
        at = f"{comp_path}:{lines.get((comp_id, index), where.rsplit(':', 1)[-1])}"
        if not isinstance(item, dict):
            problems.append(f"{at}: " + _("an indicator needs `id:` (Indonesian) and `en:` (English)"))
            continue
        texts = {}
        for language in ("id", "en"):
            text = item.get(language)
            if not isinstance(text, str) or not text.strip():
                name = _("Indonesian") if language == "id" else _("English")
                problems.append(f"{at}: " + _("the indicator has no %(language)s text (`%(key)s:`)",
                                              language=name, key=language))
            else:
                texts[language] = " ".join(text.split())
        if len(texts) < 2:
            continue
        duplicate = next((texts[lang] for lang in ("id", "en") if texts[lang].casefold() in seen), None)
        if duplicate is not None:
            problems.append(f"{at}: " + _("indicator %(text)r repeats line %(line)s",
                                          text=duplicate, line=seen[duplicate.casefold()]))
            continue
        for lang in ("id", "en"):
            seen[texts[lang].casefold()] = int(at.rsplit(":", 1)[-1])
        found.append(texts)
    if not MIN_INDICATORS <= len(value) <= MAX_INDICATORS:
        problems.append(f"{where}: " + _("competency %(id)r has %(n)s indicators: give between %(min)s and %(max)s",
                                         id=comp_id, n=len(value), min=MIN_INDICATORS, max=MAX_INDICATORS))
    return found


def load_framework(root: Path, problems: list[str]) -> Framework:
    """Read ``topics.yml`` and ``competencies.yml`` from ``root``; report every problem."""
    framework = Framework()
    topics_path = root / "topics.yml"
    if not topics_path.is_file():
        problems.append(f"{topics_path}:1: " + _("missing topics file"))
    else:
        data, text = load_yaml(topics_path, problems)
        if data is not None and not isinstance(data, dict):
            problems.append(f"{topics_path}:1: " + _("expected `topic-id:` entries with names in id/en"))
        for topic_id, names in (data or {}).items() if isinstance(data, dict) else []:
            where = f"{topics_path}:{_line_of_key(text, str(topic_id))}"
            if not ID_RE.match(str(topic_id)):
                problems.append(f"{where}: " + _("topic id %(id)r may use lowercase letters, digits and hyphens",
                                                    id=topic_id))
            framework.topics[str(topic_id)] = _bilingual(names, where, problems)

    comp_path = root / "competencies.yml"
    if not comp_path.is_file():
        problems.append(f"{comp_path}:1: " + _("missing competency framework"))
        return framework
    data, text = load_yaml(comp_path, problems)
    if data is None:
        return framework
    indicator_lines = _indicator_lines(text)
    areas = data.get("areas") if isinstance(data, dict) else None
    if not isinstance(areas, list):
        problems.append(f"{comp_path}:1: " + _("expected a list under `areas:`"))
        return framework
    for area in areas:
        if not isinstance(area, dict) or not ID_RE.match(str(area.get("id", ""))):
            problems.append(f"{comp_path}:{_line_of_key(text, 'areas')}: " + _("each area needs an `id`"))
            continue
        area_id = area["id"]
        where = f"{comp_path}:{_line_of_key(text, area_id)}"
        framework.areas.append({"id": area_id, "name": _bilingual(area.get("name"), where, problems)})
        for competency in area.get("competencies") or []:
            comp_id = str((competency or {}).get("id", "")) if isinstance(competency, dict) else ""
            where = f"{comp_path}:{_line_of_key(text, comp_id) if comp_id else 1}"
            if not ID_RE.match(comp_id):
                problems.append(f"{where}: " + _("competency id %(id)r may use lowercase letters, digits and hyphens",
                                                    id=comp_id))
                continue
            if comp_id in framework.competencies:
                problems.append(f"{where}: " + _("competency %(id)r is defined twice", id=comp_id))
                continue
            targets = competency.get("targets") or {}
            if not isinstance(targets, dict) or not all(
                    isinstance(level, int) and 1 <= level <= 5 for level in targets.values()):
                problems.append(f"{where}: " + _("targets map positions to levels 1-5"))
                targets = {}
            framework.competencies[comp_id] = {
                "area": area_id,
                "name": _bilingual(competency.get("name"), where, problems),
                "description": _bilingual(competency.get("description") or "", where, []),
                "targets": targets,
                "indicators": _indicators(competency.get("indicators"), comp_path, comp_id, where,
                                          indicator_lines, problems),
            }
    return framework

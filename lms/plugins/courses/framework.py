"""The competency framework (``competencies.yml``) and the topics (``topics.yml``)."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from flask_babel import gettext as _

from lms.yamlfiles import ID_RE, load_yaml


@dataclass
class Framework:
    topics: dict[str, dict[str, str]] = field(default_factory=dict)  # id -> {"id": name, "en": name}
    areas: list[dict] = field(default_factory=list)
    competencies: dict[str, dict] = field(default_factory=dict)  # id -> {area, name, description, targets}


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
            }
    return framework

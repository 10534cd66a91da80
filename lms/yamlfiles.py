"""YAML data files written by people (competencies, topics, survey instruments) and the id
rule their keys follow.

Read with ``yaml.safe_load`` only (no Python objects from a file), and every problem is
reported as ``path:line: message`` into the caller's list rather than raised, so an import
can list all its problems at once and change nothing. The id rule is shared because ids
cross files: a survey item names a competency of ``competencies.yml``, a discussion post
mentions one as ``#id``.
"""
from __future__ import annotations

import re
from pathlib import Path

import yaml
from flask_babel import gettext as _

ID_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


def load_yaml(path: Path, problems: list[str]):
    """Read a YAML file, reporting syntax errors as ``path:line: message``."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        problems.append(f"{path}:1: " + _("the file is not UTF-8"))
        return None, ""
    try:
        return yaml.safe_load(text), text
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        problems.append(f"{path}:{line}: " + _("invalid YAML: %(error)s", error=getattr(error, "problem", error)))
        return None, text

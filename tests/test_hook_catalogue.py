"""The hook catalogue stays honest: every hook in ``lms/hookspecs.py`` is implemented by a
built-in part, called by the app, and listed in ``docs/plugins.md`` with the same
parameters in the same order. A hook that nothing calls (``lms_report_widgets`` was one)
promises an extension point that does not exist; a documented signature that drifted
(``lms_demo_scale`` lost ``attempts_per_librarian``) makes a third-party plugin fail."""
from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from lms import hookspecs

ROOT = Path(__file__).resolve().parents[1]
SOURCES = [path for path in (ROOT / "lms").rglob("*.py") if path.name != "hookspecs.py"]
DOC_ROW = re.compile(r"^\| `(lms_[a-z_]+)\(([^)]*)\)` \|", re.M)


def specs() -> dict[str, list[str]]:
    found = {}
    for name, function in inspect.getmembers(hookspecs, inspect.isfunction):
        if hasattr(function, f"{hookspecs.PROJECT}_spec"):
            found[name] = list(inspect.signature(function).parameters)
    return found


SPECS = specs()


def test_the_catalogue_is_found():
    assert len(SPECS) >= 20 and "lms_blueprints" in SPECS


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_hook_has_an_implementation(app, name):
    implementations = getattr(app.extensions["lms.plugins"].hook, name).get_hookimpls()
    assert implementations, f"{name} is specified but no built-in part implements it"


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_hook_is_called(name):
    call = re.compile(rf"(?<!def ){name}\(")
    callers = [path.relative_to(ROOT) for path in SOURCES if call.search(path.read_text(encoding="utf-8"))]
    assert callers, f"{name} is specified but nothing in lms/ calls it"


def test_docs_list_every_hook_with_its_parameters():
    documented = {name: [p.strip() for p in params.split(",") if p.strip()]
                  for name, params in DOC_ROW.findall((ROOT / "docs" / "plugins.md").read_text(encoding="utf-8"))}
    assert documented == SPECS

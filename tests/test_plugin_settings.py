"""Every plugin setting starts and serves, or is refused with a sentence naming what is
missing - checked in a fresh process per setting (see tests/plugin_setting_probe.py), for
"all but one" and "only one" of the built-in plugins. Plus: the declarations order the
registration, and the layer picture in docs/architecture.md is the one they generate."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lms.config import ConfigError
from lms.pluginmanager import BUILTIN_PLUGINS, declarations, dependency_order, layer_diagram

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = [f"-{name}" for name in BUILTIN_PLUGINS] + list(BUILTIN_PLUGINS)


def expected_missing(setting: str) -> dict[str, list[str]]:
    enabled = [n for n in BUILTIN_PLUGINS if n != setting[1:]] if setting.startswith("-") else [setting]
    missing = {}
    for name in enabled:
        absent = [r for r in declarations(BUILTIN_PLUGINS[name])[0] if r not in enabled]
        if absent:
            missing[name] = absent
    return missing


@pytest.mark.slow
@pytest.mark.parametrize("setting", SETTINGS)
def test_each_setting_starts_and_serves_or_is_refused_clearly(tmp_path, setting):
    env = {**os.environ, "LMS_TEST_DATABASE_URL": ""}  # a SQLite file of its own: create_all per setting
    result = subprocess.run([sys.executable, "-m", "tests.plugin_setting_probe", setting, str(tmp_path)],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    missing = expected_missing(setting)
    if missing:
        message = outcome.get("refused", "")
        assert message.count(".") == 1 and message.endswith("."), message  # one sentence
        for name, absent in missing.items():
            assert f"{name} requires {', '.join(absent)}" in message
    else:
        assert "refused" not in outcome, outcome
        assert outcome["pages"] > 0 and outcome["errors"] == [], outcome["errors"]


def test_plugins_are_registered_after_what_they_require():
    order = dependency_order(["reports", "needs", "learning", "quizzes", "courses"], BUILTIN_PLUGINS)
    assert order == ["courses", "quizzes", "learning", "needs", "reports"]
    assert dependency_order(list(BUILTIN_PLUGINS), BUILTIN_PLUGINS) == list(BUILTIN_PLUGINS)


def test_a_missing_requirement_is_refused_before_anything_is_imported():
    with pytest.raises(ConfigError, match=r"curriculum requires courses, quizzes, learning, needs"):
        dependency_order(["curriculum"], BUILTIN_PLUGINS)


def test_the_layer_picture_in_the_docs_is_generated_from_the_declarations():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    block = text.split("<!-- plugin-layers:start -->\n", 1)[1].split("\n<!-- plugin-layers:end -->", 1)[0]
    assert block == layer_diagram()

"""One way to call a hook, one way to ask whether a plugin is on, one way for a plugin to
give its settings defaults (``lms.pluginmanager.hook``, ``plugin_enabled``,
``lms_default_settings``; docs/plugins.md). Before them the hook relay was spelled out at
~20 call sites, "is it on" was asked three ways (``has_plugin``, an endpoint in
``view_functions``, ``has_endpoint``), and four plugins copied the same default-settings
loop into ``lms_init_app``."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from flask import Flask

from lms import configure_default_settings
from lms.config import ConfigError
from lms.pluginmanager import has_endpoint, hook, plugin_enabled
from tests.conftest import make_test_app

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted((ROOT / "lms").rglob("*.py"))
# the factory builds the manager (lms/__init__.py); the helpers live in pluginmanager.py
HELPER_HOMES = {"lms/__init__.py", "lms/pluginmanager.py"}
PRIVACY_HOOKS = ("lms_personal_data", "lms_erase_personal_data", "lms_scrub_personal_text", "lms_retention_purge")


def where(pattern: str, allowed: set[str]) -> list[str]:
    found = []
    for path in SOURCES:
        name = str(path.relative_to(ROOT))
        if name in allowed:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(pattern, line):
                found.append(f"{name}:{number}: {line.strip()}")
    return found


def test_hooks_are_called_through_the_one_helper():
    found = where(r'extensions\[["\']lms\.plugins["\']\]', HELPER_HOMES)
    assert not found, "call hooks as lms.pluginmanager.hook().lms_x(...):\n" + "\n".join(found)


def test_is_a_plugin_on_is_asked_one_way():
    # auth/access.py reads view_functions for the access check of an endpoint, not a plugin
    found = where(r"\.has_plugin\(|view_functions", HELPER_HOMES | {"lms/auth/access.py"})
    assert not found, ("ask lms.pluginmanager.plugin_enabled(name) (or has_endpoint(endpoint) before a "
                       "url_for):\n" + "\n".join(found))


def test_no_plugin_sets_its_own_defaults():
    found = [hit for hit in where(r"config\.setdefault\(", HELPER_HOMES) if "/hooks.py:" in hit]
    assert not found, "return defaults from lms_default_settings:\n" + "\n".join(found)


def test_the_helpers_answer_for_the_running_app(app):
    assert hook() is app.extensions["lms.plugins"].hook
    assert plugin_enabled("records") and plugin_enabled("privacy")  # privacy: a core part, always on
    assert has_endpoint("records.show") and not has_endpoint("records.nowhere")


def test_a_plugin_that_is_off_is_off(tmp_path):
    app = make_test_app(tmp_path, PLUGINS="-records,-reports,-grading")
    with app.app_context():
        assert not plugin_enabled("records") and not has_endpoint("records.show")
        assert plugin_enabled("needs")
        assert "RECORDS_MAX_BYTES" not in app.config  # an off plugin's defaults are not set either


def test_plugin_defaults_are_set_where_the_operator_set_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_DISCUSSIONS_PAGE_SIZE", "7")
    app = make_test_app(tmp_path, NEEDS_MIN_GROUP=9)
    answers = [answer for answer in app.extensions["lms.plugins"].hook.lms_default_settings(app=app) if answer]
    assert len(answers) >= 5  # needs, curriculum, discussions, records, privacy
    assert app.config["NEEDS_MIN_GROUP"] == 9  # the operator's config wins
    assert app.config["DISCUSSIONS_PAGE_SIZE"] == 7  # and so does LMS_* in the environment
    assert app.config["CURRICULUM_PATH_LENGTH"] == 5
    assert app.config["RECORDS_EVIDENCE_DIR"] == str(Path(app.instance_path) / "evidence")
    assert app.config["PRIVACY_CONTACT"] == ""
    assert app.config["PRIVACY_RETENTION_NOTIFICATIONS_DAYS"] == 365


def test_two_plugins_claiming_one_setting_stop_the_app():
    app = Flask(__name__)
    with pytest.raises(ConfigError, match="HELLO_GREETING"):
        configure_default_settings(app, [{"HELLO_GREETING": "Halo"}, None, {"HELLO_GREETING": "Hello"}])


def test_privacy_hooks_only_delegate_to_the_plugins_privacy_module():
    """Each plugin's privacy hooks hand over to its own privacy code in one statement: the
    rules about personal data live in one module per plugin, not in hooks.py."""
    found = []
    for path in SOURCES:
        if path.name != "hooks.py":
            continue
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name in PRIVACY_HOOKS:
                body = [statement for statement in node.body
                        if not (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant))]
                imports = [s for s in body if isinstance(s, ast.ImportFrom)]
                rest = [s for s in body if not isinstance(s, ast.ImportFrom)]
                privacy_home = all(s.module and (s.module.endswith(".privacy") or ".privacy" in s.module)
                                   or any(a.name == "privacy" for a in s.names) for s in imports)
                if len(rest) != 1 or not isinstance(rest[0], ast.Return) or not privacy_home:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.name}")
    assert not found, "a privacy hook does more than delegate:\n" + "\n".join(found)

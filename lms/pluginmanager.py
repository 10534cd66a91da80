"""Builds the pluggy plugin manager that lives on the app.

Core parts (``lms.core``, ``lms.auth``) register through the same hooks as feature
plugins, so the core eats its own dog food. Built-in plugins are listed by name below;
third-party plugins are found through the ``lms.plugins`` entry-point group. Nothing is
discovered by globbing directories.
"""
from __future__ import annotations

import importlib
from importlib.metadata import entry_points

import pluggy

from lms import hookspecs
from lms.config import ConfigError

ENTRY_POINT_GROUP = "lms.plugins"

# Always on: the app cannot work without them.
CORE_PLUGINS: dict[str, str] = {
    "core": "lms.core.hooks",
    "auth": "lms.auth.hooks",
    "privacy": "lms.privacy.hooks",
}

# On by default; ``LMS_PLUGINS`` chooses.
BUILTIN_PLUGINS: dict[str, str] = {
    "admin": "lms.plugins.admin.hooks",
    "courses": "lms.plugins.courses.hooks",
    "quizzes": "lms.plugins.quizzes.hooks",
    "learning": "lms.plugins.learning.hooks",
    "needs": "lms.plugins.needs.hooks",
    "curriculum": "lms.plugins.curriculum.hooks",
    "records": "lms.plugins.records.hooks",
    "reports": "lms.plugins.reports.hooks",
    "notifications": "lms.plugins.notifications.hooks",
    "interop": "lms.plugins.interop.hooks",
    "discussions": "lms.plugins.discussions.hooks",
}


def available_plugins() -> dict[str, str]:
    """Every plugin that could be turned on: built-ins, then installed entry points."""
    found = dict(BUILTIN_PLUGINS)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(entry.name, entry.value)
    return found


def parse_plugin_setting(setting: object, available: dict[str, str]) -> list[str]:
    """Turn ``LMS_PLUGINS`` into the list of names to enable.

    ``None`` or ``"all"`` means every available plugin; ``""`` none; ``"a,b"`` exactly those;
    ``"-a"`` everything but ``a``. Unknown names are a configuration error, not a silent no-op.
    """
    if setting is None or (isinstance(setting, str) and setting.strip().lower() == "all"):
        return list(available)
    if isinstance(setting, str) and not setting.strip():
        return []  # LMS_PLUGINS="" : the core alone
    if isinstance(setting, str):
        names = [part.strip() for part in setting.split(",") if part.strip()]
    else:
        names = [str(part) for part in setting]
    exclusions = {name[1:] for name in names if name.startswith("-")}
    inclusions = [name for name in names if not name.startswith("-")]
    unknown = sorted((exclusions | set(inclusions)) - set(available))
    if unknown:
        raise ConfigError(f"LMS_PLUGINS names unknown plugin(s): {', '.join(unknown)}; "
                          f"available: {', '.join(sorted(available))}")
    if inclusions:
        return [name for name in inclusions if name not in exclusions]
    return [name for name in available if name not in exclusions]


def _load(target: str):
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr) if attr else module


def build_plugin_manager(setting: object) -> tuple[pluggy.PluginManager, list[str]]:
    """Create the manager with the core and the enabled plugins registered."""
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    for name, target in CORE_PLUGINS.items():
        manager.register(_load(target), name=name)
    available = available_plugins()
    enabled = parse_plugin_setting(setting, available)
    for name in enabled:
        manager.register(_load(available[name]), name=name)
    manager.check_pending()
    return manager, enabled

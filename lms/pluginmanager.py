"""Builds the pluggy plugin manager that lives on the app.

Core parts (``lms.core``, ``lms.auth``, ``lms.mail``) register through the same hooks as feature
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
    "mail": "lms.mail.hooks",
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
    "marc": "lms.plugins.marc.hooks",
    "grading": "lms.plugins.grading.hooks",
    "evaluations": "lms.plugins.evaluations.hooks",
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


def declarations(target: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A plugin's ``REQUIRES`` and ``USES`` (the plugins it cannot work without, and those
    it works with when they are on), read from its package - ``lms.plugins.courses`` for
    ``lms.plugins.courses.hooks`` - so nothing of the plugin itself is imported before its
    requirements are known to be on."""
    module_name = target.partition(":")[0]
    package = module_name.rsplit(".", 1)[0] if module_name.endswith(".hooks") else module_name
    module = importlib.import_module(package)
    return tuple(getattr(module, "REQUIRES", ())), tuple(getattr(module, "USES", ()))


def dependency_order(enabled: list[str], available: dict[str, str]) -> list[str]:
    """``enabled`` with every plugin after the plugins it requires (otherwise in the given
    order), or a ConfigError in one sentence naming what is missing."""
    requires = {name: declarations(available[name])[0] for name in enabled}
    missing = [(name, [r for r in needed if r not in enabled]) for name, needed in requires.items()]
    missing = [(name, absent) for name, absent in missing if absent]
    if missing:
        parts = "; ".join(f"{name} requires {', '.join(absent)}" for name, absent in missing)
        raise ConfigError(f"LMS_PLUGINS turns on plugins without what they require ({parts}): turn those "
                          f"on too, or turn {', '.join(name for name, _ in missing)} off.")
    ordered: list[str] = []
    remaining = list(enabled)
    while remaining:
        ready = [name for name in remaining if all(r in ordered for r in requires[name])]
        if not ready:
            raise ConfigError(f"Plugins require each other in a circle: {', '.join(remaining)}.")
        ordered.append(ready[0])
        remaining.remove(ready[0])
    return ordered


def build_plugin_manager(setting: object) -> tuple[pluggy.PluginManager, list[str]]:
    """Create the manager with the core and the enabled plugins registered, each after the
    plugins it requires (a setting that leaves out a requirement is refused)."""
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    for name, target in CORE_PLUGINS.items():
        manager.register(_load(target), name=name)
    available = available_plugins()
    enabled = dependency_order(parse_plugin_setting(setting, available), available)
    for name in enabled:
        manager.register(_load(available[name]), name=name)
    manager.check_pending()
    return manager, enabled


def hook(app=None) -> pluggy.HookRelay:
    """The running app's hook relay: ``hook().lms_quiz_graded(attempt=attempt)``.

    The one way code outside the factory calls a hook (keyword arguments, as pluggy wants;
    it answers a list, one entry per implementation that returned something). A relay
    rather than a ``call_hook(name, ...)`` that flattens: hooks answer lists, dicts, numbers
    or a first answer, and each caller knows which; and ``hook().lms_x(`` keeps every call
    findable by the hook's name (tests/test_hook_catalogue.py relies on it). Needs an app
    context, or the ``app`` given (the Alembic configuration callback runs with one)."""
    return manager(app).hook


def manager(app=None) -> pluggy.PluginManager:
    """The running app's (or ``app``'s) plugin manager, for the few callers that list the
    plugins themselves (lms/migrating.py); everyone else uses :func:`hook`."""
    if app is None:
        from flask import current_app

        app = current_app
    return app.extensions["lms.plugins"]


def plugin_enabled(name: str) -> bool:
    """True when the plugin ``name`` is on in the running app (a core part - ``core``,
    ``auth``, ``mail``, ``privacy`` - always is). The one way to ask before using an optional
    plugin (its ``USES``). Templates guard links with ``has_endpoint`` instead."""
    from flask import current_app

    return current_app.extensions["lms.plugins"].has_plugin(name)


def has_endpoint(endpoint: str) -> bool:
    """True when the running app has a page for ``endpoint`` (``"quizzes.overview"``).

    Not a way to ask whether a plugin is on (that is :func:`plugin_enabled`): this is for
    code about to build a link with ``url_for(endpoint)``, which raises for a page that does
    not exist, so the guard and the link name the same thing. Templates have it as the
    global ``has_endpoint('quizzes.overview')`` before such a link."""
    from flask import current_app

    return endpoint in current_app.view_functions


def layer_diagram() -> str:
    """The built-in plugins and their declared edges as a Mermaid graph, for
    docs/architecture.md (``python -m lms.pluginmanager`` prints it; a test keeps the doc equal)."""
    declared = {name: declarations(target) for name, target in BUILTIN_PLUGINS.items()}

    def below(name: str) -> set[str]:
        found: set[str] = set()
        for other in declared[name][0]:
            found |= {other} | below(other)
        return found

    lines = ["```mermaid", "graph BT"]
    for name, (requires, uses) in declared.items():
        # only direct edges: a requirement already reached through another one is implied
        direct = [other for other in requires if not any(other in below(o) for o in requires if o != other)]
        lines.append(f"    {name}")
        lines += [f"    {name} --> {other}" for other in direct]
        lines += [f"    {name} -.-> {other}" for other in uses]
    lines.append("```")
    return "\n".join(lines)


if __name__ == "__main__":
    print(layer_diagram())

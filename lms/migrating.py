"""Alembic for the product and its outside plugins.

The product (core and built-in plugins) keeps one linear history in ``migrations/versions/``.
An outside plugin keeps its own history in its own folder, as an Alembic *branch* of its own
(``branch_labels``, ``depends_on`` the product revision it needs), and names that folder
through the ``lms_migration_locations`` hook; the core names ``migrations/versions/`` through
the same hook. ``lms db ...`` reads every enabled part's folder, and ``lms db upgrade``
upgrades every head - the product's and each plugin's branch - so an operator's one command
stays one command.
"""
from __future__ import annotations

import inspect
import os

import click
from flask import Flask, current_app
from flask_migrate.cli import db as flask_migrate_db

from lms.extensions import db
from lms.pluginmanager import hook, manager


def version_locations(app: Flask) -> list[str]:
    """Every enabled part's Alembic version folder, the product's first, each once."""
    found: list[str] = []
    for locations in hook(app).lms_migration_locations():
        for location in locations or []:
            path = os.path.abspath(os.fspath(location))
            if path not in found:
                found.append(path)
    return found


def configure_alembic(config):
    """Flask-Migrate's configure callback: the version folders of the current app's parts.

    Without it Alembic reads only ``migrations/versions/`` and a plugin's branch is unknown.
    """
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(version_locations(current_app)))
    return config


def _package(module_name: str) -> str:
    return module_name.rsplit(".", 1)[0] if module_name.endswith(".hooks") else module_name


def app_tables(app: Flask) -> set[str]:
    """The tables on the metadata that belong to ``app``: every table but those of models
    defined in an outside plugin's package that is not on in ``app``.

    Importing a plugin's models puts its tables on the one shared metadata for the life of
    the process; a plugin that is off has not migrated them, so comparing models with the
    database (autogenerate, ``tests/test_migrations.py``) must leave them out.
    """
    owners = ["lms"] + [_package(plugin.__name__ if inspect.ismodule(plugin) else getattr(plugin, "__module__", ""))
                        for plugin in manager(app).get_plugins()]
    owners = [owner for owner in owners if owner]
    foreign = set()
    for mapper in db.Model.registry.mappers:
        module = mapper.class_.__module__
        if not any(module == owner or module.startswith(owner + ".") for owner in owners):
            foreign |= {table.name for table in mapper.tables}
    return set(db.metadata.tables) - foreign


def _upgrade_every_head() -> click.Command:
    """Flask-Migrate's ``upgrade`` with ``heads`` as the default target: with a plugin's
    branch beside the product's history there are several heads, and Alembic refuses a bare
    ``head``."""
    original = flask_migrate_db.commands["upgrade"]
    params = []
    for param in original.params:
        if param.name == "revision":
            param = click.Argument(["revision"], default="heads")
        params.append(param)
    return click.Command(name="upgrade", callback=original.callback, params=params,
                         help="Upgrade to a later version (default: every head, the product's and each "
                              "enabled plugin's branch).")


def db_command_group() -> click.Group:
    """``lms db``: Flask-Migrate's commands, ``upgrade`` reaching every head."""
    commands = dict(flask_migrate_db.commands)
    commands["upgrade"] = _upgrade_every_head()
    return click.Group(name="db", commands=commands, callback=flask_migrate_db.callback,
                       params=list(flask_migrate_db.params), help=flask_migrate_db.help)

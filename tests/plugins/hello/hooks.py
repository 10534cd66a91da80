"""Hook implementations of the ``hello`` test plugin (what docs/plugins.md walks through)."""
from __future__ import annotations

import click
from flask import Blueprint

from lms.auth.access import roles_required
from lms.hookspecs import hookimpl
from lms.nav import HomePanel, NavItem

bp = Blueprint("hello", __name__, url_prefix="/hello")


@bp.route("/")
@roles_required("librarian")
def index():
    return "Hello from a plugin"


@click.command("hello")
def hello_command():
    """Say hello (from the hello plugin)."""
    click.echo("hello from a plugin command")


class EssayQuestion:
    """A stand-in question type, to show the registry collects them."""

    name = "essay"


@hookimpl
def lms_blueprints():
    return [bp]


@hookimpl
def lms_nav_items():
    return [NavItem("hello.index", "Hello plugin", roles=("librarian",), order=60)]


@hookimpl
def lms_home_panels(user, role):
    if role == "librarian":
        return [HomePanel("hello/panel.html", order=5, context={"greeting": f"Halo, {user.username}"})]
    return []


@hookimpl
def lms_cli_commands():
    return [hello_command]


@hookimpl
def lms_question_types():
    return [EssayQuestion]

"""Hook implementations of the ``hello`` test plugin (what docs/plugins.md walks through).

The plugin is one folder: hooks, models, forms, services, views, its templates
(``templates/hello/``) and its own Alembic branch (``migrations/``).
"""
from __future__ import annotations

from pathlib import Path

import click

from lms.hookspecs import hookimpl
from lms.nav import HomePanel, NavItem
from lms.questions import QuestionType, ResponseError

from . import models  # noqa: F401 - the plugin's table on the metadata whenever it is on
from .views import bp

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


@click.command("hello")
def hello_command():
    """Say hello (from the hello plugin)."""
    click.echo("hello from a plugin command")


class KeywordsQuestion(QuestionType):
    """A free-text answer that should mention every keyword (`= word` lines): credit is the
    share of keywords found. Shows how a plugin adds a question type end to end."""

    name, label, widget = "keywords", "Keywords", "hello/keywords.html"
    kind, requirement = "answers", "`= keyword` lines"

    @classmethod
    def parse(cls, block):
        problems = [(line, "a keyword line is empty") for word, line in block.answers if not word]
        return {"keywords": [word.lower() for word, _ in block.answers]}, problems

    @classmethod
    def read(cls, values, data, layout, field, form):
        text = (values[0] if values else "").strip()
        if len(text) > 2000:
            raise ResponseError("too long")
        return {"text": text} if text else None

    @classmethod
    def grade(cls, data, response):
        if not response:
            return 0.0
        text = response["text"].lower()
        return sum(1 for word in data["keywords"] if word in text) / len(data["keywords"])

    @classmethod
    def answer_html(cls, data):
        return ", ".join(data["keywords"])


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
    return [KeywordsQuestion]


@hookimpl
def lms_migration_locations():
    return [str(MIGRATIONS)]

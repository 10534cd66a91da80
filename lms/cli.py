"""The ``lms`` console script: Flask's CLI over the app factory.

``lms db ...`` comes from Flask-Migrate, ``lms run`` from Flask, and the rest from the
core and plugins through the ``lms_cli_commands`` hook.
"""
from __future__ import annotations

from flask.cli import FlaskGroup


def _create_app():
    from lms import create_app

    return create_app()


cli = FlaskGroup(create_app=_create_app, help="Pembina: learning management for library staff.")


def main() -> None:
    cli.main(prog_name="lms")

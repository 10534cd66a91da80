"""``lms needs analyze``."""
from __future__ import annotations

import click


@click.command("analyze")
def analyze():
    """Print the ranked competencies of a needs round."""
    raise click.ClickException("not implemented yet")

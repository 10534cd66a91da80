"""``lms needs``: load survey instruments, import patron CSV files, analyse a round."""
from __future__ import annotations

from flask.cli import AppGroup

from lms.plugins.needs.analysis_cli import analyze

needs = AppGroup("needs", help="Needs assessment: surveys, patron CSV import, analysis.")
needs.add_command(analyze)

"""Fixtures for the courses tests: a writable copy of the sample course folder."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture
def course_root(tmp_path) -> Path:
    """A copy of tests/fixtures/courses that a test may edit."""
    target = tmp_path / "courses"
    shutil.copytree(FIXTURES / "courses", target)
    return target


@pytest.fixture
def imported(app, course_root):
    """The sample course imported into the test database."""
    from lms.plugins.courses.services import import_courses

    report = import_courses([course_root])
    assert report.ok, report.problems
    return course_root

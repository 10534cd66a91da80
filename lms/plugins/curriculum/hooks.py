"""Curriculum plugin hooks: personal learning paths on *My learning*, curriculum proposals
from needs rounds, approval and history, the content-gap report, ``lms curriculum``."""
from __future__ import annotations

import lms.plugins.curriculum.models  # noqa: F401 - tables on the metadata for migrations

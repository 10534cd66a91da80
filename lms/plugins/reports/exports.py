"""CSV and XLSX files of the report tables: the writers live in core (:mod:`lms.exports`), so
other plugins (the quizzes' item analysis) share them without importing this plugin."""
from __future__ import annotations

from lms.exports import BOM, csv_bytes, csv_response, xlsx_bytes, xlsx_response

__all__ = ["BOM", "csv_bytes", "csv_response", "xlsx_bytes", "xlsx_response"]

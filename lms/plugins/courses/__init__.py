"""Courses authored in Markdown: the format, the importer, catalogue and lesson pages."""

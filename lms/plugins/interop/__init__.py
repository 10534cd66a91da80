"""Interop: learning events as xAPI statements, and quizzes to and from Moodle GIFT."""

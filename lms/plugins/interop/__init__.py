"""Interop: learning events as xAPI statements, and quizzes to and from Moodle GIFT."""

# Other plugins this one cannot work without / works with when they are on (lms.pluginmanager).
REQUIRES: tuple[str, ...] = ("courses",)
USES: tuple[str, ...] = ("learning", "quizzes", "evaluations")

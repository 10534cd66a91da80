"""Needs assessment: surveys, rounds, responses, gap analysis and module feedback."""

# Other plugins this one cannot work without / works with when they are on (lms.pluginmanager).
REQUIRES: tuple[str, ...] = ("courses", "quizzes", "learning")
USES: tuple[str, ...] = ()

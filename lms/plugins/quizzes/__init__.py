"""Quizzes: question types, attempts graded on the server, results for trainers, regrading."""

# Other plugins this one cannot work without / works with when they are on (lms.pluginmanager).
REQUIRES: tuple[str, ...] = ("courses",)
USES: tuple[str, ...] = ()

"""Reports: the supervisor dashboard and its CSV/XLSX exports."""

# Other plugins this one cannot work without / works with when they are on (lms.pluginmanager).
REQUIRES: tuple[str, ...] = ("courses", "quizzes", "learning", "needs")
USES: tuple[str, ...] = ("records", "evaluations")

"""The adaptive curriculum: learning paths, proposals from needs rounds, approval and history."""

# Other plugins this one cannot work without / works with when they are on (lms.pluginmanager).
REQUIRES: tuple[str, ...] = ("courses", "quizzes", "learning", "needs")
USES: tuple[str, ...] = ()

"""Learning progress: lesson views, module and course completion, My learning, certificates."""

# Other plugins this one cannot work without / works with when they are on (lms.pluginmanager).
REQUIRES: tuple[str, ...] = ("courses", "quizzes")
USES: tuple[str, ...] = ("needs",)

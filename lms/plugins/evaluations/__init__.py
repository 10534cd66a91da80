"""Post-training evaluation at work (Kirkpatrick level 3, *evaluasi pasca pelatihan*): windows
after a completion, self-reports, supervisor observations, application results and the
transfer gap, fed back into the needs analysis through a hook."""

# Other plugins this one cannot work without / works with when they are on (lms.pluginmanager).
REQUIRES: tuple[str, ...] = ("courses", "quizzes", "learning", "needs")
USES: tuple[str, ...] = ("notifications", "records", "interop")

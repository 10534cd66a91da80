"""Grading: practical tasks graded by a trainer - the essay/upload question type with a
rubric, the trainers' grading queue, and the grade returned to the learner."""

# Other plugins this one cannot work without / works with when they are on (lms.pluginmanager).
REQUIRES: tuple[str, ...] = ("courses", "quizzes", "learning", "records")
USES: tuple[str, ...] = ("notifications",)

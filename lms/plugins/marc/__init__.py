"""MARC: a quiz question type where the learner writes a MARC 21 record in mnemonic form,
graded field by field against the key (docs/authoring.md, "Rekaman MARC")."""

# Other plugins this one cannot work without / works with when they are on (lms.pluginmanager).
# A question type belongs to quizzes: without them nothing would ever take or grade it.
REQUIRES: tuple[str, ...] = ("quizzes",)
USES: tuple[str, ...] = ()

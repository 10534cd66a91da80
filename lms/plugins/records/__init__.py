"""External training records: seminars, workshops, exchange programmes and other training
outside Pembina, with an evidence file, verified by the learner's supervisor and then counted
toward the learner's JP."""

# Other plugins this one cannot work without / works with when they are on (lms.pluginmanager).
REQUIRES: tuple[str, ...] = ("courses", "learning")
USES: tuple[str, ...] = ()

"""External training records: seminars, workshops, exchange programmes and other training
outside Pembina, with an evidence file, verified by the learner's supervisor and then counted
toward the learner's JP."""

"""Needs assessment: surveys, rounds, responses, gap analysis and module feedback."""

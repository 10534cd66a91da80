"""Quizzes: question types, attempts graded on the server, results for trainers, regrading."""

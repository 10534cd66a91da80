"""Learning progress: lesson views, module and course completion, My learning, certificates."""

"""The adaptive curriculum: learning paths, proposals from needs rounds, approval and history."""

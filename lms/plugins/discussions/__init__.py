"""Discussions: questions under every module, staff forums (boards) with review meetings,
replies and accepted answers, moderation, follows and notifications, full-text search."""

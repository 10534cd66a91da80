"""Discussions: questions under every module, staff forums (boards) with review meetings,
replies and accepted answers, moderation, follows and notifications, full-text search."""

# Other plugins this one cannot work without / works with when they are on (lms.pluginmanager).
REQUIRES: tuple[str, ...] = ("courses",)
USES: tuple[str, ...] = ("needs", "notifications")

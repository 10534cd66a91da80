"""In-app notifications (and e-mail when SMTP is configured): new assignments and reminders."""

# Other plugins this one cannot work without / works with when they are on (lms.pluginmanager).
REQUIRES: tuple[str, ...] = ()
USES: tuple[str, ...] = ("learning",)

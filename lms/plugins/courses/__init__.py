"""Courses authored in Markdown: the format, the importer, catalogue and lesson pages."""

# Other plugins this one cannot work without / works with when they are on (lms.pluginmanager).
REQUIRES: tuple[str, ...] = ()
USES: tuple[str, ...] = ()

"""Administration: users, units, bulk import and the audit log, in the browser."""

# Other plugins this one cannot work without / works with when they are on (lms.pluginmanager).
REQUIRES: tuple[str, ...] = ()
USES: tuple[str, ...] = ()

"""Administration: users, units, bulk import and the audit log, in the browser."""

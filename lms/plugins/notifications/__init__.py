"""In-app notifications (and e-mail when SMTP is configured): new assignments and reminders."""

"""Helpers for the ticket tests: sample drafts, database fixtures, fake Telegram and webhook servers."""

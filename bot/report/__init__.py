"""The support-analytics report: ``python -m bot.report --since 7d --out report.html`` (see the README,
"Support analytics")."""

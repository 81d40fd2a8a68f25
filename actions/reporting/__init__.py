"""Pure logic of the problem-report form: what to ask, reading answers, summaries (no Rasa needed)."""

"""Support analytics: the event stream (Rasa's event broker), metrics, knowledge-base gaps and reports."""

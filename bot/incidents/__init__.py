"""Incidents: a third-party outage (a bank, a network, a coin) seen as a spike of customer messages, and the
notices operators publish so customers get an answer before they file a ticket.

| module | job |
| --- | --- |
| ``model.py`` | ``Incident`` (notice or spike), ``Observation`` |
| ``topics.py`` | ``bank:BCA`` / ``network:TRC20`` / ``coin:USDT`` from entities, free text or an operator's word |
| ``detection.py`` | pure spike logic: window vs baseline, threshold, cooldown, when a spike subsided |
| ``store.py`` | the tables (in the ticket database); ``list_incidents(since, until)`` for the report |
| ``monitor.py`` | ``SpikeMonitor``: record observations, open/keep/reopen/end spikes, queue alerts |
| ``alerts.py`` | alert targets (notifiers and desks), senders, ``AlertWorker`` on the durable outbox |
| ``notices.py`` | default notice text, how a notice reads in the chat, which notices a message sees first |
| ``render.py`` | alert as text, Telegram HTML and JSON; the operators' table |
| ``runtime.py``, ``hook.py`` | the action server's instance and the calls the actions make |
| ``cli.py`` | ``python -m bot.incidents open|close|list`` |
"""
from bot.incidents.model import Incident, Observation
from bot.incidents.store import list_incidents

__all__ = ["Incident", "Observation", "list_incidents"]

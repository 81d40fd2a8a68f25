"""Agent desks: where human agents see handed-over tickets and answer customers.

A desk announces new tickets (it is a notifier of the ticket outbox), shows the customer's messages and
the assistant's notes for a ticket, and turns its agents' actions (claim, reply, close) into calls of
:class:`bot.handoff.service.HandoffService`. Desks are configured in ``desks.yml`` (next to
``notifiers.yml``): ``telegram_group`` (the default) and ``chatwoot``; the CLI (``python -m bot.tickets``)
is the desk for teams without one.
"""

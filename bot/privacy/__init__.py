"""Customers' personal data under Indonesia's PDP law (UU 27/2022): retention, access, erasure, audit.

| module | job |
| --- | --- |
| `policy.py` | the retention policy (``PRIVACY_*`` settings, defaults in the README's "Personal data" section) |
| `locations.py` | where each store lives (tracker store, ticket database, channel state, analytics) |
| `files.py` | owner-only files (0600) and folders (0700) for databases, the API token and exports |
| `audit.py` | the append-only ``audit_log`` table: every desk action, refusal and privacy request |
| `scrub.py` | what is left of a ticket or an analytics event once its personal data is removed |
| `tracker.py`, `tickets.py`, `channel_state.py`, `analytics.py`, `incidents.py` | purge, export and erase per store |
| `purge.py`, `rights.py` | the whole purge; a customer's export and erasure across stores |
| `__main__.py` | ``python -m bot.privacy purge|export|erase`` |

Importing this package is cheap (the ticket database imports :mod:`bot.privacy.files`).
"""

"""Load limits, pure logic without Rasa: the per-customer flood limiter and the concurrency cap.

Wired into every channel by :mod:`bot.channels.intake`.
"""

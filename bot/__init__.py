"""Assistant runtime helpers: channels, evaluation, terminal chat."""

"""``python -m bot.incidents`` (see :mod:`bot.incidents.cli`)."""
import sys

from bot.incidents.cli import main

if __name__ == "__main__":
    sys.exit(main())

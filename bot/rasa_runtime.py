"""``python -m bot.rasa_runtime <rasa arguments>``: Rasa's CLI with one performance fix for Rasa 3.6.

Rasa 3.6 validates every action-server response with ``jsonschema.validate()``, which re-checks the
*schema itself* on each call; profiling showed that to be ~40 % of the Rasa server's CPU time on a turn
that runs a custom action. The fix validates against the same schema with a validator built once, and
raises the same ``ValidationError`` (best match, same message suffix) for an invalid response.
"""
from __future__ import annotations

import sys
from functools import lru_cache
from typing import Any, Dict, List, Optional

from jsonschema import ValidationError
from jsonschema.exceptions import best_match
from jsonschema.validators import validator_for


@lru_cache(maxsize=1)
def _action_response_validator() -> Any:
    from rasa.core.actions.action import RemoteAction

    schema = RemoteAction.action_response_format_spec()
    validator_class = validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def validate_action_result(self: Any, result: Dict[str, Any]) -> bool:
    """Drop-in replacement for ``RemoteAction._validate_action_result`` using a cached validator."""
    from rasa.shared.constants import DOCS_BASE_URL

    error: Optional[ValidationError] = best_match(_action_response_validator().iter_errors(result))
    if error is None:
        return True
    error.message += (
        ". Failed to validate Action server response from API, make sure your response from the Action "
        f"endpoint is valid. For more information about the format visit {DOCS_BASE_URL}/custom-actions"
    )
    raise error


def apply() -> None:
    """Install the fix into the running Rasa process."""
    from rasa.core.actions.action import RemoteAction

    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]


def main(argv: Optional[List[str]] = None) -> None:
    apply()
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *(sys.argv[1:] if argv is None else argv)]
    rasa_main()


if __name__ == "__main__":
    main()

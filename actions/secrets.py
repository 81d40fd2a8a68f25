"""Warn a customer who pasted a seed phrase, private key, password or OTP code."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from nlu.secrets import find_secrets, redacted_kinds

from actions import copy
from actions.conversation import latest_user_text, user_metadata
from actions.responses import agent_button


def shared_secret_kinds(tracker: Tracker) -> List[str]:
    """Kinds of secret in the last message: removed by the channel, or still in the text."""
    text = latest_user_text(tracker)
    kinds = list(user_metadata(tracker).get("redacted_secrets") or [])
    kinds += redacted_kinds(text)
    kinds += [s.kind for s in find_secrets(text)]
    return list(dict.fromkeys(k for k in kinds if k in copy.SECRET_NAMES))


def secret_warning(kinds: List[str]) -> List[str]:
    """The two warning messages: what was removed and that we never ask for it, then what to do now."""
    names = list(dict.fromkeys(copy.SECRET_NAMES[k] for k in kinds if k in copy.SECRET_NAMES))
    what = " dan ".join(names) if names else "data rahasia"
    return [copy.SECRET_WARNING.format(what=what), copy.SECRET_STEPS]


class ActionWarnSecret(Action):
    """Urgent warning: what was removed, that we never ask for it, and what to do now."""

    def name(self) -> Text:
        return "action_warn_secret"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        warning, steps = secret_warning(shared_secret_kinds(tracker))
        dispatcher.utter_message(text=warning)
        dispatcher.utter_message(text=steps, buttons=[agent_button()])
        return []

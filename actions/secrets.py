"""Warn a customer who pasted a seed phrase, private key, password or OTP code."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.buttons import agent_button
from actions.conversation import latest_user_text, user_metadata
from bot import wording
from nlu.secrets import find_secrets, redacted_kinds


def shared_secret_kinds(tracker: Tracker) -> List[str]:
    """Kinds of secret in the last message: removed by the channel, or still in the text."""
    text = latest_user_text(tracker)
    kinds = list(user_metadata(tracker).get("redacted_secrets") or [])
    kinds += redacted_kinds(text)
    kinds += [s.kind for s in find_secrets(text)]
    return list(dict.fromkeys(k for k in kinds if k in wording.SECRET_NAMES))


class ActionWarnSecret(Action):
    """Urgent warning: what was removed, that we never ask for it, and what to do now."""

    def name(self) -> Text:
        return "action_warn_secret"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        warning, steps = wording.secret_warning(shared_secret_kinds(tracker))
        dispatcher.utter_message(text=warning)
        dispatcher.utter_message(text=steps, buttons=[agent_button()])
        return []

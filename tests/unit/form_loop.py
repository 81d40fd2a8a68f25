"""The report form's next question as Rasa picks it, for unit tests of the report flow.

rasa-sdk asks ``ValidateProblemReportForm.required_slots`` for the details the report needs and requests the
first one whose tracker slot is still empty (``FormValidationAction.next_requested_slot``); Rasa's form loop
then asks that slot, or ends the form when there is none. This module runs exactly that code on the slots a
``ReportState`` writes, with the form as ``domain.yml`` declares it.
"""
from __future__ import annotations

import asyncio
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Optional

import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.report_form import FORM_NAME, ValidateProblemReportForm
from actions.reporting.state import ReportState

DOMAIN_FILE = Path(__file__).resolve().parents[2] / "domain.yml"


@lru_cache(maxsize=1)
def form_domain() -> Dict[str, Any]:
    """The ``forms`` section of the real domain (rasa-sdk compares ``required_slots`` against it)."""
    return {"forms": yaml.safe_load(DOMAIN_FILE.read_text(encoding="utf-8"))["forms"]}


def requested_slot(state: ReportState) -> Optional[str]:
    """The slot Rasa's form loop asks next for this report, or None when the form is finished."""
    tracker = Tracker(sender_id="unit", slots=state.to_slots(), latest_message={}, events=[], paused=False,
                      followup_action=None, active_loop={"name": FORM_NAME}, latest_action_name=None)
    event = asyncio.run(ValidateProblemReportForm().next_requested_slot(CollectingDispatcher(), tracker,
                                                                         form_domain()))
    assert event is not None and event["name"] == "requested_slot", event   # the form's own required_slots ran
    return event["value"]
